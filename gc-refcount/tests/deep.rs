//! Freeing never recurses: a long list dropped by its head, a deep tree.

use gc_core::{Collector, CollectorExt};
use gc_refcount::RefCount;

fn drop_chain(n: u64) {
    let mut heap = RefCount::new_default().unwrap();
    heap.record_events(true);
    let mut head = heap.alloc_node(1, 0).unwrap();
    for _ in 1..n {
        let next = heap.alloc_node(1, 0).unwrap();
        heap.set_slot(next, 0, Some(head)).unwrap();
        heap.release(head).unwrap();
        head = next;
    }
    assert_eq!(heap.stats().live_objects, n);
    heap.release(head).unwrap();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(heap.stats().freed, n);
}

#[test]
fn dropping_a_million_long_chain_does_not_recurse() {
    drop_chain(1_000_000);
}

/// The full size from the issue; run by `.ci/run` in release mode.
#[test]
#[ignore = "10,000,000 objects: run with --release --ignored (as .ci/run does)"]
fn dropping_a_ten_million_long_chain_does_not_recurse() {
    drop_chain(10_000_000);
}

#[test]
fn dropping_a_chain_through_the_middle_slot_keeps_the_order() {
    // Each node: [left leaf, next, right leaf]; finalizers on the leaves
    // report in CPython's depth-first order: left, (the rest), right.
    use gc_core::{Event, Finalizer};
    let mut heap = RefCount::new_default().unwrap();
    heap.record_events(true);
    let mut head: Option<gc_core::Handle> = None;
    let mut expected = Vec::new();
    for _ in 0..3 {
        let node = heap.alloc_node(3, 0).unwrap();
        let left = heap.alloc_node(0, 0).unwrap();
        let right = heap.alloc_node(0, 0).unwrap();
        heap.set_finalizer(left, Finalizer::Notify).unwrap();
        heap.set_finalizer(right, Finalizer::Notify).unwrap();
        heap.set_slot(node, 0, Some(left)).unwrap();
        heap.set_slot(node, 1, head).unwrap();
        heap.set_slot(node, 2, Some(right)).unwrap();
        expected.push((
            heap.object_id(left).unwrap(),
            heap.object_id(right).unwrap(),
        ));
        for h in [left, right].into_iter().chain(head) {
            heap.release(h).unwrap();
        }
        head = Some(node);
    }
    heap.release(head.unwrap()).unwrap();
    let mut events = Vec::new();
    heap.drain_events(&mut events).unwrap();
    let order: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Finalize { object } => Some(*object),
            _ => None,
        })
        .collect();
    // Newest node first: its left leaf, then the older nodes' (recursively),
    // then its right leaf.
    let want = vec![
        expected[2].0,
        expected[1].0,
        expected[0].0,
        expected[0].1,
        expected[1].1,
        expected[2].1,
    ];
    assert_eq!(order, want);
}

#[test]
fn a_tuple_releases_its_members_last_to_first_like_tupledealloc() {
    use gc_core::{Event, Finalizer};
    let mut heap = RefCount::new_default().unwrap();
    heap.record_events(true);
    let members: Vec<_> = (0..3).map(|_| heap.alloc_node(0, 0).unwrap()).collect();
    for &m in &members {
        heap.set_finalizer(m, Finalizer::Notify).unwrap();
    }
    let ids: Vec<_> = members
        .iter()
        .map(|&m| heap.object_id(m).unwrap())
        .collect();
    let wrapped: Vec<_> = members.iter().map(|&m| Some(m)).collect();
    let tuple = heap.alloc_tuple(&wrapped).unwrap();
    for m in members {
        heap.release(m).unwrap();
    }
    heap.release(tuple).unwrap();
    let mut events = Vec::new();
    heap.drain_events(&mut events).unwrap();
    let order: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Finalize { object } => Some(*object),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec![ids[2], ids[1], ids[0]]);
}
