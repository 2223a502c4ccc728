//! Runs the candidate and the baseline model over the same batches and keeps every
//! per-example prediction (paired statistics and "examples that flipped" need them).
//!
//! A reader thread parses the next batch while the models run on this one. Timing (warm-up,
//! alternating order, repeating small data) is [`timing`]'s job.

mod align;
pub mod batch_check;
mod inputs;
mod outputs;
mod plan;
mod progress;
pub mod timing;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use ort::session::{Session, SessionOutputs};

pub use align::{AlignedClassification, AlignedModel, align_classification};
pub use outputs::{Predictions, Scores};
pub use timing::{TimingLog, TimingPlan};

use crate::data::{DataError, DataSource, FeedValues, Targets};
use crate::metrics::LatencyRecorder;
use crate::model::{Binding, OutputBinding, ScoreReading};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("{model}: ONNX Runtime failed on rows {first_row}..{last_row}: {message}")]
    Inference {
        model: String,
        first_row: usize,
        last_row: usize,
        message: String,
    },
    #[error("{model}: {message}")]
    Output { model: String, message: String },
    #[error(
        "{model}: output `{output}` is NaN for {rows} of {total} rows (first at data row {first_row}); \
         the model is broken (NaN weights, or inputs it cannot handle) and its metrics would be meaningless"
    )]
    NotANumber {
        model: String,
        output: String,
        rows: usize,
        total: usize,
        first_row: usize,
    },
    #[error("{model}: {message}")]
    Input { model: String, message: String },
}

/// One model ready to run: its session and how its ports map to the data.
pub struct ModelRunner {
    /// `candidate` or `baseline`, for messages.
    pub role: &'static str,
    pub session: Session,
    pub binding: Binding,
    /// Class labels in score-column order: `io.classes`, else the labels of a ZipMap that the
    /// session reads as a tensor.
    pub classes: Option<Vec<String>>,
    /// How the bound score output is read, decided from the model (`model::decide_scores`).
    pub score_reading: Option<ScoreReading>,
}

/// What a model produced over the whole dataset.
pub struct ModelOutcome {
    pub predictions: Predictions,
    pub latency: LatencyRecorder,
}

/// Everything one evaluation pass produced.
pub struct EvalOutcome {
    pub rows: usize,
    pub truth: Targets,
    /// Class names by id for `truth` (classification).
    pub truth_classes: Vec<String>,
    /// In the order the runners were given.
    pub models: Vec<ModelOutcome>,
    /// How the models were timed; the pairs for the candidate/baseline latency ratio.
    pub timing: TimingLog,
    /// What the reader had to say about the data (non-finite cells), for the report.
    pub data_notes: Vec<String>,
    /// Models whose outputs changed with the batch size (see [`batch_check`]).
    pub batch_dependence: Vec<batch_check::BatchDependence>,
    /// The data columns the models read, in order of first use.
    pub columns: Vec<String>,
    /// Rows per inference call: `runtime.batch_size`, or a model's fixed batch size.
    pub batch_size: usize,
    /// What the report should say about how the models were fed (a fixed batch size).
    pub notes: Vec<String>,
}

/// Streams the data through every model, batch by batch, timing them as [`timing`]
/// describes. Only the columns the models' inputs are bound to are read.
pub fn evaluate(
    source: Box<dyn DataSource>,
    batch_size: usize,
    plan: &TimingPlan,
    runners: &mut [ModelRunner],
) -> Result<EvalOutcome, EvalError> {
    let read_plan = plan::read_plan(runners);
    let columns: Vec<String> = read_plan
        .columns()
        .iter()
        .map(|&c| source.schema().columns[c].clone())
        .collect();
    let widths: Vec<usize> = read_plan.feeds.iter().map(|f| f.columns.len()).collect();
    let (batch_size, batch_note) = plan::batch_size(runners, batch_size)?;
    let mut reader = source.read(&read_plan)?;
    let mut sinks: Vec<outputs::PredictionSink> = runners
        .iter()
        .map(|r| {
            outputs::PredictionSink::new(
                &r.binding.output,
                r.classes.clone(),
                r.score_reading.clone(),
            )
        })
        .collect();
    let mut latencies: Vec<LatencyRecorder> =
        runners.iter().map(|_| LatencyRecorder::default()).collect();
    let mut timing = TimingLog::default();
    let mut truth = None::<Targets>;
    let mut rows = 0;
    // The first rows, kept to re-run at another batch size afterwards.
    let mut sample = batch_check::Sample::new(widths);

    let ((truth_classes, data_notes), result) = std::thread::scope(|scope| {
        // Two batches in flight: parsing overlaps inference without holding more data.
        let (tx, rx) = mpsc::sync_channel(2);
        let producer = scope.spawn(move || {
            loop {
                match reader.next_batch(batch_size) {
                    Ok(Some(batch)) => {
                        if tx.send(Ok(batch)).is_err() {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
            (reader.class_names(), reader.notes())
        });
        let result = (|| -> Result<(), EvalError> {
            let mut progress = progress::Progress::start();
            let mut elapsed = vec![Duration::ZERO; runners.len()];
            for batch in rx {
                let batch = batch?;
                if timing.rounds == 0 {
                    // Warm-up: first runs pay for lazy allocation and cold caches.
                    for _ in 0..timing::WARMUP_RUNS {
                        for i in timing.next_order(runners.len()) {
                            run_once(&mut runners[i], &batch.feeds, batch.rows, rows)?;
                        }
                    }
                    timing.warmup_runs = timing::WARMUP_RUNS;
                }
                for i in timing.next_order(runners.len()) {
                    let role = runners[i].role;
                    let run = inputs::run_rows(&runners[i].binding.input, batch.rows);
                    let (took, out) = run_once(&mut runners[i], &batch.feeds, batch.rows, rows)?;
                    elapsed[i] = took;
                    sinks[i]
                        .absorb(&out, run, rows)
                        .map_err(|message| EvalError::Output {
                            model: role.to_owned(),
                            message,
                        })?;
                }
                sample.keep(&batch.feeds, batch.rows);
                timing.finish_round(&elapsed, batch.rows, &mut latencies);
                rows += batch.rows;
                progress.advance(batch.rows);
                timing.keep(plan, batch.feeds, batch.rows);
                match (&mut truth, batch.targets) {
                    (None, t) => truth = Some(t),
                    (Some(Targets::Classes(all)), Targets::Classes(t)) => all.extend(t),
                    (Some(Targets::Values(all)), Targets::Values(t)) => all.extend(t),
                    _ => unreachable!("a reader yields one kind of target"),
                }
            }
            Ok(())
        })();
        // On an early error the receiver is gone and the producer stops at its next send.
        (producer.join().unwrap_or_default(), result)
    });
    result?;
    // A model that predicts NaN on NaN inputs is not broken: say where they came from.
    let with_data_notes = |e: EvalError| match e {
        EvalError::NotANumber { ref model, .. } if !data_notes.is_empty() => EvalError::Output {
            model: model.clone(),
            message: format!(
                "{}; the data holds non-finite values the model cannot take: {}",
                e.to_string().trim_start_matches(&format!("{model}: ")),
                data_notes.join("; ")
            ),
        },
        e => e,
    };
    timing.repeat(plan, runners, &mut latencies)?;
    let batch_dependence = runners
        .iter_mut()
        .filter_map(|r| batch_check::check(r, &sample, batch_size))
        .collect();
    // No batch at all: the caller reports the empty dataset with its path.
    let truth = truth.unwrap_or(Targets::Values(Vec::new()));
    let models = runners
        .iter()
        .zip(sinks)
        .zip(latencies)
        .map(|((runner, sink), latency)| {
            let mut predictions = sink.finish(runner.role, rows).map_err(with_data_notes)?;
            plan::drop_padding(&mut predictions, rows);
            Ok(ModelOutcome {
                predictions,
                latency,
            })
        })
        .collect::<Result<_, EvalError>>()?;
    Ok(EvalOutcome {
        rows,
        truth,
        truth_classes,
        models,
        timing,
        data_notes,
        batch_dependence,
        columns,
        batch_size,
        notes: batch_note.into_iter().collect(),
    })
}

/// Runs one model on one batch and times `session.run` alone (building the inputs and
/// reading the outputs are not timed). `first_row` is the batch's first data row, for
/// messages.
fn run_once<'s>(
    runner: &'s mut ModelRunner,
    feeds: &[FeedValues],
    rows: usize,
    first_row: usize,
) -> Result<(Duration, SessionOutputs<'s>), EvalError> {
    let values =
        inputs::build(&runner.binding.input, feeds, rows).map_err(|message| EvalError::Input {
            model: runner.role.to_owned(),
            message,
        })?;
    let started = Instant::now();
    let out = runner
        .session
        .run(values)
        .map_err(|e| EvalError::Inference {
            model: runner.role.to_owned(),
            first_row,
            last_row: first_row + rows,
            message: e.to_string(),
        })?;
    Ok((started.elapsed(), out))
}

impl ModelRunner {
    pub fn is_classifier(&self) -> bool {
        matches!(self.binding.output, OutputBinding::Classifier { .. })
    }
}
