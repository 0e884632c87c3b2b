//! Threads the system refuses, for real: `gc-bench run` under a
//! `ulimit -v` (address space) cap too small for a thread. Found by a
//! bad-input trial: at about 18,000 KiB the progress bar's thread could
//! not start and `run` panicked (exit 101), and a refused thread left the
//! `--out` folder it had just made behind, empty. Then CI's machine met a
//! cap (21,000 KiB) with room for a thread's stack but not for its signal
//! stack, which the standard library maps inside the new thread: an
//! abort (exit 134).
//!
//! Where exactly the refusals come (the signal handler's thread, the
//! workers, the progress bar's thread, an allocation) depends on the
//! build and the machine, so the run is tried under a range of caps, and
//! then, between two caps that end differently, at every 4 KiB: none may
//! panic or abort, every exit 2 is one line that leaves no folder, and at
//! least one cap must meet a refused thread. Below about 14,000 KiB the
//! program never reaches `main`: the loader refuses it (exit 127) or
//! crashes mapping it (a segmentation fault, where `--help` fails as
//! well), or the standard library's start does (an abort for the main
//! thread's signal stack); those caps are not the program's to answer.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

/// Whether the program starts at all under a cap of `cap` KiB: `--help`
/// runs.
fn starts(cap: u64) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {cap} && exec \"$0\" --help"))
        .arg(env!("CARGO_BIN_EXE_gc-bench"))
        .output()
        .expect("sh runs")
        .status
        .success()
}

/// How a run under a cap ended: its exit code and its message's first
/// words.
fn run_under(cap: u64, out_dir: &Path) -> (Option<i32>, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {cap} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_gc-bench"))
        .args([
            "run",
            "--workload",
            "gc_collect",
            "--collector",
            "null",
            "--scale",
            "0.1",
            "--out",
        ])
        .arg(out_dir)
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if matches!(out.status.code(), None | Some(127)) && !starts(cap) {
        // The loader could not map the program under this cap (a
        // segmentation fault in the loader, or its own refusal): `--help`
        // fails the same way, nothing of the program has run.
        return (None, "before main".into());
    }
    if stderr.contains("thread 'main'") && stderr.contains("alternative stack") {
        // The standard library's start, before `main`, refused its own
        // signal stack: like the loader's refusal, nothing of the program
        // has run.
        return (None, "before main".into());
    }
    assert!(
        // A signal (an abort) has no code; 127 is the loader's own refusal.
        !stderr.contains("panicked") && out.status.code().is_some_and(|code| code != 101),
        "cap {cap} KiB: {:?}\n{stderr}",
        out.status
    );
    let mut kind = String::new();
    if out.status.code() == Some(2) {
        assert_eq!(stderr.lines().count(), 1, "cap {cap} KiB: {stderr}");
        assert!(
            !out_dir.exists(),
            "cap {cap} KiB left {}",
            out_dir.display()
        );
        kind = stderr.split(':').take(2).collect();
    }
    let _ = std::fs::remove_dir_all(out_dir);
    (out.status.code(), kind)
}

#[test]
fn a_thread_the_system_refuses_is_a_clean_error_and_leaves_no_folder() {
    let base = std::env::temp_dir().join(format!("gc-bench-threads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let out_dir = base.join("d");
    let coarse: Vec<(u64, (Option<i32>, String))> = (12_000..=40_000)
        .step_by(1_000)
        .map(|cap| (cap, run_under(cap, &out_dir)))
        .collect();
    let mut ends: Vec<String> = coarse.iter().map(|(_, (_, kind))| kind.clone()).collect();
    for pair in coarse.windows(2) {
        let ((low, low_end), (high, high_end)) = (&pair[0], &pair[1]);
        if low_end != high_end {
            for cap in (low + 4..*high).step_by(4) {
                ends.push(run_under(cap, &out_dir).1);
            }
        }
    }
    assert!(
        ends.iter()
            .any(|kind| kind.contains("cannot start") && kind.contains("thread")),
        "no cap refused a thread: {coarse:?}"
    );
    std::fs::remove_dir_all(&base).unwrap();
}
