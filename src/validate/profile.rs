//! What one pass learns about each column, in memory that does not grow with the file:
//! counts per kind of cell, moments, a quantile sketch (every value while there are few,
//! then KLL), a HyperLogLog for distinct values and exact counts of a few categories. Every
//! part merges, so profiles of shards combine into the profile of the whole.

use std::collections::HashMap;

use datasketches::hll::{HllSketch, HllType, HllUnion};
use datasketches::kll::{KllFloat, KllSketch};
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

use super::cells::Cell;
use super::sample::{CategoryCounts, WeightedSample};

/// Values kept exactly, per column, before the quantile sketch takes over: the exact
/// two-sample tests (KS up to 10,000 per side) then run on the column itself.
pub const EXACT_VALUES: usize = 10_000;
/// KLL accuracy: a normalised rank error of about 0.03% (Wasserstein distances of a shifted
/// column within about 0.001 std of the exact ones at 200k rows).
const KLL_K: u16 = 8192;
/// Points a compacted sketch is summarised by for the tests: its quantiles at evenly spaced
/// ranks, each standing for an equal share of the column.
const SUMMARY_POINTS: usize = 4096;
/// Categories counted exactly; a column with more is not categorical (an id, free text).
pub const MAX_CATEGORIES: usize = 1000;
/// HyperLogLog registers: 2^12, a relative error of about 1.6%.
const HLL_LG_K: u8 = 12;

/// The profile of one column.
#[derive(Debug, Clone)]
pub struct ColumnProfile {
    pub counts: KindCounts,
    pub moments: Moments,
    quantiles: Quantiles,
    distinct: HllSketch,
    categories: Categories,
}

/// Cells of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    pub nulls: u64,
    pub bools: u64,
    pub ints: u64,
    pub floats: u64,
    /// Floats that are infinite: counted, kept out of the moments and quantiles.
    pub infinite: u64,
    pub texts: u64,
}

impl KindCounts {
    pub fn rows(&self) -> u64 {
        self.nulls + self.bools + self.ints + self.floats + self.texts
    }

    pub fn numbers(&self) -> u64 {
        self.ints + self.floats
    }

    /// The column's kind as most of its cells have it, for summaries and retyping.
    pub fn kind(&self) -> &'static str {
        let present = self.rows() - self.nulls;
        if present == 0 {
            "empty"
        } else if self.texts > 0 {
            if self.texts == present {
                "string"
            } else {
                "mixed"
            }
        } else if self.bools == present {
            "bool"
        } else if self.floats > 0 && self.bools == 0 {
            "float"
        } else if self.ints == present {
            "int"
        } else {
            "mixed"
        }
    }
}

/// Count, mean, sum of squared deviations (Welford), minimum and maximum of the finite
/// numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub count: u64,
    pub mean: f64,
    m2: f64,
    pub min: f64,
    pub max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Chan et al.'s pairwise combination.
    fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / n;
        self.mean += delta * other.count as f64 / n;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Population standard deviation (ddof 0), as Evidently normalises Wasserstein.
    pub fn std(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.m2 / self.count as f64).max(0.0).sqrt())
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    pub fn range(&self) -> Option<(f64, f64)> {
        (self.count > 0).then_some((self.min, self.max))
    }
}

/// Every finite number while there are at most [`EXACT_VALUES`], then a KLL sketch.
#[derive(Debug, Clone)]
enum Quantiles {
    Exact(Vec<f64>),
    Sketch(Box<KllSketch<KllFloat<f64>>>),
}

impl Default for Quantiles {
    fn default() -> Self {
        Quantiles::Exact(Vec::new())
    }
}

impl Quantiles {
    fn push(&mut self, x: f64) {
        match self {
            Quantiles::Exact(values) if values.len() < EXACT_VALUES => values.push(x),
            Quantiles::Exact(values) => {
                let mut sketch = new_kll();
                for &v in values.iter() {
                    sketch.update(kll_value(v));
                }
                sketch.update(kll_value(x));
                *self = Quantiles::Sketch(Box::new(sketch));
            }
            Quantiles::Sketch(sketch) => sketch.update(kll_value(x)),
        }
    }

    fn merge(&mut self, other: &Quantiles) {
        match other {
            Quantiles::Exact(values) => {
                for &v in values {
                    self.push(v);
                }
            }
            Quantiles::Sketch(theirs) => {
                if let Quantiles::Exact(values) = self {
                    let mut sketch = new_kll();
                    for &v in values.iter() {
                        sketch.update(kll_value(v));
                    }
                    *self = Quantiles::Sketch(Box::new(sketch));
                }
                if let Quantiles::Sketch(ours) = self {
                    // Both were made with KLL_K: merging cannot fail.
                    ours.merge(theirs).expect("sketches of the same k merge");
                }
            }
        }
    }

    fn sample(&self) -> WeightedSample {
        match self {
            Quantiles::Exact(values) => WeightedSample::exact(values),
            Quantiles::Sketch(sketch) => {
                let view = sketch.sorted_view();
                let weight = sketch.n() as f64 / SUMMARY_POINTS as f64;
                let values: Vec<f64> = (0..SUMMARY_POINTS)
                    .filter_map(|i| {
                        let rank = (i as f64 + 0.5) / SUMMARY_POINTS as f64;
                        view.quantile(rank, datasketches::common::SearchCriteria::Inclusive)
                            .ok()
                            .flatten()
                            .map(KllFloat::into_inner)
                    })
                    .collect();
                let weights = vec![weight; values.len()];
                WeightedSample { values, weights }
            }
        }
    }

    /// Whether the sample is the column itself.
    fn is_exact(&self) -> bool {
        matches!(self, Quantiles::Exact(_))
    }
}

fn new_kll() -> KllSketch<KllFloat<f64>> {
    KllSketch::new(KLL_K).expect("KLL_K is within the sketch's bounds")
}

/// Callers pass finite numbers only.
fn kll_value(x: f64) -> KllFloat<f64> {
    KllFloat::<f64>::new(x).expect("finite numbers are not NaN")
}

/// Exact counts per category while there are at most [`MAX_CATEGORIES`].
#[derive(Debug, Clone, Default)]
struct Categories {
    /// Numbers by their f64 bits (integers as exact f64), booleans and strings apart, so
    /// that counting a cell allocates nothing unless its category is new.
    numbers: HashMap<u64, u64, FxBuildHasher>,
    texts: HashMap<Box<str>, u64, FxBuildHasher>,
    bools: [u64; 2],
    /// More than [`MAX_CATEGORIES`]: the counts were dropped.
    overflowed: bool,
}

impl Categories {
    fn len(&self) -> usize {
        self.numbers.len() + self.texts.len() + self.bools.iter().filter(|&&c| c > 0).count()
    }

    fn push(&mut self, cell: Cell<'_>) {
        if self.overflowed {
            return;
        }
        match cell {
            Cell::Null => {}
            Cell::Bool(b) => self.bools[usize::from(b)] += 1,
            Cell::Int(i) => *self.numbers.entry(number_key(i as f64)).or_default() += 1,
            Cell::Float(f) => *self.numbers.entry(number_key(f)).or_default() += 1,
            Cell::Text(s) => match self.texts.get_mut(s) {
                Some(count) => *count += 1,
                None => {
                    self.texts.insert(s.into(), 1);
                }
            },
        }
    }

    /// Past [`MAX_CATEGORIES`]: the counts are dropped, their values go to `distinct`.
    fn overflow_into(&mut self, distinct: &mut HllSketch) {
        for key in self.numbers.keys() {
            distinct.update(*key);
        }
        for text in self.texts.keys() {
            distinct.update(&**text);
        }
        for (b, count) in [false, true].into_iter().zip(self.bools) {
            if count > 0 {
                distinct.update(b);
            }
        }
        *self = Categories {
            overflowed: true,
            ..Categories::default()
        };
    }

    /// Adds `other`'s counts; the caller overflows the result when it is too long.
    fn merge(&mut self, other: &Categories) {
        if other.overflowed || self.overflowed {
            self.overflowed = true;
            self.numbers.clear();
            self.texts.clear();
            return;
        }
        for (k, c) in &other.numbers {
            *self.numbers.entry(*k).or_default() += c;
        }
        for (k, c) in &other.texts {
            *self.texts.entry(k.clone()).or_default() += c;
        }
        self.bools[0] += other.bools[0];
        self.bools[1] += other.bools[1];
    }

    fn counts(&self) -> Option<CategoryCounts> {
        if self.overflowed {
            return None;
        }
        let numbers = self
            .numbers
            .iter()
            .map(|(bits, c)| (category_name(f64::from_bits(*bits)), *c));
        let texts = self.texts.iter().map(|(s, c)| (s.to_string(), *c));
        let bools = ["false", "true"]
            .into_iter()
            .zip(self.bools)
            .filter(|(_, c)| *c > 0)
            .map(|(s, c)| (s.to_owned(), c));
        let mut counts: CategoryCounts = numbers.chain(texts).chain(bools).collect();
        counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // `1` and `1.0` are one category; a number and its text too.
        counts.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        Some(counts)
    }
}

/// `-0.0` and `0.0` are one category.
fn number_key(x: f64) -> u64 {
    (x + 0.0).to_bits()
}

/// A number as a category, written as the contract's `allowed` values are compared.
pub fn category_name(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl Default for ColumnProfile {
    fn default() -> Self {
        ColumnProfile {
            counts: KindCounts::default(),
            moments: Moments::default(),
            quantiles: Quantiles::default(),
            distinct: HllSketch::new(HLL_LG_K, HllType::Hll8).expect("valid HLL size"),
            categories: Categories::default(),
        }
    }
}

impl ColumnProfile {
    pub fn push(&mut self, cell: Cell<'_>) {
        match cell {
            Cell::Null => {
                self.counts.nulls += 1;
                return;
            }
            Cell::Bool(_) => self.counts.bools += 1,
            Cell::Int(i) => {
                self.counts.ints += 1;
                self.push_number(i as f64);
            }
            Cell::Float(f) => {
                self.counts.floats += 1;
                if f.is_finite() {
                    self.push_number(f);
                } else {
                    self.counts.infinite += 1;
                }
            }
            Cell::Text(_) => self.counts.texts += 1,
        }
        // While the categories are counted they are the distinct values: the HyperLogLog
        // (a hash per cell) only starts when they overflow, from their keys.
        if self.categories.overflowed {
            match cell {
                Cell::Bool(b) => self.distinct.update(b),
                Cell::Int(i) => self.distinct.update(number_key(i as f64)),
                Cell::Float(f) => self.distinct.update(number_key(f)),
                Cell::Text(s) => self.distinct.update(s),
                Cell::Null => {}
            }
        } else {
            self.categories.push(cell);
            if self.categories.len() > MAX_CATEGORIES {
                self.categories.overflow_into(&mut self.distinct);
            }
        }
    }

    fn push_number(&mut self, x: f64) {
        self.moments.push(x);
        self.quantiles.push(x);
    }

    /// The distinct values as a HyperLogLog, whether or not the categories overflowed.
    fn distinct_sketch(&self) -> HllSketch {
        let mut sketch = self.distinct.clone();
        if !self.categories.overflowed {
            self.categories.clone().overflow_into(&mut sketch);
        }
        sketch
    }

    /// Adds another shard's profile of the same column.
    pub fn merge(&mut self, other: &ColumnProfile) {
        let c = &mut self.counts;
        let o = &other.counts;
        c.nulls += o.nulls;
        c.bools += o.bools;
        c.ints += o.ints;
        c.floats += o.floats;
        c.infinite += o.infinite;
        c.texts += o.texts;
        self.moments.merge(&other.moments);
        self.quantiles.merge(&other.quantiles);
        let mut union = HllUnion::new(HLL_LG_K).expect("valid HLL size");
        union.update(&self.distinct_sketch());
        union.update(&other.distinct_sketch());
        self.categories.merge(&other.categories);
        if self.categories.overflowed || self.categories.len() > MAX_CATEGORIES {
            self.distinct = union.to_sketch(HllType::Hll8);
            self.categories = Categories {
                overflowed: true,
                ..Categories::default()
            };
        }
    }

    /// The finite numbers, exactly or as the sketch's summary.
    pub fn sample(&self) -> WeightedSample {
        self.quantiles.sample()
    }

    /// Whether [`Self::sample`] is every value of the column.
    pub fn sample_is_exact(&self) -> bool {
        self.quantiles.is_exact()
    }

    /// Counts per category; `None` past [`MAX_CATEGORIES`].
    pub fn categories(&self) -> Option<CategoryCounts> {
        self.categories.counts()
    }

    /// Distinct non-missing values: exact while the categories are counted, else estimated.
    pub fn distinct(&self) -> u64 {
        if self.categories.overflowed {
            self.distinct.estimate().round() as u64
        } else {
            self.categories.len() as u64
        }
    }

    /// Whether the column is treated as numbers: most of its cells are, and none is text.
    pub fn is_numeric(&self) -> bool {
        self.counts.texts == 0 && self.counts.numbers() > 0
    }

    /// The quantiles at `ranks` (0..1) of the numbers.
    pub fn quantiles(&self, ranks: &[f64]) -> Option<Vec<f64>> {
        let sample = self.sample();
        if sample.is_empty() {
            return None;
        }
        let total = sample.total_weight();
        let mut out = Vec::with_capacity(ranks.len());
        let (mut i, mut seen) = (0, 0.0);
        for &rank in ranks {
            // The inverse CDF: the first value whose cumulative weight reaches the rank.
            let target = rank * total;
            while i + 1 < sample.len() && seen + sample.weights[i] < target {
                seen += sample.weights[i];
                i += 1;
            }
            out.push(sample.values[i]);
        }
        Some(out)
    }
}

/// A file's profile: every column, in file order.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub columns: Vec<String>,
    pub profiles: Vec<ColumnProfile>,
    pub rows: u64,
}

impl Profile {
    pub fn new(columns: &[String]) -> Profile {
        Profile {
            columns: columns.to_vec(),
            profiles: vec![ColumnProfile::default(); columns.len()],
            rows: 0,
        }
    }

    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(&self.profiles[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile_of(values: impl IntoIterator<Item = f64>) -> ColumnProfile {
        let mut p = ColumnProfile::default();
        for v in values {
            p.push(Cell::Float(v));
        }
        p
    }

    #[test]
    fn moments_and_categories_are_exact_for_small_columns() {
        let mut p = ColumnProfile::default();
        for cell in [
            Cell::Int(1),
            Cell::Float(1.0),
            Cell::Int(3),
            Cell::Null,
            Cell::Float(f64::INFINITY),
        ] {
            p.push(cell);
        }
        assert_eq!(p.counts.rows(), 5);
        assert_eq!(p.counts.nulls, 1);
        assert_eq!(p.counts.infinite, 1);
        assert_eq!(p.moments.count, 3);
        assert!((p.moments.mean - 5.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            p.categories().unwrap(),
            [
                ("1".to_owned(), 2),
                ("3".to_owned(), 1),
                ("inf".to_owned(), 1)
            ]
        );
        assert_eq!(p.distinct(), 3);
        assert!(p.sample_is_exact());
        assert_eq!(p.sample().values, [1.0, 1.0, 3.0]);
    }

    #[test]
    fn merged_shards_equal_the_whole() {
        let values: Vec<f64> = (0..30_000).map(|i| ((i * 7919) % 10_007) as f64).collect();
        let whole = profile_of(values.iter().copied());
        let mut left = profile_of(values[..12_000].iter().copied());
        left.merge(&profile_of(values[12_000..].iter().copied()));
        assert_eq!(left.moments.count, whole.moments.count);
        assert!((left.moments.mean - whole.moments.mean).abs() < 1e-9);
        assert!((left.moments.std().unwrap() - whole.moments.std().unwrap()).abs() < 1e-9);
        // Past EXACT_VALUES both are sketches: their medians agree to the sketch's error.
        let (a, b) = (
            left.quantiles(&[0.5]).unwrap()[0],
            whole.quantiles(&[0.5]).unwrap()[0],
        );
        assert!((a - b).abs() < 0.01 * 10_007.0, "{a} vs {b}");
        assert!(!whole.sample_is_exact());
        // 10,007 distinct values: the categories overflowed; HLL estimates within 5%.
        let d = whole.distinct() as f64;
        assert!((d - 10_007.0).abs() < 500.0, "{d}");
        assert!((left.distinct() as f64 - 10_007.0).abs() < 500.0);
    }

    #[test]
    fn a_sketch_summary_stands_for_every_value() {
        let p = profile_of((0..100_000).map(f64::from));
        let sample = p.sample();
        assert_eq!(sample.len(), SUMMARY_POINTS);
        assert!((sample.total_weight() - 100_000.0).abs() < 1e-6);
        let median = p.quantiles(&[0.5]).unwrap()[0];
        assert!((median - 50_000.0).abs() < 500.0, "{median}");
    }
}
