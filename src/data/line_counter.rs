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
    /// Offsets of the `\n`s read but not yet passed by a record.
    pending: VecDeque<u64>,
    /// `\n`s before the last record asked about.
    passed: u64,
}

impl<R: Read> LineCounter<R> {
    pub fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            passed: 0,
        }
    }

    /// The 1-based line of the record that starts at byte `start`; records must be asked
    /// about in the order they are read.
    pub fn line_at(&mut self, start: u64) -> u64 {
        while self.pending.front().is_some_and(|&n| n <= start) {
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
        self.pending
            .extend(memchr::memchr_iter(b'\n', &buf[..n]).map(|i| base + i as u64));
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
    }
}
