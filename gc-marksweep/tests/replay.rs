//! The spec's example trace replayed on this collector, with the
//! expectations PyPy's semantics give: the two-node cycle with finalizers
//! needs two full collections to finalize both (one per strongly connected
//! component per major collection), and a third frees them: what a
//! finalized object reaches is kept until no finalizer reaches it.

use gc_core::Collector;
use gc_core::tooling::replay::{Record, Replayer, replay};
use gc_core::tooling::trace::Trace;
use gc_marksweep::{IncMiniMark, MarkSweepConfig};

mod common;
use common::mask_times;

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

/// Every bundled trace (`traces/`, `traces/cpython/`) replays with two
/// marking threads (`parallel_mark=2`, on every step whose budget covers
/// the old generation: `parallel_mark_min=0`) to the same records as with the
/// sequential marking, times aside and memory detail included: the same
/// objects survive, the same finalizers run in the same order, the same
/// collections happen. With the default nursery and with a 64 KiB one (as
/// `check-traces` runs them).
#[test]
fn bundled_traces_replay_the_same_with_parallel_marking() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces");
    let mut paths: Vec<_> = [root.to_owned(), format!("{root}/cpython")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gctrace"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 15, "{paths:?}");
    let mut parallel_steps = 0;
    for path in &paths {
        let trace = Trace::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        for nursery in [MarkSweepConfig::default().nursery, 64 << 10] {
            let run = |parallel_mark: usize| {
                let config = MarkSweepConfig {
                    nursery,
                    parallel_mark,
                    parallel_mark_min: 0,
                    ..MarkSweepConfig::default()
                };
                let heap = IncMiniMark::with_config(config).unwrap();
                let mut replayer = Replayer::new(heap).with_detail(true);
                let mut records = Vec::new();
                for line in &trace.lines {
                    let result = replayer.step(line);
                    records.extend(replayer.records.drain(..).map(|r| mask_times(&r.to_json())));
                    if let Err(e) = result {
                        records.push(format!("error: {e}"));
                        break;
                    }
                }
                records.push(mask_times(&Record::Summary(replayer.summary()).to_json()));
                (records, replayer.collector().gc_stats().parallel_mark_steps)
            };
            let (sequential, _) = run(1);
            let (parallel, steps) = run(2);
            assert_eq!(sequential, parallel, "{} nursery={nursery}", path.display());
            parallel_steps += steps;
        }
    }
    assert!(parallel_steps > 0, "the parallel marking ran");
}
