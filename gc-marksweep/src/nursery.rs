//! The nursery: a bump region on `bumpalo`, reset after every minor
//! collection and never freed object by object.
//!
//! PyPy's nursery is one raw block with `nursery_free`/`nursery_top`
//! pointers; ours is one `bumpalo` chunk of at least the configured size
//! (allocated once, kept by `Bump::reset`) with our own byte budget on top,
//! so that the configured size is exact even for a zeal nursery of a few
//! objects. `bumpalo` bumps downwards; with a minimum alignment of one word
//! and sizes in whole words, the allocated part of the chunk is a gap-free
//! sequence of objects, newest first, which [`Nursery::for_each`] walks.

use std::alloc::Layout;
use std::ptr::NonNull;

use bumpalo::Bump;

use crate::header::{Access, Block, WORD};

/// The young generation's bump region.
#[derive(Debug)]
pub(crate) struct Nursery {
    bump: Bump<WORD>,
    capacity: usize,
    used: usize,
    /// Allocation stops here (at most `capacity`) until
    /// [`extend`](Self::extend) moves it on by a step: the points where
    /// the space does a little work between collections (PyPy moves its
    /// `nursery_top` in steps the same way, to clean the nursery lazily).
    limit: usize,
}

/// The nursery's fill is cut into this many steps (see `Nursery::limit`).
pub(crate) const NURSERY_STEPS: usize = 8;

impl Nursery {
    /// A nursery of `capacity` bytes (rounded up to a word), or `None` when
    /// the system cannot provide it.
    ///
    /// # Safety
    ///
    /// The nursery is kept with the [`Access`] token that guards its
    /// objects (in a `Space`): it is not dropped, replaced or swapped while
    /// an object opened through that token lives.
    pub(crate) unsafe fn new(capacity: usize) -> Option<Self> {
        let capacity = capacity.max(2 * WORD).checked_next_multiple_of(WORD)?;
        let bump = Bump::<WORD>::try_with_min_align_and_capacity(capacity).ok()?;
        // No second chunk, ever: our own budget says when to collect.
        bump.set_allocation_limit(Some(bump.allocated_bytes().max(capacity)));
        Some(Nursery {
            bump,
            capacity,
            used: 0,
            limit: first_limit(capacity),
        })
    }

    /// The configured size in bytes.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes allocated since the last reset.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    /// Room for `bytes` (a multiple of the word size, at least two words),
    /// or `None` when the nursery is full. The memory is uninitialised.
    ///
    /// # Safety
    ///
    /// The caller initialises the memory as an object of `bytes` bytes
    /// ([`init_object`](crate::header::init_object)) before any other call
    /// on this nursery: [`for_each`](Self::for_each) parses it.
    #[inline(always)]
    pub(crate) unsafe fn alloc(&mut self, bytes: usize) -> Option<NonNull<u64>> {
        debug_assert!(bytes >= 2 * WORD && bytes % WORD == 0);
        if bytes > self.limit - self.used {
            return None;
        }
        let layout = Layout::from_size_align(bytes, WORD).ok()?;
        let p = self.bump.try_alloc_layout(layout).ok()?;
        self.used += bytes;
        Some(p.cast())
    }

    /// The addresses of the objects allocated since the last reset, as
    /// `(lowest, bytes)`: every young object lies inside, nothing else
    /// does (one chunk, gap-free).
    pub(crate) fn span(&self) -> (usize, usize) {
        if self.used == 0 {
            return (0, 0);
        }
        // SAFETY: no allocation happens while the iterator lives (we hold
        // `&self`); only the addresses are used.
        let mut chunks = unsafe { self.bump.iter_allocated_chunks_raw() };
        let (start, len) = chunks.next().unwrap_or((std::ptr::null_mut(), 0));
        debug_assert!(chunks.next().is_none() && len == self.used);
        (start as usize, len)
    }

    /// Forgets every object: the next allocation reuses the chunk from its
    /// end.
    ///
    /// # Safety
    ///
    /// No stored reference (root, work list, weak entry, slot of an object
    /// outside the nursery) leads into the nursery any more: every one was
    /// forwarded to the copy or dropped.
    pub(crate) unsafe fn reset(&mut self, access: &mut Access) {
        let _ = access;
        self.bump.reset();
        self.used = 0;
        self.limit = first_limit(self.capacity);
    }

    /// [`alloc`](Self::alloc) of `bytes` stopped at the step limit: moves
    /// it on by a step (or to the end), so that `bytes` fit; false when
    /// they do not fit in the whole nursery (it is full: collect).
    pub(crate) fn extend(&mut self, bytes: usize) -> bool {
        if bytes > self.capacity - self.used {
            return false;
        }
        let next = (self.limit + step(self.capacity)).max(self.used + bytes);
        self.limit = next.min(self.capacity);
        true
    }

    /// Calls `f` on every object allocated since the last reset (newest
    /// first; a forwarded stub, which exists only during a minor
    /// collection, still has its lengths).
    pub(crate) fn for_each<'h>(&'h self, access: &'h Access, mut f: impl FnMut(Block<'h>)) {
        if self.used == 0 {
            return;
        }
        // SAFETY: no allocation happens while the iterator lives (we hold
        // `&self` and allocate only through `&mut self`), and we only read
        // headers of objects we initialised.
        let chunks = unsafe { self.bump.iter_allocated_chunks_raw() };
        for (start, len) in chunks {
            let mut offset = 0;
            while offset < len {
                // SAFETY: the allocated part of a chunk is a gap-free
                // sequence of whole objects (word-aligned, whole-word sizes,
                // min_align = WORD), each initialised by `init_object` right
                // after its allocation; `start + offset` is the next one.
                // The block borrows the nursery for `'h`, so it is neither
                // reset (`&mut self`) nor dropped while the block is used.
                let obj = unsafe {
                    Block::from_raw(
                        NonNull::new_unchecked(start.add(offset).cast::<u64>()),
                        access,
                    )
                };
                offset += obj.size_bytes();
                f(obj);
            }
        }
    }
}

/// Bytes per step of the limit.
fn step(capacity: usize) -> usize {
    capacity.div_ceil(NURSERY_STEPS)
}

fn first_limit(capacity: usize) -> usize {
    step(capacity).min(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{ObjPtr, init_object, make_tid, object_bytes};
    use gc_core::Kind;

    #[test]
    fn bump_until_full_walk_and_reset() {
        // SAFETY: the token guards only `n`, reset below with it; `n` is
        // dropped after every object opened through the token.
        let (mut access, mut n) = unsafe { (Access::new(), Nursery::new(256).unwrap()) };
        let mut made: Vec<ObjPtr> = Vec::new();
        let mut id = 0;
        loop {
            let payload = (id % 3) as usize * 5;
            let bytes = object_bytes(1, payload);
            // SAFETY: initialised right below.
            let Some(p) = (unsafe { alloc(&mut n, bytes) }) else {
                break;
            };
            let tid = make_tid(Kind::Node, id, 0);
            // SAFETY: `alloc` returned `bytes` writable, aligned bytes.
            let o = unsafe { init_object(p, tid, 1, payload) };
            if let Some(&prev) = made.last() {
                // SAFETY: both allocated since the last reset: live; no
                // collection runs, so no barrier is needed.
                unsafe { o.open(&access).slots()[0].set(Some(prev.open(&access))) };
            }
            made.push(o);
            id += 1;
        }
        assert!(n.used() <= 256 && n.used() > 256 - 64);
        let mut seen = Vec::new();
        n.for_each(&access, |o| seen.push(o.id().0));
        seen.reverse();
        assert_eq!(seen, (0..id).collect::<Vec<_>>());
        // SAFETY: not reset yet.
        let third = unsafe { made[3].open(&access) };
        assert_eq!(third.slots()[0].get().map(|o| o.ptr()), Some(made[2]));
        // SAFETY: `made` is not opened again.
        unsafe { n.reset(&mut access) };
        assert_eq!(n.used(), 0);
        let mut count = 0;
        n.for_each(&access, |_| count += 1);
        assert_eq!(count, 0);
        // SAFETY: the nursery is not used again.
        assert!(unsafe { alloc(&mut n, object_bytes(0, 0)) }.is_some());
    }

    /// `alloc`, moving the step limit on as the space does.
    ///
    /// # Safety
    ///
    /// As for [`Nursery::alloc`].
    unsafe fn alloc(n: &mut Nursery, bytes: usize) -> Option<NonNull<u64>> {
        // SAFETY: the caller's guarantee.
        unsafe {
            n.alloc(bytes)
                .or_else(|| n.extend(bytes).then(|| n.alloc(bytes)).flatten())
        }
    }

    #[test]
    fn the_limit_moves_in_steps() {
        // SAFETY: nothing walks this nursery, and no object is opened.
        unsafe {
            let mut n = Nursery::new(8 * 64).unwrap();
            let mut extends = 0;
            while n
                .alloc(16)
                .or_else(|| {
                    extends += 1;
                    n.extend(16).then(|| n.alloc(16)).flatten()
                })
                .is_some()
            {}
            assert_eq!(n.used(), 8 * 64, "the whole nursery is used");
            assert_eq!(extends, NURSERY_STEPS, "7 steps on, then full");
        }
    }

    #[test]
    fn too_big_is_refused() {
        // SAFETY: nothing walks this nursery, and no object is opened.
        unsafe {
            let mut n = Nursery::new(64).unwrap();
            assert!(alloc(&mut n, 72).is_none());
            assert!(n.alloc(64).is_none(), "stops at the first step");
            assert!(alloc(&mut n, 64).is_some());
            assert!(alloc(&mut n, 16).is_none());
        }
    }
}
