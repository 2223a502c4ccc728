//! The label column into ground truth: class ids (classification) or values (regression),
//! from whatever the file holds.

use super::{LabelInterner, Targets};
use crate::config::Task;

/// A label cell, as one of the readers found it.
#[derive(Debug, Clone, Copy)]
pub enum LabelCell<'a> {
    /// Text: every CSV cell, a JSON or Parquet string.
    Text(&'a [u8]),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Missing,
}

/// Collects the ground truth of a dataset, batch by batch.
pub struct TargetSink {
    task: Task,
    column: String,
    labels: LabelInterner,
}

impl TargetSink {
    pub fn new(task: Task, column: &str) -> Self {
        TargetSink {
            task,
            column: column.to_owned(),
            labels: LabelInterner::default(),
        }
    }

    /// An empty target buffer of the task's kind.
    pub fn targets(&self, capacity: usize) -> Targets {
        match self.task {
            Task::Classification => Targets::Classes(Vec::with_capacity(capacity)),
            Task::Regression => Targets::Values(Vec::with_capacity(capacity)),
        }
    }

    /// Adds one row's label. Returns the value of a regression target (to count non-finite
    /// ones), or the message for a label that cannot be used.
    pub fn push(&mut self, targets: &mut Targets, cell: LabelCell) -> Result<Option<f64>, String> {
        // Only for messages: computed when one is needed, never per row.
        let column = || super::shown(self.column.as_bytes());
        match targets {
            Targets::Classes(ids) => {
                let id = match cell {
                    LabelCell::Text(raw) => {
                        let text = std::str::from_utf8(raw)
                            .map_err(|_| "the label is not UTF-8 text".to_owned())?;
                        if text.trim().is_empty() {
                            return Err(format!("the label column `{}` is empty", column()));
                        }
                        self.labels.intern(text)
                    }
                    LabelCell::Int(v) => self.labels.intern_i64(v),
                    LabelCell::UInt(v) => self.labels.intern(&v.to_string()),
                    LabelCell::Float(v) if v.is_finite() => self.labels.intern(&v.to_string()),
                    LabelCell::Float(v) => {
                        return Err(format!(
                            "the label column `{}` holds {v}, which is not a class",
                            column()
                        ));
                    }
                    // As scikit-learn's converters label bool classes: 0 and 1.
                    LabelCell::Bool(v) => self.labels.intern_i64(i64::from(v)),
                    LabelCell::Missing => {
                        return Err(format!(
                            "the label column `{}` is empty (missing)",
                            column()
                        ));
                    }
                };
                ids.push(id);
                if self.labels.len() > super::MAX_CLASSES {
                    return Err(super::labels::too_many_classes(&self.column));
                }
                Ok(None)
            }
            Targets::Values(values) => {
                let value = match cell {
                    LabelCell::Text(raw) => {
                        let raw = raw.trim_ascii();
                        if raw.is_empty() {
                            return Err(format!(
                                "column `{}` is empty; fill or drop missing values before evaluation",
                                column()
                            ));
                        }
                        super::convert::parse_f64(raw).map_err(|_| {
                            format!(
                                "column `{}` holds `{}`, which is not a number",
                                column(),
                                super::shown(raw)
                            )
                        })?
                    }
                    LabelCell::Int(v) => v as f64,
                    LabelCell::UInt(v) => v as f64,
                    LabelCell::Float(v) => v,
                    LabelCell::Bool(v) => f64::from(u8::from(v)),
                    LabelCell::Missing => {
                        return Err(format!(
                            "column `{}` is empty (missing); fill or drop missing values before evaluation",
                            column()
                        ));
                    }
                };
                values.push(value);
                Ok(Some(value))
            }
        }
    }

    /// Class names by id (empty for regression).
    pub fn class_names(&self) -> Vec<String> {
        self.labels.names().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_any_kind_become_one_class_space() {
        let mut sink = TargetSink::new(Task::Classification, "y");
        let mut t = sink.targets(4);
        for cell in [
            LabelCell::Text(b"1"),
            LabelCell::Int(1),
            LabelCell::Float(1.0),
            LabelCell::Text(b"setosa"),
        ] {
            sink.push(&mut t, cell).unwrap();
        }
        assert!(matches!(t, Targets::Classes(ref ids) if ids == &[0, 0, 0, 1]));
        assert!(sink.push(&mut t, LabelCell::Missing).is_err());
        let mut sink = TargetSink::new(Task::Regression, "y");
        let mut t = sink.targets(1);
        assert_eq!(sink.push(&mut t, LabelCell::Text(b" 2.5 ")), Ok(Some(2.5)));
        let err = sink.push(&mut t, LabelCell::Text(b"abc")).unwrap_err();
        assert_eq!(err, "column `y` holds `abc`, which is not a number");
    }
}
