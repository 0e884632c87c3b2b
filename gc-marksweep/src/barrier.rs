//! The write barrier (PyPy's `write_barrier` and
//! `write_barrier_from_array`).
//!
//! Fast path: one test of [`TRACK_YOUNG_PTRS`] in the written object's
//! header. The bit is set on every old object and clear on nursery objects,
//! so writes into young objects (most writes) cost nothing more. The slow
//! path runs once per object per minor collection: the object leaves the
//! fast path (the bit is cleared) and enters the remembered set
//! (`RememberedSet::objects`), which the next minor collection
//! traces as roots. Like PyPy, the barrier does not look at the value
//! written: the incremental marking relies on that (below).
//!
//! Large nodes (born in the large-object space with cards) keep the bit and
//! instead mark one card per 128 slots; the object enters
//! `RememberedSet::with_cards` once, and the minor collection rescans only
//! the slots of dirty cards.
//!
//! # The marking invariant (incremental update, as PyPy)
//!
//! Marking sets `TRACK_YOUNG_PTRS` on every object it blackens
//! ([`VISITED`](crate::header::VISITED)). So after a black object is
//! written, it is in the remembered set (or the cards list), whatever was
//! written. The next minor collection, which traces the slots of those
//! objects anyway, greys every white object a black remembered object
//! refers to (pushes it on the grey stack; PyPy re-greys the black object
//! itself, which here deferred most of a cycle's marking to its last
//! steps: see `major.rs`), makes a black large node with dirty cards grey
//! again (PyPy's rule for them: greying the referents of its dirty cards
//! would read every one's header), and greys every root's referent that
//! is not black (on the roots' grey stack). Hence, at the end of every minor collection
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

use gc_core::GcError;

use crate::header::{Access, CARDS_SET, HAS_CARDS, ObjPtr, ObjRef, TRACK_YOUNG_PTRS};
use crate::system;

/// The old objects the next minor collection must trace, filled by the
/// write barrier (and by the minor collection itself with the objects it
/// promotes).
#[derive(Debug, Default)]
pub(crate) struct RememberedSet {
    /// Old objects written since the last minor collection (their
    /// `TRACK_YOUNG_PTRS` is clear; PyPy's `old_objects_pointing_to_young`).
    objects: Vec<ObjPtr>,
    /// Large nodes with a dirty card (`CARDS_SET`;
    /// `old_objects_with_cards_set`).
    with_cards: Vec<ObjPtr>,
    /// Test builds: the write barrier is off.
    #[cfg(test)]
    pub(crate) off: bool,
}

impl RememberedSet {
    /// The barrier before writing slot `index` of `obj`; `OutOfMemory`
    /// (nothing recorded: the slot must not be written) when the system
    /// refuses room in the set.
    ///
    /// # Safety
    ///
    /// `obj` is a live object of the heap this remembered set belongs to
    /// (the set keeps its address, opened by that heap's next minor
    /// collection).
    #[inline(always)]
    pub(crate) unsafe fn write_barrier(
        &mut self,
        obj: ObjRef<'_>,
        index: usize,
    ) -> Result<(), GcError> {
        #[cfg(test)]
        if self.off {
            return Ok(());
        }
        if obj.has(TRACK_YOUNG_PTRS) {
            // SAFETY: the caller's guarantee.
            return unsafe { self.remember_young_pointer(obj, index) };
        }
        Ok(())
    }

    /// The slow path: remembered set, or a card.
    ///
    /// # Safety
    ///
    /// As for [`write_barrier`](Self::write_barrier).
    #[cold]
    #[inline(never)]
    unsafe fn remember_young_pointer(
        &mut self,
        obj: ObjRef<'_>,
        index: usize,
    ) -> Result<(), GcError> {
        if obj.has(HAS_CARDS) {
            if !obj.has(CARDS_SET) {
                system::reserve(&mut self.with_cards, 1)?;
                // SAFETY: it enters the cards list right here.
                unsafe { obj.add(CARDS_SET) };
                self.with_cards.push(obj.ptr());
            }
            obj.mark_card(index);
        } else {
            system::reserve(&mut self.objects, 1)?;
            // SAFETY: it enters the remembered set right here.
            unsafe { obj.remove(TRACK_YOUNG_PTRS) };
            self.objects.push(obj.ptr());
        }
        Ok(())
    }

    /// Room for `promoted` more objects (a minor collection's copies),
    /// or `OutOfMemory`.
    pub(crate) fn reserve_promoted(&mut self, promoted: usize) -> Result<(), GcError> {
        system::reserve(&mut self.objects, promoted)
    }

    /// At most how many referents the next minor collection greys from
    /// the objects remembered now: the slots of the remembered objects
    /// (a large node with dirty cards greys none: it is greyed itself).
    ///
    /// # Safety
    ///
    /// `access` is the token of the heap this set belongs to.
    pub(crate) unsafe fn grey_bound(&self, access: &Access) -> usize {
        let mut bound = 0usize;
        for &p in &self.objects {
            // SAFETY: remembered objects are live objects of that heap.
            bound = bound.saturating_add(unsafe { p.open(access) }.slot_count());
        }
        bound
    }

    /// Large nodes with dirty cards.
    pub(crate) fn with_cards_len(&self) -> usize {
        self.with_cards.len()
    }

    /// An object just promoted, with slots to trace (it gets
    /// `TRACK_YOUNG_PTRS` when traced).
    ///
    /// # Safety
    ///
    /// As for [`write_barrier`](Self::write_barrier).
    pub(crate) unsafe fn push_promoted(&mut self, obj: ObjRef<'_>) {
        self.objects.push(obj.ptr());
    }

    /// The next object to trace whole.
    pub(crate) fn pop_object(&mut self) -> Option<ObjPtr> {
        self.objects.pop()
    }

    /// The next large node with dirty cards.
    pub(crate) fn pop_with_cards(&mut self) -> Option<ObjPtr> {
        self.with_cards.pop()
    }

    /// Whether some large node has dirty cards.
    pub(crate) fn has_cards(&self) -> bool {
        !self.with_cards.is_empty()
    }

    /// Nothing to trace.
    pub(crate) fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.with_cards.is_empty()
    }

    /// Objects remembered (test builds).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }

    /// The lists, named (for the consistency check).
    pub(crate) fn lists(&self) -> [(&'static str, &[ObjPtr]); 2] {
        [
            ("the remembered set", &self.objects),
            ("the cards list", &self.with_cards),
        ]
    }
}
