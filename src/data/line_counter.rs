//! Line numbers for CSV records, counted from the bytes themselves.
//!
//! The csv crate's `Position::line` is one too small after a CRLF terminator (the `\n` is
//! consumed with the next record), so every annotation on a Windows-edited file pointed at
//! the line above. This reader notes where each `\n` is as the bytes pass through; a record
//! starting at byte `b` is on line 1 + the number of `\n` at offsets up to `b` (the `\n` of a
//! CRLF that the csv crate counts into the next record included). Quoted fields spanning
//! lines and a BOM count right as a matter of course.

use std::collections::VecDeque;
use std::io::{self, Read};

pub struct LineCounter<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Where the line being read started, and the byte before `offset`.
    line_start: u64,
    last_byte: u8,
    /// Each `\n` read but not yet passed by a record: its offset, and whether the line it
    /// ends is blank (nothing or a lone `\r` before it).
    pending: VecDeque<(u64, bool)>,
    /// `\n`s before the last record asked about.
    passed: u64,
}

impl<R: Read> LineCounter<R> {
    pub fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            line_start: 0,
            last_byte: 0,
            pending: VecDeque::new(),
            passed: 0,
        }
    }

    /// The 1-based line of the record that starts at byte `start`; records must be asked
    /// about in the order they are read.
    pub fn line_at(&mut self, start: u64) -> u64 {
        // The lines up to the record's start, and the blank lines after it: the csv crate
        // puts a record that follows blank lines at the first of them, and a record never
        // starts on a blank line.
        while let Some(&(n, blank)) = self.pending.front() {
            if n > start && !blank {
                break;
            }
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let base = self.offset;
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            let at = base + i as u64;
            let before = if i > 0 { buf[i - 1] } else { self.last_byte };
            let blank = at == self.line_start || (at == self.line_start + 1 && before == b'\r');
            self.pending.push_back((at, blank));
            self.line_start = at + 1;
        }
        if n > 0 {
            self.last_byte = buf[n - 1];
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line each record starts on, as the CSV reader reports positions.
    fn record_lines(text: &[u8]) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(LineCounter::new(text));
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let start = record.position().map_or(0, csv::Position::byte);
            lines.push(reader.get_mut().line_at(start));
        }
        lines
    }

    #[test]
    fn lf_crlf_bom_quoted_newlines_and_blank_lines() {
        assert_eq!(record_lines(b"h\na\nb\n"), [1, 2, 3]);
        assert_eq!(record_lines(b"h\r\na\r\nb\r\n"), [1, 2, 3]);
        assert_eq!(record_lines(b"h\r\na\r\nb"), [1, 2, 3]);
        assert_eq!(record_lines(b"\xef\xbb\xbfh\na\nb\n"), [1, 2, 3]);
        assert_eq!(record_lines(b"h\n\"a\nx\"\nb\n"), [1, 2, 4]);
        assert_eq!(record_lines(b"h\r\n\"a\r\nx\"\r\nb\r\n"), [1, 2, 4]);
        assert_eq!(record_lines(b"h\n\na\n\n\nb\n"), [1, 3, 6]);
        assert_eq!(record_lines(b"h\r\n\r\na\r\n"), [1, 3]);
        assert_eq!(
            record_lines(b"h\r\n\r\n\r\na\r\n\"x\r\n\r\ny\"\r\nb"),
            [1, 4, 5, 8]
        );
    }
}
