//! The gc-core conformance suite, with the default configuration
//! (CPython's thresholds). Generational counts references and collects
//! cycles, so it runs every case.

gc_core::conformance_suite!(gc_generational::Generational);
