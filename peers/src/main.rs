//! `cargo run --release -p peers [-- --quick] [--format json]`: see the
//! crate docs (`peers/src/lib.rs`).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, ValueEnum};

use peers::contenders::{self, Contender, Runtime, Settings, find_runtime};
use peers::report::{self, Cell};
use peers::workload::{Sizes, Workload, graph_ops};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Our collectors beside Rust's GC crates, Rc, an arena, CPython and PyPy:
/// one table of medians of interleaved runs.
#[derive(Debug, Parser)]
#[command(name = "peers", version)]
struct Args {
    /// Small sizes, for CI (well under a minute).
    #[arg(long)]
    quick: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Interleaved runs per cell (the median is reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    runs: u32,
    /// Only these workloads (repeatable).
    #[arg(long = "workload", value_name = "NAME", value_parser = parse_workload)]
    workloads: Vec<Workload>,
    /// Only these contenders (repeatable).
    #[arg(long = "contender", value_name = "NAME", value_parser = parse_contender)]
    contenders: Vec<Contender>,
    /// A setting for one of our strategies over its library defaults, as
    /// `gc-bench --config` takes it, e.g. `generational:untrack_new_tuples=true`
    /// (repeatable; the table's note names what was set).
    #[arg(long = "config", value_name = "STRATEGY:KEY=VALUE", value_parser = parse_setting)]
    settings: Vec<(Contender, String, String)>,
}

fn parse_setting(s: &str) -> Result<(Contender, String, String), String> {
    const EXPECTED: &str = "expected STRATEGY:KEY=VALUE, e.g. generational:untrack_new_tuples=true";
    let (strategy, pair) = s.split_once(':').ok_or(EXPECTED)?;
    let c = [
        Contender::Refcount,
        Contender::Generational,
        Contender::Marksweep,
    ]
    .into_iter()
    .find(|c| c.name() == strategy)
    .ok_or("unknown strategy (one of refcount, generational, marksweep: ours take settings)")?;
    match pair.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((c, key.to_owned(), value.to_owned())),
        _ => Err(EXPECTED.to_owned()),
    }
}

fn parse_workload(s: &str) -> Result<Workload, String> {
    Workload::ALL
        .into_iter()
        .find(|w| w.name() == s)
        .ok_or_else(|| {
            let names: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
            format!("unknown workload (one of {})", names.join(", "))
        })
}

fn parse_contender(s: &str) -> Result<Contender, String> {
    Contender::ALL
        .into_iter()
        .find(|c| c.name() == s)
        .ok_or_else(|| {
            let names: Vec<_> = Contender::ALL.iter().map(|c| c.name()).collect();
            format!("unknown contender (one of {})", names.join(", "))
        })
}

/// Parses the command line; a usage error is one line on standard error
/// and exit status 2 (help and version print as usual).
fn parse_args() -> Result<Args, ExitCode> {
    use clap::error::ErrorKind;
    Args::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let line = gc_core::tooling::usage::one_line(&e.render().to_string());
            eprintln!("peers: {line}");
            ExitCode::from(2)
        }
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(code) => return code,
    };
    let sizes = if args.quick {
        Sizes::QUICK
    } else {
        Sizes::FULL
    };
    let workloads = if args.workloads.is_empty() {
        Workload::ALL.to_vec()
    } else {
        args.workloads.clone()
    };
    let contenders = if args.contenders.is_empty() {
        Contender::ALL.to_vec()
    } else {
        args.contenders.clone()
    };

    let mut settings: BTreeMap<Contender, Settings> = BTreeMap::new();
    for (c, key, value) in &args.settings {
        settings
            .entry(*c)
            .or_default()
            .push((key.clone(), value.clone()));
    }
    for (c, s) in &settings {
        if let Err(e) = contenders::check_settings(*c, s) {
            eprintln!("peers: --config {c}: {e}");
            return ExitCode::from(2);
        }
        if !contenders.contains(c) {
            eprintln!("peers: --config {c}: {c} is not among the contenders run");
            return ExitCode::from(2);
        }
    }
    let no_settings = Settings::new();

    // The Python runtimes, once: a missing one is said loudly, and skipped.
    let mut runtimes: BTreeMap<Contender, Result<String, String>> = BTreeMap::new();
    for &c in &contenders {
        if let Some(rt) = c.runtime() {
            let found = find_runtime(rt).map(|(path, version)| {
                eprintln!("peers: {c} = {} {version}", rt.command());
                path
            });
            if let Err(e) = &found {
                eprintln!("peers: {c} SKIPPED: {e}");
            }
            runtimes.insert(c, found);
        }
    }
    let ops = Arc::new(if workloads.contains(&Workload::Graph) {
        graph_ops(sizes.graph_nodes, sizes.graph_steps)
    } else {
        Vec::new()
    });

    let mut cells: BTreeMap<(Workload, Contender), Cell> = BTreeMap::new();
    for round in 1..=args.runs {
        for &w in &workloads {
            for &c in &contenders {
                let cell = cells.entry((w, c)).or_default();
                if cell.error.is_some() {
                    continue;
                }
                let path = match runtimes.get(&c) {
                    Some(Err(e)) => {
                        cell.skipped = true;
                        cell.error = Some(format!("{e}; not run"));
                        continue;
                    }
                    Some(Ok(p)) => Some(p.as_str()),
                    None => None,
                };
                let set = settings.get(&c).unwrap_or(&no_settings);
                match contenders::run_once(c, w, sizes, &ops, path, set) {
                    Ok(sample) => {
                        eprintln!(
                            "peers: round {round}/{}: {w} {c}: {:.1} ms",
                            args.runs, sample.ms
                        );
                        cell.samples.push(sample);
                    }
                    Err(e) => {
                        eprintln!("peers: {w} {c} FAILED: {e}");
                        cell.error = Some(e);
                    }
                }
            }
        }
    }

    let mut rows = Vec::new();
    for &w in &workloads {
        // The check every run must give: known in closed form, or (graph)
        // the first contender's that ran.
        let expected = sizes.expected_check(w).or_else(|| {
            contenders
                .iter()
                .find_map(|c| cells.get(&(w, *c))?.samples.first())
                .map(|s| s.outcome.check)
        });
        for &c in &contenders {
            rows.push(report::row(w, c, &cells[&(w, c)], expected));
        }
    }
    report::add_ratios(&mut rows);

    match args.format {
        Format::Json => match serde_json::to_string_pretty(&rows) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("peers: {e}");
                return ExitCode::FAILURE;
            }
        },
        Format::Table => {
            println!(
                "peers bench ({}): median of {} interleaved runs per cell, ratios to rc",
                if args.quick { "--quick" } else { "full size" },
                args.runs
            );
            for &w in &workloads {
                println!("- {w}: {}", sizes.describe(w));
            }
            println!();
            print!("{}", report::table(&rows));
        }
    }
    if rows.iter().any(|r| r.status == "check-mismatch") {
        eprintln!("peers: a check value differs between contenders (see the table)");
        return ExitCode::FAILURE;
    }
    let _ = Runtime::Cpython;
    ExitCode::SUCCESS
}
