//! The comparison as a table (one row per kind of collection, then the
//! totals) or as JSON, and the notes that say where the two sides cannot
//! be compared one to one.

use serde_json::{Value, json};

use super::runtime::Runtime;
use super::tally::{KindTally, Tally, union_of_kinds};
use crate::table::Table;

/// Everything `gc-bench compare` found.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The workload's name.
    pub workload: String,
    /// What the scale made of it (`depth=10`).
    pub parameter: String,
    /// The scale run.
    pub scale: f64,
    /// Whether the scale was chosen by the command (no `--scale`).
    pub scale_chosen: bool,
    /// The seed.
    pub seed: u64,
    /// Our collector's name.
    pub collector: String,
    /// The other runtime.
    pub runtime: Runtime,
    /// The settings both sides ran with, as shown.
    pub settings: Vec<String>,
    /// Our events, added up.
    pub ours: Tally,
    /// The runtime's events, added up.
    pub theirs: Tally,
    /// Where the two cannot be compared one to one.
    pub notes: Vec<String>,
    /// The folder the files were kept in (`--keep`).
    pub kept: Option<String>,
}

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

impl Comparison {
    /// Whether the runtime counts objects collected (PyPy does not).
    fn theirs_counts_objects(&self) -> bool {
        self.theirs.collector != "pypy"
    }

    fn totals(&self) -> Vec<Total> {
        let count = |n: u64| n.to_string();
        vec![
            Total {
                name: "collections",
                key: "collections",
                ours: self.ours.collections(),
                theirs: Some(self.theirs.collections()),
                show: count,
            },
            Total {
                name: "GC time ms",
                key: "gc_time_ns",
                ours: self.ours.gc_time_ns(),
                theirs: Some(self.theirs.gc_time_ns()),
                show: ms,
            },
            Total {
                name: "max pause ms",
                key: "max_pause_ns",
                ours: self.ours.max_pause_ns,
                theirs: Some(self.theirs.max_pause_ns),
                show: ms,
            },
            Total {
                name: "wall ms",
                key: "wall_ns",
                ours: self.ours.wall_ns,
                theirs: Some(self.theirs.wall_ns),
                show: ms,
            },
            Total {
                name: "objects collected",
                key: "collected",
                ours: self.ours.collected,
                theirs: self
                    .theirs_counts_objects()
                    .then_some(self.theirs.collected),
                show: count,
            },
        ]
    }

    /// The report as lines of text.
    pub fn lines(&self) -> Vec<String> {
        let theirs = &self.runtime.name;
        let chosen = if !self.scale_chosen {
            ""
        } else if self.scale < 1.0 {
            " (chosen to finish in seconds; --scale to change)"
        } else {
            " (the default)"
        };
        let mut out = vec![
            format!(
                "{} {}, scale {}{chosen}, seed {}: {} operations, {} objects",
                self.workload,
                self.parameter,
                self.scale,
                self.seed,
                self.ours.ops,
                self.ours.allocated
            ),
            format!(
                "ours: {}    theirs: {} = {} ({})",
                self.collector,
                theirs,
                self.runtime.describe(),
                self.runtime.path.display()
            ),
        ];
        if !self.settings.is_empty() {
            out.push(format!(
                "same settings on both sides: {}",
                self.settings.join(" ")
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
        for kind in union_of_kinds(&self.ours, &self.theirs) {
            let (o, t) = (self.ours.kind(&kind), self.theirs.kind(&kind));
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
        for t in self.totals() {
            totals.row(vec![
                t.name.into(),
                (t.show)(t.ours),
                t.theirs.map_or_else(|| "-".into(), t.show),
                ratio_text(ratio(t.ours, t.theirs)),
            ]);
        }
        if union_of_kinds(&self.ours, &self.theirs).is_empty() {
            out.push("no collection on either side".into());
        } else {
            out.extend(kinds.lines());
        }
        out.push(String::new());
        out.extend(totals.lines());
        if !self.notes.is_empty() {
            out.push(String::new());
            out.extend(self.notes.iter().map(|n| format!("note: {n}")));
        }
        if let Some(dir) = &self.kept {
            out.push(format!(
                "kept the trace, the program and both event streams in {dir}"
            ));
        }
        out
    }

    /// The report as one JSON object.
    pub fn json(&self) -> Value {
        let side = |k: KindTally| json!({"count": k.count, "gc_time_ns": k.gc_time_ns, "max_pause_ns": k.max_pause_ns});
        let kinds: Vec<Value> = union_of_kinds(&self.ours, &self.theirs)
            .into_iter()
            .map(|kind| {
                let (o, t) = (self.ours.kind(&kind), self.theirs.kind(&kind));
                json!({
                    "kind": kind,
                    "ours": side(o),
                    "theirs": side(t),
                    "gc_time_ratio": ratio(o.gc_time_ns, Some(t.gc_time_ns)),
                })
            })
            .collect();
        let mut totals = serde_json::Map::new();
        for t in self.totals() {
            totals.insert(
                t.key.into(),
                json!({"ours": t.ours, "theirs": t.theirs, "ratio": ratio(t.ours, t.theirs)}),
            );
        }
        json!({
            "workload": self.workload,
            "parameter": self.parameter,
            "scale": self.scale,
            "scale_chosen": self.scale_chosen,
            "seed": self.seed,
            "ops": self.ours.ops,
            "allocated": self.ours.allocated,
            "collector": self.collector,
            "runtime": self.runtime,
            "settings": self.settings,
            "kinds": kinds,
            "totals": totals,
            "notes": self.notes,
            "kept": self.kept,
        })
    }
}

/// Notes drawn from what the two sides did: where their counts cannot be
/// read one to one, and why.
pub fn observations(
    ours: &Tally,
    theirs: &Tally,
    nursery: Option<usize>,
    program_bytes: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    let mib = |n: f64| n / (1024.0 * 1024.0);
    if theirs.collector == "pypy" {
        let (o, t) = (ours.kind("minor").count, theirs.kind("minor").count);
        if let Some(n) = nursery {
            if o == 0 && ours.allocated > 0 {
                notes.push(format!(
                    "no minor collection on our side: the nursery ({:.1} MiB) holds everything the workload allocates; try --config nursery=1MB or a larger --scale",
                    mib(n as f64)
                ));
            }
            if o > 0 && t > 0 && ours.allocated > 0 {
                let per = |minors: u64| minors as f64 * n as f64 / ours.allocated as f64;
                notes.push(format!(
                    "minor counts are not comparable one to one: PyPy filled the same nursery {t} times for the trace's {} objects (≈ {:.0} bytes each, against ≈ {:.0} here): its interpreter objects are larger, and the interpreter and its JIT allocate in the same nursery",
                    ours.allocated,
                    per(t),
                    per(o)
                ));
            }
        }
        notes.push(format!(
            "PyPy's heap also holds the interpreter and this program ({:.1} MiB of encoded operations), which moves its major-collection threshold: compare major counts as a trend",
            mib(program_bytes as f64)
        ));
        notes.push(
            "PyPy reports no object counts: objects collected is ours only; merged hook reports share their time equally"
                .into(),
        );
    }
    if theirs.collector == "cpython" && ours.collector == "generational" {
        let differ: Vec<String> = union_of_kinds(ours, theirs)
            .into_iter()
            .filter(|k| ours.kind(k).count != theirs.kind(k).count)
            .collect();
        if differ.is_empty() {
            notes.push(
                "collection counts agree kind by kind, as the export promises for CPython 3.11"
                    .into(),
            );
        } else {
            notes.push(format!(
                "collection counts differ for {}: the trace uses something the export cannot replay exactly on this CPython",
                differ.join(", ")
            ));
        }
    }
    notes.push(format!(
        "wall time: ours is the replay in Rust; theirs is {} running the exported operations one by one",
        if theirs.collector == "pypy" { "PyPy" } else { "the interpreter" }
    ));
    notes
}
