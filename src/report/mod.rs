//! The Report: one serialisable value holding everything a run found, rendered by templates
//! into terminal text and Markdown, or written as JSON (the interchange format).

mod data_validation;
pub mod escape;
mod render;

use serde::{Deserialize, Serialize};

pub use data_validation::{
    BaseData, CheckOutcome, ColumnChange, ColumnDrift, ColumnSummary, DataCheck, DataDiff,
    DataValidation, DriftRole, Offender, Retyped,
};
pub use render::{Format, RenderError, RenderOptions, render};

use crate::compare::flips::Flips;
use crate::compare::{GateChange, GateResult, MetricDelta, Verdict};
use crate::metrics::LatencySummary;
use crate::metrics::classification::ClassStats;
use crate::metrics::latency_ratio::LatencyRatios;
use crate::model::ModelIdentity;
use crate::runtime::RuntimeInfo;

/// Bumped on any incompatible change to the JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub tool_version: String,
    pub verdict: Verdict,
    /// The config file, as given.
    pub config: String,
    pub baseline: BaselineInfo,
    pub runtime: Option<RuntimeInfo>,
    pub suites: Vec<SuiteReport>,
    /// Suites not run, with the reason (nothing they depend on changed).
    #[serde(default)]
    pub skipped: Vec<SkippedSuite>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Whose gates applied, and every gate the change loosened or tightened.
    #[serde(default)]
    pub gate_policy: Option<GatePolicyReport>,
}

/// Where the gates came from: the base revision's config, with the change's tightenings (a
/// change cannot quietly loosen them), or the change's own when the base has none.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GatePolicyReport {
    /// One line: whose gates applied.
    pub source: String,
    /// Each rule the change loosened, removed, tightened or added, with the value applied.
    pub changes: Vec<GateChange>,
    /// Set when the loosened gates were accepted: by what (`--accept-gate-changes`, the pull
    /// request label `mlops-ci: accept-gate-change`).
    pub accepted_by: Option<String>,
    /// Suites whose own gates applied, and why (new suite, first adoption).
    pub notes: Vec<String>,
}

impl GatePolicyReport {
    /// The changes that lower the bar.
    pub fn loosened(&self) -> impl Iterator<Item = &GateChange> {
        self.changes.iter().filter(|c| c.kind.loosens())
    }
}

/// Which baseline the run compared with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaselineInfo {
    /// `git`, `file` or `none`.
    pub kind: String,
    /// The revision as given or worked out (`origin/main`, `HEAD~1`...).
    pub revision: Option<String>,
    /// The commit it resolved to.
    pub commit: Option<String>,
    /// One line saying where the baseline came from and why.
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkippedSuite {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SuiteReport {
    pub name: String,
    pub task: String,
    pub verdict: Verdict,
    pub data: Option<DataSummary>,
    pub candidate: Option<ModelIdentity>,
    pub baseline: Option<ModelIdentity>,
    /// Why there is no baseline model, when there is none.
    pub baseline_missing: Option<String>,
    pub metrics: Vec<MetricDelta>,
    pub gates: Vec<GateResult>,
    pub classes: Option<ClassReport>,
    pub paired: Option<PairedSummary>,
    /// Examples that flipped between the models, when there is a baseline.
    #[serde(default)]
    pub flips: Option<Flips>,
    pub timing: Option<TimingSummary>,
    pub notes: Vec<String>,
    /// Unified diff of the models' inputs and outputs, when the candidate's differ.
    #[serde(default)]
    pub signature_diff: Option<String>,
    /// Set when the data file differs at the base revision: both models on the old data too.
    #[serde(default)]
    pub data_change: Option<DataChangeReport>,
    /// Each input/output change, classified breaking or compatible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature_changes: Vec<crate::model::SignatureChange>,
    /// Models whose outputs changed with the batch size, on a sample of rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batch_dependence: Vec<crate::eval::batch_check::BatchDependence>,
    /// The data section: the contract's checks, drift and the diff against the base data.
    #[serde(default)]
    pub data_validation: Option<DataValidation>,
    /// Set when the suite could not be evaluated; then most other fields are empty.
    pub error: Option<String>,
    /// The data file (relative to the config) and line the error is about, for annotations.
    #[serde(default)]
    pub error_location: Option<ErrorLocation>,
}

impl SuiteReport {
    /// An empty report for suite `name`, verdict `error` until something is decided.
    pub fn named(name: &str, task: &str) -> SuiteReport {
        SuiteReport {
            name: name.to_owned(),
            task: task.to_owned(),
            verdict: Verdict::Error,
            data: None,
            candidate: None,
            baseline: None,
            baseline_missing: None,
            metrics: Vec::new(),
            gates: Vec::new(),
            classes: None,
            paired: None,
            flips: None,
            timing: None,
            notes: Vec::new(),
            signature_diff: None,
            data_change: None,
            signature_changes: Vec::new(),
            batch_dependence: Vec::new(),
            data_validation: None,
            error: None,
            error_location: None,
        }
    }
}

/// The suite's data changed in this change: the models on the base's data and on the new.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataChangeReport {
    /// The base revision the old data was read from.
    pub revision: String,
    pub rows_before: usize,
    pub rows_now: usize,
    /// `[baseline] data_change`: `gate-old-data` or `report`.
    pub policy: String,
    pub metrics: Vec<DataChangeMetric>,
    /// What the numbers say (the data change alone moved the baseline...).
    pub notes: Vec<String>,
}

/// One metric: baseline on old data → baseline on new data → candidate on new data (and the
/// candidate on the old data, which the `gate-old-data` policy gates).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataChangeMetric {
    pub metric: String,
    pub baseline_old_data: Option<f64>,
    pub baseline_new_data: Option<f64>,
    pub candidate_new_data: Option<f64>,
    pub candidate_old_data: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorLocation {
    pub path: String,
    pub line: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataSummary {
    pub path: String,
    pub rows: usize,
    pub features: Vec<String>,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassReport {
    /// Class labels, in the order of the confusion matrices' rows and columns.
    pub labels: Vec<String>,
    pub candidate: Vec<ClassStats>,
    pub baseline: Option<Vec<ClassStats>>,
    pub candidate_confusion: Vec<Vec<u64>>,
    pub baseline_confusion: Option<Vec<Vec<u64>>>,
}

/// Example-level comparison of the two models on the same rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PairedSummary {
    /// Examples the candidate gets better than the baseline (right where it was wrong, or a
    /// smaller error).
    pub improved: u64,
    /// Examples the candidate gets worse.
    pub worsened: u64,
    /// Examples whose prediction changed at all.
    pub changed: u64,
    /// Two-sided p-value of improved vs worsened: McNemar's exact test for classification
    /// (right/wrong flips), the same exact sign test on |error| for regression; small means
    /// the difference is unlikely to be noise.
    pub p_value: Option<f64>,
    /// `significant` (p < 0.05), `not_significant`, or `identical`.
    pub assessment: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimingSummary {
    pub candidate: LatencySummary,
    pub baseline: Option<LatencySummary>,
    pub batch_size: usize,
    /// How the models were timed, and the candidate/baseline ratios.
    #[serde(default)]
    pub method: Option<TimingMethod>,
}

/// How the models were timed: warm-up, then rounds that time every model once on the same
/// batch, alternating which goes first (A B, B A, ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimingMethod {
    /// Untimed runs of each model before timing.
    pub warmup_runs: usize,
    /// `alternating` (two models, the first one alternating from round to round) or
    /// `single` (one model ran: no baseline, or the baseline is the same file).
    pub order: String,
    /// Timed rounds.
    pub rounds: u64,
    /// Of those, rounds that repeated a batch after the accuracy pass (a dataset with fewer
    /// batches than `runtime.timing_runs`).
    pub repeated_rounds: u64,
    /// `runtime.timing_budget_ms` ran out before `runtime.timing_runs` rounds.
    pub budget_reached: bool,
    /// Candidate / baseline with confidence intervals; `None` without a baseline.
    pub ratios: Option<LatencyRatios>,
}

impl Report {
    /// Gates that failed, with their suite, for summaries and annotations.
    pub fn failed_gates(&self) -> impl Iterator<Item = (&SuiteReport, &GateResult)> {
        self.suites.iter().flat_map(|s| {
            s.gates
                .iter()
                .filter(|g| g.outcome == crate::compare::GateOutcome::Fail)
                .map(move |g| (s, g))
        })
    }

    pub fn exit_code(&self) -> u8 {
        self.verdict.exit_code()
    }
}
