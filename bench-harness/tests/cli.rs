//! `gc-bench` as a user runs it: exit statuses, messages, event lines.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn gc_bench(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gc-bench"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gc-bench runs");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn replay_stdin(trace: &str, collector: &str) -> Output {
    gc_bench(
        &["replay", "-", "--collector", collector, "--events", "jsonl"],
        Some(trace),
    )
}

/// Blanks the fields that may differ between runs (times), keeping the
/// line otherwise byte for byte.
fn untimed(line: &str) -> String {
    let mut out = line.to_owned();
    for key in [
        "\"pause_ns\":",
        "\"gc_time_ns\":",
        "\"max_pause_ns\":",
        "\"wall_ns\":",
    ] {
        if let Some(at) = out.find(key) {
            let start = at + key.len();
            let end = start + out[start..].bytes().take_while(u8::is_ascii_digit).count();
            out.replace_range(start..end, "0");
        }
    }
    out
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
        for collector in ["null", "refcount"] {
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

#[test]
fn run_shows_a_table_of_every_trace_and_collector() {
    let out = gc_bench(&["run"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.starts_with("trace"));
    // Column widths follow the longest collector name, so compare fields.
    let has_row = |trace: &str, collector: &str| {
        s.lines().any(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            fields.starts_with(&[trace, collector, "ok"])
        })
    };
    assert!(has_row("seed_cycle.gctrace", "refcount"), "{s}");
    assert!(has_row("seed_cycle.gctrace", "generational"), "{s}");
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
            "line 3: cannot set a slot of a atom",
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
        for collector in ["null", "refcount"] {
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

#[test]
fn no_subcommand_prints_usage_and_exits_2() {
    let out = gc_bench(&[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage: gc-bench"));
}

#[test]
fn list_names_every_collector() {
    let out = gc_bench(&["list"], None);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    for name in ["null", "refcount", "generational", "marksweep"] {
        assert!(s.contains(name), "{s}");
    }
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["run", "replay", "list"] {
        let out = gc_bench(&[sub, "--help"], None);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains("Usage: gc-bench"));
    }
}
