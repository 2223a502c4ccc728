//! Runs the candidate and the baseline model over the same batches and keeps every
//! per-example prediction (paired statistics and "examples that flipped" need them).
//!
//! A reader thread parses the next batch while the models run on this one.

mod align;
mod inputs;
mod outputs;
mod progress;

use std::sync::mpsc;
use std::time::Instant;

use ort::session::Session;

pub use align::{AlignedClassification, AlignedModel, align_classification};
pub use outputs::{Predictions, Scores};

use crate::data::{BatchReader, DataError, Targets};
use crate::metrics::LatencyRecorder;
use crate::model::{Binding, OutputBinding};

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
    /// Class labels in score-column order, from `io.classes`.
    pub classes: Option<Vec<String>>,
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
}

/// Streams the data through every model, batch by batch.
pub fn evaluate(
    mut reader: Box<dyn BatchReader>,
    batch_size: usize,
    runners: &mut [ModelRunner],
) -> Result<EvalOutcome, EvalError> {
    let feature_names = reader.schema().features.clone();
    let width = feature_names.len();
    let mut sinks: Vec<outputs::PredictionSink> = runners
        .iter()
        .map(|r| outputs::PredictionSink::new(&r.binding.output, r.classes.clone()))
        .collect();
    let mut latencies: Vec<LatencyRecorder> =
        runners.iter().map(|_| LatencyRecorder::default()).collect();
    let mut scratch: Vec<inputs::InputScratch> = runners
        .iter()
        .map(|_| inputs::InputScratch::default())
        .collect();
    let mut truth = None::<Targets>;
    let mut rows = 0;

    let (truth_classes, result) = std::thread::scope(|scope| {
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
            reader.class_names()
        });
        let result = (|| -> Result<(), EvalError> {
            let mut progress = progress::Progress::start();
            for batch in rx {
                let batch = batch?;
                for (i, runner) in runners.iter_mut().enumerate() {
                    let span = rows..rows + batch.rows;
                    let values = inputs::build(
                        &runner.binding.input,
                        &batch.features,
                        batch.rows,
                        width,
                        &mut scratch[i],
                    )
                    .map_err(|e| EvalError::Input {
                        model: runner.role.to_owned(),
                        message: match e {
                            inputs::InputError::NotInteger { input, value, row, column } => format!(
                                "dtype mismatch: input `{input}` takes integers, but feature `{}` is {value} at data row {} \
                                 (the first row after the header is 0)",
                                feature_names[column],
                                span.start + row
                            ),
                            inputs::InputError::Other(message) => message,
                        },
                    })?;
                    let started = Instant::now();
                    let out = runner
                        .session
                        .run(values)
                        .map_err(|e| EvalError::Inference {
                            model: runner.role.to_owned(),
                            first_row: span.start,
                            last_row: span.end,
                            message: e.to_string(),
                        })?;
                    latencies[i].record(started.elapsed(), batch.rows);
                    sinks[i]
                        .absorb(&out, batch.rows, span.start)
                        .map_err(|message| EvalError::Output {
                            model: runner.role.to_owned(),
                            message,
                        })?;
                }
                rows += batch.rows;
                progress.advance(batch.rows);
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
    // No batch at all: the caller reports the empty dataset with its path.
    let truth = truth.unwrap_or(Targets::Values(Vec::new()));
    let models = runners
        .iter()
        .zip(sinks)
        .zip(latencies)
        .map(|((runner, sink), latency)| {
            let predictions = sink.finish(runner.role, rows)?;
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
    })
}

impl ModelRunner {
    pub fn is_classifier(&self) -> bool {
        matches!(self.binding.output, OutputBinding::Classifier { .. })
    }
}
