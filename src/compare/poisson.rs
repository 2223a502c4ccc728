//! Reproducible random weights for the Poisson bootstrap.
//!
//! Every resample has its own stream, derived from the seed and the resample's index, so the
//! result does not depend on how resamples are spread over threads. The generator
//! (xoshiro256++ seeded by SplitMix64) and the samplers are small and fully specified, so
//! `tests/fixtures/stats/generate.py` reproduces them bit for bit.

/// xoshiro256++ (Blackman & Vigna), the generator of one resample.
pub struct Stream {
    s: [u64; 4],
}

/// Which part of a resample a stream feeds: the families draw independently.
#[derive(Debug, Clone, Copy)]
pub enum Family {
    /// Poisson counts of the (truth, candidate, baseline) cells.
    Cells = 1,
    /// Poisson(1) weights of single examples.
    Examples = 2,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl Stream {
    pub fn new(seed: u64, resample: u64, family: Family) -> Stream {
        let mut x = seed
            .wrapping_add(resample.wrapping_mul(GOLDEN))
            .wrapping_add((family as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let mut next = || {
            x = x.wrapping_add(GOLDEN);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Stream {
            s: [next(), next(), next(), next()],
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Poisson(1) weights for `out.len()` examples, two per 64-bit draw (low half first).
    pub fn fill_unit_weights(&mut self, out: &mut [u8]) {
        let mut pairs = out.chunks_exact_mut(2);
        for pair in &mut pairs {
            let r = self.next_u64();
            pair[0] = unit_poisson(r as u32);
            pair[1] = unit_poisson((r >> 32) as u32);
        }
        if let [last] = pairs.into_remainder() {
            *last = unit_poisson(self.next_u64() as u32);
        }
    }

    /// A Poisson(`mean`) count: the sum of `mean` Poisson(1) weights, drawn in one step.
    /// numpy's algorithms: multiplication of uniforms below 10, PTRS (Hörmann 1993) above.
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean < 10.0 {
            let limit = (-mean).exp();
            let mut k = 0;
            let mut product = 1.0;
            loop {
                product *= self.next_f64();
                if product <= limit {
                    return k;
                }
                k += 1;
            }
        }
        let slam = mean.sqrt();
        let loglam = mean.ln();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.next_f64() - 0.5;
            let v = self.next_f64();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + mean + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if v.ln() + invalpha.ln() - (a / (us * us) + b).ln()
                <= -mean + k * loglam - log_gamma(k + 1.0)
            {
                return k as u64;
            }
        }
    }
}

/// `floor(2^32 * P(X <= k))` for X ~ Poisson(1), k = 0..11, from exact decimal arithmetic;
/// P(X > 11) rounds to zero at this resolution.
const UNIT_POISSON_CDF: [u32; 12] = [
    1_580_030_169,
    3_160_060_337,
    3_950_075_422,
    4_213_413_783,
    4_279_248_374,
    4_292_415_292,
    4_294_609_778,
    4_294_923_276,
    4_294_962_463,
    4_294_966_817,
    4_294_967_253,
    4_294_967_292,
];

/// Inverse CDF of Poisson(1) for a uniform 32-bit number: how many thresholds it passes.
/// One look-up by the top byte and one compare, but in the top byte (1 in 256), which holds
/// eight thresholds: 3x faster than twelve compares, and the same numbers.
#[inline]
fn unit_poisson(u: u32) -> u8 {
    match UNIT_POISSON_BY_TOP_BYTE[(u >> 24) as usize] {
        TopByte::One { below, threshold } => below + u8::from(u >= threshold),
        TopByte::Several => UNIT_POISSON_CDF.iter().map(|&t| u8::from(u >= t)).sum(),
    }
}

/// What the thresholds are to the 2^24 numbers sharing a top byte.
#[derive(Clone, Copy)]
enum TopByte {
    /// `below` thresholds at or under all of them, and at most one among them
    /// (`u32::MAX`, passed by none of these numbers, when there is none).
    One { below: u8, threshold: u32 },
    /// Several thresholds among them: compare with each.
    Several,
}

const UNIT_POISSON_BY_TOP_BYTE: [TopByte; 256] = unit_poisson_by_top_byte();

const fn unit_poisson_by_top_byte() -> [TopByte; 256] {
    let mut table = [TopByte::Several; 256];
    let mut byte = 0;
    while byte < 256 {
        let (start, end) = ((byte as u64) << 24, (byte as u64 + 1) << 24);
        let (mut below, mut inside, mut threshold) = (0u8, 0, u32::MAX);
        let mut k = 0;
        while k < UNIT_POISSON_CDF.len() {
            let t = UNIT_POISSON_CDF[k];
            if t as u64 <= start {
                below += 1;
            } else if (t as u64) < end {
                inside += 1;
                threshold = t;
            }
            k += 1;
        }
        if inside <= 1 {
            table[byte] = TopByte::One { below, threshold };
        }
        byte += 1;
    }
    table
}

/// ln Γ(x) for x >= 1, as numpy's `random_loggam` computes it (Stirling series).
fn log_gamma(x: f64) -> f64 {
    const A: [f64; 10] = [
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.410_256_410_256_41e-3,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e+00,
    ];
    const LN_2PI: f64 = 1.837_877_066_409_345_3;
    if x == 1.0 || x == 2.0 {
        return 0.0;
    }
    let (mut x0, shift) = if x < 7.0 {
        let n = (7.0 - x).floor();
        (x + n, n as i32)
    } else {
        (x, 0)
    };
    let x2 = (1.0 / x0) * (1.0 / x0);
    let mut gl0 = A[9];
    for k in (0..9).rev() {
        gl0 = gl0 * x2 + A[k];
    }
    let mut gl = gl0 / x0 + 0.5 * LN_2PI + (x0 - 0.5) * x0.ln() - x0;
    for _ in 0..shift {
        gl -= (x0 - 1.0).ln();
        x0 -= 1.0;
    }
    gl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_weights_have_poisson_moments() {
        let mut s = Stream::new(7, 0, Family::Examples);
        let mut w = vec![0u8; 200_001];
        s.fill_unit_weights(&mut w);
        let n = w.len() as f64;
        let mean = w.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = w
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!((mean - 1.0).abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
        let zeros = w.iter().filter(|&&x| x == 0).count() as f64 / n;
        assert!((zeros - (-1.0f64).exp()).abs() < 0.005, "{zeros}");
    }

    /// The top-byte table gives what comparing with every threshold gives, at and around
    /// each threshold and on a sweep of the whole range.
    #[test]
    fn the_top_byte_table_counts_like_every_threshold() {
        let by_comparing =
            |u: u32| -> u8 { UNIT_POISSON_CDF.iter().map(|&t| u8::from(u >= t)).sum() };
        let near_thresholds = UNIT_POISSON_CDF
            .iter()
            .flat_map(|&t| [t.wrapping_sub(1), t, t.wrapping_add(1)]);
        let sweep = (0..=u32::MAX).step_by(4099);
        for u in near_thresholds.chain(sweep).chain([0, u32::MAX]) {
            assert_eq!(unit_poisson(u), by_comparing(u), "u = {u}");
        }
    }

    #[test]
    fn thresholds_are_the_poisson_cdf() {
        let mut cdf = 0.0;
        let mut term = (-1.0f64).exp();
        for (k, &t) in UNIT_POISSON_CDF.iter().enumerate() {
            if k > 0 {
                term /= k as f64;
            }
            cdf += term;
            assert!((cdf * 2f64.powi(32) - f64::from(t)).abs() < 2.0, "k = {k}");
        }
    }

    #[test]
    fn poisson_counts_have_the_right_mean_and_variance() {
        for mean in [0.5, 3.0, 12.0, 250.0, 1e6] {
            let mut s = Stream::new(11, 3, Family::Cells);
            let draws: Vec<f64> = (0..20_000).map(|_| s.poisson(mean) as f64).collect();
            let m = draws.iter().sum::<f64>() / draws.len() as f64;
            let v = draws.iter().map(|x| (x - m).powi(2)).sum::<f64>() / draws.len() as f64;
            assert!((m - mean).abs() < 0.05 * mean.sqrt() + 0.02, "{mean}: {m}");
            assert!((v / mean - 1.0).abs() < 0.06, "{mean}: {v}");
        }
    }

    #[test]
    fn log_gamma_matches_factorials() {
        let mut ln_fact = 0.0;
        for n in 1..40u32 {
            ln_fact += f64::from(n).ln();
            assert!((log_gamma(f64::from(n) + 1.0) - ln_fact).abs() < 1e-9 * ln_fact.max(1.0));
        }
    }
}
