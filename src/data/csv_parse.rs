//! Tokenized CSV rows into typed feeds: each cell's text straight into the element type of
//! the input it goes to. One monomorphic loop per feed and type, so a float32 matrix costs
//! a number parse and a store per cell, as when every feature was read as float64.

use std::ops::Range;

use super::convert::{self, Element, Found, Problem};
use super::layout::Layout;
use super::targets::{LabelCell, TargetSink};
use super::{FeedValues, ReadPlan, Schema, Targets, TextValues};

/// Rows from the tokenizer: the bytes of the columns in use (the layout's columns, then the
/// label), concatenated. Field `i` of the block is `bytes[ends[i - 1]..ends[i]]`.
pub struct RawBlock {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Line number of each row, for messages.
    lines: Vec<u64>,
    pub rows: usize,
}

impl RawBlock {
    pub fn with_capacity(rows: usize, fields: usize) -> Self {
        RawBlock {
            bytes: Vec::with_capacity(rows * fields * 8),
            ends: Vec::with_capacity(rows * fields),
            lines: Vec::with_capacity(rows),
            rows: 0,
        }
    }

    pub fn push_field(&mut self, field: &[u8]) {
        self.bytes.extend_from_slice(field);
        self.ends.push(self.bytes.len());
    }

    pub fn end_row(&mut self, line: u64) {
        self.lines.push(line);
        self.rows += 1;
    }

    #[inline]
    fn field(&self, i: usize) -> &[u8] {
        let begin = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[begin..self.ends[i]]
    }
}

/// A cell that a feed cannot take: its row in the block, its position among the columns in
/// use, and why.
struct Refused {
    row: usize,
    position: usize,
    problem: Problem,
}

/// How the blocks of one file become feeds.
pub struct ParsePlan {
    pub layout: Layout,
}

impl ParsePlan {
    pub fn new(plan: &ReadPlan, schema: &Schema) -> Self {
        ParsePlan {
            layout: Layout::new(plan, schema),
        }
    }

    pub fn buffers(&self, rows: usize) -> Vec<FeedValues> {
        self.layout.buffers(rows)
    }

    pub fn notes(&self, file: &str, unit: &str) -> Vec<String> {
        self.layout.notes(file, unit)
    }

    /// Converts `rows` of `block` into `feeds` and `targets`; an error is its line and message.
    pub fn rows(
        &mut self,
        block: &RawBlock,
        rows: Range<usize>,
        feeds: &mut [FeedValues],
        targets: &mut Targets,
        sink: &mut TargetSink,
    ) -> Result<(), (u64, String)> {
        let stride = self.layout.columns.len() + 1;
        for (i, values) in feeds.iter_mut().enumerate() {
            let positions = &self.layout.positions[i];
            let stats = &mut self.layout.stats;
            let result = match values {
                FeedValues::Text(out) => fill_text(out, block, rows.clone(), stride, positions),
                FeedValues::F32(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::F64(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::F16(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::BF16(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::I8(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::I16(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::I32(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::I64(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::U8(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::U16(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::U32(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::U64(out) => fill(out, block, rows.clone(), stride, positions, stats),
                FeedValues::Bool(out) => fill(out, block, rows.clone(), stride, positions, stats),
            };
            if let Err(refused) = result {
                let raw = block.field(refused.row * stride + refused.position);
                let message = self.layout.message(
                    i,
                    refused.position,
                    &Found::text_cell(raw),
                    refused.problem,
                );
                return Err((block.lines[refused.row], message));
            }
        }
        let label = stride - 1;
        for row in rows {
            let line = block.lines[row];
            let raw = block.field(row * stride + label);
            if let Some(value) = sink
                .push(targets, LabelCell::Text(raw))
                .map_err(|m| (line, m))?
            {
                self.layout.stats.check(label, value, line);
            }
        }
        Ok(())
    }
}

/// The cells at `positions` of `rows`, row-major, into `out`.
#[inline]
fn fill<T: Element>(
    out: &mut Vec<T>,
    block: &RawBlock,
    rows: Range<usize>,
    stride: usize,
    positions: &[usize],
    stats: &mut super::non_finite::NonFinite,
) -> Result<(), Refused> {
    for row in rows {
        let first = row * stride;
        let line = block.lines[row];
        for &position in positions {
            let raw = block.field(first + position).trim_ascii();
            let value = if T::FLOAT {
                if raw.is_empty() {
                    stats.missing(position, line);
                    T::from_f64(f64::NAN)
                } else {
                    convert::parse_f64(raw).and_then(|x| {
                        stats.check(position, x, line);
                        T::from_f64(x)
                    })
                }
            } else if raw.is_empty() {
                Err(Problem::Missing)
            } else {
                T::from_text(raw)
            };
            match value {
                Ok(v) => out.push(v),
                Err(problem) => {
                    return Err(Refused {
                        row,
                        position,
                        problem,
                    });
                }
            }
        }
    }
    Ok(())
}

/// String cells as written: not trimmed (whitespace can be part of a category or a text).
fn fill_text(
    out: &mut TextValues,
    block: &RawBlock,
    rows: Range<usize>,
    stride: usize,
    positions: &[usize],
) -> Result<(), Refused> {
    for row in rows {
        for &position in positions {
            let raw = block.field(row * stride + position);
            let text = convert::text(raw).map_err(|problem| Refused {
                row,
                position,
                problem,
            })?;
            out.push(text);
        }
    }
    Ok(())
}
