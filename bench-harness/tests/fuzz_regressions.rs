//! Every input the fuzz targets (`fuzz/`, the README's "Fuzzing" section)
//! crashed on, kept as a test: each runs the check of its target, on every
//! strategy and on the marksweep configurations the targets use
//! (`gc_fuzz::marksweep_configs`, repeated here: the fuzz crate builds
//! only with nightly).

use gc_core::tooling::oracle::check_trace;
use gc_core::tooling::testing::{Profile, RawOp, build_trace};
use gc_core::tooling::trace::Trace;
use gc_core::{Collector, CollectorExt, NullCollector};
use gc_generational::Generational;
use gc_marksweep::{IncMiniMark, MarkSweepConfig};
use gc_refcount::RefCount;

fn marksweep_configs() -> [MarkSweepConfig; 3] {
    [
        MarkSweepConfig::pypy(),
        MarkSweepConfig {
            nursery: 512,
            large_object: 40,
            increment_step: 128,
            min_heap: 1024,
            debug: true,
            ..MarkSweepConfig::pypy()
        },
        MarkSweepConfig::zeal(96),
    ]
}

/// The `ops` target's check: the trace beside the oracle on every strategy.
fn check_everywhere(trace: &Trace) {
    let fail = |name: &str, e: String| panic!("{name}: {e}\n{}", trace.to_text());
    check_trace(NullCollector::new_default().unwrap(), trace).unwrap_or_else(|e| fail("null", e));
    check_trace(RefCount::new_default().unwrap(), trace).unwrap_or_else(|e| fail("refcount", e));
    check_trace(Generational::new_default().unwrap(), trace)
        .unwrap_or_else(|e| fail("generational", e));
    for config in marksweep_configs() {
        check_trace(IncMiniMark::with_config(config).unwrap(), trace)
            .unwrap_or_else(|e| fail("marksweep", e));
    }
}

fn ops(raw: &[RawOp]) {
    check_everywhere(&build_trace(raw, Profile::WithControls));
}

/// `ops`, found in its first minute: the generator's search for a register
/// holding an object started at `a + k`, which overflowed (a panic in
/// debug builds) for `a` near `u32::MAX`.
#[test]
fn a_register_choice_near_u32_max_does_not_overflow() {
    ops(&[
        (0, 3, 2, 0),
        (75, u32::MAX, 0, 0),
        (30, u32::MAX - 2, 3, 1),
        (72, 0, 3, 0),
    ]);
}
