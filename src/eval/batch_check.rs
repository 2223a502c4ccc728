//! Do a model's outputs depend on the batch size? Dynamic quantisation computes its scales over
//! each input batch, so a row's scores change with its neighbours; then every metric depends on
//! `runtime.batch_size`. Re-run a sample of rows at two batch sizes and compare.

use serde::{Deserialize, Serialize};

use super::outputs::{PredictionSink, Predictions};
use super::{ModelRunner, run_once};
use crate::data::FeedValues;

/// Rows re-run: enough to see per-batch scales move, cheap even one row at a time.
pub const SAMPLE_ROWS: usize = 256;

/// The first [`SAMPLE_ROWS`] rows of the data, as the models' feeds.
pub struct Sample {
    feeds: Vec<Option<FeedValues>>,
    /// Values per row of each feed.
    widths: Vec<usize>,
    rows: usize,
}

impl Sample {
    pub fn new(widths: Vec<usize>) -> Self {
        Sample {
            feeds: vec![None; widths.len()],
            widths,
            rows: 0,
        }
    }

    /// Keeps the rows of a batch still missing from the sample.
    pub fn keep(&mut self, feeds: &[FeedValues], rows: usize) {
        let take = (SAMPLE_ROWS - self.rows).min(rows);
        if take == 0 {
            return;
        }
        for ((kept, values), &width) in self.feeds.iter_mut().zip(feeds).zip(&self.widths) {
            match kept {
                Some(kept) => kept.extend_from(values, 0, take * width),
                None => *kept = Some(values.slice(0, take * width)),
            }
        }
        self.rows += take;
    }

    /// Rows `start..start + n` as feeds of their own.
    fn rows(&self, start: usize, n: usize) -> Vec<FeedValues> {
        self.feeds
            .iter()
            .zip(&self.widths)
            .filter_map(|(f, &w)| f.as_ref().map(|f| f.slice(start * w, (start + n) * w)))
            .collect()
    }
}

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

/// Re-runs the sample at two batch sizes. A model with a fixed batch dimension is not
/// checked (it runs at one size only), nor one that fails at the other size: this check only
/// advises.
pub fn check(
    runner: &mut ModelRunner,
    sample: &Sample,
    batch_size: usize,
) -> Option<BatchDependence> {
    if runner.binding.input.fixed_batch.is_some() {
        return None;
    }
    let rows = sample.rows;
    let sizes = [
        batch_size.min(rows).max(1),
        if batch_size > 1 { 1 } else { 7 },
    ];
    if rows < 2 || sizes[0] == sizes[1] {
        return None;
    }
    let a = predict(runner, sample, sizes[0])?;
    let b = predict(runner, sample, sizes[1])?;
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

fn predict(runner: &mut ModelRunner, sample: &Sample, batch: usize) -> Option<Predictions> {
    let rows = sample.rows;
    let mut sink = PredictionSink::new(
        &runner.binding.output,
        runner.classes.clone(),
        runner.score_reading.clone(),
    );
    let mut start = 0;
    while start < rows {
        let n = batch.min(rows - start);
        let feeds = sample.rows(start, n);
        let (_, out) = run_once(runner, &feeds, n, start).ok()?;
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
