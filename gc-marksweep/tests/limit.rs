//! Memory the system refuses is `OutOfMemory`, never an abort (issue #14),
//! with no object lost or freed early and the heap still usable: refused
//! during a minor collection's promotion, during a major cycle's marking,
//! while the end of marking orders the finalizers, while the weak
//! callbacks are taken, and for a large object. (`max_heap`, the configured limit, is tested
//! in `tests/behaviour.rs`.)
//!
//! The refusal is simulated by this test binary's global allocator: the
//! system's, except that on a thread where it is armed every request of
//! at least a given size fails (returns null). So the collector's real
//! paths are exercised — a null from `std::alloc`, an `Err` from
//! `try_reserve` — and small allocations (the test harness, the handle
//! table) still succeed. Arenas (512 KiB) and large blocks are refused.
//! The parallel marking's threads are refused by arming every thread,
//! which a test does only alone in a child process of this binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use gc_core::embed::ObjectView;
use gc_core::{
    Collector, CollectorExt, Event, Finalizer, GcError, Generation, Handle, Inspect, ObjectId,
    RootList,
};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};

/// The system allocator, refusing large requests on armed threads.
#[derive(Debug)]
struct Refusing;

thread_local! {
    /// Requests of at least this many bytes fail on this thread.
    static REFUSE_FROM: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Requests of at least this many bytes fail on every thread (only in a
/// test that runs alone in its own process: see [`isolated`]).
static REFUSE_EVERYWHERE_FROM: AtomicUsize = AtomicUsize::new(usize::MAX);

fn refused(size: usize) -> bool {
    // A const-initialised `Cell` has no destructor and allocates nothing,
    // so reading it inside the allocator is fine (and after the thread's
    // locals are gone, nothing is refused).
    size >= REFUSE_EVERYWHERE_FROM.load(Ordering::Relaxed)
        || REFUSE_FROM.try_with(|r| size >= r.get()).unwrap_or(false)
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

/// Runs the test `name` alone in a child process of this test binary
/// (the refusal on every thread would otherwise reach the tests running
/// beside it) and returns false; in that child, returns true: the caller
/// then runs the test's body.
fn isolated(name: &str) -> bool {
    const CHILD: &str = "GC_MARKSWEEP_LIMIT_ISOLATED";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1"])
        .env(CHILD, "1")
        .status()
        .unwrap();
    assert!(status.success(), "{name} in its own process: {status}");
    false
}

/// The same refusal with two marking threads (`parallel_mark=2`): the
/// thread that takes the wide node cannot reserve room for its children
/// (refused on every thread), the step stops with the node still grey on
/// that thread's stack, which the grey stacks keep (parked): the heap is
/// consistent and the next collection resumes and completes the marking.
#[test]
fn refused_during_a_parallel_marking() {
    if !isolated("refused_during_a_parallel_marking") {
        return;
    }
    let width = 20_000;
    let mut h = IncMiniMark::with_config(MarkSweepConfig {
        parallel_mark: 2,
        parallel_mark_min: 0,
        ..config(64 * 1024)
    })
    .unwrap();
    let wide = h.alloc_node(width, 0).unwrap();
    for i in 0..width {
        let child = h.alloc_node(0, 8).unwrap();
        h.payload_mut(child)
            .unwrap()
            .copy_from_slice(&(i as u64).to_le_bytes());
        h.set_slot(wide, i, Some(child)).unwrap();
        h.release(child).unwrap();
    }
    let garbage = h.alloc_node(3, 0).unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    h.release(garbage).unwrap();
    let check = |h: &IncMiniMark| {
        let view = h.view(wide).unwrap();
        for i in 0..width {
            let child = view.slot(i).unwrap().expect("child kept");
            assert_eq!(child.payload(), &(i as u64).to_le_bytes()[..]);
        }
    };
    REFUSE_EVERYWHERE_FROM.store(64 * 1024, Ordering::Relaxed);
    let refused = h.collect_full();
    REFUSE_EVERYWHERE_FROM.store(usize::MAX, Ordering::Relaxed);
    assert_eq!(refused, Err(REFUSED));
    assert_eq!(h.phase(), "marking", "stopped in the middle of marking");
    assert_eq!(h.gc_stats().parallel_mark_steps, 1);
    assert_eq!(h.stats().live_objects, width as u64 + 2, "nothing freed");
    h.check_heap().unwrap();
    check(&h);
    // Meanwhile an object that refers to a chain gets a finalizer, and
    // dies with it. The refused step had no finalizer to order, so it did
    // not count what it blackened; the collection still finalizes the
    // chain's head once and frees the chain (the ordering's room is
    // asserted by debug builds).
    let dying = h.alloc_node(1, 0).unwrap();
    let mut last = dying;
    for _ in 0..10 {
        let next = h.alloc_node(1, 0).unwrap();
        h.set_slot(last, 0, Some(next)).unwrap();
        if last != dying {
            h.release(last).unwrap();
        }
        last = next;
    }
    h.release(last).unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    assert_eq!(h.phase(), "marking", "still marking");
    h.set_finalizer(dying, Finalizer::Notify).unwrap();
    h.release(dying).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.phase(), "scanning");
    assert!(h.gc_stats().parallel_mark_steps >= 2);
    assert_eq!(h.stats().finalized, 1, "the dying chain's head finalized");
    // Kept for its finalizer until the next major collection.
    h.collect_full().unwrap();
    h.check_heap().unwrap();
    check(&h);
    assert_eq!(
        h.stats().live_objects,
        width as u64 + 1,
        "the garbage freed"
    );
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

/// What two heaps built the same way must agree on: the live set, the
/// saved list, and the counters of finalizers, saved objects and weak
/// callbacks.
fn observed(h: &IncMiniMark) -> (Vec<ObjectId>, Vec<ObjectId>, [u64; 4]) {
    let mut live = h.live_objects().unwrap();
    live.sort();
    let s = h.stats();
    (
        live,
        h.root_list(RootList::Saved).unwrap(),
        [s.live_objects, s.finalized, s.saved, s.weak_callbacks],
    )
}

/// A rooted list of `LIVE` nodes with finalizers (never run while it
/// lives), then `n` finalizable heads, each with a two-node chain of
/// plain objects; every fourth head also refers to the next one (a
/// finalizable object reaching another: PyPy's ordering finalizes only
/// the first this cycle), one head in three resurrects. Returns the list
/// and the heads (rooted, old).
fn finalizable(h: &mut IncMiniMark, n: usize) -> (Handle, Vec<Handle>) {
    let mut list = None;
    for i in 0..LIVE {
        list = Some(push(h, list, i).unwrap());
        h.set_finalizer(list.unwrap(), Finalizer::Notify).unwrap();
    }
    let mut heads = Vec::new();
    for i in 0..n {
        let head = h.alloc_node(2, 8).unwrap();
        h.payload_mut(head)
            .unwrap()
            .copy_from_slice(&(i as u64).to_le_bytes());
        let mut chain = None;
        for k in 0..2 {
            chain = Some(push(h, chain, k).unwrap());
        }
        h.set_slot(head, 0, chain).unwrap();
        h.release(chain.unwrap()).unwrap();
        let kind = if i % 3 == 1 {
            Finalizer::Resurrect
        } else {
            Finalizer::Notify
        };
        h.set_finalizer(head, kind).unwrap();
        if i > 0 && (i - 1) % 4 == 0 {
            h.set_slot(heads[i - 1], 1, Some(head)).unwrap();
        }
        heads.push(head);
    }
    h.collect(Generation::YOUNGEST).unwrap();
    (list.unwrap(), heads)
}

const LIVE: usize = 100;

/// The end of marking orders 20,000 dying finalizable objects: its lists
/// and its walks' stack are far over what the system gives. The
/// collection is refused before anything is decided; once the system
/// gives again it decides exactly what a heap that was never refused
/// decides, and everything after agrees too.
#[test]
fn refused_while_finalizers_are_ordered() {
    let n = 20_000;
    let mut clean = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    let mut h = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    let (list, heads) = finalizable(&mut h, n);
    let (clean_list, clean_heads) = finalizable(&mut clean, n);
    // A first cycle while they all live (nothing finalized) leaves the
    // room the finalizers need in the saved list and the handle table:
    // the refusal below comes from the ordering's own lists.
    for x in [&mut h, &mut clean] {
        x.collect_full().unwrap();
        assert_eq!(x.stats().finalized, 0);
    }
    for head in heads {
        h.release(head).unwrap();
    }
    for head in clean_heads {
        clean.release(head).unwrap();
    }
    let before = observed(&h);
    refuse_from(64 * 1024);
    assert_eq!(h.collect_full(), Err(REFUSED));
    assert_eq!(h.phase(), "marking", "stopped at the end of marking");
    give();
    // (Listing the heap allocates: only once the system gives.)
    assert!(observed(&h) == before, "nothing finalized, saved or freed");
    // The mutator goes on meanwhile.
    let extra = h.alloc_node(0, 16).unwrap();
    h.release(extra).unwrap();
    let extra = clean.alloc_node(0, 16).unwrap();
    clean.release(extra).unwrap();
    h.check_heap().unwrap();
    check_list(&h, list, LIVE);

    // The first cycle: every head that no other dying head reaches is
    // finalized; the others wait for the next one. The refused heap's
    // next full collection finishes the cycle the refusal stopped, then
    // runs a whole one: two cycles, as two on the clean heap.
    let first = (0..n).filter(|&i| !(i > 0 && (i - 1) % 4 == 0)).count() as u64;
    clean.collect_full().unwrap();
    assert_eq!(clean.stats().finalized, first);
    // The second: the rest, but those a resurrected head refers to (it
    // is on the saved list, a root).
    let blocked = (1..n)
        .filter(|i| (i - 1) % 4 == 0 && (i - 1) % 3 == 1)
        .count();
    clean.collect_full().unwrap();
    assert_eq!(clean.stats().finalized, (n - blocked) as u64);
    h.collect_full().unwrap();
    h.check_heap().unwrap();
    assert!(
        observed(&h) == observed(&clean),
        "the same heap as never refused"
    );
    check_list(&h, list, LIVE);

    // The resurrected heads, with their chains, intact.
    let saved = h.take_saved();
    assert_eq!(saved.len(), (0..n).filter(|i| i % 3 == 1).count());
    let mut indices = Vec::new();
    for &s in &saved {
        let view = h.view(s).unwrap();
        let i = u64::from_le_bytes(view.payload().try_into().unwrap()) as usize;
        assert_eq!(i % 3, 1, "head {i} resurrected");
        let chain = view.slot(0).unwrap().expect("its chain");
        assert_eq!(chain.payload(), &pattern(1, payload_len(1))[..]);
        let last = chain.slot(0).unwrap().expect("its chain's end");
        assert_eq!(last.payload(), &pattern(0, payload_len(0))[..]);
        indices.push(i);
    }
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(indices.len(), saved.len(), "each once");
    for s in saved {
        h.release(s).unwrap();
    }
    for s in clean.take_saved() {
        clean.release(s).unwrap();
    }
    // Later collections free them, then the list once released (one
    // node per cycle: each refers to the one registered before it).
    h.release(list).unwrap();
    clean.release(clean_list).unwrap();
    for x in [&mut h, &mut clean] {
        for _ in 0..LIVE + 3 {
            x.collect_full().unwrap();
        }
        x.check_heap().unwrap();
    }
    assert!(
        observed(&h) == observed(&clean),
        "the same heap as never refused"
    );
    assert_eq!(h.stats().finalized, (n + LIVE) as u64);
    assert_eq!(h.stats().live_objects, 0);
}

/// 20,000 weak references with callbacks whose referents died: the step
/// that reports the callbacks is refused the list of them. They stay
/// queued, none is reported twice or lost, and the heap goes on.
#[test]
fn refused_while_weak_callbacks_are_queued() {
    let n = 20_000;
    let build = |h: &mut IncMiniMark| {
        let kept = h.alloc_node(0, 8).unwrap();
        let mut weaks = Vec::new();
        for i in 0..n {
            let o = h.alloc_node(0, 8).unwrap();
            // Every tenth one's referent lives: no callback for it.
            let target = if i % 10 == 0 { kept } else { o };
            weaks.push(h.weak(target, true).unwrap());
            h.release(o).unwrap();
        }
        (kept, weaks)
    };
    let mut clean = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    let mut h = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    let (kept, weaks) = build(&mut h);
    let (clean_kept, clean_weaks) = build(&mut clean);
    let dead = (0..n).filter(|i| i % 10 != 0).count() as u64;
    // Step both to the end of the cycle, where the callbacks are due.
    for x in [&mut h, &mut clean] {
        for _ in 0..10_000 {
            if x.phase() == "finalizing" {
                break;
            }
            x.collect_step().unwrap();
        }
        assert_eq!(x.phase(), "finalizing");
        assert_eq!(x.stats().weak_callbacks, 0);
    }
    refuse_from(64 * 1024);
    assert_eq!(h.collect_step(), Err(REFUSED));
    assert_eq!(h.phase(), "finalizing", "the step did not happen");
    assert_eq!(h.stats().weak_callbacks, 0, "no callback reported");
    // Meanwhile the weak references answer, and the heap allocates.
    assert_eq!(h.upgrade(weaks[1]).unwrap(), None);
    let k = h.upgrade(weaks[0]).unwrap().expect("a live referent");
    h.release(k).unwrap();
    let extra = h.alloc_node(0, 16).unwrap();
    h.release(extra).unwrap();
    give();
    h.check_heap().unwrap();
    let mut events = [Vec::new(), Vec::new()];
    for (x, out) in [&mut h, &mut clean].into_iter().zip(&mut events) {
        x.record_events(true);
        x.collect_step().unwrap();
        x.drain_events(out).unwrap();
        x.record_events(false);
        out.retain(|e| matches!(e, Event::WeakCallback { .. }));
        assert_eq!(x.phase(), "scanning");
        assert_eq!(x.stats().weak_callbacks, dead);
    }
    assert_eq!(events[0].len() as u64, dead);
    assert_eq!(
        events[0], events[1],
        "the same callbacks, in the same order"
    );
    // None again: a callback runs once.
    for x in [&mut h, &mut clean] {
        x.collect_full().unwrap();
        assert_eq!(x.stats().weak_callbacks, dead);
    }
    assert!(
        observed(&h) == observed(&clean),
        "the same heap as never refused"
    );
    for w in weaks {
        h.release_weak(w).unwrap();
    }
    for w in clean_weaks {
        clean.release_weak(w).unwrap();
    }
    h.release(kept).unwrap();
    clean.release(clean_kept).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}

/// The handle table growing past what the system gives: the allocation
/// (or copy of a handle, or read of a slot) that needed it is
/// `OutOfMemory` and allocates nothing; `take_saved` refused hands out
/// nothing and leaves the saved list as it was.
#[test]
fn refused_handles_and_saved_list() {
    let mut h = IncMiniMark::with_config(config(64 * 1024)).unwrap();
    let node = h.alloc_node(1, 8).unwrap();
    let child = h.alloc_node(0, 8).unwrap();
    h.set_slot(node, 0, Some(child)).unwrap();
    refuse_from(64 * 1024);
    let mut handles = Vec::new();
    let err = loop {
        match h.alloc_node(0, 8) {
            Ok(x) => handles.push(x),
            Err(e) => break e,
        }
    };
    assert_eq!(err, REFUSED);
    assert!(handles.len() > 1000, "{} handles", handles.len());
    let allocated = h.stats().allocated;
    assert_eq!(allocated, handles.len() as u64 + 2, "nothing allocated");
    assert_eq!(h.alloc_atom(8).map(drop), Err(REFUSED));
    assert_eq!(h.alloc_tuple(&[Some(node)]).map(drop), Err(REFUSED));
    assert_eq!(h.clone_handle(node).map(drop), Err(REFUSED));
    assert_eq!(h.slot(node, 0).map(drop), Err(REFUSED));
    assert_eq!(h.stats().allocated, allocated);
    // A released handle makes room.
    h.release(handles.pop().unwrap()).unwrap();
    let again = h.slot(node, 0).unwrap().expect("the child");
    assert_eq!(h.object_id(again), h.object_id(child));
    give();
    for x in handles.drain(..).chain([again, child]) {
        h.release(x).unwrap();
    }
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 2);

    // 20,000 resurrected objects on the saved list: taking them needs a
    // list and handles the system refuses.
    for _ in 0..20_000 {
        let x = h.alloc_node(0, 8).unwrap();
        h.set_finalizer(x, Finalizer::Resurrect).unwrap();
        h.release(x).unwrap();
    }
    h.collect_full().unwrap();
    let saved = h.root_list(RootList::Saved).unwrap();
    assert_eq!(saved.len(), 20_000);
    refuse_from(64 * 1024);
    assert!(h.take_saved().is_empty(), "refused: nothing handed out");
    give();
    assert_eq!(
        h.root_list(RootList::Saved).unwrap(),
        saved,
        "the saved list stays"
    );
    assert_eq!(h.stats().saved, 20_000);
    let taken = h.take_saved();
    assert_eq!(taken.len(), 20_000);
    assert_eq!(h.stats().saved, 0);
    let mut ids: Vec<ObjectId> = taken.iter().map(|&x| h.object_id(x).unwrap()).collect();
    ids.sort();
    let mut want = saved;
    want.sort();
    assert_eq!(ids, want);
    for x in taken {
        h.release(x).unwrap();
    }
    h.release(node).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}
