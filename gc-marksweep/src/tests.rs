//! Tests that need the crate's insides: the write barrier can be switched
//! off here (`IncMiniMark::without_barrier`, an unsafe fn of test builds
//! only), to show that the tests catch its absence.

use gc_core::tooling::testing::{Profile, arb_trace};
use gc_core::{Collector, CollectorExt, Generation, Inspect};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::{IncMiniMark, MarkSweepConfig};

fn heap() -> IncMiniMark {
    let config = MarkSweepConfig {
        nursery: 4096,
        ..MarkSweepConfig::pypy()
    };
    IncMiniMark::with_config(config).unwrap()
}

/// An old object written to point at a young one: the young one survives
/// the minor collection only because the barrier put the old one in the
/// remembered set.
#[test]
fn old_to_young_survives_a_minor_through_the_barrier() {
    let mut h = heap();
    let old = h.alloc_node(1, 0).unwrap();
    h.collect(Generation::YOUNGEST).unwrap(); // `old` is promoted
    let young = h.alloc_node(0, 4).unwrap();
    h.payload_mut(young).unwrap().copy_from_slice(b"kept");
    let young_id = h.object_id(young).unwrap();
    h.set_slot(old, 0, Some(young)).unwrap();
    assert_eq!(h.remembered.len(), 1, "remembered");
    h.release(young).unwrap();
    h.check_heap().unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    h.check_heap().unwrap();
    let again = h.slot(old, 0).unwrap().expect("the young object survived");
    assert_eq!(h.object_id(again).unwrap(), young_id);
    assert_eq!(h.payload(again).unwrap(), b"kept");
    assert!(h.live_set().unwrap().contains(&young_id));
}

/// The same without the barrier: the heap check reports the old object
/// missing from the remembered set, and after the minor collection the
/// young object is gone while the old one still refers to its address.
#[test]
fn without_the_barrier_the_same_test_fails() {
    // SAFETY: after the minor collection below, the test reads no slot:
    // it checks the heap and the live set only.
    let mut h = unsafe { heap().without_barrier() };
    let old = h.alloc_node(1, 0).unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    let young = h.alloc_node(0, 4).unwrap();
    let young_id = h.object_id(young).unwrap();
    h.set_slot(old, 0, Some(young)).unwrap();
    assert!(h.remembered.is_empty(), "not remembered");
    let before = h.check_heap().unwrap_err();
    assert!(before.contains("missing write barrier"), "{before}");
    h.release(young).unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    // The young object was freed although `old` still refers to it. (We do
    // not read the slot: it dangles into the reset nursery.)
    assert!(!h.live_set().unwrap().contains(&young_id));
    let after = h.check_heap().unwrap_err();
    assert!(after.contains("no object of this heap"), "{after}");
}

/// The zeal configuration (a nursery of a few objects, a minor collection
/// at every allocation, a major step at every minor, the heap check after
/// each) catches a missing barrier on random traces: with the barrier,
/// every trace passes (tests/oracle.rs runs 1,000); without it, some fail.
#[test]
fn zeal_catches_a_missing_barrier() {
    let traces = if cfg!(miri) { 3 } else { 100 };
    let mut runner = TestRunner::deterministic();
    let strategy = arb_trace(if cfg!(miri) { 60 } else { 400 }, Profile::Mutator);
    let mut failures = 0;
    for _ in 0..traces {
        let trace = strategy.new_tree(&mut runner).unwrap().current();
        let with_barrier = IncMiniMark::with_config(MarkSweepConfig::zeal(96)).unwrap();
        gc_core::tooling::oracle::check_trace(with_barrier, &trace).unwrap();
        let without = IncMiniMark::with_config(MarkSweepConfig::zeal(96)).unwrap();
        // SAFETY: zeal checks the heap after every collection and panics
        // on the first dangling reference, before the trace reads it.
        let without = unsafe { without.without_barrier() };
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gc_core::tooling::oracle::check_trace(without, &trace)
        }));
        if !matches!(caught, Ok(Ok(()))) {
            failures += 1;
        }
    }
    assert!(
        failures > traces / 4,
        "only {failures} of {traces} traces caught the missing barrier"
    );
}

/// Every unsafe path in one small run (for Miri): nursery allocation and
/// reset, copying into pages and into individual allocations, forwarding,
/// cards, incremental marking and sweeping of pages and large objects,
/// arena release, finalizers with resurrection, weak references.
///
/// Run sequentially and with two marking threads (on every step whose
/// budget covers the old generation: `parallel_mark_min=0`), which must give the
/// same events, times aside: the parallel marking's unsafe paths (atomic
/// headers, objects read from several threads) under Miri too.
#[test]
fn every_unsafe_path_in_one_small_run() {
    let sequential = unsafe_paths_run(1);
    let parallel = unsafe_paths_run(2);
    assert_eq!(sequential.len(), parallel.len());
    for (i, (s, p)) in sequential.iter().zip(&parallel).enumerate() {
        assert_eq!(s, p, "event {i}");
    }
}

/// The events of [`every_unsafe_path_in_one_small_run`] with
/// `parallel_mark` threads, their times zeroed.
fn unsafe_paths_run(parallel_mark: usize) -> Vec<gc_core::Event> {
    let config = MarkSweepConfig {
        nursery: 1024,
        increment_step: 128,
        min_heap: 2048,
        large_object: 900,
        debug: true,
        parallel_mark,
        parallel_mark_min: 0,
        ..MarkSweepConfig::pypy()
    };
    let mut h = IncMiniMark::with_config(config).unwrap();
    h.record_events(true);
    let big = h.alloc_node(300, 0).unwrap(); // born large, with cards
    let rounds = if cfg!(miri) { 60 } else { 2000 };
    let mut kept = Vec::new();
    for i in 0..rounds {
        // Small, page-sized and individually promoted objects.
        let payload = [0, 8, 40, 300][i % 4];
        let x = h.alloc_node(2, payload).unwrap();
        if payload > 0 {
            h.payload_mut(x).unwrap()[0] = i as u8;
        }
        h.set_slot(big, (i * 37) % 300, Some(x)).unwrap();
        if i % 7 == 0 {
            h.set_finalizer(x, gc_core::Finalizer::Resurrect).unwrap();
        }
        if i % 5 == 0 {
            let w = h.weak(x, true).unwrap();
            kept.push((i, h.clone_handle(x).unwrap(), w));
        }
        if i % 11 == 0 {
            let t = h.alloc_tuple(&[Some(x), Some(big), None]).unwrap();
            h.set_slot(x, 0, Some(t)).unwrap();
            h.release(t).unwrap();
        }
        h.release(x).unwrap();
        if i % 50 == 0 {
            h.unsave().unwrap();
        }
    }
    h.collect_full().unwrap();
    h.unsave().unwrap();
    for (i, x, w) in kept.drain(..) {
        if [0, 8, 40, 300][i % 4] > 0 {
            assert_eq!(h.payload(x).unwrap()[0], i as u8);
        }
        let again = h.upgrade(w).unwrap().expect("held by a handle");
        assert!(h.same_object(x, again).unwrap());
        h.release(again).unwrap();
        h.release(x).unwrap();
    }
    h.release(big).unwrap();
    // `big` and the tuples tie finalizable objects into one strongly
    // connected component: PyPy finalizes one of them per major collection.
    for _ in 0..rounds {
        if h.stats().live_objects == 0 {
            break;
        }
        h.collect_full().unwrap();
        h.unsave().unwrap();
    }
    h.check_heap().unwrap();
    assert_eq!(h.stats().live_objects, 0);
    assert!(h.stats().finalized > 0 && h.stats().weak_callbacks > 0);
    assert_eq!(h.gc_stats().large_bytes, 0);
    assert!(h.gc_stats().arenas <= 1, "empty arenas were returned");
    assert_eq!(
        h.gc_stats().parallel_mark_steps > 0,
        parallel_mark > 1,
        "the parallel marking ran"
    );
    let mut events = Vec::new();
    h.drain_events(&mut events).unwrap();
    for event in &mut events {
        if let gc_core::Event::Collect(c) = event {
            c.pause_ns = 0;
        }
    }
    events
}

/// The embedding layer over moving objects, for Miri: views read objects
/// the nursery has just moved, and the finalizer hook reads a dying
/// object's slots and payload.
#[test]
fn views_and_the_finalizer_hook_read_moved_objects() {
    use gc_core::{Embedding, Finalize, Finalizer, Local, ObjectView, Scope};
    use std::sync::{Arc, Mutex};

    struct Names(Arc<Mutex<Vec<Vec<u8>>>>);
    impl Finalize for Names {
        fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, obj: Local<'_>) {
            let v = s.view(obj).unwrap();
            let name = v.slot(0).unwrap().unwrap().payload().to_vec();
            self.0.lock().unwrap().push(name);
        }
    }
    let mut h = IncMiniMark::with_config(MarkSweepConfig::zeal(256)).unwrap();
    let names = Arc::new(Mutex::new(Vec::new()));
    h.on_finalize(Names(Arc::clone(&names)));
    h.scope(|s| {
        let mut list = None;
        for i in 0..6u8 {
            let n = s.node(2, 1).unwrap();
            let name = s.atom(&[b'a' + i]).unwrap();
            s.set(n, 0, Some(name)).unwrap();
            s.set(n, 1, list).unwrap();
            s.set_finalizer(n, Finalizer::Run).unwrap();
            list = Some(n);
        }
        s.collect(Generation::YOUNGEST).unwrap(); // everything moves
        let mut seen = Vec::new();
        let mut node = Some(s.view(list.unwrap()).unwrap());
        while let Some(v) = node {
            seen.push(v.slot(0).unwrap().unwrap().payload()[0]);
            node = v.slot(1).unwrap();
        }
        assert_eq!(seen, b"fedcba");
        s.heap_ref().check_heap().unwrap();
    });
    // PyPy finalizes a chain one link per major collection (only what no
    // other finalizable object reaches), and frees each a major later.
    for _ in 0..8 {
        h.collect(Generation::FULL).unwrap();
        h.check_heap().unwrap();
    }
    let mut got = names.lock().unwrap().clone();
    got.sort();
    assert_eq!(got.concat(), b"abcdef");
    assert_eq!(h.stats().live_objects, 0);
}

/// A finalizer hook that allocates, run at the end of a tuple's
/// allocation (zeal: every allocation collects, so the hook's allocations
/// move what is young): the new tuple must be rooted before the hook runs.
#[test]
fn a_hook_that_allocates_after_a_tuple_is_made_moves_it_safely() {
    use gc_core::{Embedding, Finalize, Finalizer, Local, ObjectView, Scope};

    struct Allocate;
    impl Finalize for Allocate {
        fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, _: Local<'_>) {
            for _ in 0..4 {
                s.node(2, 8).unwrap();
            }
        }
    }
    // Under Miri (every heap check interpreted), 10 rounds: each takes the
    // same paths.
    let rounds = if cfg!(miri) { 10 } else { 40 };
    let mut h = IncMiniMark::with_config(MarkSweepConfig::zeal(256)).unwrap();
    h.on_finalize(Allocate);
    h.scope(|s| {
        let member = s.atom(b"member").unwrap();
        for _ in 0..rounds {
            s.scope(|inner| {
                let dying = inner.node(0, 0).unwrap();
                inner.set_finalizer(dying, Finalizer::Run).unwrap();
            });
            s.scope(|inner| {
                let t = inner.tuple(&[Some(member), None]).unwrap();
                let first = inner.view(t).unwrap().slot(0).unwrap().unwrap();
                assert_eq!(first.payload(), b"member");
            });
            s.heap_ref().check_heap().unwrap();
        }
    });
    for _ in 0..8 {
        h.collect(Generation::FULL).unwrap();
    }
    h.check_heap().unwrap();
    assert_eq!(h.stats().finalized, rounds, "the hook ran for every one");
}

/// Locals are objects on the scopes' stack, rooted by the heap itself:
/// they survive minor and major collections (moved, forwarded), their
/// handles work with the raw API while their scope lives, and are stale
/// after it ends or after a release by hand; another heap's are foreign.
#[test]
fn locals_on_the_stack_are_roots_the_collections_forward() {
    use gc_core::{Embedding, GcError, ObjectView};
    let mut h = heap();
    let mut other = heap();
    let other_handle = other.scope(|s| {
        let a = s.node(0, 0).unwrap();
        s.handle(a).unwrap()
    });
    let kept = h.scope(|s| {
        let leaf = s.atom(b"leaf").unwrap();
        let pair = s.tuple(&[Some(leaf), None]).unwrap();
        let id = s.id(pair).unwrap();
        assert_eq!(s.heap_ref().root_count(), 2, "two locals");
        // Enough garbage to run several minor collections.
        for _ in 0..2000 {
            s.scope(|s| {
                s.node(4, 16).unwrap();
            });
        }
        s.collect(Generation::FULL).unwrap();
        s.heap_ref().check_heap().unwrap();
        assert_eq!(s.id(pair).unwrap(), id);
        let got = s.get(pair, 0).unwrap().unwrap();
        assert_eq!(s.view(got).unwrap().payload(), b"leaf");
        // A local's raw handle works with the raw API.
        let raw = s.handle(pair).unwrap();
        let copy = s.heap().clone_handle(raw).unwrap();
        assert_eq!(s.heap().object_id(copy).unwrap(), id);
        s.heap().release(copy).unwrap();
        assert_eq!(
            s.heap().object_id(other_handle),
            Err(GcError::ForeignHandle)
        );
        // Released by hand: the local is stale, not another object.
        let raw_leaf = s.handle(leaf).unwrap();
        s.heap().release(raw_leaf).unwrap();
        assert_eq!(s.id(leaf), Err(GcError::StaleHandle));
        assert_eq!(s.heap().object_id(raw_leaf), Err(GcError::StaleHandle));
        (raw, id)
    });
    assert_eq!(h.object_id(kept.0), Err(GcError::StaleHandle));
    assert_eq!(h.outstanding_roots(), 0);
    h.collect(Generation::FULL).unwrap();
    h.check_heap().unwrap();
    assert!(!h.live_set().unwrap().contains(&kept.1));
}

/// A pair allocated old (`large_object` below its size) with young
/// members goes through the barrier: the members survive the next minor
/// collection; a pair in the nursery takes its members without one. Both
/// read their members again when the allocation collected (zeal).
#[test]
fn pairs_born_old_or_young_keep_their_members() {
    use gc_core::{Embedding, ObjectView};
    for config in [
        MarkSweepConfig {
            nursery: 4096,
            // A pair (32 bytes) is born old, a one-byte atom (24) young.
            large_object: 32,
            debug: true,
            ..MarkSweepConfig::default()
        },
        MarkSweepConfig::zeal(256),
        MarkSweepConfig {
            nursery: 4096,
            ..MarkSweepConfig::default()
        },
    ] {
        let n: u8 = if cfg!(miri) { 6 } else { 64 };
        let mut h = IncMiniMark::with_config(config).unwrap();
        h.scope(|s| {
            let mut list = s.atom(b"end").unwrap();
            for i in 0..n {
                let leaf = s.atom(&[i]).unwrap();
                list = s.child(|c| c.tuple(&[Some(leaf), Some(list)])).unwrap();
            }
            s.collect(Generation::YOUNGEST).unwrap();
            s.heap_ref().check_heap().unwrap();
            let mut view = s.view(list).unwrap();
            for i in (0..n).rev() {
                assert_eq!(view.slot(0).unwrap().unwrap().payload(), &[i]);
                view = view.slot(1).unwrap().unwrap();
            }
            assert_eq!(view.payload(), b"end");
        });
        h.collect(Generation::FULL).unwrap();
        h.check_heap().unwrap();
        assert_eq!(h.outstanding_roots(), 0);
    }
}

/// Trees built with `Scope::child_tuple`: each pair is made of the two
/// locals its child scope returns, read from the stack at their places
/// after any collection the allocation ran (zeal: minor collections that
/// move them); the heap checks out and every node is where it should be.
#[test]
fn child_tuple_pairs_read_their_members_after_collecting() {
    use gc_core::{Embedding, GcError, Local, ObjectView, Scope};
    fn tree<'s>(s: &mut Scope<'s, IncMiniMark>, depth: u8) -> Result<Local<'s>, GcError> {
        if depth == 0 {
            return s.atom(&[depth]);
        }
        s.child_tuple(|s| Ok([Some(tree(s, depth - 1)?), Some(tree(s, depth - 1)?)]))
    }
    fn leaves<'a, V: ObjectView<'a>>(v: V) -> u64 {
        match (v.slot(0).ok().flatten(), v.slot(1).ok().flatten()) {
            (Some(l), Some(r)) => leaves(l) + leaves(r),
            _ => {
                assert_eq!(v.payload(), &[0]);
                1
            }
        }
    }
    let depth: u8 = if cfg!(miri) { 3 } else { 8 };
    for config in [MarkSweepConfig::zeal(256), MarkSweepConfig::default()] {
        let mut h = IncMiniMark::with_config(config).unwrap();
        h.scope(|s| {
            let t = tree(s, depth).unwrap();
            s.collect(Generation::YOUNGEST).unwrap();
            s.heap_ref().check_heap().unwrap();
            assert_eq!(leaves(s.view(t).unwrap()), 1 << depth);
            assert_eq!(s.heap_ref().outstanding_roots(), 1);
        });
        h.collect(Generation::FULL).unwrap();
        h.check_heap().unwrap();
        assert_eq!(h.outstanding_roots(), 0);
    }
}
