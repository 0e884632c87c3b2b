//! `gc-bench compare`: one workload on one of our collectors and on the
//! real runtime it models, side by side.
//!
//! The workload's operations (exactly what `record` writes) are replayed on
//! our collector with the replay's event reporting, and exported with
//! `export --python` and run on the interpreter (PyPy for `marksweep`,
//! CPython for the others), which prints the same JSONL events. Both
//! streams are added up the same way ([`tally`]) and shown one row per kind
//! of collection, then the totals ([`Comparison`]). Both sides run with the
//! same settings where the runtime has a counterpart ([`settings`]); where
//! it has none, or where the numbers cannot be read one to one, the report
//! says so in notes.
//!
//! The files (trace, program, both event streams) go to a temporary folder
//! that is removed at the end (and on SIGINT, SIGTERM or SIGHUP, through
//! `interrupt_cleanup`, which also kills the runtime then), or to `--keep
//! DIR`, each written whole or not at all. Nothing is kept in memory that grows with the trace: the
//! operations are generated again for each use, and the event streams are
//! added up (and written to `--keep`) line by line. The runtime is given
//! [`Request::timeout`] to answer and to run the program.

pub mod comparison;
pub mod runtime;
pub mod settings;
pub mod tally;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use gc_any::{Strategy, WithCollector};
use gc_core::Inspect;
use gc_core::tooling::replay::{Record, Replayer};
use gc_core::tooling::trace::{Line, Op};
use interrupt_cleanup::{TempDir, TempFile};

use crate::export::{ExportError, Lines, Options, write_python_program};
pub use comparison::{Comparison, observations};
use runtime::Runtime;
use tally::Tally;

/// The line number of a workload's first operation in the trace (after
/// the header and two comment lines), as `gc-bench record` writes it.
pub const FIRST_LINE: u32 = 4;

/// How long the runtime may take, by default (each of: answering what it
/// is, running the program).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The operations to compare: a workload at a scale, which emits the same
/// operations each time it is asked (the comparison reads them more than
/// once instead of keeping them).
pub struct Workload<'a> {
    /// Its name.
    pub name: &'a str,
    /// One line on what it does.
    pub summary: &'a str,
    /// What the scale made of it (`depth=10`).
    pub parameter: String,
    /// The scale.
    pub scale: f64,
    /// Whether the scale was chosen by the command (no `--scale`).
    pub scale_chosen: bool,
    /// The seed.
    pub seed: u64,
    /// Emits the operations, in order, the same at every call.
    pub emit: &'a EmitOps<'a>,
}

impl std::fmt::Debug for Workload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("name", &self.name)
            .field("parameter", &self.parameter)
            .field("scale", &self.scale)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// A generator of operations: calls its argument on each, in order.
pub type EmitOps<'a> = dyn Fn(&mut dyn FnMut(Op)) + 'a;

/// What to compare.
#[derive(Debug)]
pub struct Request<'a> {
    /// The workload.
    pub workload: Workload<'a>,
    /// Our collector.
    pub collector: Strategy,
    /// The runtime (a name on `PATH` or a path); `None` is
    /// [`default_runtime`].
    pub runtime: Option<String>,
    /// Our collector's settings, `KEY=VALUE`.
    pub config: Vec<(String, String)>,
    /// Keep the files in this folder.
    pub keep: Option<PathBuf>,
    /// How long the runtime may take ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
}

/// The runtime a collector models: `pypy3` for `marksweep`, `python3` for
/// the others.
pub fn default_runtime(collector: Strategy) -> &'static str {
    match collector {
        Strategy::Marksweep => "pypy3",
        _ => "python3",
    }
}

/// The trace of a comparison: the header `record` writes, the settings'
/// prelude, then the workload's operations, numbered as in the file.
struct TraceLines<'a> {
    workload: &'a Workload<'a>,
    prelude: &'a [Op],
}

impl TraceLines<'_> {
    /// The header and comment lines, before [`FIRST_LINE`].
    fn head(&self) -> String {
        let w = self.workload;
        format!(
            "gctrace 1\n# gc-bench compare --workload {} --seed {} --scale {} ({})\n# {}\n",
            w.name, w.seed, w.scale, w.parameter, w.summary
        )
    }

    /// Writes the trace as gctrace text.
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(self.head().as_bytes())?;
        let mut result = Ok(());
        let _ = self.for_each_line(&mut |line| {
            writeln!(out, "{}", line.op).map_err(|e| {
                let message = e.to_string();
                result = Err(e);
                message
            })
        });
        result
    }
}

impl Lines for TraceLines<'_> {
    fn for_each_line(&self, f: &mut dyn FnMut(&Line) -> Result<(), String>) -> Result<(), String> {
        debug_assert_eq!(self.head().lines().count() as u32 + 1, FIRST_LINE);
        let mut number = FIRST_LINE;
        let mut error = None;
        let mut each = |op: Op| {
            if error.is_none() {
                let line = Line { number, op };
                number = number.wrapping_add(1);
                if let Err(e) = f(&line) {
                    error = Some(e);
                }
            }
        };
        self.prelude.iter().cloned().for_each(&mut each);
        (self.workload.emit)(&mut each);
        error.map_or(Ok(()), Err)
    }
}

/// Replays the trace on our collector: its JSONL events, added up, and
/// written to `jsonl` when given.
struct ReplayOurs<'a> {
    trace: &'a TraceLines<'a>,
    jsonl: Option<&'a mut dyn Write>,
}

impl WithCollector for ReplayOurs<'_> {
    type Output = Result<Tally, String>;

    fn run<C: Inspect>(mut self, config: C::Config) -> Self::Output {
        let collector = C::with_config(config).map_err(|e| e.to_string())?;
        let mut replayer = Replayer::new(collector);
        let mut tally = Tally::default();
        let mut bad = None;
        let mut write_error = None;
        let mut take = |record: &Record, jsonl: &mut Option<&mut dyn Write>| {
            let line = record.to_json();
            if let Err(e) = tally.add_line(&line) {
                bad.get_or_insert(e);
            }
            if let Some(out) = jsonl
                && let Err(e) = writeln!(out, "{line}")
            {
                write_error.get_or_insert(e);
            }
        };
        let mut replay_error = None;
        let _ = self.trace.for_each_line(&mut |line| {
            let result = replayer.step(line);
            for record in replayer.records.drain(..) {
                take(&record, &mut self.jsonl);
            }
            result.map_err(|e| {
                let message = e.to_string();
                replay_error = Some(message.clone());
                message
            })
        });
        if let Some(error) = replay_error {
            return Err(format!("our replay stopped: {error}"));
        }
        take(&Record::Summary(replayer.summary()), &mut self.jsonl);
        if let Some(e) = bad {
            return Err(format!("our events: {e}"));
        }
        if let Some(e) = write_error {
            return Err(format!("cannot write our events: {e}"));
        }
        Ok(tally)
    }
}

/// The folder the files go to: `--keep DIR`, or a temporary one removed
/// when this is dropped.
#[derive(Debug)]
enum WorkDir {
    Kept(PathBuf),
    Temporary(TempDir),
}

impl WorkDir {
    fn new(keep: Option<&Path>) -> Result<WorkDir, String> {
        match keep {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create output folder {}: {e}", dir.display()))?;
                Ok(WorkDir::Kept(dir.to_path_buf()))
            }
            None => interrupt_cleanup::dir_in(
                tempfile::Builder::new().prefix("gc-bench-compare-"),
                &std::env::temp_dir(),
            )
            .map(WorkDir::Temporary)
            .map_err(|e| format!("cannot create a temporary folder: {e}")),
        }
    }

    fn path(&self) -> &Path {
        match self {
            WorkDir::Kept(p) => p,
            WorkDir::Temporary(t) => t.path(),
        }
    }

    fn kept(&self) -> Option<&Path> {
        match self {
            WorkDir::Kept(p) => Some(p),
            WorkDir::Temporary(_) => None,
        }
    }
}

/// A file written whole or not at all: a temporary file in the same
/// folder, renamed into place by [`Whole::persist`] (dropped before, it
/// is removed).
struct Whole {
    file: BufWriter<TempFile>,
    path: PathBuf,
}

impl Whole {
    fn create(dir: &Path, name: &str) -> Result<Whole, String> {
        let path = dir.join(name);
        let file = interrupt_cleanup::file_in(&tempfile::Builder::new(), dir)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Whole {
            file: BufWriter::new(file),
            path,
        })
    }

    fn error(&self, e: impl std::fmt::Display) -> String {
        format!("cannot write {}: {e}", self.path.display())
    }

    fn persist(self) -> Result<(), String> {
        let path = self.path;
        let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
        let file = self.file.into_inner().map_err(|e| fail(&e.into_error()))?;
        file.as_file().sync_all().map_err(|e| fail(&e))?;
        file.persist(&path).map_err(|e| fail(&e))?;
        Ok(())
    }
}

/// Runs the comparison. The operations are generated three times (for the
/// trace file, for our replay, for the program's two passes) rather than
/// kept: memory does not grow with the trace's length.
pub fn run(req: &Request<'_>) -> Result<Comparison, String> {
    let w = &req.workload;
    let runtime_name = req
        .runtime
        .clone()
        .unwrap_or_else(|| default_runtime(req.collector).to_owned());
    let rt = Runtime::find(&runtime_name, req.timeout)?;
    let settings = settings::for_pair(req.collector, &req.config, &rt.implementation, &rt.python)
        .map_err(|e| format!("collector `{}`: {e}", req.collector.name()))?;
    let trace = TraceLines {
        workload: w,
        prelude: &settings.prelude,
    };
    let dir = WorkDir::new(req.keep.as_deref())?;
    let ours_file = format!("{}.{}.jsonl", w.name, req.collector.name());
    let mut ours_jsonl = dir
        .kept()
        .map(|d| Whole::create(d, &ours_file))
        .transpose()?;
    let ours = gc_any::dispatch(
        req.collector,
        &req.config,
        ReplayOurs {
            trace: &trace,
            jsonl: ours_jsonl.as_mut().map(|f| &mut f.file as &mut dyn Write),
        },
    )
    .map_err(|e| match e {
        gc_core::GcError::Config(message) => message,
        other => other.to_string(),
    })??;

    let (program_file, program_bytes) = write_trace_and_program(&trace, &dir, w.name)?;
    let theirs = run_theirs(
        &rt,
        &dir,
        &dir.path().join(&program_file),
        &settings.env,
        req,
    )?;
    if let Some(o) = ours_jsonl {
        o.persist()?;
    }
    let mut notes = settings.notes.clone();
    notes.extend(observations(
        &ours,
        &theirs,
        settings.nursery,
        program_bytes as usize,
    ));
    Ok(Comparison {
        workload: w.name.to_owned(),
        parameter: w.parameter.clone(),
        scale: w.scale,
        scale_chosen: w.scale_chosen,
        seed: w.seed,
        collector: req.collector.name().to_owned(),
        runtime: rt,
        settings: settings.shown(),
        ours,
        theirs,
        notes,
        kept: dir.kept().map(|d| d.display().to_string()),
    })
}

/// Writes `NAME.gctrace` and the Python program that replays it into the
/// work folder; returns the program's file name and size.
fn write_trace_and_program(
    trace: &TraceLines<'_>,
    dir: &WorkDir,
    name: &str,
) -> Result<(String, u64), String> {
    let trace_file = format!("{name}.gctrace");
    let program_file = format!("{name}.py");
    let mut out = Whole::create(dir.path(), &trace_file)?;
    trace.write_text(&mut out.file).map_err(|e| out.error(e))?;
    out.persist()?;
    let mut out = Whole::create(dir.path(), &program_file)?;
    let options = Options {
        source: trace_file.clone(),
        expect_as: None,
    };
    write_python_program(trace, &options, &mut out.file).map_err(|e| match e {
        ExportError::Trace(e) => format!("the generated trace: {e}"),
        ExportError::Write(e) => out.error(e),
    })?;
    let program_bytes = out
        .file
        .get_ref()
        .as_file()
        .metadata()
        .map_or(0, |m| m.len());
    out.persist()?;
    Ok((program_file, program_bytes))
}

/// Runs the program on the runtime and tallies its events (kept as
/// `NAME.IMPLEMENTATION.jsonl` with `--keep`); an error when it ends
/// without its summary event.
fn run_theirs(
    rt: &Runtime,
    dir: &WorkDir,
    program: &Path,
    env: &[(String, Option<String>)],
    req: &Request<'_>,
) -> Result<Tally, String> {
    let kept_note = || match dir.kept() {
        None => String::new(),
        Some(d) => format!(" (the trace and the program are in {})", d.display()),
    };
    let theirs_file = format!("{}.{}.jsonl", req.workload.name, rt.implementation);
    let mut theirs_jsonl = dir
        .kept()
        .map(|d| Whole::create(d, &theirs_file))
        .transpose()?;
    let mut theirs = Tally::default();
    let mut summary = false;
    let mut n = 0;
    let source = format!("{}'s events", rt.name);
    rt.run(program, env, req.timeout, &mut |line| {
        n += 1;
        if let Some(f) = theirs_jsonl.as_mut() {
            writeln!(f.file, "{line}").map_err(|e| f.error(e))?;
        }
        if !line.trim().is_empty() {
            summary = theirs
                .add_line(line)
                .map_err(|e| format!("{source}, line {n}: {e}"))?;
        }
        Ok(())
    })
    .map_err(|e| format!("{e}{}", kept_note()))?;
    if !summary {
        return Err(format!(
            "{source}: no summary event at the end{}",
            kept_note()
        ));
    }
    if let Some(t) = theirs_jsonl {
        t.persist()?;
    }
    Ok(theirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gc_core::tooling::trace::{Reg, Trace};

    fn emit_three(sink: &mut dyn FnMut(Op)) {
        for r in 0..3 {
            sink(Op::NewNode {
                dst: Reg(r),
                slots: 1,
                payload: 0,
            });
        }
    }

    #[test]
    fn the_trace_is_what_record_writes_after_the_prelude() {
        let w = Workload {
            name: "three",
            summary: "three nodes",
            parameter: "n=3".into(),
            scale: 1.0,
            scale_chosen: false,
            seed: 1,
            emit: &emit_three,
        };
        let prelude = [Op::Gc(gc_core::Control::Threshold(5, Some(10), Some(10)))];
        let lines = TraceLines {
            workload: &w,
            prelude: &prelude,
        };
        let mut text = Vec::new();
        lines.write_text(&mut text).unwrap();
        let t = Trace::parse(std::str::from_utf8(&text).unwrap()).unwrap();
        assert_eq!(t.lines[0].number, FIRST_LINE);
        assert_eq!(t.lines[0].op.to_string(), "gc threshold 5 10 10");
        assert_eq!(t.lines.len(), 4);
        let mut streamed = Vec::new();
        lines
            .for_each_line(&mut |l| {
                streamed.push(l.clone());
                Ok(())
            })
            .unwrap();
        assert_eq!(streamed, t.lines, "the lines replayed are the file's");
    }
}
