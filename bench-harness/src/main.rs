//! `gc-bench`: run workloads from the GC literature on every collector,
//! replay gctraces, and compare.

#![forbid(unsafe_code)]

mod cmd;

use std::process::ExitCode;

use gc_core::tooling::reserve::Reserve;

/// The system's allocator with memory put aside: a small allocation the
/// system refuses (a token, a message) is served from it instead of
/// aborting, and the commands stop at their next safe point
/// ([`Reserve::spent`]) with an out-of-memory error.
#[global_allocator]
static ALLOC: Reserve = Reserve::system();

use clap::{Parser, Subcommand};

/// The GC workbench's command line.
#[derive(Debug, Parser)]
#[command(name = "gc-bench", version, about = "Run GC workloads on every collector, replay gctraces, compare", long_about = None)]
struct Cli {
    /// More log output on standard error (-v debug, -vv trace); RUST_LOG
    /// overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the matrix workloads × collectors × seeds, verify every run, and
    /// print a table (default: every workload on every collector).
    Run(cmd::run::Args),
    /// Write a workload's operations out as a gctrace.
    Record(cmd::record::Args),
    /// Combine the results of shard runs (`run --shard K/N --out DIR`).
    Merge(cmd::merge::Args),
    /// Replay one gctrace on one collector (the spec's command line).
    Replay(cmd::replay::Args),
    /// One run of the matrix (used by `run`, which starts one process per
    /// run).
    #[command(hide = true)]
    Cell(cmd::run::CellArgs),
    /// List the workloads and the collectors.
    List,
    /// Write a trace as a program for another runtime (`--python`).
    Export(cmd::export::Args),
    /// The time–space trade-off: minimum heap by bisection, heap-factor
    /// and knob sweeps, Pareto frontier, lower-bound overhead.
    Sweep(cmd::sweep::Args),
    /// Compare two sets of results (`run --out` folders or results.json),
    /// or two sweeps (`sweep --out` folders or sweep.json): B/A of wall
    /// time, GC time and footprint, with 95% CIs.
    Diff(cmd::diff::Args),
    /// Run a workload on our collector and on the runtime it models
    /// (pypy3, python3) and show their collections side by side.
    Compare(cmd::compare::Args),
    /// A long run of churn on each collector (10^8 operations), its
    /// resident set sampled: cycle collectors must stay flat after warm-up.
    Soak(cmd::soak::Args),
}

fn init_logging(verbose: u8) {
    // A trace may end with objects in its registers: that is its final
    // state, not a leak, so the heaps' leak warnings are off.
    let default = match verbose {
        0 => "warn,gc_core::leaks=off",
        1 => "debug,gc_core::leaks=off",
        _ => "trace,gc_core::leaks=off",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Parses the command line; a usage error becomes one line on standard
/// error and exit status 2 (help and version print as usual).
fn parse_cli() -> Result<Cli, ExitCode> {
    use clap::error::ErrorKind;
    Cli::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            if let Err(err) = e.print()
                && err.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("cannot write to standard output: {err}");
                return ExitCode::from(2);
            }
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        }
        _ => {
            let line = gc_core::tooling::usage::one_line(&e.render().to_string());
            eprintln!("error: {line}");
            ExitCode::from(2)
        }
    })
}

fn main() -> ExitCode {
    if !ALLOC.fill() {
        // Without the reserve the next refusal would abort: stop first.
        eprintln!("gc-bench: out of memory: the system refused the 8 MiB put aside for errors");
        return ExitCode::from(2);
    }
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    init_logging(cli.verbose);
    cmd::VERBOSE.store(cli.verbose, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Run(args) => cmd::run::main(args),
        Command::Replay(args) => cmd::replay::main(args),
        Command::Record(args) => cmd::record::main(args),
        Command::Cell(args) => cmd::run::cell(args),
        Command::Merge(args) => cmd::merge::main(args),
        Command::List => cmd::list::main(),
        Command::Export(args) => cmd::export::main(args),
        Command::Compare(args) => cmd::compare::main(args),
        Command::Diff(args) => cmd::diff::main(args),
        Command::Sweep(args) => cmd::sweep::main(args),
        Command::Soak(args) => cmd::soak::main(args),
    };
    // A write to standard output that failed (other than to a closed
    // pipe) fails the command, whatever it printed.
    let result = result.and_then(|code| bench_harness::output::finish().map(|()| code));
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
