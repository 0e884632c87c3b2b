//! Colours and the grey stacks of the incremental marking (PyPy's
//! `objects_to_trace` and `more_objects_to_trace`).
//!
//! An old object is *white* (unmarked), *grey* (on a stack, `MORE_PENDING`
//! when a minor collection pushed it) or *black* ([`VISITED`]). Visiting a
//! grey object blackens it and greys its white children. Blackening also
//! sets [`TRACK_YOUNG_PTRS`], so that a write into a black object takes the
//! barrier's slow path and the next minor collection greys what was
//! written (see `barrier.rs` for the marking invariant this keeps).

use gc_core::GcError;

use crate::header::{
    Access, Block, FINALIZATION_ORDERING, MORE_PENDING, ObjPtr, ObjRef, Slot, TRACK_YOUNG_PTRS,
    VISITED,
};
use crate::system;

/// The finalization state of an old object during the finalizer ordering
/// (PyPy's four states; if x refers to y then `state(y) >= state(x)`).
pub(crate) fn fin_state(obj: Block<'_>) -> u8 {
    match (obj.has(VISITED), obj.has(FINALIZATION_ORDERING)) {
        (false, false) => 0, // unreachable
        (false, true) => 1,  // temporary
        (true, true) => 2,   // reachable only from a finalizer (maybe itself)
        (true, false) => 3,  // alive
    }
}

/// Whether a marked heap keeps `obj` for the mutator: black, and not only
/// for a finalizer.
pub(crate) fn survives(obj: Block<'_>) -> bool {
    fin_state(obj) == 3
}

/// The grey objects of the current cycle.
#[derive(Debug, Default)]
pub(crate) struct GreyStacks {
    /// Grey objects (pushed, not yet visited), including the white
    /// referents of black objects written since the last minor collection.
    objects: Vec<ObjPtr>,
    /// Roots' referents greyed by minor collections during marking: visited
    /// once the other greys run out.
    roots: Vec<ObjPtr>,
    /// Objects blackened since the cycle started: at the end of marking
    /// every other old object is white (only a visit sets [`VISITED`], and
    /// the sweep clears it on every object), which bounds what the
    /// finalizer ordering walks.
    blackened: usize,
}

impl GreyStacks {
    /// A new cycle: the roots are the only greys. `OutOfMemory` (nothing
    /// changed) when the stack cannot grow to hold them.
    ///
    /// # Safety
    ///
    /// `roots` are live objects of the heap these stacks belong to.
    /// `n` is how many `roots` yields.
    pub(crate) unsafe fn start(
        &mut self,
        n: usize,
        roots: impl Iterator<Item = ObjPtr>,
    ) -> Result<(), GcError> {
        self.objects.clear();
        system::reserve(&mut self.objects, n)?;
        self.roots.clear();
        self.objects.extend(roots);
        self.blackened = 0;
        Ok(())
    }

    /// Objects blackened since the cycle started.
    pub(crate) fn blackened(&self) -> usize {
        self.blackened
    }

    /// No grey object is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.roots.is_empty()
    }

    /// Every grey object (for the consistency check).
    pub(crate) fn all(&self) -> impl Iterator<Item = ObjPtr> + '_ {
        self.objects.iter().chain(&self.roots).copied()
    }

    /// The stacks, named (for the consistency check).
    pub(crate) fn lists(&self) -> [(&'static str, &[ObjPtr]); 2] {
        [
            ("the grey stack", &self.objects),
            ("the roots' grey stack", &self.roots),
        ]
    }

    /// Before a minor collection during marking: room for `roots` more
    /// roots' greys and `referents` more greys, or `OutOfMemory`.
    pub(crate) fn reserve_minor(&mut self, roots: usize, referents: usize) -> Result<(), GcError> {
        system::reserve(&mut self.roots, roots)?;
        system::reserve(&mut self.objects, referents)
    }

    /// A minor collection found a root referring to `obj`: grey it (once:
    /// `MORE_PENDING` says it is on a stack already) unless it is black.
    ///
    /// # Safety
    ///
    /// `obj` is a live old object of the heap these stacks belong to.
    #[inline]
    pub(crate) unsafe fn grey_root(&mut self, obj: ObjRef<'_>) {
        if !obj.has(VISITED | MORE_PENDING) {
            // SAFETY: it goes on a grey stack right here.
            unsafe { obj.add(MORE_PENDING) };
            self.roots.push(obj.ptr());
        }
    }

    /// A minor collection traced the dirty cards of `obj`, a black large
    /// node, without greying their referents: make it grey again (off
    /// [`VISITED`], on the grey stack), so that the next marking step
    /// traces it whole — PyPy's `collect_cardrefs_to_nursery` during
    /// marking, except that PyPy defers it to the end of marking (as the
    /// roots' greys here). Room on the stack was reserved by
    /// [`reserve_minor`](Self::reserve_minor).
    ///
    /// # Safety
    ///
    /// `obj` is a live, black old object of the heap these stacks belong
    /// to, blackened in this cycle.
    pub(crate) unsafe fn regrey(&mut self, obj: ObjRef<'_>) {
        let tid = obj.tid();
        debug_assert!(tid & VISITED != 0 && tid & MORE_PENDING == 0);
        // SAFETY: it goes on a grey stack right here; no longer black, so
        // no black object refers to a white one through it.
        unsafe { obj.set_tid((tid & !VISITED) | MORE_PENDING) };
        // Blackened again when it is visited.
        self.blackened -= 1;
        debug_assert!(self.objects.len() < self.objects.capacity());
        self.objects.push(obj.ptr());
    }

    /// A minor collection found a black object referring to `obj`: grey it
    /// unless it is black or grey already.
    ///
    /// # Safety
    ///
    /// As for [`grey_root`](Self::grey_root).
    #[inline]
    pub(crate) unsafe fn grey_referent(&mut self, obj: ObjRef<'_>) {
        let tid = obj.tid();
        if tid & (VISITED | MORE_PENDING) == 0 {
            // SAFETY: it goes on a grey stack right here.
            unsafe { obj.set_tid(tid | MORE_PENDING) };
            self.objects.push(obj.ptr());
        }
    }

    /// PyPy's `visit`: blacken `obj` (and put it back on the barrier's
    /// slow path), grey its white children; returns the bytes marked.
    ///
    /// # Safety
    ///
    /// As for [`mark`](Self::mark): `obj` is a live old object of the heap
    /// these stacks belong to, whose nursery is empty.
    #[inline]
    unsafe fn visit(&mut self, obj: ObjRef<'_>) -> usize {
        let tid = obj.tid();
        if tid & VISITED != 0 {
            return 0;
        }
        // SAFETY: the marking blackens a grey object (off its stack now)
        // and puts it on the barrier's slow path (see `barrier.rs`).
        unsafe { obj.set_tid((tid | VISITED | TRACK_YOUNG_PTRS) & !MORE_PENDING) };
        self.blackened += 1;
        for slot in obj.slots() {
            if let Some(child) = slot.get() {
                if !child.has(VISITED) {
                    self.objects.push(child.ptr());
                }
            }
        }
        obj.size_bytes()
    }

    /// Visits grey objects until `budget` bytes are marked or none is left;
    /// once the ordinary greys run out (and `chase`), the roots' greys too.
    /// Returns what is left of the budget and whether it chased, or
    /// `OutOfMemory` when the grey stack cannot grow: the object being
    /// visited stays grey, so marking resumes where it stopped.
    ///
    /// # Safety
    ///
    /// These stacks belong to the heap `access` guards, and its nursery is
    /// empty: every object marking reaches is old (blackening sets the
    /// barrier bit, never set on a nursery object).
    pub(crate) unsafe fn mark(
        &mut self,
        access: &Access,
        budget: usize,
    ) -> Result<(usize, bool), GcError> {
        // SAFETY: the caller's guarantee.
        let mut remaining = unsafe { self.mark_objects(access, budget)? };
        let mut chased = false;
        if self.objects.is_empty() && !self.roots.is_empty() {
            std::mem::swap(&mut self.objects, &mut self.roots);
            // SAFETY: as above.
            remaining = unsafe { self.mark_objects(access, remaining.max(1))? };
            chased = true;
        }
        Ok((remaining, chased))
    }

    /// Room on the grey stack for what visiting `obj` pushes (its white
    /// children), or `OutOfMemory`. Counts them only when the stack's
    /// spare room might not do.
    #[inline]
    fn reserve_children(&mut self, obj: ObjRef<'_>) -> Result<(), GcError> {
        let spare = self.objects.capacity() - self.objects.len();
        if obj.slot_count() <= spare || obj.has(VISITED) {
            return Ok(());
        }
        let white = obj
            .slots()
            .iter()
            .filter(|slot| slot.get().is_some_and(|child| !child.has(VISITED)))
            .count();
        system::reserve(&mut self.objects, white)
    }

    /// # Safety
    ///
    /// As for [`mark`](Self::mark).
    unsafe fn mark_objects(&mut self, access: &Access, budget: usize) -> Result<usize, GcError> {
        let mut remaining = budget;
        while remaining > 0 {
            let Some(ptr) = self.objects.pop() else {
                break;
            };
            // SAFETY: grey objects are live (invariant in `header.rs`).
            let obj = unsafe { ptr.open(access) };
            // Room for its children before it turns black.
            if let Err(e) = self.reserve_children(obj) {
                // Still grey; its place on the stack was just freed.
                self.objects.push(ptr);
                return Err(e);
            }
            // SAFETY: a live object of this heap, old (the nursery is
            // empty: the caller's guarantee).
            remaining = remaining.saturating_sub(unsafe { self.visit(obj) });
        }
        Ok(remaining)
    }
}

/// Marks everything reachable from `obj` (the finalizer ordering, at the
/// end of marking: no grey object is left). An object is blackened as it
/// goes on `stack`, so it goes there at most once: with room for every
/// object that was white when the marking ended, this allocates nothing.
///
/// # Safety
///
/// As for [`GreyStacks::mark`]: `obj` is a live old object of the heap
/// `access` guards, whose nursery is empty.
pub(crate) unsafe fn mark_from(access: &Access, obj: ObjRef<'_>, stack: &mut Vec<ObjPtr>) {
    // SAFETY: the caller's guarantee.
    unsafe { blacken(obj, stack) };
    while let Some(ptr) = stack.pop() {
        // SAFETY: pushed above or below: a live object of this heap (its
        // children are live: the invariant in `header.rs`).
        let obj = unsafe { ptr.open(access) };
        for child in obj.slots().iter().filter_map(Slot::get) {
            // SAFETY: as above.
            unsafe { blacken(child, stack) };
        }
    }
}

/// Blackens `obj` (as a visit does) and pushes it, unless it is black.
///
/// # Safety
///
/// As for [`mark_from`].
#[inline]
unsafe fn blacken(obj: ObjRef<'_>, stack: &mut Vec<ObjPtr>) {
    let tid = obj.tid();
    if tid & VISITED == 0 {
        // SAFETY: as in `GreyStacks::visit` (the caller's guarantee); it
        // goes on the stack right here, so its children are greyed.
        unsafe { obj.set_tid((tid | VISITED | TRACK_YOUNG_PTRS) & !MORE_PENDING) };
        debug_assert!(stack.len() < stack.capacity(), "reserved by the ordering");
        stack.push(obj.ptr());
    }
}
