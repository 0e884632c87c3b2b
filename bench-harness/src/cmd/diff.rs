//! `gc-bench diff A B`: the ratio B/A of wall time, GC time and peak
//! footprint for every run both sets of results hold, or for every point
//! two sweeps hold (`bench_harness::diff`).

use std::path::PathBuf;

use bench_harness::diff::{self, Input};
use bench_harness::output::Out;

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The baseline: a results.json or a folder written by `run --out`,
    /// or a sweep.json or a folder written by `sweep --out`.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The results to compare with it (of the same kind).
    #[arg(value_name = "B")]
    pub b: PathBuf,
}

/// Runs the subcommand.
pub fn main(args: Args) -> Result<i32, String> {
    let a = Input::load(&args.a)?;
    let b = Input::load(&args.b)?;
    let ((rows, unmatched), min_heaps, what) = match (&a, &b) {
        (Input::Runs(a), Input::Runs(b)) => (diff::compare(a, b), Vec::new(), "successful run"),
        (Input::Sweep(a), Input::Sweep(b)) => {
            (diff::compare_sweeps(a, b), diff::min_heaps(a, b), "point")
        }
        _ => {
            let kind = |i: &Input| match i {
                Input::Runs(_) => "a run's results",
                Input::Sweep(_) => "a sweep",
            };
            return Err(format!(
                "{} is {} and {} is {}: diff compares two of a kind",
                args.a.display(),
                kind(&a),
                args.b.display(),
                kind(&b)
            ));
        }
    };
    if rows.is_empty() {
        return Err(format!(
            "{} and {} have no {what} in common (same workload, collector, seed, scale{})",
            args.a.display(),
            args.b.display(),
            if what == "point" { ", setting" } else { "" }
        ));
    }
    let mut out = Out::stdout();
    diff::table(if what == "point" { "point" } else { "run" }, &rows).print(&mut out);
    out.line(&format!(
        "B/A: B = {}, A = {}; [low, high] = 95% bootstrap CI of the ratio of medians (10,000 resamples; none below 3 repetitions a side); * = significant (the CI excludes 1)",
        args.b.display(),
        args.a.display()
    ));
    let fewest = [&a, &b]
        .iter()
        .map(|i| match i {
            Input::Runs(r) => r.repeat,
            Input::Sweep(s) => s.repeat,
        })
        .min()
        .unwrap_or(0);
    if (3..5).contains(&fewest) {
        out.line(&format!(
            "caution: {fewest} repetitions a side: a median's 95% interval is then close to the range of the repetitions, and over many rows some are marked * by chance; repeat 10 times or more before reading a mark as a difference"
        ));
    }
    if !min_heaps.is_empty() {
        out.line("minimum heap, A → B:");
        for line in &min_heaps {
            out.line(&format!("  {line}"));
        }
    }
    for (name, input) in [("A", &a), ("B", &b)] {
        if let Some(m) = input.machine() {
            out.line(&format!(
                "{name}: {} on {}, commit {}",
                m.command, m.cpu_model, m.git_commit
            ));
        }
    }
    if !unmatched.is_empty() {
        out.line(&format!("not compared: {}", unmatched.join(", ")));
    }
    out.flush();
    Ok(0)
}
