//! The hand-written CPython scenarios of `traces/cpython/` replay on this
//! collector with every `expect` holding, and on every other collector
//! without a trace error (their `expect@generational` lines are skipped).

use gc_core::CollectorExt;
use gc_core::tooling::replay::replay;
use gc_core::tooling::trace::Trace;
use gc_generational::Generational;

#[test]
fn every_cpython_scenario_trace_holds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/cpython");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "gctrace") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let trace = Trace::parse(&text).unwrap();
        let mut failures = Vec::new();
        let outcome = replay(&trace, Generational::new_default().unwrap(), |r| {
            let json = r.to_json();
            if json.contains("expect_failed") {
                failures.push(json);
            }
        });
        assert_eq!(outcome.exit_code(), 0, "{}: {failures:?}", path.display());
        let on_null = replay(
            &trace,
            gc_core::NullCollector::new_default().unwrap(),
            |_| {},
        );
        assert_eq!(on_null.exit_code(), 0, "{}", path.display());
        n += 1;
    }
    assert!(n >= 10, "found {n} traces");
}
