//! Scanners: every column of a data file as typed [`Cell`](super::cells::Cell)s, a
//! [`Chunk`] of rows at a time, one scanner per format.
//!
//! Unlike the evaluation readers ([`crate::data`]), a scanner knows nothing of the models:
//! it reads every column as the file has it, so that validation sees what the file holds.
//! Every scanner follows the same rules:
//!
//! - `fill` returns `Ok(true)` with at least one row, and `Ok(false)` with an empty chunk
//!   once the file is done; after an error it reads no further.
//! - A chunk stops growing at [`CHUNK_ROWS`] rows, [`MAX_CHUNK_TEXT`] bytes of text or
//!   [`MAX_CHUNK_CELLS`] cells, whichever comes first; a row is never split.
//! - Nothing is allocated that the file did not pay for: declared sizes are checked against
//!   the file before any buffer is sized by them, and one record, one line or one column
//!   list is bounded ([`MAX_COLUMNS`], and each format's own bound).

mod csv;
mod jsonl;
mod npy;
mod parquet;

use std::path::Path;

use super::cells::{CHUNK_ROWS, Chunk, ChunkFull, MAX_CHUNK_TEXT, Scanner};
use crate::data::{DataError, Limits};

/// Cells in a chunk, at most: a very wide file gets fewer rows per chunk, not gigabytes of
/// cells (4096 rows of 10,000 columns would be 40 million).
pub const MAX_CHUNK_CELLS: usize = 1 << 20;

/// Columns a file may have. Validation keeps a profile per column, so a header of a million
/// one-letter names (a few MiB of text) must not turn into a million profiles.
pub const MAX_COLUMNS: usize = 16_384;

/// Opens `path` for scanning, by its extension (as [`crate::data::open`] does), after the
/// same checks: the file must exist and hold the data, not a Git LFS pointer.
pub fn open(path: &Path) -> Result<Box<dyn Scanner>, DataError> {
    open_with(path, &Limits::default())
}

/// [`open`] with a memory budget other than the default: what a Parquet row group may
/// declare, and what the arrays of an `.npz` (read whole) may hold.
pub fn open_with(path: &Path, limits: &Limits) -> Result<Box<dyn Scanner>, DataError> {
    crate::data::check_present(path)?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => Ok(Box::new(self::csv::CsvScanner::open(path)?)),
        "parquet" | "pq" => Ok(Box::new(self::parquet::ParquetScanner::open(path, limits)?)),
        "jsonl" | "ndjson" => Ok(Box::new(self::jsonl::JsonlScanner::open(path)?)),
        "npy" | "npz" => Ok(Box::new(self::npy::NpyScanner::open(path, limits)?)),
        "" => Err(DataError::NoExtension {
            path: path.to_path_buf(),
        }),
        _ => Err(DataError::UnsupportedFormat {
            path: path.to_path_buf(),
            extension,
        }),
    }
}

/// Empties `chunk` for rows of `width` cells, whatever width the caller made it with.
fn reset(chunk: &mut Chunk, width: usize) {
    if chunk.width() == width {
        chunk.clear();
    } else {
        *chunk = Chunk::new(width);
    }
}

/// Whether `chunk` takes no more rows.
fn is_full(chunk: &Chunk) -> bool {
    chunk.len() >= CHUNK_ROWS
        || chunk.text_len() >= MAX_CHUNK_TEXT
        || chunk.len() * chunk.width() >= MAX_CHUNK_CELLS
}

/// A file with more columns than [`MAX_COLUMNS`], as an error.
fn too_many_columns(path: &Path, columns: impl std::fmt::Display) -> DataError {
    DataError::Format {
        path: path.to_path_buf(),
        message: format!(
            "{columns} columns; validation reads at most {MAX_COLUMNS}: split the file, or leave it out of validation"
        ),
    }
}

/// What a [`ChunkFull`] means to a user (it cannot happen within the scanners' bounds).
fn chunk_full(e: ChunkFull) -> String {
    format!("{e}; split the file")
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Reading a scanner to the end, with the invariants every scanner keeps.

    use super::*;
    use crate::validate::cells::{Cell, RowAt};

    /// A cell as owned data, to compare whole files.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Owned {
        Null,
        Bool(bool),
        Int(i64),
        Float(f64),
        Text(String),
    }

    impl From<Cell<'_>> for Owned {
        fn from(cell: Cell<'_>) -> Owned {
            match cell {
                Cell::Null => Owned::Null,
                Cell::Bool(b) => Owned::Bool(b),
                Cell::Int(i) => Owned::Int(i),
                Cell::Float(f) => Owned::Float(f),
                Cell::Text(s) => Owned::Text(s.to_owned()),
            }
        }
    }

    pub fn text(s: &str) -> Owned {
        Owned::Text(s.to_owned())
    }

    /// Every row of a file, with where it is.
    pub type Rows = Vec<(RowAt, Vec<Owned>)>;

    /// The columns and rows; or the first error as text.
    pub fn scan(path: &Path) -> Result<(Vec<String>, Rows), String> {
        let mut scanner = open(path).map_err(|e| e.to_string())?;
        let columns = scanner.columns().to_vec();
        // A chunk of the wrong width is put right by the scanner.
        let mut chunk = Chunk::new(columns.len() + 1);
        let mut rows = Vec::new();
        while scanner.fill(&mut chunk).map_err(|e| e.to_string())? {
            assert!(!chunk.is_empty() && chunk.len() <= CHUNK_ROWS);
            assert_eq!(chunk.width(), columns.len());
            for r in 0..chunk.len() {
                rows.push((chunk.at(r), chunk.row(r).map(Owned::from).collect()));
            }
        }
        assert!(chunk.is_empty());
        assert!(!scanner.fill(&mut chunk).unwrap(), "the end stays the end");
        for (i, (at, _)) in rows.iter().enumerate() {
            assert_eq!(at.row, i as u64 + 1);
        }
        Ok((columns, rows))
    }

    /// The error scanning `path` gives, as text.
    pub fn scan_error(path: &Path) -> String {
        match scan(path) {
            Ok(rows) => panic!("{} scanned without an error: {rows:?}", path.display()),
            Err(e) => e,
        }
    }

    /// A file named `name` holding `bytes`, in a temporary folder.
    pub fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[test]
    fn files_that_cannot_be_scanned_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let err = scan_error(&dir.path().join("absent.csv"));
        assert!(err.contains("absent.csv does not exist"), "{err}");
        let (_dir, path) = file("d.txt", b"a,b\n");
        assert!(scan_error(&path).contains("is a `.txt` file"));
        let (_dir, path) = file("data", b"a,b\n");
        assert!(scan_error(&path).contains("has no file extension"));
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
        let (_dir, path) = file("d.csv", pointer);
        let err = scan_error(&path);
        assert!(err.contains("LFS"), "{err}");
    }
}
