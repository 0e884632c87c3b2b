//! Runtime errors print CPython 3.11's traceback: every frame, its source
//! line, and the carets under where it was (`~` and `^` for a binary
//! operation or a subscript; none when they would underline the whole
//! line); on `marksweep`, PyPy's (no carets). The cases and what CPython
//! 3.11 printed for them are recorded in `tracebacks/cases.txt`; a live
//! test runs CPython on them again, so that the record cannot drift.

mod common;

use std::path::Path;

use common::*;

/// One recorded program and what CPython 3.11 printed for it.
struct Case {
    name: String,
    source: String,
    stdout: String,
    stderr: String,
}

fn cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tracebacks/cases.txt");
    let text = std::fs::read_to_string(&path).expect("tests/tracebacks/cases.txt");
    let mut cases = Vec::new();
    for block in text.split("=== ").skip(1) {
        let (name, rest) = block.split_once('\n').expect("a name line");
        let (source, rest) = rest.split_once("--- stdout\n").expect("a stdout part");
        let (stdout, stderr) = rest.split_once("--- stderr\n").expect("a stderr part");
        // A last line with no line break is recorded with a marker.
        let stdout = stdout.replace("\\ no newline\n", "");
        cases.push(Case {
            name: name.to_owned(),
            source: source.to_owned(),
            stdout,
            stderr: stderr.to_owned(),
        });
    }
    assert!(cases.len() >= 100, "{} cases", cases.len());
    cases
}

/// The cases written to a fresh directory.
fn write_cases(cases: &[Case]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for c in cases {
        std::fs::write(dir.path().join(&c.name), &c.source).expect("write a case");
    }
    dir
}

/// CPython's exit status for what it printed: 1 after a traceback of the
/// program's own, one that no `Exception ignored in:` line introduces.
fn exit_code(stderr: &str) -> i32 {
    let lines: Vec<&str> = stderr.lines().collect();
    let uncaught = lines.iter().enumerate().any(|(i, l)| {
        l.starts_with("Traceback (most recent call last):")
            && (i == 0 || !lines[i - 1].starts_with("Exception ignored in"))
    });
    i32::from(uncaught)
}

/// A program that meets a collector's own behaviour (finalizers, weak
/// references, the `gc` module) prints what that collector's runtime
/// prints; the others print the same on every strategy.
fn plain(c: &Case) -> bool {
    !["__del__", "gc", "weakref"]
        .iter()
        .any(|w| c.source.contains(w))
}

/// The cases for PyPy's output: plain, and without the compiler warnings
/// PyPy words otherwise (`tests/errors.rs` checks those).
fn plain_without_warnings(c: &Case) -> bool {
    plain(c) && !c.stderr.contains("SyntaxWarning")
}

/// What PyPy prints where CPython printed `stderr`: no caret lines, no
/// `Did you mean` (PyPy 3.9 offers none), and "does not" where CPython
/// 3.11 says "doesn't".
fn as_pypy(stderr: &str) -> String {
    stderr
        .replace(
            "doesn't support item deletion",
            "does not support item deletion",
        )
        .split_inclusive('\n')
        .filter(|l| {
            let t = l.trim();
            !(l.starts_with("    ") && !t.is_empty() && t.chars().all(|c| c == '^' || c == '~'))
        })
        .map(|l| match l.find(". Did you mean: '") {
            Some(i) if l.ends_with("'?\n") => format!("{}\n", &l[..i]),
            _ => l.to_owned(),
        })
        .collect()
}

fn check(strategy: &str, select: impl Fn(&Case) -> bool, expected_stderr: impl Fn(&str) -> String) {
    let cases = cases();
    let dir = write_cases(&cases);
    let gc_py = env!("CARGO_BIN_EXE_gc-py");
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in cases.iter().filter(|c| select(c)) {
        let run = run_in(dir.path(), &[gc_py, "--collector", strategy], &c.name);
        let stderr = expected_stderr(&c.stderr);
        if run.stdout != c.stdout
            || mask(&run.stderr) != mask(&stderr)
            || run.code != exit_code(&c.stderr)
        {
            failures.push(format!(
                "{} on {strategy} (exit {})\n--- expected\n{}{stderr}--- got\n{}{}",
                c.name, run.code, c.stdout, run.stdout, run.stderr
            ));
        }
        checked += 1;
    }
    assert!(checked >= 60, "{checked} cases checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn generational_prints_cpythons_traceback() {
    check("generational", |_| true, str::to_owned);
}

#[test]
fn refcount_prints_cpythons_traceback() {
    check("refcount", plain, str::to_owned);
}

#[test]
fn marksweep_prints_pypys_traceback_without_carets() {
    check("marksweep", plain_without_warnings, as_pypy);
}

/// The record against CPython 3.11 itself, when it is installed.
#[test]
fn the_recorded_tracebacks_are_cpythons() {
    let python = match find_cpython_311() {
        Ok(p) => p,
        Err(why) => {
            skip("the_recorded_tracebacks_are_cpythons", &why);
            return;
        }
    };
    let cases = cases();
    let dir = write_cases(&cases);
    let mut failures = Vec::new();
    for c in &cases {
        let run = run_in(dir.path(), &[&python], &c.name);
        if run.stdout != c.stdout || mask(&run.stderr) != mask(&c.stderr) {
            failures.push(format!(
                "{}\n--- recorded\n{}{}--- {python}\n{}{}",
                c.name, c.stdout, c.stderr, run.stdout, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
