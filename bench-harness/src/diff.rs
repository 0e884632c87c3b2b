//! `gc-bench diff A B`: two sets of results compared run by run, or two
//! sweeps point by point — the ratio B/A of wall time, GC time and peak
//! footprint, each with its 95% bootstrap confidence interval
//! ([`crate::estimate::ratio_ci`]) when both sides have repetitions, and
//! whether the change is significant (the interval excludes 1). Two
//! sweeps also compare their minimum heaps.

use std::path::Path;

use crate::estimate::{Estimate, ratio_ci};
use crate::machine::Machine;
use crate::results::{Repetition, Results};
use crate::sweep::SweepResults;
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

/// One measured cell of either kind of input, under a key that names the
/// same cell on both sides.
struct Measured {
    key: String,
    id: String,
    /// Every repetition, or `None` for a run that failed.
    samples: Option<Vec<Repetition>>,
}

/// The cells of a run's results: a cell is (workload, collector, seed,
/// scale, parameter).
fn run_cells(r: &Results) -> Vec<Measured> {
    r.runs
        .iter()
        .map(|run| Measured {
            key: format!(
                "{}\0{}\0{}\0{}\0{}",
                run.workload, run.collector, run.seed, run.scale, run.parameter
            ),
            id: if run.seed == 1 {
                run.id()
            } else {
                format!("{} seed {}", run.id(), run.seed)
            },
            samples: run.metrics.as_ref().map(|m| {
                if run.repetitions.is_empty() {
                    vec![Repetition {
                        wall_ns: m.wall_ns,
                        gc_ns: m.gc_ns,
                        peak_footprint_bytes: m.peak_footprint_bytes,
                    }]
                } else {
                    run.repetitions.clone()
                }
            }),
        })
        .collect()
}

/// The cells of a sweep: a cell is a point, (workload, collector,
/// setting) at the sweep's scale and seed. A budgeted collector's setting
/// is its heap factor (`max_heap=1.5×`), so its points pair by factor
/// whatever each side's minimum heap.
fn sweep_cells(s: &SweepResults) -> Vec<Measured> {
    let mut cells = Vec::new();
    for w in &s.workloads {
        for p in &w.points {
            let samples = if p.repetitions.is_empty() {
                // Written before sweeps kept their repetitions: the medians.
                vec![Repetition {
                    wall_ns: p.wall.value as u64,
                    gc_ns: p.gc.value as u64,
                    peak_footprint_bytes: p.footprint_bytes,
                }]
            } else {
                p.repetitions.clone()
            };
            cells.push(Measured {
                key: format!(
                    "{}\0{}\0{}\0{}\0{}\0{}",
                    w.workload, w.parameter, p.collector, p.setting, s.scale, s.seed
                ),
                id: format!("{}/{} {}", w.workload, p.collector, p.setting),
                samples: Some(samples),
            });
        }
    }
    cells
}

/// One measure of every sample.
fn measure(samples: &[Repetition], f: fn(&Repetition) -> u64) -> Vec<f64> {
    samples.iter().map(|r| f(r) as f64).collect()
}

/// The rows of the cells measured on both sides, in B's order, and the
/// ids of the cells only one side has (or that failed on one).
fn pair(a: &[Measured], b: &[Measured]) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut unmatched = Vec::new();
    for cb in b {
        let Some(ca) = a.iter().find(|ca| ca.key == cb.key) else {
            unmatched.push(cb.id.clone());
            continue;
        };
        let (Some(sa), Some(sb)) = (&ca.samples, &cb.samples) else {
            unmatched.push(format!("{} (failed on one side)", cb.id));
            continue;
        };
        let ratio = |f: fn(&Repetition) -> u64| ratio_ci(&measure(sa, f), &measure(sb, f));
        rows.push(Row {
            id: cb.id.clone(),
            wall: ratio(|r| r.wall_ns),
            gc: ratio(|r| r.gc_ns),
            footprint: ratio(|r| r.peak_footprint_bytes),
        });
    }
    for ca in a {
        if !b.iter().any(|cb| cb.key == ca.key) {
            unmatched.push(format!("{} (only in A)", ca.id));
        }
    }
    (rows, unmatched)
}

/// The rows of runs that succeeded on both sides, in B's order, and the
/// ids of the runs only one side has (or that failed on one).
pub fn compare(a: &Results, b: &Results) -> (Vec<Row>, Vec<String>) {
    pair(&run_cells(a), &run_cells(b))
}

/// [`compare`] for two sweeps: the points both hold at the same scale
/// and seed, in B's order, and the ids of the points only one side has
/// (a point that failed is not in its sweep).
pub fn compare_sweeps(a: &SweepResults, b: &SweepResults) -> (Vec<Row>, Vec<String>) {
    pair(&sweep_cells(a), &sweep_cells(b))
}

/// The minimum heaps both sweeps found (same workload, collector, scale
/// and seed), B against A: `binary_trees/marksweep: 20480 → 19456 bytes
/// (0.950×)`. A single bisection each, so no interval.
pub fn min_heaps(a: &SweepResults, b: &SweepResults) -> Vec<String> {
    let mut lines = Vec::new();
    if (a.scale, a.seed) != (b.scale, b.seed) {
        return lines;
    }
    for wb in &b.workloads {
        let Some(wa) = a
            .workloads
            .iter()
            .find(|wa| wa.workload == wb.workload && wa.parameter == wb.parameter)
        else {
            continue;
        };
        for mb in &wb.min_heaps {
            if let Some(ma) = wa.min_heaps.iter().find(|m| m.collector == mb.collector) {
                lines.push(format!(
                    "{}/{}: {} → {} bytes ({:.3}×)",
                    wb.workload,
                    mb.collector,
                    ma.bytes,
                    mb.bytes,
                    mb.bytes as f64 / ma.bytes.max(1) as f64
                ));
            }
        }
    }
    lines
}

/// What `diff` reads: a run's results or a sweep's points.
#[derive(Clone, Debug)]
pub enum Input {
    /// `results.json`, from `run --out` (or `merge`).
    Runs(Results),
    /// `sweep.json`, from `sweep --out`.
    Sweep(SweepResults),
}

impl Input {
    /// A folder written by `run --out` or `sweep --out` (a sweep's when it
    /// holds `sweep.json`), or either file itself.
    pub fn load(path: &Path) -> Result<Input, String> {
        let sweep_file = if path.is_dir() {
            Some(path.join("sweep.json")).filter(|f| f.is_file())
        } else {
            Some(path.to_owned()).filter(|f| is_sweep_file(f))
        };
        match sweep_file {
            Some(f) => SweepResults::load(&f).map(Input::Sweep),
            None => crate::results::load(path).map(Input::Runs),
        }
    }

    /// Where and how the input was measured, when it says.
    pub fn machine(&self) -> Option<&Machine> {
        match self {
            Input::Runs(r) => r.machine.as_ref(),
            Input::Sweep(s) => Some(&s.machine),
        }
    }
}

/// Does `file` hold a sweep (its `tool` is [`crate::sweep::TOOL`])? An
/// unreadable or malformed file is left to the results loader to report.
fn is_sweep_file(file: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Tool {
        tool: String,
    }
    crate::results::read_text(file)
        .ok()
        .and_then(|text| serde_json::from_str::<Tool>(&text).ok())
        .is_some_and(|t| t.tool == crate::sweep::TOOL)
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

/// The table `diff` prints; `first` heads the first column (`run`,
/// `point`).
pub fn table(first: &str, rows: &[Row]) -> Table {
    let mut t = Table::new(&[first, "wall B/A", "gc B/A", "footprint B/A"]);
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
    use crate::results::{Metrics, RunResult, Status};
    use crate::sweep::{MinHeap, Point, WorkloadSweep};

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
        assert_eq!(table("run", &rows).lines().len(), 3);
    }

    fn point(setting: &str, walls: &[u64]) -> Point {
        let e = |v: f64| Estimate {
            value: v,
            low: v,
            high: v,
            n: 1,
        };
        Point {
            collector: "marksweep".into(),
            setting: setting.into(),
            config: Vec::new(),
            heap_factor: None,
            wall: e(walls[0] as f64),
            gc: e(0.0),
            ns_per_op: 0.0,
            harness_ns_per_op: None,
            footprint_bytes: 4096,
            live_bytes: 1024,
            collections: String::new(),
            lbo: None,
            pareto: false,
            repetitions: walls
                .iter()
                .map(|&w| Repetition {
                    wall_ns: w,
                    gc_ns: 0,
                    peak_footprint_bytes: 4096,
                })
                .collect(),
        }
    }

    fn sweep(points: Vec<Point>, min_heap: u64) -> SweepResults {
        SweepResults {
            tool: crate::sweep::TOOL.into(),
            version: "0".into(),
            machine: Machine::default(),
            settings: Vec::new(),
            heap_factors: vec![1.5, 3.0],
            generational_thresholds: Vec::new(),
            repeat: 5,
            order_seed: 1,
            scale: 1.0,
            seed: 1,
            workloads: vec![WorkloadSweep {
                workload: "w".into(),
                parameter: "p".into(),
                min_heaps: vec![MinHeap {
                    collector: "marksweep".into(),
                    bytes: min_heap,
                    unbounded_peak_old_bytes: 0,
                    probes: Vec::new(),
                }],
                points,
                failures: Vec::new(),
            }],
        }
    }

    #[test]
    fn sweeps_pair_points_by_setting_and_compare_minimum_heaps() {
        let a = sweep(
            vec![
                point("max_heap=1.5×", &[100, 101, 99, 100, 102]),
                point("max_heap=3×", &[80]),
            ],
            20_000,
        );
        let b = sweep(
            vec![
                point("max_heap=1.5×", &[50, 51, 49, 50, 52]),
                point("max_heap=6×", &[70]),
            ],
            10_000,
        );
        let (rows, unmatched) = compare_sweeps(&a, &b);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, "w/marksweep max_heap=1.5×");
        let w = rows[0].wall.unwrap();
        assert!((w.value - 0.5).abs() < 1e-12 && w.excludes(1.0), "{w:?}");
        assert!(rows[0].gc.is_none(), "A spent no GC time: no ratio");
        assert_eq!(
            unmatched,
            [
                "w/marksweep max_heap=6×",
                "w/marksweep max_heap=3× (only in A)"
            ]
        );
        assert_eq!(
            min_heaps(&a, &b),
            ["w/marksweep: 20000 → 10000 bytes (0.500×)"]
        );
        // Another scale: nothing in common.
        let mut other = b.clone();
        other.scale = 0.5;
        assert!(compare_sweeps(&a, &other).0.is_empty());
        assert!(min_heaps(&a, &other).is_empty());
    }

    #[test]
    fn a_sweep_written_before_repetitions_were_kept_compares_its_medians() {
        let mut old = point("default", &[100]);
        old.repetitions.clear();
        let a = sweep(vec![old], 1);
        let b = sweep(vec![point("default", &[150, 150, 150])], 1);
        let (rows, _) = compare_sweeps(&a, &b);
        assert_eq!(cell(rows[0].wall), "1.500× (no CI)");
    }
}
