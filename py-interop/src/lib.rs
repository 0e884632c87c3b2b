//! The GC workbench beside real Python runtimes.
//!
//! - [`export`]: a gctrace as a self-contained Python 3 program that runs
//!   the trace's operations on real interpreter objects (CPython or PyPy)
//!   and prints the same JSONL events as `gc-bench replay --events jsonl`;
//!   written as it reads, so its memory does not grow with the trace.
//! - [`compare`]: a workload replayed on one of our collectors and run,
//!   exported, on the runtime that collector models (CPython for
//!   `generational`, PyPy for `marksweep`), with the same settings where
//!   the runtime has a counterpart; the two event streams added up side
//!   by side.
//!
//! `gc-bench export` and `gc-bench compare` (in `bench-harness`) are thin
//! command lines over these; the report's table and JSON are theirs.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compare;
pub mod export;
