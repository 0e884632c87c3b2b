//! Random traces checked against the reachability oracle: after every
//! operation every reachable object is alive, finalizations are legal and
//! the saved list matches; after every full `collect` the live set is
//! exactly the reachable set plus what unreachable finalizable objects keep
//! (this collector frees finalized objects at the next major collection).
//!
//! Four configurations, 1,000 traces each: PyPy's defaults (collections
//! only when the trace asks), a small nursery with small steps (automatic
//! minors and incremental majors interleaved with the mutator, the heap
//! check after each), a large-object-heavy one (cards), and zeal (a nursery
//! of a few objects, a minor collection at every allocation, a major step
//! at every minor, the heap check after each). Each also with two marking
//! threads (`parallel_mark=2`), which must match the oracle and give the
//! same records as the sequential marking, times aside.

use gc_core::Collector;
use gc_core::tooling::oracle::check_trace;
use gc_core::tooling::replay::{Replayer, replay_with};
use gc_core::tooling::testing::{Profile, arb_trace};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};
use proptest::prelude::*;

mod common;
use common::mask_times;

/// `n` cases, or `PROPTEST_CASES` when set (for longer hunts).
fn cases(n: u32) -> u32 {
    if cfg!(miri) {
        return 2;
    }
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}

/// Checks `trace` on `config`, then on `config` with two marking threads
/// (`parallel_mark=2`, on every step whose budget covers the old generation:
/// `parallel_mark_min=0`), whose replay must also give the sequential
/// one's records, times aside.
fn run(
    config: MarkSweepConfig,
    trace: &gc_core::tooling::trace::Trace,
) -> Result<(), TestCaseError> {
    let parallel = MarkSweepConfig {
        parallel_mark: 2,
        parallel_mark_min: 0,
        ..config.clone()
    };
    for config in [config.clone(), parallel.clone()] {
        let heap = IncMiniMark::with_config(config.clone()).unwrap();
        if let Err(e) = check_trace(heap, trace) {
            return Err(TestCaseError::fail(format!(
                "parallel_mark={}: {e}\n{}",
                config.parallel_mark,
                trace.to_text()
            )));
        }
    }
    let records = |config: MarkSweepConfig| {
        let heap = IncMiniMark::with_config(config).unwrap();
        let mut out = Vec::new();
        let replayer = Replayer::new(heap).with_detail(true);
        replay_with(trace, replayer, |r| out.push(mask_times(&r.to_json())));
        out
    };
    let (sequential, parallel) = (records(config), records(parallel));
    prop_assert_eq!(
        sequential,
        parallel,
        "the parallel marking changed the records\n{}",
        trace.to_text()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(1000),
        max_shrink_iters: 4000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn default_config_matches_the_oracle(trace in arb_trace(600, Profile::WithControls)) {
        run(MarkSweepConfig::pypy(), &trace)?;
    }

    #[test]
    fn small_nursery_matches_the_oracle(trace in arb_trace(1000, Profile::WithControls)) {
        let config = MarkSweepConfig {
            nursery: 512,
            increment_step: 128,
            min_heap: 1024,
            debug: true,
            ..MarkSweepConfig::pypy()
        };
        run(config, &trace)?;
    }

    /// Nodes of 3 slots or more are born in the large-object space, with
    /// cards: card marking, large-object sweeping and promotion to
    /// individual allocations get random traces too.
    #[test]
    fn large_objects_match_the_oracle(trace in arb_trace(600, Profile::WithControls)) {
        let config = MarkSweepConfig {
            nursery: 512,
            large_object: 40,
            increment_step: 128,
            min_heap: 1024,
            debug: true,
            ..MarkSweepConfig::pypy()
        };
        run(config, &trace)?;
    }

    #[test]
    fn zeal_matches_the_oracle(trace in arb_trace(400, Profile::WithControls)) {
        run(MarkSweepConfig::zeal(96), &trace)?;
    }
}
