//! Where `gc-bench` writes, bad cases (found by bad-input trials): a
//! standard output that refuses writes, `--out` naming something other
//! than a regular file, an output folder that cannot be written whole.
//! Each is one line on standard error and exit 2, and never a replaced
//! device, FIFO or link, nor a half-written output.
#![cfg(target_os = "linux")]

#[path = "support/gc_bench.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::{gc_bench, text};

const TRACE: &str = "traces/seed_cycle.gctrace";

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gc-bench-outputs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `gc-bench ARGS` from the repository root with standard output
/// on `/dev/full` (every write fails with ENOSPC).
fn to_dev_full(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens for writing");
    Command::new(env!("CARGO_BIN_EXE_gc-bench"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("gc-bench runs")
}

/// Exit 2 and one line on standard error that says so.
fn assert_one_line_exit_2(out: &Output, what: &str, says: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
    assert!(stderr.contains(says), "{what}: {stderr}");
}

#[test]
fn a_standard_output_that_refuses_writes_is_an_error_for_every_command() {
    let dir = scratch("dev-full");
    let results = dir.join("results");
    let made = gc_bench(
        &[
            "run",
            "--workload",
            "gc_collect",
            "--collector",
            "null",
            "--scale",
            "0.05",
            "--out",
            results.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
    let r = results.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["export", "--python", TRACE],
        vec!["replay", TRACE, "--collector", "refcount"],
        vec![
            "replay",
            TRACE,
            "--collector",
            "refcount",
            "--events",
            "jsonl",
        ],
        vec![
            "run",
            "--workload",
            "gc_collect",
            "--collector",
            "null",
            "--scale",
            "0.05",
        ],
        vec!["list"],
        vec!["diff", r, r],
        vec!["--help"],
        vec!["replay", "--help"],
        vec!["record", "gc_collect", "--scale", "0.1"],
    ];
    for args in commands {
        let out = to_dev_full(&args);
        assert_one_line_exit_2(&out, &args.join(" "), "No space left on device");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_pipe_is_still_not_an_error() {
    // `gc-bench … | head -1`: the reader has what it wanted.
    for args in [
        &["export", "--python", TRACE][..],
        &["list"][..],
        &[
            "replay",
            TRACE,
            "--collector",
            "refcount",
            "--events",
            "jsonl",
        ][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gc-bench"))
            .args(args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn out_writes_through_a_fifo_instead_of_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch("fifo");
    let fifo = dir.join("f");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let expected = gc_bench(&["export", "--python", TRACE], None);
    assert_eq!(expected.status.code(), Some(0));
    // Blocks until gc-bench opens the FIFO to write; if it never does (it
    // replaced the FIFO), the test fails below and this thread is left.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = gc_bench(
        &["export", "--python", TRACE, "--out", fifo.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
    assert_eq!(reader.join().unwrap(), expected.stdout);
    assert_eq!(names(&dir), ["f"], "no temporary file left");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn out_follows_a_symlink_and_writes_its_target() {
    let dir = scratch("symlink");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    let link = dir.join("a").join("link.gc");
    // Relative to the link's folder; the target does not exist yet.
    std::os::unix::fs::symlink("../b/target.gc", &link).unwrap();
    let expected = gc_bench(&["record", "gc_collect", "--scale", "0.1"], None);
    assert_eq!(expected.status.code(), Some(0));
    for round in 0..2 {
        // First written through a dangling link, then over the target.
        let out = gc_bench(
            &[
                "record",
                "gc_collect",
                "--scale",
                "0.1",
                "--out",
                link.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(
            meta.file_type().is_symlink(),
            "round {round}: link replaced"
        );
        assert_eq!(
            std::fs::read(dir.join("b").join("target.gc")).unwrap(),
            expected.stdout,
            "round {round}"
        );
        assert_eq!(names(&dir.join("a")), ["link.gc"], "round {round}");
        assert_eq!(names(&dir.join("b")), ["target.gc"], "round {round}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_out_folder_is_written_whole_or_not_at_all() {
    // heap.svg is a folder: run cannot write it, and writes nothing else.
    let dir = scratch("half");
    let half = dir.join("half");
    std::fs::create_dir_all(half.join("heap.svg")).unwrap();
    let out = gc_bench(
        &[
            "run",
            "--workload",
            "gc_collect",
            "--collector",
            "null",
            "--scale",
            "0.05",
            "--out",
            half.to_str().unwrap(),
        ],
        None,
    );
    assert_one_line_exit_2(&out, "run --out half", "heap.svg");
    assert_eq!(names(&half), ["heap.svg"], "half-written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--out /dev/stdout` writes to standard output, whatever it is: a pipe
/// (its link text, `pipe:[…]`, was taken for a file to create in
/// `/proc/self/fd`, and refused), or a file opened with `>>`, which is
/// appended to (its path was taken as the target and the file replaced).
/// Found by a review.
#[test]
fn out_dev_stdout_writes_to_standard_output() {
    let out = gc_bench(
        &[
            "record",
            "gc_collect",
            "--scale",
            "0.01",
            "--out",
            "/dev/stdout",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("gctrace 1\n"));
    let dir = scratch("dev-stdout");
    let log = dir.join("log");
    std::fs::write(&log, "before\n").unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" record gc_collect --scale 0.01 --out /dev/stdout >> \"$1\"")
        .arg(env!("CARGO_BIN_EXE_gc-bench"))
        .arg(&log)
        .status()
        .unwrap();
    assert!(status.success());
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.starts_with("before\ngctrace 1\n"), "{written}");
    std::fs::remove_dir_all(&dir).unwrap();
}
