//! Memory the system refuses (simulated by this binary's allocator, see
//! `gc-core/tests/support/refusing.rs`) is `OutOfMemory`, never an abort:
//! a refused operation changes nothing and can be retried, and freeing —
//! the release cascade with its trashcan, finalizers that resurrect or run
//! the hook, weak callbacks — allocates nothing, so it cannot fail.

#[path = "../../gc-core/tests/support/refusing.rs"]
mod refusing;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gc_core::tooling::testing::{Profile, arb_trace};
use gc_core::tooling::trace::Trace;
use gc_core::{
    Collector, CollectorExt, Finalize, Finalizer, GcError, Handle, Inspect, Local, ObjectId,
    RootList, Scope,
};
use gc_core::{Embedding, Generation};
use gc_refcount::RefCount;
use proptest::prelude::*;
use refusing::{
    Refusing, refusing_all, replay_events_with_refusals, replay_with_refusals, with_budget,
};

#[global_allocator]
static ALLOCATOR: Refusing = Refusing;

const REFUSED: GcError = GcError::OutOfMemory { limit: 0 };

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 200 },
        max_shrink_iters: 1000,
        ..ProptestConfig::default()
    })]

    /// Every operation of random traces, refused memory from its first,
    /// second, … allocation on: `OutOfMemory`, and the same heap as a run
    /// that was never refused once it is retried.
    #[test]
    fn a_refused_operation_changes_nothing(
        trace in arb_trace(if cfg!(miri) { 30 } else { 300 }, Profile::WithControls)
    ) {
        let budgets = [0, 1, 2, 3, 5, 8];
        let r = replay_with_refusals(
            RefCount::new_default().unwrap(),
            RefCount::new_default().unwrap(),
            &trace,
            &budgets,
        );
        match r {
            Ok(refusals) => prop_assert!(refusals > 0, "nothing was refused"),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    /// The same with events recorded: every line's events are those of the
    /// run never refused, or the line says they were lost.
    #[test]
    fn events_are_all_there_or_reported_lost(
        trace in arb_trace(if cfg!(miri) { 30 } else { 300 }, Profile::WithControls)
    ) {
        let r = replay_events_with_refusals(
            RefCount::new_default().unwrap(),
            RefCount::new_default().unwrap(),
            &trace,
            &[0, 1, 2, 3, 5, 8],
        );
        if let Err(e) = r {
            prop_assert!(false, "{e}");
        }
    }
}

/// Chains of objects with finalizers, each with a weak callback on its
/// tail, dropped whole: each drop's events come in a burst the event log
/// grows for. Refused memory: a line's events are those of a run never
/// refused, or the line says it lost them; the heap is the same either way,
/// and later lines' events are whole again.
#[test]
fn bursts_of_events_are_all_there_or_reported_lost() {
    let mut text = String::from("gctrace 1\n");
    for i in 0..120 {
        text += "new r0 node 1 0\nfin r0\nweak w0 r0 cb\n";
        for _ in 0..(i % 16) {
            text += "new r1 node 1 0\nfin r1\nset r1.0 r0\nmov r0 r1\ndel r1\n";
        }
        text += "del r0\n";
        if i % 5 == 0 {
            text += "collect\n";
        }
    }
    let trace = Trace::parse(&text).unwrap();
    let (refusals, losses) = replay_events_with_refusals(
        RefCount::new_default().unwrap(),
        RefCount::new_default().unwrap(),
        &trace,
        &[0, 1, 2, 3, 5, 8, 0, 0],
    )
    .unwrap();
    assert!(refusals > 0, "nothing refused");
    assert!(losses > 0, "no event lost");
}

/// A heap whose making is refused memory at its first, second …
/// allocation is `OutOfMemory`, never an abort.
#[test]
fn making_a_heap_is_refused_cleanly() {
    let made = (0..256).find_map(
        |k| match with_budget(k, u64::MAX, RefCount::new_default).0 {
            Ok(h) => Some((k, h)),
            Err(e) => {
                assert_eq!(e, REFUSED);
                None
            }
        },
    );
    let (k, mut h) = made.expect("made with memory");
    assert!(k > 0);
    let a = h.alloc_node(0, 0).unwrap();
    h.release(a).unwrap();
}

/// A hook whose local the system refuses memory for does not run then: its
/// object waits, rooted, and the hook runs on it, intact, at the next
/// operation that has the memory. Nothing is lost, nothing runs twice.
#[test]
fn a_hook_refused_its_local_waits() {
    let mut h = RefCount::new_default().unwrap();
    let count = Count::default();
    h.on_finalize(count.clone());
    let x = h.alloc_node(0, 0).unwrap();
    h.set_finalizer(x, Finalizer::Run).unwrap();
    // A new heap's local stack has no room yet: the hook cannot make its
    // local.
    let (released, refused) = with_budget(0, 0, || h.release(x));
    assert_eq!(released, Ok(()));
    assert!(refused > 0);
    assert_eq!(count.0.load(Ordering::Relaxed), 0);
    assert_eq!(h.embed_state_ref().internal_roots(), 1);
    assert_eq!((h.stats().live_objects, h.stats().finalized), (1, 1));
    // Still refused: still waiting.
    with_budget(0, 0, || h.flush());
    assert_eq!(count.0.load(Ordering::Relaxed), 0);
    h.flush();
    assert_eq!(count.0.load(Ordering::Relaxed), 1);
    assert_eq!(h.embed_state_ref().internal_roots(), 0);
    assert_eq!((h.stats().live_objects, h.stats().finalized), (0, 1));
    h.collect(Generation::FULL).unwrap();
    assert_eq!(count.0.load(Ordering::Relaxed), 1);
}

/// Each operation that needs memory (a payload, slots in the arena or a
/// box, a weak reference's registry entry), with none at all, is
/// `OutOfMemory` (with its own message), and nothing changed.
#[test]
fn each_allocating_operation_refused_is_out_of_memory() {
    let mut h = RefCount::new_default().unwrap();
    let a = h.alloc_node(300, 8).unwrap(); // slots in a box of their own
    let before = (h.live_set().unwrap(), h.stats().allocated, h.root_count());
    let (results, refused) = with_budget(0, 0, || {
        [
            h.alloc_atom(1).map(drop),
            h.alloc_node(4, 0).map(drop),
            h.alloc_node(300, 0).map(drop),
            h.alloc_atom(1 << 20).map(drop),
            h.alloc_tuple(&[Some(a), None, None]).map(drop),
            h.weak(a, true).map(drop),
        ]
    });
    assert!(refused >= 6, "every call was refused memory ({refused})");
    for r in results {
        assert_eq!(r, Err(REFUSED));
    }
    assert_eq!(
        REFUSED.to_string(),
        "out of memory: the system refused the allocation"
    );
    assert_eq!(
        (h.live_set().unwrap(), h.stats().allocated, h.root_count()),
        before
    );
    // With memory again, everything works.
    let b = h.alloc_node(4, 0).unwrap();
    h.set_slot(a, 299, Some(b)).unwrap();
    let w = h.weak(b, true).unwrap();
    h.release(b).unwrap();
    h.release(a).unwrap();
    assert_eq!(h.upgrade(w).unwrap(), None);
    assert_eq!(h.stats().weak_callbacks, 1);
    h.release_weak(w).unwrap();
    assert_eq!(h.stats().live_objects, 0);
}

/// New roots (`get`, `mov`, `wget`) need room in the root table: refused,
/// `OutOfMemory`, no count changed.
#[test]
fn a_root_the_table_has_no_room_for_is_refused() {
    let mut h = RefCount::new_default().unwrap();
    let a = h.alloc_node(1, 0).unwrap();
    let b = h.alloc_atom(0).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    let w = h.weak(b, false).unwrap();
    // Fill the table's spare room with clones, refused memory from then on.
    let mut clones = Vec::new();
    let refused = loop {
        match with_budget(0, 0, || h.clone_handle(a)).0 {
            Ok(c) => clones.push(c),
            Err(e) => break e,
        }
    };
    assert_eq!(refused, REFUSED);
    let roots = h.root_count();
    let (results, _) = with_budget(0, 0, || {
        [
            h.slot(a, 0).map(drop),
            h.upgrade(w).map(drop),
            h.clone_handle(b).map(drop),
        ]
    });
    assert_eq!(results, [Err(REFUSED), Err(REFUSED), Err(REFUSED)]);
    assert_eq!(h.root_count(), roots);
    for c in clones {
        h.release(c).unwrap();
    }
    h.release(b).unwrap();
    // `b` is held by `a`'s slot alone: the refused roots left no count.
    h.release(a).unwrap();
    assert_eq!(h.stats().live_objects, 0);
    assert_eq!(h.upgrade(w).unwrap(), None);
    h.release_weak(w).unwrap();
}

/// Counts its runs without allocating.
#[derive(Clone, Default)]
struct Count(Arc<AtomicUsize>);

impl Finalize for Count {
    fn finalize<C: Collector>(&mut self, _: &mut Scope<'_, C>, _: Local<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// A finalizer set while memory is refused is refused (the room its run
/// will need is reserved when it is set): the object then has none.
#[test]
fn a_finalizer_is_refused_when_its_room_is() {
    let mut h = RefCount::new_default().unwrap();
    let count = Count::default();
    h.on_finalize(count.clone());
    let objects: Vec<Handle> = (0..64).map(|_| h.alloc_atom(0).unwrap()).collect();
    let mut set = 0;
    for (i, &o) in objects.iter().enumerate() {
        let f = if i % 2 == 0 {
            Finalizer::Resurrect
        } else {
            Finalizer::Run
        };
        match with_budget(0, 0, || h.set_finalizer(o, f)).0 {
            Ok(()) => set += 1,
            Err(e) => assert_eq!(e, REFUSED),
        }
    }
    assert!(set < 64, "the reserved room ran out");
    for o in objects {
        h.release(o).unwrap();
    }
    assert_eq!(h.stats().finalized, set);
    h.unsave().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}

/// A long chain (past the trashcan's 50 levels, so objects are deposited
/// and freed later), with finalizers that resurrect or run the hook (the
/// cascade waits at each such node until the hook has run), weak
/// references with callbacks and a wide node deep inside: dropped with
/// every allocation refused, it is freed in full, in order, with nothing
/// lost. Then the heap goes on.
#[test]
fn the_release_cascade_allocates_nothing() {
    let mut h = RefCount::new_default().unwrap();
    h.record_events(false);
    let count = Count::default();
    h.on_finalize(count.clone());
    // Warm the hook up once, so that its scope's local stack has room (the
    // embedding layer's, not the heap's).
    let warm = h.alloc_atom(0).unwrap();
    h.set_finalizer(warm, Finalizer::Run).unwrap();
    h.release(warm).unwrap();
    assert_eq!(count.0.load(Ordering::Relaxed), 1);

    let n = 2_000;
    let mut head = h.alloc_node(2, 0).unwrap();
    let mut resurrecting = Vec::new();
    let mut weaks = Vec::new();
    for i in 1..n {
        let next = h.alloc_node(2, 0).unwrap();
        h.set_slot(next, 0, Some(head)).unwrap();
        match i % 7 {
            0 => {
                // A resurrected node would keep the rest of the chain: the
                // finalizer that resurrects is on a leaf.
                let leaf = h.alloc_atom(4).unwrap();
                h.set_finalizer(leaf, Finalizer::Resurrect).unwrap();
                resurrecting.push(h.object_id(leaf).unwrap());
                h.set_slot(next, 1, Some(leaf)).unwrap();
                h.release(leaf).unwrap();
            }
            3 => h.set_finalizer(next, Finalizer::Run).unwrap(),
            5 => weaks.push(h.weak(next, true).unwrap()),
            _ => {}
        }
        if i == 100 {
            // A wide node deep in the chain: its 400 members die at a
            // depth where every one is deposited.
            let wide = h.alloc_node(400, 0).unwrap();
            for k in 0..400 {
                let leaf = h.alloc_node(0, 0).unwrap();
                h.set_slot(wide, k, Some(leaf)).unwrap();
                h.release(leaf).unwrap();
            }
            h.set_slot(next, 1, Some(wide)).unwrap();
            h.release(wide).unwrap();
        }
        h.release(head).unwrap();
        head = next;
    }
    let hooks = (1..n).filter(|i| i % 7 == 3).count();
    refusing_all(|| h.release(head)).unwrap();
    assert_eq!(count.0.load(Ordering::Relaxed), 1 + hooks);
    assert_eq!(h.stats().weak_callbacks, weaks.len() as u64);
    let mut saved = h.root_list(RootList::Saved).unwrap();
    saved.sort();
    assert_eq!(saved, resurrecting);
    let live: Vec<ObjectId> = h.live_set().unwrap().into_iter().collect();
    assert_eq!(live, resurrecting, "only the resurrected are alive");
    for w in weaks {
        assert_eq!(h.upgrade(w).unwrap(), None);
        h.release_weak(w).unwrap();
    }
    h.unsave().unwrap();
    assert_eq!(h.stats().live_objects, 0);
    let again = h.alloc_node(1, 0).unwrap();
    h.release(again).unwrap();
}

/// A node that grows needs new slots: refused, it is `OutOfMemory` and the
/// node keeps its slots and what they hold; with memory it grows. Shrinking
/// into the header's own slots allocates nothing.
#[test]
fn a_refused_resize_changes_nothing() {
    let mut h = RefCount::new_default().unwrap();
    let a = h.alloc_node(3, 0).unwrap();
    let b = h.alloc_atom(0).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    h.release(b).unwrap();
    let before = (h.live_set().unwrap(), h.stats().live_bytes);
    for slots in [5, 300] {
        assert_eq!(with_budget(0, 0, || h.resize(a, slots)).0, Err(REFUSED));
        assert_eq!(h.slot_count(a).unwrap(), 3);
        assert_eq!((h.live_set().unwrap(), h.stats().live_bytes), before);
    }
    h.resize(a, 300).unwrap();
    assert_eq!(h.slot_count(a).unwrap(), 300);
    refusing_all(|| h.resize(a, 1)).unwrap();
    let got = h.slot(a, 0).unwrap().unwrap();
    assert_eq!(h.object_id(got).unwrap(), ObjectId(1));
    h.release(got).unwrap();
    refusing_all(|| h.release(a)).unwrap();
    assert_eq!(h.stats().live_objects, 0);
}
