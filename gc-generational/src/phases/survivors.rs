//! What the scan leaves reachable: in a full collection, dicts that can
//! never be part of a cycle are untracked (tuples were, by the scan), and
//! the rest is promoted.

use super::reachability::Scan;
use crate::header::{DICT_TRACKING, List, first, holds_nothing_trackable, merge, untrack};
use crate::state::Heap;

/// What is left in `young` after the scan survives (the scan untracked
/// the tuples that can never be part of a cycle): it moves to `old` (the
/// next older generation, or stays in generation 2). The survivors feed
/// `long_lived_pending` and `long_lived_total`, which decide when
/// generation 2 is collected (`generations.rs`).
pub(super) fn promote_survivors(
    heap: &mut Heap,
    generation: usize,
    young: List,
    old: List,
    scan: &Scan,
) {
    let mut survivors = scan.reachable - scan.untracked_tuples;
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

/// `untrack_dicts`: a surviving node tracked as a dict
/// ([`DICT_TRACKING`]) none of whose slots refers to an object that may be
/// tracked stops being tracked (`_PyDict_MaybeUntrack`); a later slot write
/// that stores one tracks it again. Returns how many were untracked.
fn untrack_dicts(heap: &mut Heap, young: List) -> u64 {
    let head = young.head();
    let mut untracked = 0;
    let mut x = first(heap, young);
    while x != head {
        let h = &heap.objects[x as usize];
        let after = h.extra.next;
        if h.flags & DICT_TRACKING != 0 && holds_nothing_trackable(heap, x) {
            untrack(heap, x);
            untracked += 1;
        }
        x = after;
    }
    untracked
}
