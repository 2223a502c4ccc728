//! Row and value hashes in bounded memory, for duplicates, unique columns and the data diff.
//!
//! Every hash is kept while there are at most `cap`; past that, only hashes whose top `level`
//! bits are zero are kept (level 1 keeps half of them, level 2 a quarter...), and counts are
//! scaled up by 2^level. The choice depends on the hash alone, so two files sampled at the
//! same level keep the same rows, and a duplicate is always kept with the row it repeats.
//! The counts are exact until a file has `cap` distinct rows, estimates after.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use rustc_hash::{FxBuildHasher, FxHasher};

use super::cells::Cell;

/// Entries kept per sample before it starts thinning itself (about 20 MB each).
pub const DEFAULT_CAP: usize = 1 << 19;

/// A set of 64-bit hashes with a value each, thinned by hash once it holds `cap`.
#[derive(Debug, Clone)]
pub struct HashSample<V> {
    entries: HashMap<u64, V, PassThrough>,
    level: u32,
    cap: usize,
}

impl<V> HashSample<V> {
    pub fn new(cap: usize) -> Self {
        HashSample {
            entries: HashMap::default(),
            level: 0,
            cap: cap.max(1),
        }
    }

    /// Whether `hash` is kept at the current level.
    pub fn keeps(&self, hash: u64) -> bool {
        keeps_at(hash, self.level)
    }

    /// The entry for `hash`, made by `new` when absent; `None` when the sample does not keep
    /// this hash (then nothing is stored).
    pub fn entry(&mut self, hash: u64, new: impl FnOnce() -> V) -> Option<&mut V> {
        if !self.keeps(hash) {
            return None;
        }
        if !self.entries.contains_key(&hash) && self.entries.len() >= self.cap {
            self.thin_to(self.level + 1);
            if !self.keeps(hash) {
                return None;
            }
        }
        Some(self.entries.entry(hash).or_insert_with(new))
    }

    /// Drops every entry a sample at `level` would not keep.
    pub fn thin_to(&mut self, level: u32) {
        if level <= self.level {
            return;
        }
        self.level = level.min(63);
        let level = self.level;
        self.entries.retain(|&h, _| keeps_at(h, level));
    }

    pub fn level(&self) -> u32 {
        self.level
    }

    /// What one kept entry stands for: 2^level entries of the whole.
    pub fn scale(&self) -> u64 {
        1 << self.level
    }

    pub fn is_exact(&self) -> bool {
        self.level == 0
    }

    pub fn get(&self, hash: u64) -> Option<&V> {
        self.entries.get(&hash)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.entries.iter().map(|(h, v)| (*h, v))
    }
}

fn keeps_at(hash: u64, level: u32) -> bool {
    level == 0 || hash >> (64 - level) == 0
}

/// The hashes are already mixed: the map uses them as they are.
#[derive(Debug, Clone, Copy, Default)]
struct PassThrough;

impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

#[derive(Debug, Clone, Copy)]
struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Hashes cells in order: a row, or a single value.
#[derive(Default)]
pub struct CellHasher(FxHasher);

impl CellHasher {
    pub fn new() -> Self {
        CellHasher(FxBuildHasher.build_hasher())
    }

    /// Numbers hash by value (`1` and `1.0` alike), so a file and its re-export match.
    pub fn push(&mut self, cell: Cell<'_>) {
        let h = &mut self.0;
        match cell {
            Cell::Null => h.write_u8(0),
            Cell::Bool(b) => h.write_u8(1 + u8::from(b)),
            Cell::Int(i) => {
                h.write_u8(3);
                h.write_u64((i as f64 + 0.0).to_bits());
            }
            Cell::Float(f) => {
                h.write_u8(3);
                h.write_u64((f + 0.0).to_bits());
            }
            Cell::Text(s) => {
                h.write_u8(4);
                h.write(s.as_bytes());
                h.write_u8(0xff);
            }
        }
    }

    /// The hash, mixed (the splitmix64 finaliser) so that its top bits are uniform.
    pub fn finish(&self) -> u64 {
        let mut z = self.0.finish();
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The hash of one cell.
pub fn cell_hash(cell: Cell<'_>) -> u64 {
    let mut h = CellHasher::new();
    h.push(cell);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_sample_thins_itself_and_scales_its_counts() {
        let mut sample: HashSample<u64> = HashSample::new(1000);
        for i in 0..10_000_i64 {
            if let Some(count) = sample.entry(cell_hash(Cell::Int(i)), || 0) {
                *count += 1;
            }
        }
        assert!(sample.level() >= 4);
        let estimate = sample.iter().count() as u64 * sample.scale();
        assert!((5_000..20_000).contains(&estimate), "{estimate}");
        // The same value again is kept or dropped as it was the first time.
        let h = cell_hash(Cell::Int(7));
        assert_eq!(sample.keeps(h), sample.get(h).is_some());
    }

    #[test]
    fn numbers_hash_by_value() {
        assert_eq!(cell_hash(Cell::Int(1)), cell_hash(Cell::Float(1.0)));
        assert_ne!(cell_hash(Cell::Int(1)), cell_hash(Cell::Text("1")));
        assert_ne!(cell_hash(Cell::Null), cell_hash(Cell::Bool(false)));
    }
}
