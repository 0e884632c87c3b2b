//! Every bundled program on every strategy, against its expected output:
//! `NAME.STRATEGY.expected` where the strategy differs, else
//! `NAME.expected` (what CPython 3.11 prints); stderr against
//! `NAME.STRATEGY.stderr` (empty when there is none); the exit status is 1
//! exactly when that stderr is a traceback.

mod common;

use common::*;

fn read(path: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[test]
fn every_program_on_every_strategy_prints_what_is_expected() {
    let dir = examples_dir();
    let mut failures = Vec::new();
    let mut checked = 0;
    for program in programs() {
        let stem = program.trim_end_matches(".py");
        for strategy in STRATEGIES {
            let expected = read(&dir.join(format!("{stem}.{strategy}.expected")))
                .or_else(|| read(&dir.join(format!("{stem}.expected"))))
                .unwrap_or_else(|| panic!("{stem}: no expected output"));
            let expected_err =
                read(&dir.join(format!("{stem}.{strategy}.stderr"))).unwrap_or_default();
            let expected_code = if expected_err.starts_with("Traceback") {
                1
            } else {
                0
            };
            let run = gc_py(strategy, &program);
            if mask(&run.stdout) != mask(&expected) {
                failures.push(format!(
                    "{program} on {strategy}: stdout\n--- expected\n{expected}--- got\n{}",
                    run.stdout
                ));
            }
            if mask(&run.stderr) != mask(&expected_err) {
                failures.push(format!(
                    "{program} on {strategy}: stderr\n--- expected\n{expected_err}--- got\n{}",
                    run.stderr
                ));
            }
            if run.code != expected_code {
                failures.push(format!(
                    "{program} on {strategy}: exit {} (expected {expected_code})",
                    run.code
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 15);
}

#[test]
fn refcount_reports_the_cycles_it_leaked() {
    // Two nodes in a cycle and the two strings they hold: four objects.
    let run = gc_py("refcount", "seed1_node_cycle.py");
    assert!(
        run.stderr.contains(
            "gc-py: 4 objects leaked in reference cycles (2 containers and 2 atoms they hold)"
        ),
        "{}",
        run.stderr
    );
    let run = gc_py("refcount", "del_callbacks.py");
    assert!(
        run.stderr.contains(
            "gc-py: 1 object leaked in reference cycles (1 container and 0 atoms they hold)"
        ),
        "{}",
        run.stderr
    );
    let run = gc_py("generational", "seed1_node_cycle.py");
    assert!(!run.stderr.contains("leaked"), "{}", run.stderr);
}
