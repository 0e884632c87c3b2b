//! No recursion anywhere in a collection: long rings and a deep pyramid of
//! cyclic garbage are collected on a thread with a small stack.

use gc_core::{Collector, CollectorExt, Handle};
use gc_generational::{GcModule, Generational, GenerationalConfig};

/// 256 KiB: far less than any recursive walk of these graphs would need.
const SMALL_STACK: usize = 256 * 1024;

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn heap(auto: bool) -> Generational {
    Generational::with_config(GenerationalConfig {
        enabled: auto,
        ..GenerationalConfig::default()
    })
    .unwrap()
}

/// A ring of `n` nodes (each points at the next, the last at the first),
/// dropped, then collected in full.
fn ring(n: u64, auto: bool) {
    let mut h = heap(auto);
    let first = h.alloc_node(1, 0).unwrap();
    let mut last = h.clone_handle(first).unwrap();
    for _ in 1..n {
        let next = h.alloc_node(1, 0).unwrap();
        h.set_slot(last, 0, Some(next)).unwrap();
        h.release(last).unwrap();
        last = next;
    }
    h.set_slot(last, 0, Some(first)).unwrap();
    h.release(last).unwrap();
    // A young collection first: the ring is reachable, all of it survives.
    assert_eq!(h.gc().collect(0).unwrap(), 0);
    h.release(first).unwrap();
    assert_eq!(h.stats().live_objects, n);
    assert_eq!(h.collect_full().unwrap(), n);
    assert_eq!(h.stats().live_objects, 0);
    assert_eq!(h.gc().get_count(), (0, 0, 0));
}

#[test]
fn a_million_long_ring_is_collected_without_recursion() {
    on_small_stack(|| ring(1_000_000, false));
}

#[test]
fn a_ring_built_under_automatic_collection() {
    on_small_stack(|| ring(300_000, true));
}

/// The full size from the issue; `.ci/run` runs it in release mode.
#[test]
#[ignore = "10,000,000 objects: run with --release --ignored (as .ci/run does)"]
fn a_ten_million_long_ring_is_collected_without_recursion() {
    on_small_stack(|| ring(10_000_000, true));
}

/// A pyramid `depth` levels deep: node (i, j) for j <= i points at (i+1, j)
/// and (i+1, j+1) and back at its first parent, so every node is in a
/// cycle with the apex. Dropped by its apex and collected in full.
fn pyramid(depth: usize) {
    let mut h = heap(true);
    let mut level: Vec<Handle> = vec![h.alloc_node(3, 0).unwrap()];
    let apex = h.clone_handle(level[0]).unwrap();
    let mut total = 1u64;
    for i in 1..depth {
        let next: Vec<Handle> = (0..=i).map(|_| h.alloc_node(3, 0).unwrap()).collect();
        total += next.len() as u64;
        for (j, &parent) in level.iter().enumerate() {
            h.set_slot(parent, 0, Some(next[j])).unwrap();
            h.set_slot(parent, 1, Some(next[j + 1])).unwrap();
        }
        for (j, &child) in next.iter().enumerate() {
            h.set_slot(child, 2, Some(level[j.saturating_sub(1).min(i - 1)]))
                .unwrap();
        }
        for p in level {
            h.release(p).unwrap();
        }
        level = next;
    }
    for p in level {
        h.release(p).unwrap();
    }
    assert_eq!(h.stats().live_objects, total);
    h.release(apex).unwrap();
    assert_eq!(h.stats().live_objects, total, "all of it is in cycles");
    assert_eq!(h.collect_full().unwrap(), total);
    assert_eq!(h.stats().live_objects, 0);
}

#[test]
fn a_thousand_deep_pyramid_is_collected_without_recursion() {
    on_small_stack(|| pyramid(1000));
}

/// Nested tuples 100,000 deep inside one cycle: the tuples have no
/// `tp_clear`, so they die by reference counting when the node is cleared.
#[test]
fn deeply_nested_tuples_in_a_cycle() {
    on_small_stack(|| {
        let mut h = heap(true);
        let n = h.alloc_node(1, 0).unwrap();
        let mut t = h.alloc_tuple(&[Some(n)]).unwrap();
        for _ in 0..100_000 {
            let outer = h.alloc_tuple(&[Some(t)]).unwrap();
            h.release(t).unwrap();
            t = outer;
        }
        h.set_slot(n, 0, Some(t)).unwrap();
        h.release(t).unwrap();
        h.release(n).unwrap();
        assert_eq!(h.collect_full().unwrap(), 100_002);
        assert_eq!(h.stats().live_objects, 0);
    });
}
