//! `gc-bench list`: the collectors, with what each declares it is.

use crate::collectors::CollectorName;
use crate::output::Out;
use crate::table::Table;

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
        match name.traits() {
            Some((t, config_keys)) => {
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
                    config_keys
                        .iter()
                        .map(|(k, d)| format!("  {}: {k} — {d}", t.name)),
                );
            }
            None => table.row(vec![
                name.as_str().into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "not implemented yet".into(),
            ]),
        }
    }
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
