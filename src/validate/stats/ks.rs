//! The two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp` computes it
//! with `method="auto"`: the exact distribution when neither sample has more than 10,000
//! values, else the asymptotic one.
//!
//! The exact p-value is scipy's lattice-path computation (`_compute_prob_outside_square`
//! for equal sizes, `_compute_outer_prob_inside_method` otherwise). The asymptotic one is
//! scipy's `kstwo.sf(D, round(nm/(n+m)))`, by the Pelz–Good expansion scipy uses for it at
//! these sizes (n ≥ 5,000: it agrees with `kstwo.sf` to 5e-8 there, measured on a grid).

use crate::validate::sample::WeightedSample;

/// Above this many values in either sample, the asymptotic p-value (scipy's `MAX_AUTO_N`).
pub const MAX_EXACT_N: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsMethod {
    Exact,
    Asymptotic,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    pub statistic: f64,
    pub p_value: f64,
    pub method: KsMethod,
}

/// The test with the method chosen by size. The sample sizes are the samples' total
/// weights, rounded (a sketch's summary stands for every value it saw). An exact computation
/// that fails numerically falls back to the asymptotic one, as in scipy. `None` when a
/// sample is empty.
pub fn ks_2samp(a: &WeightedSample, b: &WeightedSample) -> Option<KsResult> {
    let (wa, wb) = (a.total_weight(), b.total_weight());
    if a.is_empty() || b.is_empty() || wa <= 0.0 || wb <= 0.0 {
        return None;
    }
    let d = statistic(a, b, wa, wb);
    let (n1, n2) = (wa.round().max(1.0) as u64, wb.round().max(1.0) as u64);
    if n1.max(n2) <= MAX_EXACT_N
        && let Some((d, p)) = exact(n1, n2, d)
    {
        return Some(KsResult {
            statistic: d,
            p_value: p,
            method: KsMethod::Exact,
        });
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round();
    Some(KsResult {
        statistic: d,
        p_value: kstwo_sf(en, d),
        method: KsMethod::Asymptotic,
    })
}

/// The largest distance between the two weighted empirical CDFs.
fn statistic(a: &WeightedSample, b: &WeightedSample, wa: f64, wb: f64) -> f64 {
    let (mut i, mut j) = (0, 0);
    let (mut ca, mut cb) = (0.0, 0.0);
    let mut d: f64 = 0.0;
    while i < a.len() || j < b.len() {
        let x = match (a.values.get(i), b.values.get(j)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => unreachable!(),
        };
        while i < a.len() && a.values[i] == x {
            ca += a.weights[i];
            i += 1;
        }
        while j < b.len() && b.values[j] == x {
            cb += b.weights[j];
            j += 1;
        }
        d = d.max((ca / wa - cb / wb).abs());
    }
    d.clamp(0.0, 1.0)
}

/// scipy's `_attempt_exact_2kssamp`, two-sided: the statistic rounded to the lattice of
/// `lcm(n1, n2)`, and P(D ≥ d). `None` when the computation is not a probability.
fn exact(n1: u64, n2: u64, d: f64) -> Option<(f64, f64)> {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) as f64 * n2 as f64;
    let h = (d * lcm).round();
    let d = h / lcm;
    if h == 0.0 {
        return Some((d, 1.0));
    }
    let h = h as u64;
    let p = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        outer_prob_inside(n1, n2, g, h)
    };
    (0.0..=1.0).contains(&p).then_some((d, p))
}

/// P(D ≥ h/n) for two samples of `n`: 2·Σ (−1)^(k−1) C(2n, n−kh) / C(2n, n), by a Horner
/// scheme that avoids the cancellation of the alternating sum.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let k_h = k as f64 * h as f64;
        let mut term = 1.0;
        for j in 0..h {
            term = (n as f64 - k_h - j as f64) * term / (n as f64 + k_h + j as f64 + 1.0);
        }
        p = term * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| <
/// h/lcm at some point (scipy's `_compute_outer_prob_inside_method`). Column by column, a
/// point outside the band has share 1 and one inside C(x, y) = (x·C(x−1, y) + y·C(x, y−1))
/// / (x + y), the shares of the paths through its two neighbours: no overflow, and no
/// cancellation for tiny p-values. One column is kept, shifted by the band's lower end.
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (m, n, h) = (m as i64, n as i64, h as i64);
    let ceil_div = |a: i64, b: i64| (a + b - 1).div_euclid(b);
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    // The first column: along the axis, inside the band, no path has left it.
    let mut column = vec![0.0_f64; n as usize + 2];
    for i in 1..=m {
        let (lastminj, lastmaxj) = (minj, maxj);
        minj = ((ng * i - h).div_euclid(mg) + 1).clamp(0, n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let x = i as f64;
        let mut below = if minj == 0 { 0.0 } else { 1.0 };
        for j in minj..maxj {
            let left = if (lastminj..lastmaxj).contains(&j) {
                column[(j - lastminj) as usize]
            } else {
                1.0
            };
            below = (left * x + below * j as f64) / (x + j as f64);
            column[(j - minj) as usize] = below;
        }
    }
    column[(n - minj) as usize]
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// P(D_n ≥ x) for the one-sample statistic of `n` values, as scipy's `kstwo.sf(x, n)` for
/// large n: the exact tails where D_n is at most 1/2n or at least 1 − 1/n, 0 far out, else
/// 1 − the Pelz–Good approximation of the CDF.
fn kstwo_sf(n: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let t = n * x;
    if t <= 0.5 {
        return 1.0;
    }
    if t >= n - 1.0 {
        return (2.0 * (1.0 - x).powf(n)).clamp(0.0, 1.0);
    }
    if t * x >= 370.0 {
        return 0.0;
    }
    (1.0 - pelz_good_cdf(n, x)).clamp(0.0, 1.0)
}

/// Pelz and Good (1976): P(D_n ≤ x) ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5 with
/// z = x√n, each term as a theta-function sum that converges fast for small z. A line by
/// line port of scipy's `_kolmogn_PelzGood`.
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let sqrt_2pi = (2.0 * PI).sqrt();
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (k1a, k1b) = (-z2, pi2 / 4.0);
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0_f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf(8.0 * kk as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (term, c) in k.iter_mut().zip(coeffs) {
            *term = *term * qpower + c;
        }
    }
    let divisors = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (term, d) in k.iter_mut().zip(divisors) {
        *term *= q * sqrt_2pi / d;
    }
    let q = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3.0_f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for kk in (1..=maxk).rev() {
        let ks = kk as f64;
        let ks2 = ks * ks;
        let qpower = q.powf(ks2);
        k2extra += ks2 * qpower;
        let kspi = PI * ks;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qpower;
    }
    k[2] += k2extra * pi2 * sqrt_2pi / (-36.0 * z3);
    k[3] += k3extra * pi2 * sqrt_2pi / (216.0 * z6);
    k.iter()
        .enumerate()
        .map(|(i, term)| term / n.powf(i as f64 / 2.0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_do_not_differ() {
        let a = WeightedSample::exact(&[1.0, 2.0, 3.0]);
        let r = ks_2samp(&a, &a).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.p_value, 1.0);
        assert_eq!(ks_2samp(&a, &WeightedSample::default()), None);
    }

    #[test]
    fn disjoint_samples_differ_fully() {
        // scipy.stats.ks_2samp([1, 2, 3], [4, 5, 6, 7]): statistic 1.0, p 0.05714285714285714
        let a = WeightedSample::exact(&[1.0, 2.0, 3.0]);
        let b = WeightedSample::exact(&[4.0, 5.0, 6.0, 7.0]);
        let r = ks_2samp(&a, &b).unwrap();
        assert_eq!(r.statistic, 1.0);
        assert!((r.p_value - 0.05714285714285714).abs() < 1e-12, "{r:?}");
        assert_eq!(r.method, KsMethod::Exact);
    }

    #[test]
    fn the_asymptotic_tail_matches_scipys_kstwo() {
        // scipy.stats.kstwo.sf(0.02, 6000) = 0.016237424765516796
        let p = kstwo_sf(6000.0, 0.02);
        assert!((p - 0.016237424765516796).abs() < 1e-7, "{p}");
        assert_eq!(kstwo_sf(6000.0, 0.5), 0.0);
        assert_eq!(kstwo_sf(6000.0, 0.00001), 1.0);
    }
}
