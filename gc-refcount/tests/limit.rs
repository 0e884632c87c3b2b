//! The heap limit (`max_heap`): an allocation past it is `OutOfMemory`,
//! nothing is allocated or freed by the refusal, and freeing makes room.

use gc_core::config::canonical_size;
use gc_core::{Collector, CollectorExt, Config, GcError, Inspect};
use gc_refcount::{RefCount, RefCountConfig};

fn heap(max_heap: usize) -> RefCount {
    RefCount::with_config(RefCountConfig { max_heap }).unwrap()
}

#[test]
fn the_limit_refuses_and_freeing_makes_room() {
    // Room for exactly three nodes of 1 slot and 8 payload bytes.
    let one = canonical_size(1, 8);
    assert_eq!(one, 32);
    let mut h = heap(3 * one as usize);
    let a = h.alloc_node(1, 8).unwrap();
    let b = h.alloc_node(1, 8).unwrap();
    let c = h.alloc_node(1, 8).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    let before = h.live_set().unwrap();
    let refused = h.alloc_node(1, 8).unwrap_err();
    assert_eq!(refused, GcError::OutOfMemory { limit: 96 });
    assert_eq!(
        refused.to_string(),
        "out of memory: the heap limit of 96 bytes would be exceeded"
    );
    // Nothing was made, nothing freed; tuples, atoms and weak references
    // are refused too.
    assert_eq!(h.live_set().unwrap(), before);
    assert!(matches!(h.alloc_atom(0), Err(GcError::OutOfMemory { .. })));
    assert!(matches!(
        h.alloc_tuple(&[Some(a)]),
        Err(GcError::OutOfMemory { .. })
    ));
    assert!(matches!(h.weak(c, false), Err(GcError::OutOfMemory { .. })));
    assert_eq!(h.live_set().unwrap(), before);
    assert_eq!(h.stats().allocated, 3);
    // The objects still work.
    let got = h.slot(a, 0).unwrap().unwrap();
    assert!(h.same_object(got, b).unwrap());
    h.release(got).unwrap();
    // Releasing `c` frees it: room for one more, exactly.
    h.release(c).unwrap();
    let d = h.alloc_node(1, 8).unwrap();
    assert!(h.alloc_atom(0).is_err());
    // Dropping everything gives all the room back.
    for x in [a, b, d] {
        h.release(x).unwrap();
    }
    assert_eq!(h.stats().live_objects, 0);
    let many: Vec<_> = (0..6).map(|_| h.alloc_atom(0).unwrap()).collect();
    assert!(h.alloc_atom(0).is_err());
    for x in many {
        h.release(x).unwrap();
    }
}

#[test]
fn the_key_is_max_heap_in_bytes_with_pypy_units() {
    let mut c = RefCountConfig::default();
    assert_eq!(c.max_heap, 0, "no limit by default");
    c.set("max_heap", "1MB").unwrap();
    assert_eq!(c.max_heap, 1 << 20);
    c.set("PYPY_GC_MAX", "2k").unwrap();
    assert_eq!(c.max_heap, 2048);
    let e = c.set("max_heap", "lots").unwrap_err().to_string();
    assert!(
        e.contains("`max_heap`") && e.contains("`lots`") && e.contains("from 0 to"),
        "{e}"
    );
    assert!(c.set("nursery", "1MB").is_err());
    // An unlimited heap takes a large object.
    let mut h = RefCount::new_default().unwrap();
    let big = h.alloc_atom(1 << 20).unwrap();
    h.release(big).unwrap();
}
