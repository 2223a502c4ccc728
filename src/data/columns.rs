//! The columns a data file provides, and the suite's default feature list over them.

use std::path::Path;

use super::DataError;
use crate::config::DataConfig;

/// The columns of a dataset: what the binding of model inputs chooses from.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Every column of the file, in file order (NumPy: the feature names).
    pub columns: Vec<String>,
    /// The default features, in the order a single `[N, F]` input takes them: `data.features`,
    /// else every column but the label and those in `data.exclude`.
    pub features: Vec<String>,
    pub label: String,
}

impl Schema {
    /// Checks the configured label, features and exclusions against a file's `columns`.
    /// `label_required`: the label must be one of the columns (not so for NumPy).
    pub fn new(
        columns: Vec<String>,
        label: &str,
        config: &DataConfig,
        path: &Path,
        label_required: bool,
    ) -> Result<Schema, DataError> {
        let format = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        if let Some((first, second, name)) = duplicate_column(&columns, label, config) {
            return Err(format(format!(
                "column `{}` appears twice (columns {} and {}); rename one so that it is clear which is used",
                shown(name.as_bytes()),
                first + 1,
                second + 1
            )));
        }
        if label_required {
            find(&columns, label, "the label").map_err(format)?;
        }
        let features: Vec<String> = match &config.features {
            Some(names) => {
                for name in names {
                    find(&columns, name, "a feature").map_err(format)?;
                }
                names.clone()
            }
            None => {
                for name in &config.exclude {
                    find(&columns, name, "in `data.exclude`").map_err(format)?;
                }
                columns
                    .iter()
                    .filter(|c| *c != label && !config.exclude.contains(c))
                    .cloned()
                    .collect()
            }
        };
        if features.is_empty() {
            return Err(format(
                "there are no feature columns besides the label (and `data.exclude`)".to_owned(),
            ));
        }
        Ok(Schema {
            columns,
            features,
            label: label.to_owned(),
        })
    }

    /// Position of column `name` in [`Schema::columns`].
    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// Position of `name` in `columns`, or a message listing the columns and the nearest one.
pub fn find(columns: &[String], name: &str, what: &str) -> Result<usize, String> {
    columns.iter().position(|h| h == name).ok_or_else(|| {
        // A 50 MB header cell is neither compared nor echoed whole.
        let nearest = crate::config::nearest_name(
            name,
            columns
                .iter()
                .map(String::as_str)
                .filter(|h| h.len() <= 256),
        );
        format!(
            "no column `{}` ({what}){}; the columns are: {}",
            shown(name.as_bytes()),
            nearest
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default(),
            listed(columns)
        )
    })
}

/// The first 50 column names, for messages.
pub fn listed(columns: &[String]) -> String {
    let mut listed: Vec<String> = columns
        .iter()
        .take(50)
        .map(|h| shown(h.as_bytes()))
        .collect();
    if columns.len() > 50 {
        listed.push(format!("… ({} more)", columns.len() - 50));
    }
    listed.join(", ")
}

/// A cell or name for a message: at most 100 characters, and a marker when cut.
pub fn shown(raw: &[u8]) -> String {
    const MAX: usize = 100;
    let text = String::from_utf8_lossy(&raw[..raw.len().min(4 * MAX)]);
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], raw.len()),
        None if raw.len() > 4 * MAX => format!("{text}… ({} bytes in all)", raw.len()),
        None => text.into_owned(),
    }
}

/// The first column name the suite may use that the header holds twice: its two positions
/// (0-based) and the name. A duplicate nobody reads is harmless.
fn duplicate_column<'a>(
    header: &'a [String],
    label: &str,
    config: &DataConfig,
) -> Option<(usize, usize, &'a str)> {
    let used = |name: &str| {
        label == name
            || config
                .features
                .as_ref()
                .is_none_or(|features| features.iter().any(|f| f == name))
    };
    let mut seen = std::collections::HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if let Some(&first) = seen.get(name.as_str()) {
            if used(name) {
                return Some((first, i, name.as_str()));
            }
        } else {
            seen.insert(name.as_str(), i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(features: Option<&[&str]>, exclude: &[&str]) -> DataConfig {
        DataConfig {
            path: "d.csv".into(),
            label: Some("y".into()),
            features: features.map(|f| f.iter().map(|s| s.to_string()).collect()),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            key: None,
            schema: None,
        }
    }

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exclude_removes_columns_from_the_default_features() {
        let s = Schema::new(
            columns(&["id", "a", "y", "b"]),
            "y",
            &config(None, &["id"]),
            Path::new("d.csv"),
            true,
        )
        .unwrap();
        assert_eq!(s.features, ["a", "b"]);
        assert_eq!(s.columns.len(), 4);
        let err = Schema::new(
            columns(&["id", "a", "y"]),
            "y",
            &config(None, &["idd"]),
            Path::new("d.csv"),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("no column `idd` (in `data.exclude`); did you mean `id`?"),
            "{err}"
        );
    }

    #[test]
    fn listed_features_must_exist_and_the_label_too() {
        let err = Schema::new(
            columns(&["a", "y"]),
            "label",
            &config(None, &[]),
            Path::new("d.csv"),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no column `label` (the label)"), "{err}");
        let err = Schema::new(
            columns(&["a", "y"]),
            "y",
            &config(Some(&["b"]), &[]),
            Path::new("d.csv"),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no column `b` (a feature)"), "{err}");
    }
}
