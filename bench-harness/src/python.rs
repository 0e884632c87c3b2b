//! `py:FILE.py` workloads: a Python program run by gc-py's evaluator, with
//! every object in the collector of the cell, measured like any workload.
//!
//! A program is not an operation stream, so there is nothing to replay
//! into the verifier's model. gc-py checks its end instead: after full
//! collections (on the strategies that collect cycles), the objects the
//! program can still reach from its roots must be exactly the live ones
//! (refcount and null: at least the live ones, the rest counted as
//! leaked); a mismatch fails the run. Its "operations" are the statements
//! executed, and a pause is placed at the end of the statement during
//! which its collection ran. The program's output is discarded; an error
//! in it (its exit status is not 0) fails the run, with gc-py's message on
//! the child's stderr.

use std::collections::BTreeMap;
use std::path::Path;

use crate::collectors::CollectorName;
use crate::metrics::{self, MINOR, PauseLog};
use crate::results::Metrics;

/// What a `--workload` starts with to name a Python program.
pub const PREFIX: &str = "py:";

/// Runs the program at `path` on `collector` with `pairs` and measures it.
pub fn run(
    collector: CollectorName,
    pairs: &[(String, String)],
    path: &Path,
) -> Result<Metrics, String> {
    let name = collector.name();
    let strategy = gc_py::CollectorName::from_name(name)
        .ok_or_else(|| format!("gc-py cannot run on the `{name}` collector"))?;
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("can't open file '{}': {e}", path.display()))?;
    let rss_reset = metrics::reset_peak_rss();
    let o = gc_py::run_traced(strategy, pairs, &path.display().to_string(), &source);
    let peak_rss = metrics::peak_rss();
    if o.status != 0 {
        return Err(format!(
            "{} exited with status {} on {name}",
            path.display(),
            o.status
        ));
    }
    let end = match o.end_check {
        Some(Ok(end)) => end,
        Some(Err(e)) => return Err(format!("{}: the live set at the end: {e}", path.display())),
        None => {
            return Err(format!(
                "{}: the live set at the end was not checked",
                path.display()
            ));
        }
    };
    let wall_ns = o.wall.as_nanos() as u64;
    let s = o.stats;
    let mut log = PauseLog::default();
    let mut minor = PauseLog::default();
    for &(end_ns, len_ns, kind) in &o.collections {
        log.record(end_ns.min(wall_ns), len_ns);
        if kind == MINOR {
            minor.record(end_ns.min(wall_ns), len_ns);
        }
    }
    let pauses = log.summary(wall_ns);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for &(_, _, kind) in &o.collections {
        *kinds.entry(kind.to_owned()).or_default() += 1;
    }
    let secs = (wall_ns as f64 / 1e9).max(1e-9);
    Ok(Metrics {
        ops: o.statements,
        ns_per_op: crate::results::ns_per_op(wall_ns, o.statements),
        harness_ns_per_op: None,
        allocations: s.allocated,
        wall_ns,
        gc_ns: s.gc_time_ns,
        mutator_ns: wall_ns.saturating_sub(s.gc_time_ns),
        ops_per_sec: o.statements as f64 / secs,
        allocs_per_sec: s.allocated as f64 / secs,
        collections: kinds,
        pauses: pauses.stats,
        minor_pauses: minor.stats_if_any(),
        pause_histogram: pauses.histogram,
        mmu: pauses.mmu,
        peak_live_bytes: s.peak_live_bytes,
        // No verifier model for a program: no collector-independent live
        // size. The footprint is the one at the program's end (gc-py does
        // not sample it during the run), a lower bound of the peak.
        live: None,
        peak_footprint_bytes: s.footprint_bytes,
        peak_live_objects: o.samples.iter().map(|x| x.2).max().unwrap_or(0),
        heap: o.samples,
        peak_rss_bytes: peak_rss,
        rss_shared: !rss_reset,
        verifier_peak_rss_bytes: None,
        leaked_objects: Some(end.unreachable),
        finalizers_run: s.finalized,
        weak_callbacks: s.weak_callbacks,
        old_generation: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundled_program_runs_on_every_collector() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../gc-py/examples/bank_simulation.py");
        for c in CollectorName::ALL {
            let m = run(c, &[], &path).unwrap_or_else(|e| panic!("{}: {e}", c.name()));
            assert!(m.ops > 1000, "{}: {} statements", c.name(), m.ops);
            assert!(m.allocations > 1000);
            if c.name() == "generational" || c.name() == "marksweep" {
                assert_eq!(m.leaked_objects, Some(0), "{}", c.name());
            }
            if c.name() != "null" && c.name() != "refcount" {
                // The program calls gc.collect() at each of its 8 failures.
                assert!(m.pauses.count >= 8, "{}: {:?}", c.name(), m.pauses);
            }
        }
    }

    #[test]
    fn the_end_is_checked_and_leaks_counted() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../gc-py/examples/seed1_node_cycle.py");
        let leaked = |c| run(c, &[], &path).unwrap().leaked_objects;
        // Node('A') and Node('B') and their names: left in a cycle.
        assert_eq!(leaked(CollectorName::Refcount), Some(4));
        assert_eq!(leaked(CollectorName::Generational), Some(0));
        assert_eq!(leaked(CollectorName::Marksweep), Some(0));
    }

    #[test]
    fn a_failing_program_fails_the_run() {
        let dir = std::env::temp_dir().join(format!("gc-bench-py-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.py");
        std::fs::write(&path, "x = 1 // 0\n").unwrap();
        let r = run(CollectorName::Generational, &[], &path);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(r.unwrap_err().contains("exited with status 1"));
    }
}
