//! What the scan leaves reachable: tuples (and, in a full collection,
//! dicts) that can never be part of a cycle are untracked, and the rest is
//! promoted.

use gc_core::rc::flags;

use super::reachability::Scan;
use crate::header::{DICT_TRACKING, List, first, holds_nothing_trackable, merge, untrack};
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
        // Dicts only in full collections, as CPython (issue #14775: no
        // quadratic dict build-up).
        if scan.dicts > 0 {
            survivors -= untrack_dicts(heap, young);
        }
        heap.policy.long_lived_pending = 0;
        heap.policy.long_lived_total = survivors;
    }
}

/// `untrack_tuples`: a surviving tuple whose members are all nil, atoms or
/// untracked tuples will never be part of a cycle; stop tracking it
/// (`_PyTuple_MaybeUntrack`). Returns how many were untracked.
fn untrack_tuples(heap: &mut Heap, young: List) -> u64 {
    untrack_where(heap, young, |f| f & flags::KIND_MASK == flags::TUPLE)
}

/// `untrack_dicts`: a surviving node tracked as a dict
/// ([`DICT_TRACKING`]) none of whose slots refers to an object that may be
/// tracked stops being tracked (`_PyDict_MaybeUntrack`); a later slot write
/// that stores one tracks it again. Returns how many were untracked.
fn untrack_dicts(heap: &mut Heap, young: List) -> u64 {
    untrack_where(heap, young, |f| f & DICT_TRACKING != 0)
}

/// Walks `young` once, untracking each object whose flags pass `candidate`
/// and that holds nothing that may be tracked; returns how many.
fn untrack_where(heap: &mut Heap, young: List, candidate: impl Fn(u32) -> bool) -> u64 {
    let head = young.head();
    let mut untracked = 0;
    let mut x = first(heap, young);
    while x != head {
        let h = &heap.objects[x as usize];
        let after = h.extra.next;
        if candidate(h.flags) && holds_nothing_trackable(heap, x) {
            untrack(heap, x);
            untracked += 1;
        }
        x = after;
    }
    untracked
}
