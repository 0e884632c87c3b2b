//! The heap's memory and the right to read it, in one value: [`Space`]
//! owns the nursery ([`Young`]), the old generation ([`OldGen`]) and the
//! [`Access`] token that every opened object borrows.
//!
//! Keeping them in one value is what makes the token's promise hold by
//! construction (issue #12, finding D): an `ObjRef<'h>` borrows the token
//! through [`Space::access`], that is, it borrows the whole `Space`; and
//! everything that frees, moves or replaces object memory — a minor
//! collection, a sweep step, replacing or dropping the space itself —
//! needs `&mut Space`. The fields are private to this module, and the
//! memory-owning parts (`Young`, `OldGen`, their `Nursery` and
//! `PageAllocator`) can only be made by `unsafe fn`s, so no safe code
//! elsewhere can take one out, swap one in or drop one while an object
//! opened through the token lives.

use gc_core::{GcError, Kind};

use crate::header::{
    Access, Block, HAS_CARDS, LARGE, OLD, ObjPtr, ObjRef, TRACK_YOUNG_PTRS, card_words,
    init_object, make_tid, object_bytes,
};
use crate::minor::{MinorReport, MinorScope, Young};
use crate::nursery::{NURSERY_STEPS, Nursery};
use crate::old::{OldGen, Swept};

/// The heap's memory and its token. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Space {
    /// The right to read objects: borrowed (with the whole space) by every
    /// `ObjRef`; taken `&mut` (with the whole space) by whatever frees or
    /// moves objects.
    access: Access,
    young: Young,
    old: OldGen,
    /// The share of the nursery the last minor collection promoted (1
    /// before the first): how much old-generation memory
    /// [`prefault`](Self::prefault) makes ready for the next one.
    promoted_share: f64,
    /// Minor collections started (wrapping): an address read before an
    /// operation is still its object's while this has not changed, since
    /// only a minor collection moves objects.
    moves: u64,
}

impl Drop for Space {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no object opened through the token lives,
        // and the space is going away, so nothing opens one again (the
        // contract of `Space::new` covers stored addresses).
        unsafe { self.old.free_all(&mut self.access) };
    }
}

/// Why [`Space::alloc_young`] made no object (small, so that its result
/// stays in registers on the allocation fast path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoRoom {
    /// The nursery is full: collect, then try again.
    Full,
    /// The system refused room to note the object (`OutOfMemory`).
    Refused,
}

/// The largest slot count or payload length an object's lengths word holds
/// (32 bits each; `Shape::check`'s limits are far below).
const MAX_LENGTH: usize = u32::MAX as usize;

impl Space {
    /// A space with a nursery of `nursery` bytes, or `None` when the
    /// system cannot provide it.
    ///
    /// # Safety
    ///
    /// The addresses of this space's objects that the caller stores
    /// (roots, lists, weak entries) go with it: the space is never dropped,
    /// replaced or swapped with another while such an address is stored
    /// and may be opened again (a heap keeps its space in a private field
    /// for its whole life).
    pub(crate) unsafe fn new(nursery: usize) -> Option<Self> {
        // SAFETY: the nursery and the old generation are kept with their
        // token in this space, in private fields, until it is dropped.
        unsafe {
            Some(Space {
                access: Access::new(),
                young: Young::new(Nursery::new(nursery)?),
                old: OldGen::new(),
                promoted_share: 1.0,
                moves: 0,
            })
        }
    }

    /// The token, to open objects: they borrow the whole space.
    #[inline(always)]
    pub(crate) fn access(&self) -> &Access {
        &self.access
    }

    /// Minor collections started so far (wrapping): unchanged, no object
    /// has moved.
    #[inline(always)]
    pub(crate) fn moves(&self) -> u64 {
        self.moves
    }

    /// The young generation (read only).
    #[inline(always)]
    pub(crate) fn young(&self) -> &Young {
        &self.young
    }

    /// The old generation (read only).
    #[inline(always)]
    pub(crate) fn old(&self) -> &OldGen {
        &self.old
    }

    /// A new object in the nursery (nil slots, zero payload) with header
    /// `make_tid(kind, id, 0)`, or why not: the nursery is full, or the
    /// system refused room to note it (nothing changed either way).
    ///
    /// # Panics
    ///
    /// When `slots` or `payload` is 2^32 or more (the lengths word holds
    /// each in 32 bits; callers check the shape first).
    #[inline(always)]
    pub(crate) fn alloc_young(
        &mut self,
        kind: Kind,
        id: u64,
        slots: usize,
        payload: usize,
    ) -> Result<ObjPtr, NoRoom> {
        assert!(
            slots <= MAX_LENGTH && payload <= MAX_LENGTH,
            "object too large"
        );
        let bytes = object_bytes(slots, payload);
        if self.young.reserve_note(bytes).is_err() {
            return Err(NoRoom::Refused);
        }
        // SAFETY: initialised right below, before the nursery is used
        // again.
        let ptr = match unsafe { self.young.alloc(bytes) } {
            Some(ptr) => ptr,
            None => {
                if !self.young.extend(bytes) {
                    return Err(NoRoom::Full);
                }
                self.prefault();
                // SAFETY: as above.
                match unsafe { self.young.alloc(bytes) } {
                    Some(ptr) => ptr,
                    None => return Err(NoRoom::Full),
                }
            }
        };
        // SAFETY: the nursery returned `bytes` writable, aligned bytes of
        // this space's memory; the lengths are under 2^32 (asserted).
        let obj = unsafe { init_object(ptr, make_tid(kind, id, 0), slots, payload) };
        // SAFETY: just allocated in this nursery and initialised.
        unsafe { self.young.note_alloc(obj, bytes, payload) };
        Ok(obj)
    }

    /// At each step of the nursery's fill (between collections): touches
    /// old-generation memory ahead of the next minor collection, so that
    /// its promotion writes to pages already mapped instead of taking a
    /// page fault per 4 KiB inside the pause (≈2 ms per 4 MiB promoted
    /// here). How much: the share the last minor promoted of what the
    /// nursery holds by the end of this step; at most two arenas a step.
    #[cold]
    fn prefault(&mut self) {
        let step = self.young.capacity().div_ceil(NURSERY_STEPS);
        let ahead = (self.young.used() + step).min(self.young.capacity());
        let want = (ahead as f64 * self.promoted_share) as usize;
        self.old.prefault(want, 2);
    }

    /// A new large object born old (PyPy's `external_malloc`), in its own
    /// allocation, with cards when it has slots; registered with the old
    /// generation. `OutOfMemory` when the system refuses.
    ///
    /// # Panics
    ///
    /// As for [`alloc_young`](Self::alloc_young).
    pub(crate) fn alloc_large(
        &mut self,
        kind: Kind,
        id: u64,
        slots: usize,
        payload: usize,
    ) -> Result<ObjPtr, GcError> {
        assert!(
            slots <= MAX_LENGTH && payload <= MAX_LENGTH,
            "object too large"
        );
        let bytes = object_bytes(slots, payload);
        let cards = if slots > 0 { card_words(slots) } else { 0 };
        let ptr = self.old.alloc_large(bytes, cards)?;
        let mut flags = OLD | LARGE | TRACK_YOUNG_PTRS;
        if cards > 0 {
            flags |= HAS_CARDS;
        }
        // SAFETY: `alloc_large` returned `bytes` writable bytes after the
        // `cards` zeroed card words, in the same allocation, owned by the
        // old generation; the lengths are under 2^32 (asserted).
        let ptr = unsafe { init_object(ptr, make_tid(kind, id, flags), slots, payload) };
        // SAFETY: just allocated by `alloc_large` and initialised: live,
        // not registered yet.
        unsafe { self.old.add_large(ptr.open(&self.access)) };
        Ok(ptr)
    }

    /// One minor collection: the nursery's survivors are copied into the
    /// old generation, every reference in `scope` forwarded, the nursery
    /// reset. `OutOfMemory` when the system refuses the room reserved
    /// before anything moves (then nothing did).
    ///
    /// # Safety
    ///
    /// Every part of `scope` belongs to the heap whose space this is: its
    /// roots, finalizers, weak references, remembered set and grey stacks
    /// hold this space's objects, and they are every place outside the
    /// space's objects where its young objects' addresses are stored.
    pub(crate) unsafe fn minor(&mut self, scope: MinorScope<'_>) -> Result<MinorReport, GcError> {
        self.moves = self.moves.wrapping_add(1);
        let used = self.young.used();
        // SAFETY: the token, nursery and old generation are this space's;
        // the caller's guarantee for the rest.
        let report = unsafe { self.young.collect(&mut self.access, &mut self.old, scope) }?;
        if used > 0 {
            self.promoted_share = (report.promoted_bytes as f64 / used as f64).min(1.0);
        }
        Ok(report)
    }

    /// Room for what the sweep's lists can grow to (see
    /// [`OldGen::reserve_sweep`]), or `OutOfMemory`.
    pub(crate) fn reserve_sweep(&mut self) -> Result<(), GcError> {
        self.old.reserve_sweep()
    }

    /// The end of marking: every old object goes to the sweeper.
    pub(crate) fn prepare_sweep(&mut self) {
        self.old.prepare_sweep();
    }

    /// Large objects wait for the sweeper.
    pub(crate) fn sweeping_large(&self) -> bool {
        self.old.sweeping_large()
    }

    /// Sweeps up to `limit` large objects (see [`OldGen::sweep_large`]).
    ///
    /// # Safety
    ///
    /// As for [`OldGen::sweep_large`]: marking is complete, so no stored
    /// reference leads to an unmarked object waiting for the sweeper.
    pub(crate) unsafe fn sweep_large(&mut self, limit: usize) -> Swept {
        // SAFETY: the caller's guarantee; the token is this space's.
        unsafe { self.old.sweep_large(limit, &mut self.access) }
    }

    /// Sweeps up to `limit` pages; true once every page is swept.
    ///
    /// # Safety
    ///
    /// As for [`sweep_large`](Self::sweep_large).
    pub(crate) unsafe fn sweep_pages(&mut self, limit: usize) -> (Swept, bool) {
        // SAFETY: as above.
        unsafe { self.old.sweep_pages(limit, &mut self.access) }
    }

    /// Every object not yet freed, with the object itself when it is
    /// known to be live: not an unmarked one waiting for the sweeper.
    pub(crate) fn for_each_object<'h>(&'h self, mut f: impl FnMut(Block<'h>, Option<ObjRef<'h>>)) {
        // Young objects are live: a major step (the only freeing of old
        // objects) runs with an empty nursery, so no young object refers
        // to a freed one.
        self.young.for_each(&self.access, |o| {
            // SAFETY: see above.
            f(o, Some(unsafe { o.assume_live() }));
        });
        self.old.for_each(&self.access, f);
    }
}
