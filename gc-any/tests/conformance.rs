//! The gc-core conformance suite through the run-time layer, on its
//! default strategy (generational), which runs every case.

gc_core::conformance_suite!(gc_any::AnyCollector);
