//! Prediction agreement between the candidate and the baseline on the same rows: for changes
//! that should not change predictions (fp16, int8, pruning, a new exporter).
//!
//! The values are the candidate's; the baseline agrees with itself (`agreement` 1, differences
//! 0), so `max_regression` gates read naturally too.

use super::classification::ClassScores;
use super::{MetricId, MetricValues};

/// `agreement` (share of rows with the same predicted class) and, when both models give
/// scores, the largest and mean absolute difference over every class score both have.
pub fn classification(
    candidate: &[u32],
    baseline: &[u32],
    candidate_scores: Option<&ClassScores>,
    baseline_scores: Option<&ClassScores>,
) -> (MetricValues, MetricValues) {
    let mut c = MetricValues::default();
    let rows = candidate.len().min(baseline.len());
    if rows > 0 {
        let same = candidate
            .iter()
            .zip(baseline)
            .filter(|(a, b)| a == b)
            .count();
        c.set(MetricId::Agreement, Some(same as f64 / rows as f64));
    }
    if let (Some(cs), Some(bs)) = (candidate_scores, baseline_scores) {
        // Only the classes both models score: the columns may be in another order.
        let pairs: Vec<(usize, usize)> = cs
            .column_of_class
            .iter()
            .zip(bs.column_of_class)
            .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
            .collect();
        let diffs = (0..rows).flat_map(|row| {
            pairs.iter().map(move |&(a, b)| {
                (cs.values[row * cs.width + a] - bs.values[row * bs.width + b]).abs()
            })
        });
        write_differences(&mut c, diffs);
    }
    (c, baseline_values(true))
}

/// The largest and mean absolute difference of the predicted values.
pub fn regression(candidate: &[f64], baseline: &[f64]) -> (MetricValues, MetricValues) {
    let mut c = MetricValues::default();
    write_differences(
        &mut c,
        candidate.iter().zip(baseline).map(|(a, b)| (a - b).abs()),
    );
    (c, baseline_values(false))
}

fn write_differences(values: &mut MetricValues, diffs: impl Iterator<Item = f64>) {
    let (mut max, mut sum, mut n) = (0.0f64, 0.0f64, 0usize);
    for d in diffs {
        // NaN on one side only is a difference, and the largest there is.
        let d = if d.is_nan() { f64::INFINITY } else { d };
        max = max.max(d);
        sum += d;
        n += 1;
    }
    if n > 0 {
        values.set(MetricId::ScoreMaxAbsDiff, Some(max));
        values.set(MetricId::ScoreMeanAbsDiff, Some(sum / n as f64));
    }
}

fn baseline_values(with_agreement: bool) -> MetricValues {
    let mut b = MetricValues::default();
    if with_agreement {
        b.set(MetricId::Agreement, Some(1.0));
    }
    b.set(MetricId::ScoreMaxAbsDiff, Some(0.0));
    b.set(MetricId::ScoreMeanAbsDiff, Some(0.0));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_and_score_differences_match_by_class_not_by_column() {
        // Two rows, classes [a, b]; the baseline's columns are swapped.
        let c_scores = [0.9, 0.1, 0.4, 0.6];
        let b_scores = [0.2, 0.8, 0.5, 0.5];
        let c = ClassScores {
            values: &c_scores,
            width: 2,
            column_of_class: &[Some(0), Some(1)],
        };
        let b = ClassScores {
            values: &b_scores,
            width: 2,
            column_of_class: &[Some(1), Some(0)],
        };
        let (values, base) = classification(&[0, 1], &[0, 0], Some(&c), Some(&b));
        assert_eq!(values.get(MetricId::Agreement), Some(0.5));
        let max = values.get(MetricId::ScoreMaxAbsDiff).unwrap();
        let mean = values.get(MetricId::ScoreMeanAbsDiff).unwrap();
        assert!((max - 0.1).abs() < 1e-6, "{max}");
        assert!((mean - 0.1).abs() < 1e-6, "{mean}");
        assert_eq!(base.get(MetricId::Agreement), Some(1.0));
    }

    #[test]
    fn regression_differences() {
        let (values, _) = regression(&[1.0, 2.0, 3.0], &[1.0, 2.5, 2.0]);
        assert_eq!(values.get(MetricId::ScoreMaxAbsDiff), Some(1.0));
        assert_eq!(values.get(MetricId::ScoreMeanAbsDiff), Some(0.5));
        assert_eq!(values.get(MetricId::Agreement), None);
    }
}
