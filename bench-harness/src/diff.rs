//! `gc-bench diff A B`: two sets of results compared run by run — the
//! ratio B/A of wall time, GC time and peak footprint, each with its 95%
//! bootstrap confidence interval ([`crate::estimate::ratio_ci`]) when both
//! sides have repetitions, and whether the change is significant (the
//! interval excludes 1).

use crate::estimate::{Estimate, ratio_ci};
use crate::results::{Results, RunResult};
use crate::table::Table;

/// One run present on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// `workload/collector/parameter`, with the seed when not 1.
    pub id: String,
    /// B/A of the wall time.
    pub wall: Option<Estimate>,
    /// B/A of the GC time (`None` when A spent none).
    pub gc: Option<Estimate>,
    /// B/A of the peak footprint (`None` when A reported none).
    pub footprint: Option<Estimate>,
}

fn same_cell(a: &RunResult, b: &RunResult) -> bool {
    a.workload == b.workload
        && a.collector == b.collector
        && a.seed == b.seed
        && a.scale == b.scale
        && a.parameter == b.parameter
}

/// A run's samples of one measure: every repetition, or its one run.
fn samples(r: &RunResult, measure: impl Fn(u64, u64, u64) -> u64) -> Vec<f64> {
    if r.repetitions.is_empty() {
        r.metrics
            .as_ref()
            .map(|m| vec![measure(m.wall_ns, m.gc_ns, m.peak_footprint_bytes) as f64])
            .unwrap_or_default()
    } else {
        r.repetitions
            .iter()
            .map(|x| measure(x.wall_ns, x.gc_ns, x.peak_footprint_bytes) as f64)
            .collect()
    }
}

/// The rows of runs that succeeded on both sides, in B's order, and the
/// ids of the runs only one side has (or that failed on one).
pub fn compare(a: &Results, b: &Results) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut unmatched = Vec::new();
    for rb in &b.runs {
        let id = if rb.seed == 1 {
            rb.id()
        } else {
            format!("{} seed {}", rb.id(), rb.seed)
        };
        let Some(ra) = a.runs.iter().find(|ra| same_cell(ra, rb)) else {
            unmatched.push(id);
            continue;
        };
        if ra.metrics.is_none() || rb.metrics.is_none() {
            unmatched.push(format!("{id} (failed on one side)"));
            continue;
        }
        let ratio = |f: fn(u64, u64, u64) -> u64| ratio_ci(&samples(ra, f), &samples(rb, f));
        rows.push(Row {
            id,
            wall: ratio(|w, _, _| w),
            gc: ratio(|_, g, _| g),
            footprint: ratio(|_, _, f| f),
        });
    }
    for ra in &a.runs {
        if !b.runs.iter().any(|rb| same_cell(ra, rb)) {
            unmatched.push(format!("{} (only in A)", ra.id()));
        }
    }
    (rows, unmatched)
}

/// `1.23× [1.10, 1.31] *`: the ratio, its interval when there is one, and
/// `*` when the interval excludes 1 (a significant change).
pub fn cell(e: Option<Estimate>) -> String {
    match e {
        None => "-".into(),
        Some(e) if e.has_interval() => format!(
            "{:.3}× [{:.3}, {:.3}]{}",
            e.value,
            e.low,
            e.high,
            if e.excludes(1.0) { " *" } else { "" }
        ),
        Some(e) => format!("{:.3}× (no CI)", e.value),
    }
}

/// The table `diff` prints.
pub fn table(rows: &[Row]) -> Table {
    let mut t = Table::new(&["run", "wall B/A", "gc B/A", "footprint B/A"]);
    for r in rows {
        t.row(vec![
            r.id.clone(),
            cell(r.wall),
            cell(r.gc),
            cell(r.footprint),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Metrics, Repetition, Status};

    fn results(runs: Vec<RunResult>) -> Results {
        Results {
            tool: "gc-bench".into(),
            format: crate::results::FORMAT,
            version: "0".into(),
            jobs: 1,
            cpus: 1,
            shards: Vec::new(),
            machine: None,
            settings: Vec::new(),
            repeat: 5,
            warmup: 0,
            order_seed: Some(1),
            suite: None,
            matrix: Vec::new(),
            runs,
        }
    }

    fn run(collector: &str, walls: &[u64]) -> RunResult {
        RunResult {
            workload: "w".into(),
            collector: collector.into(),
            seed: 1,
            scale: 1.0,
            parameter: "p".into(),
            index: 0,
            status: Status::Ok,
            error: None,
            verified: true,
            metrics: Some(Metrics {
                wall_ns: walls[0],
                gc_ns: walls[0] / 10,
                peak_footprint_bytes: 1000,
                ..Metrics::default()
            }),
            repeat_wall_ns: walls.to_vec(),
            repetitions: walls
                .iter()
                .map(|&w| Repetition {
                    wall_ns: w,
                    gc_ns: w / 10,
                    peak_footprint_bytes: 1000,
                })
                .collect(),
            wall: None,
            gc: None,
        }
    }

    #[test]
    fn ratios_pair_runs_and_mark_significant_changes() {
        let a = results(vec![
            run("marksweep", &[100, 101, 99, 100, 102]),
            run("null", &[50]),
        ]);
        let b = results(vec![
            run("marksweep", &[150, 151, 149, 150, 152]),
            run("refcount", &[1]),
        ]);
        let (rows, unmatched) = compare(&a, &b);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.id, "w/marksweep/p");
        let w = r.wall.unwrap();
        assert!((w.value - 1.5).abs() < 1e-12 && w.excludes(1.0));
        assert!(cell(r.wall).ends_with(" *"), "{}", cell(r.wall));
        let f = r.footprint.unwrap();
        assert_eq!((f.value, f.excludes(1.0)), (1.0, false));
        assert!(!cell(r.footprint).ends_with('*'));
        assert_eq!(unmatched, ["w/refcount/p", "w/null/p (only in A)"]);
    }

    #[test]
    fn a_single_run_has_a_ratio_but_no_interval() {
        let a = results(vec![run("null", &[100])]);
        let b = results(vec![run("null", &[120])]);
        let (rows, _) = compare(&a, &b);
        assert_eq!(cell(rows[0].wall), "1.200× (no CI)");
        assert_eq!(table(&rows).lines().len(), 3);
    }
}
