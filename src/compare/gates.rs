//! Gate rules: absolute floors and ceilings, and limits on how much worse than the
//! baseline a metric may get.

use serde::{Deserialize, Serialize};

use crate::config::GateSpec;
use crate::metrics::{Direction, MetricValues};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateOutcome {
    Pass,
    Fail,
    /// Broken, at severity `warn` (a data check, drift): shown, the suite still passes.
    Warn,
    /// Not checked: a relative rule without a baseline.
    Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GateResult {
    pub metric: String,
    /// `min`, `max`, `max_regression` or `max_regression_pct`.
    pub rule: String,
    pub threshold: f64,
    pub outcome: GateOutcome,
    /// One sentence a person can act on.
    pub reason: String,
    /// Line of the gate in the config file, for annotations.
    pub line: usize,
    /// The gate's `confidence`: it fails only on a regression significant at this level.
    #[serde(default)]
    pub confidence: Option<f64>,
    /// With `confidence`: the one-sided bound of the value (`min`, `max`) or of the regression
    /// (`max_regression*`) that decided the gate.
    #[serde(default)]
    pub bound: Option<f64>,
}

/// Checks every rule of every gate. A metric the candidate lacks fails its gate: a gate that
/// cannot be checked must not pass silently.
pub fn evaluate_gates(
    gates: &[GateSpec],
    candidate: &MetricValues,
    baseline: Option<&MetricValues>,
) -> Vec<GateResult> {
    let mut results = Vec::new();
    for gate in gates {
        let name = gate.metric.name();
        let c = candidate.get(gate.metric);
        let b = baseline.and_then(|b| b.get(gate.metric));
        // Timings come with the interval of their paired comparison: judged apart, on it.
        if let (Some(c), Some(interval)) = (c, candidate.interval(gate.metric)) {
            results.extend(super::timing_gates::evaluate(gate, c, b, interval));
            continue;
        }
        let result =
            |rule: &str, threshold: f64, outcome: GateOutcome, reason: String| GateResult {
                metric: name.to_owned(),
                rule: rule.to_owned(),
                threshold,
                outcome,
                reason,
                line: gate.line,
                confidence: None,
                bound: None,
            };
        let missing = |rule: &str, threshold: f64| {
            result(
                rule,
                threshold,
                GateOutcome::Fail,
                format!("{name} could not be computed for the candidate, so the gate cannot pass"),
            )
        };
        if let Some(min) = gate.min {
            results.push(match c {
                None => missing("min", min),
                Some(v) if v >= min => result(
                    "min",
                    min,
                    GateOutcome::Pass,
                    format!("{name} {} >= {}", fmt(v), fmt(min)),
                ),
                Some(v) => result(
                    "min",
                    min,
                    GateOutcome::Fail,
                    format!("{name} {} is below the minimum {}", fmt(v), fmt(min)),
                ),
            });
        }
        if let Some(max) = gate.max {
            results.push(match c {
                None => missing("max", max),
                Some(v) if v <= max => result(
                    "max",
                    max,
                    GateOutcome::Pass,
                    format!("{name} {} <= {}", fmt(v), fmt(max)),
                ),
                Some(v) => result(
                    "max",
                    max,
                    GateOutcome::Fail,
                    format!("{name} {} is above the maximum {}", fmt(v), fmt(max)),
                ),
            });
        }
        let worse_by = |c: f64, b: f64| match gate.metric.direction() {
            Direction::HigherIsBetter => b - c,
            Direction::LowerIsBetter => c - b,
        };
        for (rule, limit, as_pct) in [
            ("max_regression", gate.max_regression, false),
            ("max_regression_pct", gate.max_regression_pct, true),
        ] {
            let Some(limit) = limit else { continue };
            let unit = if as_pct { "%" } else { "" };
            results.push(match (c, b) {
                (None, _) => missing(rule, limit),
                (Some(_), None) => result(
                    rule,
                    limit,
                    GateOutcome::Skipped,
                    "no baseline to compare with".to_owned(),
                ),
                (Some(c), Some(b)) => {
                    let worse = worse_by(c, b);
                    let amount = if as_pct {
                        if b == 0.0 {
                            if worse > 0.0 { f64::INFINITY } else { 0.0 }
                        } else {
                            100.0 * worse / b.abs()
                        }
                    } else {
                        worse
                    };
                    // A tolerance of a few ulps keeps "exactly at the limit" a pass.
                    if amount <= limit + 1e-12 * limit.abs().max(1.0) {
                        let how = if worse <= 0.0 {
                            "not worse than".to_owned()
                        } else {
                            format!(
                                "worse by {}{unit} (limit {}{unit}) than",
                                fmt(amount),
                                fmt(limit)
                            )
                        };
                        result(
                            rule,
                            limit,
                            GateOutcome::Pass,
                            format!("{name} {} is {how} the baseline {}", fmt(c), fmt(b)),
                        )
                    } else {
                        result(
                            rule,
                            limit,
                            GateOutcome::Fail,
                            format!(
                                "{name} got worse by {}{unit}: {} → {} (allowed: {}{unit})",
                                fmt(amount),
                                fmt(b),
                                fmt(c),
                                fmt(limit)
                            ),
                        )
                    }
                }
            });
        }
    }
    results
}

/// Numbers in messages: enough digits to see a difference, no noise.
pub(super) fn fmt(v: f64) -> String {
    if v == 0.0 || (v.abs() >= 1e-3 && v.abs() < 1e6) {
        format!("{}", (v * 1e4).round() / 1e4)
    } else {
        format!("{v:.4e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricId;

    fn spec(metric: MetricId) -> GateSpec {
        GateSpec {
            metric,
            min: None,
            max: None,
            max_regression: None,
            max_regression_pct: None,
            confidence: None,
            line: 7,
        }
    }
    fn values(id: MetricId, v: f64) -> MetricValues {
        let mut m = MetricValues::default();
        m.set(id, Some(v));
        m
    }

    #[test]
    fn regression_limits_follow_the_direction() {
        let gate = GateSpec {
            max_regression: Some(0.01),
            ..spec(MetricId::Accuracy)
        };
        let r = evaluate_gates(
            std::slice::from_ref(&gate),
            &values(MetricId::Accuracy, 0.90),
            Some(&values(MetricId::Accuracy, 0.95)),
        );
        assert_eq!(r[0].outcome, GateOutcome::Fail);
        assert!(r[0].reason.contains("worse by 0.05"), "{}", r[0].reason);
        let r = evaluate_gates(
            &[gate],
            &values(MetricId::Accuracy, 0.945),
            Some(&values(MetricId::Accuracy, 0.95)),
        );
        assert_eq!(r[0].outcome, GateOutcome::Pass);

        let gate = GateSpec {
            max_regression_pct: Some(5.0),
            ..spec(MetricId::Rmse)
        };
        let r = evaluate_gates(
            std::slice::from_ref(&gate),
            &values(MetricId::Rmse, 10.4),
            Some(&values(MetricId::Rmse, 10.0)),
        );
        assert_eq!(r[0].outcome, GateOutcome::Pass);
        let r = evaluate_gates(
            &[gate],
            &values(MetricId::Rmse, 10.6),
            Some(&values(MetricId::Rmse, 10.0)),
        );
        assert_eq!(r[0].outcome, GateOutcome::Fail);
    }

    #[test]
    fn without_baseline_only_absolute_rules_apply() {
        let gate = GateSpec {
            min: Some(0.9),
            max_regression: Some(0.0),
            ..spec(MetricId::Accuracy)
        };
        let r = evaluate_gates(&[gate], &values(MetricId::Accuracy, 0.95), None);
        assert_eq!(r[0].outcome, GateOutcome::Pass);
        assert_eq!(r[1].outcome, GateOutcome::Skipped);
    }

    #[test]
    fn a_missing_metric_fails_its_gate() {
        let gate = GateSpec {
            max: Some(0.5),
            ..spec(MetricId::LogLoss)
        };
        let r = evaluate_gates(&[gate], &MetricValues::default(), None);
        assert_eq!(r[0].outcome, GateOutcome::Fail);
    }
}
