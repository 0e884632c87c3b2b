//! Random traces (graph mutation, finalizers with resurrection, weak
//! references, explicit collections of every generation, thresholds
//! changed mid-trace, collection disabled and enabled) against the oracle:
//! reachable objects are never freed, finalizations are legal, the saved
//! list matches, and after every full collection the live set is exactly
//! the reachable set.

use gc_core::tooling::oracle::check_trace;
use gc_core::tooling::testing::{Profile, arb_trace};
use gc_core::{Collector, CollectorExt};
use gc_generational::{Generational, GenerationalConfig};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 1000 },
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generational_matches_the_oracle(
        trace in arb_trace(if cfg!(miri) { 50 } else { 1000 }, Profile::WithControls)
    ) {
        let heap = Generational::new_default().unwrap();
        if let Err(e) = check_trace(heap, &trace) {
            prop_assert!(false, "{e}\n{}", trace.to_text());
        }
    }

    /// CPython 3.14.1's tuple rule: tuples of untracked members are never
    /// tracked (a small threshold 0, so that collections run often).
    #[test]
    fn generational_untracking_new_tuples_matches_the_oracle(
        trace in arb_trace(if cfg!(miri) { 50 } else { 1000 }, Profile::WithControls)
    ) {
        let heap = Generational::with_config(GenerationalConfig {
            untrack_new_tuples: true,
            threshold0: 20,
            ..GenerationalConfig::default()
        })
        .unwrap();
        if let Err(e) = check_trace(heap, &trace) {
            prop_assert!(false, "{e}\n{}", trace.to_text());
        }
    }
}
