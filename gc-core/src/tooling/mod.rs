//! What drives and checks the strategies, apart from the embedding API: the
//! gctrace format, the replay engine, the oracle, the conformance suite and
//! random traces. The workbench's harness and the strategies' tests use
//! these; an embedder needs none of them.
//!
//! - [`trace`]: the gctrace v1 format (parser with `line N:` errors, and
//!   the writer);
//! - [`line_error`]: the one error type of a trace line, parsed or run;
//! - [`mutator`]: the one place the trace semantics live (registers →
//!   handles);
//! - [`replay`]: runs a trace against any collector and produces the
//!   spec's JSONL events;
//! - [`oracle`]: a deliberately naive model heap that says what must be
//!   live;
//! - [`conformance`]: one behaviour suite, instantiated per strategy by
//!   [`conformance_suite!`](crate::conformance_suite);
//! - `testing` (feature `testing`): random valid traces for proptest;
//! - `embed_model` (feature `testing`): a model-based random test of the
//!   embedding API (scopes, locals, roots, weak roots, finalizers);
//! - [`layers`]: the import graph of a crate's files, for a test that
//!   keeps its modules free of import cycles;
//! - [`usage`]: a command-line usage error in one line, for the
//!   workspace's programs;
//! - [`reserve`]: a global allocator with memory put aside, so that a
//!   program the system refuses memory exits with an error, not an abort;
//! - [`threads`]: starting a thread the system may refuse, with an error,
//!   not an abort.

pub mod conformance;
#[cfg(feature = "testing")]
pub mod embed_model;
pub mod layers;
pub mod line_error;
pub mod mutator;
pub mod oracle;
pub mod replay;
pub mod reserve;
#[cfg(feature = "testing")]
pub mod testing;
pub mod threads;
pub mod trace;
pub mod usage;
