//! Summaries of a run's pauses: percentiles, a log histogram, minimum
//! mutator utilisation, all kept as the pauses arrive in memory that does
//! not grow with the run ([`PauseLog`]); the old generation's totals (from
//! the collectors that report memory counters); and the process's peak
//! resident memory.

use gc_core::CollectDetail;
use serde::{Deserialize, Serialize};

pub mod mmu;
mod pause_log;

pub use mmu::MmuPoint;
pub use pause_log::{HIGHEST_NS, PauseLog, PauseStats, PauseSummary, SIGNIFICANT_DIGITS};

/// The kind of collection whose pauses are also summarised alone
/// ([`Metrics::minor_pauses`](crate::results::Metrics::minor_pauses)):
/// marksweep's minor collections (gc-py's on marksweep too).
pub const MINOR: &str = gc_marksweep::IncMiniMark::MINOR.name();

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
