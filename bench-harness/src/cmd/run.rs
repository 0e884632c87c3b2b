//! `gc-bench run`: the matrix workloads × collectors × seeds, measured,
//! verified, and reported.
//!
//! Defaults: every workload at scale 1 (the issue-sized ones at their
//! `matrix_scale`, a fraction of it), every implemented collector (the
//! null baseline first), seed 1, one run at a time. `--trace FILE` adds any
//! gctrace as a workload (its `expect` lines are checked); `--scenarios`
//! adds the bundled scenario traces. Exit status 0 when every run passed,
//! 1 when one failed (a trace or collector error, a failed `expect`, a
//! failed verification), 2 for bad arguments.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use gc_core::Inspect;
use gc_core::tooling::threads;
use gc_core::tooling::trace::Trace;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use bench_harness::bundled;
use bench_harness::child;
use bench_harness::collectors::{
    CollectorName, WithCollector, check_keys, dispatch, effective_settings, parse_pair,
};
use bench_harness::estimate::{Estimate, interleaved_order, median_ci};
use bench_harness::exec::{self, Options, Source};
use bench_harness::machine::Machine;
use bench_harness::output::Out;
use bench_harness::report;
use bench_harness::results::{
    self, CollectorSettings, Metrics, Repetition, Results, RunResult, Status,
};
use bench_harness::workloads::{self, Workload};

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A workload to run (repeatable); default: every workload, unless
    /// `--trace` or `--scenarios` is given.
    #[arg(long = "workload", value_name = "NAME", value_parser = parse_workload)]
    pub workloads: Vec<WorkloadArg>,
    /// A gctrace file to run as a workload (repeatable).
    #[arg(long = "trace", value_name = "FILE")]
    pub traces: Vec<PathBuf>,
    /// Also run the bundled scenario traces (`traces/`).
    #[arg(long)]
    pub scenarios: bool,
    /// A collector to run (repeatable); default: every implemented one.
    #[arg(long = "collector", value_name = "NAME", value_enum)]
    pub collectors: Vec<CollectorName>,
    /// A seed (repeatable); default: 1.
    #[arg(long = "seed", value_name = "N")]
    pub seeds: Vec<u64>,
    /// The size of every workload: 1 is the default, 2 about twice the
    /// work (`gc-bench list` shows what each workload does with it). Not
    /// with `--suite research`, which calibrates the scales itself.
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        allow_negative_numbers = true,
        conflicts_with = "suite"
    )]
    pub scale: f64,
    /// A collector setting, KEY=VALUE (repeatable; applies to the
    /// collectors that take it).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub config: Vec<(String, String)>,
    /// Runs at once (rayon; each run is its own process). Above 1, runs
    /// share the machine's cores, caches and memory bandwidth: times are
    /// noisier.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Run only slice K of N of the matrix (1 ≤ K ≤ N); `gc-bench merge`
    /// combines the slices' `--out` folders.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Write results.json, results.csv, SVG figures and report.md here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run every cell N times (each in its own process, in rounds of the
    /// whole matrix in a shuffled order) and report the median with its
    /// 95% confidence interval. At least 5 with `--suite research`.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=i64::from(bench_harness::results::MAX_REPEAT)))]
    pub repeat: u16,
    /// Run K rounds of the matrix first and discard them (warm-up). At
    /// least 1 with `--suite research`.
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=100))]
    pub warmup: u16,
    /// The seed of the randomised interleaved order of repetitions
    /// (default: from the clock; reported either way).
    #[arg(long, value_name = "S")]
    pub order_seed: Option<u64>,
    /// Skip the verification of the live set at the end of each run.
    #[arg(long)]
    pub no_verify: bool,
    /// A preset: `research` runs every workload (or those given) at a
    /// scale calibrated on this machine so that every run takes at least
    /// 0.5 s, with `--repeat 5 --warmup 1` unless more are asked for, and
    /// states its expected duration before starting.
    #[arg(long, value_name = "NAME", value_enum)]
    pub suite: Option<Suite>,
}

/// The presets of `--suite`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// Every run ≥ 0.5 s, 5 repetitions after 1 warm-up round.
    Research,
}

/// The shortest run the research suite aims for.
const RESEARCH_MIN_RUN_NS: f64 = 0.5e9;
/// Its calibration aims this much above it (runs vary).
const RESEARCH_MARGIN: f64 = 1.3;

/// Rounds a scale up to two significant digits.
fn round_up_2(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    // Digits as an integer, then one division or multiplication by an
    // exact power of ten (so 0.043 comes out as the literal 0.043).
    let e = x.log10().floor() as i32 - 1;
    let digits = (x / 10f64.powi(e) - 1e-9).ceil();
    if e < 0 {
        digits / 10f64.powi(-e)
    } else {
        digits * 10f64.powi(e)
    }
}

/// The research suite's scale for a workload whose fastest run took
/// `fastest_ns` at `scale`: enough that it takes [`RESEARCH_MIN_RUN_NS`]
/// with a margin (never below `scale`).
fn research_scale(scale: f64, fastest_ns: u64) -> f64 {
    let factor = RESEARCH_MARGIN * RESEARCH_MIN_RUN_NS / (fastest_ns.max(1) as f64);
    round_up_2(scale * factor.max(1.0))
}

/// Calibrates the research suite: one run of every cell at its planned
/// scale; each workload's scale grows until its fastest run should take
/// 0.5 s, assuming run time proportional to the scale (a collector whose
/// work does not grow with it — `null` and `refcount` on `gc_traversal`,
/// whose scale counts collections — stays short and is flagged `†`). Returns the new inputs and the expected duration of the suite
/// in seconds (the calibration runs' elapsed times, verification
/// included, scaled, times the rounds).
fn calibrate(
    inputs: Vec<Input>,
    collectors: &[CollectorName],
    args: &Args,
    rounds: usize,
) -> Result<(Vec<Input>, f64), String> {
    let bar = ProgressBar::hidden();
    let mut out = Vec::new();
    let mut expected = 0.0;
    for input in inputs {
        let Input::Workload(w, scale) = input else {
            out.push(input);
            continue;
        };
        let calibrating = Input::Workload(w, scale);
        let mut fastest = u64::MAX;
        let mut elapsed = 0.0;
        for &collector in collectors {
            let cell = Cell {
                index: 0,
                input: &calibrating,
                collector,
                seed: args.seeds.first().copied().unwrap_or(1),
                scale,
                parameter: String::new(),
                harness: false,
            };
            let started = Instant::now();
            let m = run_in_child(&cell, args, &bar)
                .map_err(|e| format!("calibrating {} on {}: {e}", w.name, collector.name()))?;
            elapsed += started.elapsed().as_secs_f64();
            fastest = fastest.min(m.wall_ns);
        }
        let new = research_scale(scale, fastest);
        w.check(new)?;
        expected += elapsed * (new / scale) * rounds as f64 * args.seeds.len().max(1) as f64;
        eprintln!(
            "research suite: {} at scale {new} (fastest run {:.0} ms at scale {scale})",
            w.name,
            fastest as f64 / 1e6
        );
        out.push(Input::Workload(w, new));
    }
    Ok((out, expected))
}

/// A `--workload`: a bundled workload by name, or `py:FILE.py`, a Python
/// program run by gc-py's evaluator ([`bench_harness::python`]).
#[derive(Clone, Debug)]
pub enum WorkloadArg {
    /// A bundled workload.
    Bundled(&'static Workload),
    /// A Python program.
    Python(PathBuf),
}

fn parse_workload(s: &str) -> Result<WorkloadArg, String> {
    match s.strip_prefix(bench_harness::python::PREFIX) {
        Some(path) => {
            let path = PathBuf::from(path);
            if !path.is_file() {
                return Err(format!("no Python program at `{}`", path.display()));
            }
            Ok(WorkloadArg::Python(path))
        }
        None => workloads::find(s).map(WorkloadArg::Bundled),
    }
}

/// Parses `K/N`.
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("expected K/N with 1 ≤ K ≤ N (as in 2/4), got `{s}`");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// What a cell runs.
#[derive(Debug)]
enum Input {
    /// A workload and the scale it runs at.
    Workload(&'static Workload, f64),
    /// A file given with `--trace` (its name in reports, and the file the
    /// runs read: the same, except for standard input and other files that
    /// are not regular, which are copied) …
    Trace(String, PathBuf, Trace),
    /// … or a bundled scenario (its name) …
    Scenario(&'static str, Trace),
    /// … or a Python program (`py:FILE`).
    Python(String),
}

/// One cell of the matrix.
#[derive(Debug)]
struct Cell<'a> {
    index: usize,
    input: &'a Input,
    collector: CollectorName,
    seed: u64,
    scale: f64,
    parameter: String,
    /// Time the harness alone after the run (the first collector's cell
    /// of each input and seed).
    harness: bool,
}

impl Cell<'_> {
    /// Its key in a shard's list of the whole matrix.
    fn key(&self) -> String {
        results::cell_key(
            self.name(),
            self.collector.name(),
            &self.parameter,
            self.seed,
            self.scale,
        )
    }

    fn name(&self) -> &str {
        match self.input {
            Input::Workload(w, _) => w.name,
            Input::Trace(name, _, _) => name,
            Input::Scenario(name, _) => name,
            Input::Python(name) => name,
        }
    }
}

/// The representative metrics, every repetition, and the wall and GC
/// medians with their CIs.
type Combined = (Metrics, Vec<Repetition>, Option<Estimate>, Option<Estimate>);

/// A cell's outcome from its measured repetitions (in round order): the
/// repetition with the median wall time stands for it (with the median of
/// every repetition's harness figure), with every repetition and the
/// medians' 95% CIs beside it (none for one repetition). Any failed
/// repetition fails the cell.
fn combine(outcomes: Vec<Result<Metrics, String>>) -> Result<Combined, String> {
    let several = outcomes.len() > 1;
    let mut runs = Vec::new();
    for (i, o) in outcomes.into_iter().enumerate() {
        runs.push(o.map_err(|e| {
            if several {
                format!("repetition {}: {e}", i + 1)
            } else {
                e
            }
        })?);
    }
    if !several {
        let m = runs.pop().ok_or("no repetition ran")?;
        return Ok((m, Vec::new(), None, None));
    }
    let reps: Vec<Repetition> = runs
        .iter()
        .map(|m| Repetition {
            wall_ns: m.wall_ns,
            gc_ns: m.gc_ns,
            peak_footprint_bytes: m.peak_footprint_bytes,
        })
        .collect();
    let walls: Vec<f64> = reps.iter().map(|r| r.wall_ns as f64).collect();
    let gcs: Vec<f64> = reps.iter().map(|r| r.gc_ns as f64).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|&i| reps[i].wall_ns);
    let median = order[(runs.len() - 1) / 2];
    // The harness's figure: the median over the repetitions too (one
    // measurement of it is as noisy as one of the run).
    let mut harness: Vec<f64> = runs.iter().filter_map(|m| m.harness_ns_per_op).collect();
    harness.sort_by(f64::total_cmp);
    let harness = harness.get(harness.len().wrapping_sub(1) / 2).copied();
    let mut representative = runs.swap_remove(median);
    representative.harness_ns_per_op = harness;
    Ok((
        representative,
        reps,
        Some(median_ci(&walls)),
        Some(median_ci(&gcs)),
    ))
}

/// Runs one cell in a child process (`gc-bench cell …`), so that each run
/// has a fresh heap and its own peak RSS, and a collector that crashes
/// fails its run, not the matrix.
///
/// The child's standard error (its logs: warnings by default, more with
/// `-v` or `RUST_LOG`, which it inherits) is passed on to ours.
fn run_in_child(cell: &Cell<'_>, args: &Args, bar: &ProgressBar) -> Result<Metrics, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find gc-bench itself: {e}"))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("cell")
        .args([child::PARENT_FLAG, &child::parent_arg()])
        .args(["--collector", cell.collector.name()])
        .args(["--seed", &cell.seed.to_string()])
        .args(["--scale", &cell.scale.to_string()]);
    match cell.input {
        Input::Workload(w, _) => cmd.args(["--workload", w.name]),
        Input::Trace(_, path, _) => cmd.arg("--trace").arg(path),
        Input::Scenario(name, _) => cmd.args(["--scenario", name]),
        Input::Python(name) => cmd.args(["--workload", name]),
    };
    for (k, v) in config_for(cell.collector, &args.config) {
        cmd.args(["--config", &format!("{k}={v}")]);
    }
    if args.no_verify {
        cmd.arg("--no-verify");
    }
    if cell.harness {
        cmd.arg("--harness");
    }
    for _ in 0..crate::cmd::VERBOSE.load(Ordering::Relaxed) {
        cmd.arg("-v");
    }
    let out = child::output(cmd.stdin(std::process::Stdio::null()))
        .map_err(|e| format!("cannot start a run: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.trim().is_empty() {
        bar.suspend(|| eprint!("{stderr}"));
    }
    match stdout
        .lines()
        .last()
        .map(serde_json::from_str::<Result<Metrics, String>>)
    {
        Some(Ok(outcome)) if out.status.success() => outcome,
        _ => Err(format!(
            "the run crashed ({}): {}",
            out.status,
            crash_message(&stderr)
        )),
    }
}

/// The line that says why a child died: a panic's message (with where it
/// happened), else the last line it wrote.
fn crash_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if let Some(i) = lines.iter().position(|l| l.contains(" panicked at ")) {
        let at = lines[i]
            .split(" panicked at ")
            .nth(1)
            .unwrap_or("")
            .trim_end_matches(':');
        let message = lines.get(i + 1).copied().unwrap_or("");
        return format!("panicked: {message} (at {at})");
    }
    lines.last().copied().unwrap_or("no message").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_is_named_by_its_panic_message() {
        let stderr = "thread 'main' (123) panicked at gc-x/src/lib.rs:10:5:\nindex out of bounds\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            crash_message(stderr),
            "panicked: index out of bounds (at gc-x/src/lib.rs:10:5)"
        );
        assert_eq!(crash_message("boom\n\n"), "boom");
        assert_eq!(crash_message(""), "no message");
    }

    #[test]
    fn the_expected_duration_never_reads_zero() {
        assert_eq!(duration_words(0.2), "1 s");
        assert_eq!(duration_words(12.4), "12 s");
        assert_eq!(duration_words(89.0), "89 s");
        assert_eq!(duration_words(90.0), "2 min");
        assert_eq!(duration_words(1500.0), "25 min");
    }

    #[test]
    fn research_scales_aim_at_half_a_second_with_a_margin() {
        assert_eq!(round_up_2(1234.0), 1300.0);
        assert_eq!(round_up_2(0.0421), 0.043);
        assert_eq!(round_up_2(7.0), 7.0);
        // 50 ms at scale 1: 13 × longer.
        assert_eq!(research_scale(1.0, 50_000_000), 13.0);
        // 2 ms at scale 0.25: 0.25 × 325 = 81.25 → 82.
        assert_eq!(research_scale(0.25, 2_000_000), 82.0);
        // Already long enough: unchanged.
        assert_eq!(research_scale(2.0, 900_000_000), 2.0);
    }

    /// With repetitions, the median-wall repetition stands for the cell,
    /// and the harness's figure is the median of every repetition's.
    #[test]
    fn repetitions_keep_the_median_run_and_the_median_harness_figure() {
        let m = |wall_ns, harness| Metrics {
            wall_ns,
            harness_ns_per_op: Some(harness),
            ..Metrics::default()
        };
        let (rep, reps, wall, _) =
            combine(vec![Ok(m(30, 1.0)), Ok(m(10, 9.0)), Ok(m(20, 5.0))]).unwrap();
        assert_eq!(rep.wall_ns, 20);
        assert_eq!(rep.harness_ns_per_op, Some(5.0));
        assert_eq!(reps.len(), 3);
        assert_eq!(wall.unwrap().value, 20.0);
        let (rep, ..) = combine(vec![Ok(m(30, 1.0)), Ok(m(10, 9.0))]).unwrap();
        assert_eq!((rep.wall_ns, rep.harness_ns_per_op), (10, Some(1.0)));
        let (rep, ..) = combine(vec![Ok(m(7, 2.0))]).unwrap();
        assert_eq!(rep.harness_ns_per_op, Some(2.0));
    }

    #[test]
    fn shards_are_k_of_n() {
        assert_eq!(parse_shard("2/4"), Ok((2, 4)));
        for bad in ["0/4", "5/4", "1/0", "a/b", "3", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}

/// Arguments of the hidden `cell` subcommand: one run, its outcome
/// printed as one JSON line (`{"Ok":metrics}` or `{"Err":"why"}`).
#[derive(Debug, clap::Args)]
pub struct CellArgs {
    /// A workload …
    #[arg(long, value_parser = parse_workload)]
    pub workload: Option<WorkloadArg>,
    /// … or a gctrace file …
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// … or a bundled scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// The collector.
    #[arg(long, value_enum)]
    pub collector: CollectorName,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The scale.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Collector settings.
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub config: Vec<(String, String)>,
    /// Skip verification.
    #[arg(long)]
    pub no_verify: bool,
    /// After the run, time the harness alone on the same operations
    /// (`metrics.harness_ns_per_op`).
    #[arg(long)]
    pub harness: bool,
    /// The `gc-bench` process that started this one: this one dies with it.
    #[arg(long = "parent-pid", value_name = "PID")]
    pub parent_pid: Option<u32>,
}

/// Runs the hidden `cell` subcommand.
pub fn cell(args: CellArgs) -> Result<i32, String> {
    if let Some(parent) = args.parent_pid {
        child::die_with_parent(parent)?;
    }
    if let Some(WorkloadArg::Python(path)) = &args.workload {
        let outcome = bench_harness::python::run(args.collector, &args.config, path);
        let line = serde_json::to_string(&outcome).map_err(|e| e.to_string())?;
        let mut out = Out::stdout();
        out.line(&line);
        out.flush();
        return Ok(0);
    }
    let trace = match (&args.trace, &args.scenario) {
        (Some(path), _) => Some(
            crate::cmd::replay::read_trace(path, None)?
                .map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        (None, Some(name)) => {
            let (_, text) = bundled::TRACES
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| format!("no bundled scenario `{name}`"))?;
            Some(Trace::parse(text).map_err(|e| format!("{name}: {e}"))?)
        }
        (None, None) => None,
    };
    let source = match (&trace, &args.workload) {
        (Some(t), _) => Source::Trace(t),
        (None, Some(WorkloadArg::Python(_))) => {
            return Err("cell: a Python program runs above".into());
        }
        (None, Some(WorkloadArg::Bundled(w))) => {
            w.check(args.scale)?;
            Source::Workload {
                workload: w,
                scale: args.scale,
                seed: args.seed,
            }
        }
        (None, None) => return Err("cell: give --workload, --trace or --scenario".into()),
    };
    let options = Options {
        verify: !args.no_verify,
        own_process: true,
        harness: args.harness,
    };
    let outcome: Result<Metrics, String> =
        dispatch(args.collector, &args.config, RunCell { source, options }).and_then(|r| r);
    let line = serde_json::to_string(&outcome).map_err(|e| e.to_string())?;
    let mut out = Out::stdout();
    out.line(&line);
    out.flush();
    Ok(0)
}

struct RunCell<'a> {
    source: Source<'a>,
    options: Options,
}

impl WithCollector for RunCell<'_> {
    type Output = Result<Metrics, String>;
    fn run<C: Inspect>(self, config: C::Config) -> Self::Output {
        exec::run::<C>(config, self.source, self.options)
    }
}

/// The settings that apply to `collector`: a key it does not take is left
/// out, so one `--config` list can serve a mixed run.
fn config_for(collector: CollectorName, pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(k, _)| collector.takes(k))
        .cloned()
        .collect()
}

/// A trace that can be read only once (standard input, a pipe, a FIFO,
/// `/dev/fd/N`, a device), copied to a temporary file for the child
/// processes: removed when `run` ends, and on SIGINT, SIGTERM or SIGHUP.
#[derive(Debug)]
struct TraceCopy(interrupt_cleanup::TempFile);

impl TraceCopy {
    /// An empty copy of the trace at `path`, for the reader to fill.
    fn create(path: &std::path::Path) -> Result<TraceCopy, String> {
        let prefix = if path.as_os_str() == "-" {
            "gc-bench-stdin-"
        } else {
            "gc-bench-trace-"
        };
        let file = interrupt_cleanup::file_in(
            tempfile::Builder::new().prefix(prefix).suffix(".gctrace"),
            &std::env::temp_dir(),
        )
        .map_err(|e| Self::failed(path, e))?;
        Ok(TraceCopy(file))
    }

    /// Makes sure the copy is on disk before any run reads it.
    fn finish(&mut self, path: &std::path::Path) -> Result<(), String> {
        std::io::Write::flush(&mut self.0).map_err(|e| Self::failed(path, e))?;
        self.0
            .as_file()
            .sync_all()
            .map_err(|e| Self::failed(path, e))
    }

    fn failed(path: &std::path::Path, e: std::io::Error) -> String {
        format!("cannot copy the trace {}: {e}", path.display())
    }
}

/// Whether `path` can be read again by each run: a regular file (or a
/// link to one), not standard input, a pipe, a FIFO or a device.
fn rereadable(path: &std::path::Path) -> bool {
    path.as_os_str() != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// What the matrix is made of.
struct Plan {
    _trace_copies: Vec<TraceCopy>,
    inputs: Vec<Input>,
    collectors: Vec<CollectorName>,
    seeds: Vec<u64>,
}

/// Checks everything that can be checked before the first run.
fn plan(args: &Args) -> Result<Plan, String> {
    workloads::check_scale(args.scale)?;
    let mut inputs: Vec<Input> = Vec::new();
    let mut trace_copies = Vec::new();
    add_workloads(args, &mut inputs)?;
    add_traces(args, &mut inputs, &mut trace_copies)?;
    if args.scenarios {
        for (name, text) in bundled::TRACES {
            let t = Trace::parse(text).map_err(|e| format!("{name}: {e}"))?;
            inputs.push(Input::Scenario(name, t));
        }
    }
    let collectors = chosen_collectors(args)?;
    Ok(Plan {
        _trace_copies: trace_copies,
        inputs,
        collectors,
        seeds: distinct_seeds(&args.seeds),
    })
}

/// The bundled workloads and Python programs of `--workload` (every
/// workload, at its matrix scale, when nothing is named), each once.
fn add_workloads(args: &Args, inputs: &mut Vec<Input>) -> Result<(), String> {
    let default_workloads = args.workloads.is_empty() && args.traces.is_empty() && !args.scenarios;
    let chosen: Vec<&'static Workload> = if default_workloads {
        workloads::ALL.iter().collect()
    } else {
        let mut bundled = Vec::new();
        for w in &args.workloads {
            match w {
                WorkloadArg::Bundled(w) => bundled.push(*w),
                WorkloadArg::Python(path) => {
                    let name = format!("{}{}", bench_harness::python::PREFIX, path.display());
                    if !inputs
                        .iter()
                        .any(|i| matches!(i, Input::Python(n) if *n == name))
                    {
                        inputs.push(Input::Python(name));
                    }
                }
            }
        }
        bundled
    };
    for w in chosen {
        // The default matrix runs the issue-sized workloads smaller.
        let scale = if default_workloads {
            args.scale * w.matrix_scale
        } else {
            args.scale
        };
        w.check(scale)?;
        if !inputs
            .iter()
            .any(|i| matches!(i, Input::Workload(x, _) if x.name == w.name))
        {
            inputs.push(Input::Workload(w, scale));
        }
    }
    Ok(())
}

/// The traces of `--trace`, parsed; standard input's, and any other that
/// is not a regular file, is copied to a file the child processes read.
fn add_traces(
    args: &Args,
    inputs: &mut Vec<Input>,
    copies: &mut Vec<TraceCopy>,
) -> Result<(), String> {
    if args.traces.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err("--trace -: standard input was given twice (it can be read once)".into());
    }
    for path in &args.traces {
        let parsed = |read: Result<Trace, _>| read.map_err(|e| format!("{}: {e}", path.display()));
        if !rereadable(path) {
            // The runs are child processes: each would find the pipe
            // drained; they read a copy, written as the trace is read and
            // removed when `run` ends.
            let mut copy = TraceCopy::create(path)?;
            let t = parsed(crate::cmd::replay::read_trace(path, Some(&mut copy.0))?)?;
            copy.finish(path)?;
            // Standard input reads as `stdin` in the tables and reports.
            let name = if path.as_os_str() == "-" {
                "stdin".to_owned()
            } else {
                path.display().to_string()
            };
            inputs.push(Input::Trace(name, copy.0.path().to_path_buf(), t));
            copies.push(copy);
        } else {
            let t = parsed(crate::cmd::replay::read_trace(path, None)?)?;
            inputs.push(Input::Trace(path.display().to_string(), path.clone(), t));
        }
    }
    Ok(())
}

/// The collectors of `--collector` (every one when none is named), each
/// once in report order, with every `--config` setting taken by one of
/// them and valid for each.
fn chosen_collectors(args: &Args) -> Result<Vec<CollectorName>, String> {
    let collectors: Vec<CollectorName> = if args.collectors.is_empty() {
        CollectorName::ALL.to_vec()
    } else {
        let mut v = Vec::new();
        for &c in &args.collectors {
            if !v.contains(&c) {
                v.push(c);
            }
        }
        // Report order, whatever the command line's: the baseline first.
        v.sort_by_key(|c| CollectorName::ALL.iter().position(|x| x == c));
        v
    };
    check_keys(&collectors, &args.config)?;
    for &c in &collectors {
        struct Check;
        impl WithCollector for Check {
            type Output = ();
            fn run<C: Inspect>(self, _config: C::Config) {}
        }
        dispatch(c, &config_for(c, &args.config), Check)?;
    }
    Ok(collectors)
}

/// Each seed once, in the order first given (`--seed 1 --seed 2 --seed 1`
/// runs 1 then 2); seed 1 when none is given.
fn distinct_seeds(given: &[u64]) -> Vec<u64> {
    let mut seeds: Vec<u64> = Vec::new();
    for &seed in given {
        if !seeds.contains(&seed) {
            seeds.push(seed);
        }
    }
    if seeds.is_empty() {
        seeds.push(1);
    }
    seeds
}

/// Runs the subcommand.
pub fn main(mut args: Args) -> Result<i32, String> {
    if args.suite == Some(Suite::Research) {
        args.repeat = args.repeat.max(5);
        args.warmup = args.warmup.max(1);
    }
    let Plan {
        _trace_copies,
        inputs,
        collectors,
        seeds,
    } = plan(&args)?;
    let inputs = if args.suite == Some(Suite::Research) {
        research_scales(inputs, &collectors, &args)?
    } else {
        inputs
    };
    // Removed if interrupted before the outputs are written, when made here.
    let _out_dir = match &args.out {
        Some(dir) => Some(bench_harness::atomic::prepare_dir(dir)?),
        None => None,
    };
    let command = bench_harness::machine::command_line();
    let machine = Machine::detect(&command);
    let settings = collector_settings(&collectors, &args)?;
    let mut cells = matrix(&inputs, &collectors, &seeds)?;
    let (shards, whole_matrix) = match args.shard {
        Some((k, n)) => {
            let whole: Vec<String> = cells.iter().map(Cell::key).collect();
            cells.retain(|c| c.index % n == k - 1);
            (vec![format!("{k}/{n}")], whole)
        }
        None => (Vec::new(), Vec::new()),
    };
    let jobs = usize::from(args.jobs);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if jobs > 1 {
        eprintln!(
            "note: running {jobs} runs at once: they share the machine ({cpus} CPUs), so times are noisier than with --jobs 1"
        );
    }
    let (order_seed, jobs_order) = run_order(&args, cells.len());
    let started = Instant::now();
    let runs = run_matrix(&cells, &jobs_order, &args)?;
    let results = Results {
        tool: "gc-bench".into(),
        format: results::FORMAT,
        version: env!("CARGO_PKG_VERSION").into(),
        jobs,
        cpus,
        shards,
        machine: Some(machine),
        settings,
        repeat: args.repeat,
        warmup: args.warmup,
        order_seed,
        suite: args.suite.map(|_| "research".to_owned()),
        matrix: whole_matrix,
        runs,
    };
    report_results(&results, &args, &command, started)
}

/// The research suite's inputs, scaled by one calibration run of every cell.
fn research_scales(
    inputs: Vec<Input>,
    collectors: &[CollectorName],
    args: &Args,
) -> Result<Vec<Input>, String> {
    let rounds = usize::from(args.repeat) + usize::from(args.warmup);
    eprintln!("research suite: calibrating the scales (one run of every cell)…");
    let (inputs, expected) = calibrate(inputs, collectors, args, rounds)?;
    eprintln!(
        "research suite: {} warm-up + {} measured rounds; expected duration about {}",
        args.warmup,
        args.repeat,
        duration_words(expected)
    );
    Ok(inputs)
}

/// An expected duration for a person: seconds under a minute and a half
/// (so a short suite does not read "about 0 min"), whole minutes above.
fn duration_words(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{:.0} s", seconds.max(1.0))
    } else {
        format!("{:.0} min", seconds / 60.0)
    }
}

/// Every collector's effective settings under `--config`.
fn collector_settings(
    collectors: &[CollectorName],
    args: &Args,
) -> Result<Vec<CollectorSettings>, String> {
    collectors
        .iter()
        .map(|&c| {
            Ok(CollectorSettings {
                collector: c.name().to_owned(),
                settings: effective_settings(c, &config_for(c, &args.config))?,
            })
        })
        .collect()
}

/// The cells inputs × collectors × seeds, in matrix order (a trace or a
/// program runs once, with seed 0).
fn matrix<'a>(
    inputs: &'a [Input],
    collectors: &[CollectorName],
    seeds: &[u64],
) -> Result<Vec<Cell<'a>>, String> {
    let mut cells = Vec::new();
    for input in inputs {
        let (seeds_here, scale, parameter) = match input {
            Input::Workload(w, scale) => (seeds.to_vec(), *scale, w.check(*scale)?),
            Input::Trace(_, _, t) | Input::Scenario(_, t) => {
                (vec![0], 1.0, format!("ops={}", t.lines.len()))
            }
            Input::Python(..) => (vec![0], 1.0, "program".to_owned()),
        };
        for &collector in collectors {
            for &seed in &seeds_here {
                cells.push(Cell {
                    index: cells.len(),
                    input,
                    collector,
                    seed,
                    scale,
                    parameter: parameter.clone(),
                    // Once per input and seed: the operations, and so the
                    // harness's work, are the same for every collector.
                    harness: collector == collectors[0] && !matches!(input, Input::Python(_)),
                });
            }
        }
    }
    Ok(cells)
}

/// The order of the runs, `(cell, round)`: one round in matrix order;
/// several in a shuffled order per round (with the seed of that order).
fn run_order(args: &Args, cells: usize) -> (Option<u64>, Vec<(usize, usize)>) {
    let warmup = usize::from(args.warmup);
    let rounds = warmup + usize::from(args.repeat);
    let order_seed = (rounds > 1).then(|| {
        args.order_seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        })
    });
    let jobs_order: Vec<(usize, usize)> = match order_seed {
        Some(seed) => interleaved_order(cells, rounds, seed),
        None => (0..cells).map(|c| (c, 0)).collect(),
    };
    if let Some(seed) = order_seed {
        eprintln!(
            "note: {} runs: {warmup} warm-up and {} measured round(s) of {cells} cells, each round in a random order (--order-seed {seed})",
            jobs_order.len(),
            args.repeat,
        );
    }
    (order_seed, jobs_order)
}

/// Runs every `(cell, round)` of `jobs_order` on `--jobs` threads, each in
/// a child process, under a progress bar, and sums up each cell's measured
/// rounds.
fn run_matrix(
    cells: &[Cell<'_>],
    jobs_order: &[(usize, usize)],
    args: &Args,
) -> Result<Vec<RunResult>, String> {
    let jobs = usize::from(args.jobs);
    let bar = progress_bar(jobs_order.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .spawn_handler(|worker| {
            let name = format!("run-{}", worker.index());
            threads::spawn(&name, WORKER_STACK, || worker.run()).map(drop)
        })
        .build()
        .map_err(|e| format!("cannot start {jobs} worker threads: {e}"))?;
    std::thread::scope(|scope| {
        // Dropped when the matrix ends, or unwinds: the bar's thread
        // then ends at once.
        let (_running, stopped) = mpsc::channel::<()>();
        threads::spawn_scoped(scope, "progress", PROGRESS_STACK, || {
            show_bar_after_a_second(&bar, stopped)
        })
        .map_err(|e| format!("cannot start the progress bar's thread: {e}"))?;
        let outcomes: Vec<(usize, usize, Result<Metrics, String>)> = pool.install(|| {
            jobs_order
                .par_iter()
                .map(|&(c, round)| (c, round, run_logged(&cells[c], round, args, &bar)))
                .collect()
        });
        let runs = run_results(cells, outcomes, args);
        bar.finish_and_clear();
        Ok(runs)
    })
}

/// A hidden progress bar over `len` runs.
fn progress_bar(len: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// The stack of each `--jobs` thread: it starts a child and waits.
const WORKER_STACK: usize = 2 << 20;
/// The stack of the progress bar's thread.
const PROGRESS_STACK: usize = 256 << 10;

/// The bar appears only once the matrix has taken a second, and only on a
/// terminal; this thread ticks it (indicatif's own ticker would be one
/// more thread started without asking for its room) until `stopped`'s
/// sender is dropped.
fn show_bar_after_a_second(bar: &ProgressBar, stopped: mpsc::Receiver<()>) {
    let stopping = |wait| stopped.recv_timeout(wait) != Err(RecvTimeoutError::Timeout);
    if stopping(Duration::from_secs(1)) || !std::io::stderr().is_terminal() {
        return;
    }
    bar.set_draw_target(ProgressDrawTarget::stderr());
    while !stopping(Duration::from_millis(200)) {
        bar.tick();
    }
}

/// One run of `cell`, logged and counted on the bar.
fn run_logged(
    cell: &Cell<'_>,
    round: usize,
    args: &Args,
    bar: &ProgressBar,
) -> Result<Metrics, String> {
    let id = format!(
        "{}/{}/{}",
        cell.name(),
        cell.collector.name(),
        cell.parameter
    );
    bar.set_message(id.clone());
    let outcome = run_in_child(cell, args, bar);
    match &outcome {
        Ok(m) => {
            tracing::info!(run = %id, seed = cell.seed, round, wall_ms = m.wall_ns as f64 / 1e6, "run finished")
        }
        Err(e) => tracing::warn!(run = %id, seed = cell.seed, round, error = %e, "run FAILED"),
    }
    bar.inc(1);
    outcome
}

/// Each cell's result from its measured rounds (warm-up rounds dropped).
fn run_results(
    cells: &[Cell<'_>],
    outcomes: Vec<(usize, usize, Result<Metrics, String>)>,
    args: &Args,
) -> Vec<RunResult> {
    let warmup = usize::from(args.warmup);
    let mut per_cell: Vec<Vec<(usize, Result<Metrics, String>)>> =
        cells.iter().map(|_| Vec::new()).collect();
    for (c, round, outcome) in outcomes {
        if round >= warmup {
            per_cell[c].push((round, outcome));
        }
    }
    cells
        .iter()
        .zip(per_cell)
        .map(|(cell, mut measured)| {
            measured.sort_by_key(|(round, _)| *round);
            run_result(cell, measured.into_iter().map(|(_, o)| o).collect(), args)
        })
        .collect()
}

/// One cell's result from its measured outcomes, in round order.
fn run_result(cell: &Cell<'_>, measured: Vec<Result<Metrics, String>>, args: &Args) -> RunResult {
    let (status, error, metrics, repetitions, wall, gc) = match combine(measured) {
        Ok((m, reps, wall, gc)) => (Status::Ok, None, Some(m), reps, wall, gc),
        Err(e) => (Status::Failed, Some(e), None, Vec::new(), None, None),
    };
    RunResult {
        workload: cell.name().to_owned(),
        collector: cell.collector.name().to_owned(),
        seed: cell.seed,
        scale: cell.scale,
        parameter: cell.parameter.clone(),
        index: cell.index,
        status,
        error,
        // A Python program's run is verified by gc-py's check of its
        // end (`python.rs`), a failed check fails the run.
        verified: !args.no_verify && metrics.is_some(),
        metrics,
        repeat_wall_ns: repetitions.iter().map(|r| r.wall_ns).collect(),
        repetitions,
        wall,
        gc,
    }
}

/// Prints the table and notes, writes `--out`'s files; 1 when a run failed.
fn report_results(
    results: &Results,
    args: &Args,
    command: &str,
    started: Instant,
) -> Result<i32, String> {
    let mut out = Out::stdout();
    report::table(&results.runs).print(&mut out);
    for n in report::notes(results) {
        out.line(&n);
    }
    let seconds = started.elapsed().as_secs_f64();
    out.line(&if args.repeat > 1 || args.warmup > 0 {
        // Every cell ran once per round: say so, rather than count cells
        // as runs.
        format!(
            "{} cells × {} rounds ({} warm-up) = {} runs in {seconds:.1} s",
            results.runs.len(),
            u32::from(args.repeat) + u32::from(args.warmup),
            args.warmup,
            results.runs.len() * (usize::from(args.repeat) + usize::from(args.warmup)),
        )
    } else {
        format!("{} runs in {seconds:.1} s", results.runs.len())
    });
    out.flush();
    if let Some(dir) = &args.out {
        report::write_outputs(dir, results, command)?;
        out.line(&format!(
            "wrote {0}/report.md, results.json, results.csv and 6 SVG figures in {0}",
            dir.display()
        ));
        out.flush();
    }
    let failed = results.runs.iter().any(|r| r.status == Status::Failed);
    Ok(if failed { 1 } else { 0 })
}
