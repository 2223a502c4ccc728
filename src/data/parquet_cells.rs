//! Arrow arrays (decoded Parquet columns) into feed elements by the shared rules. A float
//! column without nulls into a float input is one typed loop; everything else goes cell by
//! cell through [`ArrowCell`].

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, BinaryArray, BinaryViewArray, BooleanArray, Float16Array, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, Int64Array, LargeBinaryArray, LargeStringArray, StringArray,
    StringViewArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};

use super::convert::{self, Element, Found, Problem};
use super::non_finite::NonFinite;
use super::targets::LabelCell;

/// One value of a decoded column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArrowCell<'a> {
    Null,
    Float(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Text(&'a [u8]),
}

impl<'a> ArrowCell<'a> {
    fn to<T: Element>(self) -> Result<T, Problem> {
        match self {
            ArrowCell::Null if T::FLOAT => T::from_f64(f64::NAN),
            ArrowCell::Null => Err(Problem::Missing),
            ArrowCell::Float(v) => T::from_f64(v),
            ArrowCell::Int(v) => T::from_i64(v),
            ArrowCell::UInt(v) => T::from_u64(v),
            ArrowCell::Bool(v) => T::from_bool(v),
            ArrowCell::Text(_) => Err(Problem::WrongKind),
        }
    }

    pub fn text(self) -> Result<&'a str, Problem> {
        match self {
            ArrowCell::Text(raw) => convert::text(raw),
            ArrowCell::Null => Err(Problem::Missing),
            _ => Err(Problem::WrongKind),
        }
    }

    pub fn label(self) -> LabelCell<'a> {
        match self {
            ArrowCell::Null => LabelCell::Missing,
            ArrowCell::Float(v) => LabelCell::Float(v),
            ArrowCell::Int(v) => LabelCell::Int(v),
            ArrowCell::UInt(v) => LabelCell::UInt(v),
            ArrowCell::Bool(v) => LabelCell::Bool(v),
            ArrowCell::Text(raw) => LabelCell::Text(raw),
        }
    }

    pub fn found(self) -> Found {
        let (shown, kind) = match self {
            ArrowCell::Null => (String::new(), "null"),
            ArrowCell::Float(v) => (v.to_string(), "a Parquet number"),
            ArrowCell::Int(v) => (v.to_string(), "a Parquet integer"),
            ArrowCell::UInt(v) => (v.to_string(), "a Parquet integer"),
            ArrowCell::Bool(v) => (v.to_string(), "a Parquet boolean"),
            ArrowCell::Text(raw) => (super::shown(raw), "a Parquet string"),
        };
        Found { shown, kind }
    }

    /// As text, for `init`'s peek at the first row.
    pub fn display(self) -> String {
        match self {
            ArrowCell::Null => String::new(),
            ArrowCell::Text(raw) => String::from_utf8_lossy(raw).into_owned(),
            other => other.found().shown,
        }
    }
}

/// A decoded column of one of the types mlops-ci reads.
pub enum Column<'a> {
    F16(&'a Float16Array),
    F32(&'a Float32Array),
    F64(&'a Float64Array),
    I8(&'a Int8Array),
    I16(&'a Int16Array),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    U8(&'a UInt8Array),
    U16(&'a UInt16Array),
    U32(&'a UInt32Array),
    U64(&'a UInt64Array),
    Bool(&'a BooleanArray),
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    BinaryView(&'a BinaryViewArray),
    /// Dictionary-encoded: each row's key into `values`.
    Dictionary {
        array: &'a dyn Array,
        keys: Vec<usize>,
        values: Box<Column<'a>>,
    },
    Null,
}

impl<'a> Column<'a> {
    /// The column's reading, or the name of its type when it is one no input takes (dates,
    /// decimals, lists, structs...).
    pub fn new(array: &'a dyn Array) -> Result<Column<'a>, String> {
        let column = if let Some(a) = array.as_primitive_opt::<Float64Type>() {
            Column::F64(a)
        } else if let Some(a) = array.as_primitive_opt::<Float32Type>() {
            Column::F32(a)
        } else if let Some(a) = array.as_primitive_opt::<Float16Type>() {
            Column::F16(a)
        } else if let Some(a) = array.as_primitive_opt::<Int64Type>() {
            Column::I64(a)
        } else if let Some(a) = array.as_primitive_opt::<Int32Type>() {
            Column::I32(a)
        } else if let Some(a) = array.as_primitive_opt::<Int16Type>() {
            Column::I16(a)
        } else if let Some(a) = array.as_primitive_opt::<Int8Type>() {
            Column::I8(a)
        } else if let Some(a) = array.as_primitive_opt::<UInt64Type>() {
            Column::U64(a)
        } else if let Some(a) = array.as_primitive_opt::<UInt32Type>() {
            Column::U32(a)
        } else if let Some(a) = array.as_primitive_opt::<UInt16Type>() {
            Column::U16(a)
        } else if let Some(a) = array.as_primitive_opt::<UInt8Type>() {
            Column::U8(a)
        } else if let Some(a) = array.as_boolean_opt() {
            Column::Bool(a)
        } else if let Some(a) = array.as_string_opt::<i32>() {
            Column::Utf8(a)
        } else if let Some(a) = array.as_string_opt::<i64>() {
            Column::LargeUtf8(a)
        } else if let Some(a) = array.as_string_view_opt() {
            Column::Utf8View(a)
        } else if let Some(a) = array.as_binary_opt::<i32>() {
            Column::Binary(a)
        } else if let Some(a) = array.as_binary_opt::<i64>() {
            Column::LargeBinary(a)
        } else if let Some(a) = array.as_binary_view_opt() {
            Column::BinaryView(a)
        } else if let Some(d) = array.as_any_dictionary_opt() {
            Column::Dictionary {
                array,
                keys: d.normalized_keys(),
                values: Box::new(Column::new(d.values().as_ref())?),
            }
        } else if array.as_any().is::<arrow_array::NullArray>() {
            Column::Null
        } else {
            return Err(array.data_type().to_string());
        };
        Ok(column)
    }

    /// Row `r`'s value.
    pub fn cell(&self, r: usize) -> ArrowCell<'a> {
        macro_rules! get {
            ($a:expr, $wrap:expr) => {
                if $a.is_null(r) {
                    ArrowCell::Null
                } else {
                    $wrap($a.value(r))
                }
            };
        }
        match self {
            Column::F16(a) => get!(a, |v: half::f16| ArrowCell::Float(f64::from(v))),
            Column::F32(a) => get!(a, |v: f32| ArrowCell::Float(f64::from(v))),
            Column::F64(a) => get!(a, ArrowCell::Float),
            Column::I8(a) => get!(a, |v: i8| ArrowCell::Int(i64::from(v))),
            Column::I16(a) => get!(a, |v: i16| ArrowCell::Int(i64::from(v))),
            Column::I32(a) => get!(a, |v: i32| ArrowCell::Int(i64::from(v))),
            Column::I64(a) => get!(a, ArrowCell::Int),
            Column::U8(a) => get!(a, |v: u8| ArrowCell::UInt(u64::from(v))),
            Column::U16(a) => get!(a, |v: u16| ArrowCell::UInt(u64::from(v))),
            Column::U32(a) => get!(a, |v: u32| ArrowCell::UInt(u64::from(v))),
            Column::U64(a) => get!(a, ArrowCell::UInt),
            Column::Bool(a) => get!(a, ArrowCell::Bool),
            Column::Utf8(a) => get!(a, |v: &'a str| ArrowCell::Text(v.as_bytes())),
            Column::LargeUtf8(a) => get!(a, |v: &'a str| ArrowCell::Text(v.as_bytes())),
            Column::Utf8View(a) => get!(a, |v: &'a str| ArrowCell::Text(v.as_bytes())),
            Column::Binary(a) => get!(a, ArrowCell::Text),
            Column::LargeBinary(a) => get!(a, ArrowCell::Text),
            Column::BinaryView(a) => get!(a, ArrowCell::Text),
            Column::Dictionary {
                array,
                keys,
                values,
            } => {
                if array.is_null(r) {
                    ArrowCell::Null
                } else {
                    keys.get(r).map_or(ArrowCell::Null, |&k| values.cell(k))
                }
            }
            Column::Null => ArrowCell::Null,
        }
    }

    /// Writes rows `0..rows` into `out[r * stride + offset]`, counting non-finite and missing
    /// values of float inputs under `position`. An error is the row and why.
    pub fn scatter<T: Element>(
        &self,
        out: &mut [T],
        stride: usize,
        offset: usize,
        rows: usize,
        counts: (&mut NonFinite, usize, u64),
    ) -> Result<(), (usize, Problem)> {
        let (stats, position, first_row) = counts;
        // The common case, without a per-cell match: float64/float32 without nulls.
        macro_rules! dense {
            ($values:expr) => {{
                for (r, &v) in $values.iter().take(rows).enumerate() {
                    let x = f64::from(v);
                    if T::FLOAT {
                        stats.check(position, x, first_row + r as u64);
                    }
                    out[r * stride + offset] = T::from_f64(x).map_err(|p| (r, p))?;
                }
                return Ok(());
            }};
        }
        match self {
            Column::F64(a) if a.null_count() == 0 => dense!(a.values()),
            Column::F32(a) if a.null_count() == 0 => dense!(a.values()),
            _ => {}
        }
        for r in 0..rows {
            let cell = self.cell(r);
            if T::FLOAT {
                match cell {
                    ArrowCell::Null => stats.missing(position, first_row + r as u64),
                    ArrowCell::Float(x) => stats.check(position, x, first_row + r as u64),
                    _ => {}
                }
            }
            out[r * stride + offset] = cell.to::<T>().map_err(|p| (r, p))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use arrow_array::{ArrayRef, DictionaryArray};

    #[test]
    fn columns_of_each_kind_read_by_the_shared_rules() {
        let mut stats = NonFinite::new(1);
        let floats = Float64Array::from(vec![Some(1.5), None, Some(f64::INFINITY)]);
        let mut out = vec![0.0f32; 3];
        Column::new(&floats)
            .unwrap()
            .scatter(&mut out, 1, 0, 3, (&mut stats, 0, 1))
            .unwrap();
        assert_eq!(out[0], 1.5);
        assert!(out[1].is_nan() && out[2].is_infinite());
        let notes = stats.notes(&["x".into()], "d.parquet", "row");
        assert!(
            notes[0].contains("1 non-finite value(s) and 1 missing"),
            "{notes:?}"
        );

        let ints = Int64Array::from(vec![1, 300]);
        let mut out = vec![0i8; 2];
        let err = Column::new(&ints)
            .unwrap()
            .scatter(&mut out, 1, 0, 2, (&mut stats, 0, 1))
            .unwrap_err();
        assert_eq!(err, (1, Problem::OutOfRange));

        let text = StringArray::from(vec!["Paris"]);
        let mut out = vec![0i64; 1];
        let err = Column::new(&text)
            .unwrap()
            .scatter(&mut out, 1, 0, 1, (&mut stats, 0, 1))
            .unwrap_err();
        assert_eq!(err, (0, Problem::WrongKind));
    }

    #[test]
    fn dictionaries_read_through_their_keys() {
        let dict: DictionaryArray<Int32Type> = vec![Some("b"), None, Some("a"), Some("b")]
            .into_iter()
            .collect();
        let array: ArrayRef = Arc::new(dict);
        let column = Column::new(array.as_ref()).unwrap();
        let cells: Vec<_> = (0..4).map(|r| column.cell(r)).collect();
        assert_eq!(
            cells,
            [
                ArrowCell::Text(b"b"),
                ArrowCell::Null,
                ArrowCell::Text(b"a"),
                ArrowCell::Text(b"b")
            ]
        );
        assert_eq!(cells[1].text(), Err(Problem::Missing));
    }
}
