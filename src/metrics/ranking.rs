//! Area under the ROC curve from scores, with ties handled as sklearn's trapezoids do.

/// AUC of `scores` for the examples where `is_positive` is true; `None` unless there is at
/// least one positive and one negative.
pub fn auc(scores: &[f64], is_positive: impl Iterator<Item = bool>) -> Option<f64> {
    let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(is_positive).collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let positives = pairs.iter().filter(|p| p.1).count() as f64;
    let negatives = pairs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Mann-Whitney U with average ranks for ties equals the trapezoidal ROC area.
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start;
        while end < pairs.len() && pairs[end].0 == pairs[start].0 {
            end += 1;
        }
        let average_rank = (start + end + 1) as f64 / 2.0; // ranks are 1-based
        let tied_positives = pairs[start..end].iter().filter(|p| p.1).count() as f64;
        positive_rank_sum += average_rank * tied_positives;
        start = end;
    }
    Some((positive_rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

#[cfg(test)]
mod tests {
    use super::auc;

    #[test]
    fn perfect_inverse_and_tied() {
        let labels = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], labels.into_iter()), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], labels.into_iter()), Some(0.0));
        assert_eq!(auc(&[0.5; 4], labels.into_iter()), Some(0.5));
        assert_eq!(auc(&[0.5; 2], [true, true].into_iter()), None);
    }
}
