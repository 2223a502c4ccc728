//! Evaluation data: read in batches, features as numbers, targets as class ids or values.
//!
//! Readers stream: a CSV of any size is held one batch at a time. NumPy archives are not
//! streamable and are read whole.

mod csv_reader;
mod labels;
mod line_counter;
mod non_finite;
mod npy_header;
mod npy_reader;

use std::path::{Path, PathBuf};

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
    #[error("{} has no rows: there is nothing to evaluate", path.display())]
    Empty { path: PathBuf },
    #[error("{} is a `.{extension}` file; supported data formats are .csv, .npy and .npz", path.display())]
    UnsupportedFormat { path: PathBuf, extension: String },
    #[error("{} has no file extension, so its format is unknown; name it .csv, .npy or .npz", path.display())]
    NoExtension { path: PathBuf },
}

impl DataError {
    /// Line of the data file the error points at, when it points at one.
    pub fn line(&self) -> Option<u64> {
        match self {
            DataError::AtLine { line, .. } => Some(*line),
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

/// The columns a dataset provides, in the order they are fed to the model.
#[derive(Debug, Clone)]
pub struct Schema {
    pub features: Vec<String>,
    pub label: String,
}

/// One batch: `rows` examples of `width` features, row-major.
#[derive(Debug)]
pub struct Batch {
    pub features: Vec<f64>,
    pub rows: usize,
    pub targets: Targets,
}

/// Ground truth of a batch or a whole dataset.
#[derive(Debug)]
pub enum Targets {
    /// Class ids from the reader's [`LabelInterner`].
    Classes(Vec<u32>),
    Values(Vec<f64>),
}

/// A source of batches.
pub trait BatchReader: Send {
    fn schema(&self) -> &Schema;
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
) -> Result<Box<dyn BatchReader>, DataError> {
    if !path.exists() {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
        });
    }
    match crate::lfs::file_is_pointer(path) {
        Ok(Some(pointer)) => {
            return Err(DataError::LfsPointer(crate::lfs::pointer_message(
                path, &pointer,
            )));
        }
        Ok(None) => {}
        Err(source) => {
            return Err(DataError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => Ok(Box::new(csv_reader::CsvReader::open(config, path, task)?)),
        "" => Err(DataError::NoExtension {
            path: path.to_path_buf(),
        }),
        "npz" | "npy" => Ok(Box::new(npy_reader::NpyReader::open(
            config, path, task, limits,
        )?)),
        _ => Err(DataError::UnsupportedFormat {
            path: path.to_path_buf(),
            extension,
        }),
    }
}
