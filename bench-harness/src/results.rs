//! What a run produces, as written to `results.json` and read back by
//! `gc-bench merge`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::estimate::Estimate;
use crate::machine::Machine;
use crate::metrics::{LiveSize, MmuPoint, OldGenStats, PauseStats};

/// The format version of `results.json`.
pub const FORMAT: u32 = 1;

/// A whole `results.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    /// Always `gc-bench`.
    pub tool: String,
    /// [`FORMAT`].
    pub format: u32,
    /// The `gc-bench` version.
    pub version: String,
    /// `--jobs`: runs executed at once (above 1, they shared the machine).
    pub jobs: usize,
    /// Logical CPUs of the machine.
    pub cpus: usize,
    /// The shards these results cover, `K/N` each (empty: the whole matrix).
    pub shards: Vec<String>,
    /// The machine, toolchain, commit and command line (absent in files
    /// written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Machine>,
    /// Every collector's effective settings: all keys, resolved values.
    #[serde(default)]
    pub settings: Vec<CollectorSettings>,
    /// `--repeat`: measured repetitions of every cell (1 in older files).
    #[serde(default = "one")]
    pub repeat: u16,
    /// `--warmup`: repetitions run first and discarded.
    #[serde(default)]
    pub warmup: u16,
    /// The seed of the randomised interleaved order of the repetitions
    /// (`None` when the matrix ran once, in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_seed: Option<u64>,
    /// `--suite`, when one was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// With `--shard`: every cell of the whole matrix, in index order, as
    /// [`cell_key`] writes it, so that `merge` combines only shards of one
    /// matrix (absent without `--shard`, and in older files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matrix: Vec<String>,
    /// Every run, in matrix order.
    pub runs: Vec<RunResult>,
}

/// A cell of the matrix as [`Results::matrix`] lists it:
/// `workload/collector/parameter seed=S scale=X`.
pub fn cell_key(workload: &str, collector: &str, parameter: &str, seed: u64, scale: f64) -> String {
    format!("{workload}/{collector}/{parameter} seed={seed} scale={scale}")
}

/// The most bytes a results file (`results.json`, `sweep.json`) is read
/// to: gc-bench writes a few MiB at most, and an input that never ends
/// (`/dev/zero`) is refused here rather than read until memory runs out.
pub const MAX_RESULTS_BYTES: usize = 1 << 28;

/// Reads a results file as text, in chunks, up to [`MAX_RESULTS_BYTES`]:
/// a longer input, memory the system refuses, or a file that is not
/// UTF-8 is a one-line error.
pub fn read_text(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let fail = |what: String| format!("cannot read {}: {what}", path.display());
    let mut file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    let mut chunk = vec![0; 1 << 16];
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(e.to_string())),
        };
        if bytes.len() + n > MAX_RESULTS_BYTES {
            return Err(fail(format!(
                "longer than {MAX_RESULTS_BYTES} bytes: not gc-bench results"
            )));
        }
        bytes
            .try_reserve(n)
            .map_err(|_| fail("out of memory".into()))?;
        bytes.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(bytes).map_err(|_| fail("not UTF-8".into()))
}

/// The most repetitions of a cell `--repeat` takes, and a results file
/// may hold.
pub const MAX_REPEAT: u16 = 100;

/// Reads a `results.json` (or the one in folder `path`), checking it is
/// gc-bench's, in this format.
pub fn load(path: &std::path::Path) -> Result<Results, String> {
    let path = if path.is_file() || path.extension().is_some_and(|e| e == "json") {
        path.to_owned()
    } else {
        path.join("results.json")
    };
    let text = read_text(&path)?;
    let r: Results = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not gc-bench results: {e}", path.display()))?;
    if r.tool != "gc-bench" || r.format != FORMAT {
        return Err(format!(
            "{}: results format {} of {}, expected {} of gc-bench",
            path.display(),
            r.format,
            r.tool,
            FORMAT
        ));
    }
    // At most `--repeat`'s cap of repetitions (`diff` bootstraps over
    // them), and metrics only for a run that succeeded.
    if let Some(run) = r
        .runs
        .iter()
        .find(|run| run.repetitions.len() > usize::from(MAX_REPEAT))
    {
        return Err(format!(
            "{}: run {} (#{}) has {} repetitions, more than gc-bench's {MAX_REPEAT}",
            path.display(),
            run.id(),
            run.index,
            run.repetitions.len()
        ));
    }
    if let Some(run) = r
        .runs
        .iter()
        .find(|run| run.status != Status::Ok && run.metrics.is_some())
    {
        return Err(format!(
            "{}: run {} (#{}) failed but has metrics",
            path.display(),
            run.id(),
            run.index
        ));
    }
    // gc-bench writes the metrics of every run that succeeded.
    if let Some(run) = r
        .runs
        .iter()
        .find(|run| run.status == Status::Ok && run.metrics.is_none())
    {
        return Err(format!(
            "{}: run {} (#{}) is ok but has no metrics",
            path.display(),
            run.id(),
            run.index
        ));
    }
    Ok(r)
}

/// Nanoseconds per operation, `wall_ns / ops` (0 without operations).
pub fn ns_per_op(wall_ns: u64, ops: u64) -> f64 {
    if ops == 0 {
        0.0
    } else {
        wall_ns as f64 / ops as f64
    }
}

fn one() -> u16 {
    1
}

/// One measured repetition of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repetition {
    /// Its wall time.
    pub wall_ns: u64,
    /// Its GC time.
    pub gc_ns: u64,
    /// Its peak footprint.
    pub peak_footprint_bytes: u64,
}

/// One collector's effective settings in a set of results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorSettings {
    /// The collector's name.
    pub collector: String,
    /// `(key, value)` for every key of its configuration, resolved (sizes
    /// in bytes; see `collectors::Describe`).
    pub settings: Vec<(String, String)>,
}

/// One cell of the matrix: a workload (or trace) on a collector with a seed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    /// The workload's name, or the trace's file name.
    pub workload: String,
    /// The collector's name.
    pub collector: String,
    /// The seed (0 for a trace).
    pub seed: u64,
    /// The scale (1 for a trace).
    pub scale: f64,
    /// The workload's parameters at that scale (`depth=10`).
    pub parameter: String,
    /// Its index in the full matrix (what `--shard` slices).
    pub index: usize,
    /// `ok`, or `failed` (then `error` says why and `metrics` is absent:
    /// a run that failed verification is never reported as a result).
    pub status: Status,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether the live set was verified at the end.
    pub verified: bool,
    /// The measurements of a run that succeeded (with `--repeat`, those of
    /// the repetition with the median wall time).
    pub metrics: Option<Metrics>,
    /// With `--repeat N`: the wall time of every repetition, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repeat_wall_ns: Vec<u64>,
    /// With `--repeat N` (N ≥ 2): every measured repetition, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repetitions: Vec<Repetition>,
    /// With `--repeat N` (N ≥ 2): the median wall time and its 95% CI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall: Option<Estimate>,
    /// With `--repeat N` (N ≥ 2): the median GC time and its 95% CI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gc: Option<Estimate>,
}

impl Metrics {
    /// Space overhead: peak footprint ÷ peak live size (canonical bytes);
    /// `None` without a live size or footprint.
    pub fn space_overhead(&self) -> Option<f64> {
        let live = self.live.as_ref()?.peak_bytes;
        (live > 0 && self.peak_footprint_bytes > 0)
            .then(|| self.peak_footprint_bytes as f64 / live as f64)
    }
}

impl RunResult {
    /// The spread of the repetitions' wall times, `(max − min) / median`.
    pub fn spread(&self) -> Option<f64> {
        let v = &self.repeat_wall_ns;
        let (min, max) = (v.iter().min()?, v.iter().max()?);
        let median = self.metrics.as_ref()?.wall_ns;
        (v.len() > 1 && median > 0).then(|| (max - min) as f64 / median as f64)
    }

    /// Flags for the table: `†` when the median wall time is under
    /// [`SHORT_RUN_NS`] (timer resolution and start-up effects weigh on
    /// it), `‡` when its 95% CI is wider than ±[`WIDE_CI`].
    pub fn flags(&self) -> String {
        let Some(m) = &self.metrics else {
            return String::new();
        };
        let wall = self.wall.map_or(m.wall_ns as f64, |w| w.value);
        let mut f = String::new();
        if wall < SHORT_RUN_NS as f64 {
            f.push('†');
        }
        if self
            .wall
            .is_some_and(|w| w.has_interval() && w.relative_half_width() > WIDE_CI)
        {
            f.push('‡');
        }
        f
    }

    /// Its cell, as [`Results::matrix`] lists it.
    pub fn cell_key(&self) -> String {
        cell_key(
            &self.workload,
            &self.collector,
            &self.parameter,
            self.seed,
            self.scale,
        )
    }

    /// The bench id, `workload/collector/parameter`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.workload, self.collector, self.parameter)
    }
}

/// Runs shorter than this (50 ms) are flagged `†`.
pub const SHORT_RUN_NS: u64 = 50_000_000;
/// A 95% CI wider than ± this share of the median (5%) is flagged `‡`.
pub const WIDE_CI: f64 = 0.05;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It ran, and verification (if asked) passed.
    Ok,
    /// A trace error, a collector error, a failed `expect` or a failed
    /// verification.
    Failed,
}

/// The measurements of one run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Metrics {
    /// Operations executed.
    pub ops: u64,
    /// Wall time per operation, `wall_ns / ops` (0 in files written
    /// before it was recorded).
    #[serde(default)]
    pub ns_per_op: f64,
    /// The harness's own time per operation, measured in the run's process
    /// after the run: the same operations through the same loop into a
    /// sink that keeps only handles and slots (`exec::harness`), so
    /// `harness_ns_per_op / ns_per_op` is the share of a run's time on
    /// these operations that is not its collector's (an upper bound).
    /// `run` measures it in the first collector's run of each workload
    /// and seed (the operations are the same for every collector; the
    /// reports show it beside every run of that workload), `sweep` in
    /// every point's runs; absent elsewhere (`sweep`'s bisection probes,
    /// older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harness_ns_per_op: Option<f64>,
    /// Objects allocated.
    pub allocations: u64,
    /// Wall time of the operations (generation of the workload and the
    /// final verification excluded).
    pub wall_ns: u64,
    /// Time inside collections (the sum of the pauses).
    pub gc_ns: u64,
    /// `wall − gc`: the mutator, including whatever a strategy does inline
    /// (reference counting frees inside the mutator's operations).
    pub mutator_ns: u64,
    /// Operations per second of wall time.
    pub ops_per_sec: f64,
    /// Allocations per second of wall time.
    pub allocs_per_sec: f64,
    /// Collections by the collector's own kind (`generation-0`, `minor`, …).
    pub collections: BTreeMap<String, u64>,
    /// Pause statistics.
    pub pauses: PauseStats,
    /// The pauses of minor collections alone (kind `minor`: a nursery
    /// collector's young-generation collections), whose p99 is the figure
    /// a nursery's size is chosen by; absent for collectors that run none
    /// (and in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor_pauses: Option<PauseStats>,
    /// Pause counts per power-of-two bucket, `(lower bound ns, count)`.
    pub pause_histogram: Vec<(u64, u64)>,
    /// Minimum mutator utilisation, log-spaced windows (computed as the
    /// pauses arrive: each at most 0.001 above the exact value).
    pub mmu: Vec<MmuPoint>,
    /// The most payload bytes alive at once (the collector's count, its
    /// unreclaimed garbage included).
    pub peak_live_bytes: u64,
    /// The live size: reachable objects and their bytes in the canonical
    /// layout, the same for every collector (from the verifier's model;
    /// absent with `--no-verify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveSize>,
    /// The most bytes the collector held for objects at once, in its own
    /// layout (`Stats::footprint_bytes`, sampled every 1,024 operations,
    /// after every collection and at the end; 0 when it reports none).
    #[serde(default)]
    pub peak_footprint_bytes: u64,
    /// The most objects alive at once (sampled every 1,024 operations).
    pub peak_live_objects: u64,
    /// Live heap over time: `(ns, live payload bytes, live objects)`.
    pub heap: Vec<(u64, u64, u64)>,
    /// Peak resident set size of the process during the run, in bytes.
    pub peak_rss_bytes: Option<u64>,
    /// True when other runs shared the process (`--jobs` above 1), so the
    /// peak RSS is the process's, not this run's.
    pub rss_shared: bool,
    /// Peak resident set size of the process while the verifier checked
    /// the run (after `peak_rss_bytes` was read; the collector's final
    /// heap included), in bytes. Absent without verification, and where the
    /// kernel refuses to reset the peak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier_peak_rss_bytes: Option<u64>,
    /// Objects still allocated after the program dropped everything and a
    /// final full collection ran, beyond what the collector may rightly
    /// hold (the reachable objects, and finalized objects a strategy frees
    /// at a later collection): a pure reference counter's leaked cycles.
    /// None for a collector that never frees, and, without verification,
    /// for traces (which may keep roots); without verification a workload's
    /// figure is everything still allocated, an upper bound.
    pub leaked_objects: Option<u64>,
    /// Finalizers run, those of the final full collection included.
    pub finalizers_run: u64,
    /// Weak-reference callbacks run.
    pub weak_callbacks: u64,
    /// Bytes promoted, the old generation's peak and the page allocator's
    /// reserved and used bytes at its peak, over the run and its final full
    /// collection (as `finalizers_run`) — from collectors that report
    /// memory counters (`marksweep`); absent for the others (and in files
    /// written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_generation: Option<OldGenStats>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_overhead_is_footprint_over_peak_live_bytes() {
        let mut m = Metrics {
            peak_footprint_bytes: 300,
            ..Metrics::default()
        };
        assert_eq!(m.space_overhead(), None);
        m.live = Some(LiveSize {
            peak_objects: 2,
            peak_bytes: 120,
            samples: Vec::new(),
        });
        assert_eq!(m.space_overhead(), Some(2.5));
        m.peak_footprint_bytes = 0;
        assert_eq!(m.space_overhead(), None);
    }
}
