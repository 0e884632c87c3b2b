//! Random traces: after every operation the live set is exactly what the
//! oracle says a pure reference counter holds, and finalizer and callback
//! counts agree.

use gc_core::CollectorExt;
use gc_core::tooling::oracle::check_trace;
use gc_core::tooling::testing::{Profile, arb_trace};
use gc_refcount::RefCount;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 1000 },
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn refcount_matches_the_oracle_after_every_operation(
        trace in arb_trace(if cfg!(miri) { 50 } else { 1000 }, Profile::WithControls)
    ) {
        let heap = RefCount::new_default().unwrap();
        if let Err(e) = check_trace(heap, &trace) {
            prop_assert!(false, "{e}\n{}", trace.to_text());
        }
    }
}
