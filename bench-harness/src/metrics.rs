//! Summaries of a run's pauses: percentiles, a log histogram, minimum
//! mutator utilisation; the old generation's totals (from the collectors
//! that report memory counters); and the process's peak resident memory.

use gc_core::CollectDetail;
use serde::{Deserialize, Serialize};

/// A pause on the run's clock: it ended at `end_ns` and lasted `len_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// When it ended, nanoseconds from the start of the run.
    pub end_ns: u64,
    /// Its length.
    pub len_ns: u64,
}

/// Pause-time statistics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PauseStats {
    /// Collections (or steps) seen.
    pub count: u64,
    /// Their total length.
    pub total_ns: u64,
    /// Median (nearest rank).
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// The longest.
    pub max_ns: u64,
}

/// Nearest-rank percentile `p` (0–100) of sorted values (0 when empty).
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl PauseStats {
    /// The statistics of these pause lengths.
    pub fn of(lengths: &[u64]) -> PauseStats {
        let mut v = lengths.to_vec();
        v.sort_unstable();
        PauseStats {
            count: v.len() as u64,
            total_ns: v.iter().sum(),
            p50_ns: percentile(&v, 50.0),
            p90_ns: percentile(&v, 90.0),
            p99_ns: percentile(&v, 99.0),
            max_ns: v.last().copied().unwrap_or(0),
        }
    }
}

/// Pause counts in power-of-two buckets: `(lower bound ns, count)` for
/// every non-empty bucket `[2^k, 2^(k+1))` (a 0 ns pause counts in the
/// first).
pub fn histogram(lengths: &[u64]) -> Vec<(u64, u64)> {
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

/// A run's old-generation totals, from the memory counters a collector
/// reports after each collection ([`CollectDetail`], `marksweep` only).
/// Collectors that report none have no such totals (`None` in
/// [`Metrics`](crate::results::Metrics)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldGenStats {
    /// Objects copied out of the nursery during the run (its final full
    /// collection included).
    pub promoted_objects: u64,
    /// Their bytes (whole objects: header, slots and payload).
    pub promoted_bytes: u64,
    /// The largest old generation: page blocks in use plus large objects.
    pub peak_old_bytes: u64,
    /// The most memory the page allocator held (whole arenas), as measured
    /// at the end of each collection (it grows only inside minor
    /// collections, so this is its true peak).
    pub peak_pages_reserved_bytes: u64,
    /// The most bytes in use in the pages at the end of a collection with
    /// [`peak_pages_reserved_bytes`](Self::peak_pages_reserved_bytes)
    /// reserved: how well the allocator filled its largest footprint.
    pub pages_used_at_peak_bytes: u64,
}

impl OldGenStats {
    /// Adds one collection's counters.
    pub fn add(&mut self, d: &CollectDetail) {
        self.promoted_objects += d.promoted_objects;
        self.promoted_bytes += d.promoted_bytes;
        self.peak_old_bytes = self.peak_old_bytes.max(d.peak_old_bytes);
        if d.pages_reserved_bytes > self.peak_pages_reserved_bytes {
            self.peak_pages_reserved_bytes = d.pages_reserved_bytes;
            self.pages_used_at_peak_bytes = d.pages_used_bytes;
        } else if d.pages_reserved_bytes == self.peak_pages_reserved_bytes {
            self.pages_used_at_peak_bytes = self.pages_used_at_peak_bytes.max(d.pages_used_bytes);
        }
    }

    /// The page allocator's fragmentation at its peak: the share of the
    /// reserved bytes not in use, `1 − used / reserved` (`None` when it
    /// never reserved anything).
    pub fn fragmentation(&self) -> Option<f64> {
        (self.peak_pages_reserved_bytes > 0).then(|| {
            1.0 - self.pages_used_at_peak_bytes as f64 / self.peak_pages_reserved_bytes as f64
        })
    }
}

/// The live size of a run, the same for every collector: the objects
/// reachable from the program's roots, sampled at up to
/// [`LiveSize::SAMPLES`] evenly spaced points of the operation stream, in
/// objects and in bytes of the canonical layout (16-byte header, 8 bytes
/// per slot, the payload: [`crate::model::canonical_bytes`]). Computed by
/// the verifier's model, off the clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSize {
    /// The most reachable objects at a sample.
    pub peak_objects: u64,
    /// The most reachable bytes (canonical layout) at a sample.
    pub peak_bytes: u64,
    /// `(operations executed, reachable objects, reachable bytes)`.
    pub samples: Vec<(u64, u64, u64)>,
}

impl LiveSize {
    /// Samples taken over a run (at most; one every `ceil(ops / SAMPLES)`
    /// operations).
    pub const SAMPLES: u64 = 64;

    /// The sampling interval for a run of `ops` operations.
    pub fn interval(ops: u64) -> u64 {
        ops.div_ceil(Self::SAMPLES).max(1)
    }

    /// Adds a sample.
    pub fn add(&mut self, ops: u64, objects: u64, bytes: u64) {
        self.peak_objects = self.peak_objects.max(objects);
        self.peak_bytes = self.peak_bytes.max(bytes);
        self.samples.push((ops, objects, bytes));
    }
}

/// Minimum mutator utilisation at one window size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MmuPoint {
    /// The window, in nanoseconds.
    pub window_ns: u64,
    /// The smallest fraction of any window of that size left to the
    /// mutator (1 = never paused, 0 = some window was all collection).
    pub mmu: f64,
}

/// Pauses laid out as disjoint, sorted intervals `[start, end)` within
/// `[0, total]` (pause ends are observed just after the operation that
/// collected, so neighbours are clipped rather than overlapped).
fn intervals(pauses: &[Pause], total_ns: u64) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = Vec::with_capacity(pauses.len());
    let mut last_end = 0;
    let mut sorted = pauses.to_vec();
    sorted.sort_by_key(|p| p.end_ns);
    for p in sorted {
        let end = p.end_ns.min(total_ns).max(last_end);
        let start = end.saturating_sub(p.len_ns).max(last_end);
        if end > start {
            v.push((start, end));
        }
        last_end = end;
    }
    v
}

/// Collection time in `[0, t)` given disjoint sorted intervals and their
/// prefix sums.
fn gc_before(iv: &[(u64, u64)], prefix: &[u64], t: u64) -> u64 {
    // Intervals starting before t.
    let n = iv.partition_point(|&(s, _)| s < t);
    if n == 0 {
        return 0;
    }
    let (s, e) = iv[n - 1];
    prefix[n - 1] + (e.min(t) - s)
}

/// MMU at `window_ns` for a run of `total_ns` (None when the window is
/// longer than the run).
pub fn mmu(pauses: &[Pause], total_ns: u64, window_ns: u64) -> Option<f64> {
    if window_ns == 0 || window_ns > total_ns {
        return None;
    }
    let iv = intervals(pauses, total_ns);
    if iv.is_empty() {
        return Some(1.0);
    }
    let mut prefix = Vec::with_capacity(iv.len());
    let mut acc = 0;
    for &(s, e) in &iv {
        prefix.push(acc);
        acc += e - s;
    }
    let last_start = total_ns - window_ns;
    let mut worst = 0u64;
    for &(s, e) in &iv {
        // The worst window starts at a pause's start or ends at a pause's end.
        for start in [
            s.min(last_start),
            e.saturating_sub(window_ns).min(last_start),
        ] {
            let gc = gc_before(&iv, &prefix, start + window_ns) - gc_before(&iv, &prefix, start);
            worst = worst.max(gc);
        }
    }
    Some(1.0 - worst.min(window_ns) as f64 / window_ns as f64)
}

/// An MMU curve: log-spaced windows from 10 µs up to the run's length.
pub fn mmu_curve(pauses: &[Pause], total_ns: u64) -> Vec<MmuPoint> {
    let mut out = Vec::new();
    for k in 0.. {
        // Four points per decade, exact at the decades (1 ms, 10 ms, …).
        let w = (10_000f64 * 10f64.powf(f64::from(k) / 4.0)).round() as u64;
        match mmu(pauses, total_ns, w) {
            Some(m) => out.push(MmuPoint {
                window_ns: w,
                mmu: m,
            }),
            None => break,
        }
    }
    out
}

/// The process's peak resident set size (`VmHWM`), in bytes.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the process's peak RSS to its current RSS (Linux ≥ 4.0:
/// `echo 5 > /proc/self/clear_refs`); false when the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(end_ns: u64, len_ns: u64) -> Pause {
        Pause { end_ns, len_ns }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        let s = PauseStats::of(&v);
        assert_eq!((s.p50_ns, s.p90_ns, s.p99_ns, s.max_ns), (50, 90, 99, 100));
        assert_eq!(s.total_ns, 5050);
        assert_eq!(PauseStats::of(&[]).p99_ns, 0);
        assert_eq!(PauseStats::of(&[7]).p50_ns, 7);
    }

    #[test]
    fn histogram_buckets_are_powers_of_two() {
        assert_eq!(
            histogram(&[0, 1, 2, 3, 4, 1000]),
            [(1, 2), (2, 2), (4, 1), (512, 1)]
        );
    }

    #[test]
    fn mmu_of_known_pause_patterns() {
        // No pauses: the mutator always runs.
        assert_eq!(mmu(&[], 1000, 100), Some(1.0));
        // One 50 ns pause in 1000: a 100 ns window holding it is half GC.
        assert_eq!(mmu(&[p(550, 50)], 1000, 100), Some(0.5));
        // A window shorter than the pause is all GC.
        assert_eq!(mmu(&[p(550, 50)], 1000, 40), Some(0.0));
        // Two pauses of 10 ns, 20 ns apart: a 40 ns window can hold both.
        assert_eq!(mmu(&[p(110, 10), p(140, 10)], 1000, 40), Some(0.5));
        // The whole run as the window: total GC share.
        assert!((mmu(&[p(110, 10), p(140, 10)], 1000, 1000).unwrap() - 0.98).abs() < 1e-12);
        assert_eq!(mmu(&[p(10, 5)], 100, 200), None);
    }

    #[test]
    fn mmu_curve_goes_from_zero_to_the_overall_share() {
        let pauses: Vec<Pause> = (1..100).map(|i| p(i * 1_000_000, 200_000)).collect();
        let c = mmu_curve(&pauses, 100_000_000);
        assert!(c.len() > 10);
        assert_eq!(c[0].mmu, 0.0);
        assert!((c.last().unwrap().mmu - 0.802).abs() < 0.01);
    }

    #[test]
    fn old_generation_totals_sum_promotions_and_keep_peaks() {
        let d = |promoted: u64, old: u64, reserved: u64, used: u64| CollectDetail {
            promoted_objects: promoted / 8,
            promoted_bytes: promoted,
            old_bytes: old,
            peak_old_bytes: old,
            pages_reserved_bytes: reserved,
            pages_used_bytes: used,
            large_bytes: 0,
        };
        let mut s = OldGenStats::default();
        assert_eq!(s.fragmentation(), None);
        for x in [
            d(80, 100, 512, 100),
            d(800, 900, 1024, 700),
            d(0, 900, 1024, 900),
            d(0, 300, 1024, 200),
        ] {
            s.add(&x);
        }
        assert_eq!(
            s,
            OldGenStats {
                promoted_objects: 110,
                promoted_bytes: 880,
                peak_old_bytes: 900,
                peak_pages_reserved_bytes: 1024,
                pages_used_at_peak_bytes: 900,
            }
        );
        assert!((s.fragmentation().unwrap() - 124.0 / 1024.0).abs() < 1e-12);
    }

    #[test]
    fn peak_rss_is_readable_here() {
        assert!(peak_rss().unwrap() > 0);
    }
}
