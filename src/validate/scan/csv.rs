//! CSV: every field of every record, read as [`interpret_text`] reads it (numbers, booleans,
//! null tokens, text).
//!
//! Splitting records and interpreting fields are most of the cost of a scan, so both run on
//! a tokenizer thread that fills whole chunks, two ahead of the caller over a bounded
//! channel; `fill` swaps a filled chunk into the caller's and sends the caller's old one back
//! to be filled again, so that in the steady state no chunk is allocated.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use crate::data::DataError;
use crate::data::line_counter::LineCounter;
use crate::validate::cells::{Chunk, MAX_CHUNK_TEXT, RowAt, Scanner, interpret_text};

/// Longest record read (the header included): one record is held whole by the csv crate,
/// and one chunk's text is bounded by the same size.
const MAX_RECORD: u64 = MAX_CHUNK_TEXT as u64;

/// Most lines one record may span: the line counter notes every line end until the record
/// is done (16 bytes each), so 64 MiB of quoted newlines would cost it a GiB.
const MAX_RECORD_LINES: u64 = 1 << 20;

/// What the tokenizer sends: a filled chunk, `None` at the end of the file, or the error
/// that stopped it. The end is said explicitly, so that a thread that died is not taken for
/// the end of the data.
type Message = Result<Option<Chunk>, DataError>;

type Records = csv::Reader<Bounded<LineCounter<io::Take<File>>>>;

/// A CSV file being scanned by its tokenizer thread.
pub struct CsvScanner {
    path: PathBuf,
    columns: Vec<String>,
    filled: mpsc::Receiver<Message>,
    /// Chunks handed back for the tokenizer to fill again.
    recycled: mpsc::Sender<Chunk>,
    done: bool,
}

impl CsvScanner {
    /// Reads the header, then starts the tokenizer on the records.
    pub fn open(path: &Path) -> Result<CsvScanner, DataError> {
        let io = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Read no further than the size the file has now: a file that grows is not followed.
        let (file, size) = crate::input_file::open_regular(path).map_err(io)?;
        let mut reader = csv::ReaderBuilder::new()
            .buffer_capacity(1 << 20)
            .from_reader(Bounded::new(LineCounter::new(file.take(size))));
        let columns = header(&mut reader, path)?;
        let (filled_tx, filled) = mpsc::sync_channel(2);
        let (recycled, recycled_rx) = mpsc::channel();
        let tokenizer = Tokenizer {
            reader,
            path: path.to_path_buf(),
            columns: columns.clone(),
            record: csv::ByteRecord::new(),
            row: 0,
        };
        std::thread::Builder::new()
            .name("csv-scan".into())
            .spawn(move || tokenizer.run(&filled_tx, &recycled_rx))
            .map_err(io)?;
        Ok(CsvScanner {
            path: path.to_path_buf(),
            columns,
            filled,
            recycled,
            done: false,
        })
    }
}

impl Scanner for CsvScanner {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, DataError> {
        if !self.done {
            match self.filled.recv() {
                Ok(Ok(Some(mut next))) => {
                    std::mem::swap(chunk, &mut next);
                    // The tokenizer has ended when this fails: the chunk is not needed.
                    let _ = self.recycled.send(next);
                    return Ok(true);
                }
                Ok(Ok(None)) => self.done = true,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(mpsc::RecvError) => {
                    self.done = true;
                    return Err(DataError::Format {
                        path: self.path.clone(),
                        message: "the CSV tokenizer stopped before the end of the file".to_owned(),
                    });
                }
            }
        }
        chunk.clear();
        Ok(false)
    }
}

/// The header's column names, trimmed; each must be UTF-8, non-empty and unique.
fn header(reader: &mut Records, path: &Path) -> Result<Vec<String>, DataError> {
    let at = |line: u64, message: String| DataError::AtLine {
        path: path.to_path_buf(),
        line,
        message,
    };
    let record = match reader.byte_headers() {
        Ok(record) => record.clone(),
        Err(e) => {
            let line = reader.get_mut().inner.line_at(0);
            let message = if reader.get_ref().tripped {
                format!("the header is {}; is this a CSV file?", too_long())
            } else {
                format!("cannot read the header row: {e}")
            };
            return Err(at(line, message));
        }
    };
    let line = reader
        .get_mut()
        .inner
        .line_at(record.position().map_or(0, csv::Position::byte));
    let next = reader.position().byte();
    reader.get_mut().allow_record_from(next);
    if record.iter().all(|name| name.trim_ascii().is_empty()) {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    if record.len() > super::MAX_COLUMNS {
        return Err(super::too_many_columns(
            path,
            format_args!("the header has {}", record.len()),
        ));
    }
    column_names(&record).map_err(|message| at(line, message))
}

/// The header's fields as column names.
fn column_names(record: &csv::ByteRecord) -> Result<Vec<String>, String> {
    let mut columns: Vec<String> = Vec::with_capacity(record.len());
    let mut seen = std::collections::HashMap::with_capacity(record.len());
    for (i, raw) in record.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|e| {
                format!(
                    "header field {} is not UTF-8 text (invalid byte at byte {} of the name); save the file as UTF-8",
                    i + 1,
                    e.valid_up_to() + 1
                )
            })?
            .trim();
        if name.is_empty() {
            return Err(format!(
                "header field {} is empty; every column needs a name",
                i + 1
            ));
        }
        if let Some(first) = seen.insert(name, i) {
            return Err(format!(
                "column `{}` appears twice in the header (fields {} and {}); column names must be unique",
                crate::data::shown(name.as_bytes()),
                first + 1,
                i + 1
            ));
        }
        columns.push(name.to_owned());
    }
    Ok(columns)
}

/// The tokenizer thread's state: the records after the header.
struct Tokenizer {
    reader: Records,
    path: PathBuf,
    columns: Vec<String>,
    record: csv::ByteRecord,
    /// Data rows read so far.
    row: u64,
}

impl Tokenizer {
    /// Fills and sends chunks until the end of the file, an error, or the scanner is dropped
    /// (a send fails).
    fn run(mut self, filled: &mpsc::SyncSender<Message>, recycled: &mpsc::Receiver<Chunk>) {
        let width = self.columns.len();
        loop {
            let mut chunk = recycled.try_recv().unwrap_or_default();
            super::reset(&mut chunk, width);
            let ended = match self.fill(&mut chunk) {
                Ok(ended) => ended,
                Err(e) => {
                    let _ = filled.send(Err(e));
                    return;
                }
            };
            if !chunk.is_empty() && filled.send(Ok(Some(chunk))).is_err() {
                return;
            }
            if ended {
                let _ = filled.send(Ok(None));
                return;
            }
        }
    }

    /// Fills `chunk` until it is full (`false`) or the file ends (`true`).
    fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, DataError> {
        while !super::is_full(chunk) {
            let next = self.reader.position().byte();
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => return Ok(true),
                Err(e) => return Err(self.record_error(e, next)),
            }
            self.row += 1;
            let next = self.reader.position().byte();
            let input = self.reader.get_mut();
            input.allow_record_from(next);
            let start = self.record.position().map_or(0, csv::Position::byte);
            let at = RowAt {
                row: self.row,
                line: Some(input.inner.line_at(start)),
            };
            self.push_record(chunk, at)?;
        }
        Ok(false)
    }

    /// The record's fields as cells, after checking that they are UTF-8 text: once for the
    /// whole record, then that each field starts and ends on a character boundary.
    fn push_record(&self, chunk: &mut Chunk, at: RowAt) -> Result<(), DataError> {
        let Ok(text) = std::str::from_utf8(self.record.as_slice()) else {
            return Err(self.not_utf8(at));
        };
        chunk.start_row(at);
        for i in 0..self.columns.len() {
            let Some(field) = self.record.range(i).and_then(|r| text.get(r)) else {
                return Err(self.not_utf8(at));
            };
            chunk
                .push(interpret_text(field))
                .map_err(|e| self.at(at, super::chunk_full(e)))?;
        }
        Ok(())
    }

    /// The error for a record that is not UTF-8 text: its first bad field and byte.
    fn not_utf8(&self, at: RowAt) -> DataError {
        let bad = self.record.iter().enumerate().find_map(|(i, field)| {
            std::str::from_utf8(field)
                .err()
                .map(|e| (i, e.valid_up_to() + 1))
        });
        let message = match bad {
            Some((i, byte)) => format!(
                "column `{}` is not UTF-8 text (invalid byte at byte {byte} of the field; row {}); save the file as UTF-8",
                crate::data::shown(self.columns[i].as_bytes()),
                at.row
            ),
            None => format!("row {} is not UTF-8 text; save the file as UTF-8", at.row),
        };
        self.at(at, message)
    }

    fn at(&self, at: RowAt, message: String) -> DataError {
        DataError::AtLine {
            path: self.path.clone(),
            line: at.line.unwrap_or(0),
            message,
        }
    }

    /// The error for a record the csv crate refused; `next` is where it started.
    fn record_error(&mut self, e: csv::Error, next: u64) -> DataError {
        let row = self.row + 1;
        let input = self.reader.get_mut();
        let line = input
            .inner
            .line_at(e.position().map_or(next, csv::Position::byte));
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!(
                "{len} field{}, the header has {expected_len} (row {row}); quote a field that holds a comma",
                if *len == 1 { "" } else { "s" }
            ),
            csv::ErrorKind::Io(_) if input.tripped => format!(
                "the record of row {row} is {}; is a quote left open?",
                too_long()
            ),
            csv::ErrorKind::Io(source) => {
                return DataError::Io {
                    path: self.path.clone(),
                    source: io::Error::new(source.kind(), source.to_string()),
                };
            }
            _ => format!("cannot read row {row}: {e}"),
        };
        DataError::AtLine {
            path: self.path.clone(),
            line,
            message,
        }
    }
}

/// What a record over the bounds is, in words.
fn too_long() -> String {
    format!(
        "longer than {} MiB or {MAX_RECORD_LINES} lines",
        MAX_RECORD >> 20
    )
}

/// Input that refuses to go more than [`MAX_RECORD`] bytes or [`MAX_RECORD_LINES`] lines
/// past the start of the record being read, so that one huge record is an error, not an
/// allocation of its size. The csv crate reads only once it has parsed all it holds, so when
/// a read is refused the record in progress already spans the bound (give or take the lines
/// of one read).
struct Bounded<R> {
    inner: R,
    /// Bytes read so far, and the offset reads may not pass.
    offset: u64,
    limit: u64,
    /// Line ends read since the record started.
    lines: u64,
    /// A read was refused: the record is too long.
    tripped: bool,
}

impl<R> Bounded<R> {
    fn new(inner: R) -> Self {
        Bounded {
            inner,
            offset: 0,
            limit: MAX_RECORD,
            lines: 0,
            tripped: false,
        }
    }

    /// The next record starts at byte `start`.
    fn allow_record_from(&mut self, start: u64) {
        self.limit = start.saturating_add(MAX_RECORD);
        self.lines = 0;
    }

    fn refuse(&mut self) -> io::Error {
        self.tripped = true;
        io::Error::other("record too long")
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.offset);
        if room == 0 && !buf.is_empty() {
            return Err(self.refuse());
        }
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
        self.offset += n as u64;
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        if self.lines > MAX_RECORD_LINES {
            return Err(self.refuse());
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::validate::cells::CHUNK_ROWS;

    #[test]
    fn every_column_is_read_with_its_row_and_line() {
        let hostile = "x\n::error::INJECTED";
        let (_dir, path) = file(
            "d.csv",
            format!(
                "\u{feff} id , city,x,flag\r\n7,Paris,1.5,true\r\n\r\n8,\"{hostile}\",NA,\r\n9,Rome,-2,FALSE"
            )
            .as_bytes(),
        );
        let (columns, rows) = scan(&path).unwrap();
        assert_eq!(columns, ["id", "city", "x", "flag"]);
        let lines: Vec<_> = rows.iter().map(|(at, _)| at.line).collect();
        assert_eq!(lines, [Some(2), Some(4), Some(6)]);
        assert_eq!(
            rows[0].1,
            [
                Owned::Int(7),
                text("Paris"),
                Owned::Float(1.5),
                Owned::Bool(true)
            ]
        );
        assert_eq!(
            rows[1].1,
            [Owned::Int(8), text(hostile), Owned::Null, Owned::Null]
        );
        assert_eq!(rows[2].1[2], Owned::Int(-2));
    }

    #[test]
    fn many_rows_come_in_full_chunks_in_order() {
        let mut text = String::from("a,b\n");
        let n = 3 * CHUNK_ROWS + 5;
        for i in 0..n {
            text.push_str(&format!("{i},v{i}\n"));
        }
        let (_dir, path) = file("d.csv", text.as_bytes());
        let mut scanner = super::super::open(&path).unwrap();
        let mut chunk = Chunk::new(2);
        let mut sizes = Vec::new();
        let mut next = 0;
        while scanner.fill(&mut chunk).unwrap() {
            sizes.push(chunk.len());
            for r in 0..chunk.len() {
                assert_eq!(chunk.cell(r, 0), crate::validate::cells::Cell::Int(next));
                assert_eq!(chunk.at(r).line, Some(next as u64 + 2));
                next += 1;
            }
        }
        assert_eq!(sizes, [CHUNK_ROWS, CHUNK_ROWS, CHUNK_ROWS, 5]);
    }

    #[test]
    fn wide_rows_and_long_text_make_smaller_chunks() {
        let width = 1000;
        let names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
        let mut text = names.join(",") + "\n";
        let row = vec!["1"; width].join(",") + "\n";
        text.push_str(&row.repeat(2000));
        let (_dir, path) = file("d.csv", text.as_bytes());
        let (_, rows) = scan(&path).unwrap();
        assert_eq!(rows.len(), 2000);
        let mut chunk = Chunk::new(width);
        let mut scanner = super::super::open(&path).unwrap();
        assert!(scanner.fill(&mut chunk).unwrap());
        assert_eq!(chunk.len(), super::super::MAX_CHUNK_CELLS.div_ceil(width));

        let long = "x".repeat(1 << 20);
        let text = format!("a\n{}", format!("{long}\n").repeat(70));
        let (_dir, path) = file("d.csv", text.as_bytes());
        let mut scanner = super::super::open(&path).unwrap();
        let mut chunk = Chunk::new(1);
        assert!(scanner.fill(&mut chunk).unwrap());
        assert_eq!(chunk.len(), 64);
        assert!(scanner.fill(&mut chunk).unwrap());
        assert_eq!(chunk.len(), 6);
        assert_eq!(chunk.at(5).row, 70);

        let names: Vec<String> = (0..=super::super::MAX_COLUMNS)
            .map(|i| format!("c{i}"))
            .collect();
        let (_dir, path) = file("d.csv", names.join(",").as_bytes());
        let err = scan_error(&path);
        assert!(
            err.contains("d.csv: the header has 16385 columns; validation reads at most 16384"),
            "{err}"
        );
    }

    #[test]
    fn a_ragged_row_names_its_line_and_row() {
        let (_dir, path) = file("d.csv", b"a,b,c,d\n1,2,3,4\n\n1,2,3\n");
        let err = scan_error(&path);
        assert!(
            err.ends_with("d.csv: line 4: 3 fields, the header has 4 (row 2); quote a field that holds a comma"),
            "{err}"
        );
    }

    #[test]
    fn bad_utf8_names_line_column_and_byte() {
        let (_dir, path) = file("d.csv", b"a,b\n1,x\n2,ab\xffc\n");
        let err = scan_error(&path);
        assert!(
            err.contains(
                "d.csv: line 3: column `b` is not UTF-8 text (invalid byte at byte 3 of the field; row 2)"
            ),
            "{err}"
        );
        // A character split between two fields: each field is checked, not only the record.
        let (_dir, path) = file("d.csv", b"a,b\n\xc3,\xa9\n");
        let err = scan_error(&path);
        assert!(err.contains("line 2: column `a` is not UTF-8"), "{err}");
        let (_dir, path) = file("d.csv", b"a,\xff\n1,2\n");
        let err = scan_error(&path);
        assert!(err.contains("line 1: header field 2 is not UTF-8"), "{err}");
    }

    #[test]
    fn headers_need_unique_names() {
        let (_dir, path) = file("d.csv", b"a, b ,a\n1,2,3\n");
        let err = scan_error(&path);
        assert!(
            err.contains("line 1: column `a` appears twice in the header (fields 1 and 3)"),
            "{err}"
        );
        let (_dir, path) = file("d.csv", b"a,,c\n1,2,3\n");
        assert!(scan_error(&path).contains("line 1: header field 2 is empty"));
        let (_dir, path) = file("d.csv", b"");
        assert!(scan_error(&path).contains("has no rows"));
        let (_dir, path) = file("d.csv", b"a,b\n");
        assert_eq!(scan(&path).unwrap().1, []);
    }

    #[test]
    fn a_record_over_the_bound_is_an_error_not_an_allocation() {
        let mut text = b"a,b\n1,2\n3,\"".to_vec();
        text.resize(text.len() + MAX_RECORD as usize + 10, b'x');
        let (_dir, path) = file("d.csv", &text);
        let err = scan_error(&path);
        assert!(
            err.contains("d.csv: line 3: the record of row 2 is longer than 64 MiB"),
            "{err}"
        );
        let mut text = b"a,b\n1,\"".to_vec();
        text.resize(text.len() + MAX_RECORD_LINES as usize + (1 << 20), b'\n');
        let (_dir, path) = file("d.csv", &text);
        let err = scan_error(&path);
        assert!(
            err.contains(
                "d.csv: line 2: the record of row 1 is longer than 64 MiB or 1048576 lines"
            ),
            "{err}"
        );
    }
}
