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
