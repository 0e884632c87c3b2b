//! One module per `gc-bench` subcommand.

pub mod export;
pub mod list;
pub mod replay;
pub mod run;
