//! Lower-bound overhead (LBO; Cai, Blackburn, Bond and Maas, "Distilling
//! the real cost of production garbage collectors", ISPASS 2022).
//!
//! The cost of a run with an ideal collector — one that costs nothing — is
//! unknown, but bounded: every run's wall time minus the GC time it can
//! explicitly identify is at least the cost of the program without a
//! collector, so the **minimum over every collector and setting** of
//! `wall − gc` approximates the ideal collector's cost from above. Each
//! run's overhead is measured against it: `wall / baseline − 1`. Because
//! the baseline is an upper bound of the ideal cost, every overhead is a
//! lower bound of the true one.
//!
//! What the bound leaves out: a collector's "GC time" here is the sum of
//! its pauses. Reference counting (`refcount`, and the counting half of
//! `generational`) does its work inside the mutator's operations — count
//! updates on every reference write and release, frees at count zero — so
//! none of that is GC time: their `wall − gc` includes all of it. That
//! makes their `wall − gc` an overestimate of the program's own cost: the
//! baseline (a minimum) then comes from another collector, and their own
//! overhead is still a lower bound, just a looser one. Likewise, barriers
//! and allocation-path costs of every collector count as mutator time;
//! `null`'s `wall − gc` is its wall time (it never collects), which
//! includes the cache misses of never reusing memory.

use crate::results::RunResult;

/// The LBO baseline of each run's workload (same workload, seed and
/// scale): the minimum of `wall − gc` over every successful run; `None`
/// for a failed run.
pub fn baselines(runs: &[RunResult]) -> Vec<Option<u64>> {
    runs.iter()
        .map(|r| {
            r.metrics.as_ref()?;
            runs.iter()
                .filter(|b| b.workload == r.workload && b.seed == r.seed && b.scale == r.scale)
                .filter_map(|b| b.metrics.as_ref())
                .map(|m| m.wall_ns.saturating_sub(m.gc_ns))
                .min()
        })
        .collect()
}

/// Each run's lower-bound overhead, `wall / baseline − 1` (`None` for a
/// failed run or a zero baseline).
pub fn overheads(runs: &[RunResult]) -> Vec<Option<f64>> {
    runs.iter()
        .zip(baselines(runs))
        .map(|(r, b)| {
            let m = r.metrics.as_ref()?;
            let b = b.filter(|&b| b > 0)?;
            Some(m.wall_ns as f64 / b as f64 - 1.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Metrics, Status};

    fn run(workload: &str, collector: &str, wall_ns: u64, gc_ns: u64) -> RunResult {
        RunResult {
            workload: workload.into(),
            collector: collector.into(),
            seed: 1,
            scale: 1.0,
            parameter: String::new(),
            index: 0,
            status: Status::Ok,
            error: None,
            verified: true,
            metrics: Some(Metrics {
                wall_ns,
                gc_ns,
                ..Metrics::default()
            }),
            repeat_wall_ns: Vec::new(),
            repetitions: Vec::new(),
            wall: None,
            gc: None,
        }
    }

    #[test]
    fn the_baseline_is_the_least_wall_minus_gc_per_workload() {
        let mut failed = run("a", "x", 1, 0);
        failed.metrics = None;
        failed.status = Status::Failed;
        let runs = vec![
            run("a", "null", 100, 0),      // 100
            run("a", "marksweep", 90, 30), // 60: the baseline
            run("a", "refcount", 80, 0),   // 80
            run("b", "null", 50, 0),
            run("b", "marksweep", 70, 10),
            failed,
        ];
        assert_eq!(
            baselines(&runs),
            [Some(60), Some(60), Some(60), Some(50), Some(50), None]
        );
        let o = overheads(&runs);
        let close = |x: Option<f64>, y: f64| (x.unwrap() - y).abs() < 1e-12;
        assert!(close(o[0], 100.0 / 60.0 - 1.0));
        assert!(close(o[1], 0.5));
        assert!(close(o[2], 80.0 / 60.0 - 1.0));
        assert!(close(o[3], 0.0));
        assert!(close(o[4], 0.4));
        assert_eq!(o[5], None);
    }

    #[test]
    fn other_seeds_and_scales_have_their_own_baseline() {
        let mut other = run("a", "null", 10, 0);
        other.seed = 2;
        let runs = vec![run("a", "null", 100, 0), other];
        assert_eq!(baselines(&runs), [Some(100), Some(10)]);
        assert_eq!(overheads(&[run("z", "null", 0, 0)]), [None]);
    }
}
