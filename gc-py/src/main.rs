//! `gc-py [--collector refcount|generational|marksweep] [--config KEY=VALUE]… FILE.py`

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use gc_core::tooling::reserve::Reserve;
use gc_py::CollectorName;

/// The system's allocator with memory put aside: a small allocation the
/// system refuses is served from it, and the program gets a `MemoryError`
/// at its next statement instead of the process aborting.
#[global_allocator]
static ALLOC: Reserve = Reserve::system();

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

/// Parses the command line; a usage error (an unknown flag, a bad
/// `--collector`, no file) is one line on standard error and exit status 2,
/// as every other error of `gc-py` is; help and version print as usual.
fn parse_args() -> Result<Args, ExitCode> {
    use clap::error::ErrorKind;
    Args::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        }
        _ => {
            let line = gc_core::tooling::usage::one_line(&e.render().to_string());
            eprintln!("gc-py: {line}");
            ExitCode::from(2)
        }
    })
}

fn main() -> ExitCode {
    // The evaluator's thread does all the work: one arena for it and main.
    gc_core::tooling::threads::share_main_arena();
    if !ALLOC.fill() {
        // Without the reserve the next refusal would abort: stop first.
        eprintln!("gc-py: out of memory: the system refused the 8 MiB put aside for errors");
        return ExitCode::from(1);
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(code) => return code,
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
    let display = script_path(&args.file).display().to_string();
    let bytes = match read_source(&args.file) {
        Ok(Some(b)) => b,
        Ok(None) => {
            // No room for the file's text: what CPython prints.
            eprintln!("MemoryError");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("gc-py: can't open file '{display}': {}", os_error(&e));
            return ExitCode::from(2);
        }
    };
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "{}",
                non_utf8_message(e.as_bytes(), e.utf8_error(), &display)
            );
            return ExitCode::from(1);
        }
    };
    let status = gc_py::run(collector, &pairs, &display, &source);
    ExitCode::from(status as u8)
}

/// The file's bytes, read into a buffer asked for fallibly (`None`: the
/// system refused it; `std::fs::read` would abort).
fn read_source(path: &std::path::Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut bytes = Vec::new();
    let room = usize::try_from(len)
        .ok()
        .and_then(|n| n.checked_add(1))
        .is_some_and(|n| bytes.try_reserve_exact(n).is_ok());
    if !room {
        return Ok(None);
    }
    // A file that grew since its length was read may still need more. A
    // directory opens, and fails here (EISDIR).
    match file.read_to_end(&mut bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::OutOfMemory => Ok(None),
        Err(e) => Err(e),
        Ok(_) => Ok(Some(bytes)),
    }
}

/// The script's path as CPython (since 3.9) and PyPy name it in
/// tracebacks and errors: a relative path joined to the current directory,
/// as written (`./a.py` run in `/tmp` is `/tmp/./a.py`: CPython's
/// `_Py_abspath` does not normalise it). Left as given if the current
/// directory cannot be read.
fn script_path(file: &std::path::Path) -> std::path::PathBuf {
    if file.is_absolute() {
        return file.to_owned();
    }
    std::env::current_dir().map_or_else(|_| file.to_owned(), |cwd| cwd.join(file))
}

/// An I/O error as CPython prints an `OSError`: `[Errno 2] No such file or
/// directory`.
fn os_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let msg = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text);
            format!("[Errno {code}] {msg}")
        }
        None => text,
    }
}

/// CPython's error for a source file that is not UTF-8 (and declares no
/// other encoding): a `SyntaxError` naming the first bad byte and its line.
fn non_utf8_message(bytes: &[u8], e: std::str::Utf8Error, file: &str) -> String {
    let at = e.valid_up_to();
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let byte = bytes.get(at).copied().unwrap_or(0);
    format!(
        "SyntaxError: Non-UTF-8 code starting with '\\x{byte:02x}' in file {file} on line {line}, but no encoding declared; see https://peps.python.org/pep-0263/ for details"
    )
}
