//! The old generation's memory: small objects in the page allocator
//! (`pages.rs`), large ones allocated individually (PyPy's
//! `old_rawmalloced_objects`), and the sweep that frees the unmarked ones.

use std::ptr::NonNull;

use crate::header::{Access, Block, LARGE, ObjPtr, ObjRef, VISITED};
use crate::pages::{self, PageAllocator, SMALL_REQUEST_THRESHOLD};

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
#[derive(Debug)]
pub(crate) struct OldGen {
    pages: PageAllocator,
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

    /// Room for a promoted object of `bytes`: a page block up to 280
    /// bytes, else an individual allocation (register it with
    /// [`add_large`](Self::add_large) once initialised). Returns the extra
    /// header flags.
    ///
    /// # Safety
    ///
    /// As for [`PageAllocator::alloc`]: the caller initialises the memory
    /// as an object of `bytes` bytes before any other call on this old
    /// generation.
    pub(crate) unsafe fn alloc_promoted(&mut self, bytes: usize) -> (NonNull<u64>, u64) {
        if bytes <= SMALL_REQUEST_THRESHOLD {
            // SAFETY: the caller's guarantee.
            (unsafe { self.pages.alloc(bytes) }, 0)
        } else {
            (pages::alloc_large(bytes, 0), LARGE)
        }
    }

    /// Room for a large object born old, with `cards` zeroed card words in
    /// front (register it with [`add_large`](Self::add_large)).
    pub(crate) fn alloc_large(&mut self, bytes: usize, cards: usize) -> NonNull<u64> {
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
        self.large.push(obj.ptr());
    }

    /// The end of marking: every object in use goes to the sweeper; new
    /// ones (promoted meanwhile) are not swept this cycle.
    pub(crate) fn prepare_sweep(&mut self) {
        self.pages.prepare_sweep();
        debug_assert!(self.sweep_large.is_empty());
        self.sweep_large = std::mem::take(&mut self.large);
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
