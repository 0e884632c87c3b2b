//! `gc-bench compare --workload NAME [--collector NAME] [--runtime NAME|PATH]
//! [--scale X] [--seed N] [--config KEY=VALUE]… [--keep DIR] [--format
//! table|json]`: one workload on our collector and on the runtime it models
//! (see [`bench_harness::compare`]). Exit 0 with the report; 2 with one
//! line on standard error for anything that stops it (an unknown workload
//! or scale, a runtime that is missing or fails).

use std::path::PathBuf;

use bench_harness::collectors::{CollectorName, parse_pair};
use bench_harness::compare::{self, Request};
use bench_harness::output::Out;
use bench_harness::workloads::{self, Workload};

/// Arguments of `compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workload (`gc-bench list` shows them).
    #[arg(long, value_name = "NAME", value_parser = workloads::find)]
    pub workload: &'static Workload,
    /// Our collector.
    #[arg(long, value_enum, default_value = "marksweep")]
    pub collector: CollectorName,
    /// The interpreter: a name on PATH or a path (default: pypy3 for
    /// marksweep, python3 for the others).
    #[arg(long, value_name = "NAME|PATH")]
    pub runtime: Option<String>,
    /// The size; default: the largest of 1, 1/2, 1/4, … whose trace has at
    /// most a million operations (Python runs them one by one).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub scale: Option<f64>,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A setting of our collector, KEY=VALUE (repeatable); the runtime gets
    /// the same where it has a counterpart (PYPY_GC_* for PyPy, thresholds
    /// for CPython).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub config: Vec<(String, String)>,
    /// Keep the trace, the program and both event streams in this folder.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Output: an aligned table, or one JSON object.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// One JSON object.
    Json,
}

/// Runs the subcommand; `Err` is a one-line message for exit status 2.
pub fn main(args: Args) -> Result<i32, String> {
    let comparison = compare::run(&Request {
        workload: args.workload,
        scale: args.scale,
        seed: args.seed,
        collector: args.collector,
        runtime: args.runtime,
        config: args.config,
        keep: args.keep,
    })?;
    let mut out = Out::stdout();
    match args.format {
        Format::Table => comparison.lines().iter().for_each(|l| out.line(l)),
        Format::Json => out.line(&comparison.json().to_string()),
    }
    out.flush();
    Ok(0)
}
