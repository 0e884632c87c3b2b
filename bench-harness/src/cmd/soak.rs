//! `gc-bench soak [--collector NAME]… [--ops N] [--warmup F]
//! [--tolerance F] [--max-rss MIB] [--config KEY=VALUE]…`: a long run of
//! churn on each collector, its resident set sampled (see
//! `bench_harness::soak`). Each collector runs in its own process, so its
//! resident set is its own. A collector that collects cycles must stay
//! within `± tolerance` of its first sample after the warm-up, else the
//! exit status is 1; the others (`null` never frees, `refcount` leaks
//! cycles) are reported, not judged.

use bench_harness::collectors::{CollectorName, WithCollector, check_config, dispatch, parse_pair};
use bench_harness::output::Out;
use bench_harness::soak::{self, Options, SoakRun};

/// Arguments of `soak`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A collector (repeatable); default: every one, the null baseline
    /// first.
    #[arg(long = "collector", value_name = "NAME", value_enum)]
    pub collectors: Vec<CollectorName>,
    /// Operations per collector, at least (whole rounds of churn run).
    #[arg(long, value_name = "N", default_value_t = 100_000_000,
          value_parser = clap::value_parser!(u64).range(1_000..=100_000_000_000))]
    pub ops: u64,
    /// The share of the operations that is warm-up (not judged).
    #[arg(long, value_name = "F", default_value_t = 0.1, value_parser = parse_fraction)]
    pub warmup: f64,
    /// How far (a fraction) the resident set may stray after the warm-up.
    #[arg(long, value_name = "F", default_value_t = 0.05, value_parser = parse_fraction)]
    pub tolerance: f64,
    /// A run whose resident set passes this many MiB stops there.
    #[arg(long, value_name = "MIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(16..=1 << 30))]
    pub max_rss: u64,
    /// A collector setting, KEY=VALUE (repeatable; keys a collector does
    /// not take are an error for it).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub config: Vec<(String, String)>,
    /// Run the one collector in this process and print its run as one JSON
    /// line (what `soak` starts for each collector).
    #[arg(long, hide = true)]
    pub child: bool,
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..1.0).contains(&f) => Ok(f),
        _ => Err(format!("`{s}` is not a fraction in [0, 1)")),
    }
}

struct Soak(Options);

impl WithCollector for Soak {
    type Output = Result<SoakRun, String>;

    fn run<C: gc_core::Collector>(self, config: C::Config) -> Self::Output {
        soak::soak::<C>(config, self.0)
    }
}

fn options(args: &Args) -> Options {
    Options {
        ops: args.ops,
        max_rss: args.max_rss << 20,
    }
}

/// One collector's soak in a child process (`soak --child`).
fn run_child(collector: CollectorName, args: &Args) -> Result<SoakRun, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find gc-bench itself: {e}"))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["soak", "--child", "--collector", collector.name()])
        .args(["--ops", &args.ops.to_string()])
        .args(["--max-rss", &args.max_rss.to_string()]);
    for (k, v) in &args.config {
        cmd.args(["--config", &format!("{k}={v}")]);
    }
    let out = bench_harness::child::output(cmd.stdin(std::process::Stdio::null()))
        .map_err(|e| format!("cannot start a soak run: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.lines().last().map(serde_json::from_str::<SoakRun>) {
        Some(Ok(run)) if out.status.success() => Ok(run),
        _ => Err(format!(
            "{}: {}",
            collector.name(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("the soak run crashed")
        )),
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1 << 20) as f64)
}

/// Runs the subcommand: 0 when every judged collector stayed within the
/// tolerance, 1 when one did not; `Err` for exit status 2.
pub fn main(args: Args) -> Result<i32, String> {
    let collectors = if args.collectors.is_empty() {
        CollectorName::ALL.to_vec()
    } else {
        args.collectors.clone()
    };
    if args.child {
        let [collector] = collectors[..] else {
            return Err("soak --child takes exactly one --collector".into());
        };
        let run = dispatch(collector, &args.config, Soak(options(&args)))??;
        let line = serde_json::to_string(&run).map_err(|e| e.to_string())?;
        let mut out = Out::stdout();
        out.line(&line);
        out.flush();
        return Ok(0);
    }
    // Every collector's settings before any output or run: each gets
    // every pair, so a key one does not take is an error for it.
    for &c in &collectors {
        check_config(c, &args.config)?;
    }
    let mut out = Out::stdout();
    let warmup_ops = (args.ops as f64 * args.warmup) as u64;
    out.line(&format!(
        "soak: {} operations per collector, in rounds of churn ({}, each at scale {}); judged after the first {} operations: within ±{}%",
        args.ops,
        soak::MIX.join(", "),
        soak::MIX_SCALE,
        warmup_ops,
        args.tolerance * 100.0
    ));
    let mut failed = false;
    let mut too_few = None;
    for collector in collectors {
        let run = run_child(collector, &args)?;
        let judged = collector.traits().collects_cycles;
        let secs = run.wall_ns as f64 / 1e9;
        let first = run.samples.get(1).map_or(0, |s| s.rss);
        let last = run.samples.last().map_or(0, |s| s.rss);
        let band = run.band(warmup_ops);
        let verdict = match (&run.stopped, band) {
            (Some(why), _) => {
                failed |= judged;
                format!("stopped after {} operations: {why}", run.ops)
            }
            (None, None) => {
                // The arguments' fault, not the collector's: said on
                // stderr once the table is out.
                let rounds = run.samples.len().saturating_sub(1).max(1);
                too_few = Some(format!(
                    "too few samples after the warm-up to judge: {} operations made {rounds} round{} of about {} operations; raise --ops or lower --warmup",
                    run.ops,
                    if rounds == 1 { "" } else { "s" },
                    run.ops / rounds as u64
                ));
                "too few samples after the warm-up to judge".into()
            }
            (None, Some(b)) => {
                let within = b.within(args.tolerance);
                failed |= judged && !within;
                format!(
                    "after warm-up {} MiB, then {} to {} MiB ({:+.1}% / {:+.1}%): {}",
                    mib(b.reference),
                    mib(b.min),
                    mib(b.max),
                    b.low() * 100.0,
                    b.high() * 100.0,
                    match (within, judged) {
                        (true, _) => "steady",
                        (false, true) => "NOT steady",
                        (false, false) => "grows (not judged: it does not collect cycles)",
                    }
                )
            }
        };
        out.line(&format!(
            "{:<13} {:>6.1} s, {:>5.1} M ops/s, {} rounds; {}: {} MiB in the first, {} MiB in the last; {verdict}",
            run.collector,
            secs,
            run.ops as f64 / secs.max(1e-9) / 1e6,
            run.samples.len().saturating_sub(1),
            run.measure.describe(),
            mib(first),
            mib(last),
        ));
        out.flush();
    }
    if let Some(why) = too_few {
        return Err(why);
    }
    Ok(i32::from(failed))
}
