//! A suite's latency comparison: the candidate/baseline ratios with their intervals, set on
//! the metric values (where gates and the report find them), and the report's account of how
//! the models were timed.

use std::time::Duration;

use crate::config::RuntimeConfig;
use crate::eval::{TimingLog, TimingPlan};
use crate::metrics::latency_ratio::{LatencyRatios, RatioEstimate};
use crate::metrics::{MetricId, MetricValues};
use crate::report::TimingMethod;

/// Two-sided confidence level of the latency ratios' intervals.
pub const CONFIDENCE: f64 = 0.95;

pub fn plan(runtime: &RuntimeConfig) -> TimingPlan {
    TimingPlan {
        rounds: runtime.timing_runs,
        budget: Duration::from_millis(runtime.timing_budget_ms),
    }
}

/// Sets the ratio metrics (`latency_ratio_*`, `throughput_ratio`) and every timing metric's
/// interval on the candidate's values. `same_model`: the baseline is the candidate's own
/// file, evaluated once, so every ratio is exactly 1.
pub fn compare(
    log: &TimingLog,
    same_model: bool,
    candidate: &mut MetricValues,
    baseline: Option<&mut MetricValues>,
) -> TimingMethod {
    let ratios = match &baseline {
        None => None,
        Some(_) if same_model => Some(identical(candidate)),
        Some(_) => log.paired.estimate(CONFIDENCE),
    };
    if let (Some(ratios), Some(baseline)) = (&ratios, baseline) {
        for &id in MetricId::ALL.iter().filter(|id| id.is_timing()) {
            let Some(estimate) = ratios.get(id) else {
                continue;
            };
            // A ratio metric compares with the baseline, whose ratio to itself is 1.
            let scale = if id.is_ratio() {
                candidate.set(id, Some(estimate.ratio));
                baseline.set(id, Some(1.0));
                1.0
            } else {
                match baseline.get(id) {
                    Some(b) => b,
                    None => continue,
                }
            };
            // Too few pairs: an unbounded interval, on which no gate can fail.
            let interval = match (estimate.low, estimate.high) {
                (Some(low), Some(high)) => [scale * low, scale * high],
                _ => [0.0, f64::INFINITY],
            };
            candidate.set_interval(id, Some(interval));
        }
    }
    TimingMethod {
        warmup_runs: log.warmup_runs,
        order: if log.paired.is_empty() {
            "single"
        } else {
            "alternating"
        }
        .to_owned(),
        rounds: log.rounds,
        repeated_rounds: log.repeated_rounds,
        budget_reached: log.budget_reached,
        ratios,
    }
}

/// Ratios of a model to itself.
fn identical(values: &MetricValues) -> LatencyRatios {
    let ratios = MetricId::ALL
        .iter()
        .filter(|id| id.is_timing() && !id.is_ratio() && values.get(**id).is_some())
        .map(|id| RatioEstimate {
            metric: id.name().to_owned(),
            ratio: 1.0,
            low: Some(1.0),
            high: Some(1.0),
        })
        .collect();
    LatencyRatios {
        pairs: 0,
        sampled: 0,
        confidence: CONFIDENCE,
        ratios,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> MetricValues {
        let mut v = MetricValues::default();
        v.set(MetricId::LatencyP95Ms, Some(2.0));
        v.set(MetricId::ThroughputEps, Some(1000.0));
        v
    }

    #[test]
    fn paired_timings_set_ratios_and_intervals() {
        let mut log = TimingLog::default();
        let mut latencies = vec![Default::default(), Default::default()];
        for i in 0..40 {
            let base = Duration::from_micros(1000 + 10 * (i % 5));
            log.finish_round(&[base * 2, base], 100, &mut latencies);
        }
        let (mut c, mut b) = (values(), values());
        let method = compare(&log, false, &mut c, Some(&mut b));
        assert_eq!((method.order.as_str(), method.rounds), ("alternating", 40));
        assert!((c.get(MetricId::LatencyRatioP95).unwrap() - 2.0).abs() < 0.02);
        assert_eq!(b.get(MetricId::LatencyRatioP95), Some(1.0));
        let [low, high] = c.interval(MetricId::LatencyP95Ms).unwrap();
        assert!(low > 3.8 && high < 4.2, "{low}..{high}");
        let [low, high] = c.interval(MetricId::ThroughputEps).unwrap();
        assert!(low > 450.0 && high < 550.0, "{low}..{high}");
    }

    #[test]
    fn the_same_model_is_its_own_ratio_and_no_baseline_has_none() {
        let (mut c, mut b) = (values(), values());
        let method = compare(&TimingLog::default(), true, &mut c, Some(&mut b));
        assert_eq!(c.get(MetricId::LatencyRatioP95), Some(1.0));
        assert_eq!(c.interval(MetricId::LatencyP95Ms), Some([2.0, 2.0]));
        assert_eq!(method.order, "single");
        let mut c = values();
        let method = compare(&TimingLog::default(), false, &mut c, None);
        assert!(method.ratios.is_none());
        assert_eq!(c.get(MetricId::LatencyRatioP50), None);
    }
}
