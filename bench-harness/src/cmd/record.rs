//! `gc-bench record WORKLOAD [--seed S] [--scale X] [--out FILE]`: writes
//! a workload's operations as a gctrace, exactly what `run` executes for
//! the same seed and scale (line numbers included: errors name the same
//! line in both).

use std::io::Write;
use std::path::PathBuf;

use bench_harness::atomic;
use bench_harness::exec::FIRST_LINE;
use bench_harness::workloads::{self, Workload};

/// Arguments of `record`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workload (`gc-bench list` shows them).
    #[arg(value_parser = workloads::find)]
    pub workload: &'static Workload,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The size (1 is the default).
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    pub scale: f64,
    /// Write the trace here (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn write_trace(args: &Args, parameter: &str, w: &mut dyn Write) -> std::io::Result<()> {
    let head = format!(
        "gctrace 1\n# gc-bench record {} --seed {} --scale {} ({parameter})\n# {}\n",
        args.workload.name, args.seed, args.scale, args.workload.summary
    );
    debug_assert_eq!(head.lines().count() as u32 + 1, FIRST_LINE);
    w.write_all(head.as_bytes())?;
    let mut result = Ok(());
    args.workload.emit(args.scale, args.seed, &mut |op| {
        if result.is_ok() {
            result = writeln!(w, "{op}");
        }
    });
    result?;
    w.flush()
}

/// Runs the subcommand.
pub fn main(args: Args) -> Result<i32, String> {
    let parameter = args.workload.check(args.scale)?;
    match &args.out {
        Some(path) => atomic::write_with(path, |w| write_trace(&args, &parameter, w))?,
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            match write_trace(&args, &parameter, &mut lock) {
                Ok(()) => {}
                // `gc-bench record … | head` is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(format!("cannot write the trace: {e}")),
            }
        }
    }
    Ok(0)
}
