//! Memory the system refuses, for real: `gc-bench replay` under
//! `ulimit -v` (a cap on the process's address space) of a trace that
//! allocates far more than the cap — 400 nodes of 2^24 slots — ends with
//! one `line N: out of memory …` line and exit 2 on the null, refcount
//! and generational collectors, never with the allocator's abort (exit
//! 134). (Marksweep's is `ulimit_marksweep.rs`.)
//!
//! The cap, 500,000 KiB, leaves room for the binary itself to start (its
//! mappings take about 100 MB of address space; a cap of 200,000 KiB
//! already refuses the first 64–128 MB object) and for a few objects
//! before the system refuses one, while keeping the test's memory modest
//! (under 500 MB resident; the 1,500,000 or 2,000,000 behave the
//! same, a dozen objects later).
#![cfg(unix)]

use std::io::Write;
use std::process::Command;

#[path = "support/gc_bench.rs"]
mod support;
use support::{gc_bench, text};

/// The cap, in KiB (`ulimit -v` units).
const CAP_KIB: u32 = 500_000;

fn huge_trace() -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".gctrace")
        .tempfile()
        .unwrap();
    writeln!(f, "gctrace 1").unwrap();
    for i in 0..400 {
        writeln!(f, "new r{i} node 16777216 0").unwrap();
    }
    f.flush().unwrap();
    f
}

fn replay_capped(trace: &std::path::Path, collector: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {CAP_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_gc-bench"))
        .args(["replay"])
        .arg(trace)
        .args(["--collector", collector])
        .output()
        .expect("sh runs")
}

#[test]
fn refused_memory_is_a_clean_out_of_memory_error() {
    let trace = huge_trace();
    for collector in ["null", "refcount", "generational"] {
        let out = replay_capped(trace.path(), collector);
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{collector}: {:?}\n{stderr}",
            out.status
        );
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{collector}: one line\n{stderr}");
        let line = lines[0];
        let (number, message) = line
            .strip_prefix("line ")
            .and_then(|rest| rest.split_once(": "))
            .unwrap_or_else(|| panic!("{collector}: {line}"));
        let number: u32 = number.parse().unwrap();
        // The header is line 1; the cap holds one object or more, far
        // from all.
        assert!((3..400).contains(&number), "{collector}: {line}");
        assert_eq!(
            message, "out of memory: the system refused the allocation",
            "{collector}"
        );
    }
}

/// The same trace without the cap but with `max_heap` stops at the limit
/// instead, naming it in bytes: the two refusals read differently.
#[test]
fn the_heap_limit_names_its_bytes() {
    let trace = huge_trace();
    for collector in ["null", "refcount", "generational"] {
        let path = trace.path().to_str().unwrap();
        let args = ["replay", path, "--collector", collector];
        let out = gc_bench(&[&args[..], &["--config", "max_heap=300MB"]].concat(), None);
        assert_eq!(out.status.code(), Some(2), "{collector}");
        // Each node counts 16 + 8 * 2^24 bytes: two fit in 300 MB, the
        // third (line 4) does not.
        assert_eq!(
            text(&out.stderr),
            "line 4: out of memory: the heap limit of 314572800 bytes would be exceeded\n",
            "{collector}"
        );
    }
}

/// Small objects up to the cap: the last allocations the system refuses
/// may be anyone's (a node, the parser's token vector, a message), and
/// none may abort. The allocator's reserve serves a small one the system
/// refuses and the replay stops at that line. Before it, most of these
/// caps ended in "memory allocation of N bytes failed" (exit 134).
#[test]
fn refused_small_allocations_anywhere_are_a_clean_error() {
    let mut f = tempfile::Builder::new()
        .suffix(".gctrace")
        .tempfile()
        .unwrap();
    let mut text_of_trace = String::from("gctrace 1\n");
    for _ in 0..300_000 {
        text_of_trace.push_str("new r1 node 1 64\nset r1.0 r0\nmov r0 r1\n");
    }
    f.write_all(text_of_trace.as_bytes()).unwrap();
    f.flush().unwrap();
    for collector in ["null", "refcount", "generational", "marksweep"] {
        let mut stopped = 0;
        for cap in (25_000..=80_000).step_by(5_000) {
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("ulimit -v {cap} && exec \"$0\" \"$@\""))
                .arg(env!("CARGO_BIN_EXE_gc-bench"))
                .arg("replay")
                .arg(f.path())
                .args(["--collector", collector])
                .output()
                .expect("sh runs");
            let stderr = text(&out.stderr);
            match out.status.code() {
                Some(0) => assert!(stderr.is_empty(), "{collector} at {cap}: {stderr}"),
                Some(2) => {
                    stopped += 1;
                    assert_eq!(stderr.lines().count(), 1, "{collector} at {cap}: {stderr}");
                    assert!(
                        stderr.ends_with(": out of memory: the system refused the allocation\n"),
                        "{collector} at {cap}: {stderr}"
                    );
                }
                _ => panic!("{collector} at {cap}: {:?}\n{stderr}", out.status),
            }
        }
        assert!(stopped > 0, "{collector}: no cap refused memory");
    }
}
