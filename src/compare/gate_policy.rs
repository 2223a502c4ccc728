//! Gates a change cannot quietly loosen. The bar is the base revision's: where the change's
//! gates are looser (a lower `min`, a higher `max`, a larger `max_regression*`, a removed gate
//! or rule), the base's value still applies and the change is named; where they are stricter,
//! or new, the change's apply at once. An explicit override applies the change's gates as they
//! are, and the report says so. Pure: the orchestrator reads the base config.

use serde::{Deserialize, Serialize};

use crate::config::GateSpec;

/// How one rule of one gate differs between the base's config and the change's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateChangeKind {
    /// The change's value is looser than the base's.
    Loosened,
    /// The base has the rule, the change does not.
    Removed,
    /// The change's value is stricter than the base's.
    Tightened,
    /// The change adds a rule the base did not have.
    Added,
}

impl GateChangeKind {
    /// Whether the change lowers the bar.
    pub fn loosens(self) -> bool {
        matches!(self, GateChangeKind::Loosened | GateChangeKind::Removed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateChange {
    pub suite: String,
    pub metric: String,
    /// `min`, `max`, `max_regression`, `max_regression_pct`; `suite` for a whole suite.
    pub rule: String,
    pub kind: GateChangeKind,
    /// The base revision's value (`None`: no such rule there).
    pub base: Option<f64>,
    /// This change's value (`None`: removed).
    pub change: Option<f64>,
    /// The value checked in this run (`None`: not checked).
    pub applied: Option<f64>,
    /// One line for people: "`iris` accuracy min 0.9 → 0.8: loosened; 0.9 still applies".
    pub message: String,
}

impl GateChange {
    fn describe(&mut self, accepted_by: Option<&str>) {
        let value = |v: Option<f64>| v.map_or_else(|| "none".to_owned(), |v| format!("{v}"));
        let what = if self.rule == "suite" {
            format!("suite `{}` was removed", self.suite)
        } else {
            format!(
                "`{}` {} {}: {} → {}",
                self.suite,
                self.metric,
                self.rule,
                value(self.base),
                value(self.change)
            )
        };
        let verdict = match (self.kind, accepted_by) {
            (GateChangeKind::Tightened | GateChangeKind::Added, _) => {
                "stricter; applies now".to_owned()
            }
            (_, Some(by)) if self.rule == "suite" => {
                format!("no longer checked; accepted by {by}")
            }
            (_, None) if self.rule == "suite" => {
                "its gates can no longer be checked, which fails the run".to_owned()
            }
            (_, Some(by)) => format!("looser; accepted by {by}"),
            (_, None) => format!("looser; the base's {} still applies", value(self.applied)),
        };
        self.message = format!("{what} ({verdict})");
    }
}

/// `[baseline] data_change` relaxed from `then` to `now`: old-data gates no longer checked.
pub fn relaxed_data_change(then: &str, now: &str, accepted_by: Option<&str>) -> GateChange {
    let verdict = match accepted_by {
        Some(by) => format!("looser; accepted by {by}"),
        None => format!("looser; the base's `{then}` still applies"),
    };
    GateChange {
        suite: String::new(),
        metric: String::new(),
        rule: "data_change".to_owned(),
        kind: GateChangeKind::Loosened,
        base: None,
        change: None,
        applied: None,
        message: format!("[baseline] data_change: `{then}` → `{now}` ({verdict})"),
    }
}

/// A suite of the base's config that the change removed: a loosening of every gate it had.
pub fn removed_suite(suite: &str, accepted_by: Option<&str>) -> GateChange {
    let mut change = GateChange {
        suite: suite.to_owned(),
        metric: String::new(),
        rule: "suite".to_owned(),
        kind: GateChangeKind::Removed,
        base: None,
        change: None,
        applied: None,
        message: String::new(),
    };
    change.describe(accepted_by);
    change
}

const RULES: [&str; 4] = ["min", "max", "max_regression", "max_regression_pct"];

fn rule(spec: &GateSpec, name: &str) -> Option<f64> {
    match name {
        "min" => spec.min,
        "max" => spec.max,
        "max_regression" => spec.max_regression,
        _ => spec.max_regression_pct,
    }
}

fn set_rule(spec: &mut GateSpec, name: &str, value: Option<f64>) {
    match name {
        "min" => spec.min = value,
        "max" => spec.max = value,
        "max_regression" => spec.max_regression = value,
        _ => spec.max_regression_pct = value,
    }
}

/// Whether `a` is a stricter value of rule `name` than `b`.
fn stricter(name: &str, a: f64, b: f64) -> bool {
    if name == "min" { a > b } else { a < b }
}

/// The strictest value of `name` for `metric` among `gates`.
fn strictest(gates: &[GateSpec], metric: crate::metrics::MetricId, name: &str) -> Option<f64> {
    gates
        .iter()
        .filter(|g| g.metric == metric)
        .filter_map(|g| rule(g, name))
        .reduce(|a, b| if stricter(name, a, b) { a } else { b })
}

/// The gates one suite runs with, and how they differ from the base's. `accepted_by`: apply
/// the change's gates as they are, accepted by that (the changes are still listed). `line`:
/// where to point a gate that exists only in the base (the suite's line in the current config).
pub fn merge_gates(
    suite: &str,
    base: &[GateSpec],
    change: &[GateSpec],
    accepted_by: Option<&str>,
    line: usize,
) -> (Vec<GateSpec>, Vec<GateChange>) {
    let accepted = accepted_by.is_some();
    let mut gates: Vec<GateSpec> = change.to_vec();
    let mut changes = Vec::new();
    let mut metrics: Vec<crate::metrics::MetricId> = Vec::new();
    for g in change.iter().chain(base) {
        if !metrics.contains(&g.metric) {
            metrics.push(g.metric);
        }
    }
    for metric in metrics {
        for name in RULES {
            let (then, now) = (
                strictest(base, metric, name),
                strictest(change, metric, name),
            );
            let kind = match (then, now) {
                (None, None) => continue,
                (Some(b), Some(c)) if stricter(name, b, c) => GateChangeKind::Loosened,
                (Some(b), Some(c)) if stricter(name, c, b) => GateChangeKind::Tightened,
                (Some(_), Some(_)) => continue,
                (Some(_), None) => GateChangeKind::Removed,
                (None, Some(_)) => GateChangeKind::Added,
            };
            let applied = if kind.loosens() && !accepted {
                hold(&mut gates, base, metric, name, then, line);
                then
            } else {
                now
            };
            let mut change = GateChange {
                suite: suite.to_owned(),
                metric: metric.name().to_owned(),
                rule: name.to_owned(),
                kind,
                base: then,
                change: now,
                applied,
                message: String::new(),
            };
            change.describe(accepted_by);
            changes.push(change);
        }
        if let Some(change) = merge_confidence(suite, &mut gates, base, change, metric, accepted_by)
        {
            changes.push(change);
        }
    }
    (gates, changes)
}

/// `confidence` loosens a gate (a regression within noise passes), the more the higher it is;
/// none at all is the strictest. Raising or adding it is held to the base's value like any
/// loosening; lowering or removing it applies at once.
fn merge_confidence(
    suite: &str,
    gates: &mut [GateSpec],
    base: &[GateSpec],
    change: &[GateSpec],
    metric: crate::metrics::MetricId,
    accepted_by: Option<&str>,
) -> Option<GateChange> {
    let loosest = |gates: &[GateSpec]| {
        gates
            .iter()
            .filter(|g| g.metric == metric)
            .map(|g| g.confidence)
            .max_by(|a, b| a.unwrap_or(0.0).total_cmp(&b.unwrap_or(0.0)))
            .flatten()
    };
    let (then, now) = (loosest(base), loosest(change));
    let kind = match (then, now) {
        _ if !base.iter().any(|g| g.metric == metric) => return None,
        (None, None) => return None,
        (Some(b), Some(c)) if b == c => return None,
        (None, Some(_)) => GateChangeKind::Loosened,
        (Some(b), Some(c)) if c > b => GateChangeKind::Loosened,
        _ => GateChangeKind::Tightened,
    };
    let applied = if kind.loosens() && accepted_by.is_none() {
        for gate in gates.iter_mut().filter(|g| g.metric == metric) {
            if gate.confidence.unwrap_or(0.0) > then.unwrap_or(0.0) {
                gate.confidence = then;
            }
        }
        then
    } else {
        now
    };
    let mut change = GateChange {
        suite: suite.to_owned(),
        metric: metric.name().to_owned(),
        rule: "confidence".to_owned(),
        kind,
        base: then,
        change: now,
        applied,
        message: String::new(),
    };
    change.describe(accepted_by);
    Some(change)
}

/// Holds rule `name` of `metric` at the base's `value`: on each of the change's gates on that
/// metric that has the rule looser (or on the first one, when none has it), else on a copy
/// of the base's gate.
fn hold(
    gates: &mut Vec<GateSpec>,
    base: &[GateSpec],
    metric: crate::metrics::MetricId,
    name: &str,
    value: Option<f64>,
    line: usize,
) {
    let Some(value) = value else { return };
    let mut held = false;
    for gate in gates.iter_mut().filter(|g| g.metric == metric) {
        if let Some(current) = rule(gate, name) {
            if stricter(name, value, current) {
                set_rule(gate, name, Some(value));
            }
            held = true;
        }
    }
    if held {
        return;
    }
    if let Some(gate) = gates.iter_mut().find(|g| g.metric == metric) {
        set_rule(gate, name, Some(value));
        return;
    }
    if let Some(original) = base.iter().find(|g| g.metric == metric) {
        let mut copy = original.clone();
        for other in RULES {
            set_rule(&mut copy, other, None);
        }
        set_rule(&mut copy, name, Some(value));
        copy.line = line;
        gates.push(copy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricId;

    fn gate(metric: MetricId, min: Option<f64>, max_regression: Option<f64>) -> GateSpec {
        GateSpec {
            metric,
            min,
            max: None,
            max_regression,
            max_regression_pct: None,
            confidence: None,
            line: 9,
        }
    }

    #[test]
    fn a_loosened_rule_keeps_the_base_value_and_a_tightened_one_applies() {
        let base = [gate(MetricId::Accuracy, Some(0.9), Some(0.01))];
        let change = [gate(MetricId::Accuracy, Some(0.8), Some(0.005))];
        let (gates, changes) = merge_gates("s", &base, &change, None, 1);
        assert_eq!(gates.len(), 1);
        assert_eq!(gates[0].min, Some(0.9));
        assert_eq!(gates[0].max_regression, Some(0.005));
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].kind, GateChangeKind::Loosened);
        assert_eq!(changes[0].applied, Some(0.9));
        assert_eq!(
            changes[0].message,
            "`s` accuracy min: 0.9 → 0.8 (looser; the base's 0.9 still applies)"
        );
        assert_eq!(changes[1].kind, GateChangeKind::Tightened);

        let (gates, changes) = merge_gates("s", &base, &change, Some("--accept-gate-changes"), 1);
        assert_eq!(gates[0].min, Some(0.8), "accepted: the change's value");
        assert!(
            changes[0]
                .message
                .ends_with("(looser; accepted by --accept-gate-changes)")
        );
        assert_eq!(changes[0].applied, Some(0.8));
    }

    #[test]
    fn a_removed_gate_or_rule_is_held_and_an_added_one_applies() {
        let base = [
            gate(MetricId::Accuracy, Some(0.9), None),
            gate(MetricId::LogLoss, None, Some(0.1)),
        ];
        let change = [
            gate(MetricId::Accuracy, None, Some(0.02)),
            gate(MetricId::F1Macro, Some(0.5), None),
        ];
        let (gates, changes) = merge_gates("s", &base, &change, None, 4);
        let accuracy = gates
            .iter()
            .find(|g| g.metric == MetricId::Accuracy)
            .unwrap();
        assert_eq!(
            (accuracy.min, accuracy.max_regression),
            (Some(0.9), Some(0.02))
        );
        let log_loss = gates
            .iter()
            .find(|g| g.metric == MetricId::LogLoss)
            .unwrap();
        assert_eq!(
            (log_loss.max_regression, log_loss.line),
            (Some(0.1), 4),
            "a removed gate is held, pointing at the suite"
        );
        let kinds: Vec<_> = changes
            .iter()
            .map(|c| (c.metric.as_str(), c.kind))
            .collect();
        assert!(kinds.contains(&("accuracy", GateChangeKind::Removed)));
        assert!(kinds.contains(&("accuracy", GateChangeKind::Added)));
        assert!(kinds.contains(&("log_loss", GateChangeKind::Removed)));
        assert!(kinds.contains(&("f1_macro", GateChangeKind::Added)));
    }

    #[test]
    fn max_is_looser_when_higher_and_equal_values_are_no_change() {
        let mut base = gate(MetricId::LogLoss, None, None);
        base.max = Some(0.5);
        let mut change = base.clone();
        change.max = Some(0.7);
        let (gates, changes) = merge_gates("s", &[base.clone()], &[change], None, 1);
        assert_eq!(gates[0].max, Some(0.5));
        assert_eq!(changes[0].kind, GateChangeKind::Loosened);
        let (_, changes) = merge_gates("s", &[base.clone()], &[base], None, 1);
        assert!(changes.is_empty());
    }

    #[test]
    fn adding_or_raising_confidence_is_a_loosening() {
        let base = [gate(MetricId::Accuracy, None, Some(0.01))];
        let with = |c: f64| GateSpec {
            confidence: Some(c),
            ..gate(MetricId::Accuracy, None, Some(0.01))
        };
        let (gates, changes) = merge_gates("s", &base, &[with(0.99)], None, 1);
        assert_eq!(
            gates[0].confidence, None,
            "the base's plain gate still applies"
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, GateChangeKind::Loosened);
        assert_eq!(
            changes[0].message,
            "`s` accuracy confidence: none → 0.99 (looser; the base's none still applies)"
        );
        let (gates, _) = merge_gates("s", &base, &[with(0.99)], Some("--accept-gate-changes"), 1);
        assert_eq!(gates[0].confidence, Some(0.99));
        // Lowering it (or dropping it) is stricter and applies at once.
        let (gates, changes) = merge_gates("s", &[with(0.99)], &[with(0.9)], None, 1);
        assert_eq!(gates[0].confidence, Some(0.9));
        assert_eq!(changes[0].kind, GateChangeKind::Tightened);
        let (gates, changes) = merge_gates("s", &[with(0.9)], &[with(0.95)], None, 1);
        assert_eq!(gates[0].confidence, Some(0.9));
        assert_eq!(changes[0].kind, GateChangeKind::Loosened);
    }
}
