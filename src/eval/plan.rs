//! Before reading: which feeds the models need (one per distinct columns-and-type, shared
//! between models), and the batch size they can run at.

use super::{EvalError, ModelRunner, Predictions};
use crate::data::{Feed, ReadPlan};

/// The read plan for `runners`; sets each bound input's feed index.
pub fn read_plan(runners: &mut [ModelRunner]) -> ReadPlan {
    let mut plan = ReadPlan::default();
    // Who takes each feed: (input name, model role).
    let mut users: Vec<Vec<(String, &'static str)>> = Vec::new();
    for runner in runners.iter_mut() {
        for input in &mut runner.binding.input.inputs {
            let found = plan
                .feeds
                .iter()
                .position(|f| f.columns == input.columns && f.dtype == input.dtype);
            let index = found.unwrap_or_else(|| {
                plan.feeds.push(Feed {
                    columns: input.columns.clone(),
                    dtype: input.dtype,
                    used_by: String::new(),
                });
                users.push(Vec::new());
                plan.feeds.len() - 1
            });
            input.feed = index;
            users[index].push((input.name.clone(), runner.role));
        }
    }
    for (feed, users) in plan.feeds.iter_mut().zip(users) {
        feed.used_by = used_by(&users);
    }
    plan
}

/// "input `X`", or "inputs `X` (candidate), `x` (baseline)" when the names differ.
fn used_by(users: &[(String, &'static str)]) -> String {
    let mut names: Vec<&str> = users.iter().map(|(n, _)| n.as_str()).collect();
    names.dedup();
    if names.len() <= 1 {
        return format!("input `{}`", names.first().copied().unwrap_or_default());
    }
    let listed: Vec<String> = users
        .iter()
        .map(|(name, role)| format!("`{name}` ({role})"))
        .collect();
    format!("inputs {}", listed.join(", "))
}

/// The batch size to read at: `configured`, unless a model fixes its batch dimension, and
/// the note that says so.
pub fn batch_size(
    runners: &[ModelRunner],
    configured: usize,
) -> Result<(usize, Option<String>), EvalError> {
    let fixed: Vec<(&str, usize)> = runners
        .iter()
        .filter_map(|r| r.binding.input.fixed_batch.map(|b| (r.role, b)))
        .collect();
    match fixed.as_slice() {
        [] => Ok((configured, None)),
        [(_, first), rest @ ..] if rest.iter().all(|(_, b)| b == first) => {
            let models: Vec<&str> = fixed.iter().map(|(role, _)| *role).collect();
            let note = (configured != *first).then(|| {
                format!(
                    "{} fixes its batch dimension at {first} row(s), so batches of {first} were run instead of `runtime.batch_size = {configured}` (the last one padded by repeating its last row; the padding's outputs are dropped)",
                    models.join(" and ")
                )
            });
            Ok((*first, note))
        }
        _ => Err(EvalError::Input {
            model: "candidate and baseline".to_owned(),
            message: format!(
                "the models fix different batch sizes ({}); mlops-ci runs both on the same batches. \
                 Export one of them with a dynamic batch dimension",
                fixed
                    .iter()
                    .map(|(role, b)| format!("{role}: {b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// Drops the outputs of padding rows: a model with a fixed batch ran the last batch padded
/// up to its size, so it predicted more rows than the data has.
pub fn drop_padding(predictions: &mut Predictions, rows: usize) {
    match predictions {
        Predictions::Values(values) => values.truncate(rows),
        Predictions::Classes {
            predicted, scores, ..
        } => {
            predicted.truncate(rows);
            if let Some(scores) = scores {
                scores.values.truncate(rows * scores.width);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Scores;

    #[test]
    fn feeds_name_who_takes_them() {
        assert_eq!(
            used_by(&[("X".into(), "candidate"), ("X".into(), "baseline")]),
            "input `X`"
        );
        assert_eq!(
            used_by(&[("X".into(), "candidate"), ("input".into(), "baseline")]),
            "inputs `X` (candidate), `input` (baseline)"
        );
    }

    #[test]
    fn padding_rows_are_dropped_from_every_kind_of_prediction() {
        let mut values = Predictions::Values(vec![1.0, 2.0, 2.0, 2.0]);
        drop_padding(&mut values, 2);
        assert!(matches!(values, Predictions::Values(ref v) if v == &[1.0, 2.0]));
        let mut classes = Predictions::Classes {
            predicted: vec![0, 1, 1],
            names: vec!["a".into(), "b".into()],
            scores: Some(Scores {
                values: vec![0.9, 0.1, 0.2, 0.8, 0.2, 0.8],
                width: 2,
                columns: None,
                reading: crate::model::ScoreReading {
                    output: "probabilities".into(),
                    meaning: crate::config::ScoreMeaning::Probabilities,
                    basis: "a test".into(),
                    guessed: false,
                },
            }),
        };
        drop_padding(&mut classes, 2);
        match classes {
            Predictions::Classes {
                predicted, scores, ..
            } => {
                assert_eq!(predicted, [0, 1]);
                assert_eq!(scores.unwrap().values, [0.9, 0.1, 0.2, 0.8]);
            }
            Predictions::Values(_) => unreachable!(),
        }
    }
}
