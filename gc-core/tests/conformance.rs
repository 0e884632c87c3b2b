//! The conformance suite on the null collector, which never frees: it runs
//! the `never_frees` suite, whose cases assert that nothing dies.

gc_core::conformance_suite!(gc_core::NullCollector, never_frees);
