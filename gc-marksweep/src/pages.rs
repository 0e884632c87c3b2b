//! The old generation's memory: a size-class page allocator for small
//! objects (PyPy's `minimarkpage.py`) and individually allocated large
//! objects (PyPy's raw-malloced objects).
//!
//! Sizes are PyPy's: 512 KiB arenas of 8 KiB pages, size classes in 8-byte
//! steps up to 280 bytes (`small_request_threshold`). Two differences, both
//! for simplicity without cost:
//!
//! - arenas are allocated aligned to a page, so all 64 pages are usable
//!   (PyPy's `malloc`ed arena loses one page to alignment);
//! - page headers live in a side table (`PageInfo`) instead of the first 32
//!   bytes of the page, so every byte of a page holds blocks; a free block
//!   is recognised by [`FREE_BLOCK`] in its first word (objects never carry
//!   that bit), which lets a sweep walk a page without a sorted free list.
//!
//! Sweeping is PyPy's `mass_free_prepare` / `mass_free_incremental`: at the
//! end of marking every page in use is handed to the sweeper and new
//! allocations use other pages, so an object promoted during sweeping is
//! never swept in that cycle. A swept page with no survivor returns to its
//! arena; an arena with every page free is uninstalled at the end of the
//! sweep (PyPy's `_rehash_arenas_lists`): kept as a spare while there are
//! fewer than eight or half the arenas, else returned to the system. When a page is needed the
//! current arena is used up first, then the arena with the fewest free
//! pages, so that nearly empty arenas drain and can be freed. The sweep
//! prefetches the next page while it walks one: without it a sweep step
//! (1,536 pages with a 4 MiB nursery) took ~5.5 ms on the 1 GiB perf run,
//! with it mostly under 2 ms.
//!
//! Pre-faulting: the first write to a page the system has just given
//! costs a page fault (≈2 ms per 4 MiB here), and a minor collection that
//! promotes most of a 4 MiB nursery used to take all of them inside its
//! pause. Between collections, at each step of the nursery's fill
//! (`nursery.rs`), `PageAllocator::prefault` writes one byte per 4 KiB
//! of spare arenas (taking them from the system if needed) until the free
//! pages already mapped cover what the next minor is expected to promote;
//! `PageAllocator::new_arena` installs a touched spare first. Which
//! pages and arenas are used, and so every counter, is unchanged.

use std::alloc::Layout;
use std::ptr::NonNull;

use gc_core::GcError;

use crate::header::{Access, Block, FREE_BLOCK, ObjPtr, WORD};
use crate::system;

/// Bytes per arena (PyPy: `65536 * WORD`).
pub const ARENA_SIZE: usize = 512 * 1024;
/// Emptied arenas kept as spares instead of going back to the system: at
/// least this many (4 MiB), or half the arenas installed when the sweep
/// began. A heap that frees a structure and builds the next one of the
/// same size would otherwise give its arenas back and take each page
/// fault again (binary trees: ~6 % of the run in the kernel). Half is
/// below what the heap grows by before its next major collection anyway
/// (PyPy's threshold: 1.82 × what survived).
const KEPT_SPARES: usize = 8;
/// Bytes per page (PyPy: `1024 * WORD`).
pub const PAGE_SIZE: usize = 8 * 1024;
/// Pages per arena.
pub const PAGES_PER_ARENA: usize = ARENA_SIZE / PAGE_SIZE;
/// The largest object (in bytes) served from pages (PyPy: `35 * WORD`).
pub const SMALL_REQUEST_THRESHOLD: usize = 280;
const NCLASSES: usize = SMALL_REQUEST_THRESHOLD / WORD + 1;
/// Size classes in use (blocks of 2 to 35 words).
const USED_CLASSES: usize = NCLASSES - 2;

/// The fewest bytes of blocks a page of any size class holds.
const MIN_PAGE_USE: usize = {
    let mut min = PAGE_SIZE;
    let mut block = 2 * WORD;
    while block <= SMALL_REQUEST_THRESHOLD {
        let used = PAGE_SIZE / block * block;
        if used < min {
            min = used;
        }
        block += WORD;
    }
    min
};

/// Fresh pages that `bytes` of blocks in `objects` objects can need at
/// most: a page of a class holds at least [`MIN_PAGE_USE`] bytes of
/// blocks, plus one partly filled page per class used.
pub(crate) fn pages_for(bytes: usize, objects: usize) -> usize {
    if bytes == 0 {
        return 0;
    }
    bytes.div_ceil(MIN_PAGE_USE) + objects.min(USED_CLASSES)
}

#[derive(Debug)]
struct Arena {
    base: NonNull<u8>,
    /// Its free pages; capacity for all of them from the start, so the
    /// sweep's pushes never allocate.
    free_pages: Vec<u16>,
    /// Every page of it was written once before it was installed
    /// ([`PageAllocator::prefault`]): writing to it takes no page fault.
    touched: bool,
}

impl Arena {
    /// A new arena from the system, all pages free.
    fn new() -> Result<Arena, GcError> {
        let mut free_pages = Vec::new();
        system::reserve(&mut free_pages, PAGES_PER_ARENA)?;
        // Popped from the end: pages are handed out in address order.
        free_pages.extend((0..PAGES_PER_ARENA as u16).rev());
        let base = system::alloc(arena_layout())?;
        Ok(Arena {
            base,
            free_pages,
            touched: false,
        })
    }

    /// Writes one byte of every system page of the arena, so that the
    /// kernel maps them now rather than at the first write of a minor
    /// collection's promotion.
    ///
    /// # Safety
    ///
    /// The arena holds no object and no free-list link (a spare).
    unsafe fn touch(&mut self) {
        #[cfg(not(miri))]
        for offset in (0..ARENA_SIZE).step_by(OS_PAGE) {
            // SAFETY: inside the arena's allocation (`offset <
            // ARENA_SIZE`), which is ours and holds nothing (the caller's
            // guarantee); a volatile write so it is not elided.
            unsafe { self.base.add(offset).write_volatile(0) };
        }
        self.touched = true;
    }
}

/// The system's page size as far as [`Arena::touch`] cares (a smaller
/// real page would only leave some pages to fault later).
#[cfg(not(miri))]
const OS_PAGE: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct PageInfo {
    /// Block size in bytes; 0 for a free page.
    block: u32,
    /// Offset of the first never-used block.
    uninit: u32,
    /// Head of the free-block list (blocks below `uninit`).
    free_list: Option<NonNull<u64>>,
}

const EMPTY_PAGE: PageInfo = PageInfo {
    block: 0,
    uninit: 0,
    free_list: None,
};

/// What one page sweep did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SweepCount {
    /// Objects freed.
    pub objects: u64,
    /// Their payload bytes.
    pub payload: u64,
    /// Pages walked.
    pub pages: usize,
}

/// The size-class page allocator. See the [module docs](self).
///
/// Capacity invariants (so that the sweep never allocates): `in_use` has
/// room for `to_sweep`'s pages, `partial[c]` for the pages of class `c`
/// waiting for the sweeper, `free_arena_slots` for every arena.
#[derive(Debug)]
pub(crate) struct PageAllocator {
    arenas: Vec<Option<Arena>>,
    free_arena_slots: Vec<u32>,
    /// Arenas taken from the system ahead of need by [`reserve`]
    /// (Self::reserve), not counted as held until a page is needed.
    spares: Vec<Arena>,
    /// Free pages in the live arenas.
    free_pages: usize,
    pages: Vec<PageInfo>,
    current_arena: Option<u32>,
    /// Per size class: the page being allocated from, and its address.
    current: [Option<(u32, NonNull<u8>)>; NCLASSES],
    /// Per size class: pages with free blocks (after a sweep).
    partial: [Vec<u32>; NCLASSES],
    /// Every page holding blocks, outside the sweep.
    in_use: Vec<u32>,
    /// Pages handed to the sweeper and not swept yet.
    to_sweep: Vec<u32>,
    /// Bytes in allocated blocks.
    used: usize,
    arenas_count: usize,
}

impl PageAllocator {
    /// An allocator with no arena yet.
    ///
    /// # Safety
    ///
    /// The allocator is kept with the [`Access`] token that guards its
    /// objects (in a `Space`, through its `OldGen`): it is not dropped,
    /// replaced or swapped while an object opened through that token lives.
    pub(crate) unsafe fn new() -> Self {
        PageAllocator {
            arenas: Vec::new(),
            free_arena_slots: Vec::new(),
            spares: Vec::new(),
            free_pages: 0,
            pages: Vec::new(),
            current_arena: None,
            current: [None; NCLASSES],
            partial: std::array::from_fn(|_| Vec::new()),
            in_use: Vec::new(),
            to_sweep: Vec::new(),
            used: 0,
            arenas_count: 0,
        }
    }
}

fn arena_layout() -> Layout {
    Layout::from_size_align(ARENA_SIZE, PAGE_SIZE).expect("constant layout")
}

impl PageAllocator {
    /// Bytes in allocated blocks (PyPy's `ac.total_memory_used`).
    pub(crate) fn used_bytes(&self) -> usize {
        self.used
    }

    /// Bytes of arenas held (fragmentation is `arena_bytes - used_bytes`).
    pub(crate) fn arena_bytes(&self) -> usize {
        self.arenas_count * ARENA_SIZE
    }

    /// Arenas held.
    pub(crate) fn arenas_count(&self) -> usize {
        self.arenas_count
    }

    fn page_base(&self, page: u32) -> NonNull<u8> {
        let arena = self.arenas[page as usize / PAGES_PER_ARENA]
            .as_ref()
            .expect("page of a live arena");
        let offset = (page as usize % PAGES_PER_ARENA) * PAGE_SIZE;
        // SAFETY: `offset < ARENA_SIZE`, inside the arena's allocation.
        unsafe { arena.base.add(offset) }
    }

    /// Makes sure `pages` fresh pages can be handed out without asking
    /// the system (free pages of the live arenas, else spare arenas taken
    /// now), and that handing them out allocates nothing: `OutOfMemory`
    /// when the system refuses.
    pub(crate) fn reserve(&mut self, pages: usize) -> Result<(), GcError> {
        let have = self.free_pages + self.spares.len() * PAGES_PER_ARENA;
        if have < pages {
            let more = (pages - have).div_ceil(PAGES_PER_ARENA);
            system::reserve(&mut self.spares, more)?;
            for _ in 0..more {
                let arena = Arena::new()?;
                self.spares.push(arena);
            }
        }
        // Room to install every spare and to track every page.
        let spares = self.spares.len();
        system::reserve(&mut self.arenas, spares)?;
        system::reserve(&mut self.pages, spares * PAGES_PER_ARENA)?;
        let more_slots = self.arenas.len() + spares - self.free_arena_slots.len();
        system::reserve(&mut self.free_arena_slots, more_slots)?;
        system::reserve(&mut self.in_use, self.to_sweep.len() + pages)?;
        Ok(())
    }

    /// A block of `bytes` (a multiple of 8, from 16 to
    /// [`SMALL_REQUEST_THRESHOLD`]); the memory is uninitialised.
    ///
    /// # Safety
    ///
    /// The caller initialises the block as an object of `bytes` bytes
    /// ([`init_object`](crate::header::init_object)) before any other call
    /// on this allocator: [`for_each`](Self::for_each) and the sweep parse
    /// it.
    ///
    /// # Panics
    ///
    /// When `bytes` is not such a size (a block must hold a free-list link
    /// in word 1, and blocks stay word-aligned), or when a fresh page is
    /// needed beyond what [`reserve`](Self::reserve) made sure of.
    #[inline(always)]
    pub(crate) unsafe fn alloc(&mut self, bytes: usize) -> NonNull<u64> {
        assert!(
            bytes % WORD == 0 && (2 * WORD..=SMALL_REQUEST_THRESHOLD).contains(&bytes),
            "page block of {bytes} bytes"
        );
        let class = bytes / WORD;
        // The fast paths (a minor collection's promotion is a run of
        // these): the current page's next free block, or its untouched
        // tail, which stays current.
        if let Some((page, base)) = self.current[class] {
            let info = &mut self.pages[page as usize];
            if let Some(block) = info.free_list {
                // As `alloc_slow` does with a current page.
                // SAFETY: a free-list block is a free block of this page
                // whose word 1 holds the next free block (written by
                // `sweep_page`).
                let next = unsafe { block.as_ptr().add(1).cast::<Option<NonNull<u64>>>().read() };
                info.free_list = next;
                if next.is_none() && info.uninit as usize + bytes > PAGE_SIZE {
                    self.current[class] = None;
                }
                self.used += bytes;
                return block;
            }
            let offset = info.uninit as usize;
            if offset + 2 * bytes <= PAGE_SIZE {
                info.uninit += bytes as u32;
                self.used += bytes;
                // SAFETY: `offset + bytes <= PAGE_SIZE`: inside the page.
                return unsafe { base.add(offset) }.cast();
            }
        }
        // SAFETY: the caller's guarantee.
        unsafe { self.alloc_slow(bytes) }
    }

    /// [`alloc`](Self::alloc) when the fast path does not apply.
    ///
    /// # Safety
    ///
    /// As for [`alloc`](Self::alloc), with `bytes` checked.
    #[inline(never)]
    unsafe fn alloc_slow(&mut self, bytes: usize) -> NonNull<u64> {
        let class = bytes / WORD;
        let (page, base) = match self.current[class] {
            Some(current) => current,
            None => {
                let p = match self.partial[class].pop() {
                    Some(p) => p,
                    None => self.fresh_page(bytes),
                };
                let current = (p, self.page_base(p));
                self.current[class] = Some(current);
                current
            }
        };
        let info = &mut self.pages[page as usize];
        let block = match info.free_list {
            Some(b) => {
                // SAFETY: a free-list block is a free block of this page whose
                // word 1 holds the next free block (written by `sweep_page`).
                info.free_list = unsafe { b.as_ptr().add(1).cast::<Option<NonNull<u64>>>().read() };
                b
            }
            None => {
                // SAFETY: `uninit + bytes <= PAGE_SIZE` (a page whose tail is
                // exhausted and free list empty is never current).
                let b = unsafe { base.add(info.uninit as usize) };
                info.uninit += bytes as u32;
                b.cast()
            }
        };
        if info.free_list.is_none() && info.uninit as usize + bytes > PAGE_SIZE {
            self.current[class] = None;
        }
        self.used += bytes;
        block
    }

    fn fresh_page(&mut self, block: usize) -> u32 {
        let arena = match self.current_arena {
            Some(a) if !self.arena(a).free_pages.is_empty() => a,
            _ => {
                // The arena with the fewest free pages, else a new one.
                let best = self
                    .arenas
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| a.as_ref().map(|a| (i, a.free_pages.len())))
                    .filter(|&(_, n)| n > 0)
                    .min_by_key(|&(i, n)| (n, i))
                    .map(|(i, _)| i as u32);
                let a = best.unwrap_or_else(|| self.new_arena());
                self.current_arena = Some(a);
                a
            }
        };
        let index = self.arenas[arena as usize]
            .as_mut()
            .and_then(|a| a.free_pages.pop())
            .expect("arena with a free page");
        self.free_pages -= 1;
        let page = arena * PAGES_PER_ARENA as u32 + u32::from(index);
        self.pages[page as usize] = PageInfo {
            block: block as u32,
            uninit: 0,
            free_list: None,
        };
        assert!(
            self.in_use.capacity() > self.in_use.len() + self.to_sweep.len(),
            "page not reserved"
        );
        self.in_use.push(page);
        page
    }

    fn arena(&self, a: u32) -> &Arena {
        self.arenas[a as usize].as_ref().expect("live arena")
    }

    /// Pre-faulting, outside collections: makes sure that at least
    /// `bytes` of free pages can be handed out without a page fault (free
    /// pages of arenas installed already touched, and touched spares), by
    /// touching up to `max_arenas` spare arenas, taking them from the
    /// system when there is none to touch. Best effort: when the system
    /// refuses an arena it stops, and the minor collection's reservation
    /// decides (as it would have).
    pub(crate) fn prefault(&mut self, bytes: usize, max_arenas: usize) {
        let installed: usize = self
            .arenas
            .iter()
            .flatten()
            .filter(|a| a.touched)
            .map(|a| a.free_pages.len() * PAGE_SIZE)
            .sum();
        let spare = self.spares.iter().filter(|a| a.touched).count() * ARENA_SIZE;
        let mut have = installed + spare;
        for _ in 0..max_arenas {
            if have >= bytes {
                return;
            }
            let at = match self.spares.iter().position(|a| !a.touched) {
                Some(at) => at,
                None => {
                    let Ok(arena) =
                        system::reserve(&mut self.spares, 1).and_then(|()| Arena::new())
                    else {
                        return;
                    };
                    self.spares.push(arena);
                    self.spares.len() - 1
                }
            };
            // SAFETY: a spare arena holds no object and no link.
            unsafe { self.spares[at].touch() };
            have += ARENA_SIZE;
        }
    }

    /// Installs a spare arena (taken by [`reserve`](Self::reserve)), a
    /// touched one first.
    fn new_arena(&mut self) -> u32 {
        let at = self.spares.iter().rposition(|a| a.touched);
        let at = at.unwrap_or(self.spares.len().wrapping_sub(1));
        assert!(at < self.spares.len(), "arena not reserved");
        let arena = self.spares.swap_remove(at);
        self.arenas_count += 1;
        self.free_pages += PAGES_PER_ARENA;
        match self.free_arena_slots.pop() {
            Some(slot) => {
                self.arenas[slot as usize] = Some(arena);
                slot
            }
            None => {
                // Within the capacity `reserve` made sure of.
                self.arenas.push(Some(arena));
                self.pages
                    .extend(std::iter::repeat_n(EMPTY_PAGE, PAGES_PER_ARENA));
                (self.arenas.len() - 1) as u32
            }
        }
    }

    /// Makes sure [`prepare_sweep`](Self::prepare_sweep) and the sweep
    /// that follows allocate nothing: `OutOfMemory` when the system
    /// refuses (nothing else changes).
    pub(crate) fn reserve_sweep(&mut self) -> Result<(), GcError> {
        debug_assert!(self.to_sweep.is_empty());
        // `to_sweep` becomes `in_use`, which the sweep refills with the
        // surviving pages.
        system::reserve(&mut self.to_sweep, self.in_use.len())?;
        let mut per_class = [0usize; NCLASSES];
        for &page in &self.in_use {
            per_class[self.pages[page as usize].block as usize / WORD] += 1;
        }
        for (partial, n) in self.partial.iter_mut().zip(per_class) {
            system::reserve(partial, n)?;
        }
        // Room to keep emptied arenas as spares.
        let kept = self.spares_kept();
        system::reserve(&mut self.spares, kept)?;
        Ok(())
    }

    /// PyPy's `mass_free_prepare`: every page in use goes to the sweeper;
    /// allocation continues on other pages. Allocates nothing after
    /// [`reserve_sweep`](Self::reserve_sweep).
    pub(crate) fn prepare_sweep(&mut self) {
        debug_assert!(self.to_sweep.is_empty());
        std::mem::swap(&mut self.to_sweep, &mut self.in_use);
        self.current = [None; NCLASSES];
        for p in &mut self.partial {
            p.clear();
        }
    }

    /// Sweeps up to `max_pages` pages: `keep(obj)` decides (and clears the
    /// mark). Returns what was freed; `done` is when no page is left, after
    /// which empty arenas have been returned to the system.
    ///
    /// # Safety
    ///
    /// No stored reference (root, work list, weak entry, slot of a live
    /// object) leads to an object of a page handed to the sweeper that
    /// `keep` refuses: its block is reused, its arena maybe freed.
    pub(crate) unsafe fn sweep(
        &mut self,
        max_pages: usize,
        access: &mut Access,
        mut keep: impl FnMut(Block<'_>) -> bool,
    ) -> (SweepCount, bool) {
        let mut count = SweepCount::default();
        while count.pages < max_pages {
            let Some(page) = self.to_sweep.pop() else {
                break;
            };
            count.pages += 1;
            // The sweep streams through memory the caches do not hold: the
            // next page is prefetched while this one is swept.
            let next = self.to_sweep.last().map(|&p| self.page_base(p));
            // SAFETY: the page was handed to the sweeper; the caller's
            // guarantee covers what `keep` refuses.
            unsafe { self.sweep_page(page, next, access, &mut keep, &mut count) };
        }
        let done = self.to_sweep.is_empty();
        if done {
            self.release_empty_arenas();
        }
        (count, done)
    }

    /// Sweeps one page: the objects `keep` refuses become free blocks.
    ///
    /// # Safety
    ///
    /// As for [`sweep`](Self::sweep), for this page.
    unsafe fn sweep_page(
        &mut self,
        page: u32,
        next: Option<NonNull<u8>>,
        access: &mut Access,
        keep: &mut impl FnMut(Block<'_>) -> bool,
        count: &mut SweepCount,
    ) {
        let base = self.page_base(page);
        let info = self.pages[page as usize];
        let block = info.block as usize;
        let mut free_list: Option<NonNull<u64>> = None;
        let mut live = 0usize;
        let mut offset = 0;
        while offset < info.uninit as usize {
            if let Some(next) = next {
                prefetch(next, offset);
            }
            // SAFETY: every block below `uninit` is initialised: either an
            // object (written at allocation) or a free block (written here).
            let b = unsafe { base.add(offset).cast::<u64>() };
            // SAFETY: as above; word 0 is initialised.
            let first = unsafe { b.as_ptr().read() };
            let free = if first & FREE_BLOCK != 0 {
                true
            } else {
                // SAFETY: a block below `uninit` without FREE_BLOCK is an
                // object (objects never carry that bit) of this heap.
                let obj = unsafe { Block::from_raw(b, &*access) };
                if keep(obj) {
                    live += 1;
                    false
                } else {
                    count.objects += 1;
                    count.payload += obj.payload_len() as u64;
                    self.used -= block;
                    true
                }
            };
            if free {
                // SAFETY: the block is at least two words and now free:
                // word 0 marks it, word 1 links the free list.
                unsafe {
                    b.as_ptr().write(FREE_BLOCK);
                    b.as_ptr()
                        .add(1)
                        .cast::<Option<NonNull<u64>>>()
                        .write(free_list);
                }
                free_list = Some(b);
            }
            offset += block;
        }
        // The pushes below stay within the capacity the invariants give.
        if live == 0 {
            self.free_pages += 1;
            self.pages[page as usize] = EMPTY_PAGE;
            let arena = self.arenas[page as usize / PAGES_PER_ARENA]
                .as_mut()
                .expect("live arena");
            arena
                .free_pages
                .push((page as usize % PAGES_PER_ARENA) as u16);
        } else {
            self.pages[page as usize].free_list = free_list;
            self.in_use.push(page);
            let has_room = free_list.is_some() || info.uninit as usize + block <= PAGE_SIZE;
            if has_room {
                self.partial[block / WORD].push(page);
            }
        }
    }

    /// How many spare arenas an ending sweep keeps (see [`KEPT_SPARES`]).
    fn spares_kept(&self) -> usize {
        KEPT_SPARES.max(self.arenas_count / 2)
    }

    /// Uninstalls every arena the sweep emptied: the first ones become
    /// spares while there are fewer than [`spares_kept`](Self::spares_kept)
    /// (room reserved by [`reserve_sweep`](Self::reserve_sweep)), the rest
    /// go back to the system.
    fn release_empty_arenas(&mut self) {
        let kept = self.spares_kept();
        for i in 0..self.arenas.len() {
            let empty = matches!(&self.arenas[i], Some(a) if a.free_pages.len() == PAGES_PER_ARENA);
            if empty && self.current_arena != Some(i as u32) {
                let mut arena = self.arenas[i].take().expect("checked");
                if self.spares.len() < kept && self.spares.len() < self.spares.capacity() {
                    // Its pages handed out in address order again, as a new
                    // arena's; still mapped if it was touched.
                    arena.free_pages.clear();
                    arena.free_pages.extend((0..PAGES_PER_ARENA as u16).rev());
                    self.spares.push(arena);
                } else {
                    // SAFETY: allocated by `Arena::new` with this layout;
                    // every page is free, so no object or free-list link
                    // points into it.
                    unsafe { system::dealloc(arena.base, arena_layout()) };
                }
                self.free_arena_slots.push(i as u32);
                self.arenas_count -= 1;
                self.free_pages -= PAGES_PER_ARENA;
            }
        }
    }

    /// Calls `f` on every object in a page, saying whether its page waits
    /// for the sweeper (then it may be dead). The objects borrow the
    /// allocator too, so nothing frees them while they are in use.
    pub(crate) fn for_each<'h>(&'h self, access: &'h Access, mut f: impl FnMut(Block<'h>, bool)) {
        let pages = self.in_use.iter().map(|&p| (p, false));
        for (page, pending) in pages.chain(self.to_sweep.iter().map(|&p| (p, true))) {
            let base = self.page_base(page);
            let info = self.pages[page as usize];
            let mut offset = 0;
            while offset < info.uninit as usize {
                // SAFETY: as in `sweep_page`: blocks below `uninit` are
                // initialised, and those without FREE_BLOCK are objects.
                // The block borrows the allocator for `'h`, so no sweep
                // (`&mut self`) or drop frees it while it is used.
                unsafe {
                    let b = base.add(offset).cast::<u64>();
                    if b.as_ptr().read() & FREE_BLOCK == 0 {
                        f(Block::from_raw(b, access), pending);
                    }
                }
                offset += info.block as usize;
            }
        }
    }
}

impl Drop for PageAllocator {
    fn drop(&mut self) {
        let live = self.arenas.iter_mut().filter_map(Option::take);
        for arena in live.chain(self.spares.drain(..)) {
            // SAFETY: allocated by `Arena::new` with this layout; the heap
            // is going away, nothing refers into it any more.
            unsafe { system::dealloc(arena.base, arena_layout()) };
        }
    }
}

/// Hints the cache to fetch byte `offset` (< [`PAGE_SIZE`]) of the page at
/// `page` for writing; no effect on the program's state.
#[inline(always)]
fn prefetch(page: NonNull<u8>, offset: usize) {
    debug_assert!(offset < PAGE_SIZE);
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: a prefetch never faults and reads nothing the program sees;
    // the address is inside the page anyway (`offset < PAGE_SIZE`).
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(page.as_ptr().add(offset).cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = (page, offset);
}

fn large_layout(total_bytes: usize) -> Layout {
    Layout::from_size_align(total_bytes, WORD).expect("size checked by the object model")
}

/// Allocates a large object of `bytes` with `cards` card words in front,
/// zeroed. Returns the header pointer, or `OutOfMemory` when the system
/// refuses.
///
/// # Panics
///
/// When `bytes` is under two words or not whole words, or the total
/// overflows.
pub(crate) fn alloc_large(bytes: usize, cards: usize) -> Result<NonNull<u64>, GcError> {
    assert!(
        bytes >= 2 * WORD && bytes % WORD == 0,
        "large object of {bytes} bytes"
    );
    let total = cards
        .checked_mul(WORD)
        .and_then(|c| c.checked_add(bytes))
        .expect("large object size overflows");
    let layout = large_layout(total);
    let base = system::alloc_zeroed(layout)?.cast::<u64>();
    // SAFETY: `cards` words lie inside the allocation, before the header.
    Ok(unsafe { base.add(cards) })
}

/// Frees a block of `bytes` allocated by [`alloc_large`] without cards
/// and never initialised as an object.
///
/// # Safety
///
/// `block` came from `alloc_large(bytes, 0)` and is not used again.
pub(crate) unsafe fn free_block(block: NonNull<u64>, bytes: usize) {
    // SAFETY: the caller's guarantee: this layout, no cards in front.
    unsafe { system::dealloc(block.cast(), large_layout(bytes)) };
}

/// Frees a large object allocated by [`alloc_large`].
///
/// # Safety
///
/// `obj` was allocated by `alloc_large` (with cards iff it has
/// `HAS_CARDS`) and is not freed yet, and no stored reference leads to it
/// any more (it is unmarked after a complete marking, and off every list).
pub(crate) unsafe fn free_large(obj: ObjPtr, access: &mut Access) {
    // SAFETY: not freed yet (the caller's guarantee).
    let block = unsafe { obj.open_block(access) };
    let cards = block.card_words();
    let layout = large_layout(block.size_bytes() + cards * WORD);
    // SAFETY: the caller guarantees `obj` came from `alloc_large`, whose
    // base is `cards` words before the header, with this layout.
    unsafe { system::dealloc(obj.as_ptr().sub(cards).cast(), layout) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{HAS_CARDS, VISITED, card_words, init_object, make_tid, object_bytes};
    use gc_core::Kind;

    fn obj(pages: &mut PageAllocator, id: u64, slots: usize, payload: usize) -> ObjPtr {
        let bytes = object_bytes(slots, payload);
        pages.reserve(1).unwrap();
        // SAFETY: initialised right below; `alloc` returned `bytes`
        // writable bytes.
        unsafe {
            let p = pages.alloc(bytes);
            init_object(p, make_tid(Kind::Node, id, 0), slots, payload)
        }
    }

    #[test]
    fn odd_sizes_are_refused() {
        // SAFETY: no object is opened.
        let mut pages = unsafe { PageAllocator::new() };
        for bytes in [0, 8, 20, SMALL_REQUEST_THRESHOLD + 8] {
            let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: refused before any memory is handed out.
                unsafe { pages.alloc(bytes) }
            }));
            assert!(refused.is_err(), "{bytes} bytes accepted");
        }
        for (bytes, cards) in [(0, 0), (12, 0), (16, usize::MAX / 4)] {
            let refused = std::panic::catch_unwind(|| alloc_large(bytes, cards));
            assert!(refused.is_err(), "{bytes} + {cards} cards accepted");
        }
    }

    #[test]
    fn alloc_sweep_reuse_and_free_arenas() {
        // SAFETY: the token guards only `pages`, freed only by `sweep`
        // (which takes it `&mut`) or after both are gone; `pages` is
        // dropped after every object opened through the token.
        let (mut access, mut pages) = unsafe { (Access::new(), PageAllocator::new()) };
        let n = if cfg!(miri) { 600 } else { 20_000 };
        let objs: Vec<ObjPtr> = (0..n)
            .map(|i| obj(&mut pages, i, 1, (i % 7) as usize))
            .collect();
        {
            // SAFETY: just allocated, none freed.
            let open = |p: ObjPtr| unsafe { p.open(&access) };
            for w in objs.windows(2) {
                // SAFETY: both live; no collection runs: no barrier.
                unsafe { open(w[1]).slots()[0].set(Some(open(w[0]))) };
            }
            assert_eq!(
                pages.used_bytes(),
                objs.iter().map(|&o| open(o).size_bytes()).sum::<usize>()
            );
            // Keep every third object.
            for (i, &o) in objs.iter().enumerate() {
                if i % 3 == 0 {
                    // SAFETY: the mark the sweep below reads, as marking sets it.
                    unsafe { open(o).add(VISITED) };
                }
            }
        }
        let mut seen = 0;
        pages.for_each(&access, |_, _| seen += 1);
        assert_eq!(seen, n);
        pages.prepare_sweep();
        let keep = |o: Block<'_>| {
            let live = o.has(VISITED);
            // SAFETY: the sweep clears the mark it reads.
            unsafe { o.remove(VISITED) };
            live
        };
        let mut freed = 0;
        loop {
            // SAFETY: the refused objects are never opened again: only
            // every third one (marked) is, below.
            let (c, done) = unsafe { pages.sweep(3, &mut access, keep) };
            freed += c.objects;
            if done {
                break;
            }
        }
        let kept: Vec<ObjPtr> = objs.iter().copied().step_by(3).collect();
        assert_eq!(freed as usize, n as usize - kept.len());
        // SAFETY: the kept objects were marked, so not freed.
        let open = |p: ObjPtr| unsafe { p.open(&access) };
        assert_eq!(
            pages.used_bytes(),
            kept.iter().map(|&o| open(o).size_bytes()).sum::<usize>()
        );
        // Survivors are intact; freed blocks are reused.
        for (k, &o) in kept.iter().enumerate() {
            assert_eq!(open(o).id().0, 3 * k as u64);
        }
        let arenas_before = pages.arenas_count();
        for i in 0..n {
            obj(&mut pages, n + i, 1, 0);
        }
        assert_eq!(
            pages.arenas_count(),
            arenas_before.max(pages.arenas_count())
        );
        // Free everything: every arena but the current one goes back.
        pages.prepare_sweep();
        // SAFETY: nothing is opened after this.
        while !unsafe { pages.sweep(usize::MAX, &mut access, |_| false) }.1 {}
        assert_eq!(pages.used_bytes(), 0);
        assert!(pages.arenas_count() <= 1);
    }

    #[test]
    fn emptied_arenas_are_kept_as_spares_up_to_a_limit_and_used_again() {
        // SAFETY: no object is opened; the token outlives nothing it
        // guards.
        let (mut access, mut pages) = unsafe { (Access::new(), PageAllocator::new()) };
        // Payloads that fill a 256-byte block: 2,048 objects an arena.
        let per_arena = ARENA_SIZE / 256;
        let payload = 256 - object_bytes(0, 0);
        assert_eq!(object_bytes(0, payload), 256);
        let fill = |pages: &mut PageAllocator, arenas: usize| {
            for i in 0..arenas * per_arena {
                obj(pages, i as u64, 0, payload);
            }
        };
        // Twenty arenas: the half-the-arenas limit. Under Miri (slow:
        // every object is interpreted), ten: the eight-spare limit.
        let arenas = if cfg!(miri) { 10 } else { 20 };
        fill(&mut pages, arenas);
        assert_eq!(pages.arenas_count(), arenas);
        pages.reserve_sweep().unwrap();
        pages.prepare_sweep();
        // SAFETY: nothing is opened after this.
        while !unsafe { pages.sweep(usize::MAX, &mut access, |_| false) }.1 {}
        // The current arena stays; of the others, emptied, at most eight
        // or half the arenas are kept.
        let kept = (arenas - 1).min(KEPT_SPARES.max(arenas / 2));
        assert_eq!(kept, if cfg!(miri) { 8 } else { 10 });
        assert_eq!(pages.arenas_count(), 1);
        assert_eq!(pages.spares.len(), kept);
        // Building again fills the current arena, then installs the
        // spares before asking the system.
        fill(&mut pages, kept);
        assert_eq!(pages.arenas_count(), kept);
        assert_eq!(pages.spares.len(), 1);
    }

    #[test]
    fn large_objects_with_cards() {
        // SAFETY: the token guards only this large object, freed below.
        let mut access = unsafe { Access::new() };
        let slots = if cfg!(miri) { 2000 } else { 100_000 };
        let bytes = object_bytes(slots, 3);
        let cards = card_words(slots);
        let p = alloc_large(bytes, cards).unwrap();
        // SAFETY: fresh allocation of `bytes` after `cards` zeroed words.
        let ptr = unsafe { init_object(p, make_tid(Kind::Node, 1, HAS_CARDS), slots, 3) };
        {
            // SAFETY: just initialised.
            let o = unsafe { ptr.open(&access) };
            assert_eq!(o.cards().len(), cards * WORD);
            assert!(o.cards().iter().all(|b| b.get() == 0));
            assert!(o.mark_card(slots - 1) && !o.mark_card(slots - 2));
            assert!(o.card_is_set(slots - 1) && !o.card_is_set(0));
            assert!(!o.mark_card(slots + 100_000), "out of range: no card");
            // SAFETY: `o` itself, live; no collection runs: no barrier.
            unsafe { o.slots()[slots - 1].set(Some(o)) };
            assert_eq!(o.slots()[slots - 1].get(), Some(o));
        }
        // SAFETY: allocated by `alloc_large` with cards, used no more.
        unsafe { free_large(ptr, &mut access) };
    }
}
