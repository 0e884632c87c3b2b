//! # gc-generational — reference counting plus CPython's generational cycle collector
//!
//! **Not implemented yet** (issue: "gc-generational: CPython's collector,
//! faithful event for event"). This crate deliberately exports no collector,
//! so nothing can mistake it for a working one.
