use super::*;
use crate::workloads;
use gc_core::tooling::oracle::verdict::Moment;
use gc_core::tooling::oracle::{Mode, Oracle};
use gc_core::tooling::replay::{Record, Replayer};
use gc_core::tooling::trace::{Reg, Trace};
use gc_core::{CollectorExt, Inspect, RootList};

fn apply_all(m: &mut Model, text: &str) {
    let t = Trace::parse(text).unwrap();
    for l in &t.lines {
        m.apply(&l.op, None).unwrap();
    }
}

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

#[test]
fn live_size_counts_reachable_objects_in_the_canonical_layout() {
    let mut m = Model::new(true, Vec::new());
    apply_all(
        &mut m,
        "gctrace 1\nnew r0 node 2 10\nnew r1 atom 5\nset r0.0 r1\nnew r2 tuple r0 nil\nnew r3 node 1 0\ndel r1\n",
    );
    // r0 (16 + 16 + 10), its atom (16 + 5), the tuple (16 + 16), r3 (16 + 8).
    assert_eq!(m.live_size(), (4, 42 + 21 + 32 + 24));
    m.apply(&Op::Del(Reg(2)), None).unwrap();
    m.apply(&Op::Del(Reg(0)), None).unwrap();
    assert_eq!(m.live_size(), (1, 24));
    assert_eq!(canonical_bytes(0, 0), 16);
}

/// On every workload small enough for the (quadratic) oracle, the model —
/// compacting every 64 allocations — gives the oracle's reachable and
/// reference-counting sets, and the latter is exactly what the refcount
/// collector holds: half-way through and at the end.
#[test]
fn agrees_with_the_oracle_and_the_refcount_collector() {
    let (mut checked, mut dropped) = (0, 0);
    for w in workloads::ALL {
        let trace = Trace::from_ops(w.ops(0.004, 11));
        if trace.lines.len() > 20_000 {
            continue;
        }
        checked += 1;
        let mut replayer = Replayer::new(gc_refcount::RefCount::new_default().unwrap());
        let mut oracle = Oracle::new(Mode::RefCount);
        let mut model = Model::new(true, Vec::new()).compacting_every(64);
        let half = trace.lines.len() / 2;
        for (i, line) in trace.lines.iter().enumerate() {
            replayer.step(line).unwrap();
            let wget = match line.op {
                Op::Wget { dst, .. } => replayer
                    .register(dst)
                    .map(|h| replayer.collector().object_id(h).unwrap().0),
                _ => None,
            };
            oracle.apply(&line.op, wget).unwrap();
            model.apply(&line.op, wget).unwrap();
            for r in replayer.records.drain(..) {
                if let Record::Finalize { object, .. } = r {
                    model.finalized(object).unwrap();
                }
            }
            if i == half || i + 1 == trace.lines.len() {
                let want: Vec<u64> = oracle.reachable().into_iter().collect();
                assert_eq!(model.reachable(), want, "{} reachable at {i}", w.name);
                let rc = model.rc_live();
                let want: Vec<u64> = oracle.rc_live().into_iter().collect();
                assert_eq!(rc, want, "{} rc_live at {i}", w.name);
                let live: Vec<u64> = replayer
                    .collector_mut()
                    .live_set()
                    .unwrap()
                    .into_iter()
                    .map(|o| o.0)
                    .collect();
                assert_eq!(rc, live, "{} collector at {i}", w.name);
                assert_eq!(model.saved(), sorted(oracle.saved().to_vec()));
            }
        }
        dropped += u64::from(model.peak_entries() < model.allocated());
    }
    assert!(checked >= 6, "only {checked} workloads were small enough");
    assert!(
        dropped >= 4,
        "the model dropped objects on {dropped} workloads"
    );
}

/// On marksweep, which runs finalizers (resurrecting ones too) and clears
/// weak references when it decides, and frees finalized objects a
/// collection later: the model, compacting every 32 allocations and fed
/// the collector's decisions, has the oracle's reachable set and saved
/// list after every operation, and after a final full collection the
/// verdict passes the collector on both.
#[test]
fn agrees_with_the_oracle_across_compactions_on_marksweep() {
    use gc_marksweep::IncMiniMark;
    let (mut finalized, mut weak_gets, mut dropped) = (0, 0, 0);
    for w in workloads::ALL {
        let trace = Trace::from_ops(w.ops(0.004, 5));
        if trace.lines.len() > 20_000 {
            continue;
        }
        let mut replayer = Replayer::new(IncMiniMark::new_default().unwrap());
        let mut oracle = Oracle::new(Mode::Observed);
        let mut model = Model::new(false, Vec::new()).compacting_every(32);
        let mut step = |line: &gc_core::tooling::trace::Line, last: bool| {
            replayer.step(line).unwrap();
            let wget = match line.op {
                Op::Wget { dst, .. } => replayer
                    .register(dst)
                    .map(|h| replayer.collector().object_id(h).unwrap().0),
                _ => None,
            };
            weak_gets += u64::from(wget.is_some());
            oracle.apply(&line.op, wget).unwrap();
            if last {
                model.final_collection();
            } else {
                model.apply(&line.op, wget).unwrap();
            }
            for r in replayer.records.drain(..) {
                if let Record::Finalize { object, .. } = r {
                    oracle.on_finalize(object).unwrap();
                    model.finalized(object).unwrap();
                    finalized += 1;
                }
            }
            let garbage = replayer.collector().root_list(RootList::Garbage).unwrap();
            assert!(
                garbage.is_empty(),
                "{}: marksweep keeps no garbage list",
                w.name
            );
            assert_eq!(
                model.reachable(),
                Vec::from_iter(oracle.reachable()),
                "{}",
                w.name
            );
            assert_eq!(model.saved(), sorted(oracle.saved().to_vec()), "{}", w.name);
        };
        for line in &trace.lines {
            step(line, false);
        }
        let last = gc_core::tooling::trace::Line {
            number: 0,
            op: Op::Collect(None),
        };
        step(&last, true);
        let c = replayer.collector();
        let live: Vec<u64> = c.live_set().unwrap().into_iter().map(|o| o.0).collect();
        let t = <IncMiniMark as gc_core::Collector>::TRAITS;
        let m = verdict::live_set(&t, &model, &live, Moment::AfterFullCollection).unwrap();
        let o = verdict::live_set(&t, &oracle, &live, Moment::AfterFullCollection).unwrap();
        assert_eq!(m, o, "{}", w.name);
        dropped += u64::from(model.peak_entries() < model.allocated());
    }
    assert!(finalized > 0 && weak_gets > 0, "{finalized} {weak_gets}");
    assert!(
        dropped >= 4,
        "the model dropped objects on {dropped} workloads"
    );
}

const ONE: &str = "gctrace 1\n";

/// Allocates and drops `n` atoms. A model compacting every allocation
/// then holds at most twice what it must keep, and one more.
fn churn(m: &mut Model, n: usize) {
    for _ in 0..n {
        apply_all(m, &format!("{ONE}new r9 atom 0\ndel r9\n"));
    }
}

#[test]
fn a_pending_finalizer_keeps_what_it_may_resurrect_across_compactions() {
    let mut m = Model::new(false, Vec::new()).compacting_every(1);
    // #0 → #1, #0 finalizable, both unreachable.
    apply_all(
        &mut m,
        &format!(
            "{ONE}new r0 node 1 0\nnew r1 atom 0\nset r0.0 r1\nfin r0 resurrect\ndel r1\ndel r0\n"
        ),
    );
    churn(&mut m, 10);
    assert!(m.entries() <= 2 * 2 + 1, "{} entries", m.entries());
    assert_eq!(m.finalizer_reachable(), [0, 1]);
    assert!(m.reachable().is_empty());
    m.finalized(0).unwrap();
    assert_eq!(m.saved(), [0]);
    assert_eq!(m.reachable(), [0, 1]);
    churn(&mut m, 10);
    assert_eq!(m.reachable(), [0, 1]);
    // Emptied, the saved list no longer holds them: dropped, and the
    // finalized object is settled.
    apply_all(&mut m, &format!("{ONE}unsave\n"));
    churn(&mut m, 10);
    assert!(m.entries() <= 2 * 2 + 1, "{} entries", m.entries());
    let e = m.finalized(0).unwrap_err();
    assert!(e.contains("no finalizer left to run"), "{e}");
    let e = m.finalized(1).unwrap_err();
    assert!(e.contains("no finalizer left to run"), "{e}");
    let e = m.finalized(1_000).unwrap_err();
    assert_eq!(e, "finalize event for unknown object #1000");
}

#[test]
fn only_the_final_collections_finalizations_are_pending_at_the_end() {
    let mut m = Model::new(false, Vec::new()).compacting_every(1_000);
    // Two unreachable finalizable objects, #0 finalized during the run,
    // #2 by the final collection; each reaches an atom.
    apply_all(
        &mut m,
        &format!(
            "{ONE}new r0 node 1 0\nnew r1 atom 0\nset r0.0 r1\nfin r0\nnew r2 node 1 0\nnew r3 atom 0\nset r2.0 r3\nfin r2\ndel r0\ndel r1\ndel r2\ndel r3\n"
        ),
    );
    m.finalized(0).unwrap();
    m.final_collection();
    m.finalized(2).unwrap();
    assert_eq!(m.finalizer_reachable(), [2, 3]);
    let e = m.finalized(2).unwrap_err();
    assert_eq!(e, "finalizer of #2 ran twice");
}

#[test]
fn weak_referents_stay_until_seen_cleared() {
    let mut m = Model::new(false, Vec::new()).compacting_every(1);
    apply_all(
        &mut m,
        &format!("{ONE}new r0 node 1 0\nnew r1 atom 0\nset r0.0 r1\nweak w0 r0\ndel r0\ndel r1\n"),
    );
    churn(&mut m, 10);
    let wget = Trace::parse(&format!("{ONE}wget r2 w0\n")).unwrap().lines[0]
        .op
        .clone();
    // The collector still has it: the model can follow it.
    m.apply(&wget, Some(0)).unwrap();
    assert_eq!(m.reachable(), [0, 1]);
    let e = m.apply(&wget, Some(1)).unwrap_err();
    assert_eq!(e, "wget w0: returned #1, referent is #0");
    apply_all(&mut m, &format!("{ONE}del r2\n"));
    m.apply(&wget, None).unwrap();
    churn(&mut m, 10);
    assert!(m.entries() <= 2 * 2 + 1, "{} entries", m.entries());
    let e = m.apply(&wget, Some(0)).unwrap_err();
    assert_eq!(e, "wget w0: returned #0 after it had returned nil");
    m.apply(&wget, None).unwrap();
}

#[test]
fn the_final_garbage_list_is_kept_from_allocation_on() {
    let mut m = Model::new(false, vec![1]).compacting_every(1);
    apply_all(
        &mut m,
        &format!("{ONE}new r0 atom 0\nnew r1 node 1 0\nset r1.0 r0\ndel r0\ndel r1\n"),
    );
    churn(&mut m, 10);
    assert_eq!(m.reachable(), [0, 1]);
}

#[test]
fn reference_counting_sets_survive_compaction() {
    // A leaked cycle (#0 ↔ #1) is what a reference counter holds: kept
    // when the verdict asks for it, dropped otherwise.
    let text = format!(
        "{ONE}new r0 node 1 0\nnew r1 node 1 0\nset r0.0 r1\nset r1.0 r0\ndel r0\ndel r1\n"
    );
    let mut rc = Model::new(true, Vec::new()).compacting_every(1);
    apply_all(&mut rc, &text);
    churn(&mut rc, 10);
    assert_eq!(rc.rc_live(), [0, 1]);
    assert!(rc.reachable().is_empty());
    let mut tracing = Model::new(false, Vec::new()).compacting_every(1);
    apply_all(&mut tracing, &text);
    churn(&mut tracing, 10);
    assert!(tracing.entries() <= 2, "{} entries", tracing.entries());
    // A dropped object is settled; a kept one merely has no finalizer.
    let e = tracing.finalized(0).unwrap_err();
    assert!(e.contains("no finalizer left to run"), "{e}");
    let e = rc.finalized(0).unwrap_err();
    assert_eq!(e, "finalize event for #0, which has no finalizer");
}

/// The model's size does not grow with the run's length: cycle churn
/// four times as long allocates four times as many objects, and the
/// model's peak stays within twice what can matter plus a batch.
#[test]
fn memory_stays_bounded_on_a_long_churn() {
    let peak = |scale: f64| {
        let mut m = Model::new(false, Vec::new());
        let mut error = None;
        workloads::cycle_churn::WORKLOAD.emit(scale, 1, &mut |op| {
            if let Err(e) = m.apply(&op, None) {
                error.get_or_insert(e);
            }
        });
        assert_eq!(error, None);
        (m.allocated(), m.peak_entries())
    };
    let (short_allocated, short_peak) = peak(0.5);
    let (long_allocated, long_peak) = peak(2.0);
    assert!(long_allocated >= 4 * short_allocated - 4);
    assert!(short_allocated > 4 * MIN_BATCH, "{short_allocated}");
    // 64 cycles of two live at once.
    assert!(long_peak <= 2 * (128 + MIN_BATCH), "{long_peak}");
    assert_eq!(long_peak, short_peak);
}
