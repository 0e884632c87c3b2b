//! The write barrier (PyPy's `write_barrier` and
//! `write_barrier_from_array`).
//!
//! Fast path: one test of [`TRACK_YOUNG_PTRS`] in the written object's
//! header. The bit is set on every old object and clear on nursery objects,
//! so writes into young objects (most writes) cost nothing more. The slow
//! path runs once per object per minor collection: the object leaves the
//! fast path (the bit is cleared) and enters the remembered set
//! (`old_objects_pointing_to_young`), which the next minor collection
//! traces as roots. Like PyPy, the barrier does not look at the value
//! written: the incremental marking relies on that (below).
//!
//! Large nodes (born in the large-object space with cards) keep the bit and
//! instead mark one card per 128 slots; the object enters
//! `old_objects_with_cards_set` once, and the minor collection rescans only
//! the slots of dirty cards.
//!
//! # The marking invariant (incremental update, as PyPy)
//!
//! Marking sets `TRACK_YOUNG_PTRS` on every object it blackens
//! ([`VISITED`](crate::header::VISITED)). So after a black object is
//! written, it is in the remembered set (or the cards list), whatever was
//! written. The next minor collection, which traces the slots of those
//! objects (all of them, or those of the dirty cards) anyway, greys every
//! white object a black one of those lists refers to (pushes it on
//! `objects_to_trace`; PyPy re-greys the black object itself, which here
//! deferred most of a cycle's marking to its last steps: see `phases.rs`),
//! and greys every root's referent that is not black (on
//! `more_objects_to_trace`). Hence, at the end of every minor collection
//! and after every marking step:
//!
//! > **no black object refers to a white object**; white objects reachable
//! > from the roots are reachable through grey objects.
//!
//! Objects promoted during marking are white and follow the same rule
//! (reached from a root, a black object's grey referent or another
//! promoted object).
//! Marking ends only in a step that directly follows a minor collection,
//! when no grey object is left, so every reachable object is black then.
//! [`IncMiniMark::check_heap`](crate::IncMiniMark::check_heap) verifies
//! the invariant (zeal tests run it after every collection).

use crate::collector::OldGen;
use crate::header::{CARDS_SET, HAS_CARDS, ObjRef, TRACK_YOUNG_PTRS};

impl OldGen {
    /// The barrier before writing slot `index` of `obj`.
    #[inline(always)]
    pub(crate) fn write_barrier(&mut self, obj: ObjRef<'_>, index: usize) {
        #[cfg(test)]
        if self.no_barrier {
            return;
        }
        if obj.has(TRACK_YOUNG_PTRS) {
            self.remember_young_pointer(obj, index);
        }
    }

    /// The slow path: remembered set, or a card.
    #[cold]
    #[inline(never)]
    fn remember_young_pointer(&mut self, obj: ObjRef<'_>, index: usize) {
        if obj.has(HAS_CARDS) {
            obj.mark_card(index);
            if !obj.has(CARDS_SET) {
                obj.add(CARDS_SET);
                self.old_objects_with_cards_set.push(obj.ptr());
            }
        } else {
            obj.remove(TRACK_YOUNG_PTRS);
            self.old_objects_pointing_to_young.push(obj.ptr());
        }
    }
}
