//! Nodes tracked as CPython tracks a dict (`Gc::track_as_dict`): untracked
//! while they hold nothing that may be tracked, tracked again by the store
//! of something that may be (`MAINTAIN_TRACKING`), untracked again by a
//! full collection (`untrack_dicts`). Each scenario states what `python3`
//! 3.11 prints for the same objects.

use gc_core::{Collector, CollectorExt, GcError, Handle};
use gc_generational::{GcModule, Generational, GenerationalConfig};
use proptest::prelude::*;

fn heap(enabled: bool) -> Generational {
    Generational::with_config(GenerationalConfig {
        enabled,
        ..GenerationalConfig::default()
    })
    .unwrap()
}

fn dict(h: &mut Generational, slots: usize) -> Handle {
    let d = h.alloc_node(slots, 0).unwrap();
    h.gc().track_as_dict(d).unwrap();
    d
}

fn tracked(h: &mut Generational, o: Handle) -> bool {
    h.gc().is_tracked(o).unwrap()
}

/// `gc.is_tracked({})`, `({1: 2})`, `({1: ()})`, `({1: (x,)})` with a
/// tracked tuple, `({1: []})`, `({1: {}})`: False False False True True
/// True.
#[test]
fn a_dict_is_tracked_only_while_it_holds_something_that_may_be() {
    let mut h = heap(false);
    let empty = dict(&mut h, 2);
    assert!(!tracked(&mut h, empty));

    let atom = h.alloc_atom(8).unwrap();
    let of_atom = dict(&mut h, 2);
    h.set_slot(of_atom, 0, Some(atom)).unwrap();
    h.set_slot(of_atom, 1, Some(atom)).unwrap();
    assert!(!tracked(&mut h, of_atom));

    let untracked_tuple = h.alloc_tuple(&[Some(atom)]).unwrap();
    h.gc().collect(0).unwrap();
    assert!(!tracked(&mut h, untracked_tuple));
    let of_untracked_tuple = dict(&mut h, 2);
    h.set_slot(of_untracked_tuple, 1, Some(untracked_tuple))
        .unwrap();
    assert!(!tracked(&mut h, of_untracked_tuple));

    let list = h.alloc_node(1, 0).unwrap();
    let tracked_tuple = h.alloc_tuple(&[Some(list)]).unwrap();
    let of_tracked_tuple = dict(&mut h, 2);
    h.set_slot(of_tracked_tuple, 1, Some(tracked_tuple))
        .unwrap();
    assert!(tracked(&mut h, of_tracked_tuple));

    let of_list = dict(&mut h, 2);
    h.set_slot(of_list, 1, Some(list)).unwrap();
    assert!(tracked(&mut h, of_list));

    let of_dict = dict(&mut h, 2);
    h.set_slot(of_dict, 1, Some(empty)).unwrap();
    assert!(
        tracked(&mut h, of_dict),
        "a dict may be tracked, even empty"
    );

    assert!(matches!(
        h.gc().track_as_dict(untracked_tuple),
        Err(GcError::Immutable(_))
    ));
}

/// `d = {}; d["x"] = 1; d["y"] = []` → True; `del d["y"]` → still True;
/// `gc.collect(1)` → True; `gc.collect()` → False; `d["z"] = [d]` → True.
#[test]
fn only_a_full_collection_untracks_a_dict_again() {
    let mut h = heap(false);
    let d = dict(&mut h, 4);
    let one = h.alloc_atom(8).unwrap();
    h.set_slot(d, 1, Some(one)).unwrap();
    assert!(!tracked(&mut h, d));
    let l = h.alloc_node(0, 0).unwrap();
    h.set_slot(d, 3, Some(l)).unwrap();
    assert!(tracked(&mut h, d));
    h.set_slot(d, 3, None).unwrap();
    assert!(tracked(&mut h, d));
    h.gc().collect(1).unwrap();
    assert!(tracked(&mut h, d));
    assert_eq!(h.gc().generation_of(d).unwrap(), Some(2));
    h.gc().collect(2).unwrap();
    assert!(!tracked(&mut h, d));
    assert_eq!(h.gc().generation_of(d).unwrap(), None);
    // CPython counts the survivors after untracking: `l` is one, `d` not.
    assert_eq!(h.gc().long_lived().0, 1);

    // A cycle through the dict once it is tracked again is collected.
    let ring = h.alloc_node(1, 0).unwrap();
    h.set_slot(ring, 0, Some(d)).unwrap();
    assert!(!tracked(&mut h, d), "storing into the list tracks the list");
    h.set_slot(d, 3, Some(ring)).unwrap();
    assert!(tracked(&mut h, d));
    h.release(ring).unwrap();
    h.release(d).unwrap();
    assert_eq!(h.gc().collect(2).unwrap(), 2);
}

/// The mark goes with the object: a freed dict's entry, reused by a plain
/// node, tracks that node as usual.
#[test]
fn freed_dicts_leave_nothing_behind() {
    let mut h = heap(false);
    let d = dict(&mut h, 1);
    h.release(d).unwrap();
    // The entry is reused by a plain node, which is tracked as usual.
    let n = h.alloc_node(1, 0).unwrap();
    assert!(tracked(&mut h, n));
    h.gc().collect(2).unwrap();
    assert!(tracked(&mut h, n));
}

#[derive(Clone, Debug)]
enum Op {
    Node { dict: bool, slots: usize },
    Atom,
    Tuple(usize, usize),
    Set(usize, usize, Option<usize>),
    Release(usize),
    Collect(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0usize..4).prop_map(|(dict, slots)| Op::Node { dict, slots }),
        2 => Just(Op::Atom),
        1 => (0usize..64, 0usize..64).prop_map(|(a, b)| Op::Tuple(a, b)),
        8 => (0usize..64, 0usize..4, proptest::option::of(0usize..64))
            .prop_map(|(o, i, v)| Op::Set(o, i, v)),
        3 => (0usize..64).prop_map(Op::Release),
        1 => (0u8..3).prop_map(Op::Collect),
    ]
}

/// Runs `ops` on one heap; `dicts` says whether nodes marked `dict` are
/// tracked as dicts. Returns the live count after each full collection.
fn run(ops: &[Op], dicts: bool) -> Vec<u64> {
    let mut h = heap(true);
    h.gc().set_threshold(5, Some(3), Some(3));
    let mut regs: Vec<Handle> = Vec::new();
    let mut out = Vec::new();
    let pick = |regs: &Vec<Handle>, i: usize| (!regs.is_empty()).then(|| regs[i % regs.len()]);
    for op in ops {
        match *op {
            Op::Node { dict, slots } => {
                let n = h.alloc_node(slots, 0).unwrap();
                if dict && dicts {
                    h.gc().track_as_dict(n).unwrap();
                }
                regs.push(n);
            }
            Op::Atom => regs.push(h.alloc_atom(4).unwrap()),
            Op::Tuple(a, b) => {
                let t = h.alloc_tuple(&[pick(&regs, a), pick(&regs, b)]).unwrap();
                regs.push(t);
            }
            Op::Set(o, i, v) => {
                if let Some(o) = pick(&regs, o) {
                    let v = v.and_then(|v| pick(&regs, v));
                    let slots = h.slot_count(o).unwrap();
                    if h.kind(o).unwrap() == gc_core::Kind::Node && i < slots {
                        h.set_slot(o, i, v).unwrap();
                    }
                }
            }
            Op::Release(i) => {
                if !regs.is_empty() {
                    let r = regs.swap_remove(i % regs.len());
                    h.release(r).unwrap();
                }
            }
            Op::Collect(g) => {
                h.gc().collect(u64::from(g)).unwrap();
                if g == 2 {
                    out.push(h.stats().live_objects);
                }
            }
        }
    }
    for r in regs {
        h.release(r).unwrap();
    }
    h.gc().collect(2).unwrap();
    out.push(h.stats().live_objects);
    out
}

proptest! {
    /// Untracking dicts never changes what a full collection leaves alive
    /// (debug builds also check, after every collection, that no untracked
    /// object refers to a tracked one).
    #[test]
    fn untracking_dicts_keeps_every_full_collection_exact(
        ops in proptest::collection::vec(op(), 1..300)
    ) {
        let with = run(&ops, true);
        prop_assert_eq!(with.last(), Some(&0));
        prop_assert_eq!(with, run(&ops, false));
    }
}
