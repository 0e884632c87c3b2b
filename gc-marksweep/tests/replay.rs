//! The spec's example trace replayed on this collector, with the
//! expectations PyPy's semantics give: the two-node cycle with finalizers
//! needs two full collections to finalize both (one per strongly connected
//! component per major collection), and a third frees them: what a
//! finalized object reaches is kept until no finalizer reaches it.

use gc_core::Collector;
use gc_core::tooling::replay::replay;
use gc_core::tooling::trace::Trace;
use gc_marksweep::{IncMiniMark, MarkSweepConfig};

const SEED: &str = "gctrace 1
new r0 node 1 16      # a = Node(\"A\")
new r1 node 1 16      # b = Node(\"B\")
fin r0
fin r1
set r0.0 r1           # a.other = b
set r1.0 r0           # b.other = a
del r0
del r1
expect live 2
collect
expect@marksweep finalized 1   # one finalizer per cycle (SCC) per major
expect@marksweep collected 0   # both kept: A for its finalizer, B reached from it
expect@marksweep live 2
collect
expect@marksweep finalized 2
expect@marksweep collected 0   # B finalized; A is reached from B: both kept
collect
expect@marksweep collected 2
expect@marksweep live 0
collect 0
expect@marksweep collected 0
";

#[test]
fn the_seed_cycle_on_marksweep() {
    let trace = Trace::parse(SEED).unwrap();
    let heap = IncMiniMark::with_config(MarkSweepConfig::pypy()).unwrap();
    let mut records = Vec::new();
    let outcome = replay(&trace, heap, |r| records.push(r.to_json()));
    assert_eq!(outcome.exit_code(), 0, "{records:#?}");
    let collects: Vec<&String> = records
        .iter()
        .filter(|r| r.contains("\"collect\""))
        .collect();
    assert_eq!(collects.len(), 4);
    assert!(collects[0].contains("\"kind\":\"major\"") && collects[0].contains("\"generation\":2"));
    assert!(collects[3].contains("\"kind\":\"minor\"") && collects[3].contains("\"generation\":0"));
    let summary = records.last().unwrap();
    assert!(
        summary.contains("\"collections\":{\"0\":1,\"1\":0,\"2\":3}"),
        "{summary}"
    );
}
