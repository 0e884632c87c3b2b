//! What the scan leaves reachable: tuples that can never be part of a
//! cycle are untracked, and the rest is promoted.

use gc_core::rc::flags;

use super::reachability::Scan;
use crate::header::{List, TRACKED, first, merge, untrack};
use crate::state::Heap;

/// What is left in `young` after the scan survives: tuples that can never
/// be part of a cycle are untracked, and the rest moves to `old` (the next
/// older generation, or stays in generation 2). The survivors feed
/// `long_lived_pending` and `long_lived_total`, which decide when
/// generation 2 is collected (`generations.rs`).
pub(super) fn promote_survivors(
    heap: &mut Heap,
    generation: usize,
    young: List,
    old: List,
    scan: &Scan,
) {
    let mut survivors = scan.reachable;
    if scan.tuples > 0 {
        survivors -= untrack_tuples(heap, young);
    }
    if young != old {
        if generation == 1 {
            heap.policy.long_lived_pending += survivors;
        }
        merge(heap, young, old);
    } else {
        heap.policy.long_lived_pending = 0;
        heap.policy.long_lived_total = survivors;
    }
}

/// `untrack_tuples`: a surviving tuple whose members are all nil, atoms or
/// untracked tuples will never be part of a cycle; stop tracking it
/// (`_PyTuple_MaybeUntrack`). Returns how many were untracked.
fn untrack_tuples(heap: &mut Heap, young: List) -> u64 {
    let head = young.head();
    let mut untracked = 0;
    let mut x = first(heap, young);
    while x != head {
        let h = &heap.objects[x as usize];
        let after = h.extra.next;
        if h.flags & flags::KIND_MASK == flags::TUPLE && tuple_may_untrack(heap, x) {
            untrack(heap, x);
            untracked += 1;
        }
        x = after;
    }
    untracked
}

/// Every member is nil, an atom, or an untracked tuple
/// (`!_PyObject_GC_MAY_BE_TRACKED`).
fn tuple_may_untrack(heap: &Heap, x: u32) -> bool {
    let slots = heap.objects[x as usize].slots;
    heap.slot_arena.get(&slots).iter().all(|m| match m {
        None => true,
        Some(c) => {
            let f = heap.objects[c.index()].flags;
            match f & flags::KIND_MASK {
                flags::ATOM => true,
                flags::TUPLE => f & TRACKED == 0,
                _ => false,
            }
        }
    })
}
