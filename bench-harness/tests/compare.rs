//! `gc-bench compare`: our collector beside the real runtime.
//!
//! * Bad arguments and failing runtimes: one line, exit 2, no file left
//!   half-written.
//! * A runtime that hangs is stopped after `--timeout`: one line, exit 2.
//! * Against `python3.11` (CPython 3.11), the generational collector has
//!   the same collections of every generation (the export is faithful:
//!   py-interop's `export_python.rs`).
//! * Against `pypy3`, both sides have minor collections.
//!
//! A missing interpreter fails the test (see py-interop's
//! `support/python.rs`: `GC_ALLOW_MISSING_PYTHON=1` skips, loudly).

#[path = "../../py-interop/tests/support/python.rs"]
mod python;
#[path = "support/gc_bench.rs"]
mod support;

use std::path::PathBuf;

use python::{CPYTHON, PYPY, require};
use serde_json::Value as Json;
use support::{gc_bench, text};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gc-bench-compare-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `compare … --format json` and returns the report.
fn compare_json(args: &[&str]) -> Json {
    let mut all = vec!["compare", "--format", "json"];
    all.extend_from_slice(args);
    let out = gc_bench(&all, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    serde_json::from_str(&text(&out.stdout)).expect("one JSON object")
}

/// The `kinds` rows of a report as (kind, ours count, theirs count).
fn counts(report: &Json) -> Vec<(String, u64, u64)> {
    report["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kind"].as_str().unwrap().to_owned(),
                k["ours"]["count"].as_u64().unwrap(),
                k["theirs"]["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn bad_arguments_and_missing_runtimes_exit_2_with_one_line() {
    for args in [
        &["compare"][..],
        &["compare", "--workload", "nope"],
        &["compare", "--workload", "gc_collect", "--scale", "0"],
        &["compare", "--workload", "gc_collect", "--scale", "-1"],
        &["compare", "--workload", "gc_collect", "--scale", "nan"],
        &["compare", "--workload", "gc_collect", "--scale", "1e12"],
        &[
            "compare",
            "--workload",
            "gc_collect",
            "--collector",
            "bogus",
        ],
        &["compare", "--workload", "gc_collect", "--format", "xml"],
        &[
            "compare",
            "--workload",
            "gc_collect",
            "--runtime",
            "no-such-python-3",
        ],
        &[
            "compare",
            "--workload",
            "gc_collect",
            "--runtime",
            "/no/such/python3",
        ],
        &["compare", "--workload", "gc_collect", "--runtime", "sh"],
        &[
            "compare",
            "--workload",
            "gc_collect",
            "--collector",
            "generational",
            "--config",
            "bogus=1",
        ],
    ] {
        let out = gc_bench(args, None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = gc_bench(
        &["compare", "--workload", "gc_collect", "--runtime", "nope3"],
        None,
    );
    assert!(text(&out.stderr).contains("`nope3` not found on PATH"));
}

/// Found by a bad-input trial: a runtime path that exists but is not a
/// program said "not found: no such file".
#[cfg(unix)]
#[test]
fn a_runtime_that_is_not_a_program_says_so() {
    for path in ["/dev/null", "/"] {
        let out = gc_bench(
            &["compare", "--workload", "gc_collect", "--runtime", path],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{path}");
        assert_eq!(
            text(&out.stderr),
            format!("runtime {path} is not an executable program\n")
        );
    }
}

#[test]
fn a_runtime_that_fails_is_one_line_and_leaves_only_whole_files() {
    let Some(python) = require(
        CPYTHON,
        "a_runtime_that_fails_is_one_line_and_leaves_only_whole_files",
    ) else {
        return;
    };
    let dir = scratch("failing");
    // Answers the probe as python3 does, then fails on the program.
    let fake = dir.join("fake-python");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nif [ \"$1\" = -c ]; then exec {python} \"$@\"; fi\necho 'Traceback: boom' >&2\nexit 3\n"),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let keep = dir.join("kept");
    let out = gc_bench(
        &[
            "compare",
            "--workload",
            "gc_collect",
            "--scale",
            "0.02",
            "--collector",
            "generational",
            "--runtime",
            fake.to_str().unwrap(),
            "--keep",
            keep.to_str().unwrap(),
        ],
        None,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("Traceback: boom"), "{err}");
    assert!(err.contains("exit status: 3"), "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&keep)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["gc_collect.gctrace", "gc_collect.py"],
        "the trace and program whole, no event files, no temporary files"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generational_beside_cpython_has_the_same_collections_of_every_generation() {
    let Some(python) = require(
        CPYTHON,
        "generational_beside_cpython_has_the_same_collections_of_every_generation",
    ) else {
        return;
    };
    let dir = scratch("cpython");
    for (workload, scale) in [("cycle_churn", "0.1"), ("gc_collect", "0.05")] {
        let keep = dir.join(workload);
        let report = compare_json(&[
            "--workload",
            workload,
            "--scale",
            scale,
            "--collector",
            "generational",
            "--runtime",
            python,
            "--keep",
            keep.to_str().unwrap(),
        ]);
        assert_eq!(report["runtime"]["implementation"], "cpython");
        let rows = counts(&report);
        assert!(
            rows.iter().any(|(k, o, _)| k == "generation-0" && *o > 0),
            "{workload}: {rows:?}"
        );
        for (kind, ours, theirs) in &rows {
            assert!(kind.starts_with("generation-"), "{workload}: {rows:?}");
            assert_eq!(ours, theirs, "{workload} {kind}: {rows:?}");
        }
        let totals = &report["totals"];
        assert_eq!(totals["collected"]["ours"], totals["collected"]["theirs"]);
        assert_eq!(totals["collections"]["ratio"], 1.0);
        for file in [
            format!("{workload}.gctrace"),
            format!("{workload}.py"),
            format!("{workload}.generational.jsonl"),
            format!("{workload}.cpython.jsonl"),
        ] {
            assert!(keep.join(&file).is_file(), "{file} kept");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_table_has_a_row_per_generation_and_the_totals() {
    let Some(python) = require(CPYTHON, "the_table_has_a_row_per_generation_and_the_totals") else {
        return;
    };
    let out = gc_bench(
        &[
            "compare",
            "--workload",
            "gc_collect",
            "--scale",
            "0.02",
            "--collector",
            "generational",
            "--config",
            "threshold0=100",
            "--runtime",
            python,
        ],
        None,
    );
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        s.contains("gc threshold 100 10 10"),
        "the prelude is shown: {s}"
    );
    for row in [
        "generation-0",
        "generation-2",
        "collections",
        "GC time ms",
        "max pause ms",
        "wall ms",
        "objects collected",
    ] {
        assert!(s.lines().any(|l| l.starts_with(row)), "{row}: {s}");
    }
    assert!(s.contains("theirs/ours"), "{s}");
}

#[test]
fn marksweep_beside_pypy_has_minor_collections_on_both_sides() {
    if require(
        PYPY,
        "marksweep_beside_pypy_has_minor_collections_on_both_sides",
    )
    .is_none()
    {
        return;
    }
    let report = compare_json(&[
        "--workload",
        "binary_trees",
        "--scale",
        "0.25",
        "--config",
        "nursery=256KB",
    ]);
    assert_eq!(report["runtime"]["implementation"], "pypy");
    assert!(
        report["settings"]
            .as_array()
            .unwrap()
            .contains(&Json::from("PYPY_GC_NURSERY=262144")),
        "{}",
        report["settings"]
    );
    let rows = counts(&report);
    let minor = rows
        .iter()
        .find(|(k, _, _)| k == "minor")
        .unwrap_or_else(|| panic!("no minor row: {rows:?}"));
    assert!(minor.1 > 0 && minor.2 > 0, "minors on both sides: {rows:?}");
    let kinds = report["kinds"].as_array().unwrap();
    let minor_times = kinds.iter().find(|k| k["kind"] == "minor").unwrap();
    assert!(minor_times["ours"]["gc_time_ns"].as_u64().unwrap() > 0);
    assert!(minor_times["theirs"]["gc_time_ns"].as_u64().unwrap() > 0);
    assert!(
        report["totals"]["collected"]["theirs"].is_null(),
        "PyPy counts no objects"
    );
}

#[test]
fn rings_beside_cpython_collect_every_node_in_one_collection_on_both_sides() {
    let Some(python) = require(
        CPYTHON,
        "rings_beside_cpython_collect_every_node_in_one_collection_on_both_sides",
    ) else {
        return;
    };
    for workload in ["rings-2", "rings-100"] {
        let report = compare_json(&[
            "--workload",
            workload,
            "--collector",
            "generational",
            "--scale",
            "0.01",
            "--runtime",
            python,
        ]);
        assert_eq!(
            counts(&report),
            [("generation-2".to_owned(), 1, 1)],
            "{workload}"
        );
        let collected = &report["totals"]["collected"];
        assert_eq!(collected["ours"], 10_000, "{workload}");
        assert_eq!(collected["theirs"], 10_000, "{workload}");
        assert!(report["totals"]["gc_time_ns"]["ratio"].as_f64().unwrap() > 0.0);
    }
}

/// A runtime that never finishes (here: answers what it is, then never
/// runs the program) is stopped after `--timeout`: one line naming the
/// timeout, exit 2, and no temporary folder left behind.
#[test]
fn a_runtime_that_hangs_is_stopped_after_the_timeout() {
    let dir = scratch("hangs");
    let hangs = dir.join("hangs.sh");
    std::fs::write(
        &hangs,
        "#!/bin/sh\nif [ \"$1\" = -c ]; then printf 'cpython\\n3.11\\n3.11.7\\n'; exit 0; fi\nexec sleep 1000\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hangs, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gc-bench"))
        .args([
            "compare",
            "--workload",
            "gc_collect",
            "--scale",
            "0.02",
            "--collector",
            "generational",
            "--runtime",
            hangs.to_str().unwrap(),
            "--timeout",
            "1",
        ])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("did not finish within 1 s"), "{err}");
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "no folder left"
    );
    let out = gc_bench(
        &["compare", "--workload", "gc_collect", "--timeout", "0"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
