//! The gc-core conformance suite, with the default configuration (PyPy's
//! nursery size and thresholds).

gc_core::conformance_suite!(gc_marksweep::IncMiniMark);
