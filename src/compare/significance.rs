//! From resamples to judgements: each delta's interval and p-value, whether it is beyond
//! noise, gates that fail only on a significant regression, and gates the data set is too
//! small to check.

use serde::{Deserialize, Serialize};

use super::MetricDelta;
use super::bootstrap::{Resampled, quantile};
use super::gates::fmt as fmt_number;
use super::gates::{GateOutcome, GateResult};
use super::mcnemar::mcnemar_exact;
use crate::config::GateSpec;
use crate::metrics::{Direction, MetricId};

/// How sure a metric's delta is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeltaStats {
    /// Two-sided level of the interval, e.g. 0.95.
    pub level: f64,
    /// Paired bootstrap percentile interval of candidate − baseline.
    pub low: f64,
    pub high: f64,
    /// Two-sided p-value of "no difference".
    pub p_value: f64,
    /// `mcnemar_exact` (accuracy) or `bootstrap` (the share of resamples on the other side of
    /// zero, doubled).
    pub test: String,
    /// Beyond noise at `level`: McNemar's p below `1 - level`, else an interval without zero.
    pub significant: bool,
    /// Resamples behind the interval.
    pub resamples: usize,
}

/// Everything the statistics of one suite know.
pub struct SuiteStatistics {
    /// Two-sided level of the intervals shown.
    pub level: f64,
    pub resampled: Vec<Resampled>,
    /// Examples the candidate gets right and the baseline wrong, and the reverse.
    pub discordant: Option<(u64, u64)>,
    /// Examples evaluated.
    pub rows: usize,
}

impl SuiteStatistics {
    fn of(&self, metric: &str) -> Option<&Resampled> {
        self.resampled.iter().find(|r| r.metric.name() == metric)
    }
}

/// Fills in each delta's interval, p-value and significance.
pub fn annotate(deltas: &mut [MetricDelta], stats: &SuiteStatistics) {
    let alpha = 1.0 - stats.level;
    for delta in deltas.iter_mut() {
        let Some(resampled) = stats.of(&delta.metric) else {
            continue;
        };
        let sorted = resampled.sorted_deltas();
        let (Some(low), Some(high)) = (
            quantile(&sorted, alpha / 2.0),
            quantile(&sorted, 1.0 - alpha / 2.0),
        ) else {
            continue;
        };
        let mcnemar = (resampled.metric == MetricId::Accuracy)
            .then_some(stats.discordant)
            .flatten()
            .map(|(better, worse)| mcnemar_exact(better, worse).unwrap_or(1.0));
        let (p_value, test, significant) = match mcnemar {
            Some(p) => (p, "mcnemar_exact", p < alpha),
            None => (
                bootstrap_p_value(&sorted),
                "bootstrap",
                low > 0.0 || high < 0.0,
            ),
        };
        delta.stats = Some(DeltaStats {
            level: stats.level,
            low,
            high,
            p_value,
            test: test.to_owned(),
            significant,
            resamples: sorted.len(),
        });
    }
}

/// Twice the share of resamples on the far side of zero (+1 each, so it is never 0).
fn bootstrap_p_value(sorted: &[f64]) -> f64 {
    let below = sorted.iter().filter(|&&d| d <= 0.0).count();
    let above = sorted.iter().filter(|&&d| d >= 0.0).count();
    (2.0 * (below.min(above) + 1) as f64 / (sorted.len() + 1) as f64).min(1.0)
}

/// A gate with `confidence` fails only when its rule is broken with that confidence: the
/// one-sided bound of the resampled value (or regression) lies beyond the threshold. A failure
/// within noise becomes a pass that says so.
pub fn apply_confidence(
    results: &mut [GateResult],
    gates: &[GateSpec],
    stats: Option<&SuiteStatistics>,
) {
    for result in results.iter_mut() {
        let Some(gate) = gates
            .iter()
            .find(|g| g.line == result.line && g.metric.name() == result.metric)
        else {
            continue;
        };
        // Timing gates are judged on the paired timing interval already (timing_gates).
        let Some(confidence) = gate.confidence.filter(|_| !gate.metric.is_timing()) else {
            continue;
        };
        result.confidence = Some(confidence);
        if result.outcome == GateOutcome::Skipped {
            continue;
        }
        let Some(resampled) = stats.and_then(|s| s.of(&result.metric)) else {
            result.reason.push_str(&format!(
                " (no confidence interval for {}: the measured value decides)",
                result.metric
            ));
            continue;
        };
        let Some(bound) = confidence_bound(resampled, gate.metric, &result.rule, confidence) else {
            continue;
        };
        result.bound = Some(bound);
        let pct = if result.rule == "max_regression_pct" {
            "%"
        } else {
            ""
        };
        let held = match result.rule.as_str() {
            "min" => bound >= result.threshold,
            "max" | "max_regression" | "max_regression_pct" => bound <= result.threshold,
            _ => continue,
        };
        let level = format!("{}%", fmt_number(100.0 * confidence));
        let side = if result.rule == "min" {
            "upper"
        } else {
            "lower"
        };
        let what = if result.rule.starts_with("max_regression") {
            "regression"
        } else {
            "value"
        };
        if result.outcome == GateOutcome::Fail && held {
            result.outcome = GateOutcome::Pass;
            result.reason = format!(
                "{}, but within noise: the {level} {side} bound of the {what} is {}{pct}",
                result.reason,
                fmt_number(bound)
            );
        } else if result.outcome == GateOutcome::Fail {
            result.reason = format!(
                "{}; significant at {level} ({side} bound of the {what}: {}{pct})",
                result.reason,
                fmt_number(bound)
            );
        }
    }
}

/// The one-sided `confidence` bound that must stay within the rule: for `min` the upper bound
/// of the candidate's value, for `max` its lower bound, for `max_regression*` the lower bound
/// of how much worse than the baseline it is.
fn confidence_bound(
    resampled: &Resampled,
    metric: MetricId,
    rule: &str,
    confidence: f64,
) -> Option<f64> {
    let worse_is_up = metric.direction() == Direction::LowerIsBetter;
    match rule {
        "min" => quantile(&resampled.sorted_candidate(), confidence),
        "max" => quantile(&resampled.sorted_candidate(), 1.0 - confidence),
        "max_regression" | "max_regression_pct" => {
            let deltas = if rule == "max_regression" {
                resampled.sorted_deltas()
            } else {
                resampled.sorted_delta_pcts()
            };
            if worse_is_up {
                quantile(&deltas, 1.0 - confidence)
            } else {
                quantile(&deltas, confidence).map(|q| -q)
            }
        }
        _ => None,
    }
}

/// Statistical power the "too few examples" notes ask for.
pub const POWER: f64 = 0.8;

/// A note for each relative gate the data set is too small to check: the smallest regression
/// detected with 80% power at the gate's confidence (`default_level`, one-sided, when it has
/// none) is larger than the gate's limit. Says how many examples would be needed, assuming the
/// spread shrinks as 1/√n.
pub fn detectability_notes(
    gates: &[GateSpec],
    stats: &SuiteStatistics,
    default_level: f64,
) -> Vec<String> {
    let mut notes = Vec::new();
    for gate in gates {
        let Some(resampled) = stats.of(gate.metric.name()) else {
            continue;
        };
        let confidence = gate.confidence.unwrap_or(default_level);
        for (rule, limit, pct) in [
            ("max_regression", gate.max_regression, false),
            ("max_regression_pct", gate.max_regression_pct, true),
        ] {
            let Some(limit) = limit.filter(|&l| l > 0.0) else {
                continue;
            };
            let spread = standard_deviation(&if pct {
                resampled.sorted_delta_pcts()
            } else {
                resampled.sorted_deltas()
            });
            // Identical predictions leave the delta no spread at all; the candidate's own
            // spread is then a conservative stand-in for what a real change would show.
            let spread = match spread {
                Some(s) if s > 0.0 => s,
                _ => {
                    let own = standard_deviation(&resampled.sorted_candidate()).unwrap_or(0.0);
                    let baseline = resampled
                        .baseline
                        .as_ref()
                        .and_then(|b| b.iter().copied().find(|v| v.is_finite()))
                        .unwrap_or(0.0);
                    if pct {
                        if baseline == 0.0 {
                            0.0
                        } else {
                            100.0 * own / baseline.abs()
                        }
                    } else {
                        own
                    }
                }
            };
            let detectable = (normal_quantile(confidence) + normal_quantile(POWER)) * spread;
            if detectable <= limit || stats.rows == 0 {
                continue;
            }
            let needed = (stats.rows as f64 * (detectable / limit).powi(2)).ceil();
            let unit = if pct { "%" } else { "" };
            notes.push(format!(
                "the gate `{} {rule} {}{unit}` (line {}) needs more data: with {} examples only a regression of about {}{unit} or more is detected reliably ({}% power, {}% confidence); about {} examples would detect {}{unit}",
                gate.metric.name(),
                fmt_number(limit),
                gate.line,
                stats.rows,
                fmt_number(detectable),
                fmt_number(100.0 * POWER),
                fmt_number(100.0 * confidence),
                needed as u64,
                fmt_number(limit),
            ));
        }
    }
    notes
}

fn standard_deviation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    Some(var.sqrt())
}

/// Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, relative error
/// below 1.2e-9), for 0 < p < 1.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(metric: MetricId) -> GateSpec {
        GateSpec {
            metric,
            min: None,
            max: None,
            max_regression: None,
            max_regression_pct: None,
            confidence: None,
            line: 3,
        }
    }

    #[test]
    fn normal_quantiles() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile(0.8) - 0.841_621_233_572_914_3).abs() < 1e-8);
        assert!((normal_quantile(0.01) + 2.326_347_874_040_841).abs() < 1e-8);
    }

    /// Resamples whose accuracy delta is spread evenly over [-0.03, 0.01].
    fn stats(rows: usize) -> SuiteStatistics {
        let candidate: Vec<f64> = (0..=400).map(|i| 0.87 + 0.04 * i as f64 / 400.0).collect();
        SuiteStatistics {
            level: 0.95,
            resampled: vec![Resampled {
                metric: MetricId::Accuracy,
                candidate,
                baseline: Some(vec![0.9; 401]),
                subsample: None,
            }],
            discordant: Some((3, 9)),
            rows,
        }
    }

    #[test]
    fn a_failure_within_noise_passes_and_a_significant_one_fails() {
        let spec = GateSpec {
            max_regression: Some(0.0),
            confidence: Some(0.95),
            ..gate(MetricId::Accuracy)
        };
        let failed = || GateResult {
            metric: "accuracy".into(),
            rule: "max_regression".into(),
            threshold: 0.0,
            outcome: GateOutcome::Fail,
            reason: "accuracy got worse by 0.01".into(),
            line: 3,
            confidence: None,
            bound: None,
        };
        let mut results = vec![failed()];
        apply_confidence(&mut results, std::slice::from_ref(&spec), Some(&stats(171)));
        // The lower 95% bound of the regression: -quantile(delta, 0.95) = -0.008 < 0.
        assert_eq!(
            results[0].outcome,
            GateOutcome::Pass,
            "{}",
            results[0].reason
        );
        assert!(results[0].reason.contains("within noise"));
        assert!((results[0].bound.unwrap() + 0.008).abs() < 1e-9);

        let spec = GateSpec {
            max_regression: Some(0.0),
            confidence: Some(0.6),
            ..gate(MetricId::Accuracy)
        };
        let mut results = vec![failed()];
        // At 60% the lower bound of the regression is -quantile(delta, 0.6) = 0.018 > 0.
        let stats = SuiteStatistics {
            resampled: vec![Resampled {
                metric: MetricId::Accuracy,
                candidate: (0..=400).map(|i| 0.87 + 0.02 * i as f64 / 400.0).collect(),
                baseline: Some(vec![0.9; 401]),
                subsample: None,
            }],
            ..stats(171)
        };
        apply_confidence(&mut results, &[spec], Some(&stats));
        assert_eq!(results[0].outcome, GateOutcome::Fail);
        assert!(
            results[0].reason.contains("significant at 60%"),
            "{}",
            results[0].reason
        );
    }

    #[test]
    fn accuracy_uses_mcnemar_and_others_the_interval() {
        let mut deltas = vec![MetricDelta {
            metric: "accuracy".into(),
            direction: "higher_is_better".into(),
            baseline: Some(0.9),
            candidate: Some(0.89),
            delta: Some(-0.01),
            delta_pct: None,
            change: super::super::Change::Worse,
            noisy: false,
            stats: None,
            interval: None,
            gated: false,
        }];
        annotate(&mut deltas, &stats(171));
        let s = deltas[0].stats.as_ref().unwrap();
        assert_eq!(s.test, "mcnemar_exact");
        // statsmodels: mcnemar([[0, 3], [9, 0]], exact=True).pvalue = 0.146
        assert!((s.p_value - 0.145_996_093_75).abs() < 1e-12);
        assert!(!s.significant);
        assert!((s.low + 0.029).abs() < 1e-9 && (s.high - 0.009).abs() < 1e-9);
    }

    #[test]
    fn too_small_a_data_set_is_named_with_the_size_needed() {
        let spec = GateSpec {
            max_regression: Some(0.001),
            ..gate(MetricId::Accuracy)
        };
        let notes = detectability_notes(&[spec], &stats(171), 0.95);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("with 171 examples"), "{}", notes[0]);
        let roomy = GateSpec {
            max_regression: Some(0.5),
            ..gate(MetricId::Accuracy)
        };
        assert!(detectability_notes(&[roomy], &stats(171), 0.95).is_empty());
    }
}
