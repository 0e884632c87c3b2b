//! The GC workbench's harness, as a library: the workloads, the executor
//! that runs and verifies them on any collector, the metrics, and the
//! reports. The `gc-bench` program (`main.rs`) and the criterion benches
//! (`benches/`) are its two users. Python interop (export, compare) is
//! the `py-interop` crate.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod atomic;
pub mod bundled;
pub mod child;
pub mod collectors;
pub mod compare_report;
pub mod diff;
pub mod estimate;
pub mod exec;
pub mod lbo;
pub mod machine;
pub mod metrics;
pub mod model;
pub mod output;
pub mod plots;
pub mod python;
pub mod report;
pub mod results;
pub mod sink;
pub mod soak;
pub mod sweep;
pub mod table;
pub mod workloads;
