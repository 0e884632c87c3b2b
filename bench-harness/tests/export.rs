//! `gc-bench export --python`: the command line over `py_interop::export`
//! (the program's behaviour on Python is tested in py-interop).
//!
//! * Bad input: one-line errors, exit 2, no partial file.
//! * `--out` writes the same program as standard output.

#[path = "support/gc_bench.rs"]
mod support;

use std::path::PathBuf;

use support::{gc_bench, text};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gc-bench-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn export(trace: &str) -> String {
    let out = gc_bench(&["export", "--python", "-"], Some(trace));
    assert_eq!(out.status.code(), Some(0), "export: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_malformed_trace_is_one_line_exit_2_and_no_file() {
    let dir = scratch("malformed");
    let out_file = dir.join("prog.py");
    let out = gc_bench(
        &[
            "export",
            "--python",
            "-",
            "--out",
            out_file.to_str().unwrap(),
        ],
        Some("gctrace 1\nnew r0 node 1 0\nfrobnicate r0\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("line 3:"), "{err}");
    assert_eq!(err.lines().count(), 1);
    assert!(!out_file.exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_out_is_one_line_exit_2_and_no_file() {
    let dir = scratch("unwritable");
    let trace = "gctrace 1\nnew r0 node 1 0\n";
    for target in [
        dir.join("missing-dir").join("prog.py"),
        dir.clone(), // a directory
    ] {
        let out = gc_bench(
            &["export", "--python", "-", "--out", target.to_str().unwrap()],
            Some(trace),
        );
        assert_eq!(out.status.code(), Some(2), "{}", target.display());
        let err = text(&out.stderr);
        assert!(err.starts_with("cannot write "), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
    assert!(!dir.join("missing-dir").exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no temporary file left"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn out_writes_the_same_program_as_standard_output() {
    let dir = scratch("out");
    let path = dir.join("prog.py");
    let trace = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/seed_cycle.gctrace"
    ))
    .unwrap();
    let out = gc_bench(
        &["export", "--python", "-", "--out", path.to_str().unwrap()],
        Some(&trace),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    let standard = export(&trace).replace("Source: standard input", "");
    assert_eq!(written.replace("Source: standard input", ""), standard);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Found by a bad-input trial: `--out` naming the trace itself (or a link
/// to it) replaced the trace with the program.
#[test]
fn out_naming_the_trace_itself_is_refused() {
    let dir = scratch("same");
    let trace = dir.join("ok.gctrace");
    let original = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/seed_cycle.gctrace"
    ))
    .unwrap();
    std::fs::write(&trace, &original).unwrap();
    let link = dir.join("link.gctrace");
    #[cfg(unix)]
    std::os::unix::fs::symlink("ok.gctrace", &link).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&trace, &link).unwrap();
    let t = trace.to_str().unwrap();
    let other = format!("{}/./ok.gctrace", dir.display());
    for out_path in [t, other.as_str(), link.to_str().unwrap()] {
        let out = gc_bench(&["export", "--python", t, "--out", out_path], None);
        assert_eq!(out.status.code(), Some(2), "{out_path}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("would be overwritten"), "{err}");
        assert_eq!(std::fs::read(&trace).unwrap(), original, "{out_path}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "nothing written"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
