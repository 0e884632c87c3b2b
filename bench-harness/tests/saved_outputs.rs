//! The gctrace contract, kept: every bundled trace (`traces/*.gctrace`,
//! `traces/cpython/*.gctrace`) replayed on every collector gives, times
//! zeroed, exactly the events saved beside it in `traces/expected/NAME.events`
//! — plus marksweep with `--detail` and with a 64 KB nursery, and
//! generational with `threshold0=50`, which move collections around.
//!
//! A change that means to alter an output regenerates the files with
//! `GC_BENCH_BLESS=1 cargo test -p bench-harness --test saved_outputs`;
//! the diff then shows, line by line, what changed.

#[path = "support/gc_bench.rs"]
mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use support::{gc_bench, text, untimed};

/// The runs saved for each trace: a section title and the extra arguments.
const RUNS: [(&str, &[&str]); 7] = [
    ("null", &["--collector", "null"]),
    ("refcount", &["--collector", "refcount"]),
    ("generational", &["--collector", "generational"]),
    (
        "generational threshold0=50",
        &["--collector", "generational", "--config", "threshold0=50"],
    ),
    ("marksweep", &["--collector", "marksweep"]),
    (
        "marksweep --detail",
        &["--collector", "marksweep", "--detail"],
    ),
    (
        "marksweep nursery=64KB",
        &["--collector", "marksweep", "--config", "nursery=64KB"],
    ),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The bundled traces, relative to the repository root, sorted.
fn bundled() -> Vec<String> {
    let mut traces = Vec::new();
    for dir in ["traces", "traces/cpython"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".gctrace") {
                traces.push(format!("{dir}/{name}"));
            }
        }
    }
    traces.sort();
    traces
}

/// Where a trace's saved events live: `traces/cpython/x.gctrace` →
/// `traces/expected/cpython-x.events`.
fn expected_path(trace: &str) -> PathBuf {
    let stem = trace
        .strip_prefix("traces/")
        .unwrap()
        .strip_suffix(".gctrace")
        .unwrap()
        .replace('/', "-");
    root()
        .join("traces/expected")
        .join(format!("{stem}.events"))
}

/// Every run of one trace, as one text: a `## title (exit N)` line, then
/// the events with times zeroed.
fn replay_all(trace: &str) -> String {
    let mut out = String::new();
    for (title, extra) in RUNS {
        let mut args = vec!["replay", trace, "--events", "jsonl"];
        args.extend(extra);
        let run = gc_bench(&args, None);
        let stderr = text(&run.stderr);
        let code = run
            .status
            .code()
            .map_or("a signal".to_owned(), |c| c.to_string());
        writeln!(out, "## {title} (exit {code})").unwrap();
        for line in text(&run.stdout).lines() {
            writeln!(out, "{}", untimed(line)).unwrap();
        }
        for line in stderr.lines() {
            writeln!(out, "stderr: {line}").unwrap();
        }
    }
    out
}

#[test]
fn every_bundled_trace_replays_as_saved_on_every_collector() {
    let traces = bundled();
    assert!(traces.len() >= 19, "bundled traces missing: {traces:?}");
    let bless = std::env::var_os("GC_BENCH_BLESS").is_some();
    let mut differ = Vec::new();
    for trace in &traces {
        let got = replay_all(trace);
        let path = expected_path(trace);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run GC_BENCH_BLESS=1 cargo test -p bench-harness --test saved_outputs",
                path.display()
            )
        });
        if got != want {
            let first = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(got.lines().count().min(want.lines().count()));
            differ.push(format!(
                "{trace}: line {} differs:\n  saved: {}\n  now:   {}",
                first + 1,
                want.lines().nth(first).unwrap_or("(end)"),
                got.lines().nth(first).unwrap_or("(end)"),
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} traces replay differently from traces/expected:\n{}",
        differ.len(),
        traces.len(),
        differ.join("\n")
    );
}

#[test]
fn no_saved_output_is_left_without_its_trace() {
    let wanted: Vec<PathBuf> = bundled().iter().map(|t| expected_path(t)).collect();
    for entry in std::fs::read_dir(root().join("traces/expected")).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            wanted.contains(&path),
            "{} has no bundled trace",
            path.display()
        );
    }
}
