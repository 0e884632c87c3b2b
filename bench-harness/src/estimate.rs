//! The statistics of repeated runs: medians with 95% confidence
//! intervals, ratios of medians with theirs, and the randomised
//! interleaved order in which `run --repeat` executes the repetitions.
//!
//! **Confidence intervals** are percentile bootstrap intervals (Efron and
//! Tibshirani 1993): the sample is resampled with replacement
//! [`RESAMPLES`] times, the median of each resample taken, and the 2.5th
//! and 97.5th percentiles of those medians are the interval. For a ratio
//! B/A each side is resampled independently and the ratio of the two
//! medians taken. The bootstrap makes no assumption about the shape of the
//! distribution (run times are skewed: a run is never faster than the
//! machine allows, and is sometimes much slower), and works for the
//! median, which a Student t interval does not. The resampling generator
//! is seeded with a constant, so the same samples always give the same
//! interval. With fewer than [`MIN_SAMPLES`] samples there is no interval.
//!
//! **Interleaving** (as in Mytkowicz et al., "Producing wrong data without
//! doing anything obviously wrong!", ASPLOS 2009, and Kalibera and Jones,
//! "Rigorous benchmarking in reasonable time", ISMM 2013): repetitions run
//! in rounds, every cell once per round, in an order shuffled anew each
//! round from a reported seed, so that drifts of the machine (frequency,
//! temperature, other tenants) spread over every cell instead of biasing
//! the cells that happen to run at the same time.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 10_000;
/// The smallest sample with an interval.
pub const MIN_SAMPLES: usize = 3;
/// The resampling generator's seed (a constant: intervals are a function
/// of the samples).
const BOOTSTRAP_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// A median (or ratio of medians) with its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// The interval's lower end (the value itself without an interval).
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
    /// Samples it comes from (the smaller side's, for a ratio).
    pub n: usize,
}

impl Estimate {
    /// Half the interval's width relative to the value (`0.05` = ±5%).
    pub fn relative_half_width(&self) -> f64 {
        if self.value == 0.0 {
            0.0
        } else {
            (self.high - self.low) / 2.0 / self.value.abs()
        }
    }

    /// Whether the interval has both ends apart from the value.
    pub fn has_interval(&self) -> bool {
        self.n >= MIN_SAMPLES
    }

    /// Whether the interval excludes `x` (for a ratio: 1, no change).
    pub fn excludes(&self, x: f64) -> bool {
        self.has_interval() && (self.low > x || self.high < x)
    }
}

/// The median of `xs` (the mean of the middle two for an even count; 0
/// when empty).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    median_sorted(&v)
}

fn median_sorted(v: &[f64]) -> f64 {
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Quantile `q` (0–1) of sorted values, linear between order statistics
/// (Hyndman and Fan's type 7, R's and NumPy's default).
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let h = (v.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

fn resampled_median(xs: &[f64], rng: &mut ChaCha8Rng, buf: &mut Vec<f64>) -> f64 {
    buf.clear();
    buf.extend((0..xs.len()).map(|_| xs[rng.random_range(0..xs.len())]));
    buf.sort_by(f64::total_cmp);
    median_sorted(buf)
}

/// The percentile interval of bootstrap statistics.
fn interval(mut stats: Vec<f64>) -> (f64, f64) {
    stats.sort_by(f64::total_cmp);
    (
        quantile_sorted(&stats, 0.025),
        quantile_sorted(&stats, 0.975),
    )
}

/// The median of `xs` with its 95% bootstrap interval.
pub fn median_ci(xs: &[f64]) -> Estimate {
    let value = median(xs);
    if xs.len() < MIN_SAMPLES {
        return Estimate {
            value,
            low: value,
            high: value,
            n: xs.len(),
        };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut buf = Vec::with_capacity(xs.len());
    let stats = (0..RESAMPLES)
        .map(|_| resampled_median(xs, &mut rng, &mut buf))
        .collect();
    let (low, high) = interval(stats);
    Estimate {
        value,
        low,
        high,
        n: xs.len(),
    }
}

/// The ratio of medians `b / a` with its 95% bootstrap interval (each
/// side resampled independently); `None` when a's median is 0.
pub fn ratio_ci(a: &[f64], b: &[f64]) -> Option<Estimate> {
    let (ma, mb) = (median(a), median(b));
    if ma == 0.0 {
        return None;
    }
    let value = mb / ma;
    let n = a.len().min(b.len());
    if n < MIN_SAMPLES {
        return Some(Estimate {
            value,
            low: value,
            high: value,
            n,
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut buf = Vec::with_capacity(a.len().max(b.len()));
    let mut stats = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        let ra = resampled_median(a, &mut rng, &mut buf);
        let rb = resampled_median(b, &mut rng, &mut buf);
        if ra > 0.0 {
            stats.push(rb / ra);
        }
    }
    let (low, high) = interval(stats);
    Some(Estimate {
        value,
        low,
        high,
        n,
    })
}

/// The order of `rounds` rounds over `cells` cells: every round holds
/// every cell once, shuffled (Fisher–Yates) from `seed`. Returns
/// `(cell, round)` pairs in execution order.
pub fn interleaved_order(cells: usize, rounds: usize, seed: u64) -> Vec<(usize, usize)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(cells * rounds);
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..cells).collect();
        for i in (1..order.len()).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        out.extend(order.into_iter().map(|c| (c, round)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_quantiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        let v = [10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(quantile_sorted(&v, 0.0), 10.0);
        assert_eq!(quantile_sorted(&v, 1.0), 50.0);
        assert_eq!(quantile_sorted(&v, 0.5), 30.0);
        assert!((quantile_sorted(&v, 0.025) - 11.0).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.975) - 49.0).abs() < 1e-12);
    }

    #[test]
    fn a_constant_sample_has_a_zero_width_interval() {
        let e = median_ci(&[5.0; 10]);
        assert_eq!((e.value, e.low, e.high, e.n), (5.0, 5.0, 5.0, 10));
        assert_eq!(e.relative_half_width(), 0.0);
        let r = ratio_ci(&[2.0; 5], &[3.0; 5]).unwrap();
        assert_eq!((r.value, r.low, r.high), (1.5, 1.5, 1.5));
        assert!(r.excludes(1.0));
    }

    #[test]
    fn too_few_samples_have_no_interval() {
        let e = median_ci(&[1.0, 3.0]);
        assert_eq!((e.value, e.low, e.high), (2.0, 2.0, 2.0));
        assert!(!e.has_interval() && !e.excludes(0.0));
        assert_eq!(ratio_ci(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0]), None);
    }

    #[test]
    fn the_interval_lies_within_the_sample_and_holds_the_median() {
        let xs = [9.0, 10.0, 10.5, 11.0, 11.2, 12.0, 30.0];
        let e = median_ci(&xs);
        assert_eq!(e.value, 11.0);
        assert!(e.low >= 9.0 && e.low <= 11.0 && e.high >= 11.0 && e.high <= 30.0);
        // Deterministic: the same samples give the same interval.
        assert_eq!(median_ci(&xs), e);
        // The outlier does not drag the median's interval to it.
        assert!(e.high <= 12.0, "{e:?}");
    }

    /// Over many samples from a known distribution, the 95% interval of
    /// the median covers the true median about 95% of the time.
    #[test]
    fn the_interval_covers_the_true_median_about_95_percent_of_the_time() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let trials = 400;
        let mut covered = 0;
        for _ in 0..trials {
            // Exponential with rate 1: median ln 2.
            let xs: Vec<f64> = (0..25)
                .map(|_| -(1.0 - rng.random_range(0.0..1.0f64)).ln())
                .collect();
            let e = median_ci(&xs);
            if e.low <= std::f64::consts::LN_2 && std::f64::consts::LN_2 <= e.high {
                covered += 1;
            }
        }
        let rate = covered as f64 / trials as f64;
        assert!((0.88..=0.99).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn a_ratio_interval_finds_a_real_change_and_not_a_spurious_one() {
        let a: Vec<f64> = (0..10).map(|i| 100.0 + f64::from(i)).collect();
        let b: Vec<f64> = a.iter().map(|x| x * 1.2).collect();
        let r = ratio_ci(&a, &b).unwrap();
        assert!((r.value - 1.2).abs() < 1e-12);
        assert!(r.excludes(1.0) && r.low <= 1.2 && r.high >= 1.2, "{r:?}");
        let same = ratio_ci(&a, &a.iter().rev().copied().collect::<Vec<_>>()).unwrap();
        assert_eq!(same.value, 1.0);
        assert!(!same.excludes(1.0), "{same:?}");
    }

    #[test]
    fn interleaving_runs_every_cell_once_per_round_in_a_seeded_shuffle() {
        let order = interleaved_order(5, 4, 42);
        assert_eq!(order.len(), 20);
        for round in 0..4 {
            let mut cells: Vec<usize> = order[round * 5..(round + 1) * 5]
                .iter()
                .map(|&(c, r)| {
                    assert_eq!(r, round);
                    c
                })
                .collect();
            cells.sort_unstable();
            assert_eq!(cells, [0, 1, 2, 3, 4]);
        }
        assert_eq!(order, interleaved_order(5, 4, 42));
        assert_ne!(order, interleaved_order(5, 4, 43));
        // Rounds are shuffled independently, not one order repeated.
        let firsts: Vec<Vec<usize>> = (0..4)
            .map(|r| order[r * 5..(r + 1) * 5].iter().map(|x| x.0).collect())
            .collect();
        assert!(firsts.iter().any(|f| f != &firsts[0]));
        assert!(interleaved_order(0, 3, 1).is_empty());
    }
}
