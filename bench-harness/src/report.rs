//! Presenting results: the terminal table (absolute figures with ratios to
//! the null collector beside them), `results.json`, `results.csv`, the SVG
//! figures and `report.md` — everything rendered in memory first, then
//! each file written atomically.

use std::fmt::Write as _;
use std::path::Path;

use crate::metrics::OldGenStats;
use crate::results::{Metrics, Results, RunResult, Status};
use crate::table::Table;
use crate::{atomic, plots};

fn ms(ns: u64) -> String {
    let v = ns as f64 / 1e6;
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn us(ns: u64) -> String {
    let v = ns as f64 / 1e3;
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / (1024.0 * 1024.0))
}

/// An object count, short: `512`, `34.5k`, `1.20M`.
fn count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.2}M", n as f64 / 1e6),
    }
}

fn millions(v: f64) -> String {
    format!("{:.2}", v / 1e6)
}

/// The harness's time per operation for `r`'s operations: its own
/// measurement, else that of another run of the same workload, seed and
/// scale (`run` measures it in one run of each: the operations are the
/// same for every collector).
pub fn harness_of(all: &[RunResult], r: &RunResult) -> Option<f64> {
    let own = r.metrics.as_ref().and_then(|m| m.harness_ns_per_op);
    own.or_else(|| {
        all.iter()
            .filter(|b| b.workload == r.workload && b.seed == r.seed && b.scale == r.scale)
            .find_map(|b| b.metrics.as_ref()?.harness_ns_per_op)
    })
}

/// Wall time per operation, and the harness's beside it when it was
/// measured: `41.2 (6.3)`.
fn per_op(m: &Metrics, harness: Option<f64>) -> String {
    let ns = crate::results::ns_per_op(m.wall_ns, m.ops);
    match harness {
        Some(h) => format!("{ns:.1} ({h:.1})"),
        None => format!("{ns:.1}"),
    }
}

/// The line under the table on the harness's own cost: its range over
/// the runs, and its share of the null collector's time per operation
/// (on the same workload, seed and scale); `None` when no run measured
/// it.
pub fn harness_note(runs: &[RunResult]) -> Option<String> {
    let measured: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.metrics.as_ref()?.harness_ns_per_op)
        .collect();
    let lo = measured.iter().copied().reduce(f64::min)?;
    let hi = measured.iter().copied().reduce(f64::max)?;
    let mut shares: Vec<f64> = runs
        .iter()
        .filter(|r| r.collector == "null")
        .filter_map(|r| {
            let m = r.metrics.as_ref()?;
            let ns = crate::results::ns_per_op(m.wall_ns, m.ops);
            (ns > 0.0).then(|| harness_of(runs, r).map(|h| h / ns))?
        })
        .collect();
    shares.sort_by(f64::total_cmp);
    let of_null = match (shares.first(), shares.last()) {
        (Some(a), Some(b)) => format!(
            "; {:.0}–{:.0}% of null's time per operation (median {:.0}%)",
            100.0 * a,
            100.0 * b,
            100.0 * shares[(shares.len() - 1) / 2]
        ),
        _ => String::new(),
    };
    Some(format!(
        "ns/op (harness): wall time per operation; in brackets the harness's own on the same operations, measured once per workload and seed after its first collector's run, in its process (the same loop into a sink that keeps only handles and slots: an upper bound): {lo:.1}–{hi:.1} ns/op{of_null}"
    ))
}

fn ratio(v: f64, base: Option<f64>) -> String {
    match base {
        Some(b) if b > 0.0 => format!(" ({:.2}×)", v / b),
        _ => String::new(),
    }
}

/// The null collector's run with the same workload, seed and scale.
fn baseline<'a>(all: &'a [RunResult], r: &RunResult) -> Option<&'a Metrics> {
    all.iter()
        .find(|b| {
            b.collector == "null"
                && b.workload == r.workload
                && b.seed == r.seed
                && b.scale == r.scale
        })
        .and_then(|b| b.metrics.as_ref())
}

/// MMU at exactly `window_ns` (a point of the curve), if the run was long
/// enough for it.
pub fn mmu_at(m: &Metrics, window_ns: u64) -> Option<f64> {
    m.mmu
        .iter()
        .find(|p| p.window_ns == window_ns)
        .map(|p| p.mmu)
}

/// `kind:count` for every kind of collection.
pub fn collections(m: &Metrics) -> String {
    if m.collections.is_empty() {
        return "-".into();
    }
    m.collections
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first columns of a table of runs: workload, collector, and the seed
/// when the runs have more than one (returned as the flag).
fn leading_columns(seeds: impl Iterator<Item = u64>) -> (bool, Vec<&'static str>) {
    let mut s: Vec<u64> = seeds.collect();
    s.sort_unstable();
    s.dedup();
    let several = s.len() > 1;
    let mut header = vec!["workload", "collector"];
    if several {
        header.push("seed");
    }
    (several, header)
}

/// The table of `runs`, the shape the terminal and `report.md` show.
pub fn table(runs: &[RunResult]) -> Table {
    let (seeds, mut header) = leading_columns(runs.iter().map(|r| r.seed));
    header.extend([
        "result",
        "wall ms ±CI (×null)",
        "LBO",
        "gc ms (% of wall)",
        "Mops/s",
        "ns/op (harness)",
        "Malloc/s",
        "collections",
        "pause p50/p90/p99/max µs",
        "minor p99 µs",
        "MMU 1ms/10ms",
        "live MiB (objects)",
        "footprint MiB (×live)",
        "peak RSS MiB",
        "verifier peak RSS MiB",
        "leaked",
        "finalized",
    ]);
    let mut t = Table::new(&header);
    let lbo = crate::lbo::overheads(runs);
    for (i, r) in runs.iter().enumerate() {
        let mut row = vec![r.workload.clone(), r.collector.clone()];
        if seeds {
            row.push(r.seed.to_string());
        }
        match (&r.status, &r.metrics) {
            (Status::Ok, Some(m)) => {
                let base = baseline(runs, r);
                let mmu_at = |w: u64| mmu_at(m, w).map_or("-".into(), |v| format!("{v:.2}"));
                row.extend([
                    if r.verified { "ok" } else { "ok (unverified)" }.into(),
                    format!(
                        "{}{}{}{}",
                        ms(m.wall_ns),
                        r.wall
                            .filter(|w| w.has_interval())
                            .map_or(String::new(), |w| format!(
                                " ±{:.1}%",
                                100.0 * w.relative_half_width()
                            )),
                        r.flags(),
                        ratio(m.wall_ns as f64, base.map(|b| b.wall_ns as f64))
                    ),
                    lbo[i].map_or("-".into(), |o| format!("{:+.0}%", 100.0 * o)),
                    format!(
                        "{} ({:.1}%)",
                        ms(m.gc_ns),
                        100.0 * m.gc_ns as f64 / m.wall_ns.max(1) as f64
                    ),
                    millions(m.ops_per_sec),
                    per_op(m, harness_of(runs, r)),
                    millions(m.allocs_per_sec),
                    collections(m),
                    if m.pauses.count == 0 {
                        "-".into()
                    } else {
                        format!(
                            "{}/{}/{}/{}",
                            us(m.pauses.p50_ns),
                            us(m.pauses.p90_ns),
                            us(m.pauses.p99_ns),
                            us(m.pauses.max_ns)
                        )
                    },
                    m.minor_pauses.as_ref().map_or("-".into(), |p| us(p.p99_ns)),
                    format!("{}/{}", mmu_at(1_000_000), mmu_at(10_000_000)),
                    match &m.live {
                        Some(l) => format!("{} ({})", mib(l.peak_bytes), count(l.peak_objects)),
                        None => "-".into(),
                    },
                    match (m.peak_footprint_bytes, m.space_overhead()) {
                        (0, _) => "-".into(),
                        (f, Some(x)) => format!("{} ({x:.2}×)", mib(f)),
                        (f, None) => mib(f),
                    },
                    match m.peak_rss_bytes {
                        Some(b) => format!("{}{}", mib(b), if m.rss_shared { "*" } else { "" }),
                        None => "-".into(),
                    },
                    m.verifier_peak_rss_bytes.map_or("-".into(), mib),
                    m.leaked_objects.map_or("-".into(), |l| l.to_string()),
                    m.finalizers_run.to_string(),
                ]);
            }
            _ => {
                row.push("FAILED".into());
                row.extend(std::iter::repeat_n(
                    "-".to_owned(),
                    header.len() - row.len(),
                ));
            }
        }
        t.row(row);
    }
    t
}

/// The old-generation table: one row per run whose collector reports
/// memory counters (`marksweep`); `None` when no run has them.
pub fn old_generation_table(runs: &[RunResult]) -> Option<Table> {
    let with: Vec<(&RunResult, &OldGenStats)> = runs
        .iter()
        .filter_map(|r| Some((r, r.metrics.as_ref()?.old_generation.as_ref()?)))
        .collect();
    if with.is_empty() {
        return None;
    }
    let (seeds, mut header) = leading_columns(with.iter().map(|(r, _)| r.seed));
    header.extend([
        "promoted MiB (objects)",
        "peak old MiB",
        "pages reserved MiB at peak",
        "used MiB",
        "fragmentation",
    ]);
    let mut t = Table::new(&header);
    for (r, o) in with {
        let mut row = vec![r.workload.clone(), r.collector.clone()];
        if seeds {
            row.push(r.seed.to_string());
        }
        row.extend([
            format!("{} ({})", mib(o.promoted_bytes), o.promoted_objects),
            mib(o.peak_old_bytes),
            mib(o.peak_pages_reserved_bytes),
            mib(o.pages_used_at_peak_bytes),
            o.fragmentation()
                .map_or("-".into(), |v| format!("{:.1}%", 100.0 * v)),
        ]);
        t.row(row);
    }
    Some(t)
}

/// Lines explaining the table's marks and listing failures.
pub fn notes(results: &Results) -> Vec<String> {
    let mut v = Vec::new();
    for r in &results.runs {
        if r.status == Status::Failed {
            v.push(format!(
                "FAILED {}: {}",
                r.id(),
                r.error.as_deref().unwrap_or("?")
            ));
        }
    }
    if results
        .runs
        .iter()
        .any(|r| r.metrics.as_ref().is_some_and(|m| m.rss_shared))
    {
        v.push(
            "* peak RSS includes more than the run: the process could not reset its peak before it"
                .into(),
        );
    }
    v.extend(harness_note(&results.runs));
    let flagged = |c: char| results.runs.iter().any(|r| r.flags().contains(c));
    if flagged('†') {
        v.push(format!(
            "† median wall time under {} ms: timer resolution, start-up and cache effects weigh on it; use --scale to lengthen it",
            crate::results::SHORT_RUN_NS / 1_000_000
        ));
    }
    if flagged('‡') {
        v.push(format!(
            "‡ 95% confidence interval of the median wider than ±{:.0}%: more --repeat, --warmup or a quieter machine",
            100.0 * crate::results::WIDE_CI
        ));
    }
    if let Some(seed) = results.order_seed {
        v.push(format!(
            "{} warm-up and {} measured round(s), each in a random order (--order-seed {seed}); wall ±: half the 95% bootstrap CI of the median",
            results.warmup, results.repeat
        ));
    }
    if results.jobs > 1 {
        v.push(format!(
            "note: {} runs ran at once on {} CPUs: they shared the machine's cores, caches and memory bandwidth, so times are noisier than with --jobs 1",
            results.jobs, results.cpus
        ));
    }
    v
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// `results.csv`: one row per run.
pub fn csv(results: &Results) -> String {
    let mut out = String::from(
        "workload,collector,seed,scale,parameter,status,error,verified,ops,allocations,wall_ns,wall_ci_low_ns,wall_ci_high_ns,repetitions,lbo_overhead,gc_ns,mutator_ns,ops_per_sec,allocs_per_sec,wall_vs_null,collections,pauses,pause_p50_ns,pause_p90_ns,pause_p99_ns,pause_max_ns,mmu_1ms,mmu_10ms,peak_live_bytes,peak_live_objects,live_peak_objects,live_peak_bytes,peak_footprint_bytes,space_overhead,peak_rss_bytes,rss_shared,verifier_peak_rss_bytes,leaked_objects,finalizers_run,weak_callbacks,promoted_objects,promoted_bytes,peak_old_bytes,peak_pages_reserved_bytes,pages_used_at_peak_bytes,page_fragmentation,minor_pauses,minor_pause_p99_ns,minor_pause_max_ns,ns_per_op,harness_ns_per_op\n",
    );
    let lbo = crate::lbo::overheads(&results.runs);
    for (i, r) in results.runs.iter().enumerate() {
        let mut f: Vec<String> = vec![
            csv_field(&r.workload),
            csv_field(&r.collector),
            r.seed.to_string(),
            r.scale.to_string(),
            csv_field(&r.parameter),
            format!("{:?}", r.status).to_lowercase(),
            csv_field(r.error.as_deref().unwrap_or("")),
            r.verified.to_string(),
        ];
        if let Some(m) = &r.metrics {
            let base = baseline(&results.runs, r);
            let mmu_at = |w: u64| mmu_at(m, w).map_or(String::new(), |v| format!("{v:.4}"));
            f.extend([
                m.ops.to_string(),
                m.allocations.to_string(),
                m.wall_ns.to_string(),
                r.wall.map_or(String::new(), |w| format!("{:.0}", w.low)),
                r.wall.map_or(String::new(), |w| format!("{:.0}", w.high)),
                r.repetitions.len().max(1).to_string(),
                lbo[i].map_or(String::new(), |o| format!("{o:.4}")),
                m.gc_ns.to_string(),
                m.mutator_ns.to_string(),
                format!("{:.0}", m.ops_per_sec),
                format!("{:.0}", m.allocs_per_sec),
                base.map_or(String::new(), |b| {
                    format!("{:.4}", m.wall_ns as f64 / b.wall_ns.max(1) as f64)
                }),
                csv_field(&collections(m)),
                m.pauses.count.to_string(),
                m.pauses.p50_ns.to_string(),
                m.pauses.p90_ns.to_string(),
                m.pauses.p99_ns.to_string(),
                m.pauses.max_ns.to_string(),
                mmu_at(1_000_000),
                mmu_at(10_000_000),
                m.peak_live_bytes.to_string(),
                m.peak_live_objects.to_string(),
                m.live
                    .as_ref()
                    .map_or(String::new(), |l| l.peak_objects.to_string()),
                m.live
                    .as_ref()
                    .map_or(String::new(), |l| l.peak_bytes.to_string()),
                m.peak_footprint_bytes.to_string(),
                m.space_overhead()
                    .map_or(String::new(), |x| format!("{x:.4}")),
                m.peak_rss_bytes.map_or(String::new(), |b| b.to_string()),
                m.rss_shared.to_string(),
                m.verifier_peak_rss_bytes
                    .map_or(String::new(), |b| b.to_string()),
                m.leaked_objects.map_or(String::new(), |l| l.to_string()),
                m.finalizers_run.to_string(),
                m.weak_callbacks.to_string(),
            ]);
            // Empty for collectors without old-generation counters.
            match &m.old_generation {
                Some(o) => f.extend([
                    o.promoted_objects.to_string(),
                    o.promoted_bytes.to_string(),
                    o.peak_old_bytes.to_string(),
                    o.peak_pages_reserved_bytes.to_string(),
                    o.pages_used_at_peak_bytes.to_string(),
                    o.fragmentation()
                        .map_or(String::new(), |v| format!("{v:.4}")),
                ]),
                None => f.extend(std::iter::repeat_n(String::new(), 6)),
            }
            // Empty for collectors without minor collections.
            match &m.minor_pauses {
                Some(p) => f.extend([
                    p.count.to_string(),
                    p.p99_ns.to_string(),
                    p.max_ns.to_string(),
                ]),
                None => f.extend(std::iter::repeat_n(String::new(), 3)),
            }
            f.extend([
                format!("{:.2}", crate::results::ns_per_op(m.wall_ns, m.ops)),
                harness_of(&results.runs, r).map_or(String::new(), |h| format!("{h:.2}")),
            ]);
        } else {
            f.extend(std::iter::repeat_n(String::new(), 43));
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    out
}

/// Shards `K/N` missing from a set that holds some of N (`shards` as
/// `run --shard` records them).
pub fn missing_shards(shards: &[String]) -> Vec<String> {
    let parsed: Vec<(usize, usize)> = shards
        .iter()
        .filter_map(|s| {
            let (k, n) = s.split_once('/')?;
            Some((k.trim().parse().ok()?, n.trim().parse().ok()?))
        })
        .collect();
    let Some(&(_, n)) = parsed.first() else {
        return Vec::new();
    };
    (1..=n)
        .filter(|k| !parsed.contains(&(*k, n)))
        .map(|k| format!("{k}/{n}"))
        .collect()
}

/// `report.md`: the table, the figures, the notes and how to read them.
pub fn markdown(results: &Results, command: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# gc-bench report\n");
    let _ = writeln!(
        s,
        "Produced by `{command}` (gc-bench {}), {} cells{} on a machine with {} CPUs, {} at a time.\n",
        results.version,
        results.runs.len(),
        if results.repeat > 1 {
            format!(", each run {} times (rows: the median)", results.repeat)
        } else {
            String::new()
        },
        results.cpus,
        results.jobs
    );
    if !results.shards.is_empty() {
        let missing = missing_shards(&results.shards);
        if missing.is_empty() {
            let _ = writeln!(s, "Merged from shards {}.\n", results.shards.join(", "));
        } else {
            let _ = writeln!(
                s,
                "Merged from shards {}: **incomplete**, shards {} are missing, so the tables cover part of the matrix only.\n",
                results.shards.join(", "),
                missing.join(", ")
            );
        }
    }
    if results.suite.as_deref() == Some("research") {
        let _ = writeln!(
            s,
            "**Research suite.** Every workload runs at a scale calibrated on this machine so that its fastest run takes at least 0.5 s; every cell runs {} times after {} discarded warm-up round(s), the rounds in a random order each; times are medians with 95% bootstrap confidence intervals.\n",
            results.repeat, results.warmup
        );
    }
    s.push_str(&setup_markdown(results));
    s.push_str(&workloads_markdown(&results.runs));
    let _ = writeln!(s, "## Results\n");
    let t = table(&results.runs);
    s.push_str(&t.markdown());
    s.push('\n');
    for n in notes(results) {
        let _ = writeln!(s, "- {n}");
    }
    if let Some(t) = old_generation_table(&results.runs) {
        let _ = writeln!(s, "\n## Old generation\n");
        let _ = writeln!(
            s,
            "For the collectors that report memory counters (marksweep), over each run and its final full collection.\n"
        );
        s.push_str(&t.markdown());
    }
    let _ = writeln!(s, "\n## Figures\n");
    let _ = writeln!(
        s,
        "One panel per workload, one colour per collector; each shows the first seed's run (the JSON has every run).\n"
    );
    for (file, what) in [
        ("throughput.svg", "Throughput per workload"),
        (
            "space.svg",
            "Space overhead per workload (footprint ÷ live size)",
        ),
        ("memory.svg", "Peak footprint and live size per workload"),
        ("pauses.svg", "Pause-time distribution per collector"),
        ("mmu.svg", "Minimum mutator utilisation"),
        ("heap.svg", "Live heap over time"),
    ] {
        let _ = writeln!(s, "### {what}\n\n![{what}]({file})\n");
    }
    s.push_str(METHOD);
    s
}

/// The "Workloads" section: each input's scale and parameters, once.
fn workloads_markdown(runs: &[RunResult]) -> String {
    let mut t = Table::new(&["workload", "scale", "parameters", "seeds"]);
    let mut seen: Vec<(&str, f64)> = Vec::new();
    for r in runs {
        if seen.contains(&(r.workload.as_str(), r.scale)) {
            continue;
        }
        seen.push((&r.workload, r.scale));
        let mut seeds: Vec<u64> = runs
            .iter()
            .filter(|x| x.workload == r.workload && x.scale == r.scale)
            .map(|x| x.seed)
            .collect();
        seeds.sort_unstable();
        seeds.dedup();
        let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
        t.row(vec![
            r.workload.clone(),
            r.scale.to_string(),
            format!("`{}`", r.parameter),
            seeds.join(", "),
        ]);
    }
    format!("## Workloads\n\n{}\n", t.markdown())
}

/// The "Machine" and "Collector settings" sections of a report: what the
/// results were measured on and with, every key of every collector.
pub fn setup_markdown(results: &Results) -> String {
    let mut s = String::new();
    if let Some(m) = &results.machine {
        let _ = writeln!(s, "## Machine\n");
        let mut t = Table::new(&["", ""]);
        for (k, v) in m.lines() {
            t.row(vec![k, format!("`{v}`")]);
        }
        s.push_str(&t.markdown());
        s.push('\n');
    }
    if !results.settings.is_empty() {
        let _ = writeln!(s, "## Collector settings\n");
        let _ = writeln!(
            s,
            "Every key of every collector's configuration as the runs used it (sizes in bytes; settings whose 0 means \"derived\" shown as the value they stand for). These are the portable defaults unless the command line says otherwise (`--config`).\n"
        );
        let mut t = Table::new(&["collector", "settings"]);
        for c in &results.settings {
            let v: Vec<String> = c.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            t.row(vec![
                c.collector.clone(),
                if v.is_empty() {
                    "(none: no settings)".into()
                } else {
                    format!("`{}`", v.join(" "))
                },
            ]);
        }
        s.push_str(&t.markdown());
        s.push('\n');
    }
    s
}

const METHOD: &str = "## How to read this

- **wall**: the time to execute the workload's operations on the collector
  (generating the operations and verifying the result are not timed);
  `(×null)` divides by the null collector's time on the same workload and
  seed, the allocation-speed baseline. With `--repeat N`, every cell runs
  N times, in rounds of the whole matrix, each round in a random order
  (seeded; the seed is reported), after `--warmup K` rounds that are
  discarded; the repetition with the median wall time is shown, with `±`
  half the width of the median's 95% confidence interval relative to it
  (percentile bootstrap, 10,000 resamples; none below 3 repetitions).
  `†` marks a median under 50 ms (timer and start-up effects weigh on
  it), `‡` an interval wider than ±5%: differences smaller than the
  interval are not evidence. One repetition is one measurement.
- **LBO** (lower-bound overhead; Cai, Blackburn et al., ISPASS 2022): the
  baseline of a workload is the least `wall − gc` of every collector run
  on it (an upper bound of what an ideal, free collector would cost);
  each run's overhead is `wall / baseline − 1`, a lower bound of its true
  GC overhead. Reference counting's work happens inside the mutator's
  operations and is not GC time, so `refcount`'s (and `generational`'s
  counting) cost stays in its `wall − gc`: its own overhead is a looser
  bound, and it rarely sets the baseline. `null`'s `wall − gc` is its
  wall time, including the cache misses of never reusing memory.
- **ns/op (harness)**: wall time per operation (`metrics.ns_per_op` in
  the JSON); in brackets the harness's own time per operation
  (`metrics.harness_ns_per_op` of the run that measured it), measured
  once per workload and seed, in the process of its first collector's
  run, after that run: the same operations, generated off the clock in
  the same chunks,
  through the same loop (the trace executor's registers, the event drain,
  the `wget` answers kept for the verifier, the live-heap samples every
  1,024 operations) into a sink that keeps only handles and slots — the
  least a collector must do to answer the operations as `null` does.
  It is an upper bound of the harness's cost (the sink's handle table is
  every collector's cost too); what lies between it and a collector's
  figure is the collector's. The line under the table gives its range
  and its share of `null`'s time per operation. Verification itself (the
  model's replay and the verdict) is never on the clock.
- **gc ms (% of wall)**: time inside collections (the sum of the
  collectors' own pause measurements), and its share of wall time; the
  rest is mutator time (both are in the JSON and CSV). Reference counting
  frees inside the mutator's operations, so its cost is mutator time.
- **pause p50/p90/p99/max**: nearest-rank percentiles of every collection
  (or incremental step), explicit ones included, read from a histogram of
  3 significant digits (HdrHistogram): a percentile is at most 1/1024
  (< 0.1 %) above the exact one, exact below 2 µs; count, total and max
  are exact.
- **minor p99**: the same percentile over the minor collections alone
  (`marksweep`'s nursery collections, which the mutator waits for most
  often: the figure its default nursery is chosen by); `-` for a
  collector without them. The CSV has their count, p99 and maximum.
- **MMU** (minimum mutator utilisation, Cheng and Blelloch 2001): for a
  window size w, the smallest fraction of any w-long interval of the run
  left to the mutator; `-` when the run is shorter than the window.
  Computed as the pauses arrive, on ticks of w/1000: at most 0.001 above
  the exact value.
- **live** (the live size, the same for every collector): the most
  objects reachable from the program's roots at once, and their bytes in
  one canonical layout — a 16-byte header, 8 bytes per slot, then the
  payload — whatever the collector's own layout. Measured by the
  verifier's model, which replays the operations off the clock and counts
  what is reachable at 64 evenly spaced points of the run (so the peak is
  that of the samples); absent with `--no-verify`. (The collector's own
  count of payload bytes not yet freed, garbage included, is
  `peak_live_bytes` in the JSON and CSV.)
- **footprint (×live)**: the most bytes the collector held for objects at
  once, in its own layout (`Stats::footprint_bytes`, sampled every 1,024
  operations, after every collection and at the end): for `marksweep`
  its nursery, its page allocator's arenas (free pages, free blocks and
  page tails included) and its large objects; for `refcount` and
  `generational` the header and cold tables (free entries included), the
  slot arena and the payloads; for `null` its object table, slots and
  payloads. `×live` is the **space overhead**, footprint ÷ peak live size:
  what the collector needs per byte the program keeps alive (a
  collector's headers smaller than the canonical 16 bytes can put it
  below 1).
- **peak RSS**: the run's peak resident set (`VmHWM`): `gc-bench run`
  starts one process per run, so it is the run's own, `--jobs` or not
  (it includes the harness's fixed footprint, a few MiB, the same for
  every collector). It is read before verification builds its model.
- **verifier peak RSS**: the process's peak resident set while the
  verifier replays the run on its model and judges the live set (`VmHWM`
  reset after the run; the collector's final heap is still resident, so
  it is included). The model keeps only objects that can still matter,
  so this follows the live set, not the run's length. `-` without
  verification, or where the kernel refuses to reset the peak.
- **Old generation** (marksweep only; absent, or empty CSV columns, for
  collectors without these counters): **promoted** is what minor
  collections copied out of the nursery (whole objects: header, slots and
  payload); **peak old** the largest old generation (page blocks in use
  plus large objects); **pages reserved at peak** the most memory the page
  allocator held (whole 512 KiB arenas), with the most bytes **used** in
  blocks while it held that much; **fragmentation** is `1 − used /
  reserved` then (free pages, free blocks and page tails: memory held but
  holding no object). Measured at the end of every collection, the run's
  final full collection included.
- **leaked**: objects still allocated after the program dropped every root
  and a final full collection ran — the cycles pure reference counting
  cannot free (`-` for a collector that never frees).
- Every run is verified at its end against a model of the reachable set
  (unless `--no-verify`); a run that fails verification is listed as
  FAILED and contributes no figures.
";

/// Renders every output file in memory, then writes them into `dir` as
/// one (all or none; see [`atomic::write_all`]).
pub fn write_outputs(dir: &Path, results: &Results, command: &str) -> Result<(), String> {
    let json = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    let files: Vec<(&str, String)> = vec![
        ("results.json", json),
        ("results.csv", csv(results)),
        ("pauses.svg", plots::pauses(&results.runs)?),
        ("mmu.svg", plots::mmu(&results.runs)?),
        ("heap.svg", plots::heap(&results.runs)?),
        ("throughput.svg", plots::throughput(&results.runs)?),
        ("space.svg", plots::space(&results.runs)?),
        ("memory.svg", plots::memory(&results.runs)?),
        ("report.md", markdown(results, command)),
    ];
    let _dir = atomic::prepare_dir(dir)?;
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    atomic::write_all(dir, &files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(collector: &str, status: Status, old: Option<OldGenStats>) -> RunResult {
        RunResult {
            workload: "w".into(),
            collector: collector.into(),
            seed: 1,
            scale: 1.0,
            parameter: "p".into(),
            index: 0,
            status,
            error: (status == Status::Failed).then(|| "boom".into()),
            verified: true,
            metrics: (status == Status::Ok).then(|| Metrics {
                wall_ns: 1,
                ops: 4,
                harness_ns_per_op: (collector == "refcount").then_some(0.1),
                old_generation: old,
                ..Metrics::default()
            }),
            repeat_wall_ns: Vec::new(),
            repetitions: Vec::new(),
            wall: None,
            gc: None,
        }
    }

    #[test]
    fn old_generation_columns_are_empty_without_counters_and_rows_stay_aligned() {
        let old = OldGenStats {
            promoted_objects: 3,
            promoted_bytes: 96,
            peak_old_bytes: 96,
            peak_pages_reserved_bytes: 1024,
            pages_used_at_peak_bytes: 256,
        };
        let results = Results {
            tool: "gc-bench".into(),
            format: crate::results::FORMAT,
            version: "0".into(),
            jobs: 1,
            cpus: 1,
            shards: Vec::new(),
            machine: None,
            settings: Vec::new(),
            repeat: 1,
            warmup: 0,
            order_seed: None,
            suite: None,
            matrix: Vec::new(),
            runs: vec![
                run("refcount", Status::Ok, None),
                run("marksweep", Status::Ok, Some(old)),
                run("marksweep", Status::Failed, None),
            ],
        };
        let text = csv(&results);
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{text}");
        // The old generation's 6 columns, then the minor pauses' 3, then
        // the time per operation and the harness's.
        let tail = |r: &Vec<&str>| r[r.len() - 11..r.len() - 5].join(",");
        assert_eq!(tail(&rows[1]), ",,,,,");
        assert_eq!(tail(&rows[2]), "3,96,96,1024,256,0.7500");
        assert_eq!(tail(&rows[3]), ",,,,,");
        let minor = |r: &Vec<&str>| r[r.len() - 5..r.len() - 2].join(",");
        assert_eq!(
            minor(&rows[0]),
            "minor_pauses,minor_pause_p99_ns,minor_pause_max_ns"
        );
        assert!(rows[1..].iter().all(|r| minor(r) == ",,"), "{text}");
        let per_op = |r: &Vec<&str>| r[r.len() - 2..].join(",");
        assert_eq!(per_op(&rows[0]), "ns_per_op,harness_ns_per_op");
        // 1 ns over 4 operations; the harness measured in the first run
        // stands for every run of the workload.
        assert_eq!(per_op(&rows[1]), "0.25,0.10");
        assert_eq!(per_op(&rows[2]), "0.25,0.10");
        assert_eq!(per_op(&rows[3]), ",");
        let other = RunResult {
            workload: "v".into(),
            ..run("marksweep", Status::Ok, None)
        };
        assert_eq!(harness_of(&results.runs, &other), None);
        assert_eq!(harness_of(&results.runs, &results.runs[1]), Some(0.1));

        let md = markdown(&results, "gc-bench run");
        let section = md.split("## Old generation").nth(1).unwrap();
        let section = section.split("\n## ").next().unwrap();
        assert!(section.contains("| w | marksweep | 0.0 (3) | 0.0 | 0.0 | 0.0 | 75.0% |"));
        assert!(!section.contains("refcount"));
        let without = Results {
            runs: vec![run("refcount", Status::Ok, None)],
            ..results
        };
        assert!(!markdown(&without, "gc-bench run").contains("## Old generation"));
    }
}
