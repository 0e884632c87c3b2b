//! The gc-core conformance suite. Pure reference counting has no cycle
//! collector: it runs the `leaks_cycles` suite, whose cycle cases assert
//! that cycles leak.

gc_core::conformance_suite!(gc_refcount::RefCount, leaks_cycles);
