//! The young generation and the minor collection (PyPy's
//! `_minor_collection`): copy the nursery's survivors into the old
//! generation, forwarding every reference to them, then reset the nursery.
//! Its cost is proportional to the survivors, the roots and the remembered
//! set, never to the nursery's size: dead young objects are never looked at
//! (their number is the allocation count minus the survivors).

use std::ptr::NonNull;

use gc_core::GcError;

use crate::barrier::RememberedSet;
use crate::finalizers::Finalizers;
use crate::header::{
    Access, Block, CARD_SLOTS, CARDS_PER_BYTE, CARDS_SET, Found, OLD, ObjPtr, ObjRef, Slot,
    TRACK_YOUNG_PTRS, VISITED, move_object, object_bytes,
};
use crate::mark::GreyStacks;
use crate::nursery::Nursery;
use crate::old::OldGen;
use crate::pages::SMALL_REQUEST_THRESHOLD;
use crate::roots::Roots;
use crate::system;
use crate::weak::WeakTable;

/// How many slots ahead `trace_slots_black` prefetches referents.
///
/// The survivors of a minor collection on long arrays (`large_arrays`) are
/// scattered over the nursery, and reading each one's header was a cache
/// miss that stalled the copy loop: ~90 ns per promoted object. Sixteen
/// slots ahead lets the misses overlap; 8, 16 and 32 were measured and 16
/// was best by a little.
const PREFETCH_AHEAD: usize = 16;

/// Slots classified (young or not) per pass of `trace_slots`.
const SCAN_CHUNK: usize = 64;
/// Up to this many slots, `collect_oldrefs` and `trace_slots` follow each
/// young referent at once (no classifying pass).
const SHORT_SLOTS: usize = 4;

/// Hints the cache to fetch the byte at `addr`; no effect on the
/// program's state (a prefetch never faults, whatever the address).
#[inline(always)]
fn prefetch(addr: usize) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: a prefetch never faults and reads nothing the program sees.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::without_provenance::<i8>(addr));
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = addr;
}

/// The nursery and what was allocated in it since the last minor
/// collection.
#[derive(Debug)]
pub(crate) struct Young {
    nursery: Nursery,
    /// Objects (and their payload bytes) allocated since the last minor
    /// collection.
    objects: u64,
    payload: u64,
    /// The young objects over 280 bytes (a promoted one is allocated
    /// individually, in a block reserved before the minor collection),
    /// and their bytes.
    medium: Vec<ObjPtr>,
    medium_bytes: usize,
}

/// What one minor collection did.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MinorReport {
    /// Young objects freed, and their payload bytes.
    pub(crate) freed: u64,
    pub(crate) freed_payload: u64,
    /// Objects and bytes copied into the old generation.
    pub(crate) promoted_objects: u64,
    pub(crate) promoted_bytes: usize,
    promoted_payload: u64,
    /// Slots of large nodes rescanned through dirty cards.
    pub(crate) card_slots_scanned: u64,
}

/// Everything a minor collection reads or updates besides the space (the
/// nursery, the old generation and the token): the parts of the same heap
/// ([`Young::collect`] relies on it).
pub(crate) struct MinorScope<'a> {
    /// The handles and the saved list.
    pub(crate) roots: &'a mut Roots,
    pub(crate) finalizers: &'a mut Finalizers,
    pub(crate) weaks: &'a mut WeakTable,
    pub(crate) remembered: &'a mut RememberedSet,
    /// The grey stacks, during marking: what the mutator can reach is
    /// greyed.
    pub(crate) marking: Option<&'a mut GreyStacks>,
}

impl Young {
    /// A young generation on `nursery`.
    ///
    /// # Safety
    ///
    /// As for [`Nursery::new`]: the young generation is kept with the
    /// token that guards its memory (in a `Space`).
    pub(crate) unsafe fn new(nursery: Nursery) -> Self {
        Young {
            nursery,
            objects: 0,
            payload: 0,
            medium: Vec::new(),
            medium_bytes: 0,
        }
    }

    /// The nursery's size in bytes.
    pub(crate) fn capacity(&self) -> usize {
        self.nursery.capacity()
    }

    /// Some object was allocated since the last minor collection.
    pub(crate) fn is_empty(&self) -> bool {
        self.nursery.used() == 0
    }

    /// Room for an object of `bytes`, or `None` when the nursery is full.
    /// Count it with [`note_alloc`](Self::note_alloc) once initialised.
    ///
    /// # Safety
    ///
    /// As for [`Nursery::alloc`]: initialised before any other call.
    #[inline(always)]
    pub(crate) unsafe fn alloc(&mut self, bytes: usize) -> Option<NonNull<u64>> {
        // SAFETY: the caller's guarantee.
        unsafe { self.nursery.alloc(bytes) }
    }

    /// [`alloc`](Self::alloc) of `bytes` stopped at one of the nursery's
    /// steps: moves on to the next (see [`Nursery::extend`]); false when
    /// the nursery is full.
    #[cold]
    pub(crate) fn extend(&mut self, bytes: usize) -> bool {
        self.nursery.extend(bytes)
    }

    /// Bytes allocated since the last minor collection.
    pub(crate) fn used(&self) -> usize {
        self.nursery.used()
    }

    /// Room to note one more object of `bytes` (call before
    /// [`alloc`](Self::alloc)): `OutOfMemory` when the system refuses.
    #[inline]
    pub(crate) fn reserve_note(&mut self, bytes: usize) -> Result<(), GcError> {
        if bytes > SMALL_REQUEST_THRESHOLD {
            system::reserve(&mut self.medium, 1)?;
        }
        Ok(())
    }

    /// Counts `obj` (of `bytes`), just initialised in the nursery.
    ///
    /// # Safety
    ///
    /// `obj` is the object of `bytes` bytes just allocated in this
    /// nursery and initialised (its address is kept and opened by the
    /// next minor collection).
    #[inline]
    pub(crate) unsafe fn note_alloc(&mut self, obj: ObjPtr, bytes: usize, payload: usize) {
        self.objects += 1;
        self.payload += payload as u64;
        if bytes > SMALL_REQUEST_THRESHOLD {
            self.medium.push(obj);
            self.medium_bytes += bytes;
        }
    }

    /// Every young object (all live: see `IncMiniMark::for_each_object`).
    pub(crate) fn for_each<'h>(&'h self, access: &'h Access, f: impl FnMut(Block<'h>)) {
        self.nursery.for_each(access, f);
    }

    /// Makes sure the minor collection allocates nothing: old-generation
    /// room for every nursery object, list capacity for what it records.
    ///
    /// # Safety
    ///
    /// As for [`collect`](Self::collect).
    unsafe fn reserve(
        &self,
        access: &Access,
        old: &mut OldGen,
        scope: &mut MinorScope<'_>,
    ) -> Result<(), GcError> {
        let medium = self.medium.iter().map(|&p| {
            // SAFETY: a young object of this heap (the caller's
            // guarantee), live until the nursery is reset.
            let obj = unsafe { p.open_block(access) };
            (obj.addr(), obj.size_bytes())
        });
        let small_bytes = self.nursery.used() - self.medium_bytes;
        let small_objects = self.objects as usize - self.medium.len();
        old.reserve_promotion(small_bytes, small_objects, medium)?;
        let lists = (|| {
            // Every promoted object with slots is traced from the
            // remembered set; every young finalizer entry moves to the
            // old list.
            scope.remembered.reserve_promoted(self.objects as usize)?;
            scope.finalizers.reserve_promotion()?;
            if let Some(grey) = scope.marking.as_deref_mut() {
                let roots = scope.roots.len();
                // The remembered objects' referents, and the large nodes
                // with dirty cards (greyed again when black).
                // SAFETY: the remembered set is this heap's (the
                // caller's guarantee).
                let referents = unsafe { scope.remembered.grey_bound(access) }
                    .saturating_add(scope.remembered.with_cards_len());
                grey.reserve_minor(roots, referents)?;
            }
            Ok(())
        })();
        if lists.is_err() {
            old.end_promotion();
        }
        lists
    }

    /// One minor collection (called by `Space::minor`), or `OutOfMemory`
    /// when the system refuses what it may need, reserved before anything
    /// changes (then no object moved, and the heap is as it was).
    ///
    /// # Safety
    ///
    /// `access` is the token that guards this nursery and `old`, and every
    /// part of `scope` belongs to the same heap (its roots, finalizers,
    /// weak references, remembered set and grey stacks): the collection
    /// forwards the references those hold, then frees the nursery.
    pub(crate) unsafe fn collect(
        &mut self,
        access: &mut Access,
        old: &mut OldGen,
        mut scope: MinorScope<'_>,
    ) -> Result<MinorReport, GcError> {
        // SAFETY: the caller's guarantee.
        unsafe { self.reserve(access, old, &mut scope)? };
        let MinorScope {
            roots,
            finalizers,
            weaks,
            remembered,
            marking,
        } = scope;
        let shared: &Access = access;
        let (young_start, young_bytes) = self.nursery.span();
        let mut copier = Copier {
            access: shared,
            young_start,
            young_bytes,
            old,
            remembered,
            marking,
            report: MinorReport::default(),
        };
        let forward = |root: ObjPtr| {
            // SAFETY: roots and the saved list hold live objects (invariant
            // in `header.rs`) of this heap (the caller's guarantee); the
            // copier's parts are this heap's.
            let moved = unsafe { copier.drag_out(root.open(shared)) };
            if let Some(grey) = copier.marking.as_deref_mut() {
                // SAFETY: a root of this heap, copied out: live and old.
                unsafe { grey.grey_root(moved) };
            }
            moved.ptr()
        };
        // SAFETY: each root becomes its live copy (or stays, when old).
        unsafe { roots.forward(forward) };
        // SAFETY: a finalizer list's object is a live object of this heap,
        // so `drag_out` may copy it, and answers the live copy in this heap.
        unsafe { finalizers.promote_young(shared, |obj| copier.drag_out(obj)) };
        loop {
            // SAFETY: the copier's parts are this heap's (built above from
            // the caller's guarantee).
            unsafe {
                copier.collect_cardrefs();
                copier.collect_oldrefs();
            }
            if !copier.remembered.has_cards() {
                break;
            }
        }
        // SAFETY: this heap's minor collection, every survivor copied.
        unsafe { weaks.forward_young(shared) };
        let mut report = copier.report;
        report.freed = self.objects - report.promoted_objects;
        report.freed_payload = self.payload - report.promoted_payload;
        self.objects = 0;
        self.payload = 0;
        old.end_promotion();
        self.medium.clear();
        self.medium_bytes = 0;
        // SAFETY: every root, saved object, finalizer entry, weak target
        // and slot of the remembered set and of the copies was forwarded
        // above; old objects outside the remembered set and the cards list
        // refer to no young object (the write barrier's invariant).
        unsafe { self.nursery.reset(access) };
        Ok(report)
    }
}

/// The copying half of a minor collection. Its parts are one heap's (the
/// methods' `# Safety`): made only by [`Young::collect`].
struct Copier<'a> {
    /// The token of the heap being collected (shared while objects are
    /// copied; the nursery is reset after the copier is gone).
    access: &'a Access,
    /// The nursery's allocated bytes `[young_start, young_start +
    /// young_bytes)`: an address inside is a young object, one outside an
    /// old one (PyPy's `is_in_nursery`), told without reading the object.
    young_start: usize,
    young_bytes: usize,
    old: &'a mut OldGen,
    remembered: &'a mut RememberedSet,
    marking: Option<&'a mut GreyStacks>,
    report: MinorReport,
}

impl Copier<'_> {
    /// `addr` is a young object's (PyPy's `is_in_nursery`: an address
    /// comparison, so an old referent's header is never read).
    #[inline(always)]
    fn is_young(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.young_start) < self.young_bytes
    }

    /// PyPy's `_trace_drag_out`: the new address of `obj`, copying it out
    /// of the nursery the first time it is reached.
    ///
    /// # Safety
    ///
    /// `obj` is a live object of the heap whose nursery is being collected
    /// (the one this copier's old generation, remembered set and grey
    /// stacks belong to), and the caller stores the answer wherever it
    /// stored `obj` (the copy is the object from now on).
    #[inline(always)]
    unsafe fn drag_out<'h>(&mut self, obj: ObjRef<'h>) -> ObjRef<'h> {
        if !self.is_young(obj.addr()) {
            debug_assert!(obj.has(OLD), "an object outside the nursery is old");
            return obj;
        }
        // SAFETY: the caller's guarantee, for a young object.
        unsafe { self.drag_out_young(obj) }
    }

    /// [`drag_out`](Self::drag_out) of an object known to be young.
    ///
    /// # Safety
    ///
    /// As for [`drag_out`](Self::drag_out), and `obj` is in the nursery.
    #[inline(always)]
    unsafe fn drag_out_young<'h>(&mut self, obj: ObjRef<'h>) -> ObjRef<'h> {
        debug_assert!(self.is_young(obj.addr()));
        debug_assert!(!obj.has(OLD), "a nursery object is young");
        let young = obj.addr();
        // One read of the header tells a copy from an object to copy (and
        // keeps its words for the copy: the stub's header changes).
        let obj = match obj.find() {
            Found::Moved(copy) => return copy,
            Found::Unmoved(obj) => obj,
        };
        let (slots, payload) = (obj.slot_count(), obj.payload_len());
        let bytes = object_bytes(slots, payload);
        // SAFETY: initialised right below by the copy.
        let (ptr, extra) = unsafe { self.old.alloc_promoted(bytes, young) };
        // SAFETY: a nursery object (no cards) of `bytes` bytes, found
        // unmoved just above; `alloc_promoted` returned `bytes` fresh bytes
        // of the old generation, disjoint from the nursery.
        let copy = unsafe { move_object(obj, bytes, ptr, OLD | extra) };
        if extra != 0 {
            // SAFETY: allocated individually by `alloc_promoted` just now
            // (`extra` says so) and initialised, not registered yet.
            unsafe { self.old.add_large(copy) };
        }
        self.report.promoted_bytes += bytes;
        self.report.promoted_objects += 1;
        self.report.promoted_payload += payload as u64;
        if slots > 0 {
            // Traced (and given TRACK_YOUNG_PTRS) by `collect_oldrefs`.
            // SAFETY: the live copy, in this heap's old generation.
            unsafe { self.remembered.push_promoted(copy) };
        }
        copy
    }

    /// Drags out what `slots` (of an old object) refer to.
    ///
    /// # Safety
    ///
    /// `slots` are the slots of a live old object of the heap being
    /// collected, which this collection traces (the barrier's invariant
    /// holds for it once the collection ends).
    unsafe fn trace_slots(&mut self, slots: &[Slot]) {
        let (start, bytes) = (self.young_start, self.young_bytes);
        if slots.len() <= SHORT_SLOTS {
            // A small object: its few referents are read right away.
            for slot in slots {
                // SAFETY: the caller's guarantee, for this slot.
                unsafe { self.trace_slot(slot, start, bytes) };
            }
            return;
        }
        // The one long arrays' dirty cards make hot. Per chunk of slots, a
        // first pass tells the young referents from nil and old ones
        // (never read) by one address comparison, without a branch, and
        // prefetches their headers: the referents of a long object are
        // scattered over the nursery, and the misses overlap instead of
        // stalling one by one. The second pass copies them out.
        for chunk in slots.chunks(SCAN_CHUNK) {
            let mut young = [0u8; SCAN_CHUNK];
            let mut n = 0;
            for (i, slot) in chunk.iter().enumerate() {
                young[n] = i as u8;
                n += usize::from(slot.addr().wrapping_sub(start) < bytes);
            }
            for &i in &young[..n] {
                prefetch(chunk[usize::from(i)].addr());
            }
            for &i in &young[..n] {
                // SAFETY: the caller's guarantee, for this slot, which
                // holds a young object (tested above).
                unsafe { self.forward_young(&chunk[usize::from(i)]) };
            }
        }
    }

    /// Forwards `slot` when it holds a young object (copying it out the
    /// first time): nil and old referents are told by one address
    /// comparison (nil is address 0, outside the nursery), never read.
    /// `start` and `bytes` are the nursery's span (`young_start`,
    /// `young_bytes`), passed in so that loops keep them in registers.
    ///
    /// # Safety
    ///
    /// `slot` is a slot of a live old object of the heap being collected,
    /// which this collection traces.
    #[inline(always)]
    unsafe fn trace_slot(&mut self, slot: &Slot, start: usize, bytes: usize) {
        debug_assert_eq!((start, bytes), (self.young_start, self.young_bytes));
        if slot.addr().wrapping_sub(start) < bytes {
            // SAFETY: the caller's guarantee, for this slot, which holds a
            // young object (tested right above).
            unsafe { self.forward_young(slot) };
        }
    }

    /// Forwards `slot`, which holds a young object (copying it out the
    /// first time).
    ///
    /// # Safety
    ///
    /// `slot` holds a young object, and is a slot of a live old object of
    /// the heap being collected, which this collection traces.
    #[inline(always)]
    unsafe fn forward_young(&mut self, slot: &Slot) {
        // SAFETY: a young object is not nil (the caller's guarantee).
        let child = unsafe { slot.get().unwrap_unchecked() };
        // SAFETY: a slot of a live object of this heap: live, this heap's,
        // young; the slot is forwarded right below.
        let moved = unsafe { self.drag_out_young(child) };
        // SAFETY: forwarding: `moved` is the live copy of what the slot
        // held, in this heap; the slot's object is traced by this
        // collection (the barrier's invariant holds once it ends).
        unsafe { slot.set(Some(moved)) };
    }

    /// [`trace_slots`](Self::trace_slots) of a black object during
    /// marking: every referent is also greyed when white.
    ///
    /// # Safety
    ///
    /// As for [`trace_slots`](Self::trace_slots).
    unsafe fn trace_slots_black(&mut self, slots: &[Slot]) {
        for (i, slot) in slots.iter().enumerate() {
            if let Some(ahead) = slots.get(i + PREFETCH_AHEAD).and_then(Slot::get) {
                if self.is_young(ahead.addr()) {
                    ahead.prefetch();
                }
            }
            if let Some(child) = slot.get() {
                // SAFETY: a slot of a live object of this heap: live, this
                // heap's; the slot is forwarded right below.
                let moved = unsafe { self.drag_out(child) };
                if moved != child {
                    // SAFETY: forwarding: `moved` is the live copy of what
                    // the slot held, in this heap; the slot's object is
                    // traced by this collection (the barrier's invariant
                    // holds once it ends).
                    unsafe { slot.set(Some(moved)) };
                }
                if let Some(grey) = self.marking.as_deref_mut() {
                    // SAFETY: referent of a live old object of this heap,
                    // copied out: live and old.
                    unsafe { grey.grey_referent(moved) };
                }
            }
        }
    }

    /// PyPy's `collect_oldrefs_to_nursery`: trace the remembered set (and
    /// the objects just promoted), putting each back on the barrier's fast
    /// path.
    ///
    /// # Safety
    ///
    /// The copier's parts (token, old generation, remembered set, grey
    /// stacks) belong to the heap whose nursery is being collected.
    unsafe fn collect_oldrefs(&mut self) {
        let access = self.access;
        let (start, bytes) = (self.young_start, self.young_bytes);
        let marking = self.marking.is_some();
        while let Some(obj) = self.remembered.pop_object() {
            // SAFETY: the remembered set holds live old objects (invariant
            // in `header.rs`) of this heap (the caller's guarantee).
            let obj = unsafe { obj.open(access) };
            let tid = obj.tid();
            // SAFETY: traced now, so back on the barrier's fast path.
            unsafe { obj.set_tid(tid | TRACK_YOUNG_PTRS) };
            let slots = obj.slots();
            if marking && tid & VISITED != 0 {
                // SAFETY: a live old object of this heap, black, traced
                // right here.
                unsafe { self.trace_slots_black(slots) };
            } else if slots.len() <= SHORT_SLOTS {
                // Most remembered and promoted objects: their few slots
                // are scanned in this loop, which keeps the nursery's
                // span in registers.
                for slot in slots {
                    // SAFETY: a slot of a live old object of this heap,
                    // traced right here.
                    unsafe { self.trace_slot(slot, start, bytes) };
                }
            } else {
                // SAFETY: a live old object of this heap, traced here.
                unsafe { self.trace_slots(slots) };
            }
        }
    }

    /// PyPy's `collect_cardrefs_to_nursery`: for every large node with a
    /// dirty card, rescan the slots of its dirty cards only, and clear them.
    /// During marking the white referents of a black one become grey.
    ///
    /// # Safety
    ///
    /// As for [`collect_oldrefs`](Self::collect_oldrefs).
    unsafe fn collect_cardrefs(&mut self) {
        let access = self.access;
        while let Some(obj) = self.remembered.pop_with_cards() {
            // SAFETY: the cards list holds live old objects of this heap.
            let obj = unsafe { obj.open(access) };
            // SAFETY: off the cards list, its dirty cards scanned below.
            unsafe { obj.remove(CARDS_SET) };
            // A black one is traced as a white one, then made grey again
            // (PyPy's rule): greying the referents of every dirty card here
            // would read the header of each (most of them old), which made
            // the minor collections of long arrays written during marking
            // take milliseconds.
            let black = self.marking.is_some() && obj.has(VISITED);
            let slots = obj.slots();
            for (j, card_byte) in obj.cards().iter().enumerate() {
                let mut byte = card_byte.replace(0);
                while byte != 0 {
                    let bit = byte.trailing_zeros() as usize;
                    byte &= byte - 1;
                    let start = (j * CARDS_PER_BYTE + bit) * CARD_SLOTS;
                    if start < slots.len() {
                        let end = (start + CARD_SLOTS).min(slots.len());
                        self.report.card_slots_scanned += (end - start) as u64;
                        // SAFETY: slots of a live old object of this heap
                        // whose dirty cards this collection traces.
                        unsafe { self.trace_slots(&slots[start..end]) };
                    }
                }
            }
            if black {
                if let Some(grey) = self.marking.as_deref_mut() {
                    // SAFETY: a live old object of this heap, black (tested
                    // above: only marking blackens).
                    unsafe { grey.regrey(obj) };
                }
            }
        }
    }
}
