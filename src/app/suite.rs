//! One suite: data and models in, a SuiteReport out. Errors become the suite's `error`, so
//! one broken suite does not hide the others' results.

use std::fmt::Write as _;
use std::path::Path;

use super::baseline::{BaselineModel, BaselineSource};
use super::data_change::{NewDataRun, evaluate_on_base_data};
use super::gate_plan::HeldRules;
use super::latency;
use super::model_outputs::{identity_with, load, probability_view, score_notes};
use crate::compare::bootstrap::{self, BootstrapSettings, ClassifierExamples, Examples};
use crate::compare::significance::{self, SuiteStatistics};
use crate::compare::{self, Verdict, flips};
use crate::config::{Config, DataChangePolicy, Device, GateSpec, SuiteConfig, Task};
use crate::data::Targets;
use crate::error::{Error, Result};
use crate::eval::{self, ModelOutcome, ModelRunner, Predictions};
use crate::metrics::classification::{self, ClassScores, ClassifierOutput};
use crate::metrics::probabilities::{self, Prepared};
use crate::metrics::{MetricId, MetricValues, agreement, regression};
use crate::model::{
    ModelBytes, ModelError, ModelSummary, OutputsUsed, Signature, bind, decide_scores,
    original_signature,
};
use crate::report::{
    ClassReport, DataSummary, ErrorLocation, PairedSummary, SuiteReport, TimingSummary,
};
use crate::runtime::{ExecutionProvider, Runtime};

/// What the run decided for one suite beyond its config.
pub struct SuitePlan<'a> {
    /// What the candidate is ("working tree", or the pushed commit).
    pub candidate_source: &'a str,
    /// The gates in force (the base's, where the change would loosen them).
    pub gates: Vec<GateSpec>,
    /// `[baseline] data_change` in force.
    pub data_change: DataChangePolicy,
    /// What accepts loosened gates, if anything (old-data gate failures too).
    pub accepted_by: Option<&'a str>,
    /// The base revision's data contract and drift settings the change altered unaccepted.
    pub held: HeldRules<'a>,
}

pub struct SuiteOutcome {
    pub report: SuiteReport,
    pub provider: Option<ExecutionProvider>,
}

pub fn run(
    config: &Config,
    suite: &SuiteConfig,
    baseline: &BaselineSource,
    runtime: &Runtime,
    device: Device,
    plan: &SuitePlan<'_>,
    predictions: Option<&mut PredictionsOut>,
) -> SuiteOutcome {
    // `-v` prints each stage's span with its time when it closes.
    let _span = tracing::info_span!("suite", name = suite.name()).entered();
    let mut report = SuiteReport::named(suite.name(), &suite.task.to_string());
    let mut provider = None;
    // The data first: a malformed file stops here, with its line; a broken contract is
    // reported whatever the models do.
    let validated = tracing::info_span!("validate data")
        .in_scope(|| super::data_validation::run(config, suite, baseline, plan.held));
    match validated {
        Ok(section) => report.data_validation = section,
        Err(e) => {
            report.error_location = Some(ErrorLocation {
                path: suite.data.path.display().to_string(),
                line: e.line(),
            });
            report.error = Some(e.to_string());
            return SuiteOutcome { report, provider };
        }
    }
    if let Err(e) = evaluate(
        config,
        suite,
        baseline,
        runtime,
        device,
        plan,
        predictions,
        &mut report,
        &mut provider,
    ) {
        report.error = Some(e.to_string());
        // Data errors point at the data file (and line), so GitHub can annotate it.
        if let Error::Data(data) | Error::Eval(eval::EvalError::Data(data)) = &e {
            report.error_location = Some(ErrorLocation {
                path: suite.data.path.display().to_string(),
                line: data.line(),
            });
        }
        // The data's own verdict stands beside the error: a broken contract is still shown
        // (and annotated) when the models could not run on that data.
        if let Some(section) = &report.data_validation {
            report.gates = super::data_validation::gates(config, suite, section);
        }
        report.verdict = Verdict::Error;
    }
    SuiteOutcome { report, provider }
}

#[allow(clippy::too_many_arguments)]
fn evaluate(
    config: &Config,
    suite: &SuiteConfig,
    source: &BaselineSource,
    runtime: &Runtime,
    device: Device,
    plan: &SuitePlan<'_>,
    predictions: Option<&mut PredictionsOut>,
    report: &mut SuiteReport,
    provider: &mut Option<ExecutionProvider>,
) -> Result<()> {
    let model_path = config.resolve(&suite.model);
    let model_display = suite.model.display().to_string();
    let gates = &plan.gates;
    let (data_change, accepted_by) = (plan.data_change, plan.accepted_by);
    let mut candidate = ModelBytes::from_file(&model_path, &model_display, plan.candidate_source)?;
    let candidate_summary = check_model(&candidate, model_path.parent(), suite, runtime)?;
    candidate.identity.summary = Some(Box::new(candidate_summary.clone()));
    report.candidate = Some(candidate.identity.clone());
    let mut baseline = match source.model(&model_path, &model_display)? {
        BaselineModel::Found(model) => Some(model),
        BaselineModel::Missing(reason) => {
            report.baseline_missing = Some(reason);
            None
        }
    };
    if let Some(baseline) = &mut baseline {
        // A baseline from git has its external data at that revision, not on disk.
        let dir = (baseline.identity.source == "file")
            .then(|| config.baseline.path.as_ref().map(|p| config.resolve(p)))
            .flatten();
        let summary = check_model(
            baseline,
            dir.as_deref().and_then(Path::parent),
            suite,
            runtime,
        )?;
        report.signature_changes = crate::model::classify_signature(&summary, &candidate_summary);
        baseline.identity.summary = Some(Box::new(summary));
    }
    report.baseline = baseline.as_ref().map(|m| m.identity.clone());
    // The same bytes give the same predictions: evaluate once (timings included).
    let same_model = baseline
        .as_ref()
        .is_some_and(|b| b.identity.git_blob == candidate.identity.git_blob);
    if same_model {
        report
            .notes
            .push("the candidate model is identical to the baseline; it was evaluated once".into());
    }

    let data_path = config.resolve(&suite.data.path);
    let data_source = crate::data::open(
        &suite.data,
        &data_path,
        suite.task,
        &crate::data::Limits::from_config(&config.runtime),
    )?;
    let schema = data_source.schema().clone();

    let mut runners = Vec::new();
    // The sessions' signatures (ZipMaps read as tensors), for binding; and the files' own.
    let mut signatures = Vec::new();
    let mut file_signatures = Vec::new();
    let load_span = tracing::info_span!("load models").entered();
    for (role, model) in [
        ("candidate", Some(&candidate)),
        ("baseline", baseline.as_ref().filter(|_| !same_model)),
    ] {
        let Some(model) = model else { continue };
        let label = format!("{role} {}", model.identity.path);
        let (session, session_model, used, notes) = load(
            runtime,
            &model.bytes,
            &label,
            device,
            config.runtime.threads,
        )?;
        *provider = provider.or(Some(used));
        for note in notes {
            // Both models fall back for the same reason: say it once.
            if !report.notes.contains(&note) {
                report.notes.push(note);
            }
        }
        let signature = Signature::from_session(&session);
        let bound = bind(&signature, &schema, suite.task, &suite.io, &label);
        file_signatures.push(original_signature(&signature, &session_model.zipmaps));
        signatures.push(signature);
        let binding = match bound {
            Ok(binding) => {
                for note in &binding.input.notes {
                    let note = format!("{role}: {note}");
                    if !report.notes.contains(&note) {
                        report.notes.push(note);
                    }
                }
                binding
            }
            // A baseline that cannot read today's data (a feature was added, say) leaves only
            // the absolute gates; the signature diff below shows what changed.
            Err(e) if role == "baseline" => {
                report.baseline_missing = Some(format!(
                    "the baseline model cannot be evaluated on the current data: {e}"
                ));
                break;
            }
            Err(e) => return Err(e.into()),
        };
        let score_reading =
            decide_scores(&binding.output, &session_model.evidence, suite.io.scores);
        // A ZipMap read as its tensor: the columns are its class labels, in order.
        let zipmap = score_reading
            .as_ref()
            .and_then(|r| session_model.zipmaps.iter().find(|z| z.output == r.output));
        let outputs = OutputsUsed::of(&binding.output, score_reading.clone(), zipmap.is_some());
        match role {
            "candidate" => report.candidate = Some(identity_with(&candidate, outputs)),
            _ => report.baseline = Some(identity_with(model, outputs)),
        }
        let classes = suite.io.classes.clone().or_else(|| {
            zipmap.map(|z| {
                z.labels
                    .iter()
                    .map(|l| crate::data::canonical_label(l))
                    .collect()
            })
        });
        runners.push(ModelRunner {
            role,
            session,
            binding,
            classes,
            score_reading,
        });
    }
    let all: Vec<&Signature> = signatures.iter().collect();
    if let Some(message) = crate::model::unknown_input_mappings(&suite.io, &all) {
        return Err(ModelError::Binding {
            model: model_display.clone(),
            message,
        }
        .into());
    }
    if same_model && let (Some(c), Some(b)) = (&report.candidate, &mut report.baseline) {
        b.outputs = c.outputs.clone();
    }
    if let [candidate_signature, baseline_signature] = file_signatures.as_slice() {
        report.signature_diff = Signature::diff(baseline_signature, candidate_signature);
    }
    if report.baseline_missing.is_some() {
        baseline = None;
        report.baseline = None;
    }

    drop(load_span);
    let timing = latency::plan(&config.runtime);
    let outcome = tracing::info_span!("evaluate").in_scope(|| {
        eval::evaluate(
            data_source,
            config.runtime.batch_size,
            &timing,
            &mut runners,
        )
    })?;
    if outcome.rows == 0 {
        return Err(crate::data::DataError::Empty { path: data_path }.into());
    }
    report.notes.extend(outcome.data_notes.iter().cloned());
    report.notes.extend(outcome.notes.iter().cloned());
    let batch_size = outcome.batch_size;
    report.data = Some(DataSummary {
        path: suite.data.path.display().to_string(),
        rows: outcome.rows,
        features: outcome.columns.clone(),
        label: schema.label.clone(),
    });
    for dependence in &outcome.batch_dependence {
        report.notes.push(dependence.note());
    }
    report.batch_dependence = outcome.batch_dependence;
    let mut models = outcome.models.into_iter();
    let candidate_out = models.next().expect("the candidate always runs");
    let baseline_out = models.next();
    let has_baseline = baseline.is_some();
    if let Some(baseline_out) = baseline_out.as_ref().filter(|_| has_baseline) {
        super::data_validation::prediction_drift(
            suite,
            plan.held.drift,
            &candidate_out.predictions,
            &baseline_out.predictions,
            outcome.rows,
            report,
        );
    }

    let mut metric_ids = suite.metric_ids();
    // A gate held from the base's config may name a metric this config no longer computes.
    for gate in gates {
        if !metric_ids.contains(&gate.metric) {
            metric_ids.push(gate.metric);
        }
    }
    let mut statistics = StatisticsRequest {
        settings: BootstrapSettings {
            resamples: config.statistics.resamples,
            seed: config.statistics.seed,
            level: config.statistics.confidence,
            ..BootstrapSettings::default()
        },
        wanted: metric_ids.clone(),
        // Without a baseline only gates with `confidence` use the resamples.
        needed: has_baseline || gates.iter().any(|g| g.confidence.is_some()),
        result: None,
    };
    let sizes = [
        Some(candidate.identity.size_bytes),
        baseline.as_ref().map(|b| b.identity.size_bytes),
    ];
    let (mut candidate_values, mut baseline_values) = match (&outcome.truth, suite.task) {
        (Targets::Classes(truth), Task::Classification) => classify(
            truth,
            &outcome.truth_classes,
            candidate_out,
            baseline_out,
            same_model && has_baseline,
            report,
            predictions,
            suite.name(),
            &mut statistics,
        ),
        (Targets::Values(truth), Task::Regression) => regress(
            truth,
            candidate_out,
            baseline_out,
            same_model && has_baseline,
            report,
            predictions,
            suite.name(),
            &mut statistics,
        ),
        _ => unreachable!("the reader yields targets of the suite's task"),
    };
    let timing_method = latency::compare(
        &outcome.timing,
        same_model,
        &mut candidate_values,
        baseline_values.as_mut().filter(|_| has_baseline),
    );
    candidate_values.set(MetricId::ModelSizeBytes, sizes[0].map(|s| s as f64));
    if let Some(values) = &mut baseline_values {
        values.set(MetricId::ModelSizeBytes, sizes[1].map(|s| s as f64));
    }
    let candidate_values = candidate_values.select(&metric_ids);
    let baseline_values = baseline_values
        .filter(|_| has_baseline)
        .map(|v| v.select(&metric_ids));
    let _compare_span = tracing::info_span!("compare and gate").entered();
    report.metrics = compare::compare(&metric_ids, &candidate_values, baseline_values.as_ref());
    report.gates = compare::evaluate_gates(gates, &candidate_values, baseline_values.as_ref());
    let stats = statistics.result.as_ref();
    significance::apply_confidence(&mut report.gates, gates, stats);
    if let Some(stats) = stats.filter(|_| has_baseline) {
        significance::annotate(&mut report.metrics, stats);
        report.notes.extend(significance::detectability_notes(
            gates,
            stats,
            config.statistics.confidence,
        ));
    }
    // The data changed since the base: both models on the old data too.
    evaluate_on_base_data(
        &NewDataRun {
            source,
            config,
            suite,
            signatures: &signatures,
            gates,
            data_change,
            accepted_by,
            metric_ids: &metric_ids,
            same_model: same_model && has_baseline,
            rows_now: outcome.rows,
            candidate_now: &candidate_values,
            baseline_now: baseline_values.as_ref(),
        },
        &mut runners,
        report,
    );
    if let Some(gate) = breaking_signature_gate(config, suite, &report.signature_changes) {
        report.gates.push(gate);
    }
    if let Some(section) = &report.data_validation {
        let gates = super::data_validation::gates(config, suite, section);
        report.gates.extend(gates);
    }
    compare::mark_gated(&mut report.metrics, &report.gates);
    report.verdict = compare::suite_verdict(&report.gates, has_baseline);
    if let Some(timing) = &mut report.timing {
        timing.batch_size = batch_size;
        timing.method = Some(timing_method);
    }
    Ok(())
}

/// Reads the model's protobuf and refuses, before ONNX Runtime loads it, what that runtime
/// cannot run: a newer opset or IR version, custom operator domains not allowed.
fn check_model(
    model: &ModelBytes,
    dir: Option<&Path>,
    suite: &SuiteConfig,
    runtime: &Runtime,
) -> Result<ModelSummary> {
    let label = format!("{} ({})", model.identity.path, model.identity.source);
    let summary =
        crate::model::inspect(model.bytes.clone(), &label, dir).map_err(ModelError::from)?;
    crate::model::check_runtime_support(
        &summary,
        &label,
        &runtime.library.version,
        &suite.model_checks.allow_custom_domains,
    )
    .map_err(ModelError::Unsupported)?;
    Ok(summary)
}

/// A failed `signature` gate when the candidate breaks the baseline's signature and the suite
/// does not allow it: callers of the model would break, whatever the metrics say.
fn breaking_signature_gate(
    config: &Config,
    suite: &SuiteConfig,
    changes: &[crate::model::SignatureChange],
) -> Option<crate::compare::GateResult> {
    let breaking: Vec<&str> = changes
        .iter()
        .filter(|c| c.breaking)
        .map(|c| c.description.as_str())
        .collect();
    if breaking.is_empty() || suite.model_checks.allow_breaking {
        return None;
    }
    Some(crate::compare::GateResult {
        metric: "signature".to_owned(),
        rule: "max_breaking_changes".to_owned(),
        threshold: 0.0,
        outcome: crate::compare::GateOutcome::Fail,
        reason: format!(
            "breaking signature change: {}; if callers are updated too, set `allow_breaking = true` under [suite.model_checks]",
            breaking.join("; ")
        ),
        line: config.line_of(suite.name.span().start),
        confidence: None,
        bound: None,
    })
}

/// Classification metrics for both models, plus per-class tables and paired counts.
#[allow(clippy::too_many_arguments)]
pub(super) fn classify(
    truth: &[u32],
    truth_classes: &[String],
    candidate: ModelOutcome,
    baseline: Option<ModelOutcome>,
    baseline_is_candidate: bool,
    report: &mut SuiteReport,
    predictions: Option<&mut PredictionsOut>,
    suite: &str,
    statistics: &mut StatisticsRequest,
) -> (MetricValues, Option<MetricValues>) {
    let mut outcomes = vec![candidate];
    outcomes.extend(baseline);
    let latencies: Vec<_> = outcomes.iter().map(|o| o.latency.summary()).collect();
    let mut latency_values: Vec<MetricValues> = outcomes
        .iter()
        .map(|o| {
            let mut v = MetricValues::default();
            o.latency.write_metrics(&mut v);
            v
        })
        .collect();
    let mut aligned = eval::align_classification(
        truth,
        truth_classes,
        outcomes.into_iter().map(|o| o.predictions).collect(),
    );
    let metrics_span = tracing::info_span!("metrics").entered();
    // Each model's scores as probabilities, once, read as the model says they are: the
    // metrics and the statistics see the same ones.
    let prepared: Vec<Option<Prepared>> = aligned
        .models
        .iter_mut()
        .map(|m| {
            m.scores
                .as_mut()
                .map(|s| probabilities::prepare(&mut s.values, s.width, s.reading.meaning))
        })
        .collect();
    let views: Vec<Option<ClassScores>> = aligned
        .models
        .iter()
        .zip(&prepared)
        .map(|(m, p)| probability_view(m, p.as_ref()))
        .collect();
    let with_views: Vec<_> = aligned.models.iter().zip(&views).collect();
    // One thread per model: each sorts its scores for roc_auc (1M rows: ~70 ms each).
    let mut computed: Vec<classification::ClassificationMetrics> =
        per_model_in_parallel(&with_views, |(m, view)| {
            classification::evaluate(
                &aligned.truth,
                &aligned.classes,
                &ClassifierOutput {
                    predicted: &m.predicted,
                    probabilities: **view,
                },
            )
        });
    for ((role, model), prepared) in ["candidate", "baseline"]
        .iter()
        .zip(&aligned.models)
        .zip(&prepared)
    {
        report
            .notes
            .extend(model.notes.iter().map(|n| format!("{role}: {n}")));
        report.notes.extend(
            score_notes(model, prepared.as_ref())
                .into_iter()
                .map(|n| format!("{role}: {n}")),
        );
    }
    if baseline_is_candidate {
        computed.push(computed[0].clone());
        latency_values.push(latency_values[0].clone());
    }
    // The same model evaluated once is its own baseline.
    let baseline_index = if baseline_is_candidate { 0 } else { 1 };
    let baseline_pred = aligned.models.get(baseline_index);
    if let Some(b) = baseline_pred {
        let c = &aligned.models[0];
        let (mut improved, mut worsened, mut changed) = (0u64, 0u64, 0u64);
        for ((&t, &cp), &bp) in aligned.truth.iter().zip(&c.predicted).zip(&b.predicted) {
            changed += u64::from(cp != bp);
            improved += u64::from(cp == t && bp != t);
            worsened += u64::from(cp != t && bp == t);
        }
        report.paired = Some(paired(improved, worsened, changed));
        report.flips = Some(flips::classification_flips(
            &aligned.truth,
            &aligned.classes,
            &c.predicted,
            &b.predicted,
        ));
    }
    drop(metrics_span);
    if statistics.needed {
        let indices = std::iter::once(0).chain(baseline_pred.map(|_| baseline_index));
        let examples = Examples::Classification {
            truth: &aligned.truth,
            classes: aligned.classes.len(),
            models: indices
                .map(|i| ClassifierExamples {
                    predicted: &aligned.models[i].predicted,
                    probabilities: views[i],
                })
                .collect(),
        };
        let computed: Vec<&MetricValues> = computed.iter().map(|m| &m.values).collect();
        statistics.run(&examples, &computed, aligned.truth.len(), report);
    }
    if let Some(out) = predictions {
        let name = |i: u32| aligned.classes[i as usize].clone();
        for (row, &t) in aligned.truth.iter().enumerate() {
            out.push(
                suite,
                row,
                name(t),
                name(aligned.models[0].predicted[row]),
                baseline_pred.map(|b| name(b.predicted[row])),
            );
        }
    }
    report.timing = Some(TimingSummary {
        candidate: latencies[0],
        baseline: latencies
            .get(1)
            .copied()
            .or(baseline_is_candidate.then_some(latencies[0])),
        batch_size: 0,
        method: None,
    });
    report.classes = Some(ClassReport {
        labels: aligned.classes.clone(),
        candidate: computed[0].per_class.clone(),
        baseline: computed.get(1).map(|m| m.per_class.clone()),
        candidate_confusion: computed[0].confusion.clone(),
        baseline_confusion: computed.get(1).map(|m| m.confusion.clone()),
    });
    let agreement = baseline_pred.map(|b| {
        let c = &aligned.models[0];
        agreement::classification(
            &c.predicted,
            &b.predicted,
            score_view(c).as_ref(),
            score_view(b).as_ref(),
        )
    });
    let mut values = computed
        .into_iter()
        .zip(latency_values)
        .map(|(m, latency)| merge(m.values, latency));
    let candidate_values = values.next().unwrap_or_default();
    let baseline_values = values.next();
    match (agreement, baseline_values) {
        (Some((c, b)), Some(baseline_values)) => {
            (merge(candidate_values, c), Some(merge(baseline_values, b)))
        }
        (_, baseline_values) => (candidate_values, baseline_values),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn regress(
    truth: &[f64],
    candidate: ModelOutcome,
    baseline: Option<ModelOutcome>,
    baseline_is_candidate: bool,
    report: &mut SuiteReport,
    predictions: Option<&mut PredictionsOut>,
    suite: &str,
    statistics: &mut StatisticsRequest,
) -> (MetricValues, Option<MetricValues>) {
    let values_of = |o: &ModelOutcome| match &o.predictions {
        Predictions::Values(v) => v.clone(),
        Predictions::Classes { .. } => Vec::new(),
    };
    let metrics_of = |o: &ModelOutcome| {
        let mut v = regression::evaluate(truth, &values_of(o));
        o.latency.write_metrics(&mut v);
        v
    };
    let candidate_values = metrics_of(&candidate);
    let baseline = if baseline_is_candidate {
        Some(&candidate)
    } else {
        baseline.as_ref()
    };
    let baseline_values = baseline.map(metrics_of);
    let c = values_of(&candidate);
    let b = baseline.map(values_of);
    if let Some(b) = &b {
        let (mut improved, mut worsened, mut changed) = (0u64, 0u64, 0u64);
        for ((&y, &cp), &bp) in truth.iter().zip(&c).zip(b) {
            let (ce, be) = ((y - cp).abs(), (y - bp).abs());
            changed += u64::from(cp != bp);
            improved += u64::from(ce < be);
            worsened += u64::from(ce > be);
        }
        report.paired = Some(paired(improved, worsened, changed));
        report.flips = Some(flips::regression_flips(truth, &c, b));
    }
    if statistics.needed {
        let examples = Examples::Regression {
            truth,
            models: std::iter::once(c.as_slice()).chain(b.as_deref()).collect(),
        };
        let computed: Vec<&MetricValues> = std::iter::once(&candidate_values)
            .chain(&baseline_values)
            .collect();
        statistics.run(&examples, &computed, truth.len(), report);
    }
    if let Some(out) = predictions {
        for (row, &y) in truth.iter().enumerate() {
            out.push(
                suite,
                row,
                y.to_string(),
                c[row].to_string(),
                b.as_ref().map(|b| b[row].to_string()),
            );
        }
    }
    report.timing = Some(TimingSummary {
        candidate: candidate.latency.summary(),
        baseline: baseline.map(|b| b.latency.summary()),
        batch_size: 0,
        method: None,
    });
    match (&b, baseline_values) {
        (Some(b), Some(baseline_values)) => {
            let (ca, ba) = agreement::regression(&c, b);
            (
                merge(candidate_values, ca),
                Some(merge(baseline_values, ba)),
            )
        }
        (_, baseline_values) => (candidate_values, baseline_values),
    }
}

/// `f` of each model, each on a thread of its own; a panic in one is raised here.
fn per_model_in_parallel<M: Sync, T: Send>(models: &[M], f: impl Fn(&M) -> T + Sync) -> Vec<T> {
    std::thread::scope(|scope| {
        let f = &f;
        let running: Vec<_> = models.iter().map(|m| scope.spawn(move || f(m))).collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

fn score_view(m: &eval::AlignedModel) -> Option<ClassScores<'_>> {
    m.scores.as_ref().map(|s| ClassScores {
        values: &s.values,
        width: s.width,
        column_of_class: &m.column_of_class,
    })
}

fn merge(mut a: MetricValues, b: MetricValues) -> MetricValues {
    for m in b.0 {
        if let Some(id) = MetricId::from_name(&m.name) {
            a.set(id, m.value);
        }
    }
    a
}

/// What the suite's statistics need, and what they found.
pub(super) struct StatisticsRequest {
    settings: BootstrapSettings,
    wanted: Vec<MetricId>,
    needed: bool,
    result: Option<SuiteStatistics>,
}

impl StatisticsRequest {
    /// No resampling: for a pass whose numbers are shown but not tested (the old data).
    pub(super) fn skipped() -> Self {
        StatisticsRequest {
            settings: BootstrapSettings::default(),
            wanted: Vec::new(),
            needed: false,
            result: None,
        }
    }

    /// `computed`: each model's metrics on the whole set, candidate first; the bootstrap
    /// centres its intervals on them rather than computing them again.
    fn run(
        &mut self,
        examples: &Examples,
        computed: &[&MetricValues],
        rows: usize,
        report: &mut SuiteReport,
    ) {
        let _span = tracing::info_span!("statistics").entered();
        let resampled =
            bootstrap::resample_around(examples, &self.wanted, &self.settings, &|metric, model| {
                computed.get(model).and_then(|values| values.get(metric))
            });
        let subsampled: Vec<&str> = resampled
            .iter()
            .filter(|r| r.subsample.is_some())
            .map(|r| r.metric.name())
            .collect();
        if let Some(m) = resampled.iter().find_map(|r| r.subsample) {
            report.notes.push(format!(
                "the intervals of {} come from a bootstrap of an evenly spread {m}-example subsample, scaled to all {rows} examples (by the square root of {m}/{rows})",
                subsampled.join(", "),
            ));
        }
        self.result = Some(SuiteStatistics {
            level: self.settings.level,
            resampled,
            discordant: report.paired.as_ref().map(|p| (p.improved, p.worsened)),
            rows,
        });
    }
}

fn paired(improved: u64, worsened: u64, changed: u64) -> PairedSummary {
    let p_value = compare::mcnemar_exact(improved, worsened);
    let assessment = match p_value {
        None => "identical",
        Some(p) if p < 0.05 => "significant",
        Some(_) => "not_significant",
    };
    PairedSummary {
        improved,
        worsened,
        changed,
        p_value,
        assessment: assessment.to_owned(),
    }
}

/// Per-example predictions of every suite, for `--predictions FILE`.
#[derive(Default)]
pub struct PredictionsOut {
    csv: String,
}

impl PredictionsOut {
    fn push(
        &mut self,
        suite: &str,
        row: usize,
        truth: String,
        candidate: String,
        baseline: Option<String>,
    ) {
        if self.csv.is_empty() {
            self.csv.push_str("suite,row,truth,candidate,baseline\n");
        }
        let field = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let _ = writeln!(
            self.csv,
            "{},{row},{},{},{}",
            field(suite),
            field(&truth),
            field(&candidate),
            field(&baseline.unwrap_or_default())
        );
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, &self.csv).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}
