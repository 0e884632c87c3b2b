//! A run's pauses, summarised as they arrive in memory that does not grow
//! with the run: an HDR histogram of their lengths (percentiles and the
//! power-of-two histogram), their exact count, total and maximum, and the
//! streaming MMU curve.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::mmu::{MmuPoint, StreamingMmu};

/// Significant decimal digits of the pause-length histogram: a percentile
/// is reported at most 1/1024 (< 0.1 %) above the exact nearest-rank value,
/// and exactly below 2,048 ns.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// The longest pause length the histogram tells apart (1 hour); longer
/// ones count as 1 hour in the percentiles and the histogram (the count,
/// total and maximum stay exact).
pub const HIGHEST_NS: u64 = 3_600_000_000_000;

/// Pauses recorded but not yet added to the summaries, at most.
const PENDING: usize = 16 * 1024;

/// Pause-time statistics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PauseStats {
    /// Collections (or steps) seen.
    pub count: u64,
    /// Their total length.
    pub total_ns: u64,
    /// Median (nearest rank, from the histogram: at most 1/1024 above the
    /// exact value, see [`SIGNIFICANT_DIGITS`]).
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// The longest.
    pub max_ns: u64,
}

/// What a run's pauses come to.
#[derive(Clone, Debug, PartialEq)]
pub struct PauseSummary {
    /// Count, total, percentiles and maximum.
    pub stats: PauseStats,
    /// Pause counts per power-of-two bucket, `(lower bound ns, count)`, for
    /// every non-empty bucket `[2^k, 2^(k+1))` (a 0 ns pause counts in the
    /// first).
    pub histogram: Vec<(u64, u64)>,
    /// The MMU curve (see [`super::mmu`] for its resolution).
    pub mmu: Vec<MmuPoint>,
}

/// A run's pauses.
///
/// [`record`](Self::record) only stores the pause (cheap enough for the
/// run's clock); the summaries take it in at [`flush`](Self::flush), which
/// the caller may run off the clock, or by themselves once
/// 16,384 pauses wait.
#[derive(Clone, Debug)]
pub struct PauseLog {
    /// `(end ns, length ns)` not yet summarised.
    pending: Vec<(u64, u64)>,
    lengths: Histogram<u64>,
    count: u64,
    total_ns: u64,
    max_ns: u64,
    mmu: StreamingMmu,
}

impl Default for PauseLog {
    fn default() -> Self {
        PauseLog {
            pending: Vec::new(),
            lengths: Histogram::new_with_bounds(1, HIGHEST_NS, SIGNIFICANT_DIGITS)
                .expect("1 ns ..= 1 h at 3 significant digits is a valid histogram"),
            count: 0,
            total_ns: 0,
            max_ns: 0,
            mmu: StreamingMmu::default(),
        }
    }
}

impl PauseLog {
    /// A pause of `len_ns` that ended at `end_ns` on the run's clock (in
    /// the order the pauses ended).
    pub fn record(&mut self, end_ns: u64, len_ns: u64) {
        if self.pending.len() == PENDING {
            self.flush();
        }
        self.pending.push((end_ns, len_ns));
    }

    /// Adds the pending pauses to the summaries.
    pub fn flush(&mut self) {
        for &(end, len) in &self.pending {
            self.lengths.saturating_record(len);
            self.count += 1;
            self.total_ns = self.total_ns.saturating_add(len);
            self.max_ns = self.max_ns.max(len);
            self.mmu.add(end, len);
        }
        self.pending.clear();
    }

    /// The summaries, for a run of `total_ns`.
    pub fn summary(&mut self, total_ns: u64) -> PauseSummary {
        self.flush();
        PauseSummary {
            stats: self.stats(),
            histogram: self.histogram(),
            mmu: self.mmu.curve(total_ns),
        }
    }

    /// The count, total, percentiles and maximum; `None` when no pause
    /// was recorded (for a log of one kind of pause, such as the minor
    /// collections').
    pub fn stats_if_any(&mut self) -> Option<PauseStats> {
        self.flush();
        (self.count > 0).then(|| self.stats())
    }

    /// Nearest-rank percentile `p` (0–100) from the histogram, no more
    /// than the longest pause (0 when there is none).
    fn percentile(&self, p: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        self.lengths.value_at_percentile(p).min(self.max_ns)
    }

    fn stats(&self) -> PauseStats {
        PauseStats {
            count: self.count,
            total_ns: self.total_ns,
            p50_ns: self.percentile(50.0),
            p90_ns: self.percentile(90.0),
            p99_ns: self.percentile(99.0),
            max_ns: self.max_ns,
        }
    }

    /// The power-of-two histogram: the histogram's value ranges never
    /// straddle a power of two, so its counts are exact.
    fn histogram(&self) -> Vec<(u64, u64)> {
        let mut buckets = [0u64; 64];
        for v in self.lengths.iter_recorded() {
            let k = 63 - v.value_iterated_to().max(1).leading_zeros() as usize;
            buckets[k] += v.count_at_value();
        }
        buckets
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(k, c)| (1u64 << k, *c))
            .collect()
    }

    /// Bytes held on the heap: allocated capacity, which stops growing
    /// once 16,384 pauses have waited at once.
    pub fn footprint(&self) -> usize {
        self.pending.capacity() * std::mem::size_of::<(u64, u64)>()
            + self.lengths.distinct_values() * std::mem::size_of::<u64>()
            + self.mmu.footprint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Exact nearest-rank percentile `p` (0–100) of sorted values (0 when
    /// empty): the oracle.
    fn percentile(sorted: &[u64], p: f64) -> u64 {
        if sorted.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    /// Exact power-of-two histogram: the oracle.
    fn histogram(lengths: &[u64]) -> Vec<(u64, u64)> {
        let mut buckets = [0u64; 64];
        for &l in lengths {
            buckets[(63 - l.max(1).leading_zeros()) as usize] += 1;
        }
        buckets
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(k, c)| (1u64 << k, *c))
            .collect()
    }

    fn log_of(lengths: &[u64]) -> PauseSummary {
        let mut log = PauseLog::default();
        for (i, &l) in lengths.iter().enumerate() {
            log.record(i as u64 * 10_000, l);
        }
        log.summary(lengths.len() as u64 * 10_000)
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        let s = log_of(&v).stats;
        assert_eq!((s.p50_ns, s.p90_ns, s.p99_ns, s.max_ns), (50, 90, 99, 100));
        assert_eq!((s.count, s.total_ns), (100, 5050));
        assert_eq!(log_of(&[]).stats, PauseStats::default());
        assert_eq!(log_of(&[7]).stats.p50_ns, 7);
    }

    #[test]
    fn percentiles_are_within_the_stated_precision() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            let n = rng.random_range(1..5_000);
            let top = 10u64.pow(rng.random_range(1..12));
            let mut v: Vec<u64> = (0..n).map(|_| rng.random_range(0..top)).collect();
            let s = log_of(&v).stats;
            v.sort_unstable();
            assert_eq!(s.count, n);
            assert_eq!(s.total_ns, v.iter().sum::<u64>());
            assert_eq!(s.max_ns, *v.last().unwrap());
            for (p, got) in [(50.0, s.p50_ns), (90.0, s.p90_ns), (99.0, s.p99_ns)] {
                let exact = percentile(&v, p);
                assert!(
                    got >= exact && got <= exact + exact / 1024,
                    "p{p}: {got} vs {exact}"
                );
                if exact < 2048 {
                    assert_eq!(got, exact);
                }
            }
        }
    }

    #[test]
    fn histogram_buckets_are_powers_of_two_and_exact() {
        assert_eq!(
            log_of(&[0, 1, 2, 3, 4, 1000]).histogram,
            [(1, 2), (2, 2), (4, 1), (512, 1)]
        );
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let v: Vec<u64> = (0..20_000)
            .map(|_| {
                let k = rng.random_range(0..41);
                // Powers of two, their neighbours, and values between.
                match rng.random_range(0..3) {
                    0 => 1u64 << k,
                    1 => (1u64 << k) - 1,
                    _ => rng.random_range(1u64 << k..2u64 << k),
                }
            })
            .collect();
        assert_eq!(log_of(&v).histogram, histogram(&v));
    }

    #[test]
    fn pauses_beyond_the_range_count_as_the_highest() {
        let s = log_of(&[5, 2 * HIGHEST_NS]);
        assert_eq!(s.stats.max_ns, 2 * HIGHEST_NS);
        assert_eq!(s.stats.total_ns, 5 + 2 * HIGHEST_NS);
        let p99 = s.stats.p99_ns;
        assert!((HIGHEST_NS..HIGHEST_NS + HIGHEST_NS / 1024).contains(&p99));
        assert_eq!(s.histogram, [(4, 1), (1 << 41, 1)]);
    }

    #[test]
    fn memory_does_not_grow_with_the_number_of_pauses() {
        // Ten million pauses of 1 ns to 10 ms, with gaps of 0 to 100 µs.
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let mut log = PauseLog::default();
        let mut now = 0u64;
        let mut pause = |log: &mut PauseLog| {
            let len = 10u64.pow(rng.random_range(0..8)) * rng.random_range(1..10) / 10;
            now += len + rng.random_range(0..100_000);
            log.record(now, len);
        };
        for _ in 0..100_000 {
            pause(&mut log);
        }
        let warm = log.footprint();
        for i in 0..10_000_000u64 {
            pause(&mut log);
            if i % 1_000_000 == 0 {
                assert_eq!(log.footprint(), warm, "after {i} more pauses");
            }
        }
        let s = log.summary(now);
        assert_eq!(log.footprint(), warm);
        assert_eq!(s.stats.count, 10_100_000);
        assert!(s.mmu.len() > 20 && s.mmu[0].mmu == 0.0);
    }
}
