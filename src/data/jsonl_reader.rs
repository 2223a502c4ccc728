//! JSON Lines: one JSON object per line (what `DataFrame.to_json(orient="records",
//! lines=True)` writes). Read line by line; the first object's keys, in order, are the
//! columns. A key missing from a later line is a missing value there; keys not in use are
//! skipped whatever they hold.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::json_cells::{self, JsonCell};
use super::layout::Layout;
use super::targets::TargetSink;
use super::{
    Batch, BatchReader, DataError, DataSource, Element, FeedValues, ReadPlan, Schema, TextValues,
};
use crate::config::{DataConfig, Task};

/// Longest line read: a row of a JSON Lines file is one line, and one line is held whole.
const MAX_LINE: u64 = 64 << 20;

type Lines = BufReader<std::io::Take<File>>;

pub struct JsonlSource {
    path: PathBuf,
    schema: Schema,
    task: Task,
    lines: LineSource,
}

/// Reads lines with their numbers, skipping blank ones.
struct LineSource {
    reader: Lines,
    /// The last line read (1-based).
    number: u64,
    /// A line read ahead (the first one, whose keys name the columns).
    ahead: Option<(u64, Vec<u8>)>,
}

impl LineSource {
    /// The next line that is not blank, into `buf`; its number, or `None` at the end.
    fn next(&mut self, buf: &mut Vec<u8>) -> Result<Option<u64>, String> {
        if let Some((number, line)) = self.ahead.take() {
            *buf = line;
            return Ok(Some(number));
        }
        loop {
            buf.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE + 1)
                .read_until(b'\n', buf)
                .map_err(|e| format!("cannot read line {}: {e}", self.number + 1))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            if buf.len() as u64 > MAX_LINE {
                return Err(format!(
                    "line {} is longer than {} MiB; one row per line is expected",
                    self.number,
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

impl JsonlSource {
    pub fn open(config: &DataConfig, path: &Path, task: Task) -> Result<Self, DataError> {
        let (file, size) =
            crate::input_file::open_regular(path).map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let mut lines = LineSource {
            reader: BufReader::with_capacity(1 << 20, file.take(size)),
            number: 0,
            ahead: None,
        };
        let mut first = Vec::new();
        let number = lines
            .next(&mut first)
            .map_err(|message| DataError::Format {
                path: path.to_path_buf(),
                message,
            })?;
        let Some(number) = number else {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        };
        let columns: Vec<String> = json_cells::parse_keys(&first)
            .map_err(|message| DataError::AtLine {
                path: path.to_path_buf(),
                line: number,
                message,
            })?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        lines.ahead = Some((number, first));
        let label = config.label.as_deref().ok_or_else(|| DataError::Format {
            path: path.to_path_buf(),
            message: "`data.label` is not set: name the key that holds the ground truth".to_owned(),
        })?;
        let schema = Schema::new(columns, label, config, path, true)?;
        Ok(JsonlSource {
            path: path.to_path_buf(),
            schema,
            task,
            lines,
        })
    }
}

impl DataSource for JsonlSource {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn read(self: Box<Self>, plan: &ReadPlan) -> Result<Box<dyn BatchReader>, DataError> {
        let layout = Layout::new(plan, &self.schema);
        let mut slots: HashMap<String, usize> = layout
            .columns
            .iter()
            .enumerate()
            .map(|(slot, &c)| (self.schema.columns[c].clone(), slot))
            .collect();
        slots.insert(self.schema.label.clone(), layout.label());
        Ok(Box::new(JsonlReader {
            cells: vec![JsonCell::Missing; layout.label() + 1],
            targets: TargetSink::new(self.task, &self.schema.label),
            path: self.path,
            lines: self.lines,
            layout,
            slots,
            line: Vec::new(),
        }))
    }
}

pub struct JsonlReader {
    path: PathBuf,
    lines: LineSource,
    layout: Layout,
    /// Key → its slot in `cells` (the layout's columns, then the label).
    slots: HashMap<String, usize>,
    cells: Vec<JsonCell>,
    targets: TargetSink,
    line: Vec<u8>,
}

impl JsonlReader {
    fn at(&self, line: u64, message: String) -> DataError {
        DataError::AtLine {
            path: self.path.clone(),
            line,
            message,
        }
    }

    /// The current row's cells into the feeds.
    fn push_row(&mut self, feeds: &mut [FeedValues], line: u64) -> Result<(), String> {
        for (i, values) in feeds.iter_mut().enumerate() {
            let refused = crate::for_each_feed!(values,
                v => push_cells(v, &self.cells, &self.layout.positions[i], &mut self.layout.stats, line),
                t => push_text(t, &self.cells, &self.layout.positions[i])
            );
            if let Err((position, problem)) = refused {
                let found = self.cells[position].found();
                return Err(self.layout.message(i, position, &found, problem));
            }
        }
        Ok(())
    }
}

fn push_cells<T: Element>(
    out: &mut Vec<T>,
    cells: &[JsonCell],
    positions: &[usize],
    stats: &mut super::non_finite::NonFinite,
    line: u64,
) -> Result<(), (usize, super::Problem)> {
    for &position in positions {
        let cell = &cells[position];
        if T::FLOAT {
            match cell {
                JsonCell::Missing => stats.missing(position, line),
                JsonCell::Float(v) => stats.check(position, *v, line),
                _ => {}
            }
        }
        out.push(cell.to::<T>().map_err(|p| (position, p))?);
    }
    Ok(())
}

fn push_text(
    out: &mut TextValues,
    cells: &[JsonCell],
    positions: &[usize],
) -> Result<(), (usize, super::Problem)> {
    for &position in positions {
        out.push(cells[position].text().map_err(|p| (position, p))?);
    }
    Ok(())
}

impl BatchReader for JsonlReader {
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, DataError> {
        let mut feeds = self.layout.buffers(max_rows);
        let mut targets = self.targets.targets(max_rows);
        let mut rows = 0;
        let mut buf = std::mem::take(&mut self.line);
        while rows < max_rows {
            let line = match self.lines.next(&mut buf) {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(message) => return Err(self.at(self.lines.number, message)),
            };
            json_cells::parse_row(&buf, &self.slots, &mut self.cells)
                .map_err(|m| self.at(line, m))?;
            self.push_row(&mut feeds, line)
                .map_err(|m| self.at(line, m))?;
            let label = self.layout.label();
            let value = self
                .targets
                .push(&mut targets, self.cells[label].label())
                .map_err(|m| self.at(line, m))?;
            if let Some(value) = value {
                self.layout.stats.check(label, value, line);
            }
            rows += 1;
        }
        self.line = buf;
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
        self.layout.notes(&self.path.display().to_string(), "line")
    }
}

/// The first object's keys and values, as text.
pub fn peek(path: &Path) -> Option<(Vec<String>, Vec<String>)> {
    let (file, size) = crate::input_file::open_regular(path).ok()?;
    let mut lines = LineSource {
        reader: BufReader::new(file.take(size)),
        number: 0,
        ahead: None,
    };
    let mut first = Vec::new();
    lines.next(&mut first).ok()??;
    let keys = json_cells::parse_keys(&first).ok()?;
    let values = keys
        .iter()
        .map(|(_, v)| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    Some((keys.into_iter().map(|(k, _)| k).collect(), values))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{feed, read_all};
    use super::*;
    use crate::data::{FeedType, Targets};

    fn jsonl(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_typed_values_line_by_line() {
        let (_dir, path) = jsonl(concat!(
            "\u{feff}{\"id\": \"x\", \"city\": \"Paris\", \"age\": 31, \"w\": 1.5, \"y\": 1}\n",
            "\n",
            "{\"id\": [1, 2], \"city\": \"Rome\", \"age\": 40, \"w\": null, \"y\": 0}\n",
            "{\"city\": \"Oslo\", \"y\": 1, \"age\": 22}\n",
        ));
        let feeds = vec![
            feed(&[2, 3], FeedType::F64),
            feed(&[1], FeedType::Text),
            feed(&[2], FeedType::I32),
        ];
        let (batches, reader) = read_all(&path, "y", Task::Classification, feeds, 10).unwrap();
        let b = &batches[0];
        assert_eq!(b.rows, 3);
        match &b.feeds[0] {
            FeedValues::F64(v) => {
                assert_eq!(v[..3], [31.0, 1.5, 40.0]);
                assert!(v[3].is_nan() && v[5].is_nan());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(b.feeds[2], FeedValues::I32(vec![31, 40, 22]));
        match &b.feeds[1] {
            FeedValues::Text(t) => {
                assert_eq!(t.iter().collect::<Vec<_>>(), ["Paris", "Rome", "Oslo"])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&b.targets, Targets::Classes(ids) if ids == &[0, 1, 0]));
        let notes = reader.notes();
        assert!(
            notes[0].contains("column `w` holds 2 missing value(s)"),
            "{notes:?}"
        );
        assert!(notes[0].contains("first on line 3"), "{notes:?}");
    }

    #[test]
    fn peek_gives_the_first_objects_keys_and_values() {
        let (_dir, path) = jsonl("\n{\"b\": \"x\", \"a\": 1.5, \"n\": null}\n{\"b\": \"y\"}\n");
        let (columns, row) = peek(&path).unwrap();
        assert_eq!(columns, ["b", "a", "n"]);
        assert_eq!(row, ["x", "1.5", "null"]);
    }

    #[test]
    fn bad_lines_and_values_name_their_line() {
        let (_dir, path) = jsonl("{\"a\": 1, \"y\": 0}\n{\"a\": \"12\", \"y\": 1}\n");
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[0], FeedType::I64)],
            10,
        )
        .err()
        .unwrap();
        assert!(
            err.ends_with("d.jsonl: line 2: dtype mismatch: column `a` holds `12` (a JSON string), but input `int64_in` takes int64: it needs a number"),
            "{err}"
        );
        let (_dir, path) = jsonl("{\"a\": 1, \"y\": 0}\n{\"a\": 1, \"y\": \n");
        let err = read_all(
            &path,
            "y",
            Task::Classification,
            vec![feed(&[0], FeedType::F32)],
            10,
        )
        .err()
        .unwrap();
        assert!(
            err.contains("d.jsonl: line 2: not a JSON object: "),
            "{err}"
        );
        let (_dir, path) = jsonl("[1, 2]\n");
        let err = read_all(&path, "y", Task::Classification, vec![], 10)
            .err()
            .unwrap();
        assert!(err.contains("line 1: not a JSON object"), "{err}");
        let (_dir, path) = jsonl("\n\n");
        let err = read_all(&path, "y", Task::Classification, vec![], 10)
            .err()
            .unwrap();
        assert!(err.contains("has no rows"), "{err}");
    }
}
