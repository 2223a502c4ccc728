//! The guesses `init` makes: which data file goes with which model, which column is the
//! label, and whether the model classifies or regresses. Each guess carries the reason, so
//! the user can see what to check.

use std::path::{Path, PathBuf};

use crate::config::Task;
use crate::model::{ElemType, PortKind, Signature};

/// Column names that usually hold the ground truth, most telling first.
const LABEL_NAMES: &[&str] = &[
    "label",
    "labels",
    "target",
    "targets",
    "y",
    "class",
    "classes",
    "species",
    "outcome",
    "ground_truth",
    "truth",
    "diagnosis",
    "category",
];

/// The header and first row of a CSV file (enough to guess the label).
#[derive(Debug, Clone, Default)]
pub struct DataPeek {
    pub columns: Vec<String>,
    pub first_row: Vec<String>,
}

impl DataPeek {
    /// Reads the column names and the first row (CSV, Parquet, JSON Lines); `None` when the
    /// file is none of these or unreadable.
    pub fn read(path: &Path) -> Option<DataPeek> {
        let (columns, first_row) = crate::data::peek(path)?;
        Some(DataPeek { columns, first_row })
    }
}

/// A guess and why it was made.
#[derive(Debug, Clone)]
pub struct Guess<T> {
    pub value: T,
    pub why: String,
}

/// The model's task from its outputs: class labels or per-class scores mean classification,
/// one float per row means regression.
pub fn task(signature: &Signature) -> Guess<Task> {
    let classification = |why: &str| Guess {
        value: Task::Classification,
        why: why.to_owned(),
    };
    for port in &signature.outputs {
        match &port.kind {
            PortKind::SequenceOfMaps { .. } => {
                return classification("the model outputs per-class probabilities (a ZipMap)");
            }
            PortKind::Tensor {
                dtype: ElemType::I64 | ElemType::I32 | ElemType::String,
                ..
            } => {
                return classification(&format!(
                    "output `{}` holds class labels (integers or strings)",
                    port.name
                ));
            }
            _ => {}
        }
    }
    let widths: Vec<i64> = signature
        .outputs
        .iter()
        .filter_map(|p| match &p.kind {
            PortKind::Tensor { shape, .. } => Some(if shape.len() < 2 {
                1
            } else {
                shape[shape.len() - 1]
            }),
            _ => None,
        })
        .collect();
    match widths.as_slice() {
        [1] => Guess {
            value: Task::Regression,
            why: "the model outputs one number per row".to_owned(),
        },
        [w] if *w > 1 => classification(&format!("the model outputs {w} scores per row")),
        _ => classification("the outputs do not say; classification assumed"),
    }
}

/// How many features the model's one input takes (`[N, F]`), when the shape says. A model
/// with one input per column (a ColumnTransformer pipeline) has no such width.
pub fn input_width(signature: &Signature) -> Option<usize> {
    let [only] = signature.inputs.as_slice() else {
        return None;
    };
    match &only.kind {
        PortKind::Tensor { shape, .. } if shape.len() == 2 && shape[1] > 0 => {
            usize::try_from(shape[1]).ok()
        }
        _ => None,
    }
}

/// The data file for `model`, by how well its path and columns fit: a directory or name shared
/// with the model's, a column count that matches its input, and a name that says "test".
pub fn data_for(
    model: &Path,
    width: Option<usize>,
    data: &[(PathBuf, Option<DataPeek>)],
) -> Option<Guess<PathBuf>> {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let model_dirs: Vec<String> = dirs_of(model);
    let scored = data.iter().map(|(path, peek)| {
        let mut score = 0i32;
        let mut why = Vec::new();
        let text = path.to_string_lossy().to_ascii_lowercase();
        if !stem.is_empty() && text.contains(&stem) {
            score += 4;
            why.push(format!("its path names `{stem}`"));
        }
        let shared = dirs_of(path)
            .iter()
            .zip(&model_dirs)
            .take_while(|(a, b)| a == b)
            .count();
        score += 2 * shared as i32;
        if let (Some(width), Some(peek)) = (width, peek)
            && peek.columns.len() == width + 1
        {
            score += 3;
            why.push(format!(
                "its {} columns are the model's {width} inputs and a label",
                peek.columns.len()
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ["test", "eval", "valid", "holdout"]
            .iter()
            .any(|w| name.contains(w))
        {
            score += 1;
            why.push("its name says it is held-out data".to_owned());
        } else if name.contains("train") {
            score -= 3;
        }
        (score, path, why)
    });
    let (_, path, why) =
        scored.max_by_key(|(score, path, _)| (*score, std::cmp::Reverse((*path).clone())))?;
    let why = if why.is_empty() {
        "the only data file near it".to_owned()
    } else {
        why.join(", ")
    };
    Some(Guess {
        value: path.clone(),
        why,
    })
}

fn dirs_of(path: &Path) -> Vec<String> {
    path.parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The ground-truth column: a conventional name, else (for classification) the one column
/// holding text, else the last column.
pub fn label(peek: &DataPeek, task: Task) -> Guess<String> {
    for wanted in LABEL_NAMES {
        if let Some(column) = peek.columns.iter().find(|c| c.eq_ignore_ascii_case(wanted)) {
            return Guess {
                value: column.clone(),
                why: "a column named like a label".to_owned(),
            };
        }
    }
    if task == Task::Classification {
        let text: Vec<&String> = peek
            .columns
            .iter()
            .zip(&peek.first_row)
            .filter(|(_, v)| !v.trim().is_empty() && v.trim().parse::<f64>().is_err())
            .map(|(c, _)| c)
            .collect();
        if let [only] = text.as_slice() {
            return Guess {
                value: (*only).clone(),
                why: "the only column holding text".to_owned(),
            };
        }
    }
    Guess {
        value: peek.columns.last().cloned().unwrap_or_default(),
        why: "the last column (no column is named like a label)".to_owned(),
    }
}

/// A suite name from the model's path: its file name, or its directory's when the file name
/// says nothing (`model.onnx`, `candidate.onnx`).
pub fn suite_name(model: &Path) -> String {
    let generic = ["model", "candidate", "baseline", "latest", "best", "final"];
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name = if generic.contains(&stem.to_ascii_lowercase().as_str()) {
        model
            .parent()
            .and_then(|p| {
                p.components()
                    .rev()
                    .find(|c| !matches!(c.as_os_str().to_str(), Some("models" | "model" | "onnx")))
            })
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or(stem)
    } else {
        stem
    };
    name = name
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '/' {
                '-'
            } else {
                c
            }
        })
        .collect();
    if name.is_empty() {
        "model".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peek(columns: &[&str], row: &[&str]) -> DataPeek {
        DataPeek {
            columns: columns.iter().map(|s| s.to_string()).collect(),
            first_row: row.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn label_by_name_then_by_text_then_last() {
        let named = peek(&["a", "b", "Target"], &["1", "2", "3"]);
        assert_eq!(label(&named, Task::Regression).value, "Target");
        let text = peek(&["kind", "a", "b"], &["cat", "1", "2"]);
        assert_eq!(label(&text, Task::Classification).value, "kind");
        let plain = peek(&["a", "b", "c"], &["1", "2", "3"]);
        assert_eq!(label(&plain, Task::Regression).value, "c");
    }

    #[test]
    fn data_is_matched_by_name_columns_and_purpose() {
        let data = vec![
            (
                PathBuf::from("data/iris/train.csv"),
                Some(peek(&["a", "b", "c", "d", "y"], &[])),
            ),
            (
                PathBuf::from("data/iris/test.csv"),
                Some(peek(&["a", "b", "c", "d", "y"], &[])),
            ),
            (
                PathBuf::from("data/wine/test.csv"),
                Some(peek(&["a", "b"], &[])),
            ),
        ];
        let guess = data_for(Path::new("models/iris.onnx"), Some(4), &data).unwrap();
        assert_eq!(guess.value, PathBuf::from("data/iris/test.csv"));
    }

    #[test]
    fn generic_file_names_take_the_directory_name() {
        assert_eq!(suite_name(Path::new("models/iris.onnx")), "iris");
        assert_eq!(suite_name(Path::new("churn/models/model.onnx")), "churn");
        assert_eq!(suite_name(Path::new("model.onnx")), "model");
    }
}
