//! The data section of a suite's report: the contract's checks, drift per column and the
//! data diff against the base revision's data.

use serde::{Deserialize, Serialize};

use crate::config::Severity;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataValidation {
    /// The data file, as the config names it.
    pub path: String,
    pub rows: u64,
    pub columns: usize,
    /// What the drift and the diff compare with: the base revision's data file.
    pub base: Option<BaseData>,
    /// Every check of the contract, broken ones first (fail, then warn).
    pub checks: Vec<DataCheck>,
    /// Drift per column, label and predictions, drifted ones first.
    pub drift: Vec<ColumnDrift>,
    pub diff: Option<DataDiff>,
    pub notes: Vec<String>,
}

impl DataValidation {
    pub fn broken_checks(&self) -> impl Iterator<Item = &DataCheck> {
        self.checks
            .iter()
            .filter(|c| c.outcome != CheckOutcome::Pass)
    }

    pub fn drifted(&self) -> impl Iterator<Item = &ColumnDrift> {
        self.drift.iter().filter(|d| d.drifted)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaseData {
    /// The revision (or file) the base data was read from.
    pub source: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Broken at severity `fail`.
    Fail,
    /// Broken at severity `warn`.
    Warn,
    Pass,
}

impl CheckOutcome {
    pub fn broken(severity: Severity) -> CheckOutcome {
        match severity {
            Severity::Fail => CheckOutcome::Fail,
            Severity::Warn => CheckOutcome::Warn,
        }
    }
}

/// One rule of the contract and what the data did with it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataCheck {
    /// `missing_column`, `unexpected_column`, `type`, `nulls`, `null_share`, `min`, `max`,
    /// `allowed`, `unique`, `regex`, `min_rows`, `max_rows`, `duplicate_rows`, `new_class`,
    /// `vanished_class`.
    pub check: String,
    pub column: Option<String>,
    pub severity: Severity,
    pub outcome: CheckOutcome,
    /// One sentence a person can act on.
    pub message: String,
    /// Offending rows (or values), in all; an estimate when `estimated`.
    pub count: u64,
    #[serde(default)]
    pub estimated: bool,
    /// The first few offending rows.
    pub rows: Vec<Offender>,
}

/// A row at fault: where it is and what it holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Offender {
    /// 1-based data row (the header is not a row).
    pub row: u64,
    /// 1-based line in the file, for text formats: annotations point at it.
    pub line: Option<u64>,
    pub column: Option<String>,
    /// The cell as read (cut to a few dozen characters), or what the row repeats.
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftRole {
    Feature,
    Label,
    /// The baseline's predictions against the candidate's, on the same data.
    Prediction,
}

/// Drift of one column (or of the predictions) between the reference and the current data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnDrift {
    pub column: String,
    pub role: DriftRole,
    /// `ks`, `wasserstein`, `psi`, `chi2`, `z` or `jensen_shannon`.
    pub test: String,
    /// Why this test: chosen by size and kind, or configured.
    pub chosen: String,
    /// The test's statistic (or distance).
    pub statistic: f64,
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg adjusted p-value across the suite's p-value tests.
    pub adjusted_p_value: Option<f64>,
    /// p-value below it, or distance at or above it: drifted.
    pub threshold: f64,
    pub drifted: bool,
    pub severity: Severity,
    pub reference_rows: u64,
    pub current_rows: u64,
}

/// The data file at the base revision against now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataDiff {
    pub rows_before: u64,
    pub rows_now: u64,
    /// How rows are matched: `key column \`id\`` or `row content`.
    pub matched_by: String,
    pub rows_added: u64,
    pub rows_removed: u64,
    /// Rows whose key is in both with other content; `None` without a key.
    pub rows_changed: Option<u64>,
    /// The row counts are estimates from a hash sample (files of over half a million rows).
    pub estimated: bool,
    pub columns_added: Vec<String>,
    pub columns_removed: Vec<String>,
    pub columns_retyped: Vec<Retyped>,
    /// Unified diff of the header (one column per line), when the columns differ.
    pub header_diff: Option<String>,
    /// Columns in both files whose summary moved.
    pub columns: Vec<ColumnChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Retyped {
    pub column: String,
    pub before: String,
    pub now: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnChange {
    pub column: String,
    pub before: ColumnSummary,
    pub now: ColumnSummary,
}

/// A column in a few numbers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnSummary {
    /// `int`, `float`, `string`, `bool`, `mixed` or `empty`.
    pub kind: String,
    pub null_share: f64,
    pub distinct: u64,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub p25: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub max: Option<f64>,
}
