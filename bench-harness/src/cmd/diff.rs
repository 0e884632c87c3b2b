//! `gc-bench diff A B`: the ratio B/A of wall time, GC time and peak
//! footprint for every run both sets of results hold (`bench_harness::diff`).

use std::path::PathBuf;

use bench_harness::diff;
use bench_harness::output::Out;
use bench_harness::results;

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The baseline: a results.json, or a folder written by `run --out`.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The results to compare with it.
    #[arg(value_name = "B")]
    pub b: PathBuf,
}

/// Runs the subcommand.
pub fn main(args: Args) -> Result<i32, String> {
    let a = results::load(&args.a)?;
    let b = results::load(&args.b)?;
    let (rows, unmatched) = diff::compare(&a, &b);
    if rows.is_empty() {
        return Err(format!(
            "{} and {} have no successful run in common (same workload, collector, seed, scale)",
            args.a.display(),
            args.b.display()
        ));
    }
    let mut out = Out::stdout();
    diff::table(&rows).print(&mut out);
    out.line(&format!(
        "B/A: B = {}, A = {}; [low, high] = 95% bootstrap CI of the ratio of medians (10,000 resamples; none below 3 repetitions a side); * = significant (the CI excludes 1)",
        args.b.display(),
        args.a.display()
    ));
    for (name, r) in [("A", &a), ("B", &b)] {
        if let Some(m) = &r.machine {
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
