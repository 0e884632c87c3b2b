//! The gc-core conformance suite, with the default configuration
//! (PyPy's nursery size and thresholds), and again with two marking
//! threads on every marking step whose budget covers the old generation
//! (`parallel_mark=2`, `parallel_mark_min=0`). Marksweep finds dead
//! objects only by tracing: it runs the `no_counts` suite.

gc_core::conformance_suite!(gc_marksweep::IncMiniMark, no_counts);
gc_core::conformance_suite!(gc_marksweep::IncMiniMark, no_counts,
    mod parallel_marking, config ["parallel_mark" = "2", "parallel_mark_min" = "0"]);
