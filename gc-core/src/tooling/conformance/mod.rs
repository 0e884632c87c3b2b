//! One behaviour suite for every strategy.
//!
//! Each case is a generic function named for the behaviour it checks; a
//! strategy crate runs them all with one line, in `tests/conformance.rs`:
//!
//! ```ignore
//! gc_core::conformance_suite!(gc_generational::Generational);
//! gc_core::conformance_suite!(gc_marksweep::IncMiniMark, no_counts);
//! gc_core::conformance_suite!(gc_refcount::RefCount, leaks_cycles);
//! gc_core::conformance_suite!(gc_core::NullCollector, never_frees);
//! ```
//!
//! A strategy that by design cannot pass some cases says so with its
//! limitation, and runs, in place of each case it cannot pass, a case
//! named for the limitation that asserts it. Nothing is skipped.
//!
//! | limitation | cases replaced | by cases that assert |
//! |---|---|---|
//! | none (counts references and collects cycles) | | |
//! | `no_counts` (tracing only) | `finalizer_hook_runs_at_count_zero` | `finalizer_hook_waits_for_a_collection` |
//! | `leaks_cycles` (counts, no cycle collector) | the cycle cases | `self_cycle_leaks`, `two_node_cycle_leaks`, `weak_reference_to_leaked_cycle_upgrades`, `finalizer_hook_never_runs_on_a_leaked_cycle` |
//! | `never_frees` | everything that frees | the leak cases above, `tree_dropped_is_never_freed`, `deep_chain_is_never_freed`, `nothing_dies`, `live_set_keeps_everything` |
//!
//! A first case, `declared_traits_match_…`, checks that the strategy's
//! [`Traits`](crate::Traits) declare the limitation it was run with, so a
//! strategy cannot pick an easier suite than it claims.

use std::cell::RefCell;

use crate::{
    Collector, CollectorExt, Config, Event, Finalizer, GcError, Generation, Handle, Inspect, Kind,
    ObjectId, ObjectView, WeakHandle,
};

mod embedding;
pub use embedding::*;

fn heap<C: Inspect>() -> C {
    let mut heap = C::with_config(configured::<C>()).expect("the suite's configuration");
    heap.record_events(true);
    heap
}

thread_local! {
    /// The `KEY=VALUE` pairs of the case running on this thread (none:
    /// the default configuration).
    static PAIRS: RefCell<Vec<(&'static str, &'static str)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `case` with every heap it makes configured from `pairs` set on
/// top of the default configuration (what the suite's `config [..]` form
/// runs each case with; no pairs: the default configuration).
pub fn with_pairs(pairs: &[(&'static str, &'static str)], case: fn()) {
    /// Clears the pairs however the case ends.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            PAIRS.with(|p| p.borrow_mut().clear());
        }
    }
    PAIRS.with(|p| *p.borrow_mut() = pairs.to_vec());
    let _reset = Reset;
    case();
}

/// The configuration the cases' heaps are made with: the default, with
/// the pairs of [`with_pairs`] set.
///
/// # Panics
///
/// When the collector refuses one of the pairs.
pub fn configured<C: Collector>() -> C::Config {
    let mut config = C::Config::default();
    PAIRS.with(|p| {
        for (key, value) in p.borrow().iter() {
            if let Err(e) = config.set(key, value) {
                panic!("the suite's configuration {key}={value}: {e}");
            }
        }
    });
    config
}

/// What the strategy under test is (asked of a heap, so that a collector
/// chosen at run time answers for the strategy it holds).
fn traits<C: Inspect>() -> crate::Traits {
    heap::<C>().traits()
}

/// What a strategy run with the suite's full cases must declare: it
/// frees, collects cycles and counts references.
pub fn declared_traits_match_the_suite<C: Inspect>() {
    let t = traits::<C>();
    assert!(
        t.frees_objects && t.collects_cycles && t.reference_counting,
        "{t:?}"
    );
}

/// What a strategy run with `no_counts` must declare: it frees and
/// collects cycles, but only by tracing.
pub fn declared_traits_match_no_counts<C: Inspect>() {
    let t = traits::<C>();
    assert!(
        t.frees_objects && t.collects_cycles && !t.reference_counting,
        "{t:?}"
    );
}

/// What a strategy run with `leaks_cycles` must declare: it counts
/// references and has no cycle collector.
pub fn declared_traits_match_leaks_cycles<C: Inspect>() {
    let t = traits::<C>();
    assert!(
        t.frees_objects && !t.collects_cycles && t.reference_counting,
        "{t:?}"
    );
}

/// What a strategy run with `never_frees` must declare.
pub fn declared_traits_match_never_frees<C: Inspect>() {
    let t = traits::<C>();
    assert!(!t.frees_objects && !t.collects_cycles, "{t:?}");
}

/// Full collections enough for any strategy to finish its finalizers: one
/// for most, more for those that free finalized objects later.
fn collect_until_settled<C: Inspect>(h: &mut C) {
    let rounds = if traits::<C>().frees_finalized_later {
        4
    } else {
        1
    };
    for _ in 0..rounds {
        h.collect_full().expect("collect");
    }
}

fn live<C: Inspect>(h: &C) -> u64 {
    h.stats().live_objects
}

fn drained<C: Inspect>(h: &mut C) -> Vec<Event> {
    let mut v = Vec::new();
    h.drain_events(&mut v).unwrap();
    v
}

/// A node whose only slot points at itself, dropped; returns the heap
/// after a full collection.
fn dropped_self_cycle<C: Inspect>() -> C {
    let mut h = heap::<C>();
    let a = h.alloc_node(1, 8).unwrap();
    h.set_slot(a, 0, Some(a)).unwrap();
    h.release(a).unwrap();
    assert_eq!(live(&h), 1, "the cycle keeps itself alive until collected");
    h.collect_full().unwrap();
    h
}

/// A node whose only slot points at itself, dropped, is collected.
pub fn self_cycle<C: Inspect>() {
    assert_eq!(live(&dropped_self_cycle::<C>()), 0);
}

/// Limitation: a strategy that does not collect cycles leaks a dropped
/// self-cycle (it is still alive, and counted, after a full collection).
pub fn self_cycle_leaks<C: Inspect>() {
    let h = dropped_self_cycle::<C>();
    assert_eq!(live(&h), 1);
    assert_eq!(h.live_objects().unwrap().len(), 1);
}

/// The seed's two nodes pointing at each other, both with finalizers,
/// dropped; returns the heap once collections have settled.
fn dropped_two_node_cycle<C: Inspect>() -> C {
    let mut h = heap::<C>();
    let a = h.alloc_node(1, 16).unwrap();
    let b = h.alloc_node(1, 16).unwrap();
    h.set_finalizer(a, Finalizer::Notify).unwrap();
    h.set_finalizer(b, Finalizer::Notify).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    h.set_slot(b, 0, Some(a)).unwrap();
    h.release(a).unwrap();
    h.release(b).unwrap();
    assert_eq!(live(&h), 2);
    collect_until_settled(&mut h);
    h
}

/// The seed's two nodes pointing at each other, both with finalizers, are
/// finalized and freed.
pub fn two_node_cycle<C: Inspect>() {
    let h = dropped_two_node_cycle::<C>();
    assert_eq!(live(&h), 0);
    assert_eq!(h.stats().finalized, 2);
    assert_eq!(h.stats().live_bytes, 0);
}

/// Limitation: without cycle collection the two nodes stay alive and are
/// never finalized.
pub fn two_node_cycle_leaks<C: Inspect>() {
    let h = dropped_two_node_cycle::<C>();
    assert_eq!((live(&h), h.stats().finalized), (2, 0));
}

fn build_tree<C: Inspect>(h: &mut C, depth: u32) -> Handle {
    let node = h.alloc_node(2, 0).unwrap();
    if depth > 0 {
        for i in 0..2 {
            let child = build_tree(h, depth - 1);
            h.set_slot(node, i, Some(child)).unwrap();
            h.release(child).unwrap();
        }
    }
    node
}

/// The depth of [`dropped_tree`] (12: 8191 nodes; under Miri, where every
/// operation is interpreted, 8: 511).
const TREE_DEPTH: u32 = if cfg!(miri) { 8 } else { 12 };

/// Nodes in [`dropped_tree`].
const TREE_NODES: u64 = (1 << (TREE_DEPTH + 1)) - 1;

/// A complete binary tree of [`TREE_NODES`] nodes, dropped by its root,
/// after a full collection.
fn dropped_tree<C: Inspect>() -> C {
    let mut h = heap::<C>();
    let root = build_tree(&mut h, TREE_DEPTH);
    assert_eq!(live(&h), TREE_NODES);
    h.release(root).unwrap();
    h.collect_full().unwrap();
    h
}

/// A complete binary tree of 8191 nodes (511 under Miri), dropped by its
/// root, is freed.
pub fn tree_dropped<C: Inspect>() {
    assert_eq!(live(&dropped_tree::<C>()), 0);
}

/// Limitation: a strategy that never frees keeps a dropped tree, all of it.
pub fn tree_dropped_is_never_freed<C: Inspect>() {
    assert_eq!(live(&dropped_tree::<C>()), TREE_NODES);
}

/// Objects in [`dropped_deep_chain`].
const CHAIN: u64 = if cfg!(miri) { 200 } else { 200_000 };

/// A 200,000-long linked list, kept through a minor collection, then
/// dropped by its head and collected.
fn dropped_deep_chain<C: Inspect>() -> C {
    let mut h = heap::<C>();
    let n = CHAIN;
    let mut head = h.alloc_node(1, 0).unwrap();
    for _ in 1..n {
        let next = h.alloc_node(1, 0).unwrap();
        h.set_slot(next, 0, Some(head)).unwrap();
        h.release(head).unwrap();
        head = next;
    }
    assert_eq!(live(&h), n);
    h.collect(Generation::YOUNGEST).unwrap();
    assert_eq!(live(&h), n, "the chain is reachable");
    h.release(head).unwrap();
    h.collect_full().unwrap();
    h
}

/// A 200,000-long linked list, dropped by its head, is freed: no
/// recursion anywhere.
pub fn deep_chain<C: Inspect>() {
    assert_eq!(live(&dropped_deep_chain::<C>()), 0);
}

/// Limitation: a strategy that never frees keeps a dropped chain.
pub fn deep_chain_is_never_freed<C: Inspect>() {
    assert_eq!(live(&dropped_deep_chain::<C>()), CHAIN);
}

/// A resurrecting finalizer runs once, however often the object dies.
pub fn finalizer_runs_once<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(0, 0).unwrap();
    let id = h.object_id(a).unwrap();
    h.set_finalizer(a, Finalizer::Resurrect).unwrap();
    h.release(a).unwrap();
    collect_until_settled(&mut h);
    assert_eq!(h.stats().finalized, 1);
    assert_eq!(h.stats().saved, 1);
    let finalized: Vec<_> = drained(&mut h)
        .into_iter()
        .filter_map(|e| match e {
            Event::Finalize { object } => Some(object),
            _ => None,
        })
        .collect();
    assert_eq!(finalized, vec![id]);
    h.unsave().unwrap();
    collect_until_settled(&mut h);
    assert_eq!(h.stats().finalized, 1, "PEP 442: at most once per object");
    assert_eq!(live(&h), 0);
}

/// A resurrected object keeps what it references alive.
pub fn resurrection_keeps_referents<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(1, 0).unwrap();
    let b = h.alloc_node(0, 4).unwrap();
    let b_id = h.object_id(b).unwrap();
    h.payload_mut(b).unwrap().copy_from_slice(&[1, 2, 3, 4]);
    h.set_slot(a, 0, Some(b)).unwrap();
    h.set_finalizer(a, Finalizer::Resurrect).unwrap();
    h.release(b).unwrap();
    h.release(a).unwrap();
    collect_until_settled(&mut h);
    assert_eq!(live(&h), 2);
    let saved = h.take_saved();
    assert_eq!(saved.len(), 1);
    let b = h.slot(saved[0], 0).unwrap().expect("b survives");
    assert_eq!(h.object_id(b).unwrap(), b_id);
    assert_eq!(h.payload(b).unwrap(), &[1, 2, 3, 4]);
}

/// A weak reference to a dead object upgrades to nothing.
pub fn weak_reference_cleared<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(0, 0).unwrap();
    let w = h.weak(a, false).unwrap();
    h.release(a).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.upgrade(w).unwrap(), None);
}

/// Limitation: a strategy that never frees never finalizes, never clears
/// a weak reference and never runs its callback, whatever dies.
pub fn nothing_dies<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(0, 0).unwrap();
    let b = h.alloc_node(0, 0).unwrap();
    h.set_finalizer(a, Finalizer::Notify).unwrap();
    h.set_finalizer(b, Finalizer::Resurrect).unwrap();
    let wa = h.weak(a, true).unwrap();
    let wb = h.weak(b, false).unwrap();
    h.release(a).unwrap();
    h.release(b).unwrap();
    collect_until_settled(&mut h);
    let s = h.stats();
    assert_eq!((s.finalized, s.saved, s.weak_callbacks), (0, 0, 0));
    assert!(
        drained(&mut h)
            .iter()
            .all(|e| matches!(e, Event::Collect(_)))
    );
    for w in [wa, wb] {
        let got = h.upgrade(w).unwrap().expect("the referent lives");
        h.release(got).unwrap();
    }
    assert_eq!(live(&h), 2);
}

/// A weak reference with a callback reports its referent's death, once.
pub fn weak_callback<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(1, 0).unwrap();
    h.set_slot(a, 0, Some(a)).unwrap();
    let a_id = h.object_id(a).unwrap();
    let w = h.weak(a, true).unwrap();
    let w_id = h.weak_id(w).unwrap();
    h.set_slot(a, 0, None).unwrap();
    h.release(a).unwrap();
    collect_until_settled(&mut h);
    let callbacks: Vec<_> = drained(&mut h)
        .into_iter()
        .filter(|e| matches!(e, Event::WeakCallback { .. }))
        .collect();
    assert_eq!(
        callbacks,
        vec![Event::WeakCallback {
            weak: w_id,
            object: a_id
        }]
    );
    assert_eq!(h.stats().weak_callbacks, 1);
    assert_eq!(h.upgrade(w).unwrap(), None);
}

/// A dropped self-cycle with a weak reference to it, after a full
/// collection.
fn weak_to_dropped_cycle<C: Inspect>() -> (C, WeakHandle) {
    let mut h = heap::<C>();
    let a = h.alloc_node(1, 0).unwrap();
    h.set_slot(a, 0, Some(a)).unwrap();
    let w = h.weak(a, false).unwrap();
    h.release(a).unwrap();
    h.collect_full().unwrap();
    (h, w)
}

/// A weak reference to a cycle is cleared when the cycle is collected.
pub fn weak_reference_to_cycle<C: Inspect>() {
    let (mut h, w) = weak_to_dropped_cycle::<C>();
    assert_eq!(h.upgrade(w).unwrap(), None);
}

/// Limitation: without cycle collection a weak reference to a dropped
/// cycle still upgrades.
pub fn weak_reference_to_leaked_cycle_upgrades<C: Inspect>() {
    let (mut h, w) = weak_to_dropped_cycle::<C>();
    assert!(h.upgrade(w).unwrap().is_some());
}

/// A weak reference to a live object upgrades to that object, across
/// collections.
pub fn weak_to_live_object<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(0, 0).unwrap();
    let w = h.weak(a, true).unwrap();
    for g in [Generation::YOUNGEST, Generation::MIDDLE, Generation::FULL] {
        h.collect(g).unwrap();
        let again = h.upgrade(w).unwrap().expect("alive");
        assert!(h.same_object(a, again).unwrap());
        h.release(again).unwrap();
    }
    h.release_weak(w).unwrap();
    assert_eq!(h.upgrade(w), Err(GcError::StaleHandle));
}

#[track_caller]
fn assert_stale<T: std::fmt::Debug>(r: Result<T, GcError>) {
    assert!(
        matches!(r, Err(GcError::StaleHandle)),
        "expected StaleHandle, got {r:?}"
    );
}

/// Every method refuses a released handle with an error.
pub fn stale_handle_error<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(1, 4).unwrap();
    let keep = h.clone_handle(a).unwrap();
    let w = h.weak(a, false).unwrap();
    h.release(a).unwrap();
    assert_stale(h.release(a));
    assert_stale(h.clone_handle(a));
    assert_stale(h.slot(a, 0));
    assert_stale(h.set_slot(a, 0, None));
    assert_stale(h.set_slot(keep, 0, Some(a)));
    assert_stale(h.kind(a));
    assert_stale(h.slot_count(a));
    assert_stale(h.payload(a).map(<[u8]>::len));
    assert_stale(h.payload_mut(a).map(|p| p.len()));
    assert_stale(h.object_id(a));
    assert_stale(h.set_finalizer(a, Finalizer::Notify));
    assert_stale(h.weak(a, false));
    assert_stale(h.alloc_tuple(&[Some(a)]));
    h.release_weak(w).unwrap();
    assert_stale(h.upgrade(w));
    assert_stale(h.weak_id(w));
    assert_stale(h.release_weak(w));
    // The object itself is untouched: `keep` still works.
    assert_eq!(h.kind(keep), Ok(Kind::Node));
}

/// A handle from another heap is refused.
pub fn foreign_handle_error<C: Inspect>() {
    let mut h1 = heap::<C>();
    let mut h2 = heap::<C>();
    let a = h1.alloc_node(1, 0).unwrap();
    let b = h2.alloc_node(1, 0).unwrap();
    assert_eq!(h2.kind(a), Err(GcError::ForeignHandle));
    assert_eq!(h2.set_slot(b, 0, Some(a)), Err(GcError::ForeignHandle));
    assert_eq!(h2.release(a), Err(GcError::ForeignHandle));
    assert_eq!(h1.kind(a), Ok(Kind::Node));
}

/// Slot indices are checked.
pub fn slot_out_of_range<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(2, 0).unwrap();
    let atom = h.alloc_atom(3).unwrap();
    assert!(matches!(
        h.slot(a, 2),
        Err(GcError::SlotOutOfRange {
            index: 2,
            len: 2,
            ..
        })
    ));
    assert!(matches!(
        h.set_slot(a, 9, None),
        Err(GcError::SlotOutOfRange {
            index: 9,
            len: 2,
            ..
        })
    ));
    assert!(matches!(
        h.slot(atom, 0),
        Err(GcError::SlotOutOfRange { len: 0, .. })
    ));
    assert_eq!(h.slot(a, 1), Ok(None));
}

/// Tuples and atoms cannot be written.
pub fn tuple_and_atom_are_immutable<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(0, 0).unwrap();
    let t = h.alloc_tuple(&[Some(a), None]).unwrap();
    let atom = h.alloc_atom(1).unwrap();
    assert_eq!(h.set_slot(t, 0, None), Err(GcError::Immutable(Kind::Tuple)));
    assert_eq!(
        h.set_slot(atom, 0, None),
        Err(GcError::Immutable(Kind::Atom))
    );
    assert_eq!(h.kind(t), Ok(Kind::Tuple));
    assert_eq!(h.slot_count(t), Ok(2));
}

/// A tuple keeps its members alive.
pub fn tuple_keeps_members_alive<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h.alloc_node(0, 0).unwrap();
    let a_id = h.object_id(a).unwrap();
    let t = h.alloc_tuple(&[None, Some(a)]).unwrap();
    h.release(a).unwrap();
    h.collect_full().unwrap();
    let a = h.slot(t, 1).unwrap().expect("member alive");
    assert_eq!(h.object_id(a).unwrap(), a_id);
    assert_eq!(h.slot(t, 0).unwrap(), None);
}

/// Handles, slots and payloads survive collections of every generation
/// (objects may move underneath).
pub fn handles_survive_collections<C: Inspect>() {
    let mut h = heap::<C>();
    let n = if cfg!(miri) { 50 } else { 2000 };
    let mut ids = Vec::new();
    let mut head: Option<Handle> = None;
    for i in 0..n {
        let node = h.alloc_node(1, 2).unwrap();
        h.payload_mut(node)
            .unwrap()
            .copy_from_slice(&[(i % 251) as u8, 7]);
        h.set_slot(node, 0, head).unwrap();
        if let Some(old) = head {
            h.release(old).unwrap();
        }
        ids.push(h.object_id(node).unwrap());
        head = Some(node);
        if i % 97 == 0 {
            h.collect(Generation::YOUNGEST).unwrap();
        }
    }
    for g in [Generation::YOUNGEST, Generation::MIDDLE, Generation::FULL] {
        h.collect(g).unwrap();
    }
    let mut cursor = head;
    let mut i = n;
    while let Some(node) = cursor {
        i -= 1;
        assert_eq!(h.object_id(node).unwrap(), ids[i]);
        assert_eq!(h.payload(node).unwrap(), &[(i % 251) as u8, 7]);
        cursor = h.slot(node, 0).unwrap();
        h.release(node).unwrap();
    }
    assert_eq!(i, 0);
}

/// 300 nodes, one in three kept, after a full collection; and the kept.
fn one_in_three_kept<C: Inspect>() -> (C, Vec<Handle>) {
    let mut h = heap::<C>();
    let mut keep = Vec::new();
    for i in 0..300 {
        let a = h.alloc_node(1, i % 5).unwrap();
        if i % 3 == 0 {
            keep.push(a);
        } else {
            h.release(a).unwrap();
        }
    }
    h.collect_full().unwrap();
    assert_eq!(h.live_objects().unwrap().len() as u64, live(&h));
    (h, keep)
}

/// The live count matches the live set, and freed objects leave it.
pub fn live_count_matches_live_set<C: Inspect>() {
    let (h, keep) = one_in_three_kept::<C>();
    assert_eq!(live(&h), 100);
    let mut kept: Vec<ObjectId> = keep.iter().map(|&k| h.object_id(k).unwrap()).collect();
    kept.sort_unstable();
    assert_eq!(h.live_set().unwrap(), kept);
}

/// Limitation: a strategy that never frees keeps every object in its live
/// set, the dropped ones too.
pub fn live_set_keeps_everything<C: Inspect>() {
    let (h, _) = one_in_three_kept::<C>();
    assert_eq!(live(&h), 300);
}

/// A node resized in place keeps its identity, its handles, its payload
/// and the slots it keeps; new slots are nil; the references cut off are
/// dropped (a counted referent dies at once). A strategy that cannot
/// resize says so with [`GcError::Unsupported`] — only a moving one may —
/// and leaves the node as it was. Tuples and atoms are immutable.
pub fn resize_keeps_identity_or_is_refused<C: Inspect>() {
    let mut h = heap::<C>();
    let list = h.alloc_node(2, 4).unwrap();
    h.payload_mut(list).unwrap().copy_from_slice(b"list");
    let (a, b) = (h.alloc_node(0, 0).unwrap(), h.alloc_node(0, 0).unwrap());
    h.set_slot(list, 0, Some(a)).unwrap();
    h.set_slot(list, 1, Some(b)).unwrap();
    let (a_id, b_id, id) = (
        h.object_id(a).unwrap(),
        h.object_id(b).unwrap(),
        h.object_id(list).unwrap(),
    );
    h.release(a).unwrap();
    h.release(b).unwrap();
    let tuple = h.alloc_tuple(&[None]).unwrap();
    assert_eq!(h.resize(tuple, 3), Err(GcError::Immutable(Kind::Tuple)));
    match h.resize(list, 6) {
        Err(GcError::Unsupported { strategy, .. }) => {
            assert!(traits::<C>().moves_objects, "{strategy} refuses to resize");
            assert_eq!(h.slot_count(list).unwrap(), 2);
            return;
        }
        other => other.unwrap(),
    }
    let slot_id = |h: &C, i: usize| h.view(list).unwrap().slot(i).unwrap().map(|v| v.id());
    assert_eq!(h.object_id(list).unwrap(), id);
    assert_eq!(h.slot_count(list).unwrap(), 6);
    assert_eq!(h.payload(list).unwrap(), b"list");
    assert_eq!(slot_id(&h, 0), Some(a_id));
    assert_eq!(slot_id(&h, 1), Some(b_id));
    assert!((2..6).all(|i| slot_id(&h, i).is_none()));
    h.set_slot(list, 5, Some(list)).unwrap();
    h.collect_full().unwrap();
    assert!(
        h.live_set().unwrap().contains(&b_id),
        "the resized node keeps its referents"
    );
    // Shrinking to one slot drops `b` and the self-reference.
    h.resize(list, 1).unwrap();
    assert_eq!(slot_id(&h, 0), Some(a_id));
    if traits::<C>().reference_counting {
        assert!(
            !h.live_set().unwrap().contains(&b_id),
            "a counted referent cut off dies at once"
        );
    }
    h.collect_full().unwrap();
    if traits::<C>().frees_objects {
        assert!(!h.live_set().unwrap().contains(&b_id));
    }
    assert!(h.live_set().unwrap().contains(&a_id));
    h.release(list).unwrap();
    h.release(tuple).unwrap();

    // Growing counts against the heap limit, and a refusal changes nothing.
    let mut small = C::from_pairs([("max_heap", "4096")]).unwrap();
    let node = small.alloc_node(1, 0).unwrap();
    // Far over the limit either way (fewer slots under Miri, where
    // touching each is slow).
    let slots = if cfg!(miri) { 2_000 } else { 100_000 };
    assert!(matches!(
        small.resize(node, slots),
        Err(GcError::OutOfMemory { limit: 4096 })
    ));
    assert_eq!(small.slot_count(node).unwrap(), 1);
    small.release(node).unwrap();
}

/// Runs every case against a collector type, one `#[test]` each, in a
/// module `conformance`. With a limitation (`no_counts`, `leaks_cycles`
/// or `never_frees`), the cases the strategy cannot pass are replaced by
/// cases that assert the limitation (see the [module docs](crate::tooling::conformance)).
///
/// A second run of the same suite with another configuration names its
/// module and the `KEY=VALUE` pairs set on top of the default
/// configuration (see [`with_pairs`](crate::tooling::conformance::with_pairs)):
///
/// ```ignore
/// gc_core::conformance_suite!(gc_marksweep::IncMiniMark, no_counts);
/// gc_core::conformance_suite!(gc_marksweep::IncMiniMark, no_counts,
///     mod parallel_marking, config ["parallel_mark" = "2", "parallel_mark_min" = "0"]);
/// ```
#[macro_export]
macro_rules! conformance_suite {
    ($collector:ty) => {
        $crate::conformance_suite!(@full $collector; conformance; []);
    };
    ($collector:ty, $limit:ident) => {
        $crate::conformance_suite!(@$limit $collector; conformance; []);
    };
    ($collector:ty, $limit:ident, mod $module:ident, config [$($key:literal = $value:literal),* $(,)?]) => {
        $crate::conformance_suite!(@$limit $collector; $module; [$(($key, $value)),*]);
    };
    (@full $collector:ty; $module:ident; $pairs:tt) => {
        $crate::conformance_suite!(@suite $collector; $module; $pairs;
            declared_traits_match_the_suite,
            self_cycle, two_node_cycle, weak_reference_to_cycle, finalizer_hook_reads_its_object,
            finalizer_hook_runs_at_count_zero,
            finalizer_hook_panic_in_a_collection_leaves_it_collecting);
    };
    (@no_counts $collector:ty; $module:ident; $pairs:tt) => {
        $crate::conformance_suite!(@suite $collector; $module; $pairs;
            declared_traits_match_no_counts,
            self_cycle, two_node_cycle, weak_reference_to_cycle, finalizer_hook_reads_its_object,
            finalizer_hook_waits_for_a_collection,
            finalizer_hook_panic_in_a_collection_leaves_it_collecting);
    };
    (@leaks_cycles $collector:ty; $module:ident; $pairs:tt) => {
        $crate::conformance_suite!(@suite $collector; $module; $pairs;
            declared_traits_match_leaks_cycles,
            self_cycle_leaks, two_node_cycle_leaks, weak_reference_to_leaked_cycle_upgrades,
            finalizer_hook_never_runs_on_a_leaked_cycle, finalizer_hook_runs_at_count_zero);
    };
    (@never_frees $collector:ty; $module:ident; $pairs:tt) => {
        $crate::conformance_suite!(@common $collector; $module; $pairs;
            declared_traits_match_never_frees,
            self_cycle_leaks, two_node_cycle_leaks, weak_reference_to_leaked_cycle_upgrades,
            finalizer_hook_never_runs_on_a_leaked_cycle,
            tree_dropped_is_never_freed, deep_chain_is_never_freed, nothing_dies,
            live_set_keeps_everything);
    };
    (@suite $collector:ty; $module:ident; $pairs:tt; $($case:ident),* $(,)?) => {
        $crate::conformance_suite!(@common $collector; $module; $pairs;
            tree_dropped, deep_chain, finalizer_runs_once, resurrection_keeps_referents,
            weak_reference_cleared, weak_callback, live_count_matches_live_set,
            finalizer_hook_can_resurrect, finalizer_hook_panic_is_resumed_after_the_operation,
            finalizer_hook_panic_while_releasing_roots_loses_none,
            $($case),*);
    };
    (@common $collector:ty; $module:ident; $pairs:tt; $($case:ident),* $(,)?) => {
        /// The gc-core conformance suite.
        mod $module {
            $crate::conformance_suite!(@cases $collector; $pairs;
                weak_to_live_object, stale_handle_error,
                foreign_handle_error, slot_out_of_range, tuple_and_atom_are_immutable,
                tuple_keeps_members_alive, handles_survive_collections,
                scope_releases_its_locals,
                root_outlives_its_scope_and_releases_when_dropped,
                roots_dropped_on_other_threads_are_released,
                root_clones_share_one_root,
                child_scope_keeps_only_what_it_returns, child_tuple_takes_what_it_returns,
                views_read_without_roots,
                outstanding_roots_count_raw_handles, events_are_recorded_only_when_asked,
                resize_keeps_identity_or_is_refused,
                locals_of_another_heap_are_refused,
                child_scope_keeps_its_local_while_hooks_run,
                $($case),*);
        }
    };
    (@cases $collector:ty; $pairs:tt; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::tooling::conformance::with_pairs(
                    &$pairs,
                    $crate::tooling::conformance::$case::<$collector>,
                );
            }
        )*
    };
}
