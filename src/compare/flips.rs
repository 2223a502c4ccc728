//! The examples behind a change: which ones the candidate now gets wrong that the baseline got
//! right (and the reverse), or, for regression, whose error grew or shrank the most.

use serde::{Deserialize, Serialize};

/// Examples listed each way; the totals are always complete.
pub const FLIP_LIMIT: usize = 20;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Flips {
    /// Examples the candidate gets worse: right → wrong (classification), or a larger error.
    pub worsened: u64,
    /// Examples the candidate gets better.
    pub improved: u64,
    /// Up to [`FLIP_LIMIT`] of the worsened examples (regression: the largest error increases).
    pub worsened_examples: Vec<FlippedExample>,
    pub improved_examples: Vec<FlippedExample>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FlippedExample {
    /// 0-based position of the example in the data (the `row` of `--predictions`).
    pub row: usize,
    pub truth: String,
    pub baseline: String,
    pub candidate: String,
    /// Regression: |candidate error| − |baseline error|.
    #[serde(default)]
    pub error_change: Option<f64>,
}

/// Right/wrong flips of a classifier, in data order.
pub fn classification_flips(
    truth: &[u32],
    classes: &[String],
    candidate: &[u32],
    baseline: &[u32],
) -> Flips {
    let mut flips = Flips {
        worsened: 0,
        improved: 0,
        worsened_examples: Vec::new(),
        improved_examples: Vec::new(),
    };
    let name = |c: u32| classes.get(c as usize).cloned().unwrap_or_default();
    for (row, ((&t, &c), &b)) in truth.iter().zip(candidate).zip(baseline).enumerate() {
        let (count, list) = match (c == t, b == t) {
            (false, true) => (&mut flips.worsened, &mut flips.worsened_examples),
            (true, false) => (&mut flips.improved, &mut flips.improved_examples),
            _ => continue,
        };
        *count += 1;
        if list.len() < FLIP_LIMIT {
            list.push(FlippedExample {
                row,
                truth: name(t),
                baseline: name(b),
                candidate: name(c),
                error_change: None,
            });
        }
    }
    flips
}

/// The regression examples whose absolute error grew (shrank) the most, largest change first.
pub fn regression_flips(truth: &[f64], candidate: &[f64], baseline: &[f64]) -> Flips {
    let changes: Vec<(usize, f64)> = truth
        .iter()
        .zip(candidate)
        .zip(baseline)
        .map(|((y, c), b)| (y - c).abs() - (y - b).abs())
        .enumerate()
        .filter(|(_, d)| *d != 0.0 && d.is_finite())
        .collect();
    let example = |&(row, change): &(usize, f64)| FlippedExample {
        row,
        truth: shortest(truth[row]),
        baseline: shortest(baseline[row]),
        candidate: shortest(candidate[row]),
        error_change: Some(change),
    };
    let largest = |worse: bool| -> Vec<FlippedExample> {
        let mut side: Vec<(usize, f64)> = changes
            .iter()
            .copied()
            .filter(|(_, d)| (*d > 0.0) == worse)
            .collect();
        let key = |d: f64| if worse { -d } else { d };
        if side.len() > FLIP_LIMIT {
            side.select_nth_unstable_by(FLIP_LIMIT, |a, b| key(a.1).total_cmp(&key(b.1)));
            side.truncate(FLIP_LIMIT);
        }
        side.sort_by(|a, b| key(a.1).total_cmp(&key(b.1)).then(a.0.cmp(&b.0)));
        side.iter().map(example).collect()
    };
    Flips {
        worsened: changes.iter().filter(|(_, d)| *d > 0.0).count() as u64,
        improved: changes.iter().filter(|(_, d)| *d < 0.0).count() as u64,
        worsened_examples: largest(true),
        improved_examples: largest(false),
    }
}

/// Predictions are float32 widened to f64: print them as the float32 they were (`196.10638`,
/// not `196.10638427734375`).
fn shortest(v: f64) -> String {
    if f64::from(v as f32) == v {
        (v as f32).to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_flips_both_ways_capped() {
        let classes = ["cat".to_owned(), "dog".to_owned()];
        let n = 50;
        let truth = vec![0u32; n];
        // Rows 0..30: baseline right, candidate wrong. Row 40: the reverse.
        let baseline: Vec<u32> = (0..n).map(|i| u32::from(i == 40)).collect();
        let candidate: Vec<u32> = (0..n).map(|i| u32::from(i < 30)).collect();
        let f = classification_flips(&truth, &classes, &candidate, &baseline);
        assert_eq!((f.worsened, f.improved), (30, 1));
        assert_eq!(f.worsened_examples.len(), FLIP_LIMIT);
        assert_eq!(f.worsened_examples[0].candidate, "dog");
        assert_eq!(f.worsened_examples[0].baseline, "cat");
        assert_eq!(f.improved_examples[0].row, 40);
    }

    #[test]
    fn regression_lists_the_largest_error_changes() {
        let truth: Vec<f64> = vec![0.0; 30];
        let baseline: Vec<f64> = vec![1.0; 30];
        let candidate: Vec<f64> = (0..30).map(|i| i as f64 * 0.1).collect();
        let f = regression_flips(&truth, &candidate, &baseline);
        assert_eq!((f.worsened, f.improved), (19, 10));
        assert_eq!(f.worsened_examples.len(), 19);
        assert_eq!(f.worsened_examples[0].row, 29);
        assert_eq!(f.improved_examples[0].row, 0);
        assert_eq!(f.improved_examples[0].error_change, Some(-1.0));
    }
}
