//! Streaming CSV reader in two stages on two threads: a tokenizer thread splits records
//! (the csv crate) and copies out only the columns in use; `next_batch`, on the caller's
//! thread, converts them into the feeds' types ([`super::csv_parse`]). On the 1M-row
//! benchmark the two halves cost about the same, so this halves the wall time of reading on
//! a machine with a core to spare.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::csv_parse::{ParsePlan, RawBlock};
use super::line_counter::LineCounter;
use super::targets::TargetSink;
use super::{Batch, BatchReader, DataError, DataSource, ReadPlan, Schema};
use crate::config::{DataConfig, Task};

type Records = csv::Reader<LineCounter<std::io::Take<File>>>;

/// A CSV file whose header has been read.
pub struct CsvSource {
    path: PathBuf,
    schema: Schema,
    task: Task,
    reader: Records,
}

/// Rows per block handed from the tokenizer to the parser.
const BLOCK_ROWS: usize = 1024;

impl CsvSource {
    pub fn open(config: &DataConfig, path: &Path, task: Task) -> Result<Self, DataError> {
        let io = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let format = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        // Read no further than the size the file has now: a file that grows is not followed.
        let (file, size) = crate::input_file::open_regular(path).map_err(io)?;
        let file = LineCounter::new(file.take(size));
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
        let label = config.label.as_deref().ok_or_else(|| {
            format(
                "`data.label` is not set: name the column that holds the ground truth".to_owned(),
            )
        })?;
        let schema = Schema::new(header, label, config, path, true)?;
        Ok(CsvSource {
            path: path.to_path_buf(),
            schema,
            task,
            reader,
        })
    }
}

impl DataSource for CsvSource {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn read(self: Box<Self>, plan: &ReadPlan) -> Result<Box<dyn BatchReader>, DataError> {
        let CsvSource {
            path,
            schema,
            task,
            reader,
        } = *self;
        let label = schema
            .index(&schema.label)
            .ok_or_else(|| DataError::Format {
                path: path.clone(),
                message: format!("no label column `{}`", schema.label),
            })?;
        let parse = ParsePlan::new(plan, &schema);
        let columns: Vec<usize> = parse
            .layout
            .columns
            .iter()
            .copied()
            .chain([label])
            .collect();
        // Two blocks in flight keep the tokenizer one step ahead without buffering the file.
        let (tx, blocks) = mpsc::sync_channel(2);
        let tokenizer_path = path.clone();
        std::thread::Builder::new()
            .name("csv-tokenizer".into())
            .spawn(move || tokenize(reader, &columns, &tokenizer_path, &tx))
            .map_err(|source| DataError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(Box::new(CsvReader {
            targets: TargetSink::new(task, &schema.label),
            path,
            parse,
            blocks,
            pending: None,
        }))
    }
}

/// A CSV file being read.
pub struct CsvReader {
    path: PathBuf,
    parse: ParsePlan,
    targets: TargetSink,
    /// Blocks of tokenized rows from the tokenizer thread, in file order.
    blocks: mpsc::Receiver<Result<RawBlock, DataError>>,
    /// A block partly consumed by the previous batch, and its next row.
    pending: Option<(RawBlock, usize)>,
}

/// The tokenizer thread: reads records and sends blocks until the file ends, an error, or
/// the reader is dropped (the send fails).
fn tokenize(
    mut reader: Records,
    columns: &[usize],
    path: &Path,
    tx: &mpsc::SyncSender<Result<RawBlock, DataError>>,
) {
    let mut record = csv::ByteRecord::new();
    loop {
        let mut block = RawBlock::with_capacity(BLOCK_ROWS, columns.len());
        while block.rows < BLOCK_ROWS {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e
                        .position()
                        .map_or(0, |p| reader.get_mut().line_at(p.byte()));
                    // The csv crate's own message repeats its (CRLF-wrong) line number.
                    let message = match e.kind() {
                        csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => {
                            format!("this row has {len} fields, but the header has {expected_len}")
                        }
                        csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8 text: {err}"),
                        _ => e.to_string(),
                    };
                    let _ = tx.send(Err(DataError::AtLine {
                        path: path.to_path_buf(),
                        line,
                        message,
                    }));
                    return;
                }
            }
            for &column in columns {
                block.push_field(record.get(column).unwrap_or_default());
            }
            let start = record.position().map_or(0, csv::Position::byte);
            block.end_row(reader.get_mut().line_at(start));
        }
        if block.rows == 0 || tx.send(Ok(block)).is_err() {
            return;
        }
    }
}

impl BatchReader for CsvReader {
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, DataError> {
        let mut feeds = self.parse.buffers(max_rows);
        let mut targets = self.targets.targets(max_rows);
        let mut rows = 0;
        while rows < max_rows {
            let (block, start) = match self.pending.take() {
                Some(pending) => pending,
                None => match self.blocks.recv() {
                    Ok(block) => (block?, 0),
                    Err(_) => break, // the tokenizer finished
                },
            };
            let count = (block.rows - start).min(max_rows - rows);
            self.parse
                .rows(
                    &block,
                    start..start + count,
                    &mut feeds,
                    &mut targets,
                    &mut self.targets,
                )
                .map_err(|(line, message)| DataError::AtLine {
                    path: self.path.clone(),
                    line,
                    message,
                })?;
            rows += count;
            if start + count < block.rows {
                self.pending = Some((block, start + count));
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
        self.parse.notes(&self.path.display().to_string(), "line")
    }
}

/// The header and first record, as text.
pub fn peek(path: &Path) -> Option<(Vec<String>, Vec<String>)> {
    let (file, _) = crate::input_file::open_regular(path).ok()?;
    let mut reader = csv::ReaderBuilder::new().from_reader(file);
    let columns = reader
        .headers()
        .ok()?
        .iter()
        .map(|c| c.trim().to_owned())
        .collect();
    let first_row = reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    Some((columns, first_row))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{feed, read_all};
    use super::*;
    use crate::data::{FeedType, FeedValues, Targets, TextValues};

    fn csv(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn columns_keep_their_types_and_unused_ones_may_hold_anything() {
        let (_dir, path) = csv(
            "id,city,x,n,flag,y\nabc-1,Paris,1.5,3,true,a\n??,Rome ,,4,0,b\nzz,Paris,2,5.0,FALSE,a\n",
        );
        let feeds = vec![
            feed(&[2, 3], FeedType::F32),
            feed(&[1], FeedType::Text),
            feed(&[3], FeedType::I64),
            feed(&[4], FeedType::Bool),
        ];
        let (batches, reader) = read_all(&path, "y", Task::Classification, feeds, 2).unwrap();
        assert_eq!(batches.len(), 2);
        let b = &batches[0];
        assert_eq!(b.rows, 2);
        match &b.feeds[0] {
            FeedValues::F32(v) => {
                assert_eq!(v[..2], [1.5, 3.0]);
                assert!(v[2].is_nan(), "an empty cell is a missing value: NaN");
                assert_eq!(v[3], 4.0);
            }
            other => panic!("{other:?}"),
        }
        let mut cities = TextValues::with_capacity(2);
        cities.push("Paris");
        cities.push("Rome ");
        assert_eq!(b.feeds[1], FeedValues::Text(cities));
        assert_eq!(b.feeds[2], FeedValues::I64(vec![3, 4]));
        assert_eq!(batches[1].feeds[2], FeedValues::I64(vec![5]));
        assert_eq!(b.feeds[3], FeedValues::Bool(vec![true, false]));
        assert_eq!(batches[1].feeds[3], FeedValues::Bool(vec![false]));
        assert_eq!(reader.class_names(), ["a", "b"]);
        let notes = reader.notes();
        assert!(
            notes[0].contains(
                "column `x` holds 1 missing value(s) (empty or null, fed as NaN; first on line 3)"
            ),
            "{notes:?}"
        );
    }

    #[test]
    fn a_value_that_does_not_fit_names_line_column_and_both_types() {
        let (_dir, path) = csv("age,h,y\n31,1.0,a\nParis,1e6,b\n");
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[0], FeedType::I64)],
            8,
        )
        .err()
        .unwrap();
        assert!(
            err.ends_with(
                "d.csv: line 3: dtype mismatch: column `age` holds `Paris` (text), but input `int64_in` takes int64: it needs a number"
            ),
            "{err}"
        );
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[1], FeedType::F16)],
            8,
        )
        .err()
        .unwrap();
        assert!(
            err.contains("line 3: dtype mismatch: column `h` holds `1e6` (a number), but input `float16_in` takes float16"),
            "{err}"
        );
        let (_dir, path) = csv("t,y\n\"a\0b\",x\n");
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[0], FeedType::Text)],
            8,
        )
        .err()
        .unwrap();
        assert!(err.contains("line 2:") && err.contains("NUL byte"), "{err}");
        let (_dir, path) = csv("n,y\n,x\n");
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[0], FeedType::U8)],
            8,
        )
        .err()
        .unwrap();
        assert!(
            err.contains(
                "holds an empty cell, but input `uint8_in` takes uint8: uint8 has no missing value"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_label_and_regression_targets() {
        let (_dir, path) = csv("a,target\n1,2.5\n2,inf\n");
        let (batches, reader) = read_all(
            &path,
            "target",
            Task::Regression,
            vec![feed(&[0], FeedType::F64)],
            8,
        )
        .unwrap();
        assert!(matches!(&batches[0].targets, Targets::Values(v) if v[0] == 2.5));
        assert!(reader.notes()[0].contains("column `target` holds 1 non-finite"));
        let (_dir, path) = csv("a,target\n1,\n");
        let err = read_all(
            &path,
            "target",
            Task::Regression,
            vec![feed(&[0], FeedType::F64)],
            8,
        )
        .err()
        .unwrap();
        assert!(err.contains("line 2: column `target` is empty"), "{err}");
    }
}
