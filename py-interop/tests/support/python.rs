//! The interpreters the tests run, found by name: `python3.11` (the
//! CPython the generational collector models; installed on the project's
//! machines) and `pypy3` (which `.ci/run` installs).
//!
//! A test whose interpreter is missing fails, saying how to install it;
//! with `GC_ALLOW_MISSING_PYTHON=1` it is skipped instead, and says so on
//! standard error past cargo's capture (so the skip shows in the test
//! output, whatever `--nocapture`).

use std::io::Write;
use std::process::{Command, Stdio};

/// CPython 3.11, by name.
pub const CPYTHON: &str = "python3.11";
/// PyPy, by name.
pub const PYPY: &str = "pypy3";

/// The `major.minor` of `interpreter`, if it runs.
pub fn version(interpreter: &str) -> Option<String> {
    let out = Command::new(interpreter)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `interpreter` when it is installed (and, for `python3.11`, is 3.11);
/// otherwise fails the test `test`, or, with `GC_ALLOW_MISSING_PYTHON=1`,
/// says it is skipped and returns `None`.
pub fn require(interpreter: &str, test: &str) -> Option<&'static str> {
    let name = match interpreter {
        CPYTHON => CPYTHON,
        PYPY => PYPY,
        other => panic!("unknown interpreter {other}"),
    };
    let found = version(name);
    let why = match found.as_deref() {
        Some(v) if name != CPYTHON || v == "3.11" => return Some(name),
        Some(v) => format!("{name} runs Python {v}, not 3.11"),
        None => format!("{name} is not installed (not on PATH)"),
    };
    if std::env::var_os("GC_ALLOW_MISSING_PYTHON").is_some_and(|v| v == "1") {
        // Straight to the process's standard error: not captured.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: {why} (GC_ALLOW_MISSING_PYTHON=1)"
        );
        return None;
    }
    panic!("{test} needs {name}: {why}; install it, or set GC_ALLOW_MISSING_PYTHON=1 to skip");
}
