//! A model's scores as the probabilities log_loss and roc_auc need, read as the model said
//! they are ([`ScoreMeaning`], decided before it ran), never as their values suggest.
//!
//! Probabilities stay as they are, except that float32 rounding puts a few just outside
//! [0, 1] (1.0000001, -1e-8 at 5M rows): those are clipped and counted. Raw scores go through
//! a softmax in f64 (log-sum-exp), so a confident logit does not round to a probability of
//! exactly 1 and tie with every other confident row.

use crate::config::ScoreMeaning;

/// How far outside [0, 1] a probability may be and still be rounding: one float16 step
/// (9.8e-4 above 1) with room to spare. Anything further is not a probability at all.
pub const ROUNDING_SLACK: f64 = 0.01;

/// What became of one model's scores.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// The values are probabilities; `clipped` of them were a rounding step outside [0, 1]
    /// (the furthest: `furthest`) and now sit on its edge.
    Probabilities { clipped: usize, furthest: f64 },
    /// Softmax of each row of raw scores.
    Softmaxed(Vec<f64>),
    /// Read as probabilities, but `count` values (the first: `example`) are well outside
    /// [0, 1]: the reading is wrong and no probability metric can be trusted.
    OutOfRange { count: usize, example: f64 },
}

/// Prepares row-major `[N, width]` scores. Probabilities are clipped in place (one copy of
/// the scores is enough at 5M rows); raw scores are left as they are, for the agreement
/// metrics, and their softmax returned.
pub fn prepare(values: &mut [f64], width: usize, meaning: ScoreMeaning) -> Prepared {
    if meaning == ScoreMeaning::Logits {
        return Prepared::Softmaxed(softmax_rows(values, width));
    }
    let beyond = |v: f64| !(-ROUNDING_SLACK..=1.0 + ROUNDING_SLACK).contains(&v);
    let count = values.iter().filter(|&&v| beyond(v)).count();
    if count > 0 {
        let example = values
            .iter()
            .copied()
            .find(|&v| beyond(v))
            .unwrap_or(f64::NAN);
        return Prepared::OutOfRange { count, example };
    }
    let (mut clipped, mut furthest) = (0, 0.5);
    for v in values.iter_mut() {
        if !(0.0..=1.0).contains(v) {
            clipped += 1;
            if (*v - 0.5).abs() > (furthest - 0.5f64).abs() {
                furthest = *v;
            }
            *v = v.clamp(0.0, 1.0);
        }
    }
    Prepared::Probabilities { clipped, furthest }
}

impl Prepared {
    /// The probabilities: `scores` itself unless they were softmaxed; `None` when out of range.
    pub fn probabilities<'a>(&'a self, scores: &'a [f64]) -> Option<&'a [f64]> {
        match self {
            Prepared::Probabilities { .. } => Some(scores),
            Prepared::Softmaxed(p) => Some(p),
            Prepared::OutOfRange { .. } => None,
        }
    }

    /// What the report should say about it, if anything. `output` is the score output,
    /// `basis` why it was read as it was.
    pub fn note(&self, output: &str, basis: &str) -> Option<String> {
        match self {
            Prepared::Probabilities { clipped: 0, .. } => None,
            Prepared::Probabilities { clipped, furthest } => Some(format!(
                "{clipped} probabilities of output `{output}` were a rounding step outside [0, 1] (furthest: {furthest}) and were clipped to [0, 1]"
            )),
            Prepared::Softmaxed(_) => Some(format!(
                "output `{output}` holds raw scores ({basis}), so log_loss and roc_auc use its softmax"
            )),
            Prepared::OutOfRange { count, example } => Some(format!(
                "output `{output}` was read as probabilities ({basis}), but {count} of its values are outside [0, 1] (e.g. {example}); \
                 log_loss and roc_auc are left out. If it holds raw scores, set `scores = \"logits\"` under [suite.io]"
            )),
        }
    }
}

/// Softmax of each row in f64, by log-sum-exp (the row's maximum subtracted first).
pub fn softmax_rows(values: &[f64], width: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    for row in values.chunks_exact(width.max(1)) {
        let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let denom: f64 = row.iter().map(|&v| (v - max).exp()).sum();
        out.extend(row.iter().map(|&v| (v - max).exp() / denom));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_outside_zero_one_is_clipped_and_counted() {
        let mut p = vec![1.000_000_119_209_289_6, 0.0, 0.3, 0.7, -1e-8, 1.000_000_01];
        let prepared = prepare(&mut p, 2, ScoreMeaning::Probabilities);
        assert_eq!(
            prepared,
            Prepared::Probabilities {
                clipped: 3,
                furthest: 1.000_000_119_209_289_6
            }
        );
        assert_eq!(p, [1.0, 0.0, 0.3, 0.7, 0.0, 1.0]);
        let note = prepared
            .note("probabilities", "produced by Softmax")
            .unwrap();
        assert!(
            note.starts_with("3 probabilities of output `probabilities`"),
            "{note}"
        );
        let mut fine = vec![0.25, 0.75];
        let prepared = prepare(&mut fine, 2, ScoreMeaning::Probabilities);
        assert_eq!(prepared.note("p", ""), None);
    }

    #[test]
    fn probabilities_are_never_softmaxed_whatever_their_values() {
        // Rows that do not sum to 1 (a multi-label or calibrated output) stay as they are.
        let mut p = vec![0.9, 0.9, 0.1, 0.2];
        let prepared = prepare(&mut p, 2, ScoreMeaning::Probabilities);
        assert_eq!(prepared.probabilities(&p), Some(&[0.9, 0.9, 0.1, 0.2][..]));
    }

    #[test]
    fn logits_read_as_probabilities_are_refused_not_reinterpreted() {
        let mut p = vec![3.5, -2.0, 0.2, 0.8];
        let prepared = prepare(&mut p, 2, ScoreMeaning::Probabilities);
        assert_eq!(
            prepared,
            Prepared::OutOfRange {
                count: 2,
                example: 3.5
            }
        );
        assert_eq!(prepared.probabilities(&p), None);
        assert!(prepared.note("p", "b").unwrap().contains("io"));
        assert_eq!(p[0], 3.5, "left as it was");
    }

    /// float32 softmax of a margin of 20 is exactly 1.0; in f64 it is 1 - 2e-9, so confident
    /// rows keep their order.
    #[test]
    fn softmax_is_f64_and_stable_for_large_logits() {
        let p = softmax_rows(&[0.0, 20.0, 0.0, 25.0, 1000.0, -1000.0], 2);
        assert!(p[1] < p[3] && p[3] < 1.0, "{p:?}");
        assert_eq!((p[4], p[5]), (1.0, 0.0));
        let f32_softmax = |z: f32| 1.0 / (1.0 + (-z).exp());
        assert_eq!(f32_softmax(20.0), f32_softmax(25.0));
        let mut logits = vec![1.0, 2.0];
        assert!(matches!(
            prepare(&mut logits, 2, ScoreMeaning::Logits),
            Prepared::Softmaxed(_)
        ));
        assert_eq!(
            logits,
            [1.0, 2.0],
            "raw scores are kept for the agreement metrics"
        );
    }
}
