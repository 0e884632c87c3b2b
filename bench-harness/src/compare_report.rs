//! `gc-bench compare`'s report: one row per kind of collection, then the
//! totals, as an aligned table or as one JSON object.

use py_interop::compare::Comparison;
use py_interop::compare::tally::{KindTally, union_of_kinds};
use serde_json::{Value, json};

use crate::table::Table;

/// `theirs / ours`, when both are known and `ours` is not zero.
pub fn ratio(ours: u64, theirs: Option<u64>) -> Option<f64> {
    match theirs {
        Some(t) if ours > 0 => Some(t as f64 / ours as f64),
        _ => None,
    }
}

fn ms(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

fn ratio_text(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 100.0 => format!("{r:.0}×"),
        Some(r) => format!("{r:.2}×"),
        None => "-".into(),
    }
}

/// One total: its name, our value, theirs (unknown: `None`), and how to
/// print a value.
struct Total {
    name: &'static str,
    key: &'static str,
    ours: u64,
    theirs: Option<u64>,
    show: fn(u64) -> String,
}

/// Whether the runtime counts objects collected (PyPy does not).
fn theirs_counts_objects(c: &Comparison) -> bool {
    c.theirs.collector != "pypy"
}

fn total_rows(c: &Comparison) -> Vec<Total> {
    let count = |n: u64| n.to_string();
    vec![
        Total {
            name: "collections",
            key: "collections",
            ours: c.ours.collections(),
            theirs: Some(c.theirs.collections()),
            show: count,
        },
        Total {
            name: "GC time ms",
            key: "gc_time_ns",
            ours: c.ours.gc_time_ns(),
            theirs: Some(c.theirs.gc_time_ns()),
            show: ms,
        },
        Total {
            name: "max pause ms",
            key: "max_pause_ns",
            ours: c.ours.max_pause_ns,
            theirs: Some(c.theirs.max_pause_ns),
            show: ms,
        },
        Total {
            name: "wall ms",
            key: "wall_ns",
            ours: c.ours.wall_ns,
            theirs: Some(c.theirs.wall_ns),
            show: ms,
        },
        Total {
            name: "objects collected",
            key: "collected",
            ours: c.ours.collected,
            theirs: theirs_counts_objects(c).then_some(c.theirs.collected),
            show: count,
        },
    ]
}

/// The report as lines of text.
pub fn lines(c: &Comparison) -> Vec<String> {
    let theirs = &c.runtime.name;
    let chosen = if !c.scale_chosen {
        ""
    } else if c.scale < 1.0 {
        " (chosen to finish in seconds; --scale to change)"
    } else {
        " (the default)"
    };
    let mut out = vec![
        format!(
            "{} {}, scale {}{chosen}, seed {}: {} operations, {} objects",
            c.workload, c.parameter, c.scale, c.seed, c.ours.ops, c.ours.allocated
        ),
        format!(
            "ours: {}    theirs: {} = {} ({})",
            c.collector,
            theirs,
            c.runtime.describe(),
            c.runtime.path.display()
        ),
    ];
    if !c.settings.is_empty() {
        out.push(format!(
            "same settings on both sides: {}",
            c.settings.join(" ")
        ));
    }
    out.push(String::new());
    let mut kinds = Table::new(&[
        "collection kind",
        "ours",
        "theirs",
        "ours GC ms",
        "theirs GC ms",
        "GC time theirs/ours",
    ]);
    for kind in union_of_kinds(&c.ours, &c.theirs) {
        let (o, t) = (c.ours.kind(&kind), c.theirs.kind(&kind));
        kinds.row(vec![
            kind,
            o.count.to_string(),
            t.count.to_string(),
            ms(o.gc_time_ns),
            ms(t.gc_time_ns),
            ratio_text(ratio(o.gc_time_ns, Some(t.gc_time_ns))),
        ]);
    }
    let mut totals = Table::new(&["total", "ours", "theirs", "theirs/ours"]);
    for t in total_rows(c) {
        totals.row(vec![
            t.name.into(),
            (t.show)(t.ours),
            t.theirs.map_or_else(|| "-".into(), t.show),
            ratio_text(ratio(t.ours, t.theirs)),
        ]);
    }
    if union_of_kinds(&c.ours, &c.theirs).is_empty() {
        out.push("no collection on either side".into());
    } else {
        out.extend(kinds.lines());
    }
    out.push(String::new());
    out.extend(totals.lines());
    if !c.notes.is_empty() {
        out.push(String::new());
        out.extend(c.notes.iter().map(|n| format!("note: {n}")));
    }
    if let Some(dir) = &c.kept {
        out.push(format!(
            "kept the trace, the program and both event streams in {dir}"
        ));
    }
    out
}

/// The report as one JSON object.
pub fn json(c: &Comparison) -> Value {
    let side = |k: KindTally| json!({"count": k.count, "gc_time_ns": k.gc_time_ns, "max_pause_ns": k.max_pause_ns});
    let kinds: Vec<Value> = union_of_kinds(&c.ours, &c.theirs)
        .into_iter()
        .map(|kind| {
            let (o, t) = (c.ours.kind(&kind), c.theirs.kind(&kind));
            json!({
                "kind": kind,
                "ours": side(o),
                "theirs": side(t),
                "gc_time_ratio": ratio(o.gc_time_ns, Some(t.gc_time_ns)),
            })
        })
        .collect();
    let mut totals = serde_json::Map::new();
    for t in total_rows(c) {
        totals.insert(
            t.key.into(),
            json!({"ours": t.ours, "theirs": t.theirs, "ratio": ratio(t.ours, t.theirs)}),
        );
    }
    json!({
        "workload": c.workload,
        "parameter": c.parameter,
        "scale": c.scale,
        "scale_chosen": c.scale_chosen,
        "seed": c.seed,
        "ops": c.ours.ops,
        "allocated": c.ours.allocated,
        "collector": c.collector,
        "runtime": c.runtime,
        "settings": c.settings,
        "kinds": kinds,
        "totals": totals,
        "notes": c.notes,
        "kept": c.kept,
    })
}
