//! JSON Lines: one object per line, blank lines skipped (but counted for line numbers). The
//! first object's keys, in the order it has them, are the columns; a later object may leave
//! a key out (a missing value) but not bring a new one.
//!
//! serde_json is built without `preserve_order`, so a line is read with a visitor of our own
//! (as [`crate::data`]'s reader does), which also keeps each value straight in a row buffer
//! rather than in a `serde_json::Value`.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::data::DataError;
use crate::validate::cells::{Cell, Chunk, RowAt, Scanner, Slot};

/// Longest line read: one line is one row, held whole (the evaluation reader's bound).
const MAX_LINE: u64 = 64 << 20;

pub struct JsonlScanner {
    path: PathBuf,
    lines: Lines,
    columns: Vec<String>,
    /// Column name → its position.
    index: HashMap<String, usize>,
    /// Data rows read so far.
    row: u64,
    /// The row being read: a slot per column, text in `text`.
    values: Vec<Slot>,
    text: String,
    /// The first row, read with the columns and not handed out yet.
    pending: Option<RowAt>,
    line: Vec<u8>,
}

impl JsonlScanner {
    /// Reads the first object, whose keys name the columns.
    pub fn open(path: &Path) -> Result<JsonlScanner, DataError> {
        let (file, size) =
            crate::input_file::open_regular(path).map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let mut scanner = JsonlScanner {
            path: path.to_path_buf(),
            lines: Lines {
                reader: BufReader::with_capacity(1 << 20, file.take(size)),
                number: 0,
            },
            columns: Vec::new(),
            index: HashMap::new(),
            row: 0,
            values: Vec::new(),
            text: String::new(),
            pending: None,
            line: Vec::new(),
        };
        let Some(at) = scanner.next_row(true)? else {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        };
        if scanner.columns.is_empty() {
            return Err(scanner.at(
                at,
                "the first object has no keys; its keys name the columns".to_owned(),
            ));
        }
        scanner.pending = Some(at);
        Ok(scanner)
    }

    fn at(&self, at: RowAt, message: String) -> DataError {
        DataError::AtLine {
            path: self.path.clone(),
            line: at.line.unwrap_or(0),
            message,
        }
    }

    /// Reads the next object into `values`, learning new keys as columns when `learn` (the
    /// first object); where it is, or `None` at the end of the file.
    fn next_row(&mut self, learn: bool) -> Result<Option<RowAt>, DataError> {
        let mut line = std::mem::take(&mut self.line);
        let number = self
            .lines
            .next(&mut line)
            .map_err(|message| DataError::AtLine {
                path: self.path.clone(),
                line: self.lines.number,
                message,
            })?;
        let result = match number {
            Some(number) => {
                self.row += 1;
                let at = RowAt {
                    row: self.row,
                    line: Some(number),
                };
                self.parse(&line, learn)
                    .map(|()| Some(at))
                    .map_err(|message| self.at(at, message))
            }
            None => Ok(None),
        };
        self.line = line;
        result
    }

    fn parse(&mut self, line: &[u8], learn: bool) -> Result<(), String> {
        self.values.fill(Slot::Null);
        self.text.clear();
        let mut unknown = None;
        let mut de = serde_json::Deserializer::from_slice(line);
        let row = RowSeed {
            columns: &mut self.columns,
            index: &mut self.index,
            values: &mut self.values,
            text: &mut self.text,
            learn,
            unknown: &mut unknown,
        };
        match row.deserialize(&mut de).and_then(|()| de.end()) {
            Ok(()) => Ok(()),
            Err(_) if unknown.is_some() => Err(format!(
                "key `{}` is not a column: the first object's keys are the columns, and a later line may leave one out but not add one",
                crate::data::shown(unknown.unwrap_or_default().as_bytes())
            )),
            Err(e) => Err(crate::data::json_cells::describe(&e, line)),
        }
    }

    /// The row in `values` into `chunk`.
    fn push_row(&self, chunk: &mut Chunk, at: RowAt) -> Result<(), DataError> {
        chunk.start_row(at);
        for slot in &self.values {
            let cell = match *slot {
                Slot::Null => Cell::Null,
                Slot::Bool(b) => Cell::Bool(b),
                Slot::Int(i) => Cell::Int(i),
                Slot::Float(f) => Cell::Float(f),
                Slot::Text { start, end } => Cell::Text(&self.text[start as usize..end as usize]),
            };
            chunk
                .push(cell)
                .map_err(|e| self.at(at, super::chunk_full(e)))?;
        }
        Ok(())
    }
}

impl Scanner for JsonlScanner {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, DataError> {
        super::reset(chunk, self.columns.len());
        if let Some(at) = self.pending.take() {
            self.push_row(chunk, at)?;
        }
        while !super::is_full(chunk) {
            match self.next_row(false)? {
                Some(at) => self.push_row(chunk, at)?,
                None => break,
            }
        }
        Ok(!chunk.is_empty())
    }
}

/// Lines with their numbers, blank ones skipped.
struct Lines {
    reader: BufReader<std::io::Take<File>>,
    /// The last line read (1-based).
    number: u64,
}

impl Lines {
    /// The next line that is not blank, into `buf` (a BOM on the first line dropped); its
    /// number, or `None` at the end.
    fn next(&mut self, buf: &mut Vec<u8>) -> Result<Option<u64>, String> {
        loop {
            buf.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE + 1)
                .read_until(b'\n', buf)
                .map_err(|e| format!("cannot read the line: {e}"))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            if buf.len() as u64 > MAX_LINE {
                return Err(format!(
                    "the line is longer than {} MiB; one row per line is expected",
                    MAX_LINE >> 20
                ));
            }
            if self.number == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
            if !buf.trim_ascii().is_empty() {
                return Ok(Some(self.number));
            }
        }
    }
}

/// One line's object into a slot per column.
struct RowSeed<'a> {
    columns: &'a mut Vec<String>,
    index: &'a mut HashMap<String, usize>,
    values: &'a mut Vec<Slot>,
    text: &'a mut String,
    /// A key not yet a column becomes one (the first line) instead of an error.
    learn: bool,
    /// The key that is not a column, for the message.
    unknown: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object, one row per line")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed(self.index))? {
            let column = match key {
                Key::Column(c) => c,
                Key::New(name) if self.learn && self.columns.len() < super::MAX_COLUMNS => {
                    self.index.insert(name.clone(), self.columns.len());
                    self.columns.push(name);
                    self.values.push(Slot::Null);
                    self.columns.len() - 1
                }
                Key::New(_) if self.learn => {
                    return Err(de::Error::custom(format!(
                        "more than {} keys; validation reads at most {} columns",
                        super::MAX_COLUMNS,
                        super::MAX_COLUMNS
                    )));
                }
                Key::New(name) => {
                    *self.unknown = Some(name);
                    return Err(de::Error::custom("a key that is not a column"));
                }
            };
            // A key given twice keeps its last value, as in Python.
            self.values[column] = map.next_value_seed(ValueSeed(self.text))?;
        }
        Ok(())
    }
}

/// A key: its column, looked up without allocating, or the new name.
enum Key {
    Column(usize),
    New(String),
}

struct KeySeed<'a>(&'a HashMap<String, usize>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a column name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match self.0.get(v) {
            Some(&c) => Key::Column(c),
            None => Key::New(v.to_owned()),
        })
    }
}

/// A value as a cell: numbers, booleans and strings as themselves, `null` as missing, an
/// array or an object as its compact JSON text.
struct ValueSeed<'a>(&'a mut String);

impl ValueSeed<'_> {
    /// The text appended since `start`, as a slot.
    fn text_from<E: de::Error>(self, start: usize) -> Result<Slot, E> {
        let range = u32::try_from(start)
            .ok()
            .zip(u32::try_from(self.0.len()).ok());
        let (start, end) = range.ok_or_else(|| E::custom("a row holds more than 4 GiB of text"))?;
        Ok(Slot::Text { start, end })
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Slot;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slot, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Slot;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Slot, E> {
        Ok(Slot::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Slot, E> {
        Ok(Slot::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Slot, E> {
        Ok(i64::try_from(v).map_or(Slot::Float(v as f64), Slot::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Slot, E> {
        Ok(Slot::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Slot, E> {
        let start = self.0.len();
        self.0.push_str(v);
        self.text_from(start)
    }
    fn visit_unit<E>(self) -> Result<Slot, E> {
        Ok(Slot::Null)
    }
    fn visit_none<E>(self) -> Result<Slot, E> {
        Ok(Slot::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Slot, A::Error> {
        let start = self.0.len();
        Compact(&mut *self.0).visit_seq(seq)?;
        self.text_from(start)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot, A::Error> {
        let start = self.0.len();
        Compact(&mut *self.0).visit_map(map)?;
        self.text_from(start)
    }
}

/// A value written out again as compact JSON, keys in the order the line has them.
struct Compact<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Compact<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Compact<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        let _ = write!(self.0, "{v}");
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        let _ = write!(self.0, "{v}");
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // serde_json's own formatting: the shortest text that reads back as the same number.
        self.0
            .push_str(&serde_json::to_string(&v).unwrap_or_default());
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0
            .push_str(&serde_json::to_string(v).unwrap_or_default());
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.push_str("null");
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.push('[');
        let mut first = true;
        loop {
            let separator = self.0.len();
            if !first {
                self.0.push(',');
            }
            if seq.next_element_seed(Compact(&mut *self.0))?.is_none() {
                self.0.truncate(separator);
                break;
            }
            first = false;
        }
        self.0.push(']');
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.push('{');
        let mut first = true;
        loop {
            let separator = self.0.len();
            if !first {
                self.0.push(',');
            }
            if map.next_key_seed(Compact(&mut *self.0))?.is_none() {
                self.0.truncate(separator);
                break;
            }
            self.0.push(':');
            map.next_value_seed(Compact(&mut *self.0))?;
            first = false;
        }
        self.0.push('}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn every_key_is_read_with_its_row_and_line() {
        let hostile = "x\n::error::INJECTED";
        let (_dir, path) = file(
            "d.jsonl",
            format!(
                "\u{feff}{{\"z\": 1, \"a\": \"Paris\", \"w\": 1.5, \"ok\": true, \"n\": null, \"big\": 18446744073709551615}}\n\
                 \n\
                 {{\"a\": {}, \"z\": -3, \"n\": [1, {{\"q\": \"é\", \"b\": 2.5e0}}, null]}}\n\
                 {{\"w\": {{}}, \"n\": []}}\n",
                serde_json::to_string(hostile).unwrap()
            )
            .as_bytes(),
        );
        let (columns, rows) = scan(&path).unwrap();
        assert_eq!(columns, ["z", "a", "w", "ok", "n", "big"]);
        let lines: Vec<_> = rows.iter().map(|(at, _)| at.line).collect();
        assert_eq!(lines, [Some(1), Some(3), Some(4)]);
        assert_eq!(
            rows[0].1,
            [
                Owned::Int(1),
                text("Paris"),
                Owned::Float(1.5),
                Owned::Bool(true),
                Owned::Null,
                Owned::Float(18446744073709551615.0)
            ]
        );
        assert_eq!(
            rows[1].1,
            [
                Owned::Int(-3),
                text(hostile),
                Owned::Null,
                Owned::Null,
                text(r#"[1,{"q":"é","b":2.5},null]"#),
                Owned::Null
            ]
        );
        assert_eq!(rows[2].1[2], text("{}"));
        assert_eq!(rows[2].1[4], text("[]"));
    }

    #[test]
    fn bad_lines_name_their_line() {
        let (_dir, path) = file("d.jsonl", b"{\"a\": 1}\n\n{\"a\": 2, \"b\": 3}\n");
        let err = scan_error(&path);
        assert!(
            err.contains("d.jsonl: line 3: key `b` is not a column"),
            "{err}"
        );
        let (_dir, path) = file("d.jsonl", b"{\"a\": 1}\n{\"a\": 1,\n");
        let err = scan_error(&path);
        assert!(
            err.contains("d.jsonl: line 2: not a JSON object: "),
            "{err}"
        );
        let (_dir, path) = file("d.jsonl", b"{\"a\": 1}\n[1, 2]\n");
        let err = scan_error(&path);
        assert!(err.contains("line 2: not a JSON object"), "{err}");
        let (_dir, path) = file("d.jsonl", b"{\"a\": NaN}\n");
        let err = scan_error(&path);
        assert!(
            err.contains("line 1:") && err.contains("write null"),
            "{err}"
        );
        let (_dir, path) = file("d.jsonl", b"{}\n");
        let err = scan_error(&path);
        assert!(
            err.contains("line 1: the first object has no keys"),
            "{err}"
        );
        let (_dir, path) = file("d.jsonl", b"\n\n");
        assert!(scan_error(&path).contains("has no rows"));
    }
}
