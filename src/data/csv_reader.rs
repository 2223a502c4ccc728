//! Streaming CSV reader: one reused record buffer, numbers parsed straight from bytes.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::{Batch, BatchReader, DataError, LabelInterner, Schema, Targets};
use crate::config::{DataConfig, Task};

pub struct CsvReader {
    path: PathBuf,
    reader: csv::Reader<File>,
    record: csv::ByteRecord,
    schema: Schema,
    /// Column index of each feature, in schema order.
    feature_columns: Vec<usize>,
    label_column: usize,
    task: Task,
    labels: LabelInterner,
}

impl CsvReader {
    pub fn open(config: &DataConfig, path: &Path, task: Task) -> Result<Self, DataError> {
        let io = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let format = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        let file = File::open(path).map_err(io)?;
        let mut reader = csv::ReaderBuilder::new()
            .buffer_capacity(1 << 20)
            .from_reader(file);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format(format!("cannot read the header row: {e}")))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        if header.iter().all(String::is_empty) {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        let find = |name: &str, what: &str| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                let nearest = crate::config::nearest_name(name, header.iter().map(String::as_str));
                format(format!(
                    "no column `{name}` ({what}){}; the columns are: {}",
                    nearest
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default(),
                    header.join(", ")
                ))
            })
        };
        let label_name = config.label.as_deref().ok_or_else(|| {
            format(
                "`data.label` is not set: name the column that holds the ground truth".to_owned(),
            )
        })?;
        let label_column = find(label_name, "the label")?;
        let features: Vec<String> = match &config.features {
            Some(names) => names.clone(),
            None => header
                .iter()
                .filter(|h| *h != label_name)
                .cloned()
                .collect(),
        };
        if features.is_empty() {
            return Err(format(
                "there are no feature columns besides the label".to_owned(),
            ));
        }
        let feature_columns = features
            .iter()
            .map(|f| find(f, "a feature"))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            record: csv::ByteRecord::new(),
            schema: Schema {
                features,
                label: label_name.to_owned(),
            },
            feature_columns,
            label_column,
            task,
            labels: LabelInterner::default(),
        })
    }

    fn error_at(&self, message: String) -> DataError {
        let line = self.record.position().map_or(0, csv::Position::line);
        DataError::Format {
            path: self.path.clone(),
            message: format!("line {line}: {message}"),
        }
    }

    fn field(&self, column: usize) -> &[u8] {
        self.record.get(column).unwrap_or_default()
    }

    fn number(&self, column: usize, name: &str) -> Result<f64, DataError> {
        let raw = trim(self.field(column));
        fast_float2::parse::<f64, _>(raw).map_err(|_| {
            if raw.is_empty() {
                self.error_at(format!(
                    "column `{name}` is empty; fill or drop missing values before evaluation"
                ))
            } else {
                self.error_at(format!(
                    "column `{name}` holds `{}`, which is not a number",
                    String::from_utf8_lossy(raw)
                ))
            }
        })
    }
}

impl BatchReader for CsvReader {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, DataError> {
        let width = self.feature_columns.len();
        let mut features = Vec::with_capacity(max_rows * width);
        let mut targets = match self.task {
            Task::Classification => Targets::Classes(Vec::with_capacity(max_rows)),
            Task::Regression => Targets::Values(Vec::with_capacity(max_rows)),
        };
        let mut rows = 0;
        while rows < max_rows {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(self.error_at(e.to_string())),
            }
            for (i, &column) in self.feature_columns.iter().enumerate() {
                features.push(self.number(column, &self.schema.features[i])?);
            }
            match &mut targets {
                Targets::Classes(ids) => {
                    let raw = self.record.get(self.label_column).unwrap_or_default();
                    let text = std::str::from_utf8(raw)
                        .map_err(|_| self.error_at("the label is not UTF-8 text".into()))?;
                    if text.trim().is_empty() {
                        return Err(self.error_at(format!(
                            "the label column `{}` is empty",
                            self.schema.label
                        )));
                    }
                    ids.push(self.labels.intern(text));
                }
                Targets::Values(values) => {
                    values.push(self.number(self.label_column, &self.schema.label)?)
                }
            }
            rows += 1;
        }
        Ok((rows > 0).then_some(Batch {
            features,
            rows,
            targets,
        }))
    }

    fn class_names(&self) -> Vec<String> {
        self.labels.names().to_vec()
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}
