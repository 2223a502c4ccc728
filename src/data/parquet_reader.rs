//! Parquet: only the columns in use are decoded (a projection), a row group at a time, in
//! Arrow record batches of a few thousand rows; a batch of evaluation rows is assembled from
//! them, so memory stays at about one batch plus the pages being decoded.
//!
//! The file's embedded Arrow schema is ignored (`skip_arrow_metadata`): a pandas categorical
//! then reads as plain strings, whatever dictionary type pandas recorded. A decoder panic on a
//! corrupt file is caught and reported as an error: a reader thread that died quietly would
//! look like the end of the data.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};

use super::convert::Element;
use super::layout::Layout;
use super::parquet_cells::Column;
use super::targets::TargetSink;
use super::{
    Batch, BatchReader, DataError, DataSource, FeedValues, Limits, ReadPlan, Schema, Targets,
};
use crate::config::{DataConfig, Task};

/// Rows per decoded Arrow batch: large enough to amortise the decoder's per-batch work,
/// small enough that a batch of evaluation rows holds few of them.
const ARROW_BATCH_ROWS: usize = 8192;

pub struct ParquetSource {
    path: PathBuf,
    schema: Schema,
    task: Task,
    limits: Limits,
    builder: ParquetRecordBatchReaderBuilder<File>,
    /// Bytes of the file when it was opened.
    size: u64,
}

pub(crate) fn unreadable(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::Format {
        path: path.to_path_buf(),
        message: format!("not a readable Parquet file: {e}"),
    }
}

/// Runs the decoder, turning a panic on a corrupt file into an error.
pub(crate) fn guarded<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, DataError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("the decoder failed");
        unreadable(path, format!("corrupt data ({why})"))
    })
}

pub(crate) fn builder(
    path: &Path,
) -> Result<(ParquetRecordBatchReaderBuilder<File>, u64), DataError> {
    let (file, size) = crate::input_file::open_regular(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let builder = guarded(path, || {
        ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
    })?
    .map_err(|e| unreadable(path, e))?;
    Ok((builder, size))
}

impl ParquetSource {
    pub fn open(
        config: &DataConfig,
        path: &Path,
        task: Task,
        limits: &Limits,
    ) -> Result<Self, DataError> {
        let (builder, size) = builder(path)?;
        let columns: Vec<String> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        if builder.metadata().file_metadata().num_rows() <= 0 {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        let label = config.label.as_deref().ok_or_else(|| DataError::Format {
            path: path.to_path_buf(),
            message: "`data.label` is not set: name the column that holds the ground truth"
                .to_owned(),
        })?;
        let schema = Schema::new(columns, label, config, path, true)?;
        Ok(ParquetSource {
            path: path.to_path_buf(),
            schema,
            task,
            limits: *limits,
            builder,
            size,
        })
    }
}

impl DataSource for ParquetSource {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn read(self: Box<Self>, plan: &ReadPlan) -> Result<Box<dyn BatchReader>, DataError> {
        let ParquetSource {
            path,
            schema,
            task,
            limits,
            builder,
            size,
        } = *self;
        let layout = Layout::new(plan, &schema);
        let label = schema.index(&schema.label).unwrap_or(0);
        let mut roots: Vec<usize> = layout.columns.clone();
        roots.push(label);
        check_row_groups(&builder, &roots, &limits, &path, size)?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
        // Projected columns come back in file order: where each of ours is in a batch.
        let mut in_file_order = roots.clone();
        in_file_order.sort_unstable();
        in_file_order.dedup();
        let at = |c: usize| in_file_order.iter().position(|&x| x == c).unwrap_or(0);
        let columns_at = layout.columns.iter().map(|&c| at(c)).collect();
        let label_at = at(label);
        let reader = guarded(&path, || {
            builder
                .with_projection(mask)
                .with_batch_size(ARROW_BATCH_ROWS)
                .build()
        })?
        .map_err(|e| unreadable(&path, e))?;
        Ok(Box::new(ParquetReader {
            targets: TargetSink::new(task, &schema.label),
            path,
            layout,
            columns_at,
            label_at,
            reader: Some(reader),
            pending: None,
            rows_read: 0,
        }))
    }
}

/// Refuses a row group whose columns in use declare more bytes, uncompressed, than the
/// memory budget (the decoder allocates pages by what the file declares), or a column chunk
/// outside the file (the decoder asserts on a negative offset; found by fuzzing).
pub(crate) fn check_row_groups(
    builder: &ParquetRecordBatchReaderBuilder<File>,
    roots: &[usize],
    limits: &Limits,
    path: &Path,
    file_size: u64,
) -> Result<(), DataError> {
    let descr = builder.parquet_schema();
    for (i, group) in builder.metadata().row_groups().iter().enumerate() {
        let in_use = |leaf: &usize| {
            *leaf < descr.num_columns() && roots.contains(&descr.get_column_root_idx(*leaf))
        };
        for leaf in (0..group.num_columns()).filter(in_use) {
            let chunk = group.column(leaf);
            if let Some(codec) = unsupported_codec(chunk.compression()) {
                return Err(unreadable(
                    path,
                    format!(
                        "column `{}` is compressed with {codec}, which mlops-ci does not read; \
                         write the file with Snappy (pandas' and pyarrow's default), Zstandard or no compression",
                        chunk.column_path().string()
                    ),
                ));
            }
            let start = chunk
                .dictionary_page_offset()
                .unwrap_or(chunk.data_page_offset());
            let inside = u64::try_from(start)
                .ok()
                .zip(u64::try_from(chunk.compressed_size()).ok())
                .is_some_and(|(start, len)| {
                    start.checked_add(len).is_some_and(|end| end <= file_size)
                });
            if !inside {
                return Err(unreadable(
                    path,
                    format!(
                        "row group {i} declares a column chunk outside the file (truncated or corrupt)"
                    ),
                ));
            }
        }
        let bytes: i64 = (0..group.num_columns())
            .filter(in_use)
            .map(|leaf| group.column(leaf).uncompressed_size().max(0))
            .sum();
        if bytes as u64 > limits.max_memory_bytes {
            return Err(DataError::Format {
                path: path.to_path_buf(),
                message: format!(
                    "row group {i} declares {} MiB for the columns in use, more than `runtime.max_memory_mb = {}`; \
                     write smaller row groups or raise the budget",
                    bytes >> 20,
                    limits.max_memory_bytes >> 20
                ),
            });
        }
    }
    Ok(())
}

/// The codecs built in are Snappy and Zstandard (the defaults of pandas/pyarrow and Spark);
/// the others would pull in more C code for files rarely seen.
fn unsupported_codec(codec: parquet::basic::Compression) -> Option<&'static str> {
    use parquet::basic::Compression;
    match codec {
        Compression::UNCOMPRESSED | Compression::SNAPPY | Compression::ZSTD(_) => None,
        Compression::GZIP(_) => Some("gzip"),
        Compression::BROTLI(_) => Some("Brotli"),
        Compression::LZ4 | Compression::LZ4_RAW => Some("LZ4"),
        Compression::LZO => Some("LZO"),
    }
}

pub struct ParquetReader {
    path: PathBuf,
    layout: Layout,
    /// Position of each of the layout's columns in a decoded batch.
    columns_at: Vec<usize>,
    label_at: usize,
    targets: TargetSink,
    /// `None` once the file ended or failed.
    reader: Option<ParquetRecordBatchReader>,
    /// A decoded batch partly consumed, and its next row.
    pending: Option<(RecordBatch, usize)>,
    /// Rows handed out so far.
    rows_read: u64,
}

impl ParquetReader {
    fn next_record_batch(&mut self) -> Result<Option<RecordBatch>, DataError> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(None);
        };
        let next = guarded(&self.path, || reader.next());
        match next {
            Ok(Some(Ok(batch))) => Ok(Some(batch)),
            Ok(None) => {
                self.reader = None;
                Ok(None)
            }
            Ok(Some(Err(e))) => {
                self.reader = None;
                Err(DataError::AtRow {
                    path: self.path.clone(),
                    row: self.rows_read + 1,
                    message: format!("cannot decode the Parquet data from here on: {e}"),
                })
            }
            Err(e) => {
                self.reader = None;
                Err(e)
            }
        }
    }

    /// Appends `chunk` (a slice of a decoded batch) to the batch being assembled.
    fn absorb(
        &mut self,
        chunk: &RecordBatch,
        feeds: &mut [FeedValues],
        targets: &mut Targets,
    ) -> Result<(), DataError> {
        let rows = chunk.num_rows();
        let first_row = self.rows_read + 1;
        let at = |row: u64, message: String| DataError::AtRow {
            path: self.path.clone(),
            row,
            message,
        };
        let mut columns = Vec::with_capacity(self.columns_at.len());
        for (position, &i) in self.columns_at.iter().enumerate() {
            let column = Column::new(chunk.column(i).as_ref()).map_err(|ty| {
                at(
                    first_row,
                    format!(
                        "column `{}` is of Parquet/Arrow type {ty}, which no model input takes; \
                         leave it out of the features (`data.exclude`) or convert it to numbers or strings",
                        super::shown(self.layout.names[position].as_bytes())
                    ),
                )
            })?;
            columns.push(column);
        }
        for (i, values) in feeds.iter_mut().enumerate() {
            let positions = &self.layout.positions[i];
            let refused = crate::for_each_feed!(values,
                v => scatter(v, &columns, positions, rows, &mut self.layout.stats, first_row),
                t => {
                    let mut result = Ok(());
                    'rows: for r in 0..rows {
                        for &p in positions {
                            match columns[p].cell(r).text() {
                                Ok(s) => t.push(s),
                                Err(problem) => {
                                    result = Err((r, p, problem));
                                    break 'rows;
                                }
                            }
                        }
                    }
                    result
                }
            );
            if let Err((r, position, problem)) = refused {
                let found = columns[position].cell(r).found();
                let message = self.layout.message(i, position, &found, problem);
                return Err(at(first_row + r as u64, message));
            }
        }
        let label = Column::new(chunk.column(self.label_at).as_ref()).map_err(|ty| {
            at(
                first_row,
                format!("the label column is of Parquet/Arrow type {ty}; it must hold numbers or strings"),
            )
        })?;
        let label_position = self.layout.label();
        for r in 0..rows {
            let row = first_row + r as u64;
            let value = self
                .targets
                .push(targets, label.cell(r).label())
                .map_err(|m| at(row, m))?;
            if let Some(value) = value {
                self.layout.stats.check(label_position, value, row);
            }
        }
        self.rows_read += rows as u64;
        Ok(())
    }
}

/// A chunk's columns at `positions` into the row-major `out`.
fn scatter<T: Element>(
    out: &mut Vec<T>,
    columns: &[Column],
    positions: &[usize],
    rows: usize,
    stats: &mut super::non_finite::NonFinite,
    first_row: u64,
) -> Result<(), (usize, usize, super::Problem)> {
    let width = positions.len();
    let start = out.len();
    // Every slot is overwritten below, column by column.
    let zero = T::from_f64(0.0).map_err(|p| (0, positions.first().copied().unwrap_or(0), p))?;
    out.resize(start + rows * width, zero);
    let block = &mut out[start..];
    for (offset, &p) in positions.iter().enumerate() {
        columns[p]
            .scatter(block, width, offset, rows, (stats, p, first_row))
            .map_err(|(r, problem)| (r, p, problem))?;
    }
    Ok(())
}

impl BatchReader for ParquetReader {
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, DataError> {
        let mut feeds = self.layout.buffers(max_rows);
        let mut targets = self.targets.targets(max_rows);
        let mut rows = 0;
        while rows < max_rows {
            let (batch, start) = match self.pending.take() {
                Some(pending) => pending,
                None => match self.next_record_batch()? {
                    Some(batch) => (batch, 0),
                    None => break,
                },
            };
            let count = (batch.num_rows() - start).min(max_rows - rows);
            self.absorb(&batch.slice(start, count), &mut feeds, &mut targets)?;
            rows += count;
            if start + count < batch.num_rows() {
                self.pending = Some((batch, start + count));
            }
        }
        Ok((rows > 0).then_some(Batch {
            rows,
            feeds,
            targets,
        }))
    }

    fn class_names(&self) -> Vec<String> {
        self.targets.class_names()
    }

    fn notes(&self) -> Vec<String> {
        self.layout.notes(&self.path.display().to_string(), "row")
    }
}

/// The column names and the first row, as text.
pub fn peek(path: &Path) -> Option<(Vec<String>, Vec<String>)> {
    let (builder, _) = builder(path).ok()?;
    let columns: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut reader = guarded(path, || builder.with_batch_size(1).build())
        .ok()?
        .ok()?;
    let first = guarded(path, || reader.next()).ok().flatten()?.ok()?;
    let row = first
        .columns()
        .iter()
        .map(|a| {
            Column::new(a.as_ref())
                .map(|c| c.cell(0).display())
                .unwrap_or_default()
        })
        .collect();
    Some((columns, row))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::super::test_support::{feed, read_all};
    use super::*;
    use crate::data::{FeedType, FeedValues, Targets};

    /// A Parquet file of `columns`, in row groups of `group_rows` rows.
    pub(crate) fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, group_rows: usize) {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group_rows))
            .build();
        let mut writer =
            ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    fn sample(dir: &Path) -> PathBuf {
        let path = dir.join("d.parquet");
        let n = 10;
        write(
            &path,
            vec![
                (
                    "id",
                    Arc::new(StringArray::from_iter_values(
                        (0..n).map(|i| format!("id{i}")),
                    )) as ArrayRef,
                ),
                (
                    "x",
                    Arc::new(Float64Array::from_iter(
                        (0..n).map(|i| (i != 3).then_some(i as f64 / 2.0)),
                    )),
                ),
                (
                    "city",
                    Arc::new(StringArray::from_iter_values(
                        (0..n).map(|i| if i % 2 == 0 { "Paris" } else { "Rome" }),
                    )),
                ),
                ("n", Arc::new(Int64Array::from_iter_values(0..n as i64))),
                (
                    "flag",
                    Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 3 == 0)))),
                ),
                (
                    "y",
                    Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| i % 2))),
                ),
            ],
            4,
        );
        path
    }

    #[test]
    fn reads_the_columns_in_use_in_their_order_across_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        // Columns asked in another order than the file's: projected ones come in file order.
        let feeds = vec![
            feed(&[3, 1], FeedType::F32),
            feed(&[2], FeedType::Text),
            feed(&[4], FeedType::Bool),
            feed(&[3], FeedType::U8),
        ];
        let (batches, reader) = read_all(&path, "y", Task::Classification, feeds, 7).unwrap();
        assert_eq!(batches.iter().map(|b| b.rows).collect::<Vec<_>>(), [7, 3]);
        match &batches[0].feeds[0] {
            FeedValues::F32(v) => {
                assert_eq!(v[..6], [0.0, 0.0, 1.0, 0.5, 2.0, 1.0]);
                assert_eq!(v[6], 3.0);
                assert!(v[7].is_nan());
            }
            other => panic!("{other:?}"),
        }
        match &batches[1].feeds[1] {
            FeedValues::Text(t) => {
                assert_eq!(t.iter().collect::<Vec<_>>(), ["Rome", "Paris", "Rome"])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            batches[0].feeds[2],
            FeedValues::Bool(vec![true, false, false, true, false, false, true])
        );
        assert_eq!(batches[1].feeds[3], FeedValues::U8(vec![7, 8, 9]));
        assert!(matches!(&batches[1].targets, Targets::Classes(ids) if ids == &[1, 0, 1]));
        assert_eq!(reader.class_names(), ["0", "1"]);
        assert!(
            reader.notes()[0].contains("first on row 4"),
            "{:?}",
            reader.notes()
        );
    }

    #[test]
    fn peek_gives_the_columns_and_the_first_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let (columns, row) = peek(&path).unwrap();
        assert_eq!(columns, ["id", "x", "city", "n", "flag", "y"]);
        assert_eq!(row, ["id0", "0", "Paris", "0", "true", "0"]);
    }

    #[test]
    fn values_that_do_not_fit_name_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[2], FeedType::F32)],
            4,
        )
        .err()
        .unwrap();
        assert!(
            err.ends_with("d.parquet: row 1: dtype mismatch: column `city` holds `Paris` (a Parquet string), but input `float_in` takes float: it needs a number"),
            "{err}"
        );
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[1], FeedType::I64)],
            4,
        )
        .err()
        .unwrap();
        assert!(
            err.contains("row 2: dtype mismatch: column `x` holds `0.5` (a Parquet number)"),
            "{err}"
        );
    }

    #[test]
    fn truncated_or_garbled_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        for cut in [0, 4, 100, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let result = read_all(
                &path,
                "y",
                Task::Classification,
                vec![feed(&[1], FeedType::F32)],
                4,
            );
            let err = result
                .err()
                .unwrap_or_else(|| panic!("cut at {cut} read fine"));
            assert!(err.contains("d.parquet"), "{err}");
        }
        // Garbled pages: flip bytes in the middle of the data.
        let mut garbled = bytes.clone();
        for b in &mut garbled[8..bytes.len() / 2] {
            *b ^= 0x5a;
        }
        std::fs::write(&path, &garbled).unwrap();
        let result = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[1, 3], FeedType::F64)],
            4,
        );
        if let Err(err) = result {
            assert!(err.contains("d.parquet"), "{err}");
        }
    }
}
