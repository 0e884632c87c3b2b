//! One module per `gc-bench` subcommand.

pub mod list;
pub mod merge;
pub mod record;
pub mod replay;
pub mod run;
