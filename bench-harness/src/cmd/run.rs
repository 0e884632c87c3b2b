//! `gc-bench run`: every trace on every collector, one table.
//!
//! With no `--trace`, the scenario traces bundled from the repository's
//! `traces/` folder; with no `--collector`, every implemented collector,
//! the null baseline first. Exit status 1 if any `expect` failed, 2 if any
//! trace is malformed.

use std::path::PathBuf;

use gc_core::Collector;
use gc_core::replay::{Outcome, replay};
use gc_core::trace::Trace;

use crate::bundled;
use crate::collectors::{CollectorName, WithCollector, dispatch, parse_pair};
use crate::output::Out;
use crate::table::Table;

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A gctrace file to run (repeatable); default: the bundled traces.
    #[arg(long = "trace", value_name = "FILE")]
    pub traces: Vec<PathBuf>,
    /// A collector to run (repeatable); default: every implemented one.
    #[arg(long = "collector", value_enum)]
    pub collectors: Vec<CollectorName>,
    /// A collector setting, KEY=VALUE (repeatable; applies to the
    /// collectors that take it).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub config: Vec<(String, String)>,
}

struct RunTrace<'a>(&'a Trace);

impl WithCollector for RunTrace<'_> {
    type Output = Result<Outcome, String>;
    fn run<C: Collector>(self, config: C::Config) -> Self::Output {
        let c = C::with_config(config).map_err(|e| e.to_string())?;
        Ok(replay(self.0, c, |_| {}))
    }
}

/// Runs the subcommand.
pub fn main(args: Args) -> Result<i32, String> {
    let mut traces = Vec::new();
    if args.traces.is_empty() {
        for (name, text) in bundled::TRACES {
            let t = Trace::parse(text).map_err(|e| format!("{name}: {e}"))?;
            traces.push((name.to_string(), t));
        }
    } else {
        for path in &args.traces {
            let text = crate::cmd::replay::read_source(path)?;
            let t = Trace::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            traces.push((path.display().to_string(), t));
        }
    }
    let collectors: Vec<CollectorName> = if args.collectors.is_empty() {
        CollectorName::available().collect()
    } else {
        args.collectors.clone()
    };
    let mut table = Table::new(&[
        "trace",
        "collector",
        "result",
        "ops",
        "allocated",
        "freed",
        "live",
        "collections 0/1/2",
        "gc ms",
        "wall ms",
    ]);
    let mut status = 0;
    for (name, trace) in &traces {
        for &collector in &collectors {
            let outcome = dispatch(
                collector,
                &config_for(collector, &args.config),
                RunTrace(trace),
            )??;
            let result = match (&outcome.error, outcome.expect_failures) {
                (Some(e), _) => {
                    status = 2;
                    format!("error: {e}")
                }
                (None, 0) => "ok".to_owned(),
                (None, n) => {
                    status = status.max(1);
                    format!("{n} expect failed")
                }
            };
            let s = &outcome.summary;
            let c = &s.collections;
            table.row(vec![
                name.clone(),
                collector.as_str().into(),
                result,
                s.ops.to_string(),
                s.allocated.to_string(),
                s.freed.to_string(),
                s.live_objects.to_string(),
                format!("{}/{}/{}", c.g0, c.g1, c.g2),
                format!("{:.3}", s.gc_time_ns as f64 / 1e6),
                format!("{:.3}", s.wall_ns as f64 / 1e6),
            ]);
        }
    }
    let mut out = Out::stdout();
    table.print(&mut out);
    let missing: Vec<&str> = CollectorName::ALL
        .iter()
        .filter(|c| c.traits().is_none())
        .map(|c| c.as_str())
        .collect();
    if !missing.is_empty() && args.collectors.is_empty() {
        out.line(&format!("not implemented yet: {}", missing.join(", ")));
    }
    out.flush();
    Ok(status)
}

/// The settings that apply to `collector`: a key it does not take is left
/// out, so one `--config` list can serve a mixed run; a key no collector in
/// the run takes is still an error (checked by `main`'s caller through
/// `dispatch` of the collector that does take it).
fn config_for(collector: CollectorName, pairs: &[(String, String)]) -> Vec<(String, String)> {
    let keys = collector.traits().map(|(_, k)| k).unwrap_or(&[]);
    pairs
        .iter()
        .filter(|(k, _)| keys.iter().any(|(name, _)| name == k))
        .cloned()
        .collect()
}
