//! Objects with finalizers, and PyPy's finalizer ordering
//! (`deal_with_objects_with_finalizers`, `pypy/doc/discussion/
//! finalizer-order.rst`): at the end of marking, one finalizer per strongly
//! connected component of dying finalizable objects runs; what they reach
//! is kept for this cycle.
//!
//! The ordering allocates nothing: its lists and its walking stack are
//! reserved first ([`Finalizers::reserve_ordering`], before the end of
//! marking changes anything), the lists for every registered object and
//! the stack for every object still white when marking ended — each walk
//! moves an object one state on as it pushes it, so no object is on the
//! stack twice.

use std::collections::VecDeque;

use gc_core::{Finalizer, GcError};

use crate::header::{
    Access, FIN_HOOK, FIN_RESURRECT, FINALIZATION_ORDERING, FINALIZED, HAS_FINALIZER, OLD, ObjPtr,
    ObjRef, Slot, VISITED,
};
use crate::mark::{fin_state, mark_from};
use crate::system;
use crate::weak::WeakTable;

/// The objects registered for finalization.
#[derive(Debug, Default)]
pub(crate) struct Finalizers {
    /// Nursery objects (PyPy's `probably_young_objects_with_finalizers`).
    young: Vec<ObjPtr>,
    /// Old objects, in registration order.
    old: VecDeque<ObjPtr>,
    /// The ordering's scratch (empty between orderings, reserved before
    /// each): the objects still registered after it (then swapped with
    /// `old`), the dying ones with whether they are finalized now, the
    /// finalized ones (handed out), the walks' stack (freed after).
    still: VecDeque<ObjPtr>,
    marked: Vec<(ObjPtr, bool)>,
    finalized: Vec<ObjPtr>,
    stack: Vec<ObjPtr>,
}

/// What the finalizer ordering decided.
#[derive(Debug, Default)]
pub(crate) struct Ordered {
    /// Finalized now (their finalizers run right away), in order.
    pub(crate) finalized: Vec<ObjPtr>,
    /// Bytes kept alive only for finalizers this cycle.
    pub(crate) kept_alive: usize,
}

impl Finalizers {
    /// Gives `obj` a finalizer (at most once per object, PEP 442), or
    /// `OutOfMemory` (nothing changed) when the list cannot grow.
    ///
    /// # Safety
    ///
    /// `obj` is a live object of the heap these lists belong to (they keep
    /// its address, opened by that heap's collections).
    pub(crate) unsafe fn register(
        &mut self,
        obj: ObjRef<'_>,
        finalizer: Finalizer,
    ) -> Result<(), GcError> {
        if obj.has(FINALIZED) {
            return Ok(());
        }
        if !obj.has(HAS_FINALIZER) {
            if obj.has(OLD) {
                system::reserve_deque(&mut self.old, 1)?;
            } else {
                system::reserve(&mut self.young, 1)?;
            }
        }
        match finalizer {
            Finalizer::Resurrect => {
                obj.remove_info(FIN_HOOK);
                obj.add_info(FIN_RESURRECT);
            }
            Finalizer::Notify => obj.remove_info(FIN_RESURRECT | FIN_HOOK),
            // The hook may keep the object: it is ordered as a resurrecting
            // finalizer's (PyPy's finalizer queue).
            Finalizer::Run => obj.add_info(FIN_RESURRECT | FIN_HOOK),
        }
        if obj.has(HAS_FINALIZER) {
            return Ok(());
        }
        obj.add_info(HAS_FINALIZER);
        if obj.has(OLD) {
            self.old.push_back(obj.ptr());
        } else {
            self.young.push(obj.ptr());
        }
        Ok(())
    }

    /// Before a minor collection: room in the old list for the young
    /// entries, or `OutOfMemory`.
    pub(crate) fn reserve_promotion(&mut self) -> Result<(), GcError> {
        system::reserve_deque(&mut self.old, self.young.len())
    }

    /// Some young object has a finalizer.
    pub(crate) fn has_young(&self) -> bool {
        !self.young.is_empty()
    }

    /// Minor collections: the young registered objects survive (only a
    /// major collection decides they are garbage); `promote` copies one.
    ///
    /// # Safety
    ///
    /// `promote` answers a live old object of the heap these lists belong
    /// to (the copy of the object it is given).
    pub(crate) unsafe fn promote_young<'h>(
        &mut self,
        access: &'h Access,
        mut promote: impl FnMut(ObjRef<'h>) -> ObjRef<'h>,
    ) {
        for obj in self.young.drain(..) {
            // SAFETY: a finalizer list holds live objects (invariant in
            // `header.rs`).
            let moved = promote(unsafe { obj.open(access) });
            self.old.push_back(moved.ptr());
        }
    }

    /// Old objects registered (at most this many are finalized by the next
    /// ordering).
    pub(crate) fn old_len(&self) -> usize {
        self.old.len()
    }

    /// Before the end of marking: room for everything the ordering uses,
    /// when `white` objects at most are still white (unmarked), or
    /// `OutOfMemory` (nothing changed but capacities).
    pub(crate) fn reserve_ordering(&mut self, white: usize) -> Result<(), GcError> {
        if self.old.is_empty() {
            return Ok(());
        }
        let n = self.old.len();
        system::reserve_deque(&mut self.still, n)?;
        system::reserve(&mut self.marked, n)?;
        system::reserve(&mut self.finalized, n)?;
        system::reserve(&mut self.stack, white.saturating_add(1))
    }

    /// The lists, named (for the consistency check).
    pub(crate) fn lists(&self) -> [(&'static str, Vec<ObjPtr>); 2] {
        [
            ("young objects with finalizers", self.young.clone()),
            (
                "old objects with finalizers",
                self.old.iter().copied().collect(),
            ),
        ]
    }

    /// The end of marking (every reachable object is black): PyPy's
    /// ordering. For each unreachable object with a finalizer (in
    /// registration order), everything it reaches is kept alive for this
    /// cycle; only an object that no other dying finalizable object reaches
    /// is finalized now (one per strongly connected component); the rest
    /// stay registered for the next major collection. Weak references to
    /// objects that are not really alive are cleared. Allocates nothing
    /// after [`reserve_ordering`](Self::reserve_ordering).
    ///
    /// # Safety
    ///
    /// These lists and `weaks` belong to the heap `access` guards, whose
    /// marking just ended (no grey object left, nothing swept since it
    /// started), and its nursery is empty (as for `GreyStacks::mark`).
    pub(crate) unsafe fn order(&mut self, access: &Access, weaks: &mut WeakTable) -> Ordered {
        let mut ordered = Ordered {
            finalized: std::mem::take(&mut self.finalized),
            kept_alive: 0,
        };
        if self.old.is_empty() {
            // SAFETY: the end of this heap's marking (the caller's
            // guarantee), before its sweep.
            unsafe { weaks.clear_unreachable(access) };
            return ordered;
        }
        // SAFETY: the finalizer lists hold live objects (invariant in
        // `header.rs`); nothing is freed during this function.
        let open = |p: ObjPtr| unsafe { p.open(access) };
        let Finalizers {
            old,
            still,
            marked,
            stack,
            ..
        } = self;
        while let Some(x) = old.pop_front() {
            if open(x).has(VISITED) {
                still.push_back(x);
                continue;
            }
            marked.push((x, false));
            // SAFETY: during the ordering, on an object of this heap.
            ordered.kept_alive += unsafe { mark_temporary(access, open(x), stack) };
            // 1 -> 2 over x's closure: mark it.
            // SAFETY: a registered object of this heap; the caller's
            // guarantee for the rest.
            unsafe { mark_from(access, open(x), stack) };
        }
        // Decide first: `x` is finalized now iff it is still in state 2
        // (no later finalizable object reached it). Deciding before any
        // clean-up gives PyPy's answers: a state-2 `x` is never in the
        // closure of another state-2 `x'` processed after it.
        for (x, now) in marked.iter_mut() {
            *now = fin_state(*open(*x)) == 2;
        }
        // SAFETY: as above.
        unsafe { weaks.note_finalizer_only(access) };
        // What a resurrecting finalizer keeps (now or at a later major
        // collection) can become strongly reachable again, from the saved
        // list: its weak references stay, so that a weak reference never
        // reads nil while its referent is reachable. Everything else kept
        // only for a finalizer loses its weak references, as in PyPy.
        let resurrecting = |x: &ObjRef<'_>| x.has(HAS_FINALIZER) && x.has(FIN_RESURRECT);
        for x in marked.iter().map(|&(x, _)| x).chain(still.iter().copied()) {
            let x = open(x);
            if resurrecting(&x) {
                // SAFETY: as above.
                unsafe { bump_2_to_3(access, x, stack) };
            }
        }
        // SAFETY: as above.
        unsafe { weaks.clear_unreachable(access) };
        for (x, now) in marked.drain(..) {
            if now {
                let x = open(x);
                x.remove_info(HAS_FINALIZER);
                x.add_info(FINALIZED);
                ordered.finalized.push(x.ptr());
                // SAFETY: as above.
                unsafe { bump_2_to_3(access, x, stack) };
            } else {
                still.push_back(x);
            }
        }
        // `old` is empty: the still-registered objects become the list,
        // the emptied list the next ordering's scratch.
        std::mem::swap(old, still);
        // The stack can be as long as the garbage: not kept between cycles.
        *stack = Vec::new();
        ordered
    }
}

/// Moves `y` on as a walk of the ordering meets it — 0 -> 1 (returning
/// its bytes) or 2 -> 3 — and pushes it, so that its referents are met
/// next; an object in state 1 or 3 is left. Each object makes each move
/// once per ordering, so the stack never holds an object twice, nor one
/// that was black when the marking ended.
///
/// # Safety
///
/// As for [`mark_temporary`].
#[inline]
unsafe fn meet(y: ObjRef<'_>, stack: &mut Vec<ObjPtr>) -> usize {
    let bytes = match fin_state(*y) {
        0 => {
            // SAFETY: the finalizer ordering's own bit, during it (the
            // caller's guarantee).
            unsafe { y.add(FINALIZATION_ORDERING) };
            y.size_bytes()
        }
        2 => {
            // SAFETY: as above.
            unsafe { y.remove(FINALIZATION_ORDERING) };
            0
        }
        _ => return 0,
    };
    debug_assert!(stack.len() < stack.capacity(), "reserved by the ordering");
    stack.push(y.ptr());
    bytes
}

/// Empties `stack`, meeting the referents of each object it pops: a
/// temporary (state 1) object's unreachable (0) and finalizer-reachable
/// (2) referents, an alive (3, just bumped) object's state-2 ones (an
/// object in state 2 or 3 refers to none in state 0 or 1: it is black).
/// Returns the bytes moved from 0 to 1.
///
/// # Safety
///
/// As for [`mark_temporary`]; `stack` holds objects of that heap.
unsafe fn walk(access: &Access, stack: &mut Vec<ObjPtr>) -> usize {
    let mut bytes = 0;
    while let Some(y) = stack.pop() {
        // SAFETY: pushed by `meet`: a live object of this heap (nothing is
        // freed during the ordering).
        let y = unsafe { y.open(access) };
        let temporary = fin_state(*y) == 1;
        for z in y.slots().iter().filter_map(Slot::get) {
            if temporary || fin_state(*z) == 2 {
                // SAFETY: the caller's guarantee.
                bytes += unsafe { meet(z, stack) };
            }
        }
    }
    bytes
}

/// 0 -> 1 over the unreachable objects reachable from `x` (PyPy's
/// `_recursively_bump_finalization_state_from_0_to_1`, with state-2
/// objects met on the way bumped to 3); returns their bytes.
///
/// # Safety
///
/// Called by the finalizer ordering ([`Finalizers::order`]) on an object
/// of the heap it orders, `access`'s, with an empty `stack` that has room
/// for every object still white when marking ended: the ordering bit
/// decides what survives, and is set only during it.
unsafe fn mark_temporary(access: &Access, x: ObjRef<'_>, stack: &mut Vec<ObjPtr>) -> usize {
    // SAFETY: the caller's guarantee.
    unsafe { meet(x, stack) + walk(access, stack) }
}

/// Clears the ordering bit over the state-2 objects reachable from `x`
/// through state-2 objects.
///
/// # Safety
///
/// As for [`mark_temporary`].
unsafe fn bump_2_to_3(access: &Access, x: ObjRef<'_>, stack: &mut Vec<ObjPtr>) {
    if fin_state(*x) == 2 {
        // SAFETY: the caller's guarantee.
        unsafe {
            meet(x, stack);
            walk(access, stack);
        }
    }
}
