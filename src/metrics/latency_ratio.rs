//! Candidate vs baseline latency as a ratio with a confidence interval.
//!
//! The two models are timed in pairs: both on the same batch, one right after the other,
//! alternating which goes first. A pair shares the batch and the machine's load at that
//! moment, so the ratio of paired timings is far steadier than two separate timings on a
//! noisy shared runner. A seeded bootstrap over the pairs (resampling pairs, both models
//! together) gives the interval of each ratio.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::MetricId;

/// Pairs kept for the estimate; past this a uniform sample of them (reservoir sampling), so
/// memory and bootstrap time stay bounded on any dataset.
const MAX_PAIRS: usize = 4096;
/// Bootstrap resamples.
const RESAMPLES: usize = 2000;
/// Fixed seed: the same timings always give the same interval.
const SEED: u64 = 0x6d6c_6f70_732d_6369;
/// Below this many pairs there is no interval (too few to trust), and no gate fails on the
/// ratio.
pub const MIN_PAIRS: u64 = 10;

#[derive(Debug, Clone, Copy)]
struct Pair {
    /// Nanoseconds of the candidate's run.
    candidate: u64,
    /// Nanoseconds of the baseline's run on the same batch.
    baseline: u64,
    rows: u64,
}

/// Paired batch timings of the candidate and the baseline.
pub struct PairedTimes {
    pairs: Vec<Pair>,
    seen: u64,
    rng: fastrand::Rng,
}

impl Default for PairedTimes {
    fn default() -> Self {
        Self {
            pairs: Vec::new(),
            seen: 0,
            rng: fastrand::Rng::with_seed(SEED),
        }
    }
}

/// A ratio candidate / baseline and its confidence interval (in the metric's own
/// orientation: for throughput, candidate throughput / baseline throughput).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RatioEstimate {
    pub metric: String,
    pub ratio: f64,
    /// The interval's bounds; `None` with fewer than [`MIN_PAIRS`] pairs.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// What the paired timing measured, for the report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatencyRatios {
    /// Pairs timed (each: both models on the same batch).
    pub pairs: u64,
    /// Pairs the estimate used (a uniform sample when more ran).
    pub sampled: usize,
    /// Two-sided confidence level of `low..high`.
    pub confidence: f64,
    /// One entry per timing metric: latency percentiles (batch and per example), throughput.
    pub ratios: Vec<RatioEstimate>,
}

/// What each statistic is computed from, in the order `statistics` returns them.
const STATISTICS: [MetricId; 7] = [
    MetricId::LatencyP50Ms,
    MetricId::LatencyP95Ms,
    MetricId::LatencyP99Ms,
    MetricId::LatencyPerExampleP50Ms,
    MetricId::LatencyPerExampleP95Ms,
    MetricId::LatencyPerExampleP99Ms,
    MetricId::ThroughputEps,
];

impl PairedTimes {
    pub fn record(&mut self, candidate: Duration, baseline: Duration, rows: usize) {
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
        let pair = Pair {
            candidate: nanos(candidate),
            baseline: nanos(baseline),
            rows: rows.max(1) as u64,
        };
        self.seen += 1;
        if self.pairs.len() < MAX_PAIRS {
            self.pairs.push(pair);
        } else {
            let slot = self.rng.u64(0..self.seen) as usize;
            if slot < MAX_PAIRS {
                self.pairs[slot] = pair;
            }
        }
    }

    /// Pairs recorded so far.
    pub fn len(&self) -> u64 {
        self.seen
    }

    pub fn is_empty(&self) -> bool {
        self.seen == 0
    }

    /// Ratios and their `confidence` intervals (percentile bootstrap over pairs). `None`
    /// without any pair.
    pub fn estimate(&self, confidence: f64) -> Option<LatencyRatios> {
        if self.pairs.is_empty() {
            return None;
        }
        let mut scratch = Scratch::default();
        let point = scratch.statistics(&self.pairs, 0..self.pairs.len());
        let n = self.pairs.len();
        let mut draws: Vec<[f64; 7]> = Vec::with_capacity(RESAMPLES);
        if self.seen >= MIN_PAIRS {
            let mut rng = fastrand::Rng::with_seed(SEED);
            let mut sample = Vec::with_capacity(n);
            for _ in 0..RESAMPLES {
                sample.clear();
                sample.extend((0..n).map(|_| self.pairs[rng.usize(0..n)]));
                draws.push(scratch.statistics(&sample, 0..n));
            }
        }
        let alpha = (1.0 - confidence).clamp(0.0, 1.0);
        let mut ratios = Vec::new();
        for (i, id) in STATISTICS.iter().enumerate() {
            let (low, high) = if draws.is_empty() {
                (None, None)
            } else {
                let mut column: Vec<f64> = draws.iter().map(|d| d[i]).collect();
                column.sort_by(f64::total_cmp);
                (
                    Some(percentile(&column, alpha / 2.0)),
                    Some(percentile(&column, 1.0 - alpha / 2.0)),
                )
            };
            ratios.push(RatioEstimate {
                metric: id.name().to_owned(),
                ratio: point[i],
                low,
                high,
            });
        }
        Some(LatencyRatios {
            pairs: self.seen,
            sampled: n,
            confidence,
            ratios,
        })
    }
}

impl LatencyRatios {
    /// The estimate behind `id`: a timing metric's own ratio, or the ratio a ratio metric is.
    pub fn get(&self, id: MetricId) -> Option<&RatioEstimate> {
        let source = match id {
            MetricId::LatencyRatioP50 => MetricId::LatencyP50Ms,
            MetricId::LatencyRatioP95 => MetricId::LatencyP95Ms,
            MetricId::ThroughputRatio => MetricId::ThroughputEps,
            other => other,
        };
        self.ratios.iter().find(|r| r.metric == source.name())
    }
}

/// Buffers reused across resamples.
#[derive(Default)]
struct Scratch {
    candidate: Vec<u64>,
    baseline: Vec<u64>,
    candidate_per_example: Vec<u64>,
    baseline_per_example: Vec<u64>,
}

impl Scratch {
    /// Candidate / baseline for each of `STATISTICS`, over `pairs[range]`.
    fn statistics(&mut self, pairs: &[Pair], range: std::ops::Range<usize>) -> [f64; 7] {
        let pairs = &pairs[range];
        self.candidate.clear();
        self.baseline.clear();
        self.candidate_per_example.clear();
        self.baseline_per_example.clear();
        let (mut sum_candidate, mut sum_baseline) = (0u128, 0u128);
        for p in pairs {
            self.candidate.push(p.candidate);
            self.baseline.push(p.baseline);
            // Picoseconds, so that small per-example times keep their precision.
            self.candidate_per_example
                .push(p.candidate.saturating_mul(1000) / p.rows);
            self.baseline_per_example
                .push(p.baseline.saturating_mul(1000) / p.rows);
            sum_candidate += u128::from(p.candidate);
            sum_baseline += u128::from(p.baseline);
        }
        let c = quantiles(&mut self.candidate);
        let b = quantiles(&mut self.baseline);
        let ce = quantiles(&mut self.candidate_per_example);
        let be = quantiles(&mut self.baseline_per_example);
        let ratio = |c: u64, b: u64| c as f64 / b.max(1) as f64;
        [
            ratio(c[0], b[0]),
            ratio(c[1], b[1]),
            ratio(c[2], b[2]),
            ratio(ce[0], be[0]),
            ratio(ce[1], be[1]),
            ratio(ce[2], be[2]),
            // Same rows on both sides: throughput ratio = baseline time / candidate time.
            sum_baseline as f64 / sum_candidate.max(1) as f64,
        ]
    }
}

/// The 50th, 95th and 99th percentiles (nearest rank, as hdrhistogram reports them).
/// Reorders `values`.
fn quantiles(values: &mut [u64]) -> [u64; 3] {
    let n = values.len();
    if n == 0 {
        return [0; 3];
    }
    let rank = |q: f64| (((q * n as f64).ceil() as usize).max(1) - 1).min(n - 1);
    let mut out = [0; 3];
    // Each selection partitions the slice, so the next (higher) rank only searches above.
    let mut from = 0;
    for (slot, q) in out.iter_mut().zip([0.50, 0.95, 0.99]) {
        let r = rank(q).max(from);
        let (_, value, _) = values[from..].select_nth_unstable(r - from);
        *slot = *value;
        from = r;
    }
    out
}

/// Linear-interpolated percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    let weight = position - below as f64;
    sorted[below] * (1.0 - weight) + sorted[above] * weight
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: f64) -> Duration {
        Duration::from_secs_f64(v / 1e3)
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(quantiles(&mut v), [50, 95, 99]);
        assert_eq!(quantiles(&mut [7]), [7, 7, 7]);
    }

    #[test]
    fn identical_timings_give_a_ratio_of_one() {
        let mut t = PairedTimes::default();
        for i in 0..50 {
            let d = ms(1.0 + (i % 7) as f64 * 0.1);
            t.record(d, d, 256);
        }
        let r = t.estimate(0.95).unwrap();
        for e in &r.ratios {
            assert_eq!(
                (e.ratio, e.low, e.high),
                (1.0, Some(1.0), Some(1.0)),
                "{e:?}"
            );
        }
    }

    #[test]
    fn a_slower_candidate_is_seen_through_shared_noise() {
        // Each pair shares a load factor between 1x and 3x (a busy machine); the candidate
        // is 30% slower. The ratio sees through the load.
        let mut rng = fastrand::Rng::with_seed(1);
        let mut t = PairedTimes::default();
        for _ in 0..300 {
            let load = 1.0 + 2.0 * rng.f64();
            let base = load * (1.0 + 0.05 * (rng.f64() - 0.5));
            let cand = 1.3 * load * (1.0 + 0.05 * (rng.f64() - 0.5));
            t.record(ms(cand), ms(base), 100);
        }
        let r = t.estimate(0.95).unwrap();
        let p50 = r.get(MetricId::LatencyRatioP50).unwrap();
        assert!(p50.low > Some(1.15) && p50.high < Some(1.45), "{p50:?}");
        let tp = r.get(MetricId::ThroughputRatio).unwrap();
        assert!(tp.ratio < 0.85 && tp.high < Some(1.0), "{tp:?}");
        // Per-example ratios follow the batch ratios when batches have the same size.
        let pe = r.get(MetricId::LatencyPerExampleP50Ms).unwrap();
        assert!((pe.ratio - p50.ratio).abs() < 0.02, "{pe:?} vs {p50:?}");
    }

    #[test]
    fn same_distribution_interval_covers_one() {
        let mut rng = fastrand::Rng::with_seed(2);
        let mut t = PairedTimes::default();
        for _ in 0..200 {
            let load = 1.0 + rng.f64();
            t.record(
                ms(load * (1.0 + 0.2 * rng.f64())),
                ms(load * (1.0 + 0.2 * rng.f64())),
                10,
            );
        }
        let r = t.estimate(0.95).unwrap();
        for e in &r.ratios {
            let (low, high) = (e.low.unwrap(), e.high.unwrap());
            assert!(low <= 1.0 && high >= 1.0, "{e:?}");
            assert!(low <= e.ratio && e.ratio <= high, "{e:?}");
        }
    }

    #[test]
    fn too_few_pairs_give_an_unbounded_interval() {
        let mut t = PairedTimes::default();
        for _ in 0..(MIN_PAIRS - 1) {
            t.record(ms(2.0), ms(1.0), 1);
        }
        let r = t.estimate(0.95).unwrap();
        let e = r.get(MetricId::LatencyRatioP95).unwrap();
        assert_eq!((e.ratio, e.low, e.high), (2.0, None, None));
        assert!(PairedTimes::default().estimate(0.95).is_none());
    }

    #[test]
    fn many_pairs_are_sampled_uniformly() {
        let mut t = PairedTimes::default();
        let total = 3 * MAX_PAIRS as u64;
        // The first third 1:1, the rest 2:1: a uniform sample keeps about a third 1:1.
        for i in 0..total {
            let c = if i < MAX_PAIRS as u64 { 1.0 } else { 2.0 };
            t.record(ms(c), ms(1.0), 1);
        }
        assert_eq!(t.len(), total);
        assert_eq!(t.pairs.len(), MAX_PAIRS);
        let ones = t.pairs.iter().filter(|p| p.candidate == p.baseline).count();
        let share = ones as f64 / MAX_PAIRS as f64;
        assert!((share - 1.0 / 3.0).abs() < 0.03, "{share}");
    }
}
