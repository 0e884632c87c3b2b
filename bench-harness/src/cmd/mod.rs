//! One module per `gc-bench` subcommand.

pub mod list;
pub mod replay;
pub mod run;
