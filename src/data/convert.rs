//! One cell into one feed element: the conversions every reader shares, and the message that
//! says why a value does not fit.
//!
//! The rules, for a float input: numbers as they are (missing cells become NaN, counted in a
//! note), and a finite value that overflows the type (1e6 in float16) is an error rather than
//! a silent infinity. Integer inputs take whole numbers within their range (`3.0` is 3; 3.5
//! is refused rather than truncated). Bool inputs take true/false or 1/0. Strings are taken
//! as they are, minus NUL bytes, which an ONNX Runtime string tensor cannot hold.

use half::{bf16, f16};

use super::feed::{Feed, FeedType, FeedValues};

/// Why a value cannot become the element type a feed needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Text that is not a number, for a numeric input.
    NotANumber,
    /// A number with a fraction, for an integer input.
    Fraction,
    /// Beyond the type's range: 1e6 in float16 (it would become infinity), 300 in int8.
    OutOfRange,
    /// Empty or null, for a type that has no missing value.
    Missing,
    /// Not true/false/1/0, for a bool input.
    NotBool,
    /// A NUL byte in a string.
    Nul,
    /// Bytes that are not UTF-8, for a string input.
    NotUtf8,
    /// A typed file's value of another kind: a JSON string for a number, a number for a string.
    WrongKind,
}

/// A feed element type other than strings.
pub trait Element: Copy + Send + 'static {
    const TYPE: FeedType;
    /// True for the float types: they take a missing value as NaN.
    const FLOAT: bool;
    fn from_f64(v: f64) -> Result<Self, Problem>;
    fn from_i64(v: i64) -> Result<Self, Problem>;
    fn from_u64(v: u64) -> Result<Self, Problem>;
    fn from_bool(v: bool) -> Result<Self, Problem>;
    /// A cell's text (trimmed, not empty), as in a CSV file.
    fn from_text(raw: &[u8]) -> Result<Self, Problem>;
    /// The typed buffer of `values`, when it holds this type.
    fn buffer(values: &mut FeedValues) -> Option<&mut Vec<Self>>;
}

/// A number from text, as the CSV reader has always parsed it (`nan` and `inf` included).
#[inline]
pub fn parse_f64(raw: &[u8]) -> Result<f64, Problem> {
    fast_float2::parse::<f64, _>(raw).map_err(|_| Problem::NotANumber)
}

macro_rules! float_element {
    ($t:ty, $variant:ident, $narrow:expr) => {
        impl Element for $t {
            const TYPE: FeedType = FeedType::$variant;
            const FLOAT: bool = true;
            #[inline]
            fn from_f64(v: f64) -> Result<Self, Problem> {
                let narrowed: $t = $narrow(v);
                // Rounding to the nearest value is the conversion; overflowing to infinity
                // would turn a real value into another one.
                if narrowed.is_infinite() && v.is_finite() {
                    Err(Problem::OutOfRange)
                } else {
                    Ok(narrowed)
                }
            }
            // `<Self as Element>`: half's types have an inherent `from_f64` of their own.
            fn from_i64(v: i64) -> Result<Self, Problem> {
                <Self as Element>::from_f64(v as f64)
            }
            fn from_u64(v: u64) -> Result<Self, Problem> {
                <Self as Element>::from_f64(v as f64)
            }
            fn from_bool(v: bool) -> Result<Self, Problem> {
                <Self as Element>::from_f64(f64::from(u8::from(v)))
            }
            #[inline]
            fn from_text(raw: &[u8]) -> Result<Self, Problem> {
                <Self as Element>::from_f64(parse_f64(raw)?)
            }
            fn buffer(values: &mut FeedValues) -> Option<&mut Vec<Self>> {
                match values {
                    FeedValues::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}

float_element!(f64, F64, |v: f64| v);
float_element!(f32, F32, |v: f64| v as f32);
float_element!(f16, F16, f16::from_f64);
float_element!(bf16, BF16, bf16::from_f64);

macro_rules! int_element {
    ($t:ty, $variant:ident) => {
        impl Element for $t {
            const TYPE: FeedType = FeedType::$variant;
            const FLOAT: bool = false;
            fn from_f64(v: f64) -> Result<Self, Problem> {
                if v.is_nan() {
                    return Err(Problem::Missing);
                }
                if v.is_infinite() {
                    return Err(Problem::OutOfRange);
                }
                if v.fract() != 0.0 {
                    return Err(Problem::Fraction);
                }
                // `as i128` saturates beyond ±1.7e38, which no integer type reaches either.
                <$t>::try_from(v as i128).map_err(|_| Problem::OutOfRange)
            }
            fn from_i64(v: i64) -> Result<Self, Problem> {
                <$t>::try_from(v).map_err(|_| Problem::OutOfRange)
            }
            fn from_u64(v: u64) -> Result<Self, Problem> {
                <$t>::try_from(v).map_err(|_| Problem::OutOfRange)
            }
            fn from_bool(v: bool) -> Result<Self, Problem> {
                Ok(if v { 1 } else { 0 })
            }
            fn from_text(raw: &[u8]) -> Result<Self, Problem> {
                // Exact for every integer (a float would round above 2^53); `3.0` or `1e3`
                // from a float column go through the float rules.
                match std::str::from_utf8(raw)
                    .ok()
                    .and_then(|s| s.parse::<i128>().ok())
                {
                    Some(v) => <$t>::try_from(v).map_err(|_| Problem::OutOfRange),
                    None => Self::from_f64(parse_f64(raw)?),
                }
            }
            fn buffer(values: &mut FeedValues) -> Option<&mut Vec<Self>> {
                match values {
                    FeedValues::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}

int_element!(i8, I8);
int_element!(i16, I16);
int_element!(i32, I32);
int_element!(i64, I64);
int_element!(u8, U8);
int_element!(u16, U16);
int_element!(u32, U32);
int_element!(u64, U64);

impl Element for bool {
    const TYPE: FeedType = FeedType::Bool;
    const FLOAT: bool = false;
    fn from_f64(v: f64) -> Result<Self, Problem> {
        if v.is_nan() {
            Err(Problem::Missing)
        } else if v == 0.0 {
            Ok(false)
        } else if v == 1.0 {
            Ok(true)
        } else {
            Err(Problem::NotBool)
        }
    }
    fn from_i64(v: i64) -> Result<Self, Problem> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Problem::NotBool),
        }
    }
    fn from_u64(v: u64) -> Result<Self, Problem> {
        Self::from_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
    fn from_bool(v: bool) -> Result<Self, Problem> {
        Ok(v)
    }
    fn from_text(raw: &[u8]) -> Result<Self, Problem> {
        if raw.eq_ignore_ascii_case(b"true") {
            Ok(true)
        } else if raw.eq_ignore_ascii_case(b"false") {
            Ok(false)
        } else {
            parse_f64(raw)
                .map_err(|_| Problem::NotBool)
                .and_then(Self::from_f64)
        }
    }
    fn buffer(values: &mut FeedValues) -> Option<&mut Vec<Self>> {
        match values {
            FeedValues::Bool(v) => Some(v),
            _ => None,
        }
    }
}

/// A string cell for a string input: UTF-8 without NUL bytes.
pub fn text(raw: &[u8]) -> Result<&str, Problem> {
    let text = std::str::from_utf8(raw).map_err(|_| Problem::NotUtf8)?;
    if memchr::memchr(0, raw).is_some() {
        return Err(Problem::Nul);
    }
    Ok(text)
}

/// What a cell held, for a message: the value as shown, and its kind in the file's terms
/// ("text", "a number", "a JSON string", "null").
pub struct Found {
    pub shown: String,
    pub kind: &'static str,
}

impl Found {
    /// A CSV cell: everything is text there, so say whether it reads as a number.
    pub fn text_cell(raw: &[u8]) -> Found {
        let trimmed = raw.trim_ascii();
        let kind = if trimmed.is_empty() {
            "an empty cell"
        } else if let Ok(v) = parse_f64(trimmed) {
            if v.fract() != 0.0 && v.is_finite() {
                "a fractional number"
            } else {
                "a number"
            }
        } else {
            "text"
        };
        Found {
            shown: super::shown(raw),
            kind,
        }
    }
}

/// The message for a value of column `column` that `feed` cannot take.
pub fn message(column: &str, found: &Found, feed: &Feed, problem: Problem) -> String {
    let column = super::shown(column.as_bytes());
    let dtype = feed.dtype;
    let takes = format!("{} takes {dtype}", feed.used_by);
    let value = if found.shown.is_empty() {
        found.kind.to_owned()
    } else {
        format!("`{}` ({})", found.shown, found.kind)
    };
    let why = match problem {
        Problem::NotANumber | Problem::WrongKind => match dtype {
            FeedType::Text => "write the values as text".to_owned(),
            _ => "it needs a number".to_owned(),
        },
        Problem::Fraction => "a fraction cannot become an integer without losing it".to_owned(),
        Problem::OutOfRange => range_of(dtype),
        Problem::Missing => format!(
            "{dtype} has no missing value; fill or drop the missing values before evaluation"
        ),
        Problem::NotBool => "bool takes true/false or 1/0".to_owned(),
        Problem::Nul => {
            "a NUL byte cannot be part of an ONNX Runtime string; remove it from the data"
                .to_owned()
        }
        Problem::NotUtf8 => "strings must be UTF-8 text".to_owned(),
    };
    format!("dtype mismatch: column `{column}` holds {value}, but {takes}: {why}")
}

fn range_of(dtype: FeedType) -> String {
    let range = match dtype {
        FeedType::F16 => "its largest finite value is 65504, and the value would become infinity",
        FeedType::BF16 | FeedType::F32 => {
            "its largest finite value is 3.4e38, and the value would become infinity"
        }
        FeedType::I8 => "its range is -128 to 127",
        FeedType::I16 => "its range is -32768 to 32767",
        FeedType::I32 => "its range is -2147483648 to 2147483647",
        FeedType::I64 => "its range is -2^63 to 2^63-1",
        FeedType::U8 => "its range is 0 to 255",
        FeedType::U16 => "its range is 0 to 65535",
        FeedType::U32 => "its range is 0 to 4294967295",
        FeedType::U64 => "its range is 0 to 2^64-1",
        FeedType::F64 | FeedType::Bool | FeedType::Text => "the value does not fit",
    };
    format!("the value is out of range ({range})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float16_and_float32_overflow_is_an_error_not_infinity() {
        assert_eq!(f16::from_f64(1.5), <f16 as Element>::from_f64(1.5).unwrap());
        assert_eq!(
            <f16 as Element>::from_text(b"1e6"),
            Err(Problem::OutOfRange)
        );
        assert_eq!(
            <f16 as Element>::from_f64(65504.0).unwrap(),
            f16::from_f64(65504.0)
        );
        assert_eq!(
            <f16 as Element>::from_f64(65520.0),
            Err(Problem::OutOfRange)
        );
        assert!(
            <f16 as Element>::from_f64(f64::INFINITY)
                .unwrap()
                .is_infinite()
        );
        assert!(<f16 as Element>::from_f64(f64::NAN).unwrap().is_nan());
        assert_eq!(<bf16 as Element>::from_f64(1e39), Err(Problem::OutOfRange));
        assert_eq!(
            <bf16 as Element>::from_f64(1e38).unwrap(),
            bf16::from_f64(1e38)
        );
        assert_eq!(<f32 as Element>::from_f64(1e39), Err(Problem::OutOfRange));
        // Parsed as float64, then rounded once: what pandas + `astype(np.float32)` does.
        assert_eq!(<f32 as Element>::from_text(b"0.1").unwrap(), 0.1f64 as f32);
    }

    #[test]
    fn integers_must_be_whole_and_in_range() {
        assert_eq!(<i64 as Element>::from_text(b"3.0"), Ok(3));
        assert_eq!(<i64 as Element>::from_text(b"1e3"), Ok(1000));
        assert_eq!(
            <i64 as Element>::from_text(b"9007199254740993"),
            Ok(9_007_199_254_740_993)
        );
        assert_eq!(<i64 as Element>::from_text(b"3.5"), Err(Problem::Fraction));
        assert_eq!(
            <i64 as Element>::from_text(b"Paris"),
            Err(Problem::NotANumber)
        );
        assert_eq!(<i8 as Element>::from_text(b"127"), Ok(127));
        assert_eq!(<i8 as Element>::from_text(b"128"), Err(Problem::OutOfRange));
        assert_eq!(<u8 as Element>::from_text(b"-1"), Err(Problem::OutOfRange));
        assert_eq!(<i32 as Element>::from_f64(f64::NAN), Err(Problem::Missing));
        assert_eq!(<i64 as Element>::from_f64(9.3e18), Err(Problem::OutOfRange));
        assert_eq!(<u64 as Element>::from_u64(u64::MAX), Ok(u64::MAX));
        assert_eq!(
            <i64 as Element>::from_u64(u64::MAX),
            Err(Problem::OutOfRange)
        );
        assert_eq!(
            <u64 as Element>::from_text(b"18446744073709551615"),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn bools_take_true_false_and_one_zero() {
        for (raw, want) in [
            (&b"true"[..], Ok(true)),
            (b"False", Ok(false)),
            (b"TRUE", Ok(true)),
            (b"1", Ok(true)),
            (b"0.0", Ok(false)),
            (b"2", Err(Problem::NotBool)),
            (b"yes", Err(Problem::NotBool)),
        ] {
            assert_eq!(<bool as Element>::from_text(raw), want, "{raw:?}");
        }
        assert_eq!(<f32 as Element>::from_bool(true), Ok(1.0));
    }

    #[test]
    fn strings_refuse_nul_and_invalid_utf8() {
        assert_eq!(text(b"Paris"), Ok("Paris"));
        assert_eq!(text(b"a\0b"), Err(Problem::Nul));
        assert_eq!(text(b"\xff"), Err(Problem::NotUtf8));
    }

    #[test]
    fn messages_name_the_column_the_value_and_both_types() {
        let feed = Feed {
            columns: vec![0],
            dtype: FeedType::I64,
            used_by: "input `age`".to_owned(),
        };
        let m = message(
            "age",
            &Found::text_cell(b"Paris"),
            &feed,
            Problem::NotANumber,
        );
        assert_eq!(
            m,
            "dtype mismatch: column `age` holds `Paris` (text), but input `age` takes int64: it needs a number"
        );
        let feed = Feed {
            dtype: FeedType::F16,
            ..feed
        };
        let m = message("x", &Found::text_cell(b"1e6"), &feed, Problem::OutOfRange);
        assert!(
            m.contains("`1e6` (a number), but input `age` takes float16"),
            "{m}"
        );
        assert!(m.contains("65504"), "{m}");
    }
}
