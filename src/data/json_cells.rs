//! One JSON Lines row: an object whose keys name columns. Only the keys in use are kept (the
//! others are checked for syntax and skipped), each as a small [`JsonCell`]; then the cells
//! become feed elements by the shared rules.

use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::convert::{self, Element, Found, Problem};
use super::targets::LabelCell;

/// A value of a key in use.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum JsonCell {
    /// `null`, or the key is absent from this line.
    #[default]
    Missing,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    /// An array or an object: no input takes one.
    Nested(&'static str),
}

impl JsonCell {
    /// The cell as `T`; a missing value of a float input is NaN (the caller counts it).
    #[inline]
    pub fn to<T: Element>(&self) -> Result<T, Problem> {
        match self {
            JsonCell::Missing if T::FLOAT => T::from_f64(f64::NAN),
            JsonCell::Missing => Err(Problem::Missing),
            JsonCell::Bool(v) => T::from_bool(*v),
            JsonCell::Int(v) => T::from_i64(*v),
            JsonCell::UInt(v) => T::from_u64(*v),
            JsonCell::Float(v) => T::from_f64(*v),
            JsonCell::Str(_) | JsonCell::Nested(_) => Err(Problem::WrongKind),
        }
    }

    /// The cell for a string input: JSON strings only.
    pub fn text(&self) -> Result<&str, Problem> {
        match self {
            JsonCell::Str(s) => convert::text(s.as_bytes()),
            JsonCell::Missing => Err(Problem::Missing),
            _ => Err(Problem::WrongKind),
        }
    }

    pub fn label(&self) -> LabelCell<'_> {
        match self {
            JsonCell::Missing | JsonCell::Nested(_) => LabelCell::Missing,
            JsonCell::Bool(v) => LabelCell::Bool(*v),
            JsonCell::Int(v) => LabelCell::Int(*v),
            JsonCell::UInt(v) => LabelCell::UInt(*v),
            JsonCell::Float(v) => LabelCell::Float(*v),
            JsonCell::Str(s) => LabelCell::Text(s.as_bytes()),
        }
    }

    pub fn found(&self) -> Found {
        let (shown, kind) = match self {
            JsonCell::Missing => (String::new(), "null (or no value)"),
            JsonCell::Bool(v) => (v.to_string(), "a JSON boolean"),
            JsonCell::Int(v) => (v.to_string(), "a JSON number"),
            JsonCell::UInt(v) => (v.to_string(), "a JSON number"),
            JsonCell::Float(v) => (v.to_string(), "a JSON number"),
            JsonCell::Str(s) => (super::shown(s.as_bytes()), "a JSON string"),
            JsonCell::Nested(kind) => (String::new(), *kind),
        };
        Found { shown, kind }
    }
}

/// Parses one line into `cells`, indexed by the slot `slots` gives each key in use. Cells of
/// keys the line lacks stay [`JsonCell::Missing`].
pub fn parse_row(
    line: &[u8],
    slots: &HashMap<String, usize>,
    cells: &mut [JsonCell],
) -> Result<(), String> {
    cells.fill(JsonCell::Missing);
    let mut de = serde_json::Deserializer::from_slice(line);
    RowSeed { slots, cells }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| describe(&e, line))
}

/// The keys of one line, in order, with their values: the columns of the file.
pub fn parse_keys(line: &[u8]) -> Result<Vec<(String, serde_json::Value)>, String> {
    let mut de = serde_json::Deserializer::from_slice(line);
    KeysSeed
        .deserialize(&mut de)
        .and_then(|keys| de.end().map(|()| keys))
        .map_err(|e| describe(&e, line))
}

/// serde_json's message, with the position within the line (the line is said by the caller).
pub(crate) fn describe(e: &serde_json::Error, line: &[u8]) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(cut) => format!("{} (at column {})", &text[..cut], e.column()),
        None => text,
    };
    let hint = if memchr::memmem::find(line, b"NaN").is_some()
        || memchr::memmem::find(line, b"Infinity").is_some()
    {
        "; NaN and Infinity are not JSON: write null for a missing value"
    } else {
        ""
    };
    format!("not a JSON object: {text}{hint}")
}

struct RowSeed<'a> {
    slots: &'a HashMap<String, usize>,
    cells: &'a mut [JsonCell],
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
        while let Some(slot) = map.next_key_seed(KeySeed(self.slots))? {
            match slot.and_then(|s| self.cells.get_mut(s)) {
                Some(cell) => *cell = map.next_value_seed(CellSeed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A key, looked up without allocating: its slot, or `None` for a key not in use.
struct KeySeed<'a>(&'a HashMap<String, usize>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a column name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.get(v).copied())
    }
}

struct CellSeed;

impl<'de> DeserializeSeed<'de> for CellSeed {
    type Value = JsonCell;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsonCell, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed {
    type Value = JsonCell;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<JsonCell, E> {
        Ok(JsonCell::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<JsonCell, E> {
        Ok(JsonCell::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<JsonCell, E> {
        Ok(JsonCell::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<JsonCell, E> {
        Ok(JsonCell::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<JsonCell, E> {
        Ok(JsonCell::Str(v.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<JsonCell, E> {
        Ok(JsonCell::Missing)
    }
    fn visit_none<E>(self) -> Result<JsonCell, E> {
        Ok(JsonCell::Missing)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonCell, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JsonCell::Nested("a JSON array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonCell, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JsonCell::Nested("a JSON object"))
    }
}

struct KeysSeed;

impl<'de> DeserializeSeed<'de> for KeysSeed {
    type Value = Vec<(String, serde_json::Value)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed {
    type Value = Vec<(String, serde_json::Value)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object, one row per line")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys: Vec<(String, serde_json::Value)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            match keys.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => keys.push((key, value)),
            }
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_keys_in_use_and_marks_absent_ones_missing() {
        let slots: HashMap<String, usize> = [("a".to_owned(), 0), ("c".to_owned(), 1)].into();
        let mut cells = vec![JsonCell::Missing; 2];
        parse_row(
            br#"{"a": 1.5, "b": [1, {"x": 2}], "z": "anything"}"#,
            &slots,
            &mut cells,
        )
        .unwrap();
        assert_eq!(cells, [JsonCell::Float(1.5), JsonCell::Missing]);
        parse_row(br#"{"c": "Paris", "a": null}"#, &slots, &mut cells).unwrap();
        assert_eq!(cells, [JsonCell::Missing, JsonCell::Str("Paris".into())]);
        assert_eq!(cells[1].to::<f32>(), Err(Problem::WrongKind));
        assert!(cells[0].to::<f32>().unwrap().is_nan());
        assert_eq!(cells[0].to::<i64>(), Err(Problem::Missing));
    }

    #[test]
    fn bad_lines_say_what_is_wrong_where() {
        let slots = HashMap::new();
        let err = parse_row(br#"{"a": 1,"#, &slots, &mut []).unwrap_err();
        assert!(err.starts_with("not a JSON object: "), "{err}");
        assert!(err.contains("(at column"), "{err}");
        let err = parse_row(b"[1, 2]", &slots, &mut []).unwrap_err();
        assert!(err.contains("expected an object"), "{err}");
        let err = parse_row(br#"{"a": NaN}"#, &slots, &mut []).unwrap_err();
        assert!(err.contains("write null"), "{err}");
        let err = parse_row(br#"{"a": 1} {"b": 2}"#, &slots, &mut []).unwrap_err();
        assert!(err.contains("trailing"), "{err}");
    }

    #[test]
    fn keys_come_in_file_order() {
        let keys = parse_keys(br#"{"z": 1, "a": "x", "m": null}"#).unwrap();
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["z", "a", "m"]);
    }
}
