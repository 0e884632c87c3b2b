//! What a comparison found, and the notes that say where the two sides
//! cannot be compared one to one. (The report, as a table or JSON, is the
//! harness's: `bench-harness/src/compare_report.rs`.)

use super::runtime::Runtime;
use super::tally::{Tally, union_of_kinds};
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
                // A smaller nursery fills: suggest a quarter of this one.
                let smaller_kib = (n / 4 / 1024).max(1);
                notes.push(format!(
                    "no minor collection on our side: the nursery ({:.1} MiB) holds everything the workload allocates; try a smaller one (--config nursery={smaller_kib}KB) or a larger --scale",
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

#[cfg(test)]
mod tests {
    use super::*;

    /// With no minor collection on our side the note suggests a nursery
    /// smaller than the one used (a larger one would fill even less).
    #[test]
    fn no_minor_suggests_a_smaller_nursery() {
        let ours = Tally {
            collector: "marksweep".into(),
            allocated: 1000,
            ..Tally::default()
        };
        let theirs = Tally {
            collector: "pypy".into(),
            ..Tally::default()
        };
        for (nursery, suggested) in [
            (512 * 1024, "nursery=128KB"),
            (1024 * 1024, "nursery=256KB"),
            (4096, "nursery=1KB"),
        ] {
            let notes = observations(&ours, &theirs, Some(nursery), 0);
            let note = notes
                .iter()
                .find(|n| n.starts_with("no minor collection on our side"))
                .expect("the note");
            assert!(note.contains(suggested), "{nursery}: {note}");
        }
    }
}
