//! The gc-core conformance suite, with the default configuration
//! (PyPy's nursery size and thresholds). Marksweep finds dead objects only
//! by tracing: it runs the `no_counts` suite.

gc_core::conformance_suite!(gc_marksweep::IncMiniMark, no_counts);
