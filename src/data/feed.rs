//! What the models need from the data (a [`ReadPlan`]) and what a reader hands over for it
//! (one [`FeedValues`] buffer per [`Feed`]).
//!
//! A feed is a group of data columns read, row-major, into the element type of the model
//! input(s) it goes to: the whole `[N, F]` matrix of a single-input model, or the one column
//! of an `[N]`/`[N, 1]` input. Readers convert each cell straight into that type, so a value
//! that does not fit (text in an int64 input, 1e6 in a float16 one) is an error at its line,
//! and a float32 matrix is parsed into the buffer ONNX Runtime reads, with no copy between.

use std::fmt;

use half::{bf16, f16};

/// Element type of a feed: the ONNX tensor types mlops-ci can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedType {
    F32,
    F64,
    F16,
    BF16,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    Bool,
    Text,
}

impl fmt::Display for FeedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FeedType::F32 => "float",
            FeedType::F64 => "double",
            FeedType::F16 => "float16",
            FeedType::BF16 => "bfloat16",
            FeedType::I8 => "int8",
            FeedType::I16 => "int16",
            FeedType::I32 => "int32",
            FeedType::I64 => "int64",
            FeedType::U8 => "uint8",
            FeedType::U16 => "uint16",
            FeedType::U32 => "uint32",
            FeedType::U64 => "uint64",
            FeedType::Bool => "bool",
            FeedType::Text => "string",
        })
    }
}

impl FeedType {
    pub fn is_float(self) -> bool {
        matches!(
            self,
            FeedType::F32 | FeedType::F64 | FeedType::F16 | FeedType::BF16
        )
    }
}

/// Data columns read together into one row-major buffer of one element type.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// Indices into [`super::Schema::columns`], in the order of the buffer's columns.
    pub columns: Vec<usize>,
    pub dtype: FeedType,
    /// Who takes it, for messages: "input `X`", "inputs `X` (candidate), `input` (baseline)".
    pub used_by: String,
}

/// Every feed the models of a suite need, deduplicated: two models with the same float
/// matrix input share one buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadPlan {
    pub feeds: Vec<Feed>,
}

impl ReadPlan {
    /// The distinct columns in use, in order of first use.
    pub fn columns(&self) -> Vec<usize> {
        let mut seen = Vec::new();
        for feed in &self.feeds {
            for &c in &feed.columns {
                if !seen.contains(&c) {
                    seen.push(c);
                }
            }
        }
        seen
    }
}

/// Strings of a feed, packed: value `i` is `bytes[ends[i - 1]..ends[i]]`. One allocation per
/// batch instead of one per cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextValues {
    bytes: String,
    ends: Vec<usize>,
}

impl TextValues {
    pub fn with_capacity(values: usize) -> Self {
        TextValues {
            bytes: String::with_capacity(values * 8),
            ends: Vec::with_capacity(values),
        }
    }

    pub fn push(&mut self, value: &str) {
        self.bytes.push_str(value);
        self.ends.push(self.bytes.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// One feed's values for a batch, row-major `[rows, columns]`.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedValues {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    Bool(Vec<bool>),
    Text(TextValues),
}

/// Runs `$body` with `$v` bound to the typed `Vec` of every primitive variant, and `$text`
/// for strings.
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_feed {
    ($values:expr, $v:ident => $body:expr, $t:ident => $text:expr) => {
        match $values {
            $crate::data::FeedValues::F32($v) => $body,
            $crate::data::FeedValues::F64($v) => $body,
            $crate::data::FeedValues::F16($v) => $body,
            $crate::data::FeedValues::BF16($v) => $body,
            $crate::data::FeedValues::I8($v) => $body,
            $crate::data::FeedValues::I16($v) => $body,
            $crate::data::FeedValues::I32($v) => $body,
            $crate::data::FeedValues::I64($v) => $body,
            $crate::data::FeedValues::U8($v) => $body,
            $crate::data::FeedValues::U16($v) => $body,
            $crate::data::FeedValues::U32($v) => $body,
            $crate::data::FeedValues::U64($v) => $body,
            $crate::data::FeedValues::Bool($v) => $body,
            $crate::data::FeedValues::Text($t) => $text,
        }
    };
}

impl FeedValues {
    /// An empty buffer of `dtype` with room for `values` values.
    pub fn with_capacity(dtype: FeedType, values: usize) -> Self {
        match dtype {
            FeedType::F32 => FeedValues::F32(Vec::with_capacity(values)),
            FeedType::F64 => FeedValues::F64(Vec::with_capacity(values)),
            FeedType::F16 => FeedValues::F16(Vec::with_capacity(values)),
            FeedType::BF16 => FeedValues::BF16(Vec::with_capacity(values)),
            FeedType::I8 => FeedValues::I8(Vec::with_capacity(values)),
            FeedType::I16 => FeedValues::I16(Vec::with_capacity(values)),
            FeedType::I32 => FeedValues::I32(Vec::with_capacity(values)),
            FeedType::I64 => FeedValues::I64(Vec::with_capacity(values)),
            FeedType::U8 => FeedValues::U8(Vec::with_capacity(values)),
            FeedType::U16 => FeedValues::U16(Vec::with_capacity(values)),
            FeedType::U32 => FeedValues::U32(Vec::with_capacity(values)),
            FeedType::U64 => FeedValues::U64(Vec::with_capacity(values)),
            FeedType::Bool => FeedValues::Bool(Vec::with_capacity(values)),
            FeedType::Text => FeedValues::Text(TextValues::with_capacity(values)),
        }
    }

    /// Number of values (rows × columns).
    pub fn len(&self) -> usize {
        for_each_feed!(self, v => v.len(), t => t.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values `start..end` (by value index, not row) as a new buffer.
    pub fn slice(&self, start: usize, end: usize) -> FeedValues {
        match self {
            FeedValues::Text(t) => {
                let mut out = TextValues::with_capacity(end - start);
                for i in start..end {
                    out.push(t.get(i));
                }
                FeedValues::Text(out)
            }
            FeedValues::F32(v) => FeedValues::F32(v[start..end].to_vec()),
            FeedValues::F64(v) => FeedValues::F64(v[start..end].to_vec()),
            FeedValues::F16(v) => FeedValues::F16(v[start..end].to_vec()),
            FeedValues::BF16(v) => FeedValues::BF16(v[start..end].to_vec()),
            FeedValues::I8(v) => FeedValues::I8(v[start..end].to_vec()),
            FeedValues::I16(v) => FeedValues::I16(v[start..end].to_vec()),
            FeedValues::I32(v) => FeedValues::I32(v[start..end].to_vec()),
            FeedValues::I64(v) => FeedValues::I64(v[start..end].to_vec()),
            FeedValues::U8(v) => FeedValues::U8(v[start..end].to_vec()),
            FeedValues::U16(v) => FeedValues::U16(v[start..end].to_vec()),
            FeedValues::U32(v) => FeedValues::U32(v[start..end].to_vec()),
            FeedValues::U64(v) => FeedValues::U64(v[start..end].to_vec()),
            FeedValues::Bool(v) => FeedValues::Bool(v[start..end].to_vec()),
        }
    }

    /// Appends values `start..end` of `other`, which must be of the same type.
    pub fn extend_from(&mut self, other: &FeedValues, start: usize, end: usize) {
        macro_rules! extend {
            ($($variant:ident),*) => {
                match (self, other) {
                    $( (FeedValues::$variant(a), FeedValues::$variant(b)) => a.extend_from_slice(&b[start..end]), )*
                    (FeedValues::Text(a), FeedValues::Text(b)) => {
                        for i in start..end {
                            a.push(b.get(i));
                        }
                    }
                    _ => debug_assert!(false, "feeds of one plan keep their types"),
                }
            };
        }
        extend!(
            F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_pack_and_slice() {
        let mut t = TextValues::with_capacity(2);
        t.push("Paris");
        t.push("");
        t.push("Rome");
        assert_eq!(t.iter().collect::<Vec<_>>(), ["Paris", "", "Rome"]);
        let v = FeedValues::Text(t);
        let tail = v.slice(1, 3);
        let mut head = v.slice(0, 1);
        head.extend_from(&tail, 0, 2);
        assert_eq!(head, v);
    }

    #[test]
    fn plan_columns_are_distinct_in_order_of_use() {
        let feed = |columns: &[usize]| Feed {
            columns: columns.to_vec(),
            dtype: FeedType::F32,
            used_by: String::new(),
        };
        let plan = ReadPlan {
            feeds: vec![feed(&[3, 1]), feed(&[1, 0])],
        };
        assert_eq!(plan.columns(), [3, 1, 0]);
    }
}
