//! `gc-py-bench [--repeat N] [--collector NAME]… [--runtime EXE]… FILE.py…`
//!
//! Runs Python programs on every collector through gc-py's evaluator and
//! reports each like a gc-bench workload (wall time, GC share, collections
//! by generation, longest pause, objects allocated, finalizers run), with
//! the same programs on the real interpreters (`python3.11`/`python3`,
//! `pypy3`) beside them. A benchmark to run by hand, never a timed test.
//!
//! Times are medians of `--repeat` runs (default 5), with the spread
//! (max − min) beside. gc-py's time is the program's own (from its first
//! statement to its last, in-process, output discarded); a real
//! interpreter's is its process's wall time minus the median wall time of
//! an empty program (`-c pass`), with its output discarded too.

#![forbid(unsafe_code)]

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use gc_py::{CollectorName, Output};

#[derive(Debug, Parser)]
#[command(name = "gc-py-bench", version)]
struct Args {
    /// Runs per cell (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Collectors to run on (default: all three).
    #[arg(long = "collector", value_parser = ["refcount", "generational", "marksweep"])]
    collectors: Vec<String>,
    /// Interpreters to compare with (default: python3.11 or python3, and pypy3, when installed).
    #[arg(long = "runtime")]
    runtimes: Vec<String>,
    /// A collector setting, KEY=VALUE (repeatable).
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// The programs.
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let spread = v[v.len() - 1] - v[0];
    (v[v.len() / 2], spread)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn runtime_available(exe: &str) -> Option<String> {
    let out = Command::new(exe).arg("--version").output().ok()?;
    let mut v = String::from_utf8_lossy(&out.stdout).into_owned();
    v.push_str(&String::from_utf8_lossy(&out.stderr));
    out.status.success().then(|| runtime_name(&v))
}

/// `Python 3.11.7`, or for PyPy (whose `--version` prints `Python 3.9.16
/// (…)` then `[PyPy 7.3.11 with GCC …]`) `PyPy 7.3.11 (Python 3.9.16)`.
fn runtime_name(version_output: &str) -> String {
    let first = version_output.lines().next().unwrap_or("").trim();
    let pypy = version_output
        .lines()
        .find_map(|l| l.trim().strip_prefix("[PyPy "))
        .and_then(|rest| rest.split_whitespace().next());
    match (pypy, first.split_whitespace().nth(1)) {
        (Some(pypy), Some(python)) => format!("PyPy {pypy} (Python {python})"),
        _ => first.to_owned(),
    }
}

fn time_process(exe: &str, args: &[&str], dir: &std::path::Path) -> Result<Duration, String> {
    let started = Instant::now();
    let status = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("{exe}: {e}"))?;
    let t = started.elapsed();
    if !status.success() {
        return Err(format!("{exe} {} exited with {status}", args.join(" ")));
    }
    Ok(t)
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let repeat = args.repeat.max(1);
    let collectors: Vec<CollectorName> = if args.collectors.is_empty() {
        CollectorName::ALL.to_vec()
    } else {
        args.collectors
            .iter()
            .filter_map(|c| CollectorName::from_name(c))
            .collect()
    };
    let mut pairs = Vec::new();
    for c in &args.config {
        match c.split_once('=') {
            Some((k, v)) if !k.is_empty() => pairs.push((k.to_owned(), v.to_owned())),
            _ => {
                eprintln!("gc-py-bench: --config expects KEY=VALUE, got `{c}`");
                return ExitCode::from(2);
            }
        }
    }
    let mut runtimes = Vec::new();
    let wanted: Vec<String> = if args.runtimes.is_empty() {
        let cpython = if runtime_available("python3.11").is_some() {
            "python3.11"
        } else {
            "python3"
        };
        vec![cpython.to_owned(), "pypy3".to_owned()]
    } else {
        args.runtimes.clone()
    };
    for exe in wanted {
        match runtime_available(&exe) {
            Some(v) => {
                let here = std::env::temp_dir();
                let mut startup = Vec::new();
                for _ in 0..repeat {
                    match time_process(&exe, &["-c", "pass"], &here) {
                        Ok(t) => startup.push(t),
                        Err(e) => eprintln!("gc-py-bench: {e}"),
                    }
                }
                if startup.is_empty() {
                    continue;
                }
                let (startup, _) = median(startup);
                runtimes.push((exe, v, startup));
            }
            None => eprintln!("gc-py-bench: {exe} is not installed: its column is left out"),
        }
    }
    let mut failed = false;
    println!(
        "| program | runtime | wall (median of {repeat}) | ± | GC time | collections g0/g1/g2 | longest pause | objects allocated | finalizers |"
    );
    println!("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
    for file in &args.files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string());
        let source = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("gc-py-bench: can't open file '{}': {e}", file.display());
                failed = true;
                continue;
            }
        };
        for &c in &collectors {
            let mut walls = Vec::new();
            let mut last = None;
            for _ in 0..repeat {
                let o = gc_py::run_with(c, &pairs, &name, &source, Output::Discard);
                if o.status != 0 {
                    eprintln!(
                        "gc-py-bench: {name} on {} exited with {}",
                        c.as_str(),
                        o.status
                    );
                    failed = true;
                    break;
                }
                walls.push(o.wall);
                last = Some(o);
            }
            let Some(o) = last else { continue };
            let (wall, spread) = median(walls);
            let s = o.stats;
            let gc = Duration::from_nanos(s.gc_time_ns);
            println!(
                "| {name} | gc-py {} | {} | {} | {} ({:.0} %) | {}/{}/{} | {} | {} | {} |",
                c.as_str(),
                ms(wall),
                ms(spread),
                ms(gc),
                100.0 * gc.as_secs_f64() / wall.as_secs_f64().max(1e-9),
                s.collections[0],
                s.collections[1],
                s.collections[2],
                ms(Duration::from_nanos(s.max_pause_ns)),
                s.allocated,
                s.finalized
            );
        }
        let dir = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        for (exe, version, startup) in &runtimes {
            let mut walls = Vec::new();
            for _ in 0..repeat {
                match time_process(exe, &[&name], dir) {
                    Ok(t) => walls.push(t.saturating_sub(*startup)),
                    Err(e) => {
                        eprintln!("gc-py-bench: {e}");
                        break;
                    }
                }
            }
            if walls.len() < repeat {
                continue;
            }
            let (wall, spread) = median(walls);
            println!(
                "| {name} | {version} | {} | {} | – | – | – | – | – |",
                ms(wall),
                ms(spread)
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
