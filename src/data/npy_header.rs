//! The header of a NumPy `.npy` array (also each member of an `.npz`), read and checked
//! before the array is: its declared shape must fit in the bytes that follow and in the
//! memory budget, so that a 192-byte file claiming 10^11 rows is an error, not an abort.

use std::io::Read;

/// Headers are a few hundred bytes; version 2 allows 4 GiB, which no honest file needs.
const MAX_HEADER_BYTES: usize = 1 << 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// NumPy's type string, e.g. `<f8`.
    pub descr: String,
    pub shape: Vec<u64>,
    /// Bytes before the data: magic, version, length and the header text.
    pub header_bytes: u64,
}

/// Element types the readers convert to f64, with their size in bytes.
fn item_size(descr: &str) -> Result<u64, String> {
    let kind = descr.trim_start_matches(['<', '>', '|', '=']);
    match kind {
        "f8" | "i8" | "u8" => Ok(8),
        "f4" | "i4" | "u4" => Ok(4),
        "i2" | "u2" => Ok(2),
        "i1" | "u1" | "b1" => Ok(1),
        "f2" | "e" => Err(format!(
            "dtype float16 (`{descr}`) is not supported: save the array as float32 (`a.astype(\"float32\")`)"
        )),
        _ => Err(format!(
            "dtype `{descr}` is not supported; use a float32/float64, integer or bool array"
        )),
    }
}

impl NpyHeader {
    /// Reads the header from the start of an `.npy` stream.
    pub fn read(reader: &mut impl Read) -> Result<NpyHeader, String> {
        let mut preamble = [0u8; 8];
        reader
            .read_exact(&mut preamble)
            .map_err(|_| "not a .npy array: too short for its header".to_owned())?;
        if &preamble[..6] != b"\x93NUMPY" {
            return Err("not a .npy array (no \\x93NUMPY magic)".to_owned());
        }
        let (len, fixed) = match preamble[6] {
            1 => {
                let mut b = [0u8; 2];
                reader
                    .read_exact(&mut b)
                    .map_err(|_| "truncated .npy header".to_owned())?;
                (usize::from(u16::from_le_bytes(b)), 10)
            }
            2 | 3 => {
                let mut b = [0u8; 4];
                reader
                    .read_exact(&mut b)
                    .map_err(|_| "truncated .npy header".to_owned())?;
                let len = u32::from_le_bytes(b) as usize;
                (len, 12)
            }
            v => return Err(format!(".npy format version {v} is not supported")),
        };
        if len > MAX_HEADER_BYTES {
            return Err(format!(
                ".npy header of {len} bytes; a valid one is a few hundred"
            ));
        }
        let mut text = vec![0u8; len];
        reader
            .read_exact(&mut text)
            .map_err(|_| "truncated .npy header".to_owned())?;
        let text = String::from_utf8_lossy(&text);
        let descr = dict_value(&text, "descr")
            .and_then(|v| {
                let v = v.trim();
                let quote = v.chars().next().filter(|c| *c == '\'' || *c == '"')?;
                let rest = &v[1..];
                Some(rest[..rest.find(quote)?].to_owned())
            })
            .ok_or_else(|| {
                "the .npy header has no simple `descr` (structured arrays are not supported)"
                    .to_owned()
            })?;
        if dict_value(&text, "fortran_order").is_some_and(|v| v.trim_start().starts_with("True")) {
            return Err(
                "Fortran-ordered arrays are not supported; save with np.ascontiguousarray"
                    .to_owned(),
            );
        }
        let shape = dict_value(&text, "shape")
            .and_then(|v| {
                let v = v.trim_start().strip_prefix('(')?;
                let inner = &v[..v.find(')')?];
                inner
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.trim_end_matches('L').parse::<u64>().ok())
                    .collect::<Option<Vec<u64>>>()
            })
            .ok_or_else(|| "the .npy header has no valid `shape`".to_owned())?;
        Ok(NpyHeader {
            descr,
            shape,
            header_bytes: (fixed + len) as u64,
        })
    }

    /// Elements and data bytes the header declares; an error when they overflow, or when the
    /// dtype is one the readers do not take.
    pub fn data_bytes(&self) -> Result<(u64, u64), String> {
        let size = item_size(&self.descr)?;
        let elements = self
            .shape
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(d))
            .ok_or_else(|| format!("shape {} overflows", self.shape_text()))?;
        let bytes = elements
            .checked_mul(size)
            .ok_or_else(|| format!("shape {} overflows", self.shape_text()))?;
        Ok((elements, bytes))
    }

    /// Checks the declared array against the bytes that follow the header and against a
    /// memory budget for its f64 copy (plus the original): before any allocation.
    pub fn check(&self, available: u64, max_memory_bytes: u64) -> Result<(), String> {
        let (elements, bytes) = self.data_bytes()?;
        let body = available.saturating_sub(self.header_bytes);
        if bytes > body {
            return Err(format!(
                "truncated or corrupt: the header declares shape {} of `{}` ({}), but {} follow",
                self.shape_text(),
                self.descr,
                human_bytes(bytes),
                human_bytes(body)
            ));
        }
        let needed = elements.saturating_mul(8).saturating_add(bytes);
        if needed > max_memory_bytes {
            return Err(format!(
                "shape {} needs {} in memory, above `runtime.max_memory_mb = {}`; raise it, or evaluate on a sample",
                self.shape_text(),
                human_bytes(needed),
                max_memory_bytes >> 20
            ));
        }
        Ok(())
    }

    fn shape_text(&self) -> String {
        let dims: Vec<String> = self.shape.iter().map(u64::to_string).collect();
        format!("({})", dims.join(", "))
    }
}

/// The text after `'key':` in a Python dict literal.
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    for quote in ['\'', '"'] {
        let pattern = format!("{quote}{key}{quote}");
        if let Some(i) = text.find(&pattern) {
            let rest = text[i + pattern.len()..].trim_start();
            return rest.strip_prefix(':');
        }
    }
    None
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (header.len() + 11) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out
    }

    #[test]
    fn a_huge_declared_shape_is_refused_before_allocating() {
        let bytes = npy("<f8", "(100000000000, 4)");
        let header = NpyHeader::read(&mut bytes.as_slice()).unwrap();
        assert_eq!(header.shape, [100_000_000_000, 4]);
        let err = header.check(bytes.len() as u64, 4 << 30).unwrap_err();
        assert!(err.contains("truncated or corrupt"), "{err}");
        assert!(err.contains("(100000000000, 4)"), "{err}");
        let overflow = npy("<f8", "(18446744073709551615, 4)");
        let header = NpyHeader::read(&mut overflow.as_slice()).unwrap();
        assert!(
            header
                .check(u64::MAX, u64::MAX)
                .unwrap_err()
                .contains("overflows")
        );
    }

    #[test]
    fn the_memory_budget_is_checked() {
        let bytes = npy("<f4", "(1000, 1000)");
        let header = NpyHeader::read(&mut bytes.as_slice()).unwrap();
        header.check(u64::MAX, 1 << 30).unwrap();
        let err = header.check(u64::MAX, 1 << 20).unwrap_err();
        assert!(err.contains("max_memory_mb = 1"), "{err}");
    }

    #[test]
    fn float16_and_garbage_say_what_is_wrong() {
        let bytes = npy("<f2", "(3,)");
        let header = NpyHeader::read(&mut bytes.as_slice()).unwrap();
        assert!(
            header
                .check(u64::MAX, u64::MAX)
                .unwrap_err()
                .contains("float16")
        );
        assert!(
            NpyHeader::read(&mut &b"hello world"[..])
                .unwrap_err()
                .contains("magic")
        );
        assert!(NpyHeader::read(&mut &b"\x93NUMPY\x01\x00\xff"[..]).is_err());
    }
}
