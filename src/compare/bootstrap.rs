//! Paired bootstrap of every quality metric: how much could candidate − baseline move if the
//! evaluation set had been drawn again?
//!
//! Resampling is the Poisson bootstrap: each example gets a Poisson(1) weight — how many times
//! it appears in the resample — and both models see the same weights, so the resampled delta
//! keeps the pairing. Nothing is copied: a metric is computed from weighted versions of the
//! same mergeable state it is computed from once (confusion counts, sums, ranks).
//!
//! * Confusion metrics (accuracy, precision, recall, F1, balanced accuracy) only depend on how
//!   many examples fall in each (truth, candidate, baseline) cell. A sum of Poisson(1) weights
//!   over a cell of `k` examples is Poisson(k), drawn in one step: the cost of a resample does
//!   not grow with the number of examples.
//! * log_loss and the regression metrics are weighted means of per-example values; roc_auc is
//!   a weighted Mann–Whitney statistic over ranks computed once. These need a weight per
//!   example, so above [`EXAMPLE_ROWS`] examples they are resampled on an evenly spread
//!   subsample of that size, and each resample's distance from the subsample's own value is
//!   scaled by √(m/n) around the full set's value: these metrics are √n-consistent, so the
//!   spread of the bootstrap shrinks as 1/√n. The report says so.

use std::num::NonZeroUsize;

use super::poisson::{Family, Stream};
use crate::metrics::MetricId;
use crate::metrics::classification::{
    ClassScores, auc_classes, confusion_metrics, example_log_losses, roc_auc,
};

/// Resamples, seed and confidence level of the intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapSettings {
    pub resamples: usize,
    pub seed: u64,
    /// Two-sided level of the intervals shown, e.g. 0.95.
    pub level: f64,
    /// Above this many examples, the metrics that need a weight per example are resampled
    /// on a subsample of this size (see the module documentation).
    pub example_rows: usize,
}

impl Default for BootstrapSettings {
    fn default() -> Self {
        Self {
            resamples: 2000,
            seed: DEFAULT_SEED,
            level: 0.95,
            example_rows: EXAMPLE_ROWS,
        }
    }
}

/// The default seed: fixed, so the same inputs give the same report.
pub const DEFAULT_SEED: u64 = 20_261_128;

/// Subsample size for the metrics that need a weight per example: 2,000 resamples of 10,000
/// examples cost about 50 ms on two cores, whatever the size of the evaluation set. The
/// subsample's own error in the interval's width (about 1/√(2m), 0.7%) stays well under the
/// Monte Carlo error of 2,000 resamples in a 95% endpoint (about 3%).
pub const EXAMPLE_ROWS: usize = 10_000;

/// One classifier's outputs on every example.
pub struct ClassifierExamples<'a> {
    pub predicted: &'a [u32],
    /// Probabilities per class (already softmaxed where the model gives raw scores).
    pub probabilities: Option<ClassScores<'a>>,
}

/// Per-example outputs of the candidate and, when there is one, the baseline.
pub enum Examples<'a> {
    Classification {
        truth: &'a [u32],
        classes: usize,
        /// Candidate first.
        models: Vec<ClassifierExamples<'a>>,
    },
    Regression {
        truth: &'a [f64],
        /// Candidate first.
        models: Vec<&'a [f64]>,
    },
}

/// The resampled values of one metric; `NaN` where a resample leaves it undefined.
#[derive(Debug, Clone)]
pub struct Resampled {
    pub metric: MetricId,
    pub candidate: Vec<f64>,
    /// Same resamples as `candidate`.
    pub baseline: Option<Vec<f64>>,
    /// Set when the resamples were drawn from a subsample of this many examples and scaled to
    /// the whole set.
    pub subsample: Option<usize>,
}

impl Resampled {
    /// candidate − baseline per resample, finite values only, sorted.
    pub fn sorted_deltas(&self) -> Vec<f64> {
        let Some(baseline) = &self.baseline else {
            return Vec::new();
        };
        sorted_finite(self.candidate.iter().zip(baseline).map(|(c, b)| c - b))
    }

    /// The candidate's values, finite only, sorted.
    pub fn sorted_candidate(&self) -> Vec<f64> {
        sorted_finite(self.candidate.iter().copied())
    }

    /// `100 × (candidate − baseline) / |baseline|` per resample, sorted.
    pub fn sorted_delta_pcts(&self) -> Vec<f64> {
        let Some(baseline) = &self.baseline else {
            return Vec::new();
        };
        sorted_finite(
            self.candidate
                .iter()
                .zip(baseline)
                .map(|(c, b)| 100.0 * (c - b) / b.abs()),
        )
    }
}

fn sorted_finite(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The `q` quantile of sorted values, interpolated linearly as numpy's default does.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(last);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Resamples every metric of `wanted` that can be resampled (quality metrics; not timings or
/// the model size). Deterministic for given inputs and settings, whatever the thread count.
pub fn resample(
    examples: &Examples,
    wanted: &[MetricId],
    settings: &BootstrapSettings,
) -> Vec<Resampled> {
    resample_around(examples, wanted, settings, &|metric, model| {
        whole_set_value(examples, metric, model)
    })
}

/// [`resample`], given `value(metric, model)`: each metric on the whole set, as the caller
/// already computed it. Above [`EXAMPLE_ROWS`] examples the per-example metrics are resampled
/// on a subsample and centred on these values, so the whole set is never sorted or weighted
/// again (on 1M rows that was half the cost of the statistics).
pub fn resample_around(
    examples: &Examples,
    wanted: &[MetricId],
    settings: &BootstrapSettings,
    value: &dyn Fn(MetricId, usize) -> Option<f64>,
) -> Vec<Resampled> {
    if settings.resamples == 0 {
        return Vec::new();
    }
    let example_rows = settings.example_rows.max(1);
    let example_wanted: Vec<MetricId> = wanted
        .iter()
        .copied()
        .filter(|m| !CELL_METRICS.contains(m))
        .collect();
    // Large sets: the example-weight metrics come from a subsample, rescaled (module docs).
    let subsample = (examples.rows() > example_rows && !example_wanted.is_empty())
        .then(|| Subsample::new(examples, example_rows, settings.seed));
    let subsample_examples = subsample.as_ref().map(Subsample::examples);
    let sub_plan = subsample_examples
        .as_ref()
        .map(|e| Plan::new(e, &example_wanted))
        .filter(Plan::has_example_family);
    let plan = match &sub_plan {
        Some(_) => {
            let cell_wanted: Vec<MetricId> = wanted
                .iter()
                .copied()
                .filter(|m| CELL_METRICS.contains(m))
                .collect();
            Plan::new(examples, &cell_wanted)
        }
        None => Plan::new(examples, wanted),
    };
    // Output columns: the whole-set plan's metrics, then the subsample's.
    let metrics: Vec<MetricId> = plan
        .metrics
        .iter()
        .chain(sub_plan.iter().flat_map(|sub| &sub.metrics))
        .copied()
        .collect();
    if metrics.is_empty() || plan.rows == 0 {
        return Vec::new();
    }
    let rescale = sub_plan
        .as_ref()
        .map(|sub| Rescale::new(plan.metrics.len(), plan.rows, sub, value));
    let cells = plan.cells.as_ref().map(|_| settings.resamples).unwrap_or(0);
    let per_example = if plan.has_example_family() || sub_plan.is_some() {
        settings.resamples
    } else {
        0
    };
    let width = metrics.len() * plan.models;
    let total = cells.max(per_example);
    let mut table = vec![f64::NAN; total * width];
    let threads = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(total)
        .max(1);
    let chunk = total.div_ceil(threads);
    std::thread::scope(|scope| {
        for (t, rows) in table.chunks_mut(chunk * width).enumerate() {
            let plan = &plan;
            let sub = sub_plan.as_ref().zip(rescale.as_ref());
            scope.spawn(move || {
                let mut scratch = Scratch::default();
                let mut sub_out = Vec::new();
                for (i, out) in rows.chunks_mut(width).enumerate() {
                    let r = t * chunk + i;
                    if r < cells {
                        plan.cell_resample(settings.seed, r as u64, out, &mut scratch);
                    }
                    if r < per_example {
                        match sub {
                            None => {
                                plan.example_resample(settings.seed, r as u64, out, &mut scratch)
                            }
                            Some((sub, rescale)) => {
                                sub_out.clear();
                                sub_out.resize(sub.metrics.len() * sub.models, f64::NAN);
                                sub.example_resample(
                                    settings.seed,
                                    r as u64,
                                    &mut sub_out,
                                    &mut scratch,
                                );
                                rescale.apply(&sub_out, out);
                            }
                        }
                    }
                }
            });
        }
    });
    metrics
        .iter()
        .enumerate()
        .map(|(m, &metric)| {
            let cell_metric = plan.is_cell_metric(metric);
            let take = if cell_metric { cells } else { per_example };
            let column = |model: usize| -> Vec<f64> {
                (0..take)
                    .map(|r| table[r * width + m * plan.models + model])
                    .collect()
            };
            Resampled {
                metric,
                candidate: column(0),
                baseline: (plan.models == 2).then(|| column(1)),
                subsample: (m >= plan.metrics.len()).then_some(example_rows),
            }
        })
        .collect()
}

/// A per-example metric on the whole set, computed as the metrics module computes it.
fn whole_set_value(examples: &Examples, metric: MetricId, model: usize) -> Option<f64> {
    match examples {
        Examples::Classification {
            truth,
            classes,
            models,
        } => {
            let probabilities = models.get(model)?.probabilities.as_ref()?;
            match metric {
                MetricId::LogLoss => {
                    let losses = example_log_losses(truth, probabilities);
                    Some(losses.iter().sum::<f64>() / losses.len().max(1) as f64)
                }
                MetricId::RocAuc => {
                    let mut support = vec![0u64; *classes];
                    for &t in *truth {
                        support[t as usize] += 1;
                    }
                    roc_auc(truth, &support, probabilities)
                }
                _ => None,
            }
        }
        Examples::Regression { truth, models } => {
            crate::metrics::regression::evaluate(truth, models.get(model)?).get(metric)
        }
    }
}

impl Examples<'_> {
    fn rows(&self) -> usize {
        match self {
            Examples::Classification { truth, .. } => truth.len(),
            Examples::Regression { truth, .. } => truth.len(),
        }
    }
}

/// An evenly spread, seeded subset of the examples: one row from each of `m` equal stretches
/// of the set (systematic sampling), so a set sorted by class keeps its class mix.
enum Subsample {
    Classification {
        truth: Vec<u32>,
        classes: usize,
        predicted: Vec<Vec<u32>>,
        /// Per model, when it gives scores.
        scores: Vec<Option<OwnedScores>>,
    },
    Regression {
        truth: Vec<f64>,
        predicted: Vec<Vec<f64>>,
    },
}

/// A [`ClassScores`] that owns its rows.
struct OwnedScores {
    /// Row-major, `width` per row.
    values: Vec<f64>,
    width: usize,
    column_of_class: Vec<Option<usize>>,
}

impl Subsample {
    fn new(examples: &Examples, m: usize, seed: u64) -> Subsample {
        let n = examples.rows();
        let offset = Stream::new(seed, u64::MAX, Family::Examples).next_u64() as f64
            / (u64::MAX as f64 + 1.0);
        let rows: Vec<usize> = (0..m)
            .map(|j| (((j as f64 + offset) * n as f64 / m as f64) as usize).min(n - 1))
            .collect();
        match examples {
            Examples::Classification {
                truth,
                classes,
                models,
            } => Subsample::Classification {
                truth: rows.iter().map(|&i| truth[i]).collect(),
                classes: *classes,
                predicted: models
                    .iter()
                    .map(|m| rows.iter().map(|&i| m.predicted[i]).collect())
                    .collect(),
                scores: models
                    .iter()
                    .map(|m| {
                        m.probabilities.as_ref().map(|p| {
                            let values = rows
                                .iter()
                                .flat_map(|&i| &p.values[i * p.width..(i + 1) * p.width])
                                .copied()
                                .collect();
                            OwnedScores {
                                values,
                                width: p.width,
                                column_of_class: p.column_of_class.to_vec(),
                            }
                        })
                    })
                    .collect(),
            },
            Examples::Regression { truth, models } => Subsample::Regression {
                truth: rows.iter().map(|&i| truth[i]).collect(),
                predicted: models
                    .iter()
                    .map(|m| rows.iter().map(|&i| m[i]).collect())
                    .collect(),
            },
        }
    }

    fn examples(&self) -> Examples<'_> {
        match self {
            Subsample::Classification {
                truth,
                classes,
                predicted,
                scores,
            } => Examples::Classification {
                truth,
                classes: *classes,
                models: predicted
                    .iter()
                    .zip(scores)
                    .map(|(predicted, scores)| ClassifierExamples {
                        predicted,
                        probabilities: scores.as_ref().map(|s| ClassScores {
                            values: &s.values,
                            width: s.width,
                            column_of_class: &s.column_of_class,
                        }),
                    })
                    .collect(),
            },
            Subsample::Regression { truth, predicted } => Examples::Regression {
                truth,
                models: predicted.iter().map(Vec::as_slice).collect(),
            },
        }
    }
}

/// Maps a subsample's resampled values onto the whole set: `full + (value − sub) · √(m/n)`,
/// where `full` and `sub` are the metric on the whole set and on the subsample.
struct Rescale {
    /// Per subsample slot: (output column, value on the subsample, on the whole set).
    slots: Vec<(usize, f64, f64)>,
    scale: f64,
}

impl Rescale {
    /// `first` is the output column of the subsample's first metric; `whole` the whole
    /// set's value of a metric for a model.
    fn new(
        first: usize,
        rows: usize,
        sub: &Plan,
        whole: &dyn Fn(MetricId, usize) -> Option<f64>,
    ) -> Rescale {
        let mut part = vec![f64::NAN; sub.metrics.len() * sub.models];
        sub.example_metrics(&vec![1; sub.rows], &mut part);
        let mut slots = Vec::new();
        for (j, &metric) in sub.metrics.iter().enumerate() {
            for model in 0..sub.models {
                slots.push((
                    (first + j) * sub.models + model,
                    part[j * sub.models + model],
                    whole(metric, model).unwrap_or(f64::NAN),
                ));
            }
        }
        Rescale {
            slots,
            scale: (sub.rows as f64 / rows as f64).sqrt(),
        }
    }

    fn apply(&self, sub_out: &[f64], out: &mut [f64]) {
        // Subsample slots are laid out metric by metric, model by model, like `slots`.
        for (k, &(target, sub_point, full_point)) in self.slots.iter().enumerate() {
            if let Some(&value) = sub_out.get(k) {
                out[target] = full_point + (value - sub_point) * self.scale;
            }
        }
    }
}

/// What to resample, prepared once: cell counts, per-example losses, rank orders.
struct Plan<'a> {
    metrics: Vec<MetricId>,
    models: usize,
    rows: usize,
    /// Confusion metrics: (cell count, truth, predicted class of each model).
    cells: Option<CellTable>,
    classes: usize,
    log_losses: Option<Vec<Vec<f64>>>,
    aucs: Option<Vec<Vec<AucRanking>>>,
    regression: Option<RegressionInputs<'a>>,
}

struct CellTable {
    /// Examples per populated cell.
    counts: Vec<f64>,
    /// Per cell: truth, then the prediction of each model.
    keys: Vec<u32>,
}

/// One model's scores for one class, sorted once; resamples only re-weight them.
struct AucRanking {
    /// Example index per rank, with [`POSITIVE`] set for the class's own examples and
    /// [`TIES_NEXT`] where the next entry has the same score: one flat pass per resample.
    order: Vec<u32>,
}

const POSITIVE: u32 = 1 << 31;
const TIES_NEXT: u32 = 1 << 30;
/// The bits of an [`AucRanking`] entry that hold the example index.
const INDEX: u32 = TIES_NEXT - 1;

struct RegressionInputs<'a> {
    /// Truth minus its mean, so weighted sums of squares do not cancel.
    centred: Vec<f64>,
    /// `1 / max(|y|, eps)`, for mape.
    inverse_scale: Vec<f64>,
    truth: &'a [f64],
    predicted: Vec<&'a [f64]>,
}

#[derive(Default)]
struct Scratch {
    weights: Vec<u8>,
    confusion: Vec<f64>,
}

const CELL_METRICS: [MetricId; 8] = [
    MetricId::Accuracy,
    MetricId::BalancedAccuracy,
    MetricId::PrecisionMacro,
    MetricId::RecallMacro,
    MetricId::F1Macro,
    MetricId::PrecisionWeighted,
    MetricId::RecallWeighted,
    MetricId::F1Weighted,
];
const REGRESSION_METRICS: [MetricId; 5] = [
    MetricId::Mae,
    MetricId::Mse,
    MetricId::Rmse,
    MetricId::R2,
    MetricId::Mape,
];

impl<'a> Plan<'a> {
    fn new(examples: &Examples<'a>, wanted: &[MetricId]) -> Plan<'a> {
        let mut plan = Plan {
            metrics: Vec::new(),
            models: 0,
            rows: 0,
            cells: None,
            classes: 0,
            log_losses: None,
            aucs: None,
            regression: None,
        };
        match examples {
            Examples::Classification {
                truth,
                classes,
                models,
            } => {
                plan.models = models.len().min(2);
                plan.rows = truth.len();
                plan.classes = *classes;
                let models = &models[..plan.models];
                if plan.models == 0 || *classes == 0 || *classes >= POSITIVE as usize {
                    return plan;
                }
                if wanted.iter().any(|m| CELL_METRICS.contains(m)) {
                    plan.cells = Some(cell_table(truth, *classes, models));
                    plan.metrics
                        .extend(CELL_METRICS.iter().filter(|m| wanted.contains(m)));
                }
                let probabilities: Option<Vec<&ClassScores>> =
                    models.iter().map(|m| m.probabilities.as_ref()).collect();
                if let Some(probabilities) = probabilities {
                    if wanted.contains(&MetricId::LogLoss) {
                        plan.log_losses = Some(
                            probabilities
                                .iter()
                                .map(|p| example_log_losses(truth, p))
                                .collect(),
                        );
                        plan.metrics.push(MetricId::LogLoss);
                    }
                    // A ranking entry keeps the example index in 30 bits.
                    if wanted.contains(&MetricId::RocAuc) && truth.len() <= INDEX as usize {
                        let mut support = vec![0u64; *classes];
                        for &t in *truth {
                            support[t as usize] += 1;
                        }
                        let rankings: Option<Vec<Vec<AucRanking>>> = probabilities
                            .iter()
                            .map(|p| {
                                let classes = auc_classes(&support, p.column_of_class)?;
                                Some(
                                    classes
                                        .iter()
                                        .map(|&(c, col)| auc_ranking(truth, c, p, col))
                                        .collect(),
                                )
                            })
                            .collect();
                        if rankings.is_some() {
                            plan.aucs = rankings;
                            plan.metrics.push(MetricId::RocAuc);
                        }
                    }
                }
            }
            Examples::Regression { truth, models } => {
                plan.models = models.len().min(2);
                plan.rows = truth.len();
                if plan.models == 0 || truth.is_empty() {
                    return plan;
                }
                let chosen: Vec<MetricId> = REGRESSION_METRICS
                    .iter()
                    .copied()
                    .filter(|m| wanted.contains(m))
                    .collect();
                if !chosen.is_empty() {
                    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
                    plan.regression = Some(RegressionInputs {
                        centred: truth.iter().map(|y| y - mean).collect(),
                        inverse_scale: truth
                            .iter()
                            .map(|y| 1.0 / y.abs().max(f64::EPSILON))
                            .collect(),
                        truth,
                        predicted: models[..plan.models].to_vec(),
                    });
                    plan.metrics = chosen;
                }
            }
        }
        plan
    }

    fn has_example_family(&self) -> bool {
        self.log_losses.is_some() || self.aucs.is_some() || self.regression.is_some()
    }

    fn is_cell_metric(&self, metric: MetricId) -> bool {
        self.cells.is_some() && CELL_METRICS.contains(&metric)
    }

    fn slot(&self, metric: MetricId) -> Option<usize> {
        self.metrics.iter().position(|&m| m == metric)
    }

    fn cell_resample(&self, seed: u64, r: u64, out: &mut [f64], scratch: &mut Scratch) {
        let Some(cells) = &self.cells else { return };
        let mut stream = Stream::new(seed, r, Family::Cells);
        let n = self.classes;
        let stride = 1 + self.models;
        scratch.confusion.clear();
        scratch.confusion.resize(self.models * n * n, 0.0);
        for (count, key) in cells.counts.iter().zip(cells.keys.chunks_exact(stride)) {
            let drawn = stream.poisson(*count) as f64;
            if drawn == 0.0 {
                continue;
            }
            let t = key[0] as usize;
            for (model, &p) in key[1..].iter().enumerate() {
                scratch.confusion[model * n * n + t * n + p as usize] += drawn;
            }
        }
        for model in 0..self.models {
            let confusion = &scratch.confusion[model * n * n..(model + 1) * n * n];
            if confusion.iter().all(|&c| c == 0.0) {
                continue; // an empty resample: every metric stays undefined
            }
            for (metric, value) in confusion_metrics(confusion, n) {
                if let Some(slot) = self.slot(metric) {
                    out[slot * self.models + model] = value;
                }
            }
        }
    }

    fn example_resample(&self, seed: u64, r: u64, out: &mut [f64], scratch: &mut Scratch) {
        let mut stream = Stream::new(seed, r, Family::Examples);
        scratch.weights.resize(self.rows, 0);
        stream.fill_unit_weights(&mut scratch.weights);
        self.example_metrics(&scratch.weights, out);
    }

    /// The example-weight metrics under `weights` (one per example).
    fn example_metrics(&self, weights: &[u8], out: &mut [f64]) {
        let models = self.models;
        if let (Some(losses), Some(slot)) = (&self.log_losses, self.slot(MetricId::LogLoss)) {
            let total = weights.iter().map(|&w| u64::from(w)).sum::<u64>() as f64;
            for (model, loss) in losses.iter().enumerate() {
                out[slot * models + model] = weighted_sum(weights, loss) / total;
            }
        }
        if let (Some(aucs), Some(slot)) = (&self.aucs, self.slot(MetricId::RocAuc)) {
            for (model, rankings) in aucs.iter().enumerate() {
                let values: Vec<f64> = rankings
                    .iter()
                    .filter_map(|ranking| weighted_auc(ranking, weights))
                    .collect();
                out[slot * models + model] = if values.is_empty() {
                    f64::NAN
                } else {
                    values.iter().sum::<f64>() / values.len() as f64
                };
            }
        }
        if let Some(inputs) = &self.regression {
            self.regression_resample(inputs, weights, out);
        }
    }

    fn regression_resample(&self, inputs: &RegressionInputs, weights: &[u8], out: &mut [f64]) {
        let (mut total, mut sum_y, mut sum_yy) = (0.0, 0.0, 0.0);
        for (&w, &y) in weights.iter().zip(&inputs.centred) {
            let w = f64::from(w);
            total += w;
            sum_y += w * y;
            sum_yy += w * y * y;
        }
        if total == 0.0 {
            return;
        }
        let total_sq = sum_yy - sum_y * sum_y / total;
        for (model, predicted) in inputs.predicted.iter().enumerate() {
            let (mut abs, mut sq, mut pct) = (0.0, 0.0, 0.0);
            for (((&w, &y), &p), &inv) in weights
                .iter()
                .zip(inputs.truth)
                .zip(*predicted)
                .zip(&inputs.inverse_scale)
            {
                let w = f64::from(w);
                let err = (y - p).abs();
                abs += w * err;
                sq += w * err * err;
                pct += w * err * inv;
            }
            // sklearn's force_finite: a constant target gives 1 for a perfect fit, else 0.
            let r2 = match (total_sq <= 0.0, sq == 0.0) {
                (true, true) => 1.0,
                (true, false) => 0.0,
                _ => 1.0 - sq / total_sq,
            };
            for (metric, value) in [
                (MetricId::Mae, abs / total),
                (MetricId::Mse, sq / total),
                (MetricId::Rmse, (sq / total).sqrt()),
                (MetricId::R2, r2),
                (MetricId::Mape, pct / total),
            ] {
                if let Some(slot) = self.slot(metric) {
                    out[slot * self.models + model] = value;
                }
            }
        }
    }
}

/// `Σ weight · value`, in four independent sums so the additions pipeline (and vectorise).
fn weighted_sum(weights: &[u8], values: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let (w4, v4) = (weights.chunks_exact(4), values.chunks_exact(4));
    let (w_rest, v_rest) = (w4.remainder(), v4.remainder());
    for (w, v) in w4.zip(v4) {
        for lane in 0..4 {
            lanes[lane] += f64::from(w[lane]) * v[lane];
        }
    }
    let rest: f64 = w_rest
        .iter()
        .zip(v_rest)
        .map(|(&w, &v)| f64::from(w) * v)
        .sum();
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
}

/// Counts the examples of each (truth, prediction of each model) cell.
fn cell_table(truth: &[u32], classes: usize, models: &[ClassifierExamples]) -> CellTable {
    let stride = 1 + models.len();
    let key_of = |i: usize| -> u64 {
        models.iter().fold(u64::from(truth[i]), |key, m| {
            key * classes as u64 + u64::from(m.predicted[i])
        })
    };
    let cells = (classes as u64).saturating_pow(stride as u32);
    let mut pairs: Vec<(u64, f64)> = Vec::new();
    if cells <= 1 << 22 {
        // Few classes: count in a dense table, no sort.
        let mut dense = vec![0u32; cells as usize];
        for i in 0..truth.len() {
            dense[key_of(i) as usize] += 1;
        }
        pairs.extend(
            dense
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(k, &c)| (k as u64, f64::from(c))),
        );
    } else {
        let mut keys: Vec<u64> = (0..truth.len()).map(key_of).collect();
        keys.sort_unstable();
        for run in keys.chunk_by(|a, b| a == b) {
            pairs.push((run[0], run.len() as f64));
        }
    }
    let mut table = CellTable {
        counts: Vec::with_capacity(pairs.len()),
        keys: Vec::with_capacity(pairs.len() * stride),
    };
    for (key, count) in pairs {
        table.counts.push(count);
        let mut parts = vec![0u32; stride];
        let mut rest = key;
        for part in parts.iter_mut().rev() {
            *part = (rest % classes as u64) as u32;
            rest /= classes as u64;
        }
        table.keys.extend(parts);
    }
    table
}

fn auc_ranking(truth: &[u32], class: usize, scores: &ClassScores, column: usize) -> AucRanking {
    let column: Vec<f64> = scores
        .values
        .chunks_exact(scores.width)
        .map(|row| row[column])
        .collect();
    let mut order: Vec<u32> = (0..truth.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| column[a as usize].total_cmp(&column[b as usize]));
    let ties_next: Vec<bool> = order
        .windows(2)
        .map(|pair| column[pair[0] as usize] == column[pair[1] as usize])
        .chain([false])
        .collect();
    for (entry, tie) in order.iter_mut().zip(ties_next) {
        if truth[*entry as usize] as usize == class {
            *entry |= POSITIVE;
        }
        if tie {
            *entry |= TIES_NEXT;
        }
    }
    AucRanking { order }
}

/// Weighted Mann–Whitney: the chance that a positive outranks a negative, ties counting half,
/// each example counted `weight` times. Equal to sklearn's trapezoidal ROC area.
fn weighted_auc(ranking: &AucRanking, weights: &[u8]) -> Option<f64> {
    // Twice the area, in whole counts: exact whatever the order of summation.
    let (mut negatives_below, mut positives, mut twice_area) = (0u64, 0u64, 0u128);
    // The (positive, negative) weight of a group of tied scores not yet closed.
    let mut group = (0u64, 0u64);
    for &entry in &ranking.order {
        let w = u64::from(weights[(entry & INDEX) as usize]);
        let positive = w * u64::from(entry >> 31);
        if entry & TIES_NEXT == 0 && group == (0, 0) {
            // A score of its own (the usual case): it outranks every negative below it.
            twice_area += u128::from(2 * positive * negatives_below);
            negatives_below += w - positive;
            positives += positive;
        } else {
            group = (group.0 + positive, group.1 + w - positive);
            if entry & TIES_NEXT == 0 {
                // The group ends: its positives outrank the negatives below, half its own.
                let (pos, neg) = group;
                twice_area += u128::from(pos) * u128::from(2 * negatives_below + neg);
                negatives_below += neg;
                positives += pos;
                group = (0, 0);
            }
        }
    }
    (positives > 0 && negatives_below > 0)
        .then(|| twice_area as f64 / (2.0 * positives as f64 * negatives_below as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::classification::{self, ClassifierOutput};
    use crate::metrics::regression;

    fn settings(resamples: usize) -> BootstrapSettings {
        BootstrapSettings {
            resamples,
            ..BootstrapSettings::default()
        }
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        let v = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(8.0));
        // numpy.percentile([1, 2, 4, 8], 50) = 3.0, 90 -> 6.8
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert!((quantile(&v, 0.9).unwrap() - 6.8).abs() < 1e-12);
        assert_eq!(quantile(&[], 0.5), None);
    }

    /// With every weight 1 the weighted formulas must give the metrics themselves.
    #[test]
    fn unit_weights_reproduce_the_metrics() {
        let truth = [0u32, 1, 1, 0, 2, 2, 1, 0];
        let predicted = [0u32, 1, 0, 0, 2, 1, 1, 2];
        let probs: Vec<f64> = vec![
            0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.5, 0.4, 0.1, 0.6, 0.3, 0.1, 0.1, 0.2, 0.7, 0.2, 0.5,
            0.3, 0.3, 0.6, 0.1, 0.4, 0.2, 0.4,
        ];
        let cols = [Some(0), Some(1), Some(2)];
        let scores = ClassScores {
            values: &probs,
            width: 3,
            column_of_class: &cols,
        };
        let classes: Vec<String> = (0..3).map(|c| c.to_string()).collect();
        let expected = classification::evaluate(
            &truth,
            &classes,
            &ClassifierOutput {
                predicted: &predicted,
                probabilities: Some(ClassScores { ..scores }),
            },
        );
        let examples = Examples::Classification {
            truth: &truth,
            classes: 3,
            models: vec![ClassifierExamples {
                predicted: &predicted,
                probabilities: Some(scores),
            }],
        };
        let plan = Plan::new(&examples, MetricId::ALL);
        let mut out = vec![f64::NAN; plan.metrics.len()];
        let mut scratch = Scratch {
            weights: vec![1; truth.len()],
            confusion: Vec::new(),
        };
        let cells = plan.cells.as_ref().unwrap();
        scratch.confusion = vec![0.0; 9];
        for (count, key) in cells.counts.iter().zip(cells.keys.chunks_exact(2)) {
            scratch.confusion[key[0] as usize * 3 + key[1] as usize] += count;
        }
        for (metric, value) in confusion_metrics(&scratch.confusion, 3) {
            out[plan.slot(metric).unwrap()] = value;
        }
        let losses = &plan.log_losses.as_ref().unwrap()[0];
        out[plan.slot(MetricId::LogLoss).unwrap()] = losses.iter().sum::<f64>() / 8.0;
        let aucs: Vec<f64> = plan.aucs.as_ref().unwrap()[0]
            .iter()
            .filter_map(|r| weighted_auc(r, &scratch.weights))
            .collect();
        out[plan.slot(MetricId::RocAuc).unwrap()] = aucs.iter().sum::<f64>() / aucs.len() as f64;
        for (slot, metric) in plan.metrics.iter().enumerate() {
            let want = expected.values.get(*metric).unwrap();
            assert!(
                (out[slot] - want).abs() < 1e-12,
                "{metric:?}: {} vs {want}",
                out[slot]
            );
        }

        let y = [3.0, -0.5, 2.0, 7.0, 1.0];
        let p = [2.5, 0.0, 2.0, 8.0, 1.5];
        let expected = regression::evaluate(&y, &p);
        let examples = Examples::Regression {
            truth: &y,
            models: vec![&p],
        };
        let plan = Plan::new(&examples, MetricId::ALL);
        let mut out = vec![f64::NAN; plan.metrics.len()];
        plan.regression_resample(plan.regression.as_ref().unwrap(), &[1; 5], &mut out);
        for (slot, metric) in plan.metrics.iter().enumerate() {
            let want = expected.get(*metric).unwrap();
            assert!(
                (out[slot] - want).abs() < 1e-12,
                "{metric:?}: {} vs {want}",
                out[slot]
            );
        }
    }

    #[test]
    fn identical_models_have_a_zero_width_interval() {
        let truth: Vec<u32> = (0..300).map(|i| (i % 3 == 0) as u32).collect();
        let predicted: Vec<u32> = (0..300).map(|i| (i % 5 == 0) as u32).collect();
        let models = || {
            vec![
                ClassifierExamples {
                    predicted: &predicted,
                    probabilities: None,
                },
                ClassifierExamples {
                    predicted: &predicted,
                    probabilities: None,
                },
            ]
        };
        let examples = Examples::Classification {
            truth: &truth,
            classes: 2,
            models: models(),
        };
        let out = resample(
            &examples,
            &[MetricId::Accuracy, MetricId::F1Macro],
            &settings(300),
        );
        assert_eq!(out.len(), 2);
        for r in &out {
            let d = r.sorted_deltas();
            assert_eq!(d.len(), 300);
            assert!(d.iter().all(|&x| x == 0.0));
            // ... while the candidate's own value does vary.
            let c = r.sorted_candidate();
            assert!(c[0] < c[c.len() - 1]);
        }
    }

    #[test]
    fn results_are_reproducible_and_follow_the_seed() {
        let truth: Vec<f64> = (0..500).map(|i| (i as f64 * 0.37).sin()).collect();
        let a: Vec<f64> = truth.iter().map(|y| y + 0.1).collect();
        let b: Vec<f64> = truth.iter().map(|y| y * 0.9).collect();
        let examples = Examples::Regression {
            truth: &truth,
            models: vec![&a, &b],
        };
        let one = resample(&examples, &[MetricId::Rmse], &settings(64));
        let two = resample(&examples, &[MetricId::Rmse], &settings(64));
        assert_eq!(one[0].candidate, two[0].candidate);
        let other = resample(
            &examples,
            &[MetricId::Rmse],
            &BootstrapSettings {
                seed: 1,
                ..settings(64)
            },
        );
        assert_ne!(one[0].candidate, other[0].candidate);
    }

    /// The rescaled subsample bootstrap must give about the interval of the full bootstrap, and
    /// be centred on the whole set's value.
    #[test]
    fn a_subsample_scaled_to_the_whole_set_matches_the_full_bootstrap() {
        let n = 12_000;
        // Deterministic pseudo-noise: errors of both models vary per example.
        let noise = |i: usize, k: f64| ((i as f64 * k).sin() * 43_758.545_3).fract();
        let truth: Vec<f64> = (0..n).map(|i| noise(i, 12.9898) * 10.0).collect();
        let a: Vec<f64> = (0..n).map(|i| truth[i] + noise(i, 78.233) - 0.5).collect();
        let b: Vec<f64> = (0..n)
            .map(|i| truth[i] + 1.2 * (noise(i, 37.719) - 0.5))
            .collect();
        let examples = Examples::Regression {
            truth: &truth,
            models: vec![&a, &b],
        };
        let interval = |example_rows: usize| {
            let out = resample(
                &examples,
                &[MetricId::Mae],
                &BootstrapSettings {
                    example_rows,
                    ..settings(1000)
                },
            );
            let d = out[0].sorted_deltas();
            assert_eq!(d.len(), 1000);
            (
                quantile(&d, 0.025).unwrap(),
                quantile(&d, 0.975).unwrap(),
                out[0].subsample,
            )
        };
        let (lo, hi, none) = interval(usize::MAX);
        let (slo, shi, some) = interval(2_000);
        assert_eq!((none, some), (None, Some(2_000)));
        let (width, sub_width) = (hi - lo, shi - slo);
        assert!(
            (0.8..1.25).contains(&(sub_width / width)),
            "full [{lo}, {hi}] vs subsample [{slo}, {shi}]"
        );
        let point = regression::evaluate(&truth, &a).get(MetricId::Mae).unwrap()
            - regression::evaluate(&truth, &b).get(MetricId::Mae).unwrap();
        assert!(
            ((slo + shi) / 2.0 - point).abs() < 0.15 * width,
            "point {point}, subsample [{slo}, {shi}]"
        );
    }

    /// Ties (a group of equal scores counts half against itself) and weights of 0 inside a
    /// group give what sklearn's trapezoidal area gives on the expanded data.
    #[test]
    fn weighted_auc_counts_ties_like_the_expanded_data() {
        // Scores with ties; weights 0..=3 stand for repeating each example that often.
        let truth = [1u32, 0, 1, 1, 0, 0, 1, 0, 1, 0];
        let scores = [0.1f64, 0.1, 0.5, 0.5, 0.5, 0.7, 0.2, 0.2, 0.9, 0.3];
        let weights = [2u8, 1, 0, 3, 1, 2, 1, 0, 1, 3];
        let probs: Vec<f64> = scores.iter().flat_map(|&p| [1.0 - p, p]).collect();
        let cols = [Some(0), Some(1)];
        let ranking = auc_ranking(
            &truth,
            1,
            &ClassScores {
                values: &probs,
                width: 2,
                column_of_class: &cols,
            },
            1,
        );
        let expanded: Vec<(f64, bool)> = (0..truth.len())
            .flat_map(|i| std::iter::repeat_n((scores[i], truth[i] == 1), usize::from(weights[i])))
            .collect();
        let (column, positive): (Vec<f64>, Vec<bool>) = expanded.into_iter().unzip();
        let expected =
            crate::metrics::ranking::auc(column.into_iter(), positive.into_iter()).unwrap();
        let got = weighted_auc(&ranking, &weights).unwrap();
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
    }
}
