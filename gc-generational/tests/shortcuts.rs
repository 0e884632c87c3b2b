//! The two collection shortcuts (outside references for a full collection
//! with nothing frozen; closed garbage freed in one walk) must give
//! CPython's outcome, including where they must *not* apply. Each scenario
//! states what `python3` 3.11 prints for the same objects.

use gc_core::{Collector, CollectorExt, Event, Finalizer, ObjectId};
use gc_generational::{GcModule, Generational, GenerationalConfig};

fn heap() -> Generational {
    let mut h = Generational::with_config(GenerationalConfig {
        enabled: false,
        ..GenerationalConfig::default()
    })
    .unwrap();
    h.record_events(true);
    h
}

fn finalized(h: &mut Generational) -> Vec<ObjectId> {
    let mut v = Vec::new();
    h.drain_events(&mut v).unwrap();
    v.into_iter()
        .filter_map(|e| match e {
            Event::Finalize { object } => Some(object),
            _ => None,
        })
        .collect()
}

/// Closed garbage: a ring of three nodes. All three go, the count of
/// generation 0 is uncounted by three (never below zero), nothing runs.
#[test]
fn a_closed_ring_is_freed_whole() {
    let mut h = heap();
    let ring: Vec<_> = (0..3).map(|_| h.alloc_node(1, 8).unwrap()).collect();
    for i in 0..3 {
        h.set_slot(ring[i], 0, Some(ring[(i + 1) % 3])).unwrap();
    }
    let keep = h.alloc_node(0, 0).unwrap();
    for r in ring {
        h.release(r).unwrap();
    }
    assert_eq!(h.gc().get_count(), (4, 0, 0));
    assert_eq!(h.collect_full().unwrap(), 3);
    assert_eq!(h.stats().live_objects, 1);
    assert_eq!(h.stats().live_bytes, 0);
    assert_eq!(h.gc().get_count(), (0, 0, 0));
    assert!(finalized(&mut h).is_empty());
    // The freed entries are reused, and the survivor is intact.
    let again = h.alloc_node(1, 0).unwrap();
    h.set_slot(again, 0, Some(keep)).unwrap();
    assert_eq!(h.collect_full().unwrap(), 0);
    assert_eq!(h.stats().live_objects, 2);
}

/// Not closed: the cycle holds the only reference to an atom with a
/// finalizer. Clearing the cycle frees the atom by reference counting, so
/// its finalizer runs during the collection (as `Atom.__del__` runs inside
/// `gc.collect()` in `python3`); `collect` counts the two nodes only, since
/// an atom is not a GC object (CPython has no untracked object with a
/// `__del__`: its `Atom` would be tracked and counted, giving 3).
#[test]
fn garbage_holding_a_finalizable_atom_frees_it_by_refcount() {
    let mut h = heap();
    let a = h.alloc_node(2, 0).unwrap();
    let b = h.alloc_node(1, 0).unwrap();
    let atom = h.alloc_atom(4).unwrap();
    h.set_finalizer(atom, Finalizer::Notify).unwrap();
    let atom_id = h.object_id(atom).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    h.set_slot(b, 0, Some(a)).unwrap();
    h.set_slot(a, 1, Some(atom)).unwrap();
    for o in [a, b, atom] {
        h.release(o).unwrap();
    }
    assert!(finalized(&mut h).is_empty());
    assert_eq!(h.collect_full().unwrap(), 2);
    assert_eq!(finalized(&mut h), vec![atom_id]);
    assert_eq!(h.stats().live_objects, 0);
}

/// Not closed: garbage pointing at a live object only drops its reference.
#[test]
fn garbage_pointing_at_a_live_object_leaves_it_alive() {
    let mut h = heap();
    let live = h.alloc_node(0, 0).unwrap();
    let a = h.alloc_node(2, 0).unwrap();
    h.set_slot(a, 0, Some(a)).unwrap();
    h.set_slot(a, 1, Some(live)).unwrap();
    h.release(a).unwrap();
    assert_eq!(h.collect_full().unwrap(), 1);
    assert_eq!(h.stats().live_objects, 1);
    // `live` holds exactly its root's reference again: dropping it frees it.
    h.release(live).unwrap();
    assert_eq!(h.stats().live_objects, 0);
}

/// A full collection with a frozen generation takes the two-step count
/// (references from frozen objects are outside ones): a node only a frozen
/// node refers to survives.
///
/// ```python
/// f = Node(); gc.freeze(); f.x = Node(); del_handles(); gc.collect() # -> 0
/// ```
#[test]
fn references_from_frozen_objects_keep_objects_alive() {
    let mut h = heap();
    let frozen = h.alloc_node(1, 0).unwrap();
    h.gc().freeze();
    let young = h.alloc_node(1, 0).unwrap();
    h.set_slot(young, 0, Some(young)).unwrap();
    h.set_slot(frozen, 0, Some(young)).unwrap();
    h.release(young).unwrap();
    assert_eq!(h.collect_full().unwrap(), 0);
    assert_eq!(h.stats().live_objects, 2);
    h.gc().unfreeze();
    h.set_slot(frozen, 0, None).unwrap();
    assert_eq!(h.collect_full().unwrap(), 1);
    assert_eq!(h.stats().live_objects, 1);
}

/// Saved-list entries and weak handles are outside references too: an
/// object the saved list holds survives a full collection, and so does a
/// weak-reference object held only by its handle. (CPython clears weak
/// references to unreachable objects before finalizers run, so the
/// resurrected object's weak reference is dead, as `python3` shows.)
#[test]
fn saved_objects_and_weak_handles_count_as_outside_references() {
    let mut h = heap();
    let a = h.alloc_node(1, 0).unwrap();
    h.set_slot(a, 0, Some(a)).unwrap();
    h.set_finalizer(a, Finalizer::Resurrect).unwrap();
    let w = h.weak(a, true).unwrap();
    h.release(a).unwrap();
    // First collection: the weak reference is cleared, then the finalizer
    // resurrects `a` onto the saved list.
    assert_eq!(h.collect_full().unwrap(), 0);
    assert_eq!(h.stats().saved, 1);
    // Second: the saved list and the weak handle keep both alive.
    assert_eq!(h.collect_full().unwrap(), 0);
    assert_eq!(h.stats().live_objects, 1);
    assert_eq!(h.upgrade(w).unwrap(), None);
    assert_eq!(h.gc().get_count(), (0, 0, 0));
    assert_eq!(h.gc().get_objects(Some(2)).unwrap().len(), 1);
}
