//! Parquet: every column, decoded by the `parquet` crate's Arrow reader a batch of
//! [`CHUNK_ROWS`] rows at a time, with the evaluation reader's checks on the file's declared
//! sizes and its guard against decoder panics.
//!
//! Numbers, booleans and strings are read as [`crate::data`] reads them
//! ([`Column`]); dates, times and timestamps become ISO 8601 text and decimals floats first
//! (a timestamp with a time zone is shown in UTC, with a `Z`). Any other type is refused when
//! the file is opened, naming the column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type,
    Decimal256Type, DecimalType, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, Float64Array, PrimitiveArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use crate::data::parquet_cells::{ArrowCell, Column};
use crate::data::parquet_reader::{builder, check_row_groups, guarded, unreadable};
use crate::data::{DataError, Limits};
use crate::validate::cells::{CHUNK_ROWS, Cell, Chunk, RowAt, Scanner};

pub struct ParquetScanner {
    path: PathBuf,
    columns: Vec<String>,
    /// `None` once the file ended or failed.
    reader: Option<ParquetRecordBatchReader>,
    /// A decoded batch partly handed out.
    pending: Option<Batch>,
    /// Rows handed out so far.
    row: u64,
}

/// A decoded batch, each column in a type [`Column`] reads.
struct Batch {
    arrays: Vec<ArrayRef>,
    rows: usize,
    next: usize,
}

impl ParquetScanner {
    /// Reads the footer; refuses a file without columns, a column of a type not read, and
    /// row groups the evaluation reader would refuse (sizes beyond the file or the budget).
    pub fn open(path: &Path, limits: &Limits) -> Result<ParquetScanner, DataError> {
        let (builder, size) = builder(path)?;
        let fields = builder.schema().fields();
        if fields.is_empty() {
            return Err(unreadable(path, "the file has no columns"));
        }
        if fields.len() > super::MAX_COLUMNS {
            return Err(super::too_many_columns(
                path,
                format_args!("the file has {}", fields.len()),
            ));
        }
        for field in fields {
            let empty = arrow_array::new_empty_array(field.data_type());
            let read = guarded(path, || {
                readable(&empty).is_ok_and(|a| Column::new(a.as_ref()).is_ok())
            })?;
            if !read {
                return Err(DataError::Format {
                    path: path.to_path_buf(),
                    message: format!(
                        "column `{}` is of Parquet/Arrow type {}, which validation does not read; \
                         convert it to numbers, strings, booleans or dates",
                        crate::data::shown(field.name().as_bytes()),
                        field.data_type()
                    ),
                });
            }
        }
        let columns: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
        let roots: Vec<usize> = (0..columns.len()).collect();
        check_row_groups(&builder, &roots, limits, path, size)?;
        let reader = guarded(path, || builder.with_batch_size(CHUNK_ROWS).build())?
            .map_err(|e| unreadable(path, e))?;
        Ok(ParquetScanner {
            path: path.to_path_buf(),
            columns,
            reader: Some(reader),
            pending: None,
            row: 0,
        })
    }

    fn at(&self, row: u64, message: String) -> DataError {
        DataError::AtRow {
            path: self.path.clone(),
            row,
            message,
        }
    }

    /// The next decoded batch, its columns made readable; `None` at the end.
    fn next_batch(&mut self) -> Result<Option<Batch>, DataError> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(None);
        };
        let next = guarded(&self.path, || reader.next());
        let decoded = match next {
            Ok(Some(Ok(decoded))) => decoded,
            Ok(None) => {
                self.reader = None;
                return Ok(None);
            }
            Ok(Some(Err(e))) => {
                self.reader = None;
                return Err(self.at(
                    self.row + 1,
                    format!(
                        "cannot decode the Parquet data from here on (truncated or corrupt): {e}"
                    ),
                ));
            }
            Err(e) => {
                self.reader = None;
                return Err(e);
            }
        };
        let converted = guarded(&self.path, || {
            decoded
                .columns()
                .iter()
                .enumerate()
                .map(|(c, a)| readable(a).map_err(|r| (c, r)))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let arrays = converted.map_err(|(c, r)| {
            let name = self.columns.get(c).map_or("", String::as_str);
            self.at(
                self.row + 1 + r as u64,
                format!(
                    "column `{}` holds a date or time outside the range that can be shown",
                    crate::data::shown(name.as_bytes())
                ),
            )
        })?;
        Ok(Some(Batch {
            arrays,
            rows: decoded.num_rows(),
            next: 0,
        }))
    }

    /// Rows of `batch` into `chunk`, until either is done.
    fn push_rows(&mut self, chunk: &mut Chunk, batch: &mut Batch) -> Result<(), DataError> {
        let columns = batch
            .arrays
            .iter()
            .map(|a| Column::new(a.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|ty| self.at(self.row + 1, format!("a column of type {ty} is not read")))?;
        while batch.next < batch.rows && !super::is_full(chunk) {
            self.row += 1;
            chunk.start_row(RowAt {
                row: self.row,
                line: None,
            });
            for (c, column) in columns.iter().enumerate() {
                let cell = cell(column.cell(batch.next)).ok_or_else(|| {
                    self.at(
                        self.row,
                        format!(
                            "column `{}` holds bytes that are not UTF-8 text",
                            crate::data::shown(self.columns[c].as_bytes())
                        ),
                    )
                })?;
                chunk
                    .push(cell)
                    .map_err(|e| self.at(self.row, super::chunk_full(e)))?;
            }
            batch.next += 1;
        }
        Ok(())
    }
}

impl Scanner for ParquetScanner {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, DataError> {
        super::reset(chunk, self.columns.len());
        while !super::is_full(chunk) {
            let mut batch = match self.pending.take() {
                Some(batch) => batch,
                None => match self.next_batch()? {
                    Some(batch) => batch,
                    None => break,
                },
            };
            self.push_rows(chunk, &mut batch)?;
            if batch.next < batch.rows {
                self.pending = Some(batch);
            }
        }
        Ok(!chunk.is_empty())
    }
}

/// A decoded value as a cell; `None` for binary data that is not UTF-8.
fn cell(value: ArrowCell<'_>) -> Option<Cell<'_>> {
    Some(match value {
        ArrowCell::Null => Cell::Null,
        ArrowCell::Float(f) => Cell::Float(f),
        ArrowCell::Int(i) => Cell::Int(i),
        ArrowCell::UInt(u) => i64::try_from(u).map_or(Cell::Float(u as f64), Cell::Int),
        ArrowCell::Bool(b) => Cell::Bool(b),
        ArrowCell::Text(raw) => Cell::Text(std::str::from_utf8(raw).ok()?),
    })
}

/// `array` in a type [`Column`] reads: dates and times as ISO 8601 text, decimals as
/// floats, anything else as it is. An error is the row of a date out of range.
fn readable(array: &ArrayRef) -> Result<ArrayRef, usize> {
    let a = array.as_ref();
    if let Some(a) = a.as_primitive_opt::<Date32Type>() {
        return iso(a, |a, i| a.value_as_date(i).map(|d| format!("{d:?}")));
    }
    if let Some(a) = a.as_primitive_opt::<Date64Type>() {
        return iso(a, |a, i| a.value_as_date(i).map(|d| format!("{d:?}")));
    }
    if let Some(result) = timestamps(a) {
        return result;
    }
    if let Some(a) = a.as_primitive_opt::<Time32SecondType>() {
        return iso(a, |a, i| a.value_as_time(i).map(|t| format!("{t:?}")));
    }
    if let Some(a) = a.as_primitive_opt::<Time32MillisecondType>() {
        return iso(a, |a, i| a.value_as_time(i).map(|t| format!("{t:?}")));
    }
    if let Some(a) = a.as_primitive_opt::<Time64MicrosecondType>() {
        return iso(a, |a, i| a.value_as_time(i).map(|t| format!("{t:?}")));
    }
    if let Some(a) = a.as_primitive_opt::<Time64NanosecondType>() {
        return iso(a, |a, i| a.value_as_time(i).map(|t| format!("{t:?}")));
    }
    if let Some(a) = a.as_primitive_opt::<Decimal32Type>() {
        return Ok(decimals(a));
    }
    if let Some(a) = a.as_primitive_opt::<Decimal64Type>() {
        return Ok(decimals(a));
    }
    if let Some(a) = a.as_primitive_opt::<Decimal128Type>() {
        return Ok(decimals(a));
    }
    if let Some(a) = a.as_primitive_opt::<Decimal256Type>() {
        return Ok(decimals(a));
    }
    Ok(Arc::clone(array))
}

/// A timestamp column of any unit as ISO 8601 text, if `a` is one.
fn timestamps(a: &dyn Array) -> Option<Result<ArrayRef, usize>> {
    macro_rules! unit {
        ($t:ty) => {
            if let Some(a) = a.as_primitive_opt::<$t>() {
                // Arrow holds the instant in UTC whatever the zone it names.
                let zone = if a.timezone().is_some() { "Z" } else { "" };
                return Some(iso(a, |a, i| {
                    a.value_as_datetime(i).map(|t| format!("{t:?}{zone}"))
                }));
            }
        };
    }
    unit!(TimestampSecondType);
    unit!(TimestampMillisecondType);
    unit!(TimestampMicrosecondType);
    unit!(TimestampNanosecondType);
    None
}

/// Each non-null value of `a` as the text `show` gives it; an error is the row it fails on.
fn iso<T: ArrowPrimitiveType>(
    a: &PrimitiveArray<T>,
    show: impl Fn(&PrimitiveArray<T>, usize) -> Option<String>,
) -> Result<ArrayRef, usize> {
    let mut out = StringBuilder::with_capacity(a.len(), a.len() * 24);
    for i in 0..a.len() {
        if a.is_null(i) {
            out.append_null();
        } else {
            out.append_value(show(a, i).ok_or(i)?);
        }
    }
    Ok(Arc::new(out.finish()))
}

/// Decimals as the nearest floats, through their exact decimal text.
fn decimals<T: DecimalType>(a: &PrimitiveArray<T>) -> ArrayRef {
    let floats: Float64Array = (0..a.len())
        .map(|i| {
            a.is_valid(i)
                .then(|| a.value_as_string(i).parse().unwrap_or(f64::NAN))
        })
        .collect();
    Arc::new(floats)
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use arrow_array::{
        BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Float32Array,
        Int32Array, ListArray, RecordBatch, StringArray, TimestampMillisecondArray, UInt64Array,
    };
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::super::test_support::*;
    use super::*;

    /// A Parquet file of `columns` in row groups of `group_rows` rows.
    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, group_rows: usize) {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group_rows))
            .build();
        let mut writer =
            ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn every_column_is_read_as_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.parquet");
        let hostile = "x\n::error::INJECTED";
        let city: DictionaryArray<arrow_array::types::Int32Type> =
            vec![Some("Paris"), None, Some("Rome")]
                .into_iter()
                .collect();
        write(
            &path,
            vec![
                (
                    "n",
                    Arc::new(Int32Array::from(vec![Some(1), None, Some(-3)])) as ArrayRef,
                ),
                (
                    "u",
                    Arc::new(UInt64Array::from(vec![0, 1, u64::MAX])) as ArrayRef,
                ),
                (
                    "x",
                    Arc::new(Float32Array::from(vec![1.5, f32::NAN, 2.0])) as ArrayRef,
                ),
                (
                    "flag",
                    Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef,
                ),
                (
                    "s",
                    Arc::new(StringArray::from(vec![Some("a"), Some(hostile), None])) as ArrayRef,
                ),
                ("city", Arc::new(city) as ArrayRef),
                (
                    "day",
                    Arc::new(Date32Array::from(vec![Some(0), Some(19_000), None])) as ArrayRef,
                ),
                (
                    "at",
                    Arc::new(
                        TimestampMillisecondArray::from(vec![0, 1_500, 86_400_000])
                            .with_timezone("+02:00"),
                    ) as ArrayRef,
                ),
                (
                    "price",
                    Arc::new(
                        Decimal128Array::from(vec![12345, -5, 0])
                            .with_precision_and_scale(9, 2)
                            .unwrap(),
                    ) as ArrayRef,
                ),
            ],
            2,
        );
        let (columns, rows) = scan(&path).unwrap();
        assert_eq!(
            columns,
            ["n", "u", "x", "flag", "s", "city", "day", "at", "price"]
        );
        assert!(rows.iter().all(|(at, _)| at.line.is_none()));
        assert_eq!(
            rows[0].1,
            [
                Owned::Int(1),
                Owned::Int(0),
                Owned::Float(1.5),
                Owned::Bool(true),
                text("a"),
                text("Paris"),
                text("1970-01-01"),
                text("1970-01-01T00:00:00Z"),
                Owned::Float(123.45)
            ]
        );
        assert_eq!(
            rows[1].1,
            [
                Owned::Null,
                Owned::Int(1),
                Owned::Null,
                Owned::Bool(false),
                text(hostile),
                Owned::Null,
                text("2022-01-08"),
                text("1970-01-01T00:00:01.500Z"),
                Owned::Float(-0.05)
            ]
        );
        assert_eq!(rows[2].1[1], Owned::Float(u64::MAX as f64));
        assert_eq!(rows[2].1[6], Owned::Null);
    }

    #[test]
    fn a_truncated_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.parquet");
        write(
            &path,
            vec![(
                "n",
                Arc::new(Int32Array::from_iter_values(0..1000)) as ArrayRef,
            )],
            100,
        );
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = scan_error(&path);
        assert!(
            err.contains("d.parquet: not a readable Parquet file"),
            "{err}"
        );
        // The footer intact, the data behind it cut into: an error at a row.
        let mut cut = bytes.clone();
        let footer =
            8 + u32::from_le_bytes(bytes[bytes.len() - 8..][..4].try_into().unwrap()) as usize;
        let data = bytes.len() - footer;
        cut.splice(data / 2..data, std::iter::repeat_n(0xAB, data - data / 2));
        std::fs::write(&path, &cut).unwrap();
        let err = scan_error(&path);
        assert!(err.contains("d.parquet: row "), "{err}");
    }

    #[test]
    fn columns_of_other_types_and_binary_that_is_not_text_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.parquet");
        let nested =
            ListArray::from_iter_primitive::<arrow_array::types::Int32Type, _, _>(vec![Some(
                vec![Some(1), Some(2)],
            )]);
        write(&path, vec![("points", Arc::new(nested) as ArrayRef)], 10);
        let err = scan_error(&path);
        assert!(
            err.contains("d.parquet: column `points` is of Parquet/Arrow type List"),
            "{err}"
        );
        let bytes: Vec<&[u8]> = vec![b"ok", b"\xff"];
        write(
            &path,
            vec![("b", Arc::new(BinaryArray::from(bytes)) as ArrayRef)],
            10,
        );
        let err = scan_error(&path);
        assert!(
            err.contains("d.parquet: row 2: column `b` holds bytes that are not UTF-8 text"),
            "{err}"
        );
    }
}
