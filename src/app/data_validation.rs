//! A suite's data section: its contract on the current data, and drift and the diff against
//! the base revision's data file (read from git objects, as the baseline model is). Broken
//! checks and drifted columns become two gates, `data.contract` and `data.drift`, at the
//! severity each rule has.

use std::path::Path;

use super::baseline::BaselineSource;
use super::data_change::{BaseDataProblem, base_copy};
use super::gate_plan::HeldRules;
use crate::compare::{GateOutcome, GateResult, Verdict};
use crate::config::{Config, DriftConfig, Severity, SuiteConfig};
use crate::data::DataError;
use crate::error::Result;
use crate::eval::Predictions;
use crate::report::{
    BaselineInfo, CheckOutcome, ColumnDrift, DataValidation, DriftRole, ErrorLocation, Report,
    SCHEMA_VERSION, SuiteReport,
};
use crate::validate::cells::Cell;
use crate::validate::profile::ColumnProfile;
use crate::validate::{self, drift, hashes::DEFAULT_CAP};

/// The data section of `suite`, or `None` when there is nothing to check: no contract, and
/// no other version of the data to measure drift against (a pass over the data is not free).
pub(super) fn run(
    config: &Config,
    suite: &SuiteConfig,
    source: &BaselineSource,
    held: HeldRules<'_>,
) -> std::result::Result<Option<DataValidation>, DataError> {
    let data_path = config.resolve(&suite.data.path);
    let display = suite.data.path.display().to_string();
    let mut notes = Vec::new();
    let base = match source {
        BaselineSource::Git { repo, base }
            if suite.drift.enabled
                || held.drift.is_some_and(|d| d.enabled)
                || suite.data.schema.is_some() =>
        {
            match base_copy(repo, base.commit, &data_path) {
                Ok(Some(copy)) => Some((copy, base.revision.clone())),
                Ok(None) => {
                    notes.push(format!(
                        "`{display}` is the same as at `{}`: no drift to measure",
                        base.revision
                    ));
                    None
                }
                Err(BaseDataProblem::New) => {
                    notes.push(format!(
                        "`{display}` is new since `{}`: no base data to measure drift against",
                        base.revision
                    ));
                    None
                }
                Err(BaseDataProblem::Unreadable(why)) => {
                    notes.push(format!(
                        "the base version of `{display}` cannot be read, so there is no drift or diff: {why}"
                    ));
                    None
                }
            }
        }
        _ => None,
    };
    if suite.data.schema.is_none() && held.contract.is_none() && base.is_none() {
        return Ok(None);
    }
    let mut section = validate::validate(&validate::Inputs {
        schema: suite.data.schema.as_ref(),
        held_schema: held.contract,
        drift: &suite.drift,
        held_drift: held.drift,
        label: suite.data.label.as_deref(),
        classification: suite.task == crate::config::Task::Classification,
        key: suite.data.key.as_deref(),
        data: &data_path,
        display: &display,
        base: base
            .as_ref()
            .map(|(copy, revision)| (copy.path.as_path(), revision.as_str())),
        cap: DEFAULT_CAP,
    })?;
    notes.append(&mut section.notes);
    section.notes = notes;
    Ok(Some(section))
}

/// `data.contract` and `data.drift`: one gate each, failing on a broken `fail` rule, warning
/// on a broken `warn` one. `line` is the line of the suite's schema or drift table.
pub(super) fn gates(
    config: &Config,
    suite: &SuiteConfig,
    section: &DataValidation,
) -> Vec<GateResult> {
    let mut gates = Vec::new();
    if !section.checks.is_empty() {
        let broken: Vec<_> = section.broken_checks().collect();
        let outcome = worst(broken.iter().map(|c| match c.outcome {
            CheckOutcome::Fail => Severity::Fail,
            _ => Severity::Warn,
        }));
        let passed = section.checks.len() - broken.len();
        let reason = if broken.is_empty() {
            format!("all {passed} checks of the data contract pass")
        } else {
            let first: Vec<String> = broken
                .iter()
                .take(3)
                .map(|c| match &c.column {
                    Some(column) => format!("`{}` on `{column}` ({})", c.check, c.count),
                    None => format!("`{}` ({})", c.check, c.count),
                })
                .collect();
            let more = broken.len().saturating_sub(3);
            format!(
                "{} of {} checks broken: {}{}",
                broken.len(),
                section.checks.len(),
                first.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        };
        gates.push(gate(config, suite, "data.contract", outcome, reason));
    }
    let columns: Vec<ColumnDrift> = section
        .drift
        .iter()
        .filter(|d| d.role != DriftRole::Prediction)
        .cloned()
        .collect();
    if section.base.is_some() {
        gates.extend(drift_gate(config, suite, "data.drift", &columns));
    }
    let predictions: Vec<ColumnDrift> = section
        .drift
        .iter()
        .filter(|d| d.role == DriftRole::Prediction)
        .cloned()
        .collect();
    gates.extend(drift_gate(config, suite, "prediction.drift", &predictions));
    gates
}

/// A drift gate over `results` (columns, or predictions). Drift only at `warn` is a
/// warning when found and nothing otherwise: not a gate a suite can pass on.
fn drift_gate(
    config: &Config,
    suite: &SuiteConfig,
    name: &str,
    results: &[ColumnDrift],
) -> Option<GateResult> {
    let gating = results.iter().any(|d| d.severity == Severity::Fail);
    if results.is_empty() || !(gating || results.iter().any(|d| d.drifted)) {
        return None;
    }
    let drifted: Vec<&ColumnDrift> = results.iter().filter(|d| d.drifted).collect();
    let outcome = worst(drifted.iter().map(|d| d.severity));
    let reason = if drifted.is_empty() {
        format!("no drift in {} tested columns", results.len())
    } else {
        let names: Vec<String> = drifted
            .iter()
            .take(5)
            .map(|d| match d.adjusted_p_value.or(d.p_value) {
                Some(p) => format!("`{}` ({} p = {})", d.column, d.test, short(p)),
                None => format!("`{}` ({} {})", d.column, d.test, short(d.statistic)),
            })
            .collect();
        match name {
            "prediction.drift" => format!(
                "the two models' predictions are distributed differently: {}",
                names.join(", ")
            ),
            _ => format!(
                "{} of {} columns drifted: {}",
                drifted.len(),
                results.len(),
                names.join(", ")
            ),
        }
    };
    Some(gate(config, suite, name, outcome, reason))
}

/// Three significant digits, small p-values in scientific notation.
fn short(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.1e}")
    } else {
        format!("{x:.3}")
    }
}

fn worst(severities: impl Iterator<Item = Severity>) -> GateOutcome {
    match severities.max() {
        None => GateOutcome::Pass,
        Some(Severity::Warn) => GateOutcome::Warn,
        Some(Severity::Fail) => GateOutcome::Fail,
    }
}

/// A data gate: `threshold` 0, the broken rules allowed. Its line is the suite's contract or
/// drift table, else the suite's name.
fn gate(
    config: &Config,
    suite: &SuiteConfig,
    metric: &str,
    outcome: GateOutcome,
    reason: String,
) -> GateResult {
    let table = if metric.ends_with("drift") {
        "[suite.drift"
    } else {
        "[suite.data.schema"
    };
    let start = suite.name.span().start;
    let offset = config.source[start..]
        .find(table)
        .map_or(start, |i| start + i);
    GateResult {
        metric: metric.to_owned(),
        rule: metric.rsplit('.').next().unwrap_or(metric).to_owned(),
        threshold: 0.0,
        outcome,
        reason,
        line: config.line_of(offset),
        confidence: None,
        bound: None,
    }
}

/// Drift between the baseline's and the candidate's predictions on the same rows, into the
/// data section (made for it when the data had nothing to check).
pub(super) fn prediction_drift(
    suite: &SuiteConfig,
    held: Option<&DriftConfig>,
    candidate: &Predictions,
    baseline: &Predictions,
    rows: usize,
    report: &mut SuiteReport,
) {
    let on = |d: &DriftConfig| d.enabled && d.predictions;
    if !on(&suite.drift) && !held.is_some_and(on) {
        return;
    }
    let (reference, current) = (profile_of(baseline), profile_of(candidate));
    let pairs = |d: &DriftConfig| match on(d) {
        true => vec![drift::Pair {
            column: "predictions",
            role: DriftRole::Prediction,
            reference: &reference,
            current: &current,
        }],
        false => Vec::new(),
    };
    let section = report
        .data_validation
        .get_or_insert_with(|| DataValidation {
            path: suite.data.path.display().to_string(),
            rows: rows as u64,
            columns: 0,
            base: None,
            checks: Vec::new(),
            drift: Vec::new(),
            diff: None,
            notes: Vec::new(),
        });
    // Its own family: the columns' p-values are adjusted without it.
    let results = drift::measure_held(&suite.drift, held, pairs, &mut section.notes);
    section.drift.extend(results);
}

/// Predictions as a column: class names, or values.
fn profile_of(predictions: &Predictions) -> ColumnProfile {
    let mut profile = ColumnProfile::default();
    match predictions {
        Predictions::Classes {
            predicted, names, ..
        } => {
            for &class in predicted {
                let name = names.get(class as usize).map_or("?", String::as_str);
                profile.push(Cell::Text(name));
            }
        }
        Predictions::Values(values) => {
            for &v in values {
                profile.push(Cell::Float(v));
            }
        }
    }
    profile
}

/// `mlops-ci data profile`: a starting contract for `path`.
pub fn data_profile(path: &Path, label: Option<&str>) -> Result<String> {
    let scan = validate::pass::scan_file(
        path,
        &validate::pass::PassSpec {
            schema: None,
            held_schema: None,
            label,
            key: None,
            cap: DEFAULT_CAP,
        },
    )?;
    let (duplicates, _) = scan.duplicates();
    Ok(validate::infer::contract_toml(
        &scan.profile,
        label,
        duplicates,
    ))
}

/// `mlops-ci data check`: the data section of each suite (all, or `wanted`), against the
/// data file `base_file` or the base revision's (`base`, else the baseline rule). No model
/// is loaded; the report is the usual one, with only data gates.
pub fn data_check(
    config: &Config,
    wanted: &[String],
    base: Option<&str>,
    base_file: Option<&Path>,
    accepted_by: Option<&str>,
) -> Result<Report> {
    super::check_suite_names(config, wanted)?;
    let source = match base_file {
        Some(_) => BaselineSource::None {
            reason: "--base-file".to_owned(),
        },
        None => BaselineSource::resolve(config, base, None)?,
    };
    let plan = super::gate_plan::GatePlan::new(config, &source, accepted_by);
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        verdict: Verdict::Pass,
        config: config.path.display().to_string(),
        baseline: match base_file {
            Some(file) => BaselineInfo {
                kind: "file".to_owned(),
                revision: None,
                commit: None,
                description: format!("base data: {}", file.display()),
            },
            None => source.info(),
        },
        runtime: None,
        suites: Vec::new(),
        skipped: Vec::new(),
        notes: Vec::new(),
        gate_policy: matches!(source, BaselineSource::Git { .. }).then(|| plan.report.clone()),
    };
    let wanted_suites = config
        .suites
        .iter()
        .filter(|s| wanted.is_empty() || wanted.iter().any(|w| w == s.name()));
    for suite in wanted_suites {
        let held = plan.held(suite);
        let section = data_suite(config, suite, &source, base_file, held);
        report.suites.push(section);
    }
    report.verdict = Verdict::combine(report.suites.iter().map(|s| s.verdict));
    Ok(report)
}

/// One suite's data section as a suite report.
fn data_suite(
    config: &Config,
    suite: &SuiteConfig,
    source: &BaselineSource,
    base_file: Option<&Path>,
    held: HeldRules<'_>,
) -> SuiteReport {
    let mut report = SuiteReport::named(suite.name(), &suite.task.to_string());
    let section = match base_file {
        Some(file) => validate::validate(&validate::Inputs {
            schema: suite.data.schema.as_ref(),
            held_schema: None,
            drift: &suite.drift,
            held_drift: None,
            label: suite.data.label.as_deref(),
            classification: suite.task == crate::config::Task::Classification,
            key: suite.data.key.as_deref(),
            data: &config.resolve(&suite.data.path),
            display: &suite.data.path.display().to_string(),
            base: Some((file, &file.display().to_string())),
            cap: DEFAULT_CAP,
        })
        .map(Some),
        None => run(config, suite, source, held),
    };
    match section {
        Ok(Some(section)) => {
            report.gates = gates(config, suite, &section);
            report.data_validation = Some(section);
            report.verdict = crate::compare::suite_verdict(&report.gates, true);
        }
        Ok(None) => {
            report.notes.push(
                "no data contract (`[suite.data.schema]`) and no other version of the data to compare with: nothing to check".to_owned(),
            );
            report.verdict = Verdict::NoGates;
        }
        Err(e) => {
            report.error_location = Some(ErrorLocation {
                path: suite.data.path.display().to_string(),
                line: e.line(),
            });
            report.error = Some(e.to_string());
            report.verdict = Verdict::Error;
        }
    }
    report
}
