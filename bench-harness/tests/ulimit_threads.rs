//! Threads the system refuses, for real: `gc-bench run` under a
//! `ulimit -v` (address space) cap too small for a thread's stack. Found
//! by a bad-input trial: at about 18,000 KiB the progress bar's thread
//! could not start and `run` panicked (exit 101), and a refused thread
//! left the `--out` folder it had just made behind, empty.
//!
//! Where exactly the refusal comes (the signal handler's thread, rayon's
//! workers, the progress bar's thread, an allocation) depends on the
//! build and the machine, so the run is tried under a range of caps:
//! none may panic, every exit 2 is one line that leaves no folder, and
//! at least one cap must meet a refused thread.
#![cfg(target_os = "linux")]

use std::process::Command;

#[test]
fn a_thread_the_system_refuses_is_a_clean_error_and_leaves_no_folder() {
    let base = std::env::temp_dir().join(format!("gc-bench-threads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let out_dir = base.join("d");
    let mut refused_threads = 0;
    for cap in (12_000..=40_000).step_by(1_000) {
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
            .arg(&out_dir)
            .output()
            .expect("sh runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && out.status.code() != Some(101),
            "cap {cap} KiB: {:?}\n{stderr}",
            out.status
        );
        if out.status.code() == Some(2) {
            assert_eq!(stderr.lines().count(), 1, "cap {cap} KiB: {stderr}");
            assert!(
                !out_dir.exists(),
                "cap {cap} KiB left {}",
                out_dir.display()
            );
            if stderr.contains("cannot start") && stderr.contains("thread") {
                refused_threads += 1;
            }
        }
        let _ = std::fs::remove_dir_all(&out_dir);
    }
    assert!(refused_threads > 0, "no cap refused a thread");
    std::fs::remove_dir_all(&base).unwrap();
}
