//! Baseline vs candidate: per-metric differences, gates and the verdict. Pure maths.

pub mod bootstrap;
pub mod flips;
mod gate_policy;
mod gates;
mod mcnemar;
mod poisson;
pub mod significance;
mod timing_gates;

use serde::{Deserialize, Serialize};

pub use gate_policy::{
    GateChange, GateChangeKind, merge_gates, relaxed_data_change, removed_suite,
};
pub use gates::{GateOutcome, GateResult, evaluate_gates};
pub use mcnemar::mcnemar_exact;
pub use significance::DeltaStats;

use crate::metrics::{Direction, MetricId, MetricValues};

/// How a metric moved, judged by its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Better,
    Worse,
    Same,
    /// One side has no value.
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricDelta {
    pub metric: String,
    pub direction: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// candidate - baseline.
    pub delta: Option<f64>,
    /// 100 * delta / |baseline|.
    pub delta_pct: Option<f64>,
    pub change: Change,
    /// Timing metrics vary between runs; a difference may be noise.
    pub noisy: bool,
    /// Confidence interval, p-value and significance of `delta` (paired statistics), when
    /// the metric can be resampled and there is a baseline.
    #[serde(default)]
    pub stats: Option<DeltaStats>,
    /// Interval of the candidate's value from the paired (interleaved) timing of both models:
    /// the difference is within noise when it holds the baseline's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
    /// A gate names this metric. Timing rows are coloured better/worse only when gated.
    #[serde(default)]
    pub gated: bool,
}

/// Compares metric values; `baseline` is `None` when there is nothing to compare with.
pub fn compare(
    ids: &[MetricId],
    candidate: &MetricValues,
    baseline: Option<&MetricValues>,
) -> Vec<MetricDelta> {
    ids.iter()
        .map(|&id| {
            let c = candidate.get(id);
            let b = baseline.and_then(|b| b.get(id));
            let delta = c.zip(b).map(|(c, b)| c - b);
            let delta_pct = delta
                .zip(b)
                .and_then(|(d, b)| (b != 0.0).then(|| 100.0 * d / b.abs()));
            let change = match delta {
                None => Change::Unknown,
                // Differences below float noise are no change.
                Some(d) if d.abs() <= 1e-12 * b.unwrap_or(1.0).abs().max(1.0) => Change::Same,
                Some(d) => match (id.direction(), d > 0.0) {
                    (Direction::HigherIsBetter, true) | (Direction::LowerIsBetter, false) => {
                        Change::Better
                    }
                    _ => Change::Worse,
                },
            };
            MetricDelta {
                metric: id.name().to_owned(),
                direction: match id.direction() {
                    Direction::HigherIsBetter => "higher_is_better".into(),
                    Direction::LowerIsBetter => "lower_is_better".into(),
                },
                baseline: b,
                candidate: c,
                delta,
                delta_pct,
                change,
                noisy: id.is_timing(),
                stats: None,
                interval: candidate
                    .interval(id)
                    .filter(|[low, high]| *low > 0.0 && high.is_finite()),
                gated: false,
            }
        })
        .collect()
}

/// Marks the metrics a gate names, so reports colour timing rows only when asked to.
pub fn mark_gated(metrics: &mut [MetricDelta], gates: &[GateResult]) {
    for m in metrics {
        m.gated = gates.iter().any(|g| g.metric == m.metric);
    }
}

/// The outcome of a suite or of the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every gate passed against a baseline.
    Pass,
    /// No baseline to compare with; only absolute gates were checked, and they passed.
    NoBaseline,
    /// No gate was configured or evaluated, so nothing was checked: never shown as a pass.
    /// Ranked above `NoBaseline` because it says less about the model.
    NoGates,
    /// At least one gate failed.
    Fail,
    /// The suite could not be evaluated.
    Error,
}

impl Verdict {
    /// Exit status: 0 pass, no baseline or no gates, 1 a gate failed, 2 error.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass | Verdict::NoBaseline | Verdict::NoGates => 0,
            Verdict::Fail => 1,
            Verdict::Error => 2,
        }
    }

    /// The worst of several verdicts decides the run.
    pub fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Pass)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NoBaseline => "no_baseline",
            Verdict::NoGates => "no_gates",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// A suite's verdict from its gate results. A suite without gates checked nothing: it says
/// so (`NoGates`) rather than passing, whatever its metrics did. Warnings (drift at the
/// default `warn` severity) are shown, but are not gates a suite can pass on.
pub fn suite_verdict(gates: &[GateResult], has_baseline: bool) -> Verdict {
    if gates.iter().any(|g| g.outcome == GateOutcome::Fail) {
        Verdict::Fail
    } else if gates.iter().all(|g| g.outcome == GateOutcome::Warn) {
        Verdict::NoGates
    } else if !has_baseline {
        Verdict::NoBaseline
    } else {
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(MetricId, f64)]) -> MetricValues {
        let mut v = MetricValues::default();
        for (id, x) in pairs {
            v.set(*id, Some(*x));
        }
        v
    }

    #[test]
    fn direction_decides_better_or_worse() {
        let ids = [MetricId::Accuracy, MetricId::Rmse];
        let c = values(&[(MetricId::Accuracy, 0.8), (MetricId::Rmse, 2.0)]);
        let b = values(&[(MetricId::Accuracy, 0.9), (MetricId::Rmse, 1.0)]);
        let d = compare(&ids, &c, Some(&b));
        assert_eq!(d[0].change, Change::Worse);
        assert_eq!(d[1].change, Change::Worse);
        assert!((d[1].delta_pct.unwrap() - 100.0).abs() < 1e-9);
        let d = compare(&ids, &b, Some(&c));
        assert_eq!(d[0].change, Change::Better);
        assert_eq!(d[1].change, Change::Better);
    }

    #[test]
    fn a_suite_without_gates_is_not_a_pass() {
        assert_eq!(suite_verdict(&[], true), Verdict::NoGates);
        assert_eq!(suite_verdict(&[], false), Verdict::NoGates);
        assert_eq!(Verdict::NoGates.exit_code(), 0);
        assert_eq!(
            Verdict::combine([Verdict::Pass, Verdict::NoGates]),
            Verdict::NoGates
        );
        assert_eq!(
            Verdict::combine([Verdict::NoGates, Verdict::Fail]),
            Verdict::Fail
        );
    }

    #[test]
    fn worst_verdict_wins() {
        assert_eq!(
            Verdict::combine([Verdict::Pass, Verdict::NoBaseline]),
            Verdict::NoBaseline
        );
        assert_eq!(
            Verdict::combine([Verdict::Fail, Verdict::NoBaseline]),
            Verdict::Fail
        );
        assert_eq!(
            Verdict::combine([Verdict::Fail, Verdict::Error]),
            Verdict::Error
        );
    }
}
