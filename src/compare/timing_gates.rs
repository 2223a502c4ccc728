//! Gates on timing metrics, judged with the interval of the paired candidate/baseline ratio.
//!
//! Timings move from run to run on a shared machine. A gate comparing timings with the
//! baseline (`max_regression*` on `latency_p95_ms`, or any rule on a ratio such as
//! `latency_ratio_p95`) therefore fails only when the *whole* interval is beyond its threshold:
//! it is judged on the interval's bound most favourable to the candidate. Absolute rules on a
//! model's own timing (`latency_p95_ms max = 20`) are about that model alone, and are judged
//! on its measured value.

use super::gates::{GateOutcome, GateResult, fmt};
use crate::config::GateSpec;
use crate::metrics::Direction;

/// Results of every rule of a timing `gate`. `candidate` is the measured value, `interval`
/// the candidate's value as the paired comparison with the baseline bounds it (unbounded when
/// too few runs were timed to tell).
pub fn evaluate(
    gate: &GateSpec,
    candidate: f64,
    baseline: Option<f64>,
    interval: [f64; 2],
) -> Vec<GateResult> {
    let name = gate.metric.name();
    let [low, high] = interval;
    let bounded = low > 0.0 && high.is_finite();
    let favourable = match gate.metric.direction() {
        Direction::LowerIsBetter => low,
        Direction::HigherIsBetter => high,
    };
    let result = |rule: &str, threshold: f64, outcome: GateOutcome, reason: String| GateResult {
        metric: name.to_owned(),
        rule: rule.to_owned(),
        threshold,
        outcome,
        reason,
        line: gate.line,
        confidence: None,
        bound: None,
    };
    let too_few = |rule: &str, threshold: f64| {
        result(
            rule,
            threshold,
            GateOutcome::Pass,
            format!(
                "{name} {} not judged: too few timed runs for an interval; \
                 raise `runtime.timing_runs` or `runtime.timing_budget_ms`",
                fmt(candidate)
            ),
        )
    };
    let interval_text = format!("paired interval {}..{}", fmt(low), fmt(high));
    let mut results = Vec::new();

    for (rule, threshold, is_min) in [("min", gate.min, true), ("max", gate.max, false)] {
        let Some(threshold) = threshold else { continue };
        let compares_with_baseline = gate.metric.is_ratio();
        if compares_with_baseline && !bounded {
            results.push(too_few(rule, threshold));
            continue;
        }
        let judged = if compares_with_baseline {
            favourable
        } else {
            candidate
        };
        let (word, beyond) = if is_min {
            ("below the minimum", judged < threshold)
        } else {
            ("above the maximum", judged > threshold)
        };
        let noise = if compares_with_baseline {
            format!(" ({interval_text})")
        } else {
            String::new()
        };
        results.push(if beyond {
            result(
                rule,
                threshold,
                GateOutcome::Fail,
                format!(
                    "{name} {} is {word} {}{noise}",
                    fmt(candidate),
                    fmt(threshold)
                ),
            )
        } else {
            let point_beyond = if is_min {
                candidate < threshold
            } else {
                candidate > threshold
            };
            let how = if point_beyond {
                format!("is {word} {}, but within timing noise", fmt(threshold))
            } else {
                format!("is within {}", fmt(threshold))
            };
            result(
                rule,
                threshold,
                GateOutcome::Pass,
                format!("{name} {} {how}{noise}", fmt(candidate)),
            )
        });
    }

    for (rule, limit, as_pct) in [
        ("max_regression", gate.max_regression, false),
        ("max_regression_pct", gate.max_regression_pct, true),
    ] {
        let Some(limit) = limit else { continue };
        let Some(b) = baseline else {
            results.push(result(
                rule,
                limit,
                GateOutcome::Skipped,
                "no baseline to compare with".to_owned(),
            ));
            continue;
        };
        if !bounded {
            results.push(too_few(rule, limit));
            continue;
        }
        let unit = if as_pct { "%" } else { "" };
        let worse_by = |c: f64| {
            let worse = match gate.metric.direction() {
                Direction::HigherIsBetter => b - c,
                Direction::LowerIsBetter => c - b,
            };
            match (as_pct, b == 0.0) {
                (false, _) => worse,
                (true, false) => 100.0 * worse / b.abs(),
                (true, true) if worse > 0.0 => f64::INFINITY,
                (true, true) => 0.0,
            }
        };
        let (point, best_case) = (worse_by(candidate), worse_by(favourable));
        // A tolerance of a few ulps keeps "exactly at the limit" a pass.
        let within = |amount: f64| amount <= limit + 1e-12 * limit.abs().max(1.0);
        results.push(if !within(best_case) {
            result(
                rule,
                limit,
                GateOutcome::Fail,
                format!(
                    "{name} got worse by {}{unit}: {} → {} (allowed: {}{unit}); \
                     even the {interval_text} is worse by at least {}{unit}",
                    fmt(point),
                    fmt(b),
                    fmt(candidate),
                    fmt(limit),
                    fmt(best_case)
                ),
            )
        } else if !within(point) {
            result(
                rule,
                limit,
                GateOutcome::Pass,
                format!(
                    "{name} {} is worse by {}{unit} than the baseline {} (limit {}{unit}), \
                     but within timing noise: the {interval_text} reaches {}{unit}",
                    fmt(candidate),
                    fmt(point),
                    fmt(b),
                    fmt(limit),
                    fmt(best_case)
                ),
            )
        } else {
            let how = if point <= 0.0 {
                "not worse than".to_owned()
            } else {
                format!(
                    "worse by {}{unit} (limit {}{unit}) than",
                    fmt(point),
                    fmt(limit)
                )
            };
            result(
                rule,
                limit,
                GateOutcome::Pass,
                format!(
                    "{name} {} is {how} the baseline {} ({interval_text})",
                    fmt(candidate),
                    fmt(b)
                ),
            )
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricId;

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
    fn a_relative_latency_gate_fails_only_beyond_the_whole_interval() {
        let g = GateSpec {
            max_regression_pct: Some(50.0),
            ..gate(MetricId::LatencyP95Ms)
        };
        // Point +60%, but the interval reaches +40%: noise, not a regression.
        let r = evaluate(&g, 1.6, Some(1.0), [1.4, 1.8]);
        assert_eq!(r[0].outcome, GateOutcome::Pass, "{}", r[0].reason);
        assert!(
            r[0].reason.contains("within timing noise"),
            "{}",
            r[0].reason
        );
        // The whole interval beyond +50%: a regression.
        let r = evaluate(&g, 1.8, Some(1.0), [1.6, 2.0]);
        assert_eq!(r[0].outcome, GateOutcome::Fail);
        assert!(r[0].reason.contains("at least 60%"), "{}", r[0].reason);
        // Throughput: higher is better, the interval's upper bound is the favourable one.
        let g = GateSpec {
            max_regression_pct: Some(10.0),
            ..gate(MetricId::ThroughputEps)
        };
        let r = evaluate(&g, 80.0, Some(100.0), [70.0, 95.0]);
        assert_eq!(r[0].outcome, GateOutcome::Pass, "{}", r[0].reason);
        let r = evaluate(&g, 80.0, Some(100.0), [70.0, 85.0]);
        assert_eq!(r[0].outcome, GateOutcome::Fail, "{}", r[0].reason);
    }

    #[test]
    fn ratio_limits_use_the_interval_and_own_timings_do_not() {
        let g = GateSpec {
            max: Some(1.3),
            ..gate(MetricId::LatencyRatioP95)
        };
        assert_eq!(
            evaluate(&g, 1.35, Some(1.0), [1.2, 1.5])[0].outcome,
            GateOutcome::Pass
        );
        assert_eq!(
            evaluate(&g, 1.45, Some(1.0), [1.31, 1.6])[0].outcome,
            GateOutcome::Fail
        );
        let g = GateSpec {
            max: Some(10.0),
            ..gate(MetricId::LatencyP95Ms)
        };
        assert_eq!(
            evaluate(&g, 11.0, Some(10.5), [9.0, 12.0])[0].outcome,
            GateOutcome::Fail
        );
    }

    #[test]
    fn too_few_runs_or_no_baseline_never_fail() {
        let g = GateSpec {
            max: Some(1.1),
            max_regression_pct: Some(5.0),
            ..gate(MetricId::LatencyRatioP50)
        };
        let r = evaluate(&g, 3.0, Some(1.0), [0.0, f64::INFINITY]);
        assert!(r.iter().all(|r| r.outcome == GateOutcome::Pass), "{r:?}");
        assert!(r[0].reason.contains("timing_budget_ms"), "{}", r[0].reason);
        let r = evaluate(&g, 3.0, None, [2.0, 4.0]);
        assert_eq!(r[1].outcome, GateOutcome::Skipped);
    }
}
