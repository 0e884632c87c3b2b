//! The old generation's memory: small objects in the page allocator
//! (`pages.rs`), large ones allocated individually (PyPy's
//! `old_rawmalloced_objects`), and the sweep that frees the unmarked ones.

use std::ptr::NonNull;

use gc_core::GcError;

use crate::header::{Access, Block, LARGE, ObjPtr, ObjRef, VISITED};
use crate::pages::{self, PageAllocator, SMALL_REQUEST_THRESHOLD};
use crate::system;

/// A block taken from the system ahead of a minor collection for one young
/// object over 280 bytes, which it may promote.
#[derive(Debug)]
struct Reserved {
    /// The young object's address.
    young: usize,
    bytes: usize,
    /// Taken by the promotion, or still to be given back.
    block: Option<NonNull<u64>>,
}

/// What a sweep step freed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Swept {
    /// Objects freed.
    pub(crate) objects: u64,
    /// Their payload bytes.
    pub(crate) payload: u64,
}

impl Swept {
    fn add(&mut self, objects: u64, payload: u64) {
        self.objects += objects;
        self.payload += payload;
    }
}

/// The old generation: it owns every old object's memory.
///
/// Capacity invariant (so that the sweep never allocates): `large` has
/// room for `sweep_large`'s objects.
#[derive(Debug)]
pub(crate) struct OldGen {
    pages: PageAllocator,
    /// Blocks for the young objects over 280 bytes the minor collection
    /// in progress may promote, by young address.
    promotion: Vec<Reserved>,
    /// Large objects outside the sweep.
    large: Vec<ObjPtr>,
    /// Large objects waiting for the sweeper (`raw_malloc_might_sweep`).
    sweep_large: Vec<ObjPtr>,
    large_bytes: usize,
}

impl OldGen {
    /// An empty old generation.
    ///
    /// # Safety
    ///
    /// As for [`PageAllocator::new`]: the old generation is kept with the
    /// token that guards its memory (in a `Space`, which frees its large
    /// objects with [`free_all`](Self::free_all) when dropped).
    pub(crate) unsafe fn new() -> Self {
        OldGen {
            // SAFETY: the caller's guarantee.
            pages: unsafe { PageAllocator::new() },
            promotion: Vec::new(),
            large: Vec::new(),
            sweep_large: Vec::new(),
            large_bytes: 0,
        }
    }

    /// PyPy's `get_total_memory_used`: page blocks plus large objects.
    pub(crate) fn total_used(&self) -> usize {
        self.pages.used_bytes() + self.large_bytes
    }

    /// The page allocator (for its counters).
    pub(crate) fn pages(&self) -> &PageAllocator {
        &self.pages
    }

    /// Bytes in large objects.
    pub(crate) fn large_bytes(&self) -> usize {
        self.large_bytes
    }

    /// Pre-faulting between collections (see [`PageAllocator::prefault`]).
    pub(crate) fn prefault(&mut self, bytes: usize, max_arenas: usize) {
        self.pages.prefault(bytes, max_arenas);
    }

    /// Before a minor collection: makes sure promoting `small_bytes` of
    /// objects up to 280 bytes (`small_objects` of them) and the `medium`
    /// young objects over 280 bytes (address and size) asks the system for
    /// nothing: free pages, a block per medium object, list capacity.
    /// `OutOfMemory` when the system refuses; then nothing is held for the
    /// promotion, and the heap is unchanged otherwise (spare arenas and
    /// list capacity may stay).
    pub(crate) fn reserve_promotion(
        &mut self,
        small_bytes: usize,
        small_objects: usize,
        medium: impl ExactSizeIterator<Item = (usize, usize)>,
    ) -> Result<(), GcError> {
        debug_assert!(self.promotion.is_empty());
        self.pages
            .reserve(pages::pages_for(small_bytes, small_objects))?;
        let n = medium.len();
        if n == 0 {
            return Ok(());
        }
        system::reserve(&mut self.large, self.sweep_large.len() + n)?;
        system::reserve(&mut self.promotion, n)?;
        for (young, bytes) in medium {
            match pages::alloc_large(bytes, 0) {
                Ok(block) => self.promotion.push(Reserved {
                    young,
                    bytes,
                    block: Some(block),
                }),
                Err(e) => {
                    self.end_promotion();
                    return Err(e);
                }
            }
        }
        self.promotion.sort_unstable_by_key(|r| r.young);
        Ok(())
    }

    /// After a minor collection: the blocks reserved for objects that did
    /// not survive go back to the system.
    pub(crate) fn end_promotion(&mut self) {
        for r in self.promotion.drain(..) {
            if let Some(block) = r.block {
                // SAFETY: allocated by `alloc_large(r.bytes, 0)` above and
                // never handed out.
                unsafe { pages::free_block(block, r.bytes) };
            }
        }
    }

    /// Room for the promoted copy of the young object at `young` of
    /// `bytes`: a page block up to 280 bytes, else the block reserved for
    /// it (register it with [`add_large`](Self::add_large) once
    /// initialised). Returns the extra header flags.
    ///
    /// # Safety
    ///
    /// As for [`PageAllocator::alloc`]: the caller initialises the memory
    /// as an object of `bytes` bytes before any other call on this old
    /// generation.
    ///
    /// # Panics
    ///
    /// When [`reserve_promotion`](Self::reserve_promotion) did not make
    /// room for it.
    #[inline(always)]
    pub(crate) unsafe fn alloc_promoted(
        &mut self,
        bytes: usize,
        young: usize,
    ) -> (NonNull<u64>, u64) {
        if bytes <= SMALL_REQUEST_THRESHOLD {
            // SAFETY: the caller's guarantee.
            (unsafe { self.pages.alloc(bytes) }, 0)
        } else {
            self.take_reserved(bytes, young)
        }
    }

    /// The block reserved for the young object at `young` of `bytes`
    /// (over 280 bytes), with the `LARGE` flag.
    #[inline(never)]
    fn take_reserved(&mut self, bytes: usize, young: usize) -> (NonNull<u64>, u64) {
        let at = self
            .promotion
            .binary_search_by_key(&young, |r| r.young)
            .expect("block not reserved");
        let r = &mut self.promotion[at];
        assert_eq!(r.bytes, bytes, "block reserved for another size");
        (r.block.take().expect("block taken twice"), LARGE)
    }

    /// Room for a large object born old, with `cards` zeroed card words in
    /// front (register it with [`add_large`](Self::add_large)), or
    /// `OutOfMemory`.
    pub(crate) fn alloc_large(
        &mut self,
        bytes: usize,
        cards: usize,
    ) -> Result<NonNull<u64>, GcError> {
        system::reserve(&mut self.large, self.sweep_large.len() + 1)?;
        pages::alloc_large(bytes, cards)
    }

    /// Registers an initialised large object: the sweep frees it once it
    /// is unmarked.
    ///
    /// # Safety
    ///
    /// `obj` was allocated individually by this old generation
    /// ([`alloc_large`](Self::alloc_large), or
    /// [`alloc_promoted`](Self::alloc_promoted) answering `LARGE`), is
    /// initialised, and is not registered yet.
    pub(crate) unsafe fn add_large(&mut self, obj: ObjRef<'_>) {
        self.large_bytes += obj.size_bytes();
        // Within the capacity `alloc_large` or `reserve_promotion` made
        // sure of.
        self.large.push(obj.ptr());
    }

    /// Makes sure [`prepare_sweep`](Self::prepare_sweep) and the sweep
    /// that follows allocate nothing: `OutOfMemory` when the system
    /// refuses (nothing else changes).
    pub(crate) fn reserve_sweep(&mut self) -> Result<(), GcError> {
        self.pages.reserve_sweep()?;
        debug_assert!(self.sweep_large.is_empty());
        // `sweep_large` becomes `large`, refilled with the survivors.
        system::reserve(&mut self.sweep_large, self.large.len())
    }

    /// The end of marking: every object in use goes to the sweeper; new
    /// ones (promoted meanwhile) are not swept this cycle. Allocates
    /// nothing after [`reserve_sweep`](Self::reserve_sweep).
    pub(crate) fn prepare_sweep(&mut self) {
        self.pages.prepare_sweep();
        debug_assert!(self.sweep_large.is_empty());
        std::mem::swap(&mut self.sweep_large, &mut self.large);
    }

    /// Large objects wait for the sweeper.
    pub(crate) fn sweeping_large(&self) -> bool {
        !self.sweep_large.is_empty()
    }

    /// Sweeps up to `limit` large objects: unmarked ones are freed, marks
    /// cleared.
    ///
    /// # Safety
    ///
    /// Marking is complete: no stored reference leads to an unmarked
    /// object waiting for the sweeper (weak references to them cleared).
    pub(crate) unsafe fn sweep_large(&mut self, limit: usize, access: &mut Access) -> Swept {
        let mut swept = Swept::default();
        for _ in 0..limit {
            let Some(ptr) = self.sweep_large.pop() else {
                break;
            };
            // SAFETY: a large object waiting for the sweeper is not freed.
            let obj = unsafe { ptr.open_block(access) };
            if obj.has(VISITED) {
                // SAFETY: the sweep clears the mark of a survivor.
                unsafe { obj.remove(VISITED) };
                // Within the capacity invariant: no allocation.
                self.large.push(ptr);
            } else {
                let bytes = obj.size_bytes();
                swept.add(1, obj.payload_len() as u64);
                // SAFETY: unmarked after a complete marking, so nothing
                // refers to it (the caller's guarantee); it was on
                // `sweep_large` only, and is off it now.
                unsafe { pages::free_large(ptr, access) };
                self.large_bytes -= bytes;
            }
        }
        swept
    }

    /// Sweeps up to `limit` pages; true once every page is swept.
    ///
    /// # Safety
    ///
    /// As for [`sweep_large`](Self::sweep_large).
    pub(crate) unsafe fn sweep_pages(
        &mut self,
        limit: usize,
        access: &mut Access,
    ) -> (Swept, bool) {
        let keep = |o: Block<'_>| {
            let live = o.has(VISITED);
            // SAFETY: the sweep clears the mark it reads.
            unsafe { o.remove(VISITED) };
            live
        };
        // SAFETY: the caller's guarantee is the sweep's contract.
        let (count, done) = unsafe { self.pages.sweep(limit, access, keep) };
        let mut swept = Swept::default();
        swept.add(count.objects, count.payload);
        (swept, done)
    }

    /// Every old object not yet freed, with the object itself when it is
    /// known to be live: not an unmarked one waiting for the sweeper. The
    /// objects borrow the old generation too, so nothing frees them while
    /// they are in use.
    pub(crate) fn for_each<'h>(
        &'h self,
        access: &'h Access,
        mut f: impl FnMut(Block<'h>, Option<ObjRef<'h>>),
    ) {
        self.pages.for_each(access, |o, pending| {
            // SAFETY: objects outside the sweep, and marked ones waiting
            // for it, are live.
            let live = (!pending || o.has(VISITED)).then(|| unsafe { o.assume_live() });
            f(o, live);
        });
        for &o in &self.large {
            // SAFETY: outside the sweep: live.
            let o = unsafe { o.open(access) };
            f(*o, Some(o));
        }
        for &o in &self.sweep_large {
            // SAFETY: waiting for the sweeper: allocated, maybe dead.
            let o = unsafe { o.open_block(access) };
            // SAFETY: marked: live.
            let live = o.has(VISITED).then(|| unsafe { o.assume_live() });
            f(o, live);
        }
    }

    /// Frees every large object (the pages go with the page allocator).
    ///
    /// # Safety
    ///
    /// The heap is going away: nothing uses its objects again.
    pub(crate) unsafe fn free_all(&mut self, access: &mut Access) {
        for obj in self.large.drain(..).chain(self.sweep_large.drain(..)) {
            // SAFETY: every large object is on exactly one of these lists
            // until freed; the caller guarantees nothing uses it again.
            unsafe { pages::free_large(obj, access) };
        }
    }
}
