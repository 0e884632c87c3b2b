//! The export to Python and the CPython faithfulness test.
//!
//! * Random traces of several shapes are exported and run on `python3.11`;
//!   the collect, finalize and weak-callback events must equal those of a
//!   replay on the generational collector (`gc-bench replay --collector
//!   generational --events jsonl`), in order, times aside. CPython 3.11 is
//!   the version the collector models: the tests insist on it.
//! * Hand-written traces check the exported program's events against
//!   expectations worked out by hand from CPython 3.11's rules, and the
//!   repository's `traces/*.gctrace` must hold their `expect@generational`
//!   lines on CPython (which the program applies as CPython's stand-in).
//! * The export runs on `pypy3`.
//!
//! A missing interpreter fails the test (see `support/python.rs`).

#[path = "support/python.rs"]
mod python;
#[path = "support/shapes.rs"]
mod shapes;

use python::{CPYTHON, PYPY, require};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use gc_core::CollectorExt;
use gc_core::tooling::replay::replay;
use gc_core::tooling::trace::Trace;
use gc_generational::Generational;
use py_interop::export::{Options, python_program};
use serde_json::Value as Json;

/// The events compared between CPython and the generational collector.
const COMPARED_EVENTS: [&str; 3] = ["collect", "finalize", "weak_callback"];

/// Random traces per shape (six shapes).
const TRACES_PER_SHAPE: u64 = 18;

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gc-bench-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The program for `trace` (as `gc-bench export --python` writes it).
fn export_as(trace: &str, expect_as: Option<Vec<String>>) -> String {
    let trace = Trace::parse(trace).unwrap();
    let options = Options {
        source: "standard input".into(),
        expect_as,
    };
    python_program(&trace, &options).unwrap()
}

fn export(trace: &str) -> String {
    export_as(trace, None)
}

/// The JSONL events of a replay of `trace` on the generational collector.
fn on_generational(trace: &str) -> String {
    let trace = Trace::parse(trace).unwrap();
    let mut out = String::new();
    replay(&trace, Generational::new_default().unwrap(), |r| {
        out.push_str(&r.to_json());
        out.push('\n');
    });
    out
}

/// Runs `program` (Python source) on `interpreter`; returns (status, stdout,
/// stderr).
fn run_python(interpreter: &str, program: &str, dir: &Path, name: &str) -> (i32, String, String) {
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, program).unwrap();
    let out = Command::new(interpreter)
        .arg(&path)
        .output()
        .expect("the interpreter runs");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn events(stdout: &str) -> Vec<Json> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The compared events of an output, each line as printed (so key order
/// counts) with the value of `pause_ns` blanked.
fn compared(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| {
            let e: Json = serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            COMPARED_EVENTS.contains(&e["event"].as_str().unwrap_or(""))
        })
        .map(|l| {
            let mut out = l.to_owned();
            if let Some(at) = out.find("\"pause_ns\":") {
                let start = at + "\"pause_ns\":".len();
                let end = start + out[start..].bytes().take_while(u8::is_ascii_digit).count();
                out.replace_range(start..end, "0");
            }
            out
        })
        .collect()
}

fn first_difference(a: &[String], b: &[String]) -> String {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            return format!("event {i}:\n  cpython:      {x}\n  other:        {y}");
        }
    }
    format!("lengths {} and {}", a.len(), b.len())
}

#[test]
fn random_traces_cpython_matches_the_generational_collector() {
    let Some(python) = require(
        CPYTHON,
        "random_traces_cpython_matches_the_generational_collector",
    ) else {
        return;
    };
    let dir = scratch("random");
    let mut jobs = Vec::new();
    for shape in shapes::Shape::ALL {
        for seed in 0..TRACES_PER_SHAPE {
            jobs.push((shape, seed));
        }
    }
    let total = jobs.len();
    assert!(total >= 100);
    let jobs = Mutex::new(jobs);
    let failures = Mutex::new(Vec::new());
    let collections = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some((shape, seed)) = jobs.lock().unwrap().pop() else {
                        return;
                    };
                    let len = 300 + (seed as usize * 977) % 2700;
                    let trace = shapes::generate(shape, seed, len).to_text();
                    let name = format!("{shape:?}-{seed}");
                    let program = export(&trace);
                    let (code, stdout, stderr) = run_python(python, &program, &dir, &name);
                    if code != 0 {
                        failures.lock().unwrap().push(format!(
                            "{name}: {python} exited {code}: {}",
                            stderr.lines().last().unwrap_or("")
                        ));
                        continue;
                    }
                    let cpython = compared(&stdout);
                    *collections.lock().unwrap() += cpython
                        .iter()
                        .filter(|e| e.contains("\"event\":\"collect\""))
                        .count();
                    let other = compared(&on_generational(&trace));
                    if cpython != other {
                        std::fs::write(dir.join(format!("{name}.gctrace")), &trace).unwrap();
                        failures.lock().unwrap().push(format!(
                            "{name} (kept in {}): {}",
                            dir.display(),
                            first_difference(&cpython, &other)
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {total} traces differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The traces are meant to make the collector work.
    assert!(collections.into_inner().unwrap() > total * 5);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every shape makes automatic collections of all three generations and
/// runs finalizers, so the comparison above covers them.
#[test]
fn random_traces_exercise_every_generation_and_finalizers() {
    let Some(python) = require(
        CPYTHON,
        "random_traces_exercise_every_generation_and_finalizers",
    ) else {
        return;
    };
    let dir = scratch("coverage");
    let mut auto = [0usize; 3];
    let mut finalized = 0;
    let mut callbacks = 0;
    for shape in shapes::Shape::ALL {
        let trace = shapes::generate(shape, 1000, 3000).to_text();
        let (code, stdout, stderr) =
            run_python(python, &export(&trace), &dir, &format!("{shape:?}"));
        assert_eq!(code, 0, "{shape:?}: {stderr}");
        for e in events(&stdout) {
            match e["event"].as_str() {
                Some("collect") if e["trigger"] == "auto" => {
                    auto[e["generation"].as_u64().unwrap() as usize] += 1;
                }
                Some("finalize") => finalized += 1,
                Some("weak_callback") => callbacks += 1,
                _ => {}
            }
        }
    }
    assert!(
        auto.iter().all(|&n| n > 0),
        "automatic collections {auto:?}"
    );
    assert!(finalized > 0 && callbacks > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One expected event, written compactly: `collect LINE TRIGGER GEN
/// COLLECTED LIVE_OBJECTS LIVE_BYTES`, `finalize LINE ID`, `weak LINE wN ID`.
fn expected_events(spec: &str) -> Vec<String> {
    spec.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f[0] {
                "collect" => format!(
                    "{{\"event\":\"collect\",\"line\":{},\"trigger\":\"{}\",\"generation\":{},\"kind\":\"generation-{}\",\"collected\":{},\"uncollectable\":0,\"live_objects\":{},\"live_bytes\":{},\"pause_ns\":0}}",
                    f[1], f[2], f[3], f[3], f[4], f[5], f[6]
                ),
                "finalize" => format!("{{\"event\":\"finalize\",\"line\":{},\"object\":{}}}", f[1], f[2]),
                "weak" => format!(
                    "{{\"event\":\"weak_callback\",\"line\":{},\"weak\":\"{}\",\"object\":{}}}",
                    f[1], f[2], f[3]
                ),
                other => panic!("bad expectation {other}"),
            }
        })
        .collect()
}

/// Small traces and the events CPython 3.11 gives for them, worked out by
/// hand from its rules (gctrace.md's facts, the notes on gcmodule.c).
const HAND_WRITTEN: &[(&str, &str, &str)] = &[
    (
        "self cycle collected by an explicit full collection",
        "gctrace 1\nnew r0 node 1 0\nset r0.0 r0\ndel r0\ncollect\n",
        "collect 5 explicit 2 1 0 0",
    ),
    (
        "threshold 3: the 4th allocation collects generation 0 before it is counted",
        "gctrace 1\ngc threshold 3\nnew r0 node 0 8\nnew r1 node 0 8\nnew r2 node 0 8\nnew r3 node 0 8\nnew r4 node 0 8\n",
        "collect 6 auto 0 0 3 24",
    ),
    (
        "an automatic collection frees a dropped self-cycle; the new object is not yet live",
        "gctrace 1\ngc threshold 2\nnew r0 node 1 0\nset r0.0 r0\ndel r0\nnew r1 node 1 16\nnew r2 node 1 0\n",
        "collect 7 auto 0 1 1 16",
    ),
    (
        "finalizers of independent cycles run in creation order",
        "gctrace 1\nnew r0 node 1 0\nset r0.0 r0\nfin r0\nnew r1 node 1 0\nset r1.0 r1\nfin r1\nnew r2 node 1 0\nset r2.0 r2\nfin r2\ndel r1\ndel r0\ndel r2\ncollect\n",
        "finalize 14 0\nfinalize 14 1\nfinalize 14 2\ncollect 14 explicit 2 3 0 0",
    ),
    (
        "a resurrected object is not collected; after unsave it is, without a second finalizer",
        "gctrace 1\nnew r0 node 1 0\nset r0.0 r0\nfin r0 resurrect\ndel r0\ncollect\nexpect saved 1\nunsave\ncollect\n",
        "finalize 6 0\ncollect 6 explicit 2 0 1 0\ncollect 9 explicit 2 1 0 0",
    ),
    (
        "GC path: the weak callback runs before the finalizers",
        "gctrace 1\nnew r0 node 1 0\nnew r1 node 1 0\nset r0.0 r1\nset r1.0 r0\nfin r0\nfin r1\nweak w3 r1 cb\ndel r0\ndel r1\ncollect\n",
        "weak 11 w3 1\nfinalize 11 0\nfinalize 11 1\ncollect 11 explicit 2 2 0 0",
    ),
    (
        "refcount path: finalizer then weak callback, no collection",
        "gctrace 1\nnew r0 node 0 0\nfin r0\nweak w0 r0 cb\ndel r0\n",
        "finalize 5 0\nweak 5 w0 0",
    ),
    (
        "explicit collections of each generation",
        "gctrace 1\nnew r0 node 0 0\ncollect 0\ncollect 1\ncollect 2\n",
        "collect 3 explicit 0 0 1 0\ncollect 4 explicit 1 0 1 0\ncollect 5 explicit 2 0 1 0",
    ),
    (
        "a tuple inside a cycle through a node",
        "gctrace 1\nnew r0 node 1 0\nnew r1 tuple r0 nil\nset r0.0 r1\ndel r0\ndel r1\ncollect\n",
        "collect 7 explicit 2 2 0 0",
    ),
    (
        "disabled collection lets the count grow; the next allocation after enable collects",
        "gctrace 1\ngc threshold 2\ngc disable\nnew r0 node 0 0\nnew r1 node 0 0\nnew r2 node 0 0\nnew r3 node 0 0\ngc enable\nnew r4 node 0 0\nnew r5 node 0 0\n",
        "collect 9 auto 0 0 4 0",
    ),
    (
        "threshold (1, 1): generation 1 takes the third trigger",
        "gctrace 1\ngc threshold 1 1\nnew r0 node 0 0\nnew r1 node 0 0\nnew r2 node 0 0\nnew r3 node 0 0\nnew r4 node 0 0\nnew r5 node 0 0\nnew r6 node 0 0\n",
        "collect 4 auto 0 0 1 0\ncollect 6 auto 0 0 3 0\ncollect 8 auto 1 0 5 0",
    ),
    (
        "transitive resurrection keeps the cargo",
        "gctrace 1\nnew r0 node 1 0\nnew r1 node 1 8\nset r0.0 r1\nset r1.0 r0\nfin r0 resurrect\ndel r0\ndel r1\ncollect\nexpect live 2\nexpect saved 1\n",
        "finalize 9 0\ncollect 9 explicit 2 0 2 8",
    ),
    (
        "a weak callback whose weak reference was dropped does not run",
        "gctrace 1\nnew r0 node 1 0\nset r0.0 r0\nweak w0 r0 cb\nwdel w0\ndel r0\ncollect\n",
        "collect 7 explicit 2 1 0 0",
    ),
    (
        "live counts: an atom kept by a node, then by a tuple, freed with them",
        "gctrace 1\nnew r0 atom 8\nnew r1 node 1 4\nset r1.0 r0\nnew r2 tuple r0 nil r1\ndel r0\nexpect live 3\ndel r1\nexpect live 3\ndel r2\nexpect live 0\ncollect\n",
        "collect 12 explicit 2 0 0 0",
    ),
    (
        "live bytes: node and atom payloads, and what a cycle keeps",
        "gctrace 1\nnew r0 node 2 100\nnew r1 atom 28\nset r0.0 r1\nset r0.1 r0\nnew r2 node 0 3\ndel r1\ndel r0\ncollect 0\n",
        "collect 9 explicit 0 1 1 3",
    ),
    (
        "freeze: a frozen cycle is not collected until unfreeze",
        "gctrace 1\nnew r0 node 1 0\nset r0.0 r0\ngc freeze\ndel r0\ncollect\ngc unfreeze\ncollect\n",
        "collect 6 explicit 2 0 1 0\ncollect 8 explicit 2 1 0 0",
    ),
    (
        "a weak reference with a callback is a container: it moves the count",
        "gctrace 1\ngc threshold 2\nnew r0 node 0 0\nweak w0 r0 cb\nweak w1 r0 cb\nnew r1 node 0 0\n",
        "collect 5 auto 0 0 1 0",
    ),
];

#[test]
fn hand_written_traces_give_the_events_worked_out_by_hand() {
    let Some(python) = require(
        CPYTHON,
        "hand_written_traces_give_the_events_worked_out_by_hand",
    ) else {
        return;
    };
    let dir = scratch("hand");
    assert!(HAND_WRITTEN.len() >= 12);
    let mut failures = Vec::new();
    for (i, (what, trace, expected)) in HAND_WRITTEN.iter().enumerate() {
        let (code, stdout, stderr) = run_python(python, &export(trace), &dir, &format!("h{i}"));
        let got = compared(&stdout);
        let want = expected_events(expected);
        if code != 0 || got != want {
            failures.push(format!(
                "{what}: exit {code} {stderr}\n  got:  {got:#?}\n  want: {want:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bundled_traces_hold_their_generational_expectations_on_cpython() {
    let Some(python) = require(
        CPYTHON,
        "bundled_traces_hold_their_generational_expectations_on_cpython",
    ) else {
        return;
    };
    let dir = scratch("bundled");
    // Every `.gctrace` under traces/, subdirectories included.
    let mut paths = Vec::new();
    let mut dirs = vec![PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces"
    ))];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "gctrace") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    let mut n = 0;
    for path in paths {
        let program = export(&std::fs::read_to_string(&path).unwrap());
        let (code, stdout, stderr) = run_python(python, &program, &dir, &format!("b{n}"));
        assert_eq!(
            code,
            0,
            "{}: {stdout}{stderr}",
            path.file_name().unwrap().to_string_lossy()
        );
        let ev = events(&stdout);
        assert_eq!(ev.last().unwrap()["collector"], "cpython");
        n += 1;
    }
    assert!(n >= 7);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expect_lines_apply_by_name() {
    let Some(python) = require(CPYTHON, "expect_lines_apply_by_name") else {
        return;
    };
    let dir = scratch("names");
    let trace = "gctrace 1\nnew r0 node 0 0\nexpect@generational live 1\nexpect@other live 7\n";
    let (code, _, _) = run_python(python, &export(trace), &dir, "default");
    assert_eq!(code, 0, "expect@other must not apply on CPython by default");
    let program = export_as(trace, Some(vec!["other".into()]));
    let (code, stdout, _) = run_python(python, &program, &dir, "other");
    assert_eq!(code, 1);
    assert!(stdout.contains(
        "{\"event\":\"expect_failed\",\"line\":4,\"field\":\"live\",\"expected\":7,\"actual\":1}"
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_trace_error_at_run_time_is_one_line_and_exit_2() {
    let Some(python) = require(CPYTHON, "a_trace_error_at_run_time_is_one_line_and_exit_2") else {
        return;
    };
    let dir = scratch("runtime-error");
    for (trace, message) in [
        (
            "gctrace 1\nnew r0 node 1 0\nset r1.0 r0\n",
            "line 3: register r1 is empty",
        ),
        (
            "gctrace 1\nnew r0 node 1 0\nget r1 r0.1\n",
            "line 3: slot index 1 out of range",
        ),
        (
            "gctrace 1\nnew r0 atom 4\nset r0.0 nil\n",
            "line 3: cannot set a slot of an atom",
        ),
        (
            "gctrace 1\nnew r0 atom 4\nweak w0 r0\n",
            "line 3: weak reference to an atom",
        ),
    ] {
        let (code, stdout, stderr) = run_python(python, &export(trace), &dir, "e");
        assert_eq!(code, 2, "{trace}");
        assert!(stderr.starts_with(message), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!stdout.contains("summary"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_export_runs_on_pypy() {
    let Some(python) = require(PYPY, "the_export_runs_on_pypy") else {
        return;
    };
    let dir = scratch("pypy");
    let trace = shapes::generate(shapes::Shape::Resurrection, 7, 2000).to_text();
    let (code, stdout, stderr) = run_python(python, &export(&trace), &dir, "pypy");
    assert_eq!(code, 0, "{stderr}");
    let ev = events(&stdout);
    let summary = ev.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["collector"], "pypy");
    assert!(summary["collections"]["2"].as_u64().unwrap() > 0);
    assert!(
        ev.iter()
            .any(|e| e["event"] == "collect" && e["kind"] == "major")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes the random traces of the faithfulness test to the directory named
/// by `GC_BENCH_DUMP_TRACES`, to replay or export by hand:
/// `GC_BENCH_DUMP_TRACES=/tmp/t cargo test -p bench-harness --test
/// export_python dump -- --ignored`.
#[test]
#[ignore = "a tool: writes the random traces to $GC_BENCH_DUMP_TRACES"]
fn dump_random_traces() {
    let Some(dir) = std::env::var_os("GC_BENCH_DUMP_TRACES") else {
        eprintln!("GC_BENCH_DUMP_TRACES is not set");
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for shape in shapes::Shape::ALL {
        for seed in 0..TRACES_PER_SHAPE {
            let len = 300 + (seed as usize * 977) % 2700;
            let trace = shapes::generate(shape, seed, len).to_text();
            let path = Path::new(&dir).join(format!("{shape:?}-{seed}.gctrace"));
            std::fs::write(path, trace).unwrap();
        }
    }
}

/// CPython skips generation 2 while `long_lived_pending <
/// long_lived_total / 4`: 40 objects survive a full collection, so with
/// thresholds (1, 0, 0) generation 2 must wait until generation-1
/// collections have promoted 10 objects (3 + 4 + 4 of them: the 7th
/// trigger).
#[test]
fn generation_2_waits_for_long_lived_pending() {
    let Some(python) = require(CPYTHON, "generation_2_waits_for_long_lived_pending") else {
        return;
    };
    let dir = scratch("gating");
    let mut trace = String::from("gctrace 1\n");
    for i in 0..40 {
        trace.push_str(&format!("new r{i} node 0 0\n"));
    }
    trace.push_str("collect\ngc threshold 1 0 0\n");
    for i in 40..54 {
        trace.push_str(&format!("new r{i} node 0 0\n"));
    }
    let (code, stdout, stderr) = run_python(python, &export(&trace), &dir, "gating");
    assert_eq!(code, 0, "{stderr}");
    let want = expected_events(
        "collect 42 explicit 2 0 40 0
         collect 45 auto 0 0 41 0
         collect 47 auto 1 0 43 0
         collect 49 auto 0 0 45 0
         collect 51 auto 1 0 47 0
         collect 53 auto 0 0 49 0
         collect 55 auto 1 0 51 0
         collect 57 auto 2 0 53 0",
    );
    assert_eq!(compared(&stdout), want);
    let _ = std::fs::remove_dir_all(&dir);
}

/// With thresholds (10, 2, 2) every 11th allocation collects; generation 1
/// takes every 4th trigger and generation 2 the 13th. The trigger after the
/// full collection comes 11 allocations later (#154), as in a collector:
/// the program cancels what CPython's callback machinery would allocate
/// after a full collection (which would make it #153).
#[test]
fn collections_follow_the_thresholds_across_a_full_collection() {
    let Some(python) = require(
        CPYTHON,
        "collections_follow_the_thresholds_across_a_full_collection",
    ) else {
        return;
    };
    let dir = scratch("cadence");
    let mut trace = String::from("gctrace 1\ngc threshold 10 2 2\n");
    for i in 0..160 {
        trace.push_str(&format!("new r{i} node 0 0\n"));
    }
    let (code, stdout, stderr) = run_python(python, &export(&trace), &dir, "cadence");
    assert_eq!(code, 0, "{stderr}");
    let generations = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0];
    let spec: Vec<String> = generations
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let k = 11 * (i + 1); // the allocation that triggers
            format!("collect {} auto {g} 0 {} 0", k + 2, k - 1)
        })
        .collect();
    assert_eq!(compared(&stdout), expected_events(&spec.join("\n")));
    let _ = std::fs::remove_dir_all(&dir);
}
