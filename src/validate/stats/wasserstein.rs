//! The first Wasserstein distance between two weighted samples, as
//! `scipy.stats.wasserstein_distance(u, v, u_weights, v_weights)`: the area between their
//! CDFs.

use crate::validate::sample::WeightedSample;

/// `None` when a sample is empty or weighs nothing.
pub fn wasserstein_distance(u: &WeightedSample, v: &WeightedSample) -> Option<f64> {
    let (wu, wv) = (u.total_weight(), v.total_weight());
    if u.is_empty() || v.is_empty() || wu <= 0.0 || wv <= 0.0 {
        return None;
    }
    // Walk the merged values; between consecutive ones both CDFs are constant.
    let (mut i, mut j) = (0, 0);
    let (mut cu, mut cv) = (0.0, 0.0);
    let mut previous: Option<f64> = None;
    let mut area = 0.0;
    while i < u.len() || j < v.len() {
        let x = match (u.values.get(i), v.values.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => unreachable!(),
        };
        if let Some(p) = previous {
            area += (cu / wu - cv / wv).abs() * (x - p);
        }
        while i < u.len() && u.values[i] == x {
            cu += u.weights[i];
            i += 1;
        }
        while j < v.len() && v.values[j] == x {
            cv += v.weights[j];
            j += 1;
        }
        previous = Some(x);
    }
    Some(area)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_of_shifted_samples_is_the_shift() {
        let a = WeightedSample::exact(&[0.0, 1.0, 3.0]);
        let b = WeightedSample::exact(&[5.0, 6.0, 8.0]);
        assert!((wasserstein_distance(&a, &b).unwrap() - 5.0).abs() < 1e-12);
        assert_eq!(wasserstein_distance(&a, &a), Some(0.0));
        assert_eq!(wasserstein_distance(&a, &WeightedSample::default()), None);
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0
    }
}
