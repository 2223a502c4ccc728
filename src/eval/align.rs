//! Puts the truth and every model's predictions on one list of classes, sorted as
//! scikit-learn sorts them, so metrics and confusion matrices line up.

use super::{Predictions, Scores};
use crate::data::sort_classes;

pub struct AlignedClassification {
    pub classes: Vec<String>,
    /// True class index per example.
    pub truth: Vec<u32>,
    pub models: Vec<AlignedModel>,
}

pub struct AlignedModel {
    pub predicted: Vec<u32>,
    pub scores: Option<Scores>,
    /// For each class, its score column.
    pub column_of_class: Vec<Option<usize>>,
    /// Classes the model has a score column for, when known.
    pub model_classes: Option<Vec<String>>,
    pub notes: Vec<String>,
}

/// Aligns classification outcomes. `models` must all be `Predictions::Classes`.
pub fn align_classification(
    truth_ids: &[u32],
    truth_names: &[String],
    models: Vec<Predictions>,
) -> AlignedClassification {
    let mut models: Vec<(Vec<u32>, Vec<String>, Option<Scores>)> = models
        .into_iter()
        .map(|p| match p {
            Predictions::Classes {
                predicted,
                names,
                scores,
            } => (predicted, names, scores),
            Predictions::Values(_) => (Vec::new(), Vec::new(), None),
        })
        .collect();
    let mut notes: Vec<Vec<String>> = vec![Vec::new(); models.len()];

    // A probability tensor beside a label output does not say which column is which class.
    // scikit-learn orders columns by sorted class; when the labels seen account for every
    // column, that order is the answer.
    for (i, (_, names, scores)) in models.iter_mut().enumerate() {
        if let Some(scores) = scores
            && scores.columns.is_none()
        {
            let mut seen: Vec<String> = truth_names.iter().chain(names.iter()).cloned().collect();
            sort_classes(&mut seen);
            seen.dedup();
            if seen.len() == scores.width {
                scores.columns = Some(seen);
            } else {
                notes[i].push(format!(
                    "the probability output has {} columns but {} classes were seen, so its columns cannot be matched to classes; \
                     log_loss and roc_auc are left out (set `io.classes` to the classes in column order)",
                    scores.width,
                    seen.len()
                ));
            }
        }
    }

    let mut classes: Vec<String> = truth_names.to_vec();
    for (_, names, scores) in &models {
        classes.extend(names.iter().cloned());
        if let Some(columns) = scores.as_ref().and_then(|s| s.columns.as_ref()) {
            classes.extend(columns.iter().cloned());
        }
    }
    sort_classes(&mut classes);
    classes.dedup();
    let index_of = |name: &str| {
        classes
            .iter()
            .position(|c| c == name)
            .expect("every name was added to classes") as u32
    };

    let truth_map: Vec<u32> = truth_names.iter().map(|n| index_of(n)).collect();
    let truth: Vec<u32> = truth_ids.iter().map(|&t| truth_map[t as usize]).collect();
    let mut support = vec![0u64; classes.len()];
    for &t in &truth {
        support[t as usize] += 1;
    }

    let aligned = models
        .into_iter()
        .zip(notes)
        .map(|((predicted, names, scores), mut notes)| {
            let map: Vec<u32> = names.iter().map(|n| index_of(n)).collect();
            let predicted: Vec<u32> = predicted.iter().map(|&p| map[p as usize]).collect();
            let model_classes = scores.as_ref().and_then(|s| s.columns.clone());
            let column_of_class: Vec<Option<usize>> = classes
                .iter()
                .map(|c| {
                    model_classes
                        .as_ref()
                        .and_then(|cols| cols.iter().position(|x| x == c))
                })
                .collect();
            let scores = scores.filter(|s| s.columns.is_some());
            // Labels in the data that this model cannot produce: every such row is an error
            // and the gate should know why.
            for (c, class) in classes.iter().enumerate() {
                if support[c] == 0 {
                    continue;
                }
                let unknown = match &model_classes {
                    Some(cols) => !cols.contains(class),
                    None => !predicted.contains(&(c as u32)),
                };
                if unknown {
                    let what = if model_classes.is_some() {
                        "is not one of the model's classes"
                    } else {
                        "was never predicted by the model"
                    };
                    notes.push(format!(
                        "label `{class}` ({} rows in the data) {what}; those rows count as errors",
                        support[c]
                    ));
                }
            }
            AlignedModel {
                predicted,
                scores,
                column_of_class,
                model_classes,
                notes,
            }
        })
        .collect();
    AlignedClassification {
        classes,
        truth,
        models: aligned,
    }
}
