//! Objects with finalizers, and PyPy's finalizer ordering
//! (`deal_with_objects_with_finalizers`, `pypy/doc/discussion/
//! finalizer-order.rst`): at the end of marking, one finalizer per strongly
//! connected component of dying finalizable objects runs; what they reach
//! is kept for this cycle.

use std::collections::VecDeque;

use gc_core::{Finalizer, GcError};

use crate::header::{
    Access, FIN_HOOK, FIN_RESURRECT, FINALIZATION_ORDERING, FINALIZED, HAS_FINALIZER, OLD, ObjPtr,
    ObjRef, Slot, VISITED,
};
use crate::mark::{GreyStacks, fin_state};
use crate::system;
use crate::weak::WeakTable;

/// The objects registered for finalization.
#[derive(Debug, Default)]
pub(crate) struct Finalizers {
    /// Nursery objects (PyPy's `probably_young_objects_with_finalizers`).
    young: Vec<ObjPtr>,
    /// Old objects, in registration order.
    old: VecDeque<ObjPtr>,
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
    /// objects that are not really alive are cleared.
    ///
    /// # Safety
    ///
    /// These lists, `grey` and `weaks` belong to the heap `access` guards,
    /// whose marking just ended (no grey object left, nothing swept since
    /// it started), and its nursery is empty (as for [`GreyStacks::mark`]).
    pub(crate) unsafe fn order(
        &mut self,
        access: &Access,
        grey: &mut GreyStacks,
        weaks: &mut WeakTable,
    ) -> Ordered {
        let mut ordered = Ordered::default();
        if self.old.is_empty() {
            // SAFETY: the end of this heap's marking (the caller's
            // guarantee), before its sweep.
            unsafe { weaks.clear_unreachable(access) };
            return ordered;
        }
        // SAFETY: the finalizer lists hold live objects (invariant in
        // `header.rs`); nothing is freed during this function.
        let open = |p: ObjPtr| unsafe { p.open(access) };
        let mut still_registered = VecDeque::new();
        let mut marked = Vec::new();
        while let Some(x) = self.old.pop_front() {
            let x = open(x);
            if x.has(VISITED) {
                still_registered.push_back(x);
                continue;
            }
            marked.push(x);
            // SAFETY: during the ordering, on an object of this heap.
            ordered.kept_alive += unsafe { mark_temporary(x) };
            // 1 -> 2 over x's closure: mark it.
            // SAFETY: a registered object of this heap; the caller's
            // guarantee for the rest.
            unsafe { grey.mark_from(access, x) };
        }
        // Decide first: `x` is finalized now iff it is still in state 2
        // (no later finalizable object reached it). Deciding before any
        // clean-up gives PyPy's answers: a state-2 `x` is never in the
        // closure of another state-2 `x'` processed after it.
        let decided: Vec<(ObjRef<'_>, bool)> = marked
            .into_iter()
            .map(|x| (x, fin_state(*x) == 2))
            .collect();
        // What a resurrecting finalizer keeps (now or at a later major
        // collection) can become strongly reachable again, from the saved
        // list: its weak references stay, so that a weak reference never
        // reads nil while its referent is reachable. Everything else kept
        // only for a finalizer loses its weak references, as in PyPy.
        let resurrecting = |x: &ObjRef<'_>| x.has(HAS_FINALIZER) && x.has(FIN_RESURRECT);
        for &x in decided
            .iter()
            .map(|(x, _)| x)
            .chain(&still_registered)
            .filter(|x| resurrecting(x))
        {
            // SAFETY: as above.
            unsafe { bump_2_to_3(x) };
        }
        // SAFETY: as above.
        unsafe { weaks.clear_unreachable(access) };
        for (x, now) in decided {
            if now {
                x.remove_info(HAS_FINALIZER);
                x.add_info(FINALIZED);
                ordered.finalized.push(x.ptr());
                // SAFETY: as above.
                unsafe { bump_2_to_3(x) };
            } else {
                still_registered.push_back(x);
            }
        }
        self.old = still_registered.into_iter().map(|x| x.ptr()).collect();
        ordered
    }
}

/// 0 -> 1 over the unreachable objects reachable from `x` (PyPy's
/// `_recursively_bump_finalization_state_from_0_to_1`, with state-2
/// objects met on the way bumped to 3); returns their bytes.
///
/// # Safety
///
/// Called by the finalizer ordering ([`Finalizers::order`]) on an object
/// of the heap it orders: the ordering bit decides what survives, and is
/// set only during it.
unsafe fn mark_temporary(x: ObjRef<'_>) -> usize {
    let mut bytes = 0;
    let mut pending = vec![x];
    while let Some(y) = pending.pop() {
        match fin_state(*y) {
            0 => {
                // SAFETY: the finalizer ordering's own bit, during it (the
                // caller's guarantee).
                unsafe { y.add(FINALIZATION_ORDERING) };
                bytes += y.size_bytes();
                pending.extend(y.slots().iter().filter_map(Slot::get));
            }
            // SAFETY: the caller's guarantee.
            2 => unsafe { bump_2_to_3(y) },
            _ => {}
        }
    }
    bytes
}

/// Clears the ordering bit over the state-2 objects reachable from `obj`.
///
/// # Safety
///
/// As for [`mark_temporary`].
unsafe fn bump_2_to_3(obj: ObjRef<'_>) {
    let mut stack = vec![obj];
    while let Some(y) = stack.pop() {
        if fin_state(*y) == 2 {
            // SAFETY: as in `mark_temporary`.
            unsafe { y.remove(FINALIZATION_ORDERING) };
            stack.extend(y.slots().iter().filter_map(Slot::get));
        }
    }
}
