//! Memory the system refuses is `OutOfMemory`, never an abort (issue #14),
//! with no object lost or freed early and the heap still usable: refused
//! during a minor collection's promotion, during a major cycle's marking,
//! and for a large object. (`max_heap`, the configured limit, is tested
//! in `tests/behaviour.rs`.)
//!
//! The refusal is simulated by this test binary's global allocator: the
//! system's, except that on a thread where it is armed every request of
//! at least a given size fails (returns null). So the collector's real
//! paths are exercised — a null from `std::alloc`, an `Err` from
//! `try_reserve` — and small allocations (the test harness, the handle
//! table) still succeed. Arenas (512 KiB) and large blocks are refused.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use gc_core::embed::ObjectView;
use gc_core::{Collector, CollectorExt, GcError, Generation, Handle};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};

/// The system allocator, refusing large requests on armed threads.
#[derive(Debug)]
struct Refusing;

thread_local! {
    /// Requests of at least this many bytes fail on this thread.
    static REFUSE_FROM: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn refused(size: usize) -> bool {
    // A const-initialised `Cell` has no destructor and allocates nothing,
    // so reading it inside the allocator is fine (and after the thread's
    // locals are gone, nothing is refused).
    REFUSE_FROM.try_with(|r| size >= r.get()).unwrap_or(false)
}

// SAFETY: every call is forwarded to `System` unchanged, except that some
// requests return null, which `GlobalAlloc` allows (a refusal).
unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's guarantees, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && refused(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Refusing = Refusing;

/// The system refuses, on this thread, every request of `bytes` or more.
fn refuse_from(bytes: usize) {
    REFUSE_FROM.with(|r| r.set(bytes));
}

/// The system gives again.
fn give() {
    refuse_from(usize::MAX);
}

const REFUSED: GcError = GcError::OutOfMemory { limit: 0 };

fn config(nursery: usize) -> MarkSweepConfig {
    MarkSweepConfig {
        nursery,
        // No automatic major collection: the tests decide when one runs.
        min_heap: 1 << 30,
        ..MarkSweepConfig::default()
    }
}

/// The payload of list element `i`: its index, then a pattern.
fn pattern(i: usize, len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|k| (i * 7 + k) as u8).collect();
    p[..8].copy_from_slice(&(i as u64).to_le_bytes());
    p
}

fn payload_len(i: usize) -> usize {
    // Every 10th element is over 280 bytes: promoted into a block of its
    // own, reserved before the minor collection.
    if i % 10 == 9 { 1000 } else { 24 }
}

/// Checks the list from `head` (element `n - 1` first, down to 0): every
/// element there, with its payload; reads only (allocates nothing).
fn check_list(h: &IncMiniMark, head: Handle, n: usize) {
    let mut at = Some(h.view(head).unwrap());
    for i in (0..n).rev() {
        let node = at.unwrap_or_else(|| panic!("element {i} is missing"));
        assert_eq!(
            node.payload(),
            &pattern(i, payload_len(i))[..],
            "payload of {i}"
        );
        at = node.slot(0).unwrap();
    }
    assert!(at.is_none(), "the list is longer than {n}");
}

/// Pushes element `i` in front of the list `head`.
fn push(h: &mut IncMiniMark, head: Option<Handle>, i: usize) -> Result<Handle, GcError> {
    let node = h.alloc_node(1, payload_len(i))?;
    h.payload_mut(node)
        .unwrap()
        .copy_from_slice(&pattern(i, payload_len(i)));
    if let Some(prev) = head {
        h.set_slot(node, 0, Some(prev)).unwrap();
        h.release(prev).unwrap();
    }
    Ok(node)
}

/// The first minor collection must take an arena for its survivors; the
/// system refuses it: the allocation that needed the collection fails,
/// nothing moved or was lost, and once the system gives again everything
/// goes on.
#[test]
fn refused_during_a_minor_collections_promotion() {
    let mut h = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    refuse_from(64 * 1024);
    let mut head = None;
    let mut n = 0;
    let err = loop {
        match push(&mut h, head, n) {
            Ok(node) => {
                head = Some(node);
                n += 1;
            }
            Err(e) => break e,
        }
    };
    let head = head.unwrap();
    assert_eq!(err, REFUSED);
    assert!(n > 100, "the nursery held {n} objects");
    assert_eq!(h.gc_stats().minors, 0, "no minor collection ran");
    assert_eq!(h.stats().live_objects, n as u64, "nothing allocated");
    check_list(&h, head, n);
    // An explicit collection is refused the same way.
    assert_eq!(h.collect(Generation::YOUNGEST), Err(REFUSED));
    assert_eq!(h.collect(Generation::FULL), Err(REFUSED));
    check_list(&h, head, n);
    give();
    h.check_heap().unwrap();
    // Later operations are correct: the same list goes on growing and
    // survives collections.
    let mut head = Some(head);
    for i in n..3 * n {
        head = Some(push(&mut h, head, i).unwrap());
    }
    let head = head.unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    h.collect_full().unwrap();
    h.check_heap().unwrap();
    check_list(&h, head, 3 * n);
    assert_eq!(h.stats().live_objects, 3 * n as u64);
    h.release(head).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}

/// A major cycle's marking needs a grey stack as long as the widest
/// node's children; the system refuses it: the collection fails in the
/// middle of marking, every object is intact, and the cycle resumes and
/// completes once the system gives again.
#[test]
fn refused_during_a_major_cycle() {
    let width = 20_000;
    let mut h = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    // Born old (over the nursery's size), with cards.
    let wide = h.alloc_node(width, 0).unwrap();
    for i in 0..width {
        let child = h.alloc_node(0, 8).unwrap();
        h.payload_mut(child)
            .unwrap()
            .copy_from_slice(&(i as u64).to_le_bytes());
        h.set_slot(wide, i, Some(child)).unwrap();
        h.release(child).unwrap();
    }
    // Everything old, the nursery empty: the next collection's minor has
    // nothing to promote.
    h.collect(Generation::YOUNGEST).unwrap();
    assert_eq!(h.gc_stats().majors, 0);
    let check = |h: &IncMiniMark| {
        let view = h.view(wide).unwrap();
        for i in 0..width {
            let child = view.slot(i).unwrap().expect("child kept");
            assert_eq!(child.payload(), &(i as u64).to_le_bytes()[..]);
        }
    };
    refuse_from(64 * 1024);
    assert_eq!(h.collect_full(), Err(REFUSED));
    assert_eq!(h.phase(), "marking", "stopped in the middle of marking");
    assert_eq!(h.stats().live_objects, width as u64 + 1, "nothing freed");
    check(&h);
    // Allocation and minor collections still work meanwhile.
    let extra = h.alloc_node(0, 16).unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    give();
    h.check_heap().unwrap();
    // The cycle resumes and completes; garbage made meanwhile is freed.
    h.release(extra).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.phase(), "scanning");
    assert!(h.gc_stats().majors >= 1);
    h.check_heap().unwrap();
    check(&h);
    assert_eq!(h.stats().live_objects, width as u64 + 1);
    h.release(wide).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}

/// A large object the system refuses: `OutOfMemory`, nothing allocated,
/// the next allocation works.
#[test]
fn refused_large_object() {
    let mut h = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    let kept = h.alloc_node(1, 8).unwrap();
    refuse_from(1 << 20);
    assert_eq!(h.alloc_atom(4 << 20).map(drop), Err(REFUSED));
    assert_eq!(h.alloc_node(1 << 20, 0).map(drop), Err(REFUSED));
    assert_eq!(h.stats().live_objects, 1);
    // Smaller ones are still given.
    let big = h.alloc_atom(512 << 10).unwrap();
    give();
    let bigger = h.alloc_atom(4 << 20).unwrap();
    h.collect_full().unwrap();
    h.check_heap().unwrap();
    assert_eq!(h.stats().live_objects, 3);
    for x in [kept, big, bigger] {
        h.release(x).unwrap();
    }
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}
