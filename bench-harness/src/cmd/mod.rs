//! One module per `gc-bench` subcommand.

pub mod compare;
pub mod diff;
pub mod export;
pub mod list;
pub mod merge;
pub mod record;
pub mod replay;
pub mod run;
pub mod soak;
pub mod sweep;

/// `-v` count of this process, passed on to the processes `run` starts.
pub static VERBOSE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
