//! Class labels as small integer ids.

use std::collections::HashMap;

/// The most distinct labels a classification suite may have. Per-class metrics and confusion
/// matrices grow with its square; far more labels than this mean a regression target (or an
/// id column) evaluated as classification.
pub const MAX_CLASSES: usize = 1000;

/// The error for a label column with more than [`MAX_CLASSES`] distinct values.
pub fn too_many_classes(column: &str) -> String {
    format!(
        "the label column `{column}` has more than {MAX_CLASSES} distinct values; is `task` right? \
         A regression target evaluated as classification has one class per value: set `task = \"regression\"`, \
         or check that `data.label` names the class column"
    )
}

/// Maps label text to dense ids, in order of first appearance.
///
/// Numeric labels are canonicalised (`1`, `1.0` and ` 1 ` are the same class), so that a CSV
/// column written as floats matches a model predicting int64 labels.
#[derive(Debug, Default, Clone)]
pub struct LabelInterner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<String>,
}

impl LabelInterner {
    pub fn intern(&mut self, raw: &str) -> u32 {
        if let Some(&id) = self.ids.get(raw) {
            return id;
        }
        let canonical = canonical_label(raw);
        let id = match self.ids.get(canonical.as_str()) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(canonical.clone());
                self.ids.insert(canonical.into_boxed_str(), id);
                id
            }
        };
        // Remember the raw spelling too, so the next lookup is a single hash probe.
        self.ids.insert(raw.into(), id);
        id
    }

    pub fn intern_i64(&mut self, value: i64) -> u32 {
        self.intern(&value.to_string())
    }

    /// Distinct labels so far.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn into_names(self) -> Vec<String> {
        self.names
    }
}

/// Integral numbers as plain integers; everything else trimmed, as written.
pub fn canonical_label(raw: &str) -> String {
    let trimmed = raw.trim();
    match trimmed.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        _ => trimmed.to_owned(),
    }
}

/// sklearn's class order: numeric when every label is a number, else by text.
pub fn sort_classes(names: &mut [String]) {
    let numbers: Option<Vec<f64>> = names.iter().map(|n| n.parse::<f64>().ok()).collect();
    match numbers {
        Some(_) => names.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
        }),
        None => names.sort(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_spellings_are_one_class() {
        let mut l = LabelInterner::default();
        assert_eq!(l.intern("1"), 0);
        assert_eq!(l.intern("1.0"), 0);
        assert_eq!(l.intern_i64(1), 0);
        assert_eq!(l.intern("setosa"), 1);
        assert_eq!(l.intern(" setosa "), 1);
        assert_eq!(l.names(), ["1", "setosa"]);
    }

    #[test]
    fn sorts_like_sklearn() {
        let mut n = vec!["10".to_owned(), "9".to_owned(), "-1".to_owned()];
        sort_classes(&mut n);
        assert_eq!(n, ["-1", "9", "10"]);
        let mut s = vec!["b".to_owned(), "B".to_owned(), "a".to_owned()];
        sort_classes(&mut s);
        assert_eq!(s, ["B", "a", "b"]);
    }
}
