//! Is a difference in right/wrong answers real or noise? McNemar's exact test.

/// Two-sided p-value of McNemar's exact test: of the `better + worse` examples on which the
/// two models disagree about being right, would `better` vs `worse` be this lopsided if each
/// were a fair coin flip? Defined as statsmodels' `mcnemar(table, exact=True)` (no mid-p):
/// `min(1, 2 × P(X <= min(better, worse)))` with `X ~ Binomial(better + worse, 1/2)`.
/// `None` when the models never disagree. Exact for any count (summed in log space).
pub fn mcnemar_exact(better: u64, worse: u64) -> Option<f64> {
    let n = better + worse;
    if n == 0 {
        return None;
    }
    let k = better.min(worse);
    // ln P(X = k), then walk down the tail: P(X = i - 1) = P(X = i) * i / (n - i + 1). The
    // terms shrink geometrically below the mode, so the sum stops once they stop counting.
    // ln C(n, k) as a compensated (Neumaier) sum: a plain sum of 10^5 terms loses ~1e-9.
    let (mut ln_choose, mut compensation) = (0.0f64, 0.0f64);
    for i in 1..=k {
        let term = ((n - k + i) as f64 / i as f64).ln();
        let sum = ln_choose + term;
        compensation += if ln_choose.abs() >= term.abs() {
            (ln_choose - sum) + term
        } else {
            (term - sum) + ln_choose
        };
        ln_choose = sum;
    }
    let ln_choose = ln_choose + compensation;
    let ln_term = ln_choose + n as f64 * 0.5f64.ln();
    let mut term = 1.0; // relative to exp(ln_term)
    let mut tail = 0.0;
    let mut i = k;
    loop {
        tail += term;
        if i == 0 || term < tail * 1e-17 {
            break;
        }
        term *= i as f64 / (n - i + 1) as f64;
        i -= 1;
    }
    Some((2.0 * (ln_term + tail.ln()).exp()).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::mcnemar_exact;

    #[test]
    fn matches_statsmodels() {
        // statsmodels 0.15.0: mcnemar([[0, 2], [10, 0]], exact=True).pvalue = 0.03857421875
        assert!((mcnemar_exact(2, 10).unwrap() - 0.038_574_218_75).abs() < 1e-15);
        assert_eq!(mcnemar_exact(5, 5), Some(1.0));
        assert_eq!(mcnemar_exact(0, 1), Some(1.0));
        assert_eq!(mcnemar_exact(0, 0), None);
        // More in tests/fixtures/stats (large counts included).
    }
}
