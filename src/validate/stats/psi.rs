//! The population stability index: Σ (current − reference) · ln(current / reference) over
//! bins, each a share of its sample, a share of 0 taken as 0.0001 (Evidently's convention,
//! so that a bin empty on one side counts without dividing by zero).
//!
//! Numbers are binned on the reference's deciles: the edges are its quantiles at 0.1 … 0.9
//! by the inverse of its weighted CDF (numpy's `method="inverted_cdf"`), repeated edges
//! merged; a value goes to the bin of the edges at or below it (`np.searchsorted(edges, x,
//! side="right")`).

use super::categorical::shares;
use crate::validate::sample::{CategoryCounts, WeightedSample};

/// A share of 0 counts as this much.
const EMPTY_SHARE: f64 = 0.0001;

fn psi(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    pairs
        .map(|(r, c)| {
            let (r, c) = (
                if r == 0.0 { EMPTY_SHARE } else { r },
                if c == 0.0 { EMPTY_SHARE } else { c },
            );
            (c - r) * (c / r).ln()
        })
        .sum()
}

/// PSI over categories. `None` when a sample is empty.
pub fn psi_categorical(reference: &CategoryCounts, current: &CategoryCounts) -> Option<f64> {
    Some(psi(shares(reference, current)?.into_iter()))
}

/// PSI of numbers over `bins` bins of the reference's quantiles. `None` when a sample is
/// empty or `bins` < 2.
pub fn psi_numeric(
    reference: &WeightedSample,
    current: &WeightedSample,
    bins: usize,
) -> Option<f64> {
    let (wr, wc) = (reference.total_weight(), current.total_weight());
    if reference.is_empty() || current.is_empty() || wr <= 0.0 || wc <= 0.0 || bins < 2 {
        return None;
    }
    let mut edges: Vec<f64> = (1..bins)
        .map(|i| inverted_cdf(reference, wr, i as f64 / bins as f64))
        .collect();
    edges.dedup();
    let shares = |s: &WeightedSample, total: f64| {
        let mut share = vec![0.0; edges.len() + 1];
        for (x, w) in s.values.iter().zip(&s.weights) {
            share[edges.partition_point(|e| e <= x)] += w / total;
        }
        share
    };
    let (r, c) = (shares(reference, wr), shares(current, wc));
    Some(psi(r.into_iter().zip(c)))
}

/// The smallest value whose cumulative weight reaches `q` of the total.
fn inverted_cdf(s: &WeightedSample, total: f64, q: f64) -> f64 {
    let target = q * total;
    let mut seen = 0.0;
    for (x, w) in s.values.iter().zip(&s.weights) {
        seen += w;
        if seen >= target - 1e-12 * total {
            return *x;
        }
    }
    *s.values.last().expect("not empty")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_distribution_is_stable_and_a_shift_is_not() {
        let a: Vec<f64> = (0..1000).map(f64::from).collect();
        let b: Vec<f64> = (0..1000).map(|i| f64::from(i) + 300.0).collect();
        let (a, b) = (WeightedSample::exact(&a), WeightedSample::exact(&b));
        assert!(psi_numeric(&a, &a, 10).unwrap().abs() < 1e-12);
        assert!(psi_numeric(&a, &b, 10).unwrap() > 0.5);
        let cats: CategoryCounts = vec![("a".into(), 5), ("b".into(), 5)];
        assert_eq!(psi_categorical(&cats, &cats), Some(0.0));
    }
}
