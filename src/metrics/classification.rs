//! Classification metrics, defined as scikit-learn defines them (`zero_division=0`, macro
//! averages over the labels present in the truth or the predictions), so numbers can be
//! checked against it.

use serde::Serialize;

use super::{MetricId, MetricValues, ranking};

/// One classifier's per-example output, aligned to the suite's class list.
pub struct ClassifierOutput<'a> {
    /// Predicted class index per example.
    pub predicted: &'a [u32],
    /// Probabilities (raw scores already softmaxed: see [`super::probabilities`]).
    pub probabilities: Option<ClassScores<'a>>,
}

/// A row-major `[N, width]` matrix of probabilities (or raw scores) per class, in f64.
#[derive(Clone, Copy)]
pub struct ClassScores<'a> {
    pub values: &'a [f64],
    pub width: usize,
    /// For each class index, the column holding its score, if the model has one.
    pub column_of_class: &'a [Option<usize>],
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ClassStats {
    pub class: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Examples whose true class this is.
    pub support: u64,
    /// Examples predicted as this class.
    pub predicted: u64,
}

#[derive(Debug, Clone, Default)]
pub struct ClassificationMetrics {
    pub values: MetricValues,
    pub per_class: Vec<ClassStats>,
    /// Rows: true class, columns: predicted class, in the order of the suite's classes.
    pub confusion: Vec<Vec<u64>>,
}

/// Computes every classification metric for one model.
pub fn evaluate(
    truth: &[u32],
    classes: &[String],
    output: &ClassifierOutput,
) -> ClassificationMetrics {
    let n = classes.len();
    let mut confusion = vec![vec![0u64; n]; n];
    for (&t, &p) in truth.iter().zip(output.predicted) {
        confusion[t as usize][p as usize] += 1;
    }
    let support: Vec<u64> = confusion.iter().map(|row| row.iter().sum()).collect();
    let predicted: Vec<u64> = (0..n)
        .map(|c| confusion.iter().map(|row| row[c]).sum())
        .collect();

    let per_class: Vec<ClassStats> = (0..n)
        .map(|c| {
            let tp = confusion[c][c];
            ClassStats {
                class: classes[c].clone(),
                precision: ratio(tp, predicted[c]),
                recall: ratio(tp, support[c]),
                // 2tp / (2tp + fp + fn): equal to the harmonic mean where that is defined.
                f1: ratio(2 * tp, support[c] + predicted[c]),
                support: support[c],
                predicted: predicted[c],
            }
        })
        .collect();

    let flat: Vec<f64> = confusion.iter().flatten().map(|&c| c as f64).collect();
    let mut values = MetricValues::default();
    for (id, value) in confusion_metrics(&flat, n) {
        values.set(id, Some(value));
    }

    match &output.probabilities {
        Some(probabilities) => {
            let losses = example_log_losses(truth, probabilities);
            values.set(
                MetricId::LogLoss,
                Some(losses.iter().sum::<f64>() / truth.len().max(1) as f64),
            );
            values.set(MetricId::RocAuc, roc_auc(truth, &support, probabilities));
        }
        None => {
            values.set(MetricId::LogLoss, None);
            values.set(MetricId::RocAuc, None);
        }
    }
    ClassificationMetrics {
        values,
        per_class,
        confusion,
    }
}

/// `-ln p(true class)` of each example, with `p` clipped to `[eps, 1 - eps]` like sklearn (no
/// renormalisation of the rows); log_loss is their mean.
pub fn example_log_losses(truth: &[u32], probabilities: &ClassScores) -> Vec<f64> {
    let eps = f64::EPSILON;
    let rows = probabilities.values.chunks_exact(probabilities.width);
    rows.zip(truth)
        .map(|(row, &t)| {
            let p = probabilities.column_of_class[t as usize].map_or(0.0, |col| row[col]);
            -p.clamp(eps, 1.0 - eps).ln()
        })
        .collect()
}

/// The metrics of a confusion matrix (row-major `n` x `n`, rows: truth) of counts or of
/// bootstrap weights. Precision, recall and F1 are averaged over the labels present in the
/// truth or the predictions, like sklearn; balanced accuracy over the labels in the truth.
pub fn confusion_metrics(confusion: &[f64], n: usize) -> [(MetricId, f64); 8] {
    let cell = |t: usize, p: usize| confusion[t * n + p];
    let (mut total, mut correct) = (0.0, 0.0);
    let (mut p_macro, mut r_macro, mut f1_macro, mut present) = (0.0, 0.0, 0.0, 0usize);
    let (mut p_weighted, mut r_weighted, mut f1_weighted) = (0.0, 0.0, 0.0);
    let (mut recall_in_truth, mut in_truth) = (0.0, 0usize);
    for c in 0..n {
        let tp = cell(c, c);
        let support: f64 = (0..n).map(|p| cell(c, p)).sum();
        let predicted: f64 = (0..n).map(|t| cell(t, c)).sum();
        total += support;
        correct += tp;
        if support == 0.0 && predicted == 0.0 {
            continue;
        }
        let precision = ratio_f(tp, predicted);
        let recall = ratio_f(tp, support);
        // 2tp / (2tp + fp + fn): equal to the harmonic mean where that is defined.
        let f1 = ratio_f(2.0 * tp, support + predicted);
        present += 1;
        p_macro += precision;
        r_macro += recall;
        f1_macro += f1;
        p_weighted += precision * support;
        r_weighted += recall * support;
        f1_weighted += f1 * support;
        if support > 0.0 {
            in_truth += 1;
            recall_in_truth += recall;
        }
    }
    let over = |sum: f64, count: usize| if count == 0 { 0.0 } else { sum / count as f64 };
    [
        (MetricId::Accuracy, ratio_f(correct, total)),
        (MetricId::BalancedAccuracy, over(recall_in_truth, in_truth)),
        (MetricId::PrecisionMacro, over(p_macro, present)),
        (MetricId::RecallMacro, over(r_macro, present)),
        (MetricId::F1Macro, over(f1_macro, present)),
        (MetricId::PrecisionWeighted, ratio_f(p_weighted, total)),
        (MetricId::RecallWeighted, ratio_f(r_weighted, total)),
        (MetricId::F1Weighted, ratio_f(f1_weighted, total)),
    ]
}

fn ratio_f(num: f64, den: f64) -> f64 {
    if den == 0.0 { 0.0 } else { num / den }
}

/// The classes roc_auc averages over, each with its score column. Binary: the greater class
/// of the two in the truth. Several: one-vs-rest over the classes in the truth that have a
/// score column. `None` when there is nothing to rank.
pub fn auc_classes(
    support: &[u64],
    column_of_class: &[Option<usize>],
) -> Option<Vec<(usize, usize)>> {
    let in_truth: Vec<usize> = (0..support.len()).filter(|&c| support[c] > 0).collect();
    match in_truth.as_slice() {
        [] | [_] => None,
        [_, positive] => Some(vec![(*positive, column_of_class[*positive]?)]),
        several => {
            let classes: Vec<(usize, usize)> = several
                .iter()
                .filter_map(|&c| Some((c, column_of_class[c]?)))
                .collect();
            (!classes.is_empty()).then_some(classes)
        }
    }
}

/// Binary: AUC of the greater class's score. Several classes: one-vs-rest, macro average.
pub fn roc_auc(truth: &[u32], support: &[u64], scores: &ClassScores) -> Option<f64> {
    let classes = auc_classes(support, scores.column_of_class)?;
    let aucs: Vec<f64> = classes
        .iter()
        .filter_map(|&(c, col)| {
            let column = scores.values.chunks_exact(scores.width).map(|row| row[col]);
            ranking::auc(column, truth.iter().map(|&t| t as usize == c))
        })
        .collect();
    (!aucs.is_empty()).then(|| mean(aucs.into_iter()))
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 { 0.0 } else { sum / count as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(n: usize) -> Vec<String> {
        (0..n).map(|c| c.to_string()).collect()
    }

    // Expected values from scikit-learn 1.9.1:
    // y_true = [0, 1, 2, 2, 1, 0, 2], y_pred = [0, 2, 2, 2, 1, 1, 0]
    #[test]
    fn matches_sklearn_on_a_small_multiclass_case() {
        let truth = [0, 1, 2, 2, 1, 0, 2];
        let predicted = [0, 2, 2, 2, 1, 1, 0];
        let m = evaluate(
            &truth,
            &classes(3),
            &ClassifierOutput {
                predicted: &predicted,
                probabilities: None,
            },
        );
        let v = |id| m.values.get(id).unwrap();
        assert!((v(MetricId::Accuracy) - 4.0 / 7.0).abs() < 1e-12);
        // precision: [1/2, 1/2, 2/3], recall: [1/2, 1/2, 2/3]
        assert!((v(MetricId::PrecisionMacro) - (0.5 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!(
            (v(MetricId::F1Weighted) - (0.5 * 2.0 + 0.5 * 2.0 + 2.0 / 3.0 * 3.0) / 7.0).abs()
                < 1e-12
        );
        assert_eq!(
            m.confusion,
            vec![vec![1, 1, 0], vec![0, 1, 1], vec![1, 0, 2]]
        );
        assert_eq!(m.values.get(MetricId::LogLoss), None);
    }

    #[test]
    fn a_class_only_predicted_counts_in_macro_but_not_in_balanced_accuracy() {
        let truth = [0, 0, 1, 1];
        let predicted = [0, 2, 1, 1];
        let m = evaluate(
            &truth,
            &classes(3),
            &ClassifierOutput {
                predicted: &predicted,
                probabilities: None,
            },
        );
        // sklearn: recall_macro = (0.5 + 1 + 0) / 3, balanced_accuracy = (0.5 + 1) / 2
        assert!((m.values.get(MetricId::RecallMacro).unwrap() - 0.5).abs() < 1e-12);
        assert!((m.values.get(MetricId::BalancedAccuracy).unwrap() - 0.75).abs() < 1e-12);
    }

    /// Confident logits (margins 20 to 30): float32's softmax rounds them all to 1.0 and
    /// ties them, f64's keeps their order (issue 8, finding 4).
    #[test]
    fn auc_of_saturating_logits_is_computed_on_an_f64_softmax() {
        let truth = [1, 1, 0, 0];
        let logits = [0.0, 25.0, 0.0, 30.0, 0.0, 20.0, 0.0, 1.0];
        let probabilities = super::super::probabilities::softmax_rows(&logits, 2);
        let cols = [Some(0), Some(1)];
        let auc = |values: &[f64]| {
            evaluate(
                &truth,
                &classes(2),
                &ClassifierOutput {
                    predicted: &[1, 1, 1, 1],
                    probabilities: Some(ClassScores {
                        values,
                        width: 2,
                        column_of_class: &cols,
                    }),
                },
            )
            .values
            .get(MetricId::RocAuc)
            .unwrap()
        };
        assert_eq!(auc(&probabilities), 1.0);
        // The float32 path this replaced: 25, 30 and 20 all become 1.0.
        let f32_path: Vec<f64> = logits
            .chunks_exact(2)
            .flat_map(|row| {
                let (a, b) = (row[0] as f32, row[1] as f32);
                let p1 = 1.0 / (1.0 + (a - b).exp());
                [f64::from(1.0 - p1), f64::from(p1)]
            })
            .collect();
        assert_eq!(auc(&f32_path), 0.75);
    }

    #[test]
    fn binary_log_loss_and_auc() {
        // sklearn: log_loss([0,1,1,0], [[.9,.1],[.2,.8],[.6,.4],[.3,.7]]) = 0.6184...
        // roc_auc_score([0,1,1,0], [.1,.8,.4,.7]) = 0.75
        let truth = [0, 1, 1, 0];
        let predicted = [0, 1, 0, 1];
        let values = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7];
        let cols = [Some(0), Some(1)];
        let scores = ClassScores {
            values: &values,
            width: 2,
            column_of_class: &cols,
        };
        let m = evaluate(
            &truth,
            &classes(2),
            &ClassifierOutput {
                predicted: &predicted,
                probabilities: Some(scores),
            },
        );
        let expected = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln() + 0.3f64.ln()) / 4.0;
        assert!((m.values.get(MetricId::LogLoss).unwrap() - expected).abs() < 1e-6);
        assert!((m.values.get(MetricId::RocAuc).unwrap() - 0.75).abs() < 1e-12);
    }
}
