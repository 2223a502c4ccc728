//! `mlops-ci diff A.json B.json`: compare the candidate metrics of two saved reports.

use std::path::Path;

use crate::compare::{self, Verdict};
use crate::error::{Error, Result};
use crate::metrics::{MetricId, MetricValues};
use crate::report::{BaselineInfo, Report, SCHEMA_VERSION, SkippedSuite, SuiteReport};

fn read(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path)
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

pub fn diff_reports(before: &Path, after: &Path) -> Result<Report> {
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
        let metrics = compare::compare(
            &ids,
            &candidate_values(suite),
            Some(&candidate_values(previous)),
        );
        suites.push(SuiteReport {
            metrics,
            gates: Vec::new(),
            baseline: previous.candidate.clone(),
            baseline_missing: None,
            classes: None,
            paired: None,
            flips: None,
            verdict: if suite.error.is_some() {
                Verdict::Error
            } else {
                Verdict::Pass
            },
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
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        verdict: Verdict::combine(suites.iter().map(|s| s.verdict)),
        config: new.config.clone(),
        baseline: BaselineInfo {
            kind: "file".into(),
            revision: None,
            commit: None,
            description: format!("saved report {}", before.display()),
        },
        runtime: new.runtime.clone(),
        suites,
        skipped,
        notes: vec![format!(
            "compares the candidate metrics of {} with those of {}; gates are not re-evaluated",
            after.display(),
            before.display()
        )],
    })
}
