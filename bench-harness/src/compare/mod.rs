//! `gc-bench compare`: one workload on one of our collectors and on the
//! real runtime it models, side by side.
//!
//! The workload's operations (exactly what `record` writes) are replayed on
//! our collector with the replay's event reporting, and exported with
//! `export --python` and run on the interpreter (PyPy for `marksweep`,
//! CPython for the others), which prints the same JSONL events. Both
//! streams are added up the same way ([`tally`]) and shown one row per kind
//! of collection, then the totals ([`report`]). Both sides run with the
//! same settings where the runtime has a counterpart ([`settings`]); where
//! it has none, or where the numbers cannot be read one to one, the report
//! says so in notes.
//!
//! The files (trace, program, both event streams) go to a temporary folder
//! that is removed at the end, or to `--keep DIR`, each written whole or
//! not at all.

pub mod report;
pub mod runtime;
pub mod settings;
pub mod tally;

use std::path::{Path, PathBuf};

use gc_core::Collector;
use gc_core::tooling::replay::replay;
use gc_core::tooling::trace::Trace;

use crate::atomic;
use crate::collectors::{CollectorName, WithCollector, dispatch};
use crate::export::{Options, python_program};
use crate::workloads::Workload;
use report::{Comparison, observations};
use runtime::Runtime;
use tally::Tally;

/// Without `--scale`, the largest of 1, ½, ¼, … whose trace has at most
/// this many operations: the exported program runs them one by one (about
/// two million a second on CPython 3.11) from a file of about 25 bytes per
/// operation.
pub const OPS_BUDGET: u64 = 1_000_000;

/// The smallest scale the default choice goes down to.
const MIN_DEFAULT_SCALE: f64 = 1.0 / 1024.0;

/// What to compare.
#[derive(Clone, Debug)]
pub struct Request {
    /// The workload.
    pub workload: &'static Workload,
    /// Its scale; `None` chooses one (see [`OPS_BUDGET`]).
    pub scale: Option<f64>,
    /// The seed.
    pub seed: u64,
    /// Our collector.
    pub collector: CollectorName,
    /// The runtime (a name on `PATH` or a path); `None` is
    /// [`default_runtime`].
    pub runtime: Option<String>,
    /// Our collector's settings, `KEY=VALUE`.
    pub config: Vec<(String, String)>,
    /// Keep the files in this folder.
    pub keep: Option<PathBuf>,
}

/// The runtime a collector models: `pypy3` for `marksweep`, `python3` for
/// the others.
pub fn default_runtime(collector: CollectorName) -> &'static str {
    match collector {
        CollectorName::Marksweep => "pypy3",
        _ => "python3",
    }
}

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

/// The trace text: the header `record` writes, then `prelude`, then the
/// operations.
fn trace_text(
    workload: &Workload,
    scale: f64,
    seed: u64,
    parameter: &str,
    prelude: &[String],
) -> String {
    let mut text = format!(
        "gctrace 1\n# gc-bench compare --workload {} --seed {seed} --scale {scale} ({parameter})\n# {}\n",
        workload.name, workload.summary
    );
    for line in prelude {
        text.push_str(line);
        text.push('\n');
    }
    workload.emit(scale, seed, &mut |op| {
        text.push_str(&op.to_string());
        text.push('\n');
    });
    text
}

/// Replays the trace on our collector: its JSONL events, added up.
struct ReplayOurs<'a> {
    trace: &'a Trace,
}

impl WithCollector for ReplayOurs<'_> {
    type Output = Result<(String, Tally), String>;

    fn run<C: Collector>(self, config: C::Config) -> Self::Output {
        let collector = C::with_config(config).map_err(|e| e.to_string())?;
        let mut jsonl = String::new();
        let mut tally = Tally::default();
        let mut bad = None;
        let outcome = replay(self.trace, collector, |record| {
            let line = record.to_json();
            if let Err(e) = tally.add_line(&line) {
                bad.get_or_insert(e);
            }
            jsonl.push_str(&line);
            jsonl.push('\n');
        });
        if let Some(error) = outcome.error {
            return Err(format!("our replay stopped: {error}"));
        }
        if let Some(e) = bad {
            return Err(format!("our events: {e}"));
        }
        Ok((jsonl, tally))
    }
}

/// The folder the files go to: `--keep DIR`, or a temporary one removed
/// when this is dropped.
#[derive(Debug)]
struct WorkDir {
    path: PathBuf,
    temporary: bool,
}

impl WorkDir {
    fn new(keep: Option<&Path>) -> Result<WorkDir, String> {
        if let Some(dir) = keep {
            atomic::prepare_dir(dir)?;
            return Ok(WorkDir {
                path: dir.to_path_buf(),
                temporary: false,
            });
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("gc-bench-compare-{}-{stamp}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(WorkDir {
            path,
            temporary: true,
        })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs the comparison.
pub fn run(req: &Request) -> Result<Comparison, String> {
    let w = req.workload;
    // Settings first: a bad key is an error before anything runs.
    struct Check;
    impl WithCollector for Check {
        type Output = ();
        fn run<C: Collector>(self, _config: C::Config) {}
    }
    dispatch(req.collector, &req.config, Check)?;
    let (scale, scale_chosen) = match req.scale {
        Some(s) => (s, false),
        None => (default_scale(w), true),
    };
    let parameter = w.check(scale)?;
    let runtime_name = req
        .runtime
        .clone()
        .unwrap_or_else(|| default_runtime(req.collector).to_owned());
    let rt = Runtime::find(&runtime_name)?;
    let settings = settings::for_pair(req.collector, &req.config, &rt.implementation, &rt.python)
        .map_err(|e| format!("collector `{}`: {e}", req.collector.name()))?;

    let text = trace_text(w, scale, req.seed, &parameter, &settings.prelude);
    let trace = Trace::parse(&text).map_err(|e| format!("the generated trace: {e}"))?;
    let (ours_jsonl, ours) = dispatch(req.collector, &req.config, ReplayOurs { trace: &trace })??;

    let dir = WorkDir::new(req.keep.as_deref())?;
    let trace_file = format!("{}.gctrace", w.name);
    let program_file = format!("{}.py", w.name);
    let program = python_program(
        &trace,
        &Options {
            source: trace_file.clone(),
            expect_as: None,
        },
    );
    drop(trace);
    atomic::write_all(
        &dir.path,
        &[
            (&trace_file, text.as_bytes()),
            (&program_file, program.as_bytes()),
        ],
    )?;
    drop(text);
    let kept_note = || {
        if dir.temporary {
            String::new()
        } else {
            format!(" (the trace and the program are in {})", dir.path.display())
        }
    };
    let theirs_jsonl = rt
        .run(&dir.path.join(&program_file), &settings.env)
        .map_err(|e| format!("{e}{}", kept_note()))?;
    let theirs = Tally::from_jsonl(&theirs_jsonl, &format!("{}'s events", rt.name))
        .map_err(|e| format!("{e}{}", kept_note()))?;
    if !dir.temporary {
        atomic::write_all(
            &dir.path,
            &[
                (
                    &format!("{}.{}.jsonl", w.name, req.collector.name()),
                    ours_jsonl.as_bytes(),
                ),
                (
                    &format!("{}.{}.jsonl", w.name, rt.implementation),
                    theirs_jsonl.as_bytes(),
                ),
            ],
        )?;
    }
    let mut notes = settings.notes.clone();
    notes.extend(observations(
        &ours,
        &theirs,
        settings.nursery,
        program.len(),
    ));
    Ok(Comparison {
        workload: w.name.to_owned(),
        parameter,
        scale,
        scale_chosen,
        seed: req.seed,
        collector: req.collector.name().to_owned(),
        runtime: rt,
        settings: settings.shown(),
        ours,
        theirs,
        notes,
        kept: (!dir.temporary).then(|| dir.path.display().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads;

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
    fn the_trace_is_what_record_writes_after_the_prelude() {
        let w = workloads::find("gc_collect").unwrap();
        let text = trace_text(w, 0.01, 1, "p", &["gc threshold 5 10 10".into()]);
        let t = Trace::parse(&text).unwrap();
        assert_eq!(t.lines[0].number, crate::exec::FIRST_LINE);
        assert_eq!(t.lines[0].op.to_string(), "gc threshold 5 10 10");
        assert_eq!(t.lines.len(), 1 + w.ops(0.01, 1).len());
    }
}
