//! The bundled programs against the real interpreters, so that the
//! expected outputs cannot drift: CPython 3.11 (`python3.11`, else a
//! `python3` that is 3.11) against the `generational` strategy, PyPy 3
//! (`pypy3`) against `marksweep`. A missing interpreter is skipped, loudly.

mod common;

use std::io::Write;

use common::*;

/// Programs whose output on pypy3 is known to differ, and why. Each is
/// still run, and the difference printed (loudly), but it does not fail.
const KNOWN_PYPY_DIFFERENCES: &[(&str, &str)] = &[
    (
        "del_nested.py",
        "pypy3 7.3.11 runs the finalizers a gc.collect() found (from the program's second gc.collect() on) with all but the first inside the first one's __del__, before its first line (its UserDelAction, fired by the collection, is performed there): [a, b] prints b's __del__ before a's; gc-py runs them in order",
    ),
    (
        "live_repr.py",
        "pypy3 7.3.11 fails on a list cleared during its repr: SystemError, an internal IndexError in EmptyListStrategy_getitem; gc-py prints what CPython prints",
    ),
    (
        "lru_cache.py",
        "pypy3 7.3.11 keeps some evicted records alive across gc.collect() (gc.get_referrers shows a dict still referring to them after `del self.data[k]`); gc-py frees them, as CPython does",
    ),
];

fn compare(interpreter: &str, strategy: &str) {
    let dir = examples_dir();
    let mut failures = Vec::new();
    for program in programs() {
        if interpreter == "pypy3"
            && let Some((_, why)) = KNOWN_PYPY_DIFFERENCES.iter().find(|(p, _)| *p == program)
        {
            let theirs = run_in(&dir, &[interpreter], &program);
            let ours = gc_py(strategy, &program);
            let same = mask(&theirs.stdout) == mask(&ours.stdout);
            let _ = writeln!(
                std::io::stderr(),
                "\n*** {program}: known to differ on pypy3 ({why}); {} ***\n--- pypy3\n{}--- gc-py\n{}",
                if same {
                    "identical this time"
                } else {
                    "differs"
                },
                theirs.stdout,
                ours.stdout
            );
            continue;
        }
        let theirs = run_in(&dir, &[interpreter], &program);
        let ours = gc_py(strategy, &program);
        if mask(&theirs.stdout) != mask(&ours.stdout) {
            failures.push(format!(
                "{program}: {interpreter} and gc-py --collector {strategy} differ\n--- {interpreter}\n{}--- gc-py\n{}",
                theirs.stdout, ours.stdout
            ));
        }
        if (theirs.code == 0) != (ours.code == 0) {
            failures.push(format!(
                "{program}: {interpreter} exits {}, gc-py {}",
                theirs.code, ours.code
            ));
        } else if theirs.code != 0 {
            // Both raised: the same exception, with the same message (gc-py
            // may add why, in parentheses).
            let last = |s: &str| s.lines().last().unwrap_or("").to_owned();
            let (t, o) = (last(&theirs.stderr), last(&ours.stderr));
            if t.is_empty() || !o.starts_with(&t) {
                failures.push(format!(
                    "{program}: {interpreter} ends with `{t}`, gc-py with `{o}`"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generational_prints_what_cpython_311_prints() {
    match find_cpython_311() {
        Ok(exe) => compare(&exe, "generational"),
        Err(why) => skip("generational_prints_what_cpython_311_prints", &why),
    }
}

#[test]
fn marksweep_prints_what_pypy3_prints() {
    match version_of("pypy3") {
        Some(_) => compare("pypy3", "marksweep"),
        None => skip(
            "marksweep_prints_what_pypy3_prints",
            "pypy3 is not installed (not on PATH)",
        ),
    }
}
