//! `gc-bench list`: the workloads (one line each, with what scale 1 means)
//! and the collectors, with what each declares it is.

use bench_harness::collectors::CollectorName;
use bench_harness::output::Out;
use bench_harness::table::Table;
use bench_harness::workloads;

/// Runs the subcommand.
pub fn main() -> Result<i32, String> {
    let mut out = Out::stdout();
    let yes = |b: bool| if b { "yes" } else { "-" };
    let mut table = Table::new(&[
        "collector",
        "frees",
        "cycles",
        "moves",
        "barrier",
        "incremental",
        "generational",
        "refcount",
        "summary",
    ]);
    let mut keys = Vec::new();
    for name in CollectorName::ALL {
        let t = name.traits();
        table.row(vec![
            t.name.into(),
            yes(t.frees_objects).into(),
            yes(t.collects_cycles).into(),
            yes(t.moves_objects).into(),
            yes(t.write_barrier).into(),
            yes(t.incremental).into(),
            yes(t.generational).into(),
            yes(t.reference_counting).into(),
            t.summary.into(),
        ]);
        keys.extend(
            name.keys()
                .iter()
                .map(|(k, d)| format!("  {}: {k} — {d}", t.name)),
        );
    }
    out.line("Workloads (gc-bench run --workload NAME; record NAME):");
    let mut w = Table::new(&["workload", "at scale 1", "what it is"]);
    for wl in workloads::ALL {
        w.row(vec![
            wl.name.into(),
            match wl.check(1.0) {
                Ok(p) if wl.matrix_scale != 1.0 => {
                    format!("{p} (gc-bench run: scale {})", wl.matrix_scale)
                }
                Ok(p) => p,
                Err(e) => e,
            },
            wl.summary.into(),
        ]);
    }
    w.print(&mut out);
    out.line("");
    out.line("Collectors:");
    table.print(&mut out);
    if !keys.is_empty() {
        out.line("");
        out.line("Configuration keys (--config KEY=VALUE):");
        for k in keys {
            out.line(&k);
        }
    }
    out.flush();
    Ok(0)
}
