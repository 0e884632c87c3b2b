//! `gc-bench export --python TRACE [--out FILE] [--expect-as NAME]…`: the
//! trace as a Python program (see [`py_interop::export`]). Exit 2 with one
//! line on standard error for a bad trace or an output that cannot be
//! written; with `--out` the file appears whole or not at all (temporary
//! file in the same directory, then a rename).

use std::io::Write;
use std::path::PathBuf;

use py_interop::export::{ExportError, Options, write_python_program};

use crate::cmd::replay::read_trace;
use bench_harness::atomic;

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write a Python 3 program (CPython or PyPy) that runs the trace on real
    /// interpreter objects and prints the replay's JSONL events.
    #[arg(long, required = true)]
    pub python: bool,
    /// The gctrace file; `-` reads standard input.
    pub file: PathBuf,
    /// Write the program to this file (atomically) instead of standard
    /// output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// An `expect@NAME` name that applies when the program runs (repeatable;
    /// replaces the default: `cpython` and `generational` on CPython, `pypy`
    /// on PyPy).
    #[arg(long = "expect-as", value_name = "NAME")]
    pub expect_as: Vec<String>,
}

/// Runs the subcommand; `Err` is a one-line message for exit status 2.
pub fn main(args: Args) -> Result<i32, String> {
    if let Some(out) = &args.out
        && args.file.as_os_str() != "-"
        && atomic::same_file(&args.file, out)
    {
        return Err(format!(
            "--out {} is the trace {} itself: it would be overwritten",
            out.display(),
            args.file.display()
        ));
    }
    let trace = read_trace(&args.file, None)?.map_err(|e| e.to_string())?;
    let options = Options {
        source: if args.file.as_os_str() == "-" {
            "standard input".to_owned()
        } else {
            args.file.display().to_string()
        },
        expect_as: (!args.expect_as.is_empty()).then_some(args.expect_as),
    };
    // A trace error met while writing is the trace's, not the output's.
    let mut trace_error = None;
    let export = |out: &mut dyn Write| match write_python_program(&trace, &options, out) {
        Ok(()) => Ok(()),
        Err(ExportError::Write(e)) => Err(e),
        Err(ExportError::Trace(e)) => {
            let io = std::io::Error::other(e.clone());
            trace_error = Some(e);
            Err(io)
        }
    };
    let written = match &args.out {
        Some(path) => atomic::write_with(path, export),
        None => {
            // A closed pipe (`| head`) ends the output quietly; any other
            // failed write is an error.
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut export = export;
            match export(&mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write the program: {e}"))
                }
                _ => Ok(()),
            }
        }
    };
    if let Some(e) = trace_error {
        return Err(e);
    }
    written?;
    Ok(0)
}
