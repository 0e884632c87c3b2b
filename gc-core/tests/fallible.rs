//! The null collector, the root table, the event log, the embedding layer
//! and the checkers' answers under memory the system refuses (simulated by
//! this binary's allocator, `support/refusing.rs`): `OutOfMemory`, never an
//! abort, nothing changed, the heap usable after.
//! (The reference-counting heap's tests are in gc-refcount and
//! gc-generational, beside their other tests.)

mod support {
    pub mod refusing;
}

use gc_core::tooling::trace::Trace;
use gc_core::{
    Collector, CollectorExt, Embedding, Event, EventLog, GcError, HeapId, Inspect, NullCollector,
    ObjectId, RootList, RootTable,
};
use support::refusing::{
    Refusing, refusing_all, replay_events_with_refusals, replay_with_refusals, with_budget,
};

#[global_allocator]
static ALLOCATOR: Refusing = Refusing;

const REFUSED: GcError = GcError::OutOfMemory { limit: 0 };

#[test]
fn a_refused_allocation_is_out_of_memory_and_changes_nothing() {
    let mut h = NullCollector::new_default().unwrap();
    let a = h.alloc_node(2, 8).unwrap();
    let before = (h.live_set().unwrap(), h.stats(), h.root_count());
    let (results, refused) = with_budget(0, 0, || {
        [
            h.alloc_node(3, 0).map(drop),
            h.alloc_atom(1 << 20).map(drop),
            h.alloc_tuple(&[Some(a), None]).map(drop),
        ]
    });
    assert_eq!(results, [Err(REFUSED), Err(REFUSED), Err(REFUSED)]);
    assert_eq!(refused, 3);
    assert_eq!((h.live_set().unwrap(), h.stats(), h.root_count()), before);
    // With memory, and with memory for some parts only.
    for budget in 0..4 {
        let _ = with_budget(budget, u64::MAX, || h.alloc_node(3, 4));
    }
    let b = h.alloc_atom(4).unwrap();
    h.set_slot(a, 1, Some(b)).unwrap();
    let got = h.slot(a, 1).unwrap().unwrap();
    assert!(h.same_object(got, b).unwrap());
    for x in [a, b, got] {
        h.release(x).unwrap();
    }
}

#[test]
fn a_root_the_table_has_no_room_for_is_refused() {
    let mut h = NullCollector::new_default().unwrap();
    let a = h.alloc_node(1, 0).unwrap();
    h.set_slot(a, 0, Some(a)).unwrap();
    let w = h.weak(a, false).unwrap();
    let mut clones = Vec::new();
    let refused = loop {
        match with_budget(0, 0, || h.clone_handle(a)).0 {
            Ok(c) => clones.push(c),
            Err(e) => break e,
        }
    };
    assert_eq!(refused, REFUSED);
    let roots = h.root_count();
    let (results, _) = with_budget(0, 0, || [h.slot(a, 0).map(drop), h.upgrade(w).map(drop)]);
    assert_eq!(results, [Err(REFUSED), Err(REFUSED)]);
    assert_eq!(h.root_count(), roots);
    // Releasing never allocates.
    let (released, refused) = with_budget(0, 0, || clones.drain(..).try_for_each(|c| h.release(c)));
    assert_eq!((released, refused), (Ok(()), 0));
    assert!(h.upgrade(w).unwrap().is_some_and(|x| h.release(x).is_ok()));
    h.release(a).unwrap();
    h.release_weak(w).unwrap();
}

#[test]
fn the_root_table_reserves_or_refuses() {
    let mut t: RootTable<u32> = RootTable::new(HeapId::fresh().unwrap());
    assert_eq!(with_budget(0, 0, || t.try_insert(1)).0, Err(REFUSED));
    assert!(t.is_empty());
    t.try_reserve(8).unwrap();
    // Reserved: eight inserts and their removals allocate nothing.
    let hs = with_budget(0, 0, || {
        let mut hs = [None; 8];
        for (i, slot) in hs.iter_mut().enumerate() {
            *slot = Some(t.try_insert(i as u32)?);
        }
        Ok::<_, GcError>(hs)
    });
    assert_eq!(hs.1, 0);
    let hs = hs.0.unwrap();
    let (removed, refused) = with_budget(0, 0, || {
        hs.into_iter()
            .flatten()
            .try_for_each(|h| t.remove(h).map(drop))
    });
    assert_eq!((removed, refused), (Ok(()), 0));
    assert!(t.is_empty());
}

/// A trace whose every operation is refused memory from its first, second,
/// … allocation on, beside one never refused: the same heap after each.
#[test]
fn every_operation_refused_then_retried_changes_nothing() {
    let trace = mixed_trace();
    let refusals = replay_with_refusals(
        NullCollector::new_default().unwrap(),
        NullCollector::new_default().unwrap(),
        &trace,
        &[0, 1, 2, 3],
    )
    .unwrap();
    assert!(refusals > 20, "{refusals} refused");
}

/// The same with events recorded: each line's events are the run's that
/// was never refused, or the line says it lost them.
#[test]
fn events_are_all_there_or_reported_lost() {
    let trace = mixed_trace();
    let (refusals, losses) = replay_events_with_refusals(
        NullCollector::new_default().unwrap(),
        NullCollector::new_default().unwrap(),
        &trace,
        // Nothing at all: the log's first event is refused (it keeps its
        // room after a drain, so later ones may fit).
        &[0],
    )
    .unwrap();
    assert!(refusals > 20, "{refusals} refused");
    assert!(losses > 0, "no event lost");
}

/// Operations of every kind on nine registers, with collections.
fn mixed_trace() -> Trace {
    let mut text = String::from("gctrace 1\n");
    for i in 0..200 {
        let r = i % 9;
        text += &match i % 8 {
            0 => format!("new r{r} node {} {}\n", i % 5, i % 300),
            1 => format!("new r{r} atom {}\n", i * 7 % 100),
            2 => format!("new r{r} tuple r{} nil r{}\n", (r + 1) % 9, (r + 4) % 9),
            3 => format!("mov r{} r{r}\n", (r + 2) % 9),
            4 => format!("weak w{} r{r}\n", r % 3),
            5 => format!("wget r{} w{}\n", (r + 5) % 9, r % 3),
            6 => format!("fin r{r} resurrect\n"),
            _ => "collect\nunsave\n".to_owned(),
        };
    }
    // Registers that may be empty get an object first.
    let mut full = String::from("gctrace 1\n");
    for r in 0..9 {
        full += &format!("new r{r} node 3 1\n");
    }
    full += "weak w0 r0\nweak w1 r1\nweak w2 r2\n";
    full += text.trim_start_matches("gctrace 1\n");
    Trace::parse(&full).unwrap()
}

/// A node that grows needs a new box: refused, `OutOfMemory`, the node as
/// it was.
#[test]
fn a_refused_resize_changes_nothing() {
    let mut h = NullCollector::new_default().unwrap();
    let a = h.alloc_node(2, 0).unwrap();
    h.set_slot(a, 1, Some(a)).unwrap();
    assert_eq!(with_budget(0, 0, || h.resize(a, 50)).0, Err(REFUSED));
    assert_eq!(h.slot_count(a).unwrap(), 2);
    h.resize(a, 50).unwrap();
    let got = h.slot(a, 1).unwrap().unwrap();
    assert!(h.same_object(got, a).unwrap());
    for x in [a, got] {
        h.release(x).unwrap();
    }
}

fn collect_event(n: u64) -> Event {
    let mut h = NullCollector::new_default().unwrap();
    h.record_events(true);
    for _ in 0..n {
        h.collect_full().unwrap();
    }
    let mut events = Vec::new();
    h.drain_events(&mut events).unwrap();
    events.pop().unwrap()
}

/// An event the log has no room for is lost, and so is every later one
/// until the drain, which says so and hands out nothing; then the log
/// records again.
#[test]
fn the_event_log_reports_what_it_lost() {
    let e = collect_event(1);
    let mut log = EventLog::default();
    log.set_recording(true);
    let ((), refused) = with_budget(0, 0, || log.push(e));
    assert_eq!((refused, log.lost()), (1, 1));
    log.push(e);
    assert_eq!(log.lost(), 2);
    let mut out = vec![e];
    assert_eq!(log.drain_into(&mut out), Err(REFUSED));
    assert_eq!(out, [e]);
    log.push(e);
    log.push(e);
    assert_eq!(log.drain_into(&mut out), Ok(()));
    assert_eq!(out, [e, e, e]);
    // Room in `out` refused: nothing moves, a later drain has it all.
    log.push(e);
    let mut out = Vec::new();
    assert_eq!(
        with_budget(0, 0, || log.drain_into(&mut out)).0,
        Err(REFUSED)
    );
    assert!(out.is_empty());
    assert_eq!(log.drain_into(&mut out), Ok(()));
    assert_eq!(out, [e]);
    // Turning recording off forgets a loss.
    let _ = with_budget(0, 0, || log.push(e));
    log.set_recording(false);
    log.set_recording(true);
    assert_eq!(log.drain_into(&mut out), Ok(()));
}

/// A heap whose making is refused memory at its first, second … allocation
/// is `OutOfMemory` (its release queue included), never an abort.
#[test]
fn making_a_heap_is_refused_cleanly() {
    let mut refused = 0;
    for k in 0..64 {
        match with_budget(k, u64::MAX, NullCollector::new_default).0 {
            Ok(mut h) => {
                // Usable, with its embedding layer.
                let n = h
                    .scope(|s| {
                        let a = s.node(1, 0)?;
                        let r = s.root(a)?;
                        drop(r);
                        s.collect(gc_core::Generation::FULL)
                    })
                    .unwrap();
                assert_eq!(n, 0);
                assert!(refused > 0, "making a heap allocates");
                return;
            }
            Err(e) => {
                assert_eq!(e, REFUSED);
                refused += 1;
            }
        }
    }
    panic!("never made");
}

/// What a heap's embedding layer shows: roots held, roots the embedder
/// holds, objects allocated.
fn embedding_state(h: &NullCollector) -> (usize, usize, u64) {
    (h.root_count(), h.outstanding_roots(), h.stats().allocated)
}

/// Every scope operation refused from its first, second … allocation on:
/// `OutOfMemory` and nothing changed, or done; dropped roots go back
/// without allocating; the scope's end releases every local.
#[test]
fn scope_operations_refused_change_nothing() {
    let mut h = NullCollector::new_default().unwrap();
    let base = embedding_state(&h);
    let mut refusals = 0;
    for k in 0..4 {
        h.scope(|s| {
            let a = s.node(2, 0).unwrap();
            let w0 = s.weak(a, false).unwrap();
            let r0 = s.root(a).unwrap();
            // Enough operations that the local stack and the release
            // queue fill up and must grow under the budget.
            for i in 0..200 {
                let before = embedding_state(s.heap_ref());
                let result = with_budget(k, u64::MAX, || match i % 9 {
                    0 => s.node(1, 8).map(drop),
                    1 => s.atom(b"xyz").map(drop),
                    2 => s.tuple(&[Some(a), None]).map(drop),
                    3 => s.get(a, 0).map(drop),
                    4 => s.local(&r0).map(drop),
                    5 => s.upgrade(&w0).map(drop),
                    6 => s.root(a).map(std::mem::forget),
                    7 => s.weak(a, true).map(std::mem::forget),
                    _ => s.child(|c| c.node(0, 0)).map(drop),
                })
                .0;
                if let Err(e) = result {
                    assert_eq!(e, REFUSED, "operation {i}");
                    assert_eq!(embedding_state(s.heap_ref()), before, "operation {i}");
                    refusals += 1;
                }
            }
            // Roots made now drop without allocating, and their handles
            // go back without allocating either.
            let roots: Vec<_> = (0..50).map(|_| s.root(a).unwrap()).collect();
            let weaks: Vec<_> = (0..50).map(|_| s.weak(a, false).unwrap()).collect();
            refusing_all(|| {
                drop(roots);
                drop(weaks);
                drop(r0);
                drop(w0);
            });
            assert_eq!(s.heap_ref().dropped_roots_now(), 51);
        });
        refusing_all(|| h.flush());
    }
    assert!(refusals > 50, "{refusals} refused");
    // Only the roots leaked on purpose (`mem::forget`) are still held.
    let (roots, _, _) = embedding_state(&h);
    assert!(roots > base.0);
}

trait DroppedNow {
    fn dropped_roots_now(&self) -> usize;
}

impl DroppedNow for NullCollector {
    fn dropped_roots_now(&self) -> usize {
        self.embed_state_ref().dropped_roots()
    }
}

/// A raw root adopted into a scope whose stack cannot grow is released,
/// not leaked.
#[test]
fn an_adopted_root_refused_is_released() {
    let mut h = NullCollector::new_default().unwrap();
    let a = h.alloc_node(0, 0).unwrap();
    let roots = h.root_count();
    let raw = h.clone_handle(a).unwrap();
    let refused = h.scope(|s| {
        // Fill the stack to its capacity, then adopt under no memory.
        loop {
            let extra = s.heap().clone_handle(a).unwrap();
            match with_budget(0, 0, || s.adopt(extra)).0 {
                Ok(_) => continue,
                Err(e) => break (e, s.adopt(raw).is_ok()),
            }
        }
    });
    assert_eq!(refused, (REFUSED, true));
    assert_eq!(h.root_count(), roots);
    h.release(a).unwrap();
}

/// The checkers' answers, refused memory: `OutOfMemory`, then the same
/// answer as ever with memory.
#[test]
fn inspect_answers_are_refused_cleanly() {
    let mut h = NullCollector::new_default().unwrap();
    let hs: Vec<_> = (0..10).map(|_| h.alloc_node(0, 0).unwrap()).collect();
    let live: Vec<ObjectId> = (0..10).map(ObjectId).collect();
    let (answers, _) = with_budget(0, 0, || (h.live_objects(), h.live_set()));
    assert_eq!(answers, (Err(REFUSED), Err(REFUSED)));
    assert_eq!(h.live_set(), Ok(live.clone()));
    assert_eq!(h.live_objects(), Ok(live));
    assert_eq!(
        with_budget(0, 0, || h.root_list(RootList::Saved)).0,
        Ok(vec![])
    );
    for x in hs {
        h.release(x).unwrap();
    }
}

/// A loan the thread's stack of loans has no room for: the call runs with
/// nothing lent (a finalizer due then waits), and the next loan works.
#[test]
fn a_loan_refused_runs_the_call_with_nothing_lent() {
    std::thread::spawn(|| {
        let mut state = 7u32;
        // The thread's stack of loans is empty and has no room yet.
        let (seen, refused) = with_budget(0, 0, || {
            gc_core::embed::lend(&mut state, || {
                gc_core::embed::with_lent(|x: &mut u32| *x).is_none()
            })
        });
        assert!(seen, "nothing lent");
        assert_eq!(refused, 1);
        let seen = gc_core::embed::lend(&mut state, || gc_core::embed::with_lent(|x: &mut u32| *x));
        assert_eq!(seen, Some(7));
    })
    .join()
    .unwrap();
}
