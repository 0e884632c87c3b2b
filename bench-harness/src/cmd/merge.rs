//! `gc-bench merge DIR… [--out DIR]`: combines the `results.json` of shard
//! runs (`run --shard K/N --out DIR`) into one set of results, prints the
//! table and, with `--out`, writes the JSON, CSV, figures and report.

use std::path::{Path, PathBuf};

use bench_harness::output::Out;
use bench_harness::report;
use bench_harness::results::{self, Results, Status};

/// Arguments of `merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folders written by `gc-bench run --out` (each holds results.json).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Write the combined results, figures and report here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

fn load(dir: &Path) -> Result<Results, String> {
    results::load(dir)
}

/// Combines result sets; refuses two that both hold the same run.
pub fn combine(parts: Vec<(String, Results)>) -> Result<Results, String> {
    let mut all: Option<Results> = None;
    let mut from: Vec<(usize, String, String)> = Vec::new();
    for (name, r) in parts {
        for run in &r.runs {
            let key = format!(
                "{}|{}|{}|{}",
                run.workload, run.collector, run.seed, run.scale
            );
            if let Some((_, k, other)) = from.iter().find(|(i, k, _)| *i == run.index || *k == key)
            {
                let _ = k;
                return Err(format!(
                    "run {} (#{}) is in both {other} and {name}",
                    run.id(),
                    run.index
                ));
            }
            from.push((run.index, key, name.clone()));
        }
        match &mut all {
            None => all = Some(r),
            Some(a) => {
                a.jobs = a.jobs.max(r.jobs);
                a.shards.extend(r.shards);
                if a.machine.is_none() {
                    a.machine = r.machine;
                }
                for s in r.settings {
                    if !a.settings.iter().any(|x| x.collector == s.collector) {
                        a.settings.push(s);
                    }
                }
                a.runs.extend(r.runs);
            }
        }
    }
    let mut all = all.ok_or("nothing to merge")?;
    all.runs.sort_by_key(|r| r.index);
    all.shards.sort();
    Ok(all)
}

/// Shards `K/N` missing from a set that holds some of N.
pub fn missing_shards(shards: &[String]) -> Vec<String> {
    let parsed: Vec<(usize, usize)> = shards
        .iter()
        .filter_map(|s| crate::cmd::run::parse_shard(s).ok())
        .collect();
    let Some(&(_, n)) = parsed.first() else {
        return Vec::new();
    };
    (1..=n)
        .filter(|k| !parsed.contains(&(*k, n)))
        .map(|k| format!("{k}/{n}"))
        .collect()
}

/// Runs the subcommand.
pub fn main(args: Args) -> Result<i32, String> {
    if let Some(dir) = &args.out {
        bench_harness::atomic::prepare_dir(dir)?;
    }
    let mut parts = Vec::new();
    for d in &args.dirs {
        parts.push((d.display().to_string(), load(d)?));
    }
    let merged = combine(parts)?;
    let mut out = Out::stdout();
    report::table(&merged.runs).print(&mut out);
    for n in report::notes(&merged) {
        out.line(&n);
    }
    let missing = missing_shards(&merged.shards);
    if !missing.is_empty() {
        out.line(&format!("note: shards missing: {}", missing.join(", ")));
    }
    out.flush();
    if let Some(dir) = &args.out {
        let command: Vec<String> = std::env::args().collect();
        report::write_outputs(dir, &merged, &command.join(" "))?;
        out.line(&format!(
            "wrote the merged results and report in {}",
            dir.display()
        ));
        out.flush();
    }
    let failed = merged.runs.iter().any(|r| r.status == Status::Failed);
    Ok(if failed { 1 } else { 0 })
}
