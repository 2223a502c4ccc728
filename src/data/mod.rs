//! Evaluation data: read in batches, each column in the type the model input it goes to
//! declares, targets as class ids or values.
//!
//! Opening a file reads only what it says about its columns (a [`DataSource`] and its
//! [`Schema`]); once the models are bound to columns, [`DataSource::read`] starts reading
//! the columns in use — and only those — as a [`ReadPlan`] says. Readers stream: a CSV, JSON
//! Lines or Parquet file of any size is held one batch at a time. NumPy archives are not
//! streamable and are read whole.

mod columns;
mod convert;
mod csv_parse;
mod csv_reader;
mod feed;
pub(crate) mod json_cells;
mod jsonl_reader;
mod labels;
mod layout;
pub(crate) mod line_counter;
mod non_finite;
pub(crate) mod npy_header;
mod npy_reader;
pub(crate) mod parquet_cells;
pub(crate) mod parquet_reader;
mod targets;

use std::path::{Path, PathBuf};

pub use columns::{Schema, listed as listed_columns, shown};
pub use convert::{Element, Problem};
pub use feed::{Feed, FeedType, FeedValues, ReadPlan, TextValues};
pub use labels::{LabelInterner, MAX_CLASSES, canonical_label, sort_classes};

use crate::config::{DataConfig, Task};

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("data file {} does not exist (check `data.path` in the config; paths are relative to the config file)", path.display())]
    Missing { path: PathBuf },
    #[error("{0}")]
    LfsPointer(String),
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },
    #[error("{}: line {line}: {message}", path.display())]
    AtLine {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// A row of a file without lines (Parquet, NumPy): 1-based.
    #[error("{}: row {row}: {message}", path.display())]
    AtRow {
        path: PathBuf,
        row: u64,
        message: String,
    },
    #[error("{} has no rows: there is nothing to evaluate", path.display())]
    Empty { path: PathBuf },
    #[error("{} is a `.{extension}` file; supported data formats are .csv, .parquet, .jsonl (JSON Lines), .npy and .npz", path.display())]
    UnsupportedFormat { path: PathBuf, extension: String },
    #[error("{} has no file extension, so its format is unknown; name it .csv, .parquet, .jsonl, .npy or .npz", path.display())]
    NoExtension { path: PathBuf },
}

impl DataError {
    /// Line of the data file the error points at, when it points at one.
    pub fn line(&self) -> Option<u64> {
        match self {
            DataError::AtLine { line, .. } => Some(*line),
            // Only a text file's lines can be annotated.
            DataError::AtRow { .. } => None,
            _ => None,
        }
    }
}

/// Bounds on what a data file may make the readers allocate.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Data held whole (NumPy arrays) as f64, in bytes: `runtime.max_memory_mb`.
    pub max_memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory_bytes: crate::config::DEFAULT_MAX_MEMORY_MB << 20,
        }
    }
}

impl Limits {
    pub fn from_config(runtime: &crate::config::RuntimeConfig) -> Limits {
        Limits {
            max_memory_bytes: runtime.max_memory_mb.saturating_mul(1 << 20),
        }
    }
}

/// One batch: `rows` examples, one buffer per feed of the [`ReadPlan`], in its order.
#[derive(Debug)]
pub struct Batch {
    pub rows: usize,
    pub feeds: Vec<FeedValues>,
    pub targets: Targets,
}

/// Ground truth of a batch or a whole dataset.
#[derive(Debug)]
pub enum Targets {
    /// Class ids from the reader's [`LabelInterner`].
    Classes(Vec<u32>),
    Values(Vec<f64>),
}

/// An opened data file: its columns are known, nothing is parsed yet.
pub trait DataSource: Send {
    fn schema(&self) -> &Schema;
    /// Starts reading the columns `plan` names, into its feeds' types.
    fn read(self: Box<Self>, plan: &ReadPlan) -> Result<Box<dyn BatchReader>, DataError>;
}

/// A source of batches.
pub trait BatchReader: Send {
    /// The next batch of at most `max_rows` rows, `None` at the end.
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, DataError>;
    /// Class names by id, once reading is done (empty for regression).
    fn class_names(&self) -> Vec<String>;
    /// What the report should say about the data once reading is done (non-finite cells).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Opens the configured data file for a suite.
pub fn open(
    config: &DataConfig,
    path: &Path,
    task: Task,
    limits: &Limits,
) -> Result<Box<dyn DataSource>, DataError> {
    check_present(path)?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => Ok(Box::new(csv_reader::CsvSource::open(config, path, task)?)),
        "parquet" | "pq" => Ok(Box::new(parquet_reader::ParquetSource::open(
            config, path, task, limits,
        )?)),
        "jsonl" | "ndjson" => Ok(Box::new(jsonl_reader::JsonlSource::open(
            config, path, task,
        )?)),
        "" => Err(DataError::NoExtension {
            path: path.to_path_buf(),
        }),
        "npz" | "npy" => Ok(Box::new(npy_reader::NpySource::open(
            config, path, task, limits,
        )?)),
        _ => Err(DataError::UnsupportedFormat {
            path: path.to_path_buf(),
            extension,
        }),
    }
}

/// Refuses a data file that is not there, or that is a Git LFS pointer standing in for the
/// data (the checkout did not fetch it): the messages say which, and how to fix it.
pub(crate) fn check_present(path: &Path) -> Result<(), DataError> {
    if !path.exists() {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
        });
    }
    match crate::lfs::file_is_pointer(path) {
        Ok(Some(pointer)) => Err(DataError::LfsPointer(crate::lfs::pointer_message(
            path, &pointer,
        ))),
        Ok(None) => Ok(()),
        Err(source) => Err(DataError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A data file's columns and first row as text, for `mlops-ci init`'s guesses; `None` when
/// the file cannot be read as one of the formats.
pub fn peek(path: &Path) -> Option<(Vec<String>, Vec<String>)> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => csv_reader::peek(path),
        "parquet" | "pq" => parquet_reader::peek(path),
        "jsonl" | "ndjson" => jsonl_reader::peek(path),
        _ => None,
    }
}

/// The file's formats' names, as the error messages and `init` list them.
pub const EXTENSIONS: &[&str] = &["csv", "parquet", "pq", "jsonl", "ndjson", "npz", "npy"];

#[cfg(test)]
pub(crate) mod test_support {
    //! Opening a file with a plan, as the evaluation does.

    use super::*;

    pub fn feed(columns: &[usize], dtype: FeedType) -> Feed {
        Feed {
            columns: columns.to_vec(),
            dtype,
            used_by: format!("input `{dtype}_in`"),
        }
    }

    pub fn config(path: &Path, label: &str) -> DataConfig {
        DataConfig {
            path: path.to_path_buf(),
            label: Some(label.to_owned()),
            features: None,
            exclude: Vec::new(),
            key: None,
            schema: None,
        }
    }

    /// Every batch of `path` read with `feeds`, or the first error as text.
    pub fn read_all(
        path: &Path,
        label: &str,
        task: Task,
        feeds: Vec<Feed>,
        batch: usize,
    ) -> Result<(Vec<Batch>, Box<dyn BatchReader>), String> {
        let source = open(&config(path, label), path, task, &Limits::default())
            .map_err(|e| e.to_string())?;
        let mut reader = source
            .read(&ReadPlan { feeds })
            .map_err(|e| e.to_string())?;
        let mut batches = Vec::new();
        while let Some(b) = reader.next_batch(batch).map_err(|e| e.to_string())? {
            batches.push(b);
        }
        Ok((batches, reader))
    }
}
