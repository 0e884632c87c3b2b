//! `gc-bench export --python TRACE [--out FILE] [--expect-as NAME]…`: the
//! trace as a Python program (see [`bench_harness::export`]). Exit 2 with one line
//! on standard error for a bad trace or an output that cannot be written;
//! with `--out` the file appears whole or not at all (temporary file in the
//! same directory, then a rename).

use std::io::Write;
use std::path::{Path, PathBuf};

use gc_core::tooling::trace::Trace;

use crate::cmd::replay::read_source;
use bench_harness::export::{Options, python_program};
use bench_harness::output::Out;

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

/// Writes `text` to `path` through a temporary file in the same directory
/// and a rename, so `path` is never seen half-written.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("cannot write {}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Runs the subcommand; `Err` is a one-line message for exit status 2.
pub fn main(args: Args) -> Result<i32, String> {
    let text = read_source(&args.file)?;
    let trace = Trace::parse(&text).map_err(|e| e.to_string())?;
    let options = Options {
        source: if args.file.as_os_str() == "-" {
            "standard input".to_owned()
        } else {
            args.file.display().to_string()
        },
        expect_as: (!args.expect_as.is_empty()).then_some(args.expect_as),
    };
    let program = python_program(&trace, &options);
    match &args.out {
        Some(path) => write_atomically(path, &program)?,
        None => {
            let mut out = Out::stdout();
            out.line(program.trim_end_matches('\n'));
            out.flush();
        }
    }
    Ok(0)
}
