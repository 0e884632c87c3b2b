//! `gc-bench sweep`: each workload's time–space trade-off (see
//! `bench_harness::sweep`): the minimum heap of budgeted collectors by
//! bisection, then every collector along its heap factors or its knob;
//! a table, and with `--out` `sweep.json`, `points.csv`, one figure per
//! workload, `lbo.svg` and `report.md`.

use std::path::PathBuf;

use bench_harness::collectors::{CollectorName, check_keys, effective_settings, parse_pair};
use bench_harness::estimate::{interleaved_order, median_ci};
use bench_harness::machine::Machine;
use bench_harness::output::Out;
use bench_harness::report::collections;
use bench_harness::results::{CollectorSettings, Metrics, Repetition};
use bench_harness::sweep::{
    self, BISECTION_TOLERANCE, GENERATIONAL_THRESHOLDS, HEAP_FACTORS, MinHeap, Point, SweepResults,
    WorkloadSweep,
};
use bench_harness::workloads::{self, Workload};

/// Arguments of `sweep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A workload to sweep (repeatable, at least one).
    #[arg(long = "workload", value_name = "NAME", required = true, value_parser = workloads::find)]
    pub workloads: Vec<&'static Workload>,
    /// A collector (repeatable); default: every implemented one.
    #[arg(long = "collector", value_name = "NAME", value_enum)]
    pub collectors: Vec<CollectorName>,
    /// Heap factors, multiples of the minimum heap, comma-separated.
    #[arg(long, value_name = "F,F,…", value_delimiter = ',', value_parser = parse_factor)]
    pub heap_factors: Vec<f64>,
    /// Repetitions per point (the median is reported, with its 95% CI
    /// from 3 on).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=i64::from(bench_harness::results::MAX_REPEAT)))]
    pub repeat: u16,
    /// The seed of the random order of the points' repetitions
    /// (default: from the clock; recorded either way).
    #[arg(long, value_name = "S")]
    pub order_seed: Option<u64>,
    /// The workloads' scale.
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    pub scale: f64,
    /// The seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// A collector setting kept at every point (KEY=VALUE, repeatable;
    /// the sweep's own key wins).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub config: Vec<(String, String)>,
    /// Write sweep.json, points.csv, the figures and report.md here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The largest heap factor: a budget of 1,000 minimum heaps is already
/// no budget at all (the studies go to 6, DaCapo's to 10).
const MAX_HEAP_FACTOR: f64 = 1000.0;

fn parse_factor(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if (1.0..=MAX_HEAP_FACTOR).contains(&f) => Ok(f),
        _ => Err(format!(
            "heap factors are numbers from 1 to {MAX_HEAP_FACTOR}, got `{s}`"
        )),
    }
}

/// The settings of `collector` from `pairs` (a key it does not take is
/// left out) with `extra` on top.
fn config_for(
    collector: CollectorName,
    pairs: &[(String, String)],
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| collector.takes(k))
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .cloned()
        .collect();
    v.extend_from_slice(extra);
    v
}

/// One verified run in a child process (`gc-bench cell`); with `harness`,
/// the harness's own cost is measured after it (`metrics.harness_ns_per_op`:
/// for the points, not for the bisection's probes).
fn run_child(
    w: &Workload,
    collector: CollectorName,
    args: &Args,
    config: &[(String, String)],
    harness: bool,
) -> Result<Metrics, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find gc-bench itself: {e}"))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("cell")
        .args([
            bench_harness::child::PARENT_FLAG,
            &bench_harness::child::parent_arg(),
        ])
        .args(["--workload", w.name])
        .args(["--collector", collector.name()])
        .args(["--seed", &args.seed.to_string()])
        .args(["--scale", &args.scale.to_string()]);
    for (k, v) in config {
        cmd.args(["--config", &format!("{k}={v}")]);
    }
    if harness {
        cmd.arg("--harness");
    }
    let out = bench_harness::child::output(cmd.stdin(std::process::Stdio::null()))
        .map_err(|e| format!("cannot start a run: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout
        .lines()
        .last()
        .map(serde_json::from_str::<Result<Metrics, String>>)
    {
        Some(Ok(outcome)) if out.status.success() => outcome,
        _ => Err(format!(
            "the run crashed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("no message")
        )),
    }
}

fn is_out_of_memory(e: &str) -> bool {
    e.contains("out of memory")
}

/// One point to run: a collector at a setting on a workload.
struct Spec {
    /// Index of its workload in the sweep.
    workload: usize,
    collector: CollectorName,
    setting: String,
    extra: Vec<(String, String)>,
    heap_factor: Option<f64>,
}

/// A point from its repetitions: medians, CIs, the median run's
/// collections.
fn summarise(spec: &Spec, runs: &[Metrics]) -> Point {
    let walls: Vec<f64> = runs.iter().map(|m| m.wall_ns as f64).collect();
    let gcs: Vec<f64> = runs.iter().map(|m| m.gc_ns as f64).collect();
    let mut feet: Vec<u64> = runs.iter().map(|m| m.peak_footprint_bytes).collect();
    feet.sort_unstable();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|&i| runs[i].wall_ns);
    let median = &runs[order[(runs.len() - 1) / 2]];
    let mut harness: Vec<f64> = runs.iter().filter_map(|m| m.harness_ns_per_op).collect();
    harness.sort_by(f64::total_cmp);
    Point {
        collector: spec.collector.name().to_owned(),
        setting: spec.setting.clone(),
        config: spec.extra.clone(),
        heap_factor: spec.heap_factor,
        wall: median_ci(&walls),
        gc: median_ci(&gcs),
        ns_per_op: bench_harness::results::ns_per_op(median.wall_ns, median.ops),
        harness_ns_per_op: harness.get(harness.len().wrapping_sub(1) / 2).copied(),
        footprint_bytes: feet[(feet.len() - 1) / 2],
        live_bytes: median.live.as_ref().map_or(0, |l| l.peak_bytes),
        collections: collections(median),
        lbo: None,
        pareto: false,
        repetitions: runs
            .iter()
            .map(|m| Repetition {
                wall_ns: m.wall_ns,
                gc_ns: m.gc_ns,
                peak_footprint_bytes: m.peak_footprint_bytes,
            })
            .collect(),
    }
}

/// The minimum `max_heap` of `collector` on `w`, by bisection.
fn min_heap(w: &Workload, collector: CollectorName, args: &Args) -> Result<MinHeap, String> {
    let unbounded = run_child(
        w,
        collector,
        args,
        &config_for(collector, &args.config, &[]),
        false,
    )?;
    let peak = unbounded.old_generation.map_or(0, |o| o.peak_old_bytes);
    let mut probes = Vec::new();
    let mut try_budget = |b: u64| -> Result<bool, String> {
        let extra = [("max_heap".to_owned(), b.to_string())];
        match run_child(
            w,
            collector,
            args,
            &config_for(collector, &args.config, &extra),
            false,
        ) {
            Ok(_) => Ok(true),
            Err(e) if is_out_of_memory(&e) => Ok(false),
            Err(e) => Err(format!("max_heap={b}: {e}")),
        }
    };
    // A feasible upper end: the unbounded run's peak, doubled until a run
    // completes under it.
    let mut hi = peak.max(64 * 1024);
    let mut lo = 0;
    loop {
        let ok = try_budget(hi)?;
        probes.push((hi, ok));
        if ok {
            break;
        }
        if hi > 1 << 40 {
            return Err(format!(
                "no budget up to {hi} bytes lets {} complete",
                w.name
            ));
        }
        lo = hi;
        hi *= 2;
    }
    let (bytes, more) = sweep::bisect(lo, hi, BISECTION_TOLERANCE, &mut try_budget)?;
    probes.extend(more);
    Ok(MinHeap {
        collector: collector.name().to_owned(),
        bytes,
        unbounded_peak_old_bytes: peak,
        probes,
    })
}

/// Whether a heap budget (`max_heap`) trades time for space in a
/// collector. Every collector takes one, but only `marksweep` paces its
/// collections by it (its major collections start sooner under a tighter
/// budget); reference counting frees what it frees whatever the budget,
/// and the cycle collector's knob is its thresholds.
fn budgeted(c: CollectorName) -> bool {
    c == CollectorName::Marksweep
}

/// The key the sweep sets at each of `c`'s points, if any.
fn swept_key(c: CollectorName) -> Option<&'static str> {
    if budgeted(c) {
        Some("max_heap")
    } else if c == CollectorName::Generational {
        Some("threshold0")
    } else {
        None
    }
}

/// The points of workload `index`: the minimum heap of each budgeted
/// collector first (found now, by bisection), then its heap factors; the
/// other collectors' knobs.
fn plan_workload(
    index: usize,
    w: &'static Workload,
    collectors: &[CollectorName],
    factors: &[f64],
    args: &Args,
    specs: &mut Vec<Spec>,
) -> Result<WorkloadSweep, String> {
    let mut ws = WorkloadSweep {
        workload: w.name.to_owned(),
        parameter: w.check(args.scale)?,
        min_heaps: Vec::new(),
        points: Vec::new(),
        failures: Vec::new(),
    };
    let mut add = |collector, setting: String, extra: Vec<(String, String)>, heap_factor| {
        specs.push(Spec {
            workload: index,
            collector,
            setting,
            extra,
            heap_factor,
        })
    };
    for &c in collectors {
        if budgeted(c) {
            let m = min_heap(w, c, args)?;
            eprintln!(
                "{}/{}: minimum heap {:.2} MiB ({} probes)",
                w.name,
                c.name(),
                m.bytes as f64 / (1024.0 * 1024.0),
                m.probes.len()
            );
            for &f in factors {
                let budget = (m.bytes as f64 * f).round() as u64;
                add(
                    c,
                    format!("max_heap={f}×"),
                    vec![("max_heap".to_owned(), budget.to_string())],
                    Some(f),
                );
            }
            ws.min_heaps.push(m);
        } else if c == CollectorName::Generational {
            for t in GENERATIONAL_THRESHOLDS {
                add(
                    c,
                    format!("threshold0={t}"),
                    vec![("threshold0".to_owned(), t.to_string())],
                    None,
                );
            }
        } else {
            add(c, "default".into(), Vec::new(), None);
        }
    }
    Ok(ws)
}

/// Runs the subcommand: plan every point (finding minimum heaps on the
/// way), run the points' repetitions interleaved, then report.
pub fn main(args: Args) -> Result<i32, String> {
    workloads::check_scale(args.scale)?;
    for w in &args.workloads {
        w.check(args.scale)?;
    }
    let collectors = chosen_collectors(&args.collectors);
    // As run: every key taken by a collector swept (each gets only its
    // own), every value valid; before any work.
    check_keys(&collectors, &args.config)?;
    let settings = collectors
        .iter()
        .map(|&c| {
            let mut settings = effective_settings(c, &config_for(c, &args.config, &[]))?;
            // The swept key is each point's own (a `--config` value for it,
            // or for its alias `PYPY_GC_MAX`, is overridden at every point).
            settings.retain(|(k, _)| Some(k.as_str()) != swept_key(c));
            Ok(CollectorSettings {
                collector: c.name().to_owned(),
                settings,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    // Removed if interrupted before the outputs are written, when made here.
    let _out_dir = match &args.out {
        Some(dir) => Some(bench_harness::atomic::prepare_dir(dir)?),
        None => None,
    };
    let factors = if args.heap_factors.is_empty() {
        HEAP_FACTORS.to_vec()
    } else {
        args.heap_factors.clone()
    };
    if let Some(f) = factors
        .iter()
        .enumerate()
        .find_map(|(i, f)| factors[..i].contains(f).then_some(f))
    {
        return Err(format!("--heap-factors: {f} is given twice"));
    }
    let machine = Machine::detect(&bench_harness::machine::command_line());
    let started = std::time::Instant::now();
    let mut done: Vec<WorkloadSweep> = Vec::new();
    let mut specs = Vec::new();
    for w in &args.workloads {
        if done.iter().any(|d| d.workload == w.name) {
            continue;
        }
        let ws = plan_workload(done.len(), w, &collectors, &factors, &args, &mut specs)?;
        done.push(ws);
    }
    let order_seed = args.order_seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    measure(&specs, &mut done, &args, order_seed)?;
    let results = SweepResults {
        tool: sweep::TOOL.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        machine,
        settings,
        heap_factors: factors,
        generational_thresholds: GENERATIONAL_THRESHOLDS.to_vec(),
        repeat: args.repeat,
        order_seed,
        scale: args.scale,
        seed: args.seed,
        workloads: done,
    };
    let failed = print_table(&results, started.elapsed().as_secs_f64());
    if let Some(dir) = &args.out {
        write_files(dir, &results)?;
    }
    Ok(if failed { 1 } else { 0 })
}

/// The collectors asked for, without duplicates, in the usual order
/// (default: all).
fn chosen_collectors(given: &[CollectorName]) -> Vec<CollectorName> {
    if given.is_empty() {
        return CollectorName::ALL.to_vec();
    }
    let mut v: Vec<CollectorName> = Vec::new();
    for &c in given {
        if !v.contains(&c) {
            v.push(c);
        }
    }
    v.sort_by_key(|c| CollectorName::ALL.iter().position(|x| x == c));
    v
}

/// Runs every point's repetitions, in rounds, each round in a random
/// order, and files each point's summary (or its failure) in its
/// workload's sweep.
fn measure(
    specs: &[Spec],
    done: &mut [WorkloadSweep],
    args: &Args,
    order_seed: u64,
) -> Result<(), String> {
    let mut outcomes: Vec<Result<Vec<Metrics>, String>> =
        specs.iter().map(|_| Ok(Vec::new())).collect();
    for (i, _) in interleaved_order(specs.len(), usize::from(args.repeat), order_seed) {
        let spec = &specs[i];
        let Ok(runs) = &mut outcomes[i] else { continue };
        let w = args
            .workloads
            .iter()
            .find(|w| w.name == done[spec.workload].workload)
            .ok_or("lost a workload")?;
        let config = config_for(spec.collector, &args.config, &spec.extra);
        match run_child(w, spec.collector, args, &config, true) {
            Ok(m) => runs.push(m),
            Err(e) => outcomes[i] = Err(e),
        }
    }
    for (spec, outcome) in specs.iter().zip(outcomes) {
        let ws = &mut done[spec.workload];
        match outcome {
            Ok(runs) => ws.points.push(summarise(spec, &runs)),
            Err(e) => ws
                .failures
                .push(format!("{}/{}: {e}", spec.collector.name(), spec.setting)),
        }
    }
    for ws in done.iter_mut() {
        sweep::finish(ws);
    }
    Ok(())
}

/// Prints the table and the failures; true when a point failed.
fn print_table(results: &SweepResults, seconds: f64) -> bool {
    let mut out = Out::stdout();
    sweep::report::table(results).print(&mut out);
    let mut failed = false;
    for w in &results.workloads {
        for f in &w.failures {
            failed = true;
            out.line(&format!("FAILED {}: {f}", w.workload));
        }
    }
    let points: usize = results.workloads.iter().map(|w| w.points.len()).sum();
    out.line(&format!("{points} points in {seconds:.1} s"));
    out.flush();
    failed
}

/// Writes sweep.json, points.csv, the figures and report.md into `dir`,
/// all or nothing.
fn write_files(dir: &std::path::Path, results: &SweepResults) -> Result<(), String> {
    let mut files: Vec<(String, String)> = vec![
        (
            "sweep.json".into(),
            serde_json::to_string_pretty(results).map_err(|e| e.to_string())?,
        ),
        ("points.csv".into(), sweep::report::csv(results)),
        ("lbo.svg".into(), sweep::plot::lbo(results)?),
        ("report.md".into(), sweep::report::markdown(results)),
    ];
    for w in &results.workloads {
        files.push((format!("{}.svg", w.workload), sweep::plot::workload(w)?));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_bytes()))
        .collect();
    bench_harness::atomic::write_all(dir, &refs)?;
    let mut out = Out::stdout();
    out.line(&format!(
        "wrote {0}/report.md, sweep.json, points.csv and {1} SVG figures in {0}",
        dir.display(),
        results.workloads.len() + 1
    ));
    out.flush();
    Ok(())
}
