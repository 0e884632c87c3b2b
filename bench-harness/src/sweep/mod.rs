//! `gc-bench sweep`: the time–space trade-off of each collector on a
//! workload, under one memory budget or along its own knob.
//!
//! - A collector that can honour a heap budget (`marksweep`, through
//!   `max_heap`, the most bytes of old generation it may hold) first has
//!   the workload's **minimum heap** found by [`bisect`]: the smallest
//!   budget at which the run completes without `OutOfMemory` (every probe
//!   is a verified run). It is then run at each heap factor × that
//!   minimum (DaCapo's and MMTk's heap-factor sweeps; Blackburn et al.
//!   2004).
//! - A collector without a budget sweeps its own time–space knob:
//!   `generational` its `threshold0` over [`GENERATIONAL_THRESHOLDS`]
//!   (CPython's default is 700); `refcount` and `null` are one point each.
//!
//! Every point records its wall time, GC time and peak footprint
//! (medians over `--repeat`), its lower-bound overhead against the least
//! `wall − gc` of every point of the workload ([`crate::lbo`]), and
//! whether it is on the **Pareto frontier** ([`pareto`]): no other point
//! of the workload is at least as fast with at most the footprint.

pub mod plot;
pub mod report;

use serde::{Deserialize, Serialize};

use crate::estimate::Estimate;
use crate::machine::Machine;
use crate::results::{CollectorSettings, Repetition};

/// The default heap factors (multiples of the minimum heap).
pub const HEAP_FACTORS: [f64; 6] = [1.25, 1.5, 2.0, 3.0, 4.0, 6.0];
/// The `threshold0` values `generational` is swept over: from 100
/// (collect generation 0 every 100 net container allocations: small heap,
/// many collections) to 20,000 (few collections, more garbage held).
pub const GENERATIONAL_THRESHOLDS: [u64; 6] = [100, 300, 700, 2_000, 5_000, 20_000];
/// Bisection stops when the bracket is narrower than this share of its
/// upper end (1%).
pub const BISECTION_TOLERANCE: f64 = 0.01;
/// … or than this many bytes.
pub const BISECTION_GRANULE: u64 = 4096;

/// One probe of the bisection: a budget and whether the run completed.
pub type Probe = (u64, bool);

/// Finds the smallest feasible budget in `(lo, hi]` by bisection, given
/// that `hi` is feasible and `lo` is not (neither is probed again):
/// probes midpoints until the bracket is narrower than `tolerance × hi`
/// or [`BISECTION_GRANULE`] bytes. Returns the smallest feasible budget
/// probed (`hi` itself when the bracket is already narrow) and every
/// probe in order. Assumes feasibility is monotone in the budget, as it
/// is for an old-generation limit up to the timing of collections: the
/// result is a budget at which a verified run completed, whatever the
/// shape.
pub fn bisect(
    mut lo: u64,
    mut hi: u64,
    tolerance: f64,
    mut feasible: impl FnMut(u64) -> Result<bool, String>,
) -> Result<(u64, Vec<Probe>), String> {
    let mut probes = Vec::new();
    while hi > lo && (hi - lo) as f64 > (tolerance * hi as f64).max(BISECTION_GRANULE as f64) {
        let mid = lo + (hi - lo) / 2;
        let ok = feasible(mid)?;
        probes.push((mid, ok));
        if ok {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok((hi, probes))
}

/// Which points are on the Pareto frontier of (footprint, time), both to
/// be minimised: a point is on it when no other point has at most its
/// footprint and at most its time, and less of one. Ties stay on it.
pub fn pareto(points: &[(f64, f64)]) -> Vec<bool> {
    points
        .iter()
        .map(|&(x, y)| {
            !points
                .iter()
                .any(|&(a, b)| a <= x && b <= y && (a < x || b < y))
        })
        .collect()
}

/// One point of a sweep: a collector at one setting.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Point {
    /// The collector.
    pub collector: String,
    /// What was set: `max_heap=…` (with its factor), `threshold0=…`, or
    /// `default`.
    pub setting: String,
    /// The `--config` pairs of this point.
    pub config: Vec<(String, String)>,
    /// The heap factor (budget ÷ minimum heap), for budgeted collectors.
    pub heap_factor: Option<f64>,
    /// Median wall time with its CI.
    pub wall: Estimate,
    /// Median GC time with its CI.
    pub gc: Estimate,
    /// Wall time per operation of the run with the median wall time (0 in
    /// files written before it was recorded).
    #[serde(default)]
    pub ns_per_op: f64,
    /// The harness's own time per operation, the median over the
    /// repetitions (`Metrics::harness_ns_per_op`; absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harness_ns_per_op: Option<f64>,
    /// Median peak footprint (bytes the collector held).
    pub footprint_bytes: u64,
    /// The live size's peak (canonical bytes), the same for every point.
    pub live_bytes: u64,
    /// Collections of each kind, of the median run.
    pub collections: String,
    /// Lower-bound overhead: `wall / baseline − 1`.
    pub lbo: Option<f64>,
    /// On the (footprint, wall) Pareto frontier of its workload.
    pub pareto: bool,
    /// Every repetition's wall time, GC time and peak footprint, in the
    /// order they ran (what `gc-bench diff` resamples; absent in files
    /// written before it was recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repetitions: Vec<Repetition>,
}

/// The minimum heap of a budgeted collector on a workload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MinHeap {
    /// The collector.
    pub collector: String,
    /// The smallest budget (`max_heap` bytes) at which a verified run
    /// completed.
    pub bytes: u64,
    /// The old generation's peak without a budget (the first upper bound).
    pub unbounded_peak_old_bytes: u64,
    /// Every probe, in order: (budget, completed).
    pub probes: Vec<Probe>,
}

/// A workload's sweep.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkloadSweep {
    /// The workload.
    pub workload: String,
    /// Its parameters at the scale run.
    pub parameter: String,
    /// The minimum heaps found.
    pub min_heaps: Vec<MinHeap>,
    /// Every point that completed.
    pub points: Vec<Point>,
    /// Points that failed, with why.
    pub failures: Vec<String>,
}

/// A whole `sweep.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepResults {
    /// Always `gc-bench sweep`.
    pub tool: String,
    /// The `gc-bench` version.
    pub version: String,
    /// The machine, toolchain, commit and command line.
    pub machine: Machine,
    /// The collectors' settings apart from what the sweep sets.
    pub settings: Vec<CollectorSettings>,
    /// The heap factors.
    pub heap_factors: Vec<f64>,
    /// `generational`'s `threshold0` values.
    pub generational_thresholds: Vec<u64>,
    /// Repetitions per point.
    pub repeat: u16,
    /// The seed of the random order of the repetitions (rounds of every
    /// point, each round shuffled).
    pub order_seed: u64,
    /// The scale and seed every run used.
    pub scale: f64,
    /// The seed.
    pub seed: u64,
    /// One per workload.
    pub workloads: Vec<WorkloadSweep>,
}

impl SweepResults {
    /// Reads a `sweep.json`, or the one in a folder written by `sweep
    /// --out`.
    pub fn load(path: &std::path::Path) -> Result<SweepResults, String> {
        let path = if path.is_dir() {
            path.join("sweep.json")
        } else {
            path.to_owned()
        };
        let text = crate::results::read_text(&path)?;
        let s: SweepResults = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a gc-bench sweep: {e}", path.display()))?;
        if s.tool != TOOL {
            return Err(format!(
                "{}: written by {:?}, expected {TOOL:?}",
                path.display(),
                s.tool
            ));
        }
        let max = usize::from(crate::results::MAX_REPEAT);
        if let Some((w, p)) = s
            .workloads
            .iter()
            .flat_map(|w| w.points.iter().map(move |p| (w, p)))
            .find(|(_, p)| p.repetitions.len() > max)
        {
            return Err(format!(
                "{}: point {}/{} {} has {} repetitions, more than gc-bench's {max}",
                path.display(),
                w.workload,
                p.collector,
                p.setting,
                p.repetitions.len()
            ));
        }
        Ok(s)
    }
}

/// The `tool` field of every `sweep.json`.
pub const TOOL: &str = "gc-bench sweep";

/// Fills in each point's LBO (against the least `wall − gc` of the
/// workload's points) and Pareto flag.
pub fn finish(w: &mut WorkloadSweep) {
    let baseline = w
        .points
        .iter()
        .map(|p| (p.wall.value - p.gc.value).max(0.0))
        .fold(f64::INFINITY, f64::min);
    let frontier = pareto(
        &w.points
            .iter()
            .map(|p| (p.footprint_bytes as f64, p.wall.value))
            .collect::<Vec<_>>(),
    );
    for (p, on) in w.points.iter_mut().zip(frontier) {
        p.lbo = (baseline.is_finite() && baseline > 0.0).then(|| p.wall.value / baseline - 1.0);
        p.pareto = on;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_the_threshold_within_tolerance() {
        let need = 1_234_567u64;
        let mut calls = 0;
        let (found, probes) = bisect(0, 8_000_000, 0.01, |b| {
            calls += 1;
            Ok(b >= need)
        })
        .unwrap();
        assert!(found >= need, "{found}");
        assert!(
            (found - need) as f64 <= 0.01 * found as f64 + 1.0,
            "{found}"
        );
        assert_eq!(probes.len(), calls);
        assert!(calls <= 12, "{calls} probes");
        // Every probe is on the right side of the threshold.
        assert!(probes.iter().all(|&(b, ok)| ok == (b >= need)));
        // The answer is the smallest feasible probe.
        let least = probes.iter().filter(|p| p.1).map(|p| p.0).min().unwrap();
        assert_eq!(found, least);
    }

    #[test]
    fn bisection_of_a_narrow_bracket_probes_nothing_and_errors_propagate() {
        let (found, probes) = bisect(10_000, 12_000, 0.01, |_| Ok(true)).unwrap();
        assert_eq!((found, probes.len()), (12_000, 0));
        let e = bisect(0, 1 << 30, 0.01, |_| Err("crashed".to_owned())).unwrap_err();
        assert_eq!(e, "crashed");
        // A granule-sized answer: stops within 4 KiB.
        let (found, _) = bisect(0, 1 << 20, 0.0, |b| Ok(b >= 100)).unwrap();
        assert!((100..=100 + BISECTION_GRANULE).contains(&found), "{found}");
    }

    #[test]
    fn pareto_keeps_the_points_nothing_beats() {
        let pts = [
            (10.0, 100.0), // smallest footprint: on it
            (20.0, 50.0),  // on it
            (25.0, 60.0),  // dominated by (20, 50)
            (40.0, 20.0),  // on it
            (40.0, 20.0),  // a tie: on it too
            (50.0, 20.0),  // dominated by (40, 20)
        ];
        assert_eq!(pareto(&pts), [true, true, false, true, true, false]);
        assert!(pareto(&[]).is_empty());
    }

    fn point(wall: f64, gc: f64, footprint: u64) -> Point {
        let e = |v| Estimate {
            value: v,
            low: v,
            high: v,
            n: 1,
        };
        Point {
            collector: "c".into(),
            setting: "default".into(),
            config: Vec::new(),
            heap_factor: None,
            wall: e(wall),
            gc: e(gc),
            ns_per_op: 0.0,
            harness_ns_per_op: None,
            footprint_bytes: footprint,
            live_bytes: 1,
            collections: String::new(),
            lbo: None,
            pareto: false,
            repetitions: Vec::new(),
        }
    }

    #[test]
    fn finishing_a_sweep_sets_lbo_against_the_least_mutator_time() {
        let mut w = WorkloadSweep {
            workload: "w".into(),
            parameter: String::new(),
            min_heaps: Vec::new(),
            points: vec![
                point(100.0, 50.0, 10),
                point(80.0, 0.0, 20),
                point(90.0, 10.0, 30),
            ],
            failures: Vec::new(),
        };
        finish(&mut w);
        // Baseline: min(50, 80, 80) = 50.
        for (p, want) in w.points.iter().zip([1.0, 0.6, 0.8]) {
            assert!((p.lbo.unwrap() - want).abs() < 1e-12, "{:?}", p.lbo);
        }
        let frontier: Vec<bool> = w.points.iter().map(|p| p.pareto).collect();
        assert_eq!(frontier, [true, true, false]);
    }
}
