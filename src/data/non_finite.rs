//! `nan`, `inf` and `-inf` cells parse as numbers. They are counted per column and said in
//! the report: a tree model treats them as missing and passes silently, another model
//! predicts NaN — either way the reader of the report must know they were there.

/// Non-finite values of one column: how many, and where the first was.
#[derive(Debug, Clone, Default)]
struct Column {
    count: u64,
    /// 1-based line (CSV) or row (NumPy) of the first.
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
            if c.count == 0 {
                c.first = at;
            }
            c.count += 1;
        }
    }

    /// One note per affected column (at most ten), `where_` naming the unit ("line", "row").
    pub fn notes(&self, names: &[String], file: &str, where_: &str) -> Vec<String> {
        let mut notes: Vec<String> = self
            .columns
            .iter()
            .zip(names)
            .filter(|(c, _)| c.count > 0)
            .map(|(c, name)| {
                format!(
                    "{file}: column `{name}` holds {} non-finite value(s) (NaN or ±inf; first on {where_} {}); \
                     tree models treat them as missing, other models may predict NaN",
                    c.count, c.first
                )
            })
            .collect();
        if notes.len() > 10 {
            let more = notes.len() - 10;
            notes.truncate(10);
            notes.push(format!(
                "{file}: {more} more columns hold non-finite values"
            ));
        }
        notes
    }
}
