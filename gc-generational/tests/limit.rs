//! The heap limit (`max_heap`): past it, a full collection runs first
//! (it may free unreachable cycles); only if the allocation still does not
//! fit is it refused with `OutOfMemory`, nothing lost, the counts as they
//! were. And the analogue of a fault inside a collection: the finalizer
//! run by that collection allocates while the heap is still full.

use std::sync::{Arc, Mutex};

use gc_core::config::canonical_size;
use gc_core::{
    Collector, CollectorExt, Finalize, Finalizer, GcError, Inspect, Local, ObjectId, Scope,
};
use gc_generational::{GcModule, Generational, GenerationalConfig};

fn heap(max_heap: usize) -> Generational {
    Generational::with_config(GenerationalConfig {
        max_heap,
        ..GenerationalConfig::default()
    })
    .unwrap()
}

/// Makes an unreachable two-node cycle (64 bytes with 1 slot, 8 payload).
fn garbage_cycle(h: &mut Generational) {
    let a = h.alloc_node(1, 8).unwrap();
    let b = h.alloc_node(1, 8).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    h.set_slot(b, 0, Some(a)).unwrap();
    h.release(a).unwrap();
    h.release(b).unwrap();
}

#[test]
fn a_full_collection_runs_before_the_limit_refuses() {
    let one = canonical_size(1, 8) as usize;
    let mut h = heap(4 * one);
    let kept = h.alloc_node(1, 8).unwrap();
    garbage_cycle(&mut h);
    let live = h.alloc_node(1, 8).unwrap();
    assert_eq!(h.stats().live_objects, 4);
    let full_before = h.stats().collections[2];
    // The heap is full; the cycle is garbage: the collection frees it.
    let c = h.alloc_node(1, 8).unwrap();
    assert_eq!(h.stats().collections[2], full_before + 1);
    assert_eq!(h.stats().live_objects, 3);
    let d = h.alloc_node(1, 8).unwrap();
    // Now everything is reachable: refused, after one more collection
    // (which zeroes the counts); the refused objects are not counted.
    let live_set = h.live_set().unwrap();
    assert_eq!(
        h.alloc_node(1, 8).unwrap_err(),
        GcError::OutOfMemory {
            limit: 4 * one as u64
        }
    );
    assert!(matches!(
        h.alloc_tuple(&[Some(c)]),
        Err(GcError::OutOfMemory { .. })
    ));
    assert!(matches!(h.weak(c, true), Err(GcError::OutOfMemory { .. })));
    assert_eq!(h.gc().get_count(), (0, 0, 0));
    assert_eq!(h.live_set().unwrap(), live_set);
    // Later operations are correct.
    h.set_slot(kept, 0, Some(live)).unwrap();
    h.release(live).unwrap();
    h.release(c).unwrap();
    let e = h.alloc_node(1, 8).unwrap();
    let got = h.slot(kept, 0).unwrap().unwrap();
    assert_eq!(h.object_id(got).unwrap(), ObjectId(3));
    for x in [kept, d, e, got] {
        h.release(x).unwrap();
    }
    assert_eq!(h.stats().live_objects, 0);
}

#[test]
fn the_limit_holds_under_gc_disable() {
    let one = canonical_size(1, 8) as usize;
    let mut h = heap(2 * one);
    h.gc().disable();
    garbage_cycle(&mut h);
    // A collection still runs to make room, as PyPy's does.
    let a = h.alloc_node(1, 8).unwrap();
    assert_eq!(h.stats().live_objects, 1);
    h.release(a).unwrap();
}

/// Allocates an atom from inside the finalizer and records the result.
struct AllocatingFinalizer(Arc<Mutex<Vec<Result<(), GcError>>>>);

impl Finalize for AllocatingFinalizer {
    fn finalize<C: Collector>(&mut self, scope: &mut Scope<'_, C>, _object: Local<'_>) {
        let made = scope.atom(&[1, 2, 3, 4, 5, 6, 7, 8]).map(drop);
        self.0.lock().unwrap().push(made);
    }
}

#[test]
fn a_finalizer_that_allocates_inside_the_limits_collection() {
    // Room for the cycle and one more node: the next allocation runs the
    // collection, whose finalizer allocates while the cycle still fills
    // the heap (CPython finalizes before it frees). That allocation is
    // refused (a collection is already running); the cycle is then freed
    // and the allocation that started it all succeeds.
    let one = canonical_size(1, 8) as usize;
    let mut h = heap(3 * one);
    let log = Arc::new(Mutex::new(Vec::new()));
    h.on_finalize(AllocatingFinalizer(Arc::clone(&log)));
    let keep = h.alloc_node(1, 8).unwrap();
    let a = h.alloc_node(1, 8).unwrap();
    let b = h.alloc_node(1, 8).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    h.set_slot(b, 0, Some(a)).unwrap();
    h.set_finalizer(a, Finalizer::Run).unwrap();
    h.release(a).unwrap();
    h.release(b).unwrap();
    let c = h.alloc_node(1, 8).unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        vec![Err(GcError::OutOfMemory {
            limit: 3 * one as u64
        })]
    );
    assert_eq!(h.stats().finalized, 1);
    assert_eq!(
        h.live_set().unwrap().len(),
        2,
        "keep and c; the cycle is freed"
    );
    // Later operations are correct, the finalizer ran once.
    h.set_slot(keep, 0, Some(c)).unwrap();
    h.release(c).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 2);
    h.release(keep).unwrap();
    assert_eq!(h.stats().live_objects, 0);
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn every_value_is_checked_with_its_range() {
    use gc_core::Config;
    let mut c = GenerationalConfig::default();
    let refuse = |c: &mut GenerationalConfig, key: &str, value: &str| {
        let e = c.set(key, value).unwrap_err().to_string();
        assert!(
            e.contains(&format!("`{key}`: got `{value}`, expected")),
            "{e}"
        );
        e
    };
    let e = refuse(&mut c, "debug", "99999999999");
    assert!(e.contains("from 0 to 39"), "{e}");
    assert!(refuse(&mut c, "debug", "64").contains("from 0 to 39"));
    assert!(refuse(&mut c, "debug", "stats|bogus").contains("their names"));
    assert!(
        refuse(&mut c, "threshold0", "99999999999999999999")
            .contains("from 0 to 18446744073709551615")
    );
    assert!(refuse(&mut c, "threshold1", "-1").contains("whole number"));
    assert!(refuse(&mut c, "enabled", "maybe").contains("true or false"));
    assert!(refuse(&mut c, "max_heap", "1e30").contains("byte size"));
    assert_eq!(c, GenerationalConfig::default());
    c.set("debug", "39").unwrap();
    c.set("debug", "stats|saveall").unwrap();
    c.set("max_heap", "1MB").unwrap();
    c.set("threshold0", "18446744073709551615").unwrap();
    assert_eq!((c.debug, c.max_heap, c.threshold0), (33, 1 << 20, u64::MAX));
    for (key, _) in GenerationalConfig::KEYS {
        // A boolean is `true` or `false`, as its help says; the rest take 1.
        let value = if ["enabled", "untrack_new_tuples"].contains(key) {
            "true"
        } else {
            "1"
        };
        assert!(c.set(key, value).is_ok(), "{key}");
    }
    assert!(refuse(&mut c, "enabled", "1").contains("true or false"));
}
