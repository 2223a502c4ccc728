//! A suite whose data file changed in the same change. Evaluated on the new data only, a worse
//! model plus a test set with its errors removed passes, and a data-only change shows every
//! delta as 0. So both models are evaluated on the base revision's data too (read from git
//! objects into a temporary file), the report shows "baseline on old data → baseline on new
//! data → candidate on new data", and under `[baseline] data_change = "gate-old-data"` (the
//! default) the relative gates must also pass on the old data.

use std::path::{Path, PathBuf};

use super::baseline::BaselineSource;
use super::suite;
use crate::compare::{self, GateResult};
use crate::config::{Config, DataChangePolicy, GateSpec, SuiteConfig, Task};
use crate::data::Targets;
use crate::eval::{self, ModelRunner};
use crate::metrics::{Direction, MetricId, MetricValues};
use crate::model::{Signature, bind};
use crate::report::{DataChangeMetric, DataChangeReport, SuiteReport};

/// The state of one suite's run that the old-data evaluation needs.
pub(super) struct NewDataRun<'a> {
    pub source: &'a BaselineSource,
    pub config: &'a Config,
    pub suite: &'a SuiteConfig,
    /// The models' signatures, in the order of the runners.
    pub signatures: &'a [Signature],
    pub gates: &'a [GateSpec],
    /// `[baseline] data_change` in force (the base's, when the change relaxes it).
    pub data_change: DataChangePolicy,
    /// What accepts loosened gates: old-data gate failures are then shown, not counted.
    pub accepted_by: Option<&'a str>,
    pub metric_ids: &'a [MetricId],
    /// The candidate is the baseline (one runner stands for both).
    pub same_model: bool,
    pub rows_now: usize,
    pub candidate_now: &'a MetricValues,
    pub baseline_now: Option<&'a MetricValues>,
}

/// The base revision's copy of the data file, when it differs from the current one.
pub(super) struct BaseData {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// Evaluates both models on the base's data when the data changed: fills
/// `report.data_change`, and appends the old-data gate results under `gate-old-data`. Anything
/// that prevents it becomes a note: the new-data verdict stands.
pub(super) fn evaluate_on_base_data(
    run: &NewDataRun<'_>,
    runners: &mut [ModelRunner],
    report: &mut SuiteReport,
) {
    let BaselineSource::Git { repo, base } = run.source else {
        return;
    };
    let display = run.suite.data.path.display().to_string();
    let data_path = run.config.resolve(&run.suite.data.path);
    let base_data = match base_copy(repo, base.commit, &data_path) {
        Ok(Some(data)) => data,
        Ok(None) => return,
        Err(BaseDataProblem::New) => {
            report.notes.push(format!(
                "`{display}` is new since `{}`; both models were evaluated on it",
                base.revision
            ));
            return;
        }
        Err(BaseDataProblem::Unreadable(why)) => {
            report.notes.push(format!(
                "`{display}` changed since `{}`, but its old version could not be evaluated: {why}",
                base.revision
            ));
            return;
        }
    };
    let unusable = |report: &mut SuiteReport, why: String| {
        report.notes.push(format!(
            "`{display}` changed since `{}`, but the models could not be evaluated on its old version: {why}",
            base.revision
        ));
    };
    if run.baseline_now.is_none() {
        return; // no baseline model: nothing to compare on either data set
    }
    let source = match crate::data::open(
        &run.suite.data,
        &base_data.path,
        run.suite.task,
        &crate::data::Limits::from_config(&run.config.runtime),
    ) {
        Ok(source) => source,
        Err(e) => return unusable(report, e.to_string()),
    };
    let schema = source.schema().clone();
    for (runner, signature) in runners.iter_mut().zip(run.signatures) {
        let label = format!("{} on the data at `{}`", runner.role, base.revision);
        match bind(signature, &schema, run.suite.task, &run.suite.io, &label) {
            Ok(binding) => runner.binding = binding,
            Err(e) => return unusable(report, e.to_string()),
        }
    }
    // Only the predictions matter here: no timing rounds beyond the pass itself.
    let no_timing = eval::TimingPlan {
        rounds: 0,
        budget: std::time::Duration::ZERO,
    };
    let outcome = match eval::evaluate(source, run.config.runtime.batch_size, &no_timing, runners) {
        Ok(outcome) => outcome,
        Err(e) => return unusable(report, e.to_string()),
    };
    let rows_before = outcome.rows;
    // The metric code writes tables and paired counts into a report: give it a scratch one.
    let mut scratch = report.clone();
    let mut models = outcome.models.into_iter();
    let Some(candidate_out) = models.next() else {
        return;
    };
    let baseline_out = models.next();
    let (candidate_old, baseline_old) = match (&outcome.truth, run.suite.task) {
        (Targets::Classes(truth), Task::Classification) => suite::classify(
            truth,
            &outcome.truth_classes,
            candidate_out,
            baseline_out,
            run.same_model,
            &mut scratch,
            None,
            run.suite.name(),
            &mut suite::StatisticsRequest::skipped(),
        ),
        (Targets::Values(truth), Task::Regression) => suite::regress(
            truth,
            candidate_out,
            baseline_out,
            run.same_model,
            &mut scratch,
            None,
            run.suite.name(),
            &mut suite::StatisticsRequest::skipped(),
        ),
        _ => return,
    };
    let Some(baseline_old) = baseline_old else {
        return;
    };
    let quality: Vec<MetricId> = run
        .metric_ids
        .iter()
        .copied()
        .filter(|m| !m.is_timing() && *m != MetricId::ModelSizeBytes)
        .collect();
    let metrics: Vec<DataChangeMetric> = quality
        .iter()
        .map(|&m| DataChangeMetric {
            metric: m.name().to_owned(),
            baseline_old_data: baseline_old.get(m),
            baseline_new_data: run.baseline_now.and_then(|b| b.get(m)),
            candidate_new_data: run.candidate_now.get(m),
            candidate_old_data: candidate_old.get(m),
        })
        .collect();
    let policy = run.data_change;
    let mut change = DataChangeReport {
        revision: base.revision.clone(),
        rows_before,
        rows_now: run.rows_now,
        policy: policy.to_string(),
        notes: easier_notes(run.gates, &quality, &metrics),
        metrics,
    };
    if policy == DataChangePolicy::GateOldData {
        let gated = old_data_gates(run.gates, &candidate_old, &baseline_old, &base.revision);
        if gated.is_empty() {
            change
                .notes
                .push("no relative gate (`max_regression*`) to check on the old data".to_owned());
        }
        match run.accepted_by {
            Some(by) => change.notes.extend(
                gated
                    .iter()
                    .filter(|g| g.outcome == compare::GateOutcome::Fail)
                    .map(|g| format!("{} (accepted by {by})", g.reason)),
            ),
            None => report.gates.extend(gated),
        }
    }
    report.data_change = Some(change);
}

pub(super) enum BaseDataProblem {
    /// No such file at the base.
    New,
    Unreadable(String),
}

/// The base's version of `data_path` in a temporary file of the same name (the readers go by
/// its extension); `None` when it is the same as the current file.
pub(super) fn base_copy(
    repo: &crate::git::Repo,
    commit: git2::Oid,
    data_path: &Path,
) -> Result<Option<BaseData>, BaseDataProblem> {
    let unreadable = |e: &dyn std::fmt::Display| BaseDataProblem::Unreadable(e.to_string());
    let Some(then) = repo
        .blob_id_at(commit, data_path)
        .map_err(|e| unreadable(&e))?
    else {
        return Err(BaseDataProblem::New);
    };
    if repo.working_blob_id(data_path).ok() == Some(then) {
        return Ok(None);
    }
    let blob = repo.repo.find_blob(then).map_err(|e| unreadable(&e))?;
    let name = data_path.file_name().unwrap_or(data_path.as_os_str());
    let dir = tempfile::Builder::new()
        .prefix("mlops-ci-base-data-")
        .tempdir()
        .map_err(|e| unreadable(&e))?;
    let path = dir.path().join(name);
    match crate::lfs::parse_pointer(blob.content()) {
        // A Git LFS pointer at the base: its object, when it was fetched.
        Some(pointer) => {
            let object = crate::lfs::fetch_object(&repo.repo, &pointer).ok_or_else(|| {
                BaseDataProblem::Unreadable(format!(
                    "it is a Git LFS pointer ({}) whose object is not in this clone; fetch it with `git lfs fetch origin <base>`",
                    pointer.oid
                ))
            })?;
            std::fs::write(&path, object).map_err(|e| unreadable(&e))?;
        }
        None => std::fs::write(&path, blob.content()).map_err(|e| unreadable(&e))?,
    }
    Ok(Some(BaseData { _dir: dir, path }))
}

/// The relative rules of `gates`, checked on the old data; the reasons say so.
fn old_data_gates(
    gates: &[GateSpec],
    candidate: &MetricValues,
    baseline: &MetricValues,
    revision: &str,
) -> Vec<GateResult> {
    let relative: Vec<GateSpec> = gates
        .iter()
        .filter(|g| g.max_regression.is_some() || g.max_regression_pct.is_some())
        .map(|g| GateSpec {
            min: None,
            max: None,
            ..g.clone()
        })
        .collect();
    compare::evaluate_gates(&relative, candidate, Some(baseline))
        .into_iter()
        .map(|mut r| {
            r.reason = format!(
                "on the data at `{revision}` (before this change): {}",
                r.reason
            );
            r
        })
        .collect()
}

/// "The data change alone improves the baseline's accuracy from 0.95 to 1.0": the test set got
/// easier (or harder), whatever the models did. Gated metrics first, else the first metric.
fn easier_notes(
    gates: &[GateSpec],
    quality: &[MetricId],
    metrics: &[DataChangeMetric],
) -> Vec<String> {
    let mut watched: Vec<MetricId> = gates.iter().map(|g| g.metric).collect();
    if watched.is_empty() {
        watched.extend(quality.first());
    }
    watched.dedup();
    let mut notes = Vec::new();
    for id in watched {
        let Some(row) = metrics.iter().find(|m| m.metric == id.name()) else {
            continue;
        };
        let (Some(old), Some(new)) = (row.baseline_old_data, row.baseline_new_data) else {
            continue;
        };
        let better = match id.direction() {
            Direction::HigherIsBetter => new > old,
            Direction::LowerIsBetter => new < old,
        };
        if (new - old).abs() <= 1e-12 * old.abs().max(1.0) {
            continue;
        }
        let (word, meaning) = if better {
            ("improves", "the new data is easier for the same model")
        } else {
            ("worsens", "the new data is harder for the same model")
        };
        notes.push(format!(
            "the data change alone {word} the baseline's {} from {} to {}: {meaning}",
            id.name(),
            round(old),
            round(new)
        ));
    }
    notes
}

fn round(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}
