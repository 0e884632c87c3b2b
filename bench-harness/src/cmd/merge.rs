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

/// Checks that each set of results is whole (an `ok` run has its metrics)
/// and that, when there are several, they are shards of one matrix: each
/// `--shard K/N` with the same N and no K twice, the same `--repeat`,
/// `--warmup`, `--suite` and gc-bench version, the same collectors with the
/// same effective settings, the same list of cells (`matrix`, written by
/// `run --shard`), each run the cell its index names; and in files without
/// that list, each workload at one scale.
pub fn check_parts(parts: &[(String, Results)]) -> Result<(), String> {
    for (name, r) in parts {
        check_whole(name, r)?;
    }
    if parts.len() < 2 {
        return Ok(());
    }
    check_shard_numbers(parts)?;
    let (first_name, first) = &parts[0];
    for (name, r) in &parts[1..] {
        check_same_matrix(first_name, first, name, r)?;
    }
    check_scales(parts)
}

/// Each run is the cell its index names (`results::load` checked that
/// an `ok` run has its metrics).
fn check_whole(name: &str, r: &Results) -> Result<(), String> {
    if let Some(run) = r
        .runs
        .iter()
        .find(|run| !r.matrix.is_empty() && r.matrix.get(run.index) != Some(&run.cell_key()))
    {
        return Err(format!(
            "{name}: run {} (#{}) is not cell #{} of its matrix",
            run.id(),
            run.index,
            run.index
        ));
    }
    Ok(())
}

/// Every part is a set of shards `K/N` with one N and no K twice.
fn check_shard_numbers(parts: &[(String, Results)]) -> Result<(), String> {
    let mut shards: Vec<(usize, usize, &str)> = Vec::new();
    for (name, r) in parts {
        if r.shards.is_empty() {
            return Err(format!(
                "{name} holds a whole run, not shards (`run --shard K/N --out DIR` writes shards)"
            ));
        }
        for s in &r.shards {
            let (k, n) = crate::cmd::run::parse_shard(s).map_err(|e| format!("{name}: {e}"))?;
            if let Some((_, n2, other)) = shards.iter().find(|(_, n2, _)| *n2 != n) {
                return Err(format!(
                    "{other} and {name} are shards of different matrices: slices of {n2} and of {n}"
                ));
            }
            if let Some((_, _, other)) = shards.iter().find(|(k2, ..)| *k2 == k) {
                return Err(format!("shard {k}/{n} is in both {other} and {name}"));
            }
            shards.push((k, n, name.as_str()));
        }
    }
    Ok(())
}

/// `r` was run with `first`'s repeat, warmup, suite, version, collector
/// settings and list of cells.
fn check_same_matrix(
    first_name: &str,
    first: &Results,
    name: &str,
    r: &Results,
) -> Result<(), String> {
    let differ = |what: &str, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display| {
        Err(format!(
            "{first_name} and {name} are shards of different matrices: {what} {a} and {b}"
        ))
    };
    if first.repeat != r.repeat {
        return differ("--repeat", &first.repeat, &r.repeat);
    }
    if first.warmup != r.warmup {
        return differ("--warmup", &first.warmup, &r.warmup);
    }
    if first.suite != r.suite {
        let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
        return differ("--suite", &show(&first.suite), &show(&r.suite));
    }
    if first.version != r.version {
        return differ("gc-bench", &first.version, &r.version);
    }
    if !first.settings.is_empty() && !r.settings.is_empty() {
        let names = |r: &Results| {
            r.settings
                .iter()
                .map(|s| s.collector.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        if names(first) != names(r) {
            return differ("collectors", &names(first), &names(r));
        }
        for (a, b) in first.settings.iter().zip(&r.settings) {
            let show = |s: Option<&(String, String)>| {
                s.map_or_else(|| "(none)".to_owned(), |(k, v)| format!("{k}={v}"))
            };
            if let Some(i) = (0..a.settings.len().max(b.settings.len()))
                .find(|&i| a.settings.get(i) != b.settings.get(i))
            {
                return differ(
                    &format!("{} settings", a.collector),
                    &show(a.settings.get(i)),
                    &show(b.settings.get(i)),
                );
            }
        }
    }
    if !first.matrix.is_empty() && !r.matrix.is_empty() && first.matrix != r.matrix {
        let cells = |r: &Results| format!("({} cells)", r.matrix.len());
        return match first.matrix.iter().zip(&r.matrix).position(|(a, b)| a != b) {
            Some(i) => differ(&format!("cell #{i}"), &first.matrix[i], &r.matrix[i]),
            None => differ("matrices", &cells(first), &cells(r)),
        };
    }
    Ok(())
}

/// Each workload was run at one scale (and parameter) in every part.
fn check_scales(parts: &[(String, Results)]) -> Result<(), String> {
    let mut scales: Vec<(&str, f64, &str, &str)> = Vec::new();
    for (name, r) in parts {
        for run in &r.runs {
            match scales.iter().find(|(w, ..)| *w == run.workload) {
                Some((_, scale, parameter, other))
                    if *scale != run.scale || *parameter != run.parameter =>
                {
                    return Err(format!(
                        "{other} and {name} are shards of different matrices: {} at scale {scale} ({parameter}) and {} ({})",
                        run.workload, run.scale, run.parameter
                    ));
                }
                Some(_) => {}
                None => scales.push((&run.workload, run.scale, &run.parameter, name.as_str())),
            }
        }
    }
    Ok(())
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

/// An `--out` folder whose writing would overwrite an input (a shard's
/// folder, or a results file given that is `--out`'s results.json):
/// refused.
fn refuse_an_input_as_out(inputs: &[PathBuf], out: &Path) -> Result<(), String> {
    for input in inputs {
        // A folder's results.json, or a results file that is the one
        // `--out` gets (any other file there is left alone: `merge
        // a.json b.json --out .` writes nothing over its inputs).
        let overwritten = if input.is_dir() {
            bench_harness::atomic::same_dir(input, out)
        } else {
            bench_harness::atomic::same_file(input, &out.join("results.json"))
        };
        if overwritten {
            return Err(format!(
                "--out {} holds the input {}: it would be overwritten",
                out.display(),
                input.display()
            ));
        }
    }
    Ok(())
}

/// Runs the subcommand: every input is read and checked before `--out`
/// is created; exit 1 (after writing) when a merged run failed.
pub fn main(args: Args) -> Result<i32, String> {
    if let Some(out) = &args.out {
        refuse_an_input_as_out(&args.dirs, out)?;
    }
    let mut parts = Vec::new();
    for d in &args.dirs {
        parts.push((d.display().to_string(), load(d)?));
    }
    check_parts(&parts)?;
    let merged = combine(parts)?;
    let created = args.out.as_ref().filter(|dir| !dir.exists()).cloned();
    let written = write(&args, &merged);
    if written.is_err()
        && let Some(dir) = created
    {
        // Only if empty: nothing of ours is left half-written in it.
        let _ = std::fs::remove_dir(dir);
    }
    written?;
    let failed = merged.runs.iter().any(|r| r.status == Status::Failed);
    Ok(if failed { 1 } else { 0 })
}

/// Prints the merged table and writes `--out`'s files.
fn write(args: &Args, merged: &Results) -> Result<(), String> {
    let _out_dir = match &args.out {
        Some(dir) => Some(bench_harness::atomic::prepare_dir(dir)?),
        None => None,
    };
    let mut out = Out::stdout();
    report::table(&merged.runs).print(&mut out);
    for n in report::notes(merged) {
        out.line(&n);
    }
    let missing = report::missing_shards(&merged.shards);
    if !missing.is_empty() {
        out.line(&format!("note: shards missing: {}", missing.join(", ")));
    }
    out.flush();
    if let Some(dir) = &args.out {
        let command = bench_harness::machine::command_line();
        report::write_outputs(dir, merged, &command)?;
        out.line(&format!(
            "wrote the merged results and report in {}",
            dir.display()
        ));
        out.flush();
    }
    Ok(())
}
