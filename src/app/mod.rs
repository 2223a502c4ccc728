//! The orchestrator: the only place that knows the order of the stages.
//!
//! Config → baseline → per suite (data, models, evaluation, metrics, comparison) → Report.
//! A failed gate is a verdict, not an error: the report is always produced first.

mod adhoc;
mod baseline;
mod ci;
mod data_change;
mod data_validation;
mod diff;
mod doctor;
mod gate_plan;
mod inspect;
mod latency;
mod model_outputs;
mod suite;

use std::path::{Path, PathBuf};

pub use adhoc::eval_adhoc;
pub use baseline::BaselineSource;
pub use ci::{run_ci, select_suites};
pub use data_validation::{data_check, data_profile};
pub use diff::diff_reports;
pub use doctor::doctor;
pub use inspect::{inspect_file, render_summary};
pub use suite::PredictionsOut;
use suite::SuitePlan;

use crate::compare::Verdict;
use crate::config::{Config, Device, SuiteConfig};
use crate::error::Result;
use crate::report::{Report, SCHEMA_VERSION, SkippedSuite};
use crate::runtime::{ExecutionProvider, Runtime, RuntimeInfo, RuntimeOptions};
use gate_plan::GatePlan;

/// What `check` was asked to do, beyond the config file.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// `--base REV`: overrides `baseline.ref` and the automatic choice.
    pub base: Option<String>,
    /// How `base` was chosen, when mlops-ci chose it (the hook, `ci`); else "given by --base".
    pub base_label: Option<String>,
    /// What the candidate is, when not the working tree (a pushed commit).
    pub candidate_label: Option<String>,
    /// Set when loosened gates are accepted: by what (`--accept-gate-changes`, a PR label).
    pub accept_gate_changes: Option<String>,
    /// `--suite NAME`: only these suites.
    pub suites: Vec<String>,
    /// `--device`: overrides `runtime.device`.
    pub device: Option<Device>,
    pub runtime: RuntimeOptions,
    /// `--predictions FILE`: write every per-example prediction as CSV.
    pub predictions: Option<PathBuf>,
}

/// Which suites to run, and why the others are skipped.
pub struct SuiteSelection {
    pub run: Vec<String>,
    pub skipped: Vec<SkippedSuite>,
    /// What to print when nothing is affected (names the base and the changed files).
    pub nothing_line: Option<String>,
}

impl SuiteSelection {
    pub fn all(config: &Config) -> Self {
        Self {
            run: config.suites.iter().map(|s| s.name().to_owned()).collect(),
            skipped: Vec::new(),
            nothing_line: None,
        }
    }

    /// The suites `detection` found affected; the others are skipped, saying why.
    pub fn affected(detection: &crate::detect::Detection) -> Self {
        let reason = detection.skip_reason();
        Self {
            run: detection.affected.iter().map(|s| s.name.clone()).collect(),
            skipped: detection
                .unaffected
                .iter()
                .map(|name| SkippedSuite {
                    name: name.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            nothing_line: Some(detection.nothing_line()),
        }
    }
}

/// Loads the configuration named by `--config`, or `mlops-ci.toml` in `dir`.
pub fn load_config(dir: &Path, file: Option<&Path>) -> Result<Config> {
    let _span = tracing::info_span!("load config").entered();
    Ok(match file {
        Some(path) => Config::load(&dir.join(path))?,
        None => Config::discover(dir)?,
    })
}

/// Runs the selected suites and builds the report.
pub fn check(config: &Config, selection: SuiteSelection, options: &CheckOptions) -> Result<Report> {
    check_suite_names(config, &options.suites)?;
    let selected: Vec<&crate::config::SuiteConfig> = config
        .suites
        .iter()
        .filter(|s| selection.run.iter().any(|n| n == s.name()))
        .filter(|s| options.suites.is_empty() || options.suites.iter().any(|n| n == s.name()))
        .collect();

    let baseline = tracing::info_span!("resolve baseline").in_scope(|| {
        BaselineSource::resolve(
            config,
            options.base.as_deref(),
            options.base_label.as_deref(),
        )
    })?;
    let mut report = run_suites(config, &selected, &baseline, options)?;
    report.skipped = selection.skipped;
    Ok(report)
}

/// Each `--suite` names a suite of the config; else the error suggests the nearest.
fn check_suite_names(config: &Config, wanted: &[String]) -> Result<()> {
    for name in wanted {
        if config.suite(name).is_none() {
            let names: Vec<&str> = config.suites.iter().map(|s| s.name()).collect();
            let hint = crate::config::nearest_name(name, names.iter().copied())
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            return Err(crate::error::Error::Usage(format!(
                "no suite `{name}` in {}{hint} (suites: {})",
                config.path.display(),
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// Evaluates `suites` against `baseline` and gathers the report.
pub fn run_suites(
    config: &Config,
    suites: &[&SuiteConfig],
    baseline: &BaselineSource,
    options: &CheckOptions,
) -> Result<Report> {
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        verdict: Verdict::Pass,
        config: config.path.display().to_string(),
        baseline: baseline.info(),
        runtime: None,
        suites: Vec::new(),
        skipped: Vec::new(),
        notes: Vec::new(),
        gate_policy: None,
    };
    let plan = GatePlan::new(config, baseline, options.accept_gate_changes.as_deref());
    if matches!(baseline, BaselineSource::Git { .. }) {
        report.gate_policy = Some(plan.report.clone());
    }
    // A removed suite's gates cannot be held: the run fails unless the removal is accepted.
    let removed = (!plan.removed_unaccepted.is_empty()).then_some(Verdict::Fail);
    if suites.is_empty() {
        report.verdict = Verdict::combine(removed);
        return Ok(report);
    }

    // Loading ONNX Runtime is the slow part of start-up; only now is it needed.
    let runtime =
        tracing::info_span!("load ONNX Runtime").in_scope(|| Runtime::load(&options.runtime))?;
    let device = options.device.unwrap_or(config.runtime.device);
    let mut predictions = options
        .predictions
        .as_ref()
        .map(|_| PredictionsOut::default());
    let mut provider = None;
    for suite in suites {
        let outcome = suite::run(
            config,
            suite,
            baseline,
            &runtime,
            device,
            &SuitePlan {
                candidate_source: options.candidate_label.as_deref().unwrap_or("working tree"),
                gates: plan.gates(config, suite),
                data_change: plan.data_change,
                accepted_by: options.accept_gate_changes.as_deref(),
                held: plan.held(suite),
            },
            predictions.as_mut(),
        );
        provider = provider.or(outcome.provider);
        report.suites.push(outcome.report);
    }
    report.notes.extend(runtime.library.untested_warning());
    report.runtime = Some(RuntimeInfo {
        onnxruntime_version: runtime.library.version.clone(),
        library: runtime.library.path.display().to_string(),
        found_via: runtime.library.source.to_string(),
        execution_provider: provider.map_or("none", |p| p.name()).to_owned(),
        device_requested: device.to_string(),
        gpu: provider
            .filter(|p| p.is_gpu())
            .and_then(|_| runtime.cuda_setup())
            .map(|setup| setup.gpu.clone()),
        device_note: (device == Device::Auto && provider == Some(ExecutionProvider::Cpu))
            .then(|| runtime.why_not_cuda()),
    });
    if let Some(setup) = runtime
        .cuda_setup()
        .filter(|_| provider.is_some_and(|p| p.is_gpu()))
    {
        report.notes.extend(setup.notes.iter().cloned());
    }
    report.verdict = Verdict::combine(report.suites.iter().map(|s| s.verdict).chain(removed));
    if let (Some(path), Some(predictions)) = (&options.predictions, predictions) {
        predictions.write(path)?;
    }
    Ok(report)
}
