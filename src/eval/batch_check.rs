//! Do a model's outputs depend on the batch size? Dynamic quantisation computes its scales over
//! each input batch, so a row's scores change with its neighbours; then every metric depends on
//! `runtime.batch_size`. Re-run a sample of rows at two batch sizes and compare.

use serde::{Deserialize, Serialize};

use super::outputs::{PredictionSink, Predictions};
use super::{ModelRunner, inputs, run_once};

/// Rows re-run: enough to see per-batch scales move, cheap even one row at a time.
pub const SAMPLE_ROWS: usize = 256;

/// Outputs that differed between the two batch sizes beyond float tolerance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BatchDependence {
    /// `candidate` or `baseline`.
    pub model: String,
    pub rows: usize,
    pub batch_sizes: [usize; 2],
    /// Predicted labels that changed.
    pub labels_changed: usize,
    /// Largest change of a score or regression output.
    pub max_abs_diff: f64,
}

impl BatchDependence {
    pub fn note(&self) -> String {
        format!(
            "{}: outputs depend on the batch size (first {} rows at batch {} vs {}: {} labels changed, scores moved by up to {:.3e}), so its metrics depend on runtime.batch_size; dynamically quantised models do this",
            self.model,
            self.rows,
            self.batch_sizes[0],
            self.batch_sizes[1],
            self.labels_changed,
            self.max_abs_diff
        )
    }
}

/// `sample` holds the first `rows` rows (row-major, `feature_names.len()` wide). A model that
/// cannot run at the other batch size (a fixed batch dimension) is not checked: this check
/// only advises.
pub fn check(
    runner: &mut ModelRunner,
    sample: &[f64],
    rows: usize,
    feature_names: &[String],
    batch_size: usize,
) -> Option<BatchDependence> {
    let sizes = [
        batch_size.min(rows).max(1),
        if batch_size > 1 { 1 } else { 7 },
    ];
    if rows < 2 || sizes[0] == sizes[1] {
        return None;
    }
    let a = predict(runner, sample, rows, feature_names, sizes[0])?;
    let b = predict(runner, sample, rows, feature_names, sizes[1])?;
    let (labels_changed, max_abs_diff) = compare(&a, &b)?;
    // fp32 reductions reorder with the batch (SIMD tails, threads): ~1e-7 relative. Dynamic
    // quantisation moves scores by whole quantisation steps, ~1e-3 and more.
    let tolerance = 1e-5;
    (labels_changed > 0 || max_abs_diff > tolerance).then(|| BatchDependence {
        model: runner.role.to_owned(),
        rows,
        batch_sizes: sizes,
        labels_changed,
        max_abs_diff,
    })
}

fn predict(
    runner: &mut ModelRunner,
    sample: &[f64],
    rows: usize,
    feature_names: &[String],
    batch: usize,
) -> Option<Predictions> {
    let width = feature_names.len();
    let mut sink = PredictionSink::new(
        &runner.binding.output,
        runner.classes.clone(),
        runner.score_reading.clone(),
    );
    let mut scratch = inputs::InputScratch::default();
    let mut start = 0;
    while start < rows {
        let n = batch.min(rows - start);
        let features = &sample[start * width..(start + n) * width];
        let (_, out) = run_once(runner, &mut scratch, features, n, feature_names, start).ok()?;
        sink.absorb(&out, n, start).ok()?;
        start += n;
    }
    sink.finish(runner.role, rows).ok()
}

/// `(labels changed, largest score difference)`, or `None` when the outputs are not comparable.
fn compare(a: &Predictions, b: &Predictions) -> Option<(usize, f64)> {
    let max_diff = |x: &[f64], y: &[f64]| {
        x.iter()
            .zip(y)
            .map(|(p, q)| {
                if p.is_nan() && q.is_nan() {
                    0.0
                } else {
                    (p - q).abs()
                }
            })
            .fold(
                0.0f64,
                |m, d| if d.is_nan() { f64::INFINITY } else { m.max(d) },
            )
    };
    match (a, b) {
        (Predictions::Values(x), Predictions::Values(y)) => Some((0, max_diff(x, y))),
        (
            Predictions::Classes {
                predicted: pa,
                names: na,
                scores: sa,
            },
            Predictions::Classes {
                predicted: pb,
                names: nb,
                scores: sb,
            },
        ) => {
            let label = |names: &[String], i: u32| names.get(i as usize).cloned();
            let changed = pa
                .iter()
                .zip(pb)
                .filter(|&(&x, &y)| label(na, x) != label(nb, y))
                .count();
            let diff = match (sa, sb) {
                (Some(x), Some(y)) if x.width == y.width && x.columns == y.columns => {
                    max_diff(&x.values, &y.values)
                }
                _ => 0.0,
            };
            Some((changed, diff))
        }
        _ => None,
    }
}
