//! Which gates a run applies: the base revision's `mlops-ci.toml` (read from git objects) sets
//! the bar, and a change may only raise it, unless an explicit override accepts the change.

use std::collections::HashMap;

use super::baseline::BaselineSource;
use crate::compare::{self, GateChange};
use crate::config::{Config, DataChangePolicy, DriftConfig, GateSpec, SchemaConfig, SuiteConfig};
use crate::report::GatePolicyReport;

/// The base revision's data rules for one suite that the change altered unaccepted: the
/// data is held to them as well as to the change's own.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeldRules<'a> {
    pub contract: Option<&'a SchemaConfig>,
    pub drift: Option<&'a DriftConfig>,
}

pub struct GatePlan {
    by_suite: HashMap<String, Vec<GateSpec>>,
    /// The base's data contract of each suite whose contract the change altered, unaccepted:
    /// the data must pass it too.
    held_contracts: HashMap<String, SchemaConfig>,
    /// The base's drift settings of each suite whose settings the change altered,
    /// unaccepted: drift is measured under both.
    held_drift: HashMap<String, DriftConfig>,
    /// `[baseline] data_change` in force: the base's, if the change relaxes it unaccepted.
    pub data_change: DataChangePolicy,
    pub report: GatePolicyReport,
    /// Suites of the base that the change removed, not accepted: the run fails.
    pub removed_unaccepted: Vec<String>,
}

impl GatePlan {
    /// The gates `suite` runs with.
    pub fn gates(&self, config: &Config, suite: &SuiteConfig) -> Vec<GateSpec> {
        self.by_suite
            .get(suite.name())
            .cloned()
            .unwrap_or_else(|| suite.gate_specs(config))
    }

    /// The base revision's data contract and drift settings, where the change altered
    /// `suite`'s and nothing accepted it.
    pub fn held(&self, suite: &SuiteConfig) -> HeldRules<'_> {
        HeldRules {
            contract: self.held_contracts.get(suite.name()),
            drift: self.held_drift.get(suite.name()),
        }
    }

    /// Works the plan out. `accepted_by`: what accepts loosened gates, if anything.
    pub fn new(config: &Config, baseline: &BaselineSource, accepted_by: Option<&str>) -> Self {
        let own = |source: String| GatePlan {
            by_suite: HashMap::new(),
            held_contracts: HashMap::new(),
            held_drift: HashMap::new(),
            data_change: config.baseline.data_change,
            report: GatePolicyReport {
                source,
                changes: Vec::new(),
                accepted_by: accepted_by.map(str::to_owned),
                notes: Vec::new(),
            },
            removed_unaccepted: Vec::new(),
        };
        let BaselineSource::Git { repo, base } = baseline else {
            return own(
                "this change's own gates (no git baseline, so no base config to hold them to)"
                    .to_owned(),
            );
        };
        let at = format!("`{}`", base.revision);
        let text = match repo.read_at(base.commit, &config.path) {
            Ok(Some((bytes, _))) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(None) => {
                return own(format!(
                    "this change's own gates: there is no `{}` at {at} (first adoption)",
                    config.path.display()
                ));
            }
            Err(e) => {
                return own(format!(
                    "this change's own gates: the config at {at} could not be read ({e})"
                ));
            }
        };
        let base_config = match Config::parse(&config.path, config.root.clone(), text) {
            Ok(c) => c,
            Err(e) => {
                return own(format!(
                    "this change's own gates: the config at {at} is not valid for this mlops-ci ({e})"
                ));
            }
        };
        let mut plan = own(format!(
            "the gates of the config at {at}, with this change's tightenings"
        ));
        let mut changes: Vec<GateChange> = Vec::new();
        let (then, now) = (
            base_config.baseline.data_change,
            config.baseline.data_change,
        );
        if then == DataChangePolicy::GateOldData && now == DataChangePolicy::Report {
            changes.push(compare::relaxed_data_change(
                &then.to_string(),
                &now.to_string(),
                accepted_by,
            ));
            if accepted_by.is_none() {
                plan.data_change = then;
            }
        }
        for suite in &config.suites {
            let Some(then) = base_config.suite(suite.name()) else {
                plan.report.notes.push(format!(
                    "suite `{}` is new since {at}: its own gates apply",
                    suite.name()
                ));
                continue;
            };
            let (gates, suite_changes) = compare::merge_gates(
                suite.name(),
                &then.gate_specs(&base_config),
                &suite.gate_specs(config),
                accepted_by,
                config.line_of(suite.name.span().start),
            );
            plan.by_suite.insert(suite.name().to_owned(), gates);
            changes.extend(suite_changes);
            let mut altered = |what: &str, held: &str| {
                plan.report.notes.push(format!(
                    "suite `{}`: this change alters the {what} of {at}; {}",
                    suite.name(),
                    match accepted_by {
                        Some(by) => format!("accepted by {by}"),
                        None => held.to_owned(),
                    }
                ));
                accepted_by.is_none()
            };
            if let Some(held) = &then.data.schema
                && then.data.schema != suite.data.schema
                && altered("data contract", "the data must pass that contract too")
            {
                plan.held_contracts
                    .insert(suite.name().to_owned(), held.clone());
            }
            if then.drift != suite.drift
                && altered(
                    "drift settings",
                    "drift is measured under both, and the louder result stands",
                )
            {
                plan.held_drift
                    .insert(suite.name().to_owned(), then.drift.clone());
            }
        }
        for then in &base_config.suites {
            if config.suite(then.name()).is_none() {
                changes.push(compare::removed_suite(then.name(), accepted_by));
                if accepted_by.is_none() {
                    plan.removed_unaccepted.push(then.name().to_owned());
                }
            }
        }
        plan.report.changes = changes;
        plan
    }
}
