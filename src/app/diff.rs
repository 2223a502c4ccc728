//! `mlops-ci diff A.json B.json`: compare the candidate metrics of two saved reports, and
//! re-evaluate the gates of a config on them. Without gates the verdict is `no_gates`, never
//! a pass; nothing is run, so the report has no runtime.

use std::path::Path;

use crate::compare::{self, Verdict};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::metrics::{MetricId, MetricValues};
use crate::report::{BaselineInfo, Report, SCHEMA_VERSION, SkippedSuite, SuiteReport};

fn read(path: &Path) -> Result<Report> {
    let text = crate::input_file::read_regular(path)
        .and_then(|bytes| String::from_utf8(bytes).map_err(std::io::Error::other))
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{} is not an mlops-ci JSON report (write one with `check --format json`): {e}",
            path.display()
        ))
    })?;
    if report.schema_version != SCHEMA_VERSION {
        return Err(Error::Usage(format!(
            "{} has schema_version {}, this mlops-ci reads {SCHEMA_VERSION}",
            path.display(),
            report.schema_version
        )));
    }
    Ok(report)
}

/// Candidate values of a suite, rebuilt from its metric rows.
fn candidate_values(suite: &SuiteReport) -> MetricValues {
    let mut values = MetricValues::default();
    for m in &suite.metrics {
        if let Some(id) = MetricId::from_name(&m.metric) {
            values.set(id, m.candidate);
        }
    }
    values
}

/// `config`: whose gates to re-evaluate (`--config`, or the one in the directory); `None`
/// evaluates none.
pub fn diff_reports(before: &Path, after: &Path, config: Option<&Config>) -> Result<Report> {
    let old = read(before)?;
    let new = read(after)?;
    let mut suites = Vec::new();
    let mut skipped = Vec::new();
    for suite in &new.suites {
        let Some(previous) = old.suites.iter().find(|s| s.name == suite.name) else {
            skipped.push(SkippedSuite {
                name: suite.name.clone(),
                reason: format!("not in {}", before.display()),
            });
            continue;
        };
        let ids: Vec<MetricId> = suite
            .metrics
            .iter()
            .filter_map(|m| MetricId::from_name(&m.metric))
            .collect();
        let (now, then) = (candidate_values(suite), candidate_values(previous));
        let metrics = compare::compare(&ids, &now, Some(&then));
        let specs = config
            .and_then(|c| Some(c.suite(&suite.name)?.gate_specs(c)))
            .unwrap_or_default();
        let mut gates = compare::evaluate_gates(&specs, &now, Some(&then));
        // Saved reports keep no resamples: a gate's `confidence` cannot apply, and says so.
        compare::significance::apply_confidence(&mut gates, &specs, None);
        let verdict = if suite.error.is_some() || previous.error.is_some() {
            Verdict::Error
        } else if gates.is_empty() {
            Verdict::NoGates
        } else {
            compare::suite_verdict(&gates, true)
        };
        suites.push(SuiteReport {
            metrics,
            gates,
            baseline: previous.candidate.clone(),
            baseline_missing: None,
            classes: None,
            paired: None,
            flips: None,
            verdict,
            ..suite.clone()
        });
    }
    for suite in &old.suites {
        if !new.suites.iter().any(|s| s.name == suite.name) {
            skipped.push(SkippedSuite {
                name: suite.name.clone(),
                reason: format!("not in {}", after.display()),
            });
        }
    }
    let gates_note = match config {
        Some(c) => format!(
            "the gates of {} were evaluated on the saved metrics, the later report's against the earlier's",
            c.path.display()
        ),
        None => "no config was given (--config) or found, so no gate was evaluated".to_owned(),
    };
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        verdict: if suites.is_empty() {
            Verdict::NoGates
        } else {
            Verdict::combine(suites.iter().map(|s| s.verdict))
        },
        config: config.map_or_else(|| new.config.clone(), |c| c.path.display().to_string()),
        baseline: BaselineInfo {
            kind: "file".into(),
            revision: None,
            commit: None,
            description: format!("saved report {}", before.display()),
        },
        // Nothing ran here: the saved reports' runtimes say what computed their numbers.
        runtime: None,
        suites,
        skipped,
        gate_policy: None,
        notes: vec![format!(
            "compares the candidate metrics of {} with those of {}; {gates_note}",
            after.display(),
            before.display()
        )],
    })
}
