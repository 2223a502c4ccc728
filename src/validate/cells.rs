//! Every column of a data file as typed cells, a chunk of rows at a time, for validation.
//!
//! The evaluation readers ([`crate::data`]) read only the columns the models use, converted
//! to the models' input types. Validation needs every column as the file has it: a number, a
//! string, a boolean or nothing. A [`Chunk`] holds a block of rows in one flat buffer (no
//! allocation per cell), so a scanner thread can fill one while another is profiled.

/// Where a row is in its file, for messages and annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowAt {
    /// 1-based data row (the header is not a row).
    pub row: u64,
    /// 1-based line of the file where the row starts, for text formats (CSV, JSON Lines).
    pub line: Option<u64>,
}

/// One cell, borrowed from its chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Missing: an empty CSV field or a null token (`NA`, `NaN`...), JSON `null`, a Parquet
    /// null, a NaN float.
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string: a CSV field that is not a number, a boolean or a null token; a JSON or
    /// Parquet string.
    Text(&'a str),
}

/// A cell as stored in a [`Chunk`]: text is a range of the chunk's text buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text { start: u32, end: u32 },
}

/// A block of rows, row-major: the cell of row `r`, column `c` is `slots[r * width + c]`.
#[derive(Debug, Default)]
pub struct Chunk {
    width: usize,
    rows: Vec<RowAt>,
    slots: Vec<Slot>,
    text: String,
}

impl Chunk {
    pub fn new(width: usize) -> Chunk {
        Chunk {
            width,
            ..Chunk::default()
        }
    }

    /// Empties the chunk, keeping its buffers.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.slots.clear();
        self.text.clear();
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes of text held, to bound a chunk by size as well as by rows.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    pub fn at(&self, r: usize) -> RowAt {
        self.rows[r]
    }

    pub fn cell(&self, r: usize, c: usize) -> Cell<'_> {
        match self.slots[r * self.width + c] {
            Slot::Null => Cell::Null,
            Slot::Bool(b) => Cell::Bool(b),
            Slot::Int(i) => Cell::Int(i),
            Slot::Float(f) => Cell::Float(f),
            Slot::Text { start, end } => Cell::Text(&self.text[start as usize..end as usize]),
        }
    }

    /// The cells of row `r`, in column order.
    pub fn row(&self, r: usize) -> impl Iterator<Item = Cell<'_>> + '_ {
        (0..self.width).map(move |c| self.cell(r, c))
    }

    /// Starts a row; push exactly `width` cells after it.
    pub fn start_row(&mut self, at: RowAt) {
        debug_assert_eq!(self.slots.len(), self.rows.len() * self.width);
        self.rows.push(at);
    }

    /// Appends a cell to the current row. A NaN float is stored as [`Slot::Null`]: missing.
    /// Text that would take the chunk past 4 GiB (its ranges are `u32`) is refused, whatever
    /// the scanner's own bound: the cell is not stored.
    pub fn push(&mut self, cell: Cell<'_>) -> Result<(), ChunkFull> {
        let slot = match cell {
            Cell::Null => Slot::Null,
            Cell::Bool(b) => Slot::Bool(b),
            Cell::Int(i) => Slot::Int(i),
            Cell::Float(f) if f.is_nan() => Slot::Null,
            Cell::Float(f) => Slot::Float(f),
            Cell::Text(s) => {
                let start = u32::try_from(self.text.len()).map_err(|_| ChunkFull)?;
                let end = u32::try_from(self.text.len() + s.len()).map_err(|_| ChunkFull)?;
                self.text.push_str(s);
                Slot::Text { start, end }
            }
        };
        self.slots.push(slot);
        Ok(())
    }
}

/// A cell's text did not fit in the chunk's 4 GiB of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a row holds more than 4 GiB of text")]
pub struct ChunkFull;

/// A scanner starts a new chunk once this much text is held (a row is never split).
pub const MAX_CHUNK_TEXT: usize = 64 << 20;

/// Rows a scanner puts in a chunk, at most.
pub const CHUNK_ROWS: usize = 4096;

/// A data file read as cells, every column.
pub trait Scanner: Send {
    /// Every column, in file order.
    fn columns(&self) -> &[String];
    /// Clears `chunk` and fills it with the next rows (at most [`CHUNK_ROWS`], at most about
    /// [`MAX_CHUNK_TEXT`] bytes of text); `false` at the end of the file.
    fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, crate::data::DataError>;
}

/// Interprets a CSV field: empty or a null token is [`Cell::Null`], an integer
/// [`Cell::Int`], another number [`Cell::Float`], `true`/`false` (any case) [`Cell::Bool`],
/// anything else [`Cell::Text`]. Surrounding spaces are ignored.
pub fn interpret_text(field: &str) -> Cell<'_> {
    let trimmed = field.trim();
    if is_null_token(trimmed) {
        return Cell::Null;
    }
    if let Ok(i) = trimmed.parse::<i64>() {
        return Cell::Int(i);
    }
    if looks_numeric(trimmed)
        && let Ok(f) = fast_float2::parse::<f64, _>(trimmed)
    {
        return if f.is_nan() {
            Cell::Null
        } else {
            Cell::Float(f)
        };
    }
    if trimmed.eq_ignore_ascii_case("true") {
        return Cell::Bool(true);
    }
    if trimmed.eq_ignore_ascii_case("false") {
        return Cell::Bool(false);
    }
    Cell::Text(field)
}

/// The tokens pandas reads as missing by default (its `na_values`), and the empty field.
pub fn is_null_token(s: &str) -> bool {
    matches!(
        s,
        "" | "NA"
            | "N/A"
            | "n/a"
            | "NaN"
            | "nan"
            | "-NaN"
            | "-nan"
            | "NULL"
            | "null"
            | "None"
            | "<NA>"
            | "#N/A"
    )
}

/// A cheap filter before the float parser: words like `inf` stay text unless spelt as a
/// number would be (`inf`, `-inf` and `infinity` are numbers to Python and to us).
fn looks_numeric(s: &str) -> bool {
    let first = s.as_bytes()[0];
    first.is_ascii_digit()
        || matches!(first, b'+' | b'-' | b'.')
        || s.eq_ignore_ascii_case("inf")
        || s.eq_ignore_ascii_case("infinity")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_interpreted_as_pandas_would() {
        assert_eq!(interpret_text(""), Cell::Null);
        assert_eq!(interpret_text("NA"), Cell::Null);
        assert_eq!(interpret_text("nan"), Cell::Null);
        assert_eq!(interpret_text(" 12 "), Cell::Int(12));
        assert_eq!(interpret_text("-1.5e3"), Cell::Float(-1500.0));
        assert_eq!(interpret_text("inf"), Cell::Float(f64::INFINITY));
        assert_eq!(interpret_text("True"), Cell::Bool(true));
        assert_eq!(interpret_text("setosa"), Cell::Text("setosa"));
        assert_eq!(interpret_text("1.2.3"), Cell::Text("1.2.3"));
        // Hostile text is kept verbatim: escaping belongs to each output, not to the reader.
        let hostile = "x\n::error::INJECTED";
        assert_eq!(interpret_text(hostile), Cell::Text(hostile));
    }

    #[test]
    fn a_chunk_holds_rows_of_cells() {
        let mut chunk = Chunk::new(3);
        chunk.start_row(RowAt {
            row: 1,
            line: Some(2),
        });
        chunk.push(Cell::Int(1)).unwrap();
        chunk.push(Cell::Text("a")).unwrap();
        chunk.push(Cell::Float(f64::NAN)).unwrap();
        chunk.start_row(RowAt {
            row: 2,
            line: Some(3),
        });
        chunk.push(Cell::Bool(true)).unwrap();
        chunk.push(Cell::Text("bc")).unwrap();
        chunk.push(Cell::Float(0.5)).unwrap();
        assert_eq!(chunk.len(), 2);
        assert_eq!(chunk.cell(0, 2), Cell::Null);
        assert_eq!(
            chunk.row(1).collect::<Vec<_>>(),
            [Cell::Bool(true), Cell::Text("bc"), Cell::Float(0.5)]
        );
        chunk.clear();
        assert!(chunk.is_empty());
    }
}
