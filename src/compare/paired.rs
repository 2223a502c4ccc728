//! Is a difference real or noise? A paired sign test on the examples where the two models
//! disagree (McNemar's exact test for classification).

/// Two-sided p-value of seeing `better` vs `worse` among the examples that changed, if each
/// change were a fair coin flip. `None` when nothing changed.
pub fn sign_test(better: u64, worse: u64) -> Option<f64> {
    let n = better + worse;
    if n == 0 {
        return None;
    }
    let k = better.min(worse);
    if n <= 1000 {
        // Exact binomial tail, summed in log space to stay finite for large n.
        let ln_half_n = n as f64 * 0.5f64.ln();
        let mut ln_choose = 0.0; // ln C(n, 0)
        let mut tail = 0.0;
        for i in 0..=k {
            if i > 0 {
                ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
            }
            tail += (ln_choose + ln_half_n).exp();
        }
        Some((2.0 * tail).min(1.0))
    } else {
        // Normal approximation with continuity correction.
        let z = ((better as f64 - worse as f64).abs() - 1.0).max(0.0) / (n as f64).sqrt();
        Some((2.0 * normal_upper_tail(z)).min(1.0))
    }
}

/// P(Z > z) for a standard normal, via the complementary error function (Numerical Recipes'
/// erfc approximation, relative error below 1.2e-7).
fn normal_upper_tail(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x);
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    0.5 * t * poly.exp()
}

#[cfg(test)]
mod tests {
    use super::sign_test;

    #[test]
    fn matches_scipy_binomtest() {
        // scipy.stats.binomtest(2, 12).pvalue = 0.03857421875
        assert!((sign_test(2, 10).unwrap() - 0.038_574_218_75).abs() < 1e-12);
        assert_eq!(sign_test(5, 5), Some(1.0));
        assert_eq!(sign_test(0, 0), None);
        // Large n: normal approximation close to the exact value.
        let p = sign_test(5100, 4900).unwrap();
        assert!((p - 0.0469).abs() < 2e-3, "{p}");
    }
}
