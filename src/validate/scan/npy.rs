//! NumPy: an `.npy` array, or the per-row arrays of an `.npz` archive, row by row.
//!
//! Columns are named as the evaluation reader ([`crate::data`]) names them: a 2-D feature
//! array's columns are `x0`, `x1`, …; in an `.npz`, the feature array is `x` (or `X`) and
//! every other array holding one value per row (shape `[rows]` or `[rows, 1]`, such as the
//! target `y`) is a column named after the array. Arrays of other shapes are not rows of
//! this table and are left out. A 1-D `.npy` (a target file) is one column named after the
//! file, as `data.label` names it.
//!
//! Every header is checked against the bytes that follow before anything is read
//! ([`NpyHeader::check`]): an `.npy` is then streamed, an `.npz` member read whole (zip
//! members cannot be held open side by side) within the memory budget.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::data::npy_header::NpyHeader;
use crate::data::{DataError, Limits, shown};
use crate::validate::cells::{Cell, Chunk, RowAt, Scanner};

pub struct NpyScanner {
    path: PathBuf,
    columns: Vec<String>,
    /// The arrays, in column order; each gives its columns of every row.
    arrays: Vec<Array>,
    rows: u64,
    /// Rows handed out so far.
    row: u64,
}

/// One array's rows: `width` elements of `dtype` each, read from `data`.
struct Array {
    name: String,
    dtype: Dtype,
    data: Box<dyn Read + Send>,
    /// One row's bytes.
    row: Vec<u8>,
}

impl Array {
    fn new(name: &str, dtype: Dtype, width: u64, data: Box<dyn Read + Send>) -> Array {
        // Widths are at most MAX_COLUMNS (checked when naming the columns).
        let bytes = usize::try_from(width).unwrap_or(0) * dtype.size;
        Array {
            name: name.to_owned(),
            dtype,
            data,
            row: vec![0; bytes],
        }
    }
}

impl NpyScanner {
    pub fn open(path: &Path, limits: &Limits) -> Result<NpyScanner, DataError> {
        let format = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        let is_npz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npz"));
        let (file, size) =
            crate::input_file::open_regular(path).map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let table = if is_npz {
            archive(file, limits)
        } else {
            single(file, size, path)
        };
        let Table {
            columns,
            arrays,
            rows,
        } = table.map_err(format)?;
        if columns.is_empty() {
            return Err(format(
                "no columns: the arrays hold no values per row".to_owned(),
            ));
        }
        Ok(NpyScanner {
            path: path.to_path_buf(),
            columns,
            arrays,
            rows,
            row: 0,
        })
    }

    /// Row `row + 1`'s cells into `chunk`.
    fn push_row(&mut self, chunk: &mut Chunk) -> Result<(), DataError> {
        self.row += 1;
        let row = self.row;
        let at = |message: String| DataError::AtRow {
            path: self.path.clone(),
            row,
            message,
        };
        chunk.start_row(RowAt { row, line: None });
        for array in &mut self.arrays {
            array.data.read_exact(&mut array.row).map_err(|e| {
                at(format!(
                    "cannot read array `{}`: {e} (was the file changed while it was read?)",
                    shown(array.name.as_bytes())
                ))
            })?;
            for element in array.row.chunks_exact(array.dtype.size) {
                chunk
                    .push(array.dtype.cell(element))
                    .map_err(|e| at(super::chunk_full(e)))?;
            }
        }
        Ok(())
    }
}

impl Scanner for NpyScanner {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, DataError> {
        super::reset(chunk, self.columns.len());
        while self.row < self.rows && !super::is_full(chunk) {
            self.push_row(chunk)?;
        }
        Ok(!chunk.is_empty())
    }
}

/// What an opened file holds: its columns, the arrays giving them, and the rows.
struct Table {
    columns: Vec<String>,
    arrays: Vec<Array>,
    rows: u64,
}

/// An `.npy` file: a 2-D array of features, or a 1-D array (one column, named after the
/// file). Streamed, so only its size is checked, not the memory budget.
fn single(file: File, size: u64, path: &Path) -> Result<Table, String> {
    let mut data = BufReader::new(file.take(size));
    let header = NpyHeader::read(&mut data)?;
    header.check(size, u64::MAX)?;
    let dtype = Dtype::of(&header)?;
    let (rows, width, columns) = match header.shape[..] {
        [rows, width] => (rows, width, feature_names(width)?),
        [rows] => {
            let name = path
                .file_name()
                .map_or_else(|| "y".to_owned(), |n| n.to_string_lossy().into_owned());
            (rows, 1, vec![name])
        }
        _ => {
            return Err(format!(
                "the array has shape {:?}; it must be 2-D [rows, features] or 1-D (one value per row)",
                header.shape
            ));
        }
    };
    Ok(Table {
        columns,
        arrays: vec![Array::new("x", dtype, width, Box::new(data))],
        rows,
    })
}

/// An `.npz` archive: its feature array `x` and the arrays with one value per row.
fn archive(file: File, limits: &Limits) -> Result<Table, String> {
    let unreadable = |e: zip::result::ZipError| format!("not a readable .npz archive: {e}");
    let mut zip = zip::ZipArchive::new(file).map_err(unreadable)?;
    if zip.len() > super::MAX_COLUMNS {
        return Err(format!(
            "{} arrays; at most {} are read",
            zip.len(),
            super::MAX_COLUMNS
        ));
    }
    let mut members = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(unreadable)?;
        // ndarray-npy and the evaluation reader name members without their `.npy` suffix.
        let name = member.name().trim_end_matches(".npy").to_owned();
        let header = NpyHeader::read(&mut member)
            .map_err(|e| format!("array `{}`: {e}", shown(name.as_bytes())))?;
        members.push((name, header, member.size()));
    }
    let names: Vec<&str> = members.iter().map(|(n, ..)| n.as_str()).collect();
    let x = names
        .iter()
        .position(|n| *n == "x" || *n == "X")
        .ok_or_else(|| format!("no feature array `x` (arrays: {})", names.join(", ")))?;
    let [rows, width] = members[x].1.shape[..] else {
        return Err(format!(
            "array `{}` has shape {:?}; it must be 2-D [rows, features]",
            names[x], members[x].1.shape
        ));
    };
    let per_row = |(i, (_, header, _)): &(usize, &(String, NpyHeader, u64))| {
        *i != x && (header.shape == [rows] || header.shape == [rows, 1])
    };
    let chosen: Vec<usize> = std::iter::once(x)
        .chain(members.iter().enumerate().filter(per_row).map(|(i, _)| i))
        .collect();
    let mut columns = feature_names(width)?;
    let mut arrays = Vec::with_capacity(chosen.len());
    let mut budget = limits.max_memory_bytes;
    for i in chosen {
        let (name, header, size) = &members[i];
        let context = |e: String| format!("array `{}`: {e}", shown(name.as_bytes()));
        header.check(*size, budget).map_err(context)?;
        let dtype = Dtype::of(header).map_err(context)?;
        let (_, bytes) = header.data_bytes().map_err(context)?;
        budget = budget.saturating_sub(bytes);
        let data = read_member(&mut zip, i, bytes).map_err(context)?;
        let width = if i == x {
            width
        } else {
            columns.push(name.clone());
            1
        };
        arrays.push(Array::new(name, dtype, width, Box::new(Cursor::new(data))));
    }
    Ok(Table {
        columns,
        arrays,
        rows,
    })
}

/// The `bytes` of data after member `i`'s header, read as they come (a member that holds
/// fewer than its header declares is an error, and never a buffer of the declared size).
fn read_member(zip: &mut zip::ZipArchive<File>, i: usize, bytes: u64) -> Result<Vec<u8>, String> {
    let mut member = zip.by_index(i).map_err(|e| e.to_string())?;
    NpyHeader::read(&mut member)?;
    let mut data = Vec::new();
    member
        .take(bytes)
        .read_to_end(&mut data)
        .map_err(|e| format!("cannot read the data: {e}"))?;
    if data.len() as u64 != bytes {
        return Err(format!(
            "truncated: the header declares {bytes} bytes of data, but {} follow",
            data.len()
        ));
    }
    Ok(data)
}

/// `x0`, `x1`, … for a feature array of `width` columns.
fn feature_names(width: u64) -> Result<Vec<String>, String> {
    if width > super::MAX_COLUMNS as u64 {
        return Err(format!(
            "the feature array has {width} columns; validation reads at most {}",
            super::MAX_COLUMNS
        ));
    }
    Ok((0..width).map(|i| format!("x{i}")).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    UInt,
    Bool,
}

/// An element type, as the bytes of a row are decoded.
#[derive(Debug, Clone, Copy)]
struct Dtype {
    kind: Kind,
    size: usize,
    big_endian: bool,
}

impl Dtype {
    /// The header's element type; the types [`NpyHeader::data_bytes`] refuses are refused.
    fn of(header: &NpyHeader) -> Result<Dtype, String> {
        header.data_bytes()?;
        let descr = header.descr.as_str();
        let big_endian =
            descr.starts_with('>') || (descr.starts_with('=') && cfg!(target_endian = "big"));
        let (kind, size) = match descr.trim_start_matches(['<', '>', '|', '=']) {
            "f8" => (Kind::Float, 8),
            "f4" => (Kind::Float, 4),
            "i8" => (Kind::Int, 8),
            "i4" => (Kind::Int, 4),
            "i2" => (Kind::Int, 2),
            "i1" => (Kind::Int, 1),
            "u8" => (Kind::UInt, 8),
            "u4" => (Kind::UInt, 4),
            "u2" => (Kind::UInt, 2),
            "u1" => (Kind::UInt, 1),
            "b1" => (Kind::Bool, 1),
            _ => return Err(format!("dtype `{descr}` is not supported")),
        };
        Ok(Dtype {
            kind,
            size,
            big_endian,
        })
    }

    /// One element (`size` bytes) as a cell; a uint64 above `i64::MAX` is a float.
    fn cell(self, bytes: &[u8]) -> Cell<'static> {
        let fold = |raw: u64, &b: &u8| raw << 8 | u64::from(b);
        let raw = if self.big_endian {
            bytes.iter().fold(0, fold)
        } else {
            bytes.iter().rev().fold(0, fold)
        };
        let shift = 64 - 8 * bytes.len() as u32;
        match self.kind {
            Kind::Float if self.size == 4 => Cell::Float(f64::from(f32::from_bits(raw as u32))),
            Kind::Float => Cell::Float(f64::from_bits(raw)),
            Kind::Int => Cell::Int(((raw << shift) as i64) >> shift),
            Kind::UInt => i64::try_from(raw).map_or(Cell::Float(raw as f64), Cell::Int),
            Kind::Bool => Cell::Bool(raw != 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;
    use ndarray_npy::{NpzWriter, WriteNpyExt};

    use super::super::test_support::*;
    use super::*;

    /// An `.npy` file's bytes: a version 1 header for `descr` and `shape`, then `body`.
    fn npy_bytes(descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (header.len() + 11) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn an_npy_matrix_is_read_row_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        array![[1.5f32, f32::NAN], [-2.0, 3.0]]
            .write_npy(File::create(&path).unwrap())
            .unwrap();
        let (columns, rows) = scan(&path).unwrap();
        assert_eq!(columns, ["x0", "x1"]);
        assert_eq!(rows[0].0, RowAt { row: 1, line: None });
        assert_eq!(rows[0].1, [Owned::Float(1.5), Owned::Null]);
        assert_eq!(rows[1].1, [Owned::Float(-2.0), Owned::Float(3.0)]);
        let path = dir.path().join("y.npy");
        array![7i64, -1]
            .write_npy(File::create(&path).unwrap())
            .unwrap();
        let (columns, rows) = scan(&path).unwrap();
        assert_eq!(columns, ["y.npy"]);
        assert_eq!(rows[1].1, [Owned::Int(-1)]);
    }

    #[test]
    fn every_dtype_decodes_in_either_byte_order() {
        let (_dir, path) = file(
            "x.npy",
            &npy_bytes("<i2", "(1, 2)", &[0xfe, 0xff, 0x05, 0x00]),
        );
        assert_eq!(scan(&path).unwrap().1[0].1, [Owned::Int(-2), Owned::Int(5)]);
        let (_dir, path) = file(
            "x.npy",
            &npy_bytes(">i4", "(1, 1)", &[0xff, 0xff, 0xff, 0xfd]),
        );
        assert_eq!(scan(&path).unwrap().1[0].1, [Owned::Int(-3)]);
        let (_dir, path) = file("x.npy", &npy_bytes("<u8", "(1, 1)", &[0xff; 8]));
        assert_eq!(scan(&path).unwrap().1[0].1, [Owned::Float(u64::MAX as f64)]);
        let (_dir, path) = file("x.npy", &npy_bytes("|b1", "(1, 2)", &[0, 1]));
        assert_eq!(
            scan(&path).unwrap().1[0].1,
            [Owned::Bool(false), Owned::Bool(true)]
        );
        let (_dir, path) = file("x.npy", &npy_bytes(">f8", "(1, 1)", &2.5f64.to_be_bytes()));
        assert_eq!(scan(&path).unwrap().1[0].1, [Owned::Float(2.5)]);
    }

    #[test]
    fn an_npz_archive_gives_the_features_then_the_per_row_arrays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.npz");
        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("names", &array![1u8, 2]).unwrap();
        npz.add_array("x", &array![[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]])
            .unwrap();
        npz.add_array("y", &array![[0i64], [1], [0]]).unwrap();
        npz.add_array("ok", &array![true, false, true]).unwrap();
        npz.finish().unwrap();
        let (columns, rows) = scan(&path).unwrap();
        assert_eq!(columns, ["x0", "x1", "y", "ok"]);
        assert_eq!(
            rows[1].1,
            [
                Owned::Float(3.0),
                Owned::Float(4.0),
                Owned::Int(1),
                Owned::Bool(false)
            ]
        );
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn a_wrong_header_names_the_file() {
        let (_dir, path) = file("x.npy", b"\x93NUMPX\x01\x00garbage");
        let err = scan_error(&path);
        assert!(err.contains("x.npy: not a .npy array"), "{err}");
        let (_dir, path) = file("x.npy", &npy_bytes("<f8", "(100000000000, 4)", &[0; 64]));
        let err = scan_error(&path);
        assert!(
            err.contains(
                "x.npy: truncated or corrupt: the header declares shape (100000000000, 4)"
            ),
            "{err}"
        );
        let (_dir, path) = file("x.npy", &npy_bytes("<f8", "(100000000000, 0)", &[]));
        assert!(scan_error(&path).contains("x.npy: no columns"));
        let (_dir, path) = file("x.npy", &npy_bytes("<U8", "(1, 1)", &[0; 32]));
        assert!(scan_error(&path).contains("dtype `<U8` is not supported"));
        let (_dir, path) = file("d.npz", b"PK\x03\x04 not really");
        let err = scan_error(&path);
        assert!(err.contains("d.npz: not a readable .npz archive"), "{err}");
    }

    #[test]
    fn a_file_cut_short_while_scanning_names_the_row() {
        let rows = 100_000u64;
        let body: Vec<u8> = (0..rows).flat_map(|i| (i as f64).to_le_bytes()).collect();
        let (_dir, path) = file("x.npy", &npy_bytes("<f8", &format!("({rows}, 1)"), &body));
        let mut scanner = super::super::open(&path).unwrap();
        let mut chunk = Chunk::new(1);
        assert!(scanner.fill(&mut chunk).unwrap());
        assert_eq!(chunk.cell(4095, 0), Cell::Float(4095.0));
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(50_000 * 8)
            .unwrap();
        let err = loop {
            match scanner.fill(&mut chunk) {
                Ok(true) => {}
                Ok(false) => panic!("the cut went unnoticed"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(err.contains("x.npy: row "), "{err}");
        assert!(err.contains("cannot read array `x`"), "{err}");
    }
}
