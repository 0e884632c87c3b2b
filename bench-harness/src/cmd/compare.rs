//! `gc-bench compare --workload NAME [--collector NAME] [--runtime NAME|PATH]
//! [--scale X] [--seed N] [--config KEY=VALUE]… [--keep DIR] [--timeout
//! SECONDS] [--format table|json]`: one workload on our collector and on
//! the runtime it models (see [`py_interop::compare`]). Exit 0 with the
//! report; 2 with one line on standard error for anything that stops it
//! (an unknown workload or scale, a runtime that is missing, fails or runs
//! past the timeout).

use std::path::PathBuf;
use std::time::Duration;

use bench_harness::collectors::{CollectorName, WithCollector, dispatch, parse_pair};
use bench_harness::compare_report;
use bench_harness::output::Out;
use bench_harness::workloads::{self, Workload};
use gc_core::Collector;
use py_interop::compare::{self, Request};

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
    /// Stop the runtime (and fail) when it runs longer than this, in
    /// seconds: to answer what it is, and to run the program.
    #[arg(long, value_name = "SECONDS", default_value_t = compare::DEFAULT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
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

/// Without `--scale`, the largest of 1, ½, ¼, … whose trace has at most
/// this many operations: the exported program runs them one by one (about
/// two million a second on CPython 3.11) from a file of about 25 bytes per
/// operation.
pub const OPS_BUDGET: u64 = 1_000_000;

/// The smallest scale the default choice goes down to.
const MIN_DEFAULT_SCALE: f64 = 1.0 / 1024.0;

/// Operations of `workload` at `scale` (generated and counted, not kept).
fn ops_at(workload: &Workload, scale: f64) -> u64 {
    let mut n = 0u64;
    workload.emit(scale, 1, &mut |_| n += 1);
    n
}

/// The scale used without `--scale`: the largest of 1, ½, ¼, … whose trace
/// has at most [`OPS_BUDGET`] operations (and no less than 1/1024).
pub fn default_scale(workload: &Workload) -> f64 {
    let mut scale = 1.0;
    while scale > MIN_DEFAULT_SCALE
        && workload.check(scale).is_ok()
        && ops_at(workload, scale) > OPS_BUDGET
    {
        scale /= 2.0;
    }
    scale
}

/// Runs the subcommand; `Err` is a one-line message for exit status 2.
pub fn main(args: Args) -> Result<i32, String> {
    // Settings first: a bad key is an error before anything runs.
    struct Check;
    impl WithCollector for Check {
        type Output = ();
        fn run<C: Collector>(self, _config: C::Config) {}
    }
    dispatch(args.collector, &args.config, Check)?;
    let w = args.workload;
    let (scale, scale_chosen) = match args.scale {
        Some(s) => (s, false),
        None => (default_scale(w), true),
    };
    let parameter = w.check(scale)?;
    let seed = args.seed;
    let comparison = compare::run(&Request {
        workload: compare::Workload {
            name: w.name,
            summary: w.summary,
            parameter,
            scale,
            scale_chosen,
            seed,
            emit: &|sink| w.emit(scale, seed, sink),
        },
        collector: args.collector,
        runtime: args.runtime,
        config: args.config,
        keep: args.keep,
        timeout: Duration::from_secs(args.timeout),
    })?;
    let mut out = Out::stdout();
    match args.format {
        Format::Table => compare_report::lines(&comparison)
            .iter()
            .for_each(|l| out.line(l)),
        Format::Json => out.line(&compare_report::json(&comparison).to_string()),
    }
    out.flush();
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bench_harness::exec::FIRST_LINE;

    #[test]
    fn the_default_scale_keeps_the_trace_within_the_budget() {
        for w in workloads::ALL {
            let s = default_scale(w);
            assert!(s <= 1.0 && w.check(s).is_ok(), "{}: {s}", w.name);
            assert!(
                ops_at(w, s) <= OPS_BUDGET || s <= MIN_DEFAULT_SCALE,
                "{}: {s}",
                w.name
            );
        }
        let small = workloads::find("gc_traversal").unwrap();
        assert_eq!(default_scale(small), 1.0, "a small workload runs whole");
    }

    #[test]
    fn compare_numbers_lines_as_record_does() {
        assert_eq!(compare::FIRST_LINE, FIRST_LINE);
    }
}
