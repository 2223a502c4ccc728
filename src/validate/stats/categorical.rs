//! Tests on two samples of categories: scipy's `chi2_contingency` on their 2×K table, the
//! two-proportion z-test (Evidently's `proportions_diff_z_test`), and scipy's
//! `jensenshannon` on their shares.

use statrs::function::erf::erfc;
use statrs::function::gamma::gamma_ur;

use crate::validate::sample::CategoryCounts;

/// A statistic and its p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    pub statistic: f64,
    pub p_value: f64,
    /// Degrees of freedom (chi-squared).
    pub dof: u64,
}

/// The two samples' counts over the union of their categories, in category order
/// (categories absent from both are not in either list, so none is dropped here).
fn aligned(a: &CategoryCounts, b: &CategoryCounts) -> Vec<(f64, f64)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                out.push((x.1 as f64, y.1 as f64));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                out.push((x.1 as f64, 0.0));
                i += 1;
            }
            (Some(x), None) => {
                out.push((x.1 as f64, 0.0));
                i += 1;
            }
            (_, Some(y)) => {
                out.push((0.0, y.1 as f64));
                j += 1;
            }
            (None, None) => unreachable!(),
        }
    }
    out.retain(|&(x, y)| x + y > 0.0);
    out
}

/// Chi-squared test of homogeneity of the two samples (`correction=False`): the statistic
/// Σ (observed − expected)² / expected over the 2×K table, K − 1 degrees of freedom. `None`
/// when a sample is empty.
pub fn chi2_two_sample(a: &CategoryCounts, b: &CategoryCounts) -> Option<TestResult> {
    let table = aligned(a, b);
    let (na, nb): (f64, f64) = table.iter().fold((0.0, 0.0), |s, c| (s.0 + c.0, s.1 + c.1));
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    let total = na + nb;
    let dof = table.len().saturating_sub(1) as u64;
    if dof == 0 {
        return Some(TestResult {
            statistic: 0.0,
            p_value: 1.0,
            dof,
        });
    }
    let statistic: f64 = table
        .iter()
        .map(|&(x, y)| {
            let column = x + y;
            let (ex, ey) = (na * column / total, nb * column / total);
            (x - ex).powi(2) / ex + (y - ey).powi(2) / ey
        })
        .sum();
    Some(TestResult {
        statistic,
        p_value: chi2_sf(statistic, dof as f64),
        dof,
    })
}

/// The chi-squared distribution's survival function: Q(k/2, x/2).
pub fn chi2_sf(x: f64, k: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    gamma_ur(k / 2.0, x / 2.0).clamp(0.0, 1.0)
}

/// The pooled two-proportion z-test on the share of `category` in each sample: z =
/// (p1 − p2) / sqrt(P(1 − P)(1/n1 + 1/n2)), two-sided p = 2(1 − Φ(|z|)). `None` when a
/// sample is empty; p = 1 when both samples hold only that category or none of it.
pub fn z_test_two_proportions(
    a: &CategoryCounts,
    b: &CategoryCounts,
    category: &str,
) -> Option<TestResult> {
    let count = |c: &CategoryCounts| c.iter().find(|(k, _)| k == category).map_or(0, |e| e.1);
    let total = |c: &CategoryCounts| c.iter().map(|e| e.1).sum::<u64>();
    let (n1, n2) = (total(a) as f64, total(b) as f64);
    if n1 == 0.0 || n2 == 0.0 {
        return None;
    }
    let (p1, p2) = (count(a) as f64 / n1, count(b) as f64 / n2);
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if variance <= 0.0 {
        return Some(TestResult {
            statistic: 0.0,
            p_value: 1.0,
            dof: 0,
        });
    }
    let z = (p1 - p2) / variance.sqrt();
    Some(TestResult {
        statistic: z,
        // 2(1 − Φ(|z|)) = erfc(|z|/√2), without the cancellation for large |z|.
        p_value: erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0),
        dof: 0,
    })
}

/// The Jensen–Shannon distance (natural log) between the two samples' shares, as scipy's
/// `jensenshannon(p, q)`: the square root of the divergence. `None` when a sample is empty.
pub fn jensen_shannon(a: &CategoryCounts, b: &CategoryCounts) -> Option<f64> {
    let table = aligned(a, b);
    let (na, nb): (f64, f64) = table.iter().fold((0.0, 0.0), |s, c| (s.0 + c.0, s.1 + c.1));
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    let rel_entr = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 };
    let divergence: f64 = table
        .iter()
        .map(|&(x, y)| {
            let (p, q) = (x / na, y / nb);
            let m = (p + q) / 2.0;
            rel_entr(p, m) + rel_entr(q, m)
        })
        .sum::<f64>()
        / 2.0;
    Some(divergence.max(0.0).sqrt())
}

/// The two samples' shares over the union of their categories (for PSI).
pub(super) fn shares(a: &CategoryCounts, b: &CategoryCounts) -> Option<Vec<(f64, f64)>> {
    let table = aligned(a, b);
    let (na, nb): (f64, f64) = table.iter().fold((0.0, 0.0), |s, c| (s.0 + c.0, s.1 + c.1));
    (na > 0.0 && nb > 0.0).then(|| table.iter().map(|&(x, y)| (x / na, y / nb)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> CategoryCounts {
        pairs.iter().map(|(k, c)| (k.to_string(), *c)).collect()
    }

    #[test]
    fn chi2_matches_scipy_on_a_small_table() {
        // scipy.stats.chi2_contingency([[10, 20, 30], [20, 20, 20]], correction=False)
        // -> statistic 5.333333333333333, p 0.06948345122280154, dof 2
        let r = chi2_two_sample(
            &counts(&[("a", 10), ("b", 20), ("c", 30)]),
            &counts(&[("a", 20), ("b", 20), ("c", 20)]),
        )
        .unwrap();
        assert!((r.statistic - 5.333333333333333).abs() < 1e-12, "{r:?}");
        assert!((r.p_value - 0.06948345122280154).abs() < 1e-12, "{r:?}");
        assert_eq!(r.dof, 2);
    }

    #[test]
    fn one_category_and_empty_samples() {
        let a = counts(&[("x", 5)]);
        assert_eq!(chi2_two_sample(&a, &a).unwrap().p_value, 1.0);
        assert_eq!(chi2_two_sample(&a, &Vec::new()), None);
        assert_eq!(jensen_shannon(&a, &a), Some(0.0));
        assert_eq!(z_test_two_proportions(&a, &a, "x").unwrap().p_value, 1.0);
    }
}
