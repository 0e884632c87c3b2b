//! # gc-marksweep — PyPy's incminimark in Rust
//!
//! **Not implemented yet** (issue: "gc-marksweep: PyPy's incminimark, in
//! Rust"). This crate deliberately exports no collector, so nothing can
//! mistake it for a working one.
