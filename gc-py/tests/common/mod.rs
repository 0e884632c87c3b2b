//! Shared by the tests: running gc-py and the bundled programs.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const STRATEGIES: [&str; 3] = ["refcount", "generational", "marksweep"];

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every bundled program, by file name, sorted.
pub fn programs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("gc-py/examples exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".py"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no bundled programs found");
    v
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs `program` in `dir` with `cmd` (the interpreter and its options).
pub fn run_in(dir: &Path, cmd: &[&str], program: &str) -> Run {
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .arg(program)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cmd[0]));
    // gc-py names the script by its absolute path, as CPython does; the
    // expected outputs name it relative to `dir`.
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let prefix = format!("{}/", dir.display());
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).replace(&prefix, ""),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Runs a bundled program on gc-py with `strategy`.
pub fn gc_py(strategy: &str, program: &str) -> Run {
    run_in(
        &examples_dir(),
        &[env!("CARGO_BIN_EXE_gc-py"), "--collector", strategy],
        program,
    )
}

/// Addresses differ from run to run and interpreter to interpreter.
pub fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && i + 1 < b.len() && b[i + 1] == b'x' {
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
            if j > i + 2 {
                out.push_str("0x…");
                i = j;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

pub fn version_of(exe: &str) -> Option<String> {
    let out = Command::new(exe).arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let mut v = String::from_utf8_lossy(&out.stdout).into_owned();
    v.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(v.trim().to_owned())
}

pub fn find_cpython_311() -> Result<String, String> {
    for exe in ["python3.11", "python3"] {
        if let Some(v) = version_of(exe) {
            if v.starts_with("Python 3.11") {
                return Ok(exe.to_owned());
            }
            eprintln!("{exe} is {v}, not CPython 3.11");
        }
    }
    Err("neither python3.11 nor a python3 that is 3.11 is installed".into())
}

/// Written straight to the process's stderr, past the test harness's
/// capture, so a skip is seen.
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED {test}: {why} ***\n");
}
