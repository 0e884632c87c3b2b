//! `gc-bench` as a user runs it: exit statuses, messages, event lines.

#[path = "support/gc_bench.rs"]
mod support;

use std::process::Output;

use support::{gc_bench, text, untimed};

/// Every collector `gc-bench` can run today.
const IMPLEMENTED: &[&str] = &["null", "refcount", "generational", "marksweep"];

fn replay_stdin(trace: &str, collector: &str) -> Output {
    gc_bench(
        &["replay", "-", "--collector", collector, "--events", "jsonl"],
        Some(trace),
    )
}

#[test]
fn every_bundled_trace_passes_on_every_implemented_collector() {
    let traces = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../traces")).unwrap();
    let mut n = 0;
    for entry in traces {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue; // traces/cpython/: checked by gc-generational's tests
        }
        for &collector in IMPLEMENTED {
            let out = gc_bench(
                &["replay", path.to_str().unwrap(), "--collector", collector],
                None,
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{} on {collector}: {}{}",
                path.display(),
                text(&out.stdout),
                text(&out.stderr)
            );
        }
        n += 1;
    }
    assert!(n >= 7);
}

const WORKLOADS: [&str; 15] = [
    "binary_trees",
    "gcbench",
    "gc_traversal",
    "gc_collect",
    "cycle_churn",
    "generational_mix",
    "lru_cache",
    "random_graph",
    "large_arrays",
    "finalizers",
    "weak_cache",
    "rings-2",
    "rings-100",
    "live_collect",
    "build_live",
];

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("gc-bench-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn run_shows_a_table_of_every_workload_and_collector() {
    let out = gc_bench(&["run", "--scale", "0.01"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.starts_with("workload"), "{s}");
    for w in WORKLOADS {
        for &c in IMPLEMENTED {
            let row = s
                .lines()
                .find(|l| l.starts_with(w) && l.split_whitespace().nth(1) == Some(c))
                .unwrap_or_else(|| panic!("no row {w}/{c}: {s}"));
            assert_eq!(row.split_whitespace().nth(2), Some("ok"), "{row}");
        }
    }
    // The null baseline comes first, and ratios stand beside figures.
    let first = s.lines().nth(2).unwrap();
    assert!(first.starts_with("binary_trees      null"), "{first}");
    assert!(s.contains("(1.00×)"));
    // Every workload on every implemented collector (two today; more as
    // the strategies land).
    let runs: usize = s
        .lines()
        .find_map(|l| l.split_once(" runs in ").map(|(n, _)| n.parse().unwrap()))
        .unwrap();
    assert!(runs >= 22 && runs % WORKLOADS.len() == 0, "{runs}");
}

#[test]
fn run_replays_the_bundled_scenarios_and_any_trace() {
    let out = gc_bench(
        &[
            "run",
            "--scenarios",
            "--trace",
            "traces/seed_cycle.gctrace",
            "--collector",
            "refcount",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.lines().any(|l| l.split_whitespace().take(3).eq([
            "seed_cycle.gctrace",
            "refcount",
            "ok"
        ])),
        "{s}"
    );
    assert!(s.contains("traces/seed_cycle.gctrace"), "{s}");
    assert!(
        !s.contains("binary_trees"),
        "explicit traces replace the default workloads"
    );
}

#[test]
fn no_verify_says_so_and_leaked_is_what_is_left() {
    let out = gc_bench(
        &[
            "run",
            "--workload",
            "gc_collect",
            "--scale",
            "0.01",
            "--collector",
            "refcount",
            "--no-verify",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let row = s.lines().find(|l| l.starts_with("gc_collect")).unwrap();
    assert!(row.contains("ok (unverified)"), "{row}");
    assert!(row.contains(" 2100 "), "one loop's rings leak: {row}");
}

#[test]
fn run_takes_a_trace_on_standard_input() {
    let trace = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/seed_cycle.gctrace"
    ))
    .unwrap();
    let out = gc_bench(
        &["run", "--trace", "-", "--collector", "refcount"],
        Some(&trace),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.lines()
            .any(|l| l.split_whitespace().take(3).eq(["stdin", "refcount", "ok"])),
        "{s}"
    );
}

/// `run --trace <(cat FILE)`: a pipe can be read once; `run` copies it for
/// its runs (as it copies standard input) and removes the copy at the end.
#[cfg(unix)]
#[test]
fn run_copies_a_trace_that_is_not_a_regular_file() {
    let tmp = scratch("pipe");
    std::fs::create_dir_all(&tmp).unwrap();
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/seed_cycle.gctrace");
    // The shell makes the pipe (bash's process substitution, /dev/fd/N).
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            "exec \"$0\" run --trace <(cat \"$1\") --collector refcount --collector marksweep",
            env!("CARGO_BIN_EXE_gc-bench"),
            trace,
        ])
        .env("TMPDIR", &tmp)
        .output()
        .expect("this test needs bash, for its process substitution");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for collector in ["refcount", "marksweep"] {
        assert!(
            s.lines().any(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.len() > 2 && w[0].starts_with("/dev/fd/") && w[1] == collector && w[2] == "ok"
            }),
            "{s}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn a_run_that_fails_is_reported_as_failed_and_exits_1() {
    let dir = scratch("failed");
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("bad.gctrace");
    std::fs::write(&trace, "gctrace 1\nnew r0 node 0 0\nexpect live 9\n").unwrap();
    let out = gc_bench(
        &[
            "run",
            "--trace",
            trace.to_str().unwrap(),
            "--collector",
            "null",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(s.contains("FAILED"), "{s}");
    assert!(s.contains("line 3: expect live 9 failed: actual 1"), "{s}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `run` reports the harness's own time per operation beside every run's:
/// in results.json (`metrics.ns_per_op` of every run,
/// `metrics.harness_ns_per_op` of the first collector's run of each
/// workload, which measures it), the CSV's last two columns and the
/// table (for every run of the workload). The harness does a subset of
/// what `null` does per operation (the same loop, a sink without memory),
/// so its figure is below null's; on `cycle_churn` null takes about three
/// times the harness's time per operation (in release and debug builds),
/// far beyond timing noise.
#[test]
fn run_reports_the_harness_cost_per_operation_beside_null() {
    let dir = scratch("harness");
    let out = gc_bench(
        &[
            "run",
            "--workload",
            "cycle_churn",
            "--collector",
            "null",
            "--collector",
            "refcount",
            "--scale",
            "0.3",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.lines().next().unwrap().contains("ns/op (harness)"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.starts_with("ns/op (harness): ")
                && l.contains("of null's time per operation")),
        "{s}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        let m = &r["metrics"];
        let (ops, wall) = (m["ops"].as_u64().unwrap(), m["wall_ns"].as_u64().unwrap());
        let ns = m["ns_per_op"].as_f64().unwrap();
        assert!(ns > 0.0, "{m}");
        assert!((ns - wall as f64 / ops as f64).abs() < 1e-6 * ns, "{m}");
        if r["collector"] == "null" {
            let harness = m["harness_ns_per_op"].as_f64().unwrap();
            // Measured in runs of its own: on a loaded machine it may
            // come out above null's, so only its presence is checked.
            assert!(harness > 0.0, "{m}");
        } else {
            assert!(m.get("harness_ns_per_op").is_none(), "{m}");
        }
    }
    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header[header.len() - 2..],
        ["ns_per_op", "harness_ns_per_op"]
    );
    // Both figures on every row: the workload's harness beside each run.
    let harness: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|r| r.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(harness.len(), 2);
    assert_eq!(harness[0], harness[1]);
    for row in csv.lines().skip(1) {
        let last: Vec<&str> = row.rsplit(',').take(2).collect();
        assert!(
            last.iter().all(|v| v.parse::<f64>().unwrap() > 0.0),
            "{row}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn out_writes_json_csv_svg_figures_and_a_report() {
    let dir = scratch("out");
    let out = gc_bench(
        &[
            "run",
            "--scale",
            "0.01",
            "--workload",
            "gc_collect",
            "--workload",
            "binary_trees",
            "--collector",
            "null",
            "--collector",
            "refcount",
            "--seed",
            "1",
            "--seed",
            "2",
            "--jobs",
            "2",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("they shared the machine"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2 * 2 * 2);
    for r in runs {
        assert_eq!(r["status"], "ok");
        assert_eq!(r["verified"], true);
        assert!(r["metrics"]["wall_ns"].as_u64().unwrap() > 0);
        assert!(r["metrics"]["peak_footprint_bytes"].as_u64().unwrap() > 0);
        assert!(r["metrics"]["live"]["peak_bytes"].as_u64().unwrap() > 0);
        // Each run is its own process: where the kernel let it reset its
        // peak RSS, the verifier's peak is measured apart from the run's.
        let verifier = &r["metrics"]["verifier_peak_rss_bytes"];
        if r["metrics"]["rss_shared"] == false {
            assert!(verifier.as_u64().unwrap() > 0, "{verifier}");
        } else {
            assert!(verifier.is_null(), "{verifier}");
        }
    }
    let machine = &json["machine"];
    for key in ["cpu_model", "os", "rustc", "git_commit", "command"] {
        assert!(!machine[key].as_str().unwrap().is_empty(), "machine.{key}");
    }
    assert!(
        machine["command"]
            .as_str()
            .unwrap()
            .contains("--scale 0.01")
    );
    assert!(machine["logical_cpus"].as_u64().unwrap() >= 1);
    let settings = json["settings"].as_array().unwrap();
    assert_eq!(settings.len(), 2);
    assert_eq!(settings[0]["collector"], "null");
    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8);
    assert!(csv.starts_with("workload,collector,seed"));
    for (svg, labels) in [
        ("pauses.svg", &["pause (µs, log scale)", "pauses"][..]),
        ("mmu.svg", &["window (ms, log scale)", "MMU (fraction)"]),
        ("heap.svg", &["time (ms)", "live objects (thousands)"]),
        ("throughput.svg", &["workload", "null"]),
        ("space.svg", &["workload", "footprint ÷ live size"]),
        ("memory.svg", &["workload", "MiB"]),
    ] {
        let s = std::fs::read_to_string(dir.join(svg)).unwrap();
        assert!(s.starts_with("<svg"), "{svg}");
        for l in labels {
            assert!(s.contains(l), "{svg} lacks {l}");
        }
        assert!(s.contains("\nrefcount\n"), "{svg} has a legend");
    }
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for f in [
        "pauses.svg",
        "mmu.svg",
        "heap.svg",
        "throughput.svg",
        "space.svg",
        "memory.svg",
    ] {
        assert!(md.contains(&format!("]({f})")), "report.md embeds {f}");
    }
    assert!(md.contains("| gc_collect | refcount | 2 | ok |"), "{md}");
    assert!(md.contains("## Machine") && md.contains("## Collector settings"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn repeat_interleaves_rounds_reports_a_ci_and_diff_compares_two_results() {
    let run = |name: &str, extra: &[&str]| {
        let dir = scratch(name);
        let mut args = vec![
            "run",
            "--workload",
            "cycle_churn",
            "--scale",
            "0.01",
            "--collector",
            "refcount",
            "--collector",
            "marksweep",
            "--repeat",
            "3",
            "--warmup",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = gc_bench(&args, None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        (dir, text(&out.stdout), text(&out.stderr))
    };
    let (a, stdout, stderr) = run("repeat-a", &["--order-seed", "42"]);
    assert!(stdout.contains(" ±"), "{stdout}");
    assert!(stdout.contains("--order-seed 42"), "{stdout}");
    assert!(
        stdout.contains("† median wall time under 50 ms"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 warm-up and 3 measured round(s) of 2 cells"),
        "{stderr}"
    );
    assert!(
        stdout.contains("2 cells × 4 rounds (1 warm-up) = 8 runs in "),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["order_seed"], 42);
    assert_eq!(
        (json["repeat"].as_u64(), json["warmup"].as_u64()),
        (Some(3), Some(1))
    );
    let r = &json["runs"][0];
    let mut walls: Vec<u64> = r["repeat_wall_ns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap())
        .collect();
    walls.sort_unstable();
    assert_eq!(walls.len(), 3, "warm-up discarded");
    assert_eq!(
        r["metrics"]["wall_ns"].as_u64().unwrap(),
        walls[1],
        "the median"
    );
    let (low, high) = (
        r["wall"]["low"].as_f64().unwrap(),
        r["wall"]["high"].as_f64().unwrap(),
    );
    assert!(low >= walls[0] as f64 && high <= walls[2] as f64 && low <= high);
    assert_eq!(r["repetitions"].as_array().unwrap().len(), 3);

    let (b, _, _) = run("repeat-b", &["--config", "nursery=64KB"]);
    let out = gc_bench(
        &[
            "diff",
            a.to_str().unwrap(),
            b.join("results.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("cycle_churn/refcount/"), "{t}");
    assert!(t.contains("cycle_churn/marksweep/"), "{t}");
    assert!(t.contains("wall B/A") && t.contains("footprint B/A"), "{t}");
    // The 64 KiB nursery holds less than the default 512 KiB: a
    // significant change.
    let ms = t
        .lines()
        .find(|l| l.starts_with("cycle_churn/marksweep"))
        .unwrap();
    assert!(ms.trim_end().ends_with('*'), "{ms}");

    let out = gc_bench(
        &["diff", a.to_str().unwrap(), "/nonexistent/results.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn sweep_finds_the_minimum_heap_and_writes_points_figures_and_report() {
    let dir = scratch("sweep");
    let out = gc_bench(
        &[
            "sweep",
            "--workload",
            "lru_cache",
            "--collector",
            "marksweep",
            "--collector",
            "generational",
            "--collector",
            "refcount",
            "--scale",
            "0.05",
            "--heap-factors",
            "1.5,3",
            "--config",
            "nursery=64KB",
            // Keys the sweep sets itself: overridden at every point, and
            // left out of the settings it records.
            "--config",
            "PYPY_GC_MAX=1GB",
            "--config",
            "threshold0=5",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("max_heap=1.5×") && stdout.contains("threshold0=700"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    let settings = |c: &str| -> Vec<String> {
        let s = json["settings"].as_array().unwrap();
        let s = s.iter().find(|s| s["collector"] == c).unwrap();
        s["settings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| kv[0].as_str().unwrap().to_owned())
            .collect()
    };
    let ms = settings("marksweep");
    assert!(
        ms.contains(&"nursery".to_owned()) && !ms.contains(&"max_heap".to_owned()),
        "{ms:?}"
    );
    let g = settings("generational");
    assert!(
        g.contains(&"threshold1".to_owned()) && !g.contains(&"threshold0".to_owned()),
        "{g:?}"
    );
    let w = &json["workloads"][0];
    let m = &w["min_heaps"][0];
    let min = m["bytes"].as_u64().unwrap();
    assert!(min > 0);
    // The minimum is a probe that completed; every smaller probe failed
    // or completed above it.
    let probes = m["probes"].as_array().unwrap();
    assert!(
        probes
            .iter()
            .any(|p| p[0].as_u64() == Some(min) && p[1] == true)
    );
    let points = w["points"].as_array().unwrap();
    assert_eq!(points.len(), 2 + 6 + 1);
    assert!(points.iter().any(|p| p["pareto"] == true));
    for p in points {
        assert!(p["footprint_bytes"].as_u64().unwrap() > 0);
        assert!(p["lbo"].as_f64().unwrap() >= 0.0);
    }
    let budget = points
        .iter()
        .find(|p| p["setting"] == "max_heap=1.5×")
        .unwrap();
    assert_eq!(
        budget["config"][0][1],
        ((min as f64 * 1.5).round() as u64).to_string()
    );
    for f in ["points.csv", "report.md", "lru_cache.svg", "lbo.svg"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let svg = std::fs::read_to_string(dir.join("lru_cache.svg")).unwrap();
    assert!(svg.contains("peak footprint (MiB)") && svg.contains("Pareto frontier"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## Minimum heaps") && md.contains("## How to read this"));

    // `diff` compares two sweeps point by point (here the sweep with
    // itself: every ratio 1), folder or sweep.json alike, and their
    // minimum heaps.
    let sweep_json = dir.join("sweep.json");
    let out = gc_bench(
        &["diff", dir.to_str().unwrap(), sweep_json.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("point "), "{stdout}");
    for point in [
        "lru_cache/marksweep max_heap=1.5×",
        "lru_cache/marksweep max_heap=3×",
        "lru_cache/generational threshold0=700",
        "lru_cache/refcount default",
    ] {
        assert!(stdout.contains(point), "{point}: {stdout}");
    }
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("lru_cache/"))
        .collect();
    assert_eq!(rows.len(), points.len(), "{stdout}");
    assert!(rows.iter().all(|r| r.contains("1.000×")), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "lru_cache/marksweep: {min} → {min} bytes (1.000×)"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("not compared"), "{stdout}");
    // A sweep against a run's results is refused, in one line.
    let run_dir = scratch("sweep-diff-run");
    let out = gc_bench(
        &[
            "run",
            "--workload",
            "lru_cache",
            "--collector",
            "refcount",
            "--scale",
            "0.01",
            "--out",
            run_dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gc_bench(
        &["diff", dir.to_str().unwrap(), run_dir.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("diff compares two of a kind"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    std::fs::remove_dir_all(&run_dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    for bad in [
        &["sweep", "--workload", "lru_cache", "--heap-factors", "0.5"][..],
        // Found by a bad-input trial: accepted, labelled with 300 digits.
        &[
            "sweep",
            "--workload",
            "lru_cache",
            "--heap-factors",
            "1e300",
        ],
        &["sweep", "--collector", "marksweep"],
        &["sweep", "--workload", "nope"],
    ] {
        let out = gc_bench(bad, None);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert_eq!(
            text(&out.stderr).trim().lines().count(),
            1,
            "{bad:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn shards_cover_the_matrix_and_merge_combines_them() {
    let dirs: Vec<_> = (1..=3).map(|k| scratch(&format!("shard{k}"))).collect();
    for (k, d) in dirs.iter().enumerate() {
        let shard = format!("{}/3", k + 1);
        let out = gc_bench(
            &[
                "run",
                "--scale",
                "0.01",
                "--workload",
                "cycle_churn",
                "--workload",
                "gc_collect",
                "--collector",
                "null",
                "--collector",
                "refcount",
                "--seed",
                "1",
                "--seed",
                "2",
                "--shard",
                &shard,
                "--out",
                d.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let merged = scratch("merged");
    let args: Vec<&str> = ["merge"]
        .into_iter()
        .chain(dirs.iter().map(|d| d.to_str().unwrap()))
        .chain(["--out", merged.to_str().unwrap()])
        .collect();
    let out = gc_bench(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("results.json")).unwrap())
            .unwrap();
    let idx: Vec<u64> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, (0..8).collect::<Vec<u64>>(), "every cell exactly once");
    assert!(merged.join("report.md").exists());
    // The same shard twice is refused.
    let out = gc_bench(
        &[
            "merge",
            dirs[0].to_str().unwrap(),
            dirs[0].to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is in both"));
    // A partial merge says what is missing, and so does its report.
    let partial = scratch("partial");
    let out = gc_bench(
        &[
            "merge",
            dirs[0].to_str().unwrap(),
            "--out",
            partial.to_str().unwrap(),
        ],
        None,
    );
    assert!(text(&out.stdout).contains("shards missing: 2/3, 3/3"));
    let report = std::fs::read_to_string(partial.join("report.md")).unwrap();
    assert!(report.contains("**incomplete**, shards 2/3, 3/3 are missing"));
    for d in dirs.iter().chain([&merged, &partial]) {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn record_writes_what_run_executes() {
    let dir = scratch("record");
    std::fs::create_dir_all(&dir).unwrap();
    for w in WORKLOADS {
        let file = dir.join(format!("{w}.gctrace"));
        let out = gc_bench(
            &[
                "record",
                w,
                "--seed",
                "3",
                "--scale",
                "0.01",
                "--out",
                file.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{w}: {}", text(&out.stderr));
        let replay = gc_bench(
            &["replay", file.to_str().unwrap(), "--collector", "refcount"],
            None,
        );
        assert_eq!(
            replay.status.code(),
            Some(0),
            "{w}: {}",
            text(&replay.stderr)
        );
        let summary = text(&replay.stdout);
        let run = gc_bench(
            &[
                "run",
                "--workload",
                w,
                "--seed",
                "3",
                "--scale",
                "0.01",
                "--collector",
                "refcount",
                "--out",
                dir.join(w).to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(run.status.code(), Some(0));
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(w).join("results.json")).unwrap(),
        )
        .unwrap();
        let allocated = json["runs"][0]["metrics"]["allocations"].as_u64().unwrap();
        assert!(
            summary.contains(&format!(" {allocated} allocated")),
            "{w}: run allocated {allocated}, replay says {summary}"
        );
    }
    let out = gc_bench(&["record", "cycle_churn", "--scale", "0.0001"], None);
    let s = text(&out.stdout);
    assert!(
        s.starts_with("gctrace 1\n# gc-bench record cycle_churn --seed 1"),
        "{s}"
    );
    assert!(s.contains("\nnew r0 node 1 16\nnew r1 node 1 16\nset r0.0 r1\nset r1.0 r0\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_run_arguments_exit_2_with_one_clear_line() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let under_a_file = format!("{file}/out");
    // A collector not implemented yet, while there is one.
    let list = text(&gc_bench(&["list"], None).stdout);
    let missing = list
        .lines()
        .find(|l| l.ends_with("not implemented yet"))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_owned);
    let mut cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", "--workload", "nope"], "unknown workload `nope`"),
        (vec!["run", "--collector", "nope"], "invalid value 'nope'"),
        (vec!["run", "--scale", "0"], "impossible scale 0"),
        (vec!["run", "--scale", "-2"], "impossible scale -2"),
        (vec!["run", "--scale", "abc"], "invalid value 'abc'"),
        (
            vec!["run", "--scale", "1e12"],
            "above the largest this workload allows",
        ),
        (
            vec!["run", "--workload", "gcbench", "--scale", "100000"],
            "scale 100000 for gcbench",
        ),
        (vec!["run", "--jobs", "0"], "invalid value '0'"),
        (vec!["run", "--repeat", "0"], "invalid value '0'"),
        (vec!["run", "--shard", "3/2"], "expected K/N"),
        (vec!["run", "--shard", "x"], "expected K/N"),
        (
            vec!["run", "--frobnicate"],
            "unexpected argument '--frobnicate'",
        ),
        (
            vec!["run", "--config", "frobnicate=1"],
            "no collector in this run takes the setting `frobnicate`",
        ),
        (
            vec!["run", "--trace", "/no/such.gctrace"],
            "cannot read /no/such.gctrace",
        ),
        (
            vec!["run", "--out", "/proc/gc-bench-out"],
            "cannot create output folder /proc/gc-bench-out",
        ),
        (
            vec!["run", "--out", &under_a_file],
            "cannot create output folder",
        ),
        (vec!["record", "nope"], "unknown workload `nope`"),
        (
            vec!["record", "gcbench", "--scale", "0"],
            "impossible scale 0",
        ),
        (
            vec!["record", "gcbench", "--out", "/proc/x.gctrace"],
            "cannot write /proc/x.gctrace",
        ),
        (
            vec!["merge", "/no/such/dir"],
            "cannot read /no/such/dir/results.json",
        ),
        (vec!["merge"], "required"),
    ];
    if let Some(name) = &missing {
        cases.push((vec!["run", "--collector", name], "not implemented yet"));
    }
    for (args, want) in cases {
        let out = gc_bench(&args, None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: got {err:?}, want {want:?}");
        assert!(!err.contains("panicked"));
        assert!(text(&out.stdout).is_empty(), "{args:?}: nothing runs");
    }
}

#[test]
fn seed_cycle_events_on_refcount_are_exactly_the_spec_format() {
    let out = gc_bench(
        &[
            "replay",
            "traces/seed_cycle.gctrace",
            "--collector",
            "refcount",
            "--events",
            "jsonl",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<String> = text(&out.stdout).lines().map(untimed).collect();
    assert_eq!(
        lines,
        [
            r#"{"event":"collect","line":13,"trigger":"explicit","generation":2,"kind":"refcount","collected":0,"uncollectable":0,"live_objects":2,"live_bytes":32,"pause_ns":0}"#,
            r#"{"event":"summary","collector":"refcount","ops":9,"allocated":2,"freed":0,"live_objects":2,"live_bytes":32,"peak_live_bytes":32,"collections":{"0":0,"1":0,"2":1},"gc_time_ns":0,"max_pause_ns":0,"wall_ns":0,"ignored_controls":0}"#,
        ]
    );
    // Field order is part of the format, not only the values.
    assert!(text(&out.stdout).starts_with(r#"{"event":"collect","line":13,"trigger":"explicit","generation":2,"kind":"refcount","collected":0,"uncollectable":0,"live_objects":2,"live_bytes":32,"pause_ns":"#));
}

#[test]
fn finalize_and_weak_callback_events_name_objects_and_registers() {
    let trace = "gctrace 1\nnew r0 node 0 0\nnew r1 node 0 0\nfin r1\nweak w3 r1 cb\ndel r1\n";
    let out = replay_stdin(trace, "refcount");
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines[0], r#"{"event":"finalize","line":6,"object":1}"#);
    assert_eq!(
        lines[1],
        r#"{"event":"weak_callback","line":6,"weak":"w3","object":1}"#
    );
    assert!(lines[2].starts_with(r#"{"event":"summary""#));
}

#[test]
fn a_failed_expect_is_an_event_and_exit_status_1() {
    let trace = "gctrace 1\nnew r0 node 0 0\nexpect live 5\nexpect@refcount live 7\nexpect@generational live 9\ndel r0\n";
    let out = replay_stdin(trace, "refcount");
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(
        s.contains(r#"{"event":"expect_failed","line":3,"field":"live","expected":5,"actual":1}"#),
        "{s}"
    );
    assert!(
        s.contains(r#"{"event":"expect_failed","line":4,"field":"live","expected":7,"actual":1}"#)
    );
    assert!(
        !s.contains(r#""line":5"#),
        "expect@ another collector is skipped"
    );
    assert!(
        s.lines().last().unwrap().contains(r#""ops":2"#),
        "replay goes on to the end"
    );
    let human = gc_bench(&["replay", "-", "--collector", "refcount"], Some(trace));
    assert_eq!(human.status.code(), Some(1));
    assert!(text(&human.stdout).contains("line 3: expect live 5 failed: actual 1"));
}

/// Each kind of malformed trace: exit status 2, one stderr line that
/// begins `line N:`, and never a panic.
#[test]
fn malformed_traces_exit_2_with_the_line() {
    let cases: &[(&str, &str)] = &[
        ("new r0 node 1 0\n", "line 1: missing header"),
        ("gctrace 2\n", "line 1: unsupported gctrace version"),
        ("gctrace 1\nfrob r0\n", "line 2: unknown operation `frob`"),
        (
            "gctrace 1\n# c\n\nnew q0 atom 1\n",
            "line 4: bad register `q0`",
        ),
        (
            "gctrace 1\ndel r2000000\n",
            "line 2: register `r2000000` out of range",
        ),
        ("gctrace 1\nnew r0 node 1\n", "line 2: missing operand"),
        ("gctrace 1\nunsave now\n", "line 2: too many operands"),
        (
            "gctrace 1\nnew r0 atom 1.5\n",
            "line 2: bad payload size `1.5`",
        ),
        (
            "gctrace 1\nnew r0 node 99999999 0\n",
            "line 2: slot count 99999999 too large",
        ),
        (
            "gctrace 1\nnew r0 atom 2000000000\n",
            "line 2: payload size 2000000000 too large",
        ),
        (
            "gctrace 1\nnew r0 dict 1\n",
            "line 2: unknown object kind `dict`",
        ),
        ("gctrace 1\nset r0 r1\n", "line 2: bad slot reference `r0`"),
        (
            "gctrace 1\ncollect 7\n",
            "line 2: generation 7 out of range",
        ),
        (
            "gctrace 1\ngc compact\n",
            "line 2: unknown gc control `compact`",
        ),
        (
            "gctrace 1\nexpect heap 1\n",
            "line 2: unknown expect field `heap`",
        ),
        (
            "gctrace 1\nweak r0 r1\n",
            "line 2: strong register `r0` where a weak register",
        ),
        (
            "gctrace 1\nfin r0 twice\n",
            "line 2: unknown finalizer modifier",
        ),
        // Found while running:
        (
            "gctrace 1\nnew r0 node 1 0\nset r0.0 r5\nget r1 r3.0\n",
            "line 4: register r3 is empty where an object is needed",
        ),
        (
            "gctrace 1\nnew r0 node 2 0\nset r0.2 nil\n",
            "line 3: slot index 2 out of range: the node has 2 slots",
        ),
        (
            "gctrace 1\nnew r0 atom 1\nnew r1 tuple r0\nset r1.0 nil\n",
            "line 4: cannot set a slot of a tuple",
        ),
        (
            "gctrace 1\nnew r0 atom 1\nset r0.0 nil\n",
            "line 3: cannot set a slot of an atom",
        ),
        (
            "gctrace 1\nwget r0 w0\n",
            "line 2: weak register w0 is empty",
        ),
        (
            "gctrace 1\nnew r0 atom 1\nget r1 r0.0\n",
            "line 3: slot index 0 out of range",
        ),
    ];
    for (trace, want) in cases {
        for &collector in IMPLEMENTED {
            let out = replay_stdin(trace, collector);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{trace:?}: {err}");
            assert!(
                err.starts_with(want),
                "{trace:?} on {collector}: got {err:?}, want {want:?}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                !text(&out.stdout).contains("summary"),
                "no summary after an error"
            );
        }
    }
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    for args in [
        &[
            "replay",
            "traces/seed_cycle.gctrace",
            "--collector",
            "bogus",
        ][..],
        &["replay", "traces/seed_cycle.gctrace"],
        &["replay", "/no/such/file.gctrace", "--collector", "null"],
        &[
            "replay",
            "traces/seed_cycle.gctrace",
            "--collector",
            "null",
            "--events",
            "xml",
        ],
        &[
            "replay",
            "traces/seed_cycle.gctrace",
            "--collector",
            "refcount",
            "--config",
            "nursery=1",
        ],
        &[
            "replay",
            "traces/seed_cycle.gctrace",
            "--collector",
            "refcount",
            "--config",
            "novalue",
        ],
        &["frobnicate"],
    ] {
        let out = gc_bench(args, None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"));
    }
}

/// Found by a bad-input trial: sweep ran (exit 0) with a `--config` key
/// that no swept collector takes, where run refuses it. Now refused before
/// any work, as run does: nothing on standard output, no folder.
#[test]
fn sweep_refuses_a_setting_no_swept_collector_takes() {
    let dir = scratch("sweep-config");
    for extra in [
        &["--config", "foo=1"][..],
        &["--collector", "generational", "--config", "nursery=4MB"],
        &["--collector", "generational", "--config", "threshold0=x"],
    ] {
        let mut args = vec![
            "sweep",
            "--workload",
            "gc_collect",
            "--scale",
            "0.05",
            "--out",
            dir.to_str().unwrap(),
        ];
        args.extend(extra);
        let out = gc_bench(&args, None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{extra:?}: {err}");
        assert!(out.stdout.is_empty(), "{extra:?}");
        assert!(!dir.exists(), "{extra:?}");
    }
    let out = gc_bench(
        &[
            "sweep",
            "--workload",
            "gc_collect",
            "--scale",
            "0.05",
            "--collector",
            "generational",
            "--config",
            "nursery=4MB",
        ],
        None,
    );
    assert!(
        text(&out.stderr).contains("no collector in this run takes the setting `nursery`"),
        "{}",
        text(&out.stderr)
    );
}

/// Found by a bad-input trial: `--trace - --trace -` read standard input
/// once and then complained of the second, empty, trace.
#[test]
fn standard_input_given_twice_is_named() {
    let trace = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/seed_cycle.gctrace"
    ))
    .unwrap();
    let out = gc_bench(&["run", "--trace", "-", "--trace", "-"], Some(&trace));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "--trace -: standard input was given twice (it can be read once)\n"
    );
    assert!(out.stdout.is_empty());
}

/// Found by a bad-input trial: the help says a boolean setting is "true or
/// false", but 1, yes and on were taken too. Now only what the help says.
#[test]
fn boolean_settings_are_true_or_false() {
    let trace = "traces/seed_cycle.gctrace";
    for value in ["true", "false"] {
        let setting = format!("enabled={value}");
        let out = gc_bench(
            &[
                "replay",
                trace,
                "--collector",
                "generational",
                "--config",
                &setting,
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{value}: {}", text(&out.stderr));
    }
    for (collector, key) in [("generational", "enabled"), ("marksweep", "zeal")] {
        for value in ["1", "0", "yes", "no", "on", "off", "TRUE"] {
            let setting = format!("{key}={value}");
            let out = gc_bench(
                &[
                    "replay",
                    trace,
                    "--collector",
                    collector,
                    "--config",
                    &setting,
                ],
                None,
            );
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{setting}: {err}");
            assert_eq!(err.lines().count(), 1, "{setting}: {err}");
            assert!(err.contains("expected true or false"), "{setting}: {err}");
        }
    }
}

#[test]
fn no_subcommand_prints_usage_and_exits_2() {
    let out = gc_bench(&[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage: gc-bench"));
}

#[test]
fn list_names_every_workload_and_collector() {
    let out = gc_bench(&["list"], None);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    for name in ["null", "refcount", "generational", "marksweep"] {
        assert!(s.contains(name), "{s}");
    }
    for w in WORKLOADS {
        let line = s
            .lines()
            .find(|l| l.starts_with(w))
            .unwrap_or_else(|| panic!("{w}: {s}"));
        assert!(line.len() > w.len() + 20, "{line}");
    }
    assert!(s.contains("depth=12"), "what scale 1 means: {s}");
    assert!(
        s.contains("nodes=1000000,ring=2 (gc-bench run: scale 0.25)"),
        "the issue-sized workloads say what the matrix runs: {s}"
    );
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "run", "replay", "list", "record", "merge", "export", "compare", "diff", "sweep",
    ] {
        let out = gc_bench(&[sub, "--help"], None);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains("Usage: gc-bench"));
    }
}

#[test]
fn a_python_program_is_a_workload() {
    let program = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../gc-py/examples/seed2_self_list.py"
    );
    let out = gc_bench(&["run", "--workload", &format!("py:{program}")], None);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for &collector in IMPLEMENTED {
        assert!(
            stdout.lines().any(|l| l.contains("seed2_self_list.py")
                && l.contains(collector)
                && l.contains(" ok ")
                && !l.contains("unverified")),
            "{collector}: {stdout}"
        );
    }
    // No such file: refused before anything runs.
    let out = gc_bench(&["run", "--workload", "py:/no/such/program.py"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no Python program at `/no/such/program.py`"));
}

#[test]
fn a_python_program_that_raises_fails_its_runs() {
    let dir = std::env::temp_dir().join(format!("gc-bench-cli-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("raises.py");
    std::fs::write(&path, "print('start')\nx = {}\ny = x['missing']\n").unwrap();
    let out = gc_bench(
        &[
            "run",
            "--workload",
            &format!("py:{}", path.display()),
            "--collector",
            "generational",
        ],
        None,
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("FAILED"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("KeyError: 'missing'"),
        "{}",
        text(&out.stderr)
    );
}

/// `replay` streams: the operations before a malformed line have run (and
/// their events are written) when the replay stops at it, as at any other
/// trace error, and no summary follows.
#[test]
fn replay_streams_and_stops_at_a_malformed_line() {
    let trace = "gctrace 1\nnew r0 node 1 0\nset r0.0 r0\ndel r0\ncollect\nfrob r0\ncollect\n";
    for &collector in IMPLEMENTED {
        let out = replay_stdin(trace, collector);
        assert_eq!(out.status.code(), Some(2), "{collector}");
        assert_eq!(
            text(&out.stderr),
            "line 6: unknown operation `frob`\n",
            "{collector}"
        );
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(
            lines.iter().any(|l| l.contains(r#""line":5"#)),
            "{collector}: the collect on line 5 ran: {stdout}"
        );
        assert!(!stdout.contains("summary"), "{collector}: {stdout}");
        let human = gc_bench(&["replay", "-", "--collector", collector], Some(trace));
        assert_eq!(human.status.code(), Some(2));
        assert_eq!(text(&human.stdout), "", "no summary after a trace error");
    }
}

/// Endless input without a newline is one `line 1:` error once the line
/// passes 1 MiB, not an allocation that grows until the machine refuses.
#[test]
fn replay_of_dev_zero_stops_at_the_line_limit() {
    let out = gc_bench(&["replay", "/dev/zero", "--collector", "null"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "line 1: line longer than 1048576 bytes\n"
    );
}

/// The other commands that read a trace or a results file stop as soon
/// on an input that never ends (they read the whole input, as `replay`
/// does not): one line, exit 2. Under a 2 GB address-space cap, so that
/// reading on would end in the allocator's abort, not in a machine out of
/// memory.
#[cfg(unix)]
#[test]
fn every_reader_of_a_trace_or_results_stops_on_dev_zero() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["run", "--trace", "/dev/zero", "--collector", "null"],
            "/dev/zero: line 1: line longer than 1048576 bytes",
        ),
        (
            &["export", "--python", "/dev/zero"],
            "line 1: line longer than 1048576 bytes",
        ),
        (
            &["export", "--python", "-"],
            "line 1: line longer than 1048576 bytes",
        ),
        (
            &["diff", "/dev/zero", "/dev/zero"],
            "/dev/zero/results.json",
        ),
    ];
    for (args, said) in cases {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2000000 && exec \"$0\" \"$@\" < /dev/zero")
            .arg(env!("CARGO_BIN_EXE_gc-bench"))
            .args(args)
            .output()
            .expect("sh runs");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
    // A results file that never ends is refused at its size limit.
    let dir = scratch("endless-results");
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("results.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let writer = std::thread::spawn({
            let fifo = fifo.clone();
            move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
                let chunk = vec![b' '; 1 << 20];
                while f.write_all(&chunk).is_ok() {}
            }
        });
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2000000 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_gc-bench"))
            .args(["merge", "--out"])
            .arg(dir.join("merged"))
            .arg(&fifo)
            .output()
            .expect("sh runs");
        let stderr = text(&out.stderr);
        // The reader is gone: the writer's next write fails and it ends.
        writer.join().unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("longer than 268435456 bytes"), "{stderr}");
    } else {
        panic!("mkfifo is needed for this test and did not run");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Encoding problems are named with their line; a UTF-8 byte-order mark
/// before the header is accepted.
#[test]
fn replay_names_bad_utf8_and_accepts_a_bom() {
    let out = replay_stdin(
        "\u{feff}gctrace 1\nnew r0 atom 1\nexpect live 1\n",
        "refcount",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dir = std::env::temp_dir().join(format!("gc-bench-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.gctrace");
    std::fs::write(&path, b"gctrace 1\nnew r0 atom 1 # caf\xe9\n").unwrap();
    let out = gc_bench(
        &["replay", path.to_str().unwrap(), "--collector", "null"],
        None,
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "line 2: not UTF-8\n");
}

/// A seed given twice runs once, in the order first given.
#[test]
fn a_repeated_seed_runs_once() {
    let dir = scratch("seeds");
    let out = gc_bench(
        &[
            "run",
            "--scale",
            "0.01",
            "--workload",
            "cycle_churn",
            "--collector",
            "null",
            "--seed",
            "2",
            "--seed",
            "1",
            "--seed",
            "2",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = std::fs::read_to_string(dir.join("results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    let seeds: Vec<u64> = results["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, [2, 1]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `gc-bench list` names marksweep's `PYPY_GC_*` aliases, and `replay`
/// takes them: so do `run` (and `sweep`), for the collectors that take them.
#[test]
fn run_takes_marksweeps_pypy_aliases() {
    let dir = scratch("pypy-alias");
    let out = gc_bench(
        &[
            "run",
            "--workload",
            "binary_trees",
            "--collector",
            "marksweep",
            "--collector",
            "refcount",
            "--scale",
            "0.01",
            "--config",
            "PYPY_GC_NURSERY=1MB",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let settings = json["settings"].as_array().unwrap();
    let of = |c: &str| {
        settings
            .iter()
            .find(|s| s["collector"] == c)
            .unwrap_or_else(|| panic!("no settings of {c}: {settings:?}"))["settings"]
            .clone()
    };
    assert!(
        of("marksweep")
            .as_array()
            .unwrap()
            .iter()
            .any(|kv| kv[0] == "nursery" && kv[1] == "1048576"),
        "{settings:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // A run with no collector that takes it still refuses it.
    let out = gc_bench(
        &[
            "run",
            "--workload",
            "binary_trees",
            "--collector",
            "refcount",
            "--scale",
            "0.01",
            "--config",
            "PYPY_GC_NURSERY=1MB",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no collector in this run takes the setting `PYPY_GC_NURSERY`"),
        "{}",
        text(&out.stderr)
    );
}

/// `diff` refuses a results file that contradicts itself (a run marked ok
/// without its metrics, a failed one with them) or that no run wrote, as
/// `merge` does, rather than report on it.
#[test]
fn diff_refuses_results_that_contradict_themselves() {
    let dir = scratch("diff-no-metrics");
    let out = gc_bench(
        &[
            "run",
            "--workload",
            "binary_trees",
            "--collector",
            "refcount",
            "--scale",
            "0.01",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = dir.join("results.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // A run marked ok without its metrics, a failed run with metrics, more
    // repetitions than `--repeat` takes (a bad-input trial's million made
    // `diff` bootstrap for hours).
    type Change = fn(&mut serde_json::Value);
    let changes: [(Change, &str); 3] = [
        (
            |j| j["runs"][0]["metrics"] = serde_json::Value::Null,
            "is ok but has no metrics",
        ),
        (
            |j| j["runs"][0]["status"] = "failed".into(),
            "failed but has metrics",
        ),
        (
            |j| {
                let one = serde_json::json!({"wall_ns": 1, "gc_ns": 0, "peak_footprint_bytes": 1});
                j["runs"][0]["repetitions"] = serde_json::Value::Array(vec![one; 101]);
            },
            "has 101 repetitions, more than gc-bench's 100",
        ),
    ];
    for (change, message) in changes {
        let mut json = json.clone();
        change(&mut json);
        std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
        let out = gc_bench(
            &["diff", dir.to_str().unwrap(), dir.to_str().unwrap()],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(message), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A path that is not UTF-8 is a path: `run --out` writes there and
/// records the command line lossily (reading it with `std::env::args`
/// panicked; found by a bad-input trial).
#[cfg(unix)]
#[test]
fn an_output_path_that_is_not_utf8_is_written() {
    use std::os::unix::ffi::OsStrExt;
    let base = scratch("not-utf8");
    std::fs::create_dir_all(&base).unwrap();
    let dir = base.join(std::ffi::OsStr::from_bytes(b"out\xff"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gc-bench"))
        .args([
            "run",
            "--workload",
            "binary_trees",
            "--collector",
            "refcount",
        ])
        .args(["--scale", "0.01", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = std::fs::read_to_string(dir.join("results.json")).unwrap();
    assert!(
        results.contains("out\u{fffd}"),
        "the command line is recorded"
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn the_research_suite_refuses_a_scale_it_would_ignore() {
    let out = gc_bench(
        &[
            "run",
            "--suite",
            "research",
            "--scale",
            "0.1",
            "--collector",
            "null",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot be used with"));
}
