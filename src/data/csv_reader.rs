//! Streaming CSV reader in two stages on two threads: a tokenizer thread splits records
//! (the csv crate) and copies out only the columns in use; `next_batch`, on the caller's
//! thread, parses the numbers. On the 1M-row benchmark the two halves cost about the same,
//! so this halves the wall time of reading on a machine with a core to spare.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::line_counter::LineCounter;
use super::{Batch, BatchReader, DataError, LabelInterner, Schema, Targets};
use crate::config::{DataConfig, Task};

pub struct CsvReader {
    path: PathBuf,
    schema: Schema,
    task: Task,
    labels: LabelInterner,
    non_finite: super::non_finite::NonFinite,
    /// Blocks of tokenized rows from the tokenizer thread, in file order.
    blocks: mpsc::Receiver<Result<RawBlock, DataError>>,
    /// A block partly consumed by the previous batch, and its next row.
    pending: Option<(RawBlock, usize)>,
}

/// Rows from the tokenizer: the bytes of the columns in use (features in schema order, then
/// the label), concatenated. Field `i` of the block is `bytes[ends[i - 1]..ends[i]]`.
struct RawBlock {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Line number of each row, for messages.
    lines: Vec<u64>,
    rows: usize,
}

/// Rows per block handed from the tokenizer to the parser.
const BLOCK_ROWS: usize = 1024;

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
        let find = |name: &str, what: &str| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                // A 50 MB header cell is neither compared nor echoed whole.
                let nearest = crate::config::nearest_name(
                    name,
                    header.iter().map(String::as_str).filter(|h| h.len() <= 256),
                );
                let mut listed: Vec<String> = header
                    .iter()
                    .take(50)
                    .map(|h| shown(h.as_bytes()))
                    .collect();
                if header.len() > 50 {
                    listed.push(format!("… ({} more)", header.len() - 50));
                }
                format(format!(
                    "no column `{}` ({what}){}; the columns are: {}",
                    shown(name.as_bytes()),
                    nearest
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default(),
                    listed.join(", ")
                ))
            })
        };
        if let Some((first, second, name)) = duplicate_column(&header, config) {
            return Err(format(format!(
                "column `{}` appears twice (columns {} and {}); rename one so that it is clear which is used",
                shown(name.as_bytes()),
                first + 1,
                second + 1
            )));
        }
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
        let feature_columns: Vec<usize> = feature_columns;
        let columns: Vec<usize> = feature_columns
            .iter()
            .copied()
            .chain([label_column])
            .collect();
        // Two blocks in flight keep the tokenizer one step ahead without buffering the file.
        let (tx, blocks) = mpsc::sync_channel(2);
        let tokenizer_path = path.to_path_buf();
        std::thread::Builder::new()
            .name("csv-tokenizer".into())
            .spawn(move || tokenize(reader, &columns, &tokenizer_path, &tx))
            .map_err(io)?;
        let columns_used = features.len() + 1;
        Ok(Self {
            path: path.to_path_buf(),
            schema: Schema {
                features,
                label: label_name.to_owned(),
            },
            task,
            labels: LabelInterner::default(),
            non_finite: super::non_finite::NonFinite::new(columns_used),
            blocks,
            pending: None,
        })
    }

    fn error_at(&self, line: u64, message: String) -> DataError {
        DataError::AtLine {
            path: self.path.clone(),
            line,
            message,
        }
    }

    fn number(&self, raw: &[u8], line: u64, name: &str) -> Result<f64, DataError> {
        let raw = raw.trim_ascii();
        fast_float2::parse::<f64, _>(raw).map_err(|_| {
            let name = shown(name.as_bytes());
            if raw.is_empty() {
                self.error_at(
                    line,
                    format!(
                        "column `{name}` is empty; fill or drop missing values before evaluation"
                    ),
                )
            } else {
                self.error_at(
                    line,
                    format!(
                        "column `{name}` holds `{}`, which is not a number",
                        shown(raw)
                    ),
                )
            }
        })
    }

    /// Parses `count` rows of `block` from row `start` into the batch buffers.
    fn parse_rows(
        &mut self,
        block: &RawBlock,
        start: usize,
        count: usize,
        features: &mut Vec<f64>,
        targets: &mut Targets,
    ) -> Result<(), DataError> {
        let width = self.schema.features.len();
        let stride = width + 1;
        let field = |i: usize| {
            let begin = if i == 0 { 0 } else { block.ends[i - 1] };
            &block.bytes[begin..block.ends[i]]
        };
        for row in start..start + count {
            let line = block.lines[row];
            let first = row * stride;
            for (column, name) in self.schema.features.iter().enumerate() {
                let value = self.number(field(first + column), line, name)?;
                self.non_finite.check(column, value, line);
                features.push(value);
            }
            let label = field(first + width);
            match targets {
                Targets::Classes(ids) => {
                    let text = std::str::from_utf8(label)
                        .map_err(|_| self.error_at(line, "the label is not UTF-8 text".into()))?;
                    if text.trim().is_empty() {
                        return Err(self.error_at(
                            line,
                            format!("the label column `{}` is empty", self.schema.label),
                        ));
                    }
                    ids.push(self.labels.intern(text));
                    if self.labels.len() > super::MAX_CLASSES {
                        return Err(self
                            .error_at(line, super::labels::too_many_classes(&self.schema.label)));
                    }
                }
                Targets::Values(values) => {
                    let value = self.number(label, line, &self.schema.label)?;
                    self.non_finite.check(width, value, line);
                    values.push(value)
                }
            }
        }
        Ok(())
    }
}

/// A cell or name for a message: at most 100 characters, and a marker when cut.
fn shown(raw: &[u8]) -> String {
    const MAX: usize = 100;
    let text = String::from_utf8_lossy(&raw[..raw.len().min(4 * MAX)]);
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], raw.len()),
        None if raw.len() > 4 * MAX => format!("{text}… ({} bytes in all)", raw.len()),
        None => text.into_owned(),
    }
}

/// The first column name the suite uses that the header holds twice: its two positions
/// (0-based) and the name. A duplicate nobody reads is harmless.
fn duplicate_column<'a>(
    header: &'a [String],
    config: &DataConfig,
) -> Option<(usize, usize, &'a str)> {
    let used = |name: &str| {
        config.label.as_deref() == Some(name)
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

/// The tokenizer thread: reads records and sends blocks until the file ends, an error, or
/// the reader is dropped (the send fails).
fn tokenize(
    mut reader: csv::Reader<LineCounter<std::io::Take<File>>>,
    columns: &[usize],
    path: &Path,
    tx: &mpsc::SyncSender<Result<RawBlock, DataError>>,
) {
    let mut record = csv::ByteRecord::new();
    loop {
        let mut block = RawBlock {
            bytes: Vec::with_capacity(BLOCK_ROWS * columns.len() * 8),
            ends: Vec::with_capacity(BLOCK_ROWS * columns.len()),
            lines: Vec::with_capacity(BLOCK_ROWS),
            rows: 0,
        };
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
                block
                    .bytes
                    .extend_from_slice(record.get(column).unwrap_or_default());
                block.ends.push(block.bytes.len());
            }
            let start = record.position().map_or(0, csv::Position::byte);
            block.lines.push(reader.get_mut().line_at(start));
            block.rows += 1;
        }
        if block.rows == 0 || tx.send(Ok(block)).is_err() {
            return;
        }
    }
}

impl BatchReader for CsvReader {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, DataError> {
        let mut features = Vec::with_capacity(max_rows * self.schema.features.len());
        let mut targets = match self.task {
            Task::Classification => Targets::Classes(Vec::with_capacity(max_rows)),
            Task::Regression => Targets::Values(Vec::with_capacity(max_rows)),
        };
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
            self.parse_rows(&block, start, count, &mut features, &mut targets)?;
            rows += count;
            if start + count < block.rows {
                self.pending = Some((block, start + count));
            }
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

    fn notes(&self) -> Vec<String> {
        let mut names = self.schema.features.clone();
        names.push(self.schema.label.clone());
        self.non_finite
            .notes(&names, &self.path.display().to_string(), "line")
    }
}
