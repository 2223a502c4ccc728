//! A suite's models as ONNX Runtime loads them and as the metrics read their outputs: the
//! session (ZipMaps read as tensors where the graph allows), the report's record of which
//! outputs were read, and each model's scores turned into probabilities with what the
//! report should say about it.

use crate::config::Device;
use crate::error::Result;
use crate::eval::AlignedModel;
use crate::metrics::classification::ClassScores;
use crate::metrics::probabilities::Prepared;
use crate::model::{ModelBytes, ModelIdentity, OutputsUsed, SessionModel};
use crate::runtime::{ExecutionProvider, Runtime, RuntimeError, build_session};

/// A session for `model`, and the model as the session has it. ZipMaps are read as tensors
/// where the graph allows (`model::zipmap`); should ONNX Runtime refuse the rewritten graph,
/// the file is loaded as it is and its ZipMaps read row by row.
pub(super) fn load(
    runtime: &Runtime,
    model: &prost::bytes::Bytes,
    label: &str,
    device: Device,
    threads: usize,
) -> Result<(
    ort::session::Session,
    SessionModel,
    ExecutionProvider,
    Vec<String>,
)> {
    let prepared = SessionModel::prepare(model);
    match build_session(runtime, &prepared.bytes, label, device, threads) {
        Ok((session, used, notes)) => Ok((session, prepared, used, notes)),
        Err(RuntimeError::Session { message, .. }) if !prepared.zipmaps.is_empty() => {
            tracing::debug!("{label}: the graph with tensor ZipMaps was refused ({message})");
            let unchanged = SessionModel {
                bytes: model.clone(),
                zipmaps: Vec::new(),
                evidence: prepared.evidence,
            };
            let (session, used, notes) =
                build_session(runtime, &unchanged.bytes, label, device, threads)?;
            Ok((session, unchanged, used, notes))
        }
        Err(e) => Err(e.into()),
    }
}

/// The model's identity for the report, with the outputs the evaluation reads.
pub(super) fn identity_with(model: &ModelBytes, outputs: OutputsUsed) -> ModelIdentity {
    ModelIdentity {
        outputs: Some(Box::new(outputs)),
        ..model.identity.clone()
    }
}

/// The probabilities of `m` for log_loss and roc_auc: its scores clipped in place, or their
/// softmax; `None` without scores, or when they were not probabilities after all.
pub(super) fn probability_view<'a>(
    m: &'a AlignedModel,
    prepared: Option<&'a Prepared>,
) -> Option<ClassScores<'a>> {
    let scores = m.scores.as_ref()?;
    Some(ClassScores {
        values: prepared?.probabilities(&scores.values)?,
        width: scores.width,
        column_of_class: &m.column_of_class,
    })
}

/// What the report says about how one model's scores were read.
pub(super) fn score_notes(m: &AlignedModel, prepared: Option<&Prepared>) -> Vec<String> {
    let (Some(scores), Some(prepared)) = (&m.scores, prepared) else {
        return Vec::new();
    };
    let reading = &scores.reading;
    let guess = reading.guessed.then(|| {
        format!(
            "nothing in the model says whether output `{}` holds probabilities or raw scores; it was read as {} ({}). \
             Set `scores = \"probabilities\"` or `\"logits\"` under [suite.io] to say",
            reading.output, reading.meaning, reading.basis
        )
    });
    guess
        .into_iter()
        .chain(prepared.note(&reading.output, &reading.basis))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScoreMeaning;
    use crate::eval::Scores;
    use crate::metrics::probabilities::prepare;
    use crate::model::ScoreReading;

    fn model(values: Vec<f64>, meaning: ScoreMeaning, guessed: bool) -> AlignedModel {
        AlignedModel {
            predicted: vec![0, 1],
            scores: Some(Scores {
                values,
                width: 2,
                columns: Some(vec!["0".into(), "1".into()]),
                reading: ScoreReading {
                    output: "y".into(),
                    meaning,
                    basis: "why".into(),
                    guessed,
                },
            }),
            column_of_class: vec![Some(0), Some(1)],
            model_classes: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn notes_say_how_the_scores_were_read_and_what_was_done() {
        let mut m = model(vec![2.0, -1.0, 0.5, 0.5], ScoreMeaning::Logits, true);
        let s = m.scores.as_mut().unwrap();
        let prepared = prepare(&mut s.values, s.width, s.reading.meaning);
        let notes = score_notes(&m, Some(&prepared));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("nothing in the model says"), "{notes:?}");
        assert!(notes[0].contains("read as logits (why)"), "{notes:?}");
        assert!(notes[1].contains("use its softmax"), "{notes:?}");
        let view = probability_view(&m, Some(&prepared)).unwrap();
        assert!((view.values[0] + view.values[1] - 1.0).abs() < 1e-15);

        // Probabilities that need nothing: nothing to say.
        let mut m = model(vec![0.9, 0.1, 0.5, 0.5], ScoreMeaning::Probabilities, false);
        let s = m.scores.as_mut().unwrap();
        let prepared = prepare(&mut s.values, s.width, s.reading.meaning);
        assert!(score_notes(&m, Some(&prepared)).is_empty());
        // Not probabilities after all: no view, so no log_loss.
        let mut m = model(vec![4.0, 0.1, 0.5, 0.5], ScoreMeaning::Probabilities, false);
        let s = m.scores.as_mut().unwrap();
        let prepared = prepare(&mut s.values, s.width, s.reading.meaning);
        assert!(probability_view(&m, Some(&prepared)).is_none());
        assert_eq!(score_notes(&m, Some(&prepared)).len(), 1);
    }
}
