//! `nan`, `inf` and `-inf` cells parse as numbers, and missing cells (empty, JSON or Parquet
//! null) of a float input are fed as NaN, as pandas reads them. Both are counted per column
//! and said in the report: a tree model treats them as missing and passes silently, another
//! model predicts NaN — either way the reader of the report must know they were there.

/// Non-finite and missing values of one column: how many, and where the first was.
#[derive(Debug, Clone, Default)]
struct Column {
    non_finite: u64,
    missing: u64,
    /// 1-based line (CSV, JSON Lines) or row (NumPy, Parquet) of the first of either.
    first: u64,
}

#[derive(Debug, Clone, Default)]
pub struct NonFinite {
    /// Indexed like the reader's columns (features, then the label).
    columns: Vec<Column>,
}

impl NonFinite {
    pub fn new(columns: usize) -> Self {
        NonFinite {
            columns: vec![Column::default(); columns],
        }
    }

    /// Notes `value` of `column` at `at` (a line or row) when it is not finite.
    #[inline]
    pub fn check(&mut self, column: usize, value: f64, at: u64) {
        if !value.is_finite()
            && let Some(c) = self.columns.get_mut(column)
        {
            if c.non_finite + c.missing == 0 {
                c.first = at;
            }
            c.non_finite += 1;
        }
    }

    /// Notes a missing value of `column` at `at`, fed as NaN.
    pub fn missing(&mut self, column: usize, at: u64) {
        if let Some(c) = self.columns.get_mut(column) {
            if c.non_finite + c.missing == 0 {
                c.first = at;
            }
            c.missing += 1;
        }
    }

    /// One note per affected column (at most ten), `where_` naming the unit ("line", "row").
    pub fn notes(&self, names: &[String], file: &str, where_: &str) -> Vec<String> {
        let mut notes: Vec<String> = self
            .columns
            .iter()
            .zip(names)
            .filter(|(c, _)| c.non_finite + c.missing > 0)
            .map(|(c, name)| {
                let what = match (c.non_finite, c.missing) {
                    (n, 0) => format!("{n} non-finite value(s) (NaN or ±inf"),
                    (0, m) => format!("{m} missing value(s) (empty or null, fed as NaN"),
                    (n, m) => format!(
                        "{n} non-finite value(s) and {m} missing value(s) (NaN or ±inf; missing ones fed as NaN"
                    ),
                };
                format!(
                    "{file}: column `{name}` holds {what}; first on {where_} {}); \
                     tree models treat them as missing, other models may predict NaN",
                    c.first
                )
            })
            .collect();
        if notes.len() > 10 {
            let more = notes.len() - 10;
            notes.truncate(10);
            notes.push(format!(
                "{file}: {more} more columns hold non-finite or missing values"
            ));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_non_finite_and_missing_with_the_first_place() {
        let mut n = NonFinite::new(2);
        n.check(0, 1.0, 1);
        n.missing(0, 3);
        n.check(0, f64::NAN, 5);
        n.check(1, f64::INFINITY, 2);
        let notes = n.notes(&["a".into(), "b".into()], "d.csv", "line");
        assert!(
            notes[0].contains(
                "column `a` holds 1 non-finite value(s) and 1 missing value(s) (NaN or ±inf; missing ones fed as NaN; first on line 3)"
            ),
            "{notes:?}"
        );
        assert!(
            notes[1]
                .contains("column `b` holds 1 non-finite value(s) (NaN or ±inf; first on line 2)"),
            "{notes:?}"
        );
    }
}
