//! Memory the system refuses is `OutOfMemory`, never an abort (issue #14),
//! as a user sees it: `gc-bench replay` on marksweep under `ulimit -v`
//! prints one `line N: out of memory …` line and exits 2, not 134
//! (`memory allocation of N bytes failed`).

#![cfg(unix)]

use std::fmt::Write as _;
use std::process::Command;

#[test]
fn marksweep_under_ulimit_v_is_out_of_memory_not_an_abort() {
    // 400 nodes of 2^24 slots (128 MiB each, born old): far more than the
    // 1,000,000 KiB of address space allowed below.
    let mut trace = String::from("gctrace 1\n");
    for i in 0..400 {
        writeln!(trace, "new r{i} node 16777216 0").unwrap();
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, trace.as_bytes()).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1000000 && exec \"$0\" replay \"$1\" --collector marksweep")
        .arg(env!("CARGO_BIN_EXE_gc-bench"))
        .arg(file.path())
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let line = lines[0];
    assert!(
        line.starts_with("line ") && line.contains(": out of memory"),
        "{line}"
    );
    // Refused by the system, not by a configured limit; somewhere after
    // the first few nodes.
    assert!(line.contains("the system refused"), "{line}");
    let n: usize = line["line ".len()..line.find(':').unwrap()]
        .parse()
        .unwrap();
    assert!((3..=401).contains(&n), "{line}");
}

/// `parallel_mark` under a cap: the system refuses some of the marking
/// threads. Before each thread asked for its room first
/// (`gc_core::tooling::threads`), the standard library's panic inside a
/// thread whose signal stack was refused aborted the process, or left it
/// hanging: with 256 threads at every cap below, from 60 to 1,000 MB. Now
/// a refused thread is one thread fewer, and the marking the same.
#[test]
fn parallel_mark_under_ulimit_v_starts_the_threads_it_can() {
    // A list of 300,000 nodes (about 10 MiB old, above parallel_mark_min)
    // with full collections, which mark in parallel, along the way.
    let mut trace = String::from("gctrace 1\nnew r0 node 1 0\nmov r1 r0\n");
    for i in 0..300_000 {
        trace.push_str("new r2 node 2 0\nset r1.0 r2\nmov r1 r2\n");
        if i % 50_000 == 49_999 {
            trace.push_str("collect\n");
        }
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, trace.as_bytes()).unwrap();
    let mut refused = 0;
    for cap in [100_000, 140_000, 200_000, 400_000, 1_000_000] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {cap} && exec timeout 120 \"$0\" replay \"$1\" --collector marksweep --config parallel_mark=256"
            ))
            .arg(env!("CARGO_BIN_EXE_gc-bench"))
            .arg(file.path())
            .output()
            .expect("sh runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        // 124: `timeout`'s, for a run that hung; none: a signal (an abort).
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "cap {cap} KiB: {:?}\n{stderr}",
            out.status
        );
        if out.status.code() == Some(2) {
            assert_eq!(stderr.lines().count(), 1, "cap {cap} KiB: {stderr}");
            refused += 1;
        }
    }
    assert!(refused < 5, "every cap was too small for the trace itself");
}
