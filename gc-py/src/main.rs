//! `gc-py [--collector refcount|generational|marksweep] [--config KEY=VALUE]… FILE.py`

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use gc_py::CollectorName;

/// Runs a Python program (a subset of Python 3) with every object in one
/// of the workbench's collectors.
#[derive(Debug, Parser)]
#[command(name = "gc-py", version)]
struct Args {
    /// The collector: refcount, generational (CPython 3.11) or marksweep (PyPy).
    #[arg(long, default_value = "generational", value_parser = ["refcount", "generational", "marksweep"])]
    collector: String,
    /// A collector setting, KEY=VALUE (repeatable).
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// The program.
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let collector =
        CollectorName::from_name(&args.collector).unwrap_or(CollectorName::Generational);
    let mut pairs = Vec::new();
    for c in &args.config {
        match c.split_once('=') {
            Some((k, v)) if !k.is_empty() => pairs.push((k.to_owned(), v.to_owned())),
            _ => {
                eprintln!("gc-py: --config expects KEY=VALUE, got `{c}`");
                return ExitCode::from(2);
            }
        }
    }
    let display = args.file.display().to_string();
    let source = match std::fs::read_to_string(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gc-py: can't open file '{display}': {e}");
            return ExitCode::from(2);
        }
    };
    let status = gc_py::run(collector, &pairs, &display, &source);
    ExitCode::from(status as u8)
}
