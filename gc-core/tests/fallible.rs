//! The null collector and the root table under memory the system refuses
//! (simulated by this binary's allocator, `support/refusing.rs`):
//! `OutOfMemory`, never an abort, nothing changed, the heap usable after.
//! (The reference-counting heap's tests are in gc-refcount and
//! gc-generational, beside their other tests.)

mod support {
    pub mod refusing;
}

use gc_core::tooling::trace::Trace;
use gc_core::{Collector, CollectorExt, GcError, HeapId, Inspect, NullCollector, RootTable};
use support::refusing::{Refusing, replay_with_refusals, with_budget};

#[global_allocator]
static ALLOCATOR: Refusing = Refusing;

const REFUSED: GcError = GcError::OutOfMemory { limit: 0 };

#[test]
fn a_refused_allocation_is_out_of_memory_and_changes_nothing() {
    let mut h = NullCollector::new_default().unwrap();
    let a = h.alloc_node(2, 8).unwrap();
    let before = (h.live_set(), h.stats(), h.root_count());
    let (results, refused) = with_budget(0, 0, || {
        [
            h.alloc_node(3, 0).map(drop),
            h.alloc_atom(1 << 20).map(drop),
            h.alloc_tuple(&[Some(a), None]).map(drop),
        ]
    });
    assert_eq!(results, [Err(REFUSED), Err(REFUSED), Err(REFUSED)]);
    assert_eq!(refused, 3);
    assert_eq!((h.live_set(), h.stats(), h.root_count()), before);
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
    let mut t: RootTable<u32> = RootTable::new(HeapId::fresh());
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
    let trace = Trace::parse(&full).unwrap();
    let refusals = replay_with_refusals(
        NullCollector::new_default().unwrap(),
        NullCollector::new_default().unwrap(),
        &trace,
        &[0, 1, 2, 3],
    )
    .unwrap();
    assert!(refusals > 20, "{refusals} refused");
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
