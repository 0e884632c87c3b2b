//! Where the reference slots of a reference-counted heap live.
//!
//! An object with at most [`INLINE_MAX`] slots (two: a linked-list cell, a
//! tree node, a pair) keeps them in its [`SlotRange`] itself, inside its
//! header, so reading such an object's references costs no second memory
//! access. A boxed slice per larger object would cost a `malloc` on every
//! allocation, a `free` on every deallocation and a pointer chase on every
//! traversal. The [`SlotArena`] instead keeps the slots of every object
//! with up to [`SMALL_MAX`] slots end to end in one vector, in allocation
//! order, so a
//! collection walking objects in allocation order reads the slots as one
//! stream. A freed range goes on a free list for its exact length and is
//! reused by the next object with that many slots (segregated fit, as in
//! CPython's `obmalloc` size classes; ranges are never split or merged, and
//! the arena never shrinks). Objects with more slots get a boxed slice of
//! their own: they are few, and one allocation per large array is nothing
//! beside its size.

use super::Slot;
use crate::GcError;

/// The largest slot count kept in the shared cells; larger objects get a
/// box of their own.
pub const SMALL_MAX: usize = 256;

/// The slots kept inline in a [`SlotRange`].
pub const INLINE_MAX: usize = 2;

/// Where one object's slots are: up to `INLINE_MAX` (2) of them in the range
/// itself, more in `len` cells of the arena from `start` (for a large
/// object, `start` names its box). Read them through [`SlotArena::get`]
/// (a copy of the range reads as the slots were when it was copied); write
/// them through [`SlotArena::get_mut`] on the header's own range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotRange {
    len: u32,
    /// The slots when `len <= INLINE_MAX`; otherwise `inline[0]` holds
    /// `start` as the reference to index `start` (a `u32` stored where a
    /// slot goes, so that the inline slots can be lent as a slice).
    inline: [Slot; INLINE_MAX],
}

impl SlotRange {
    fn in_arena(start: u32, len: u32) -> Self {
        SlotRange {
            len,
            inline: [super::ObjRef::from_index(start as usize), None],
        }
    }

    #[inline]
    fn start(&self) -> usize {
        self.inline[0].map_or(0, super::ObjRef::index)
    }

    #[inline]
    fn is_inline(&self) -> bool {
        self.len as usize <= INLINE_MAX
    }

    /// The number of slots.
    #[inline]
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// No slots at all (atoms, weak references, empty nodes and tuples).
    #[inline]
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The slots, when they are kept in the range itself (at most two of
    /// them): read without the arena.
    #[inline(always)]
    pub fn inline_slots(&self) -> Option<&[Slot]> {
        if self.is_inline() {
            Some(&self.inline[..self.len()])
        } else {
            None
        }
    }

    /// The inline words as they are, copied whole: the slots when
    /// [`SlotRange::inline_slots`] answers them (the first `len`), and
    /// meaningless otherwise.
    #[inline(always)]
    pub(crate) fn inline_array(&self) -> [Slot; INLINE_MAX] {
        self.inline
    }

    #[inline]
    fn is_large(&self) -> bool {
        self.len as usize > SMALL_MAX
    }
}

/// The slots of every object of one heap: small ranges end to end in one
/// vector, reused by objects with the same slot count; large ones boxed.
#[derive(Debug, Default)]
pub struct SlotArena {
    cells: Vec<Slot>,
    /// `free[len - 1]`: starts of free ranges of `len` cells.
    free: Vec<Vec<u32>>,
    /// `carved[len - 1]`: ranges of `len` cells ever made (the most
    /// `free[len - 1]` can hold; it always has room for that many).
    carved: Vec<u32>,
    large: Vec<Box<[Slot]>>,
    large_free: Vec<u32>,
}

impl SlotArena {
    /// The bytes it holds: the small cells' vector (free ranges included)
    /// and the large objects' boxes.
    pub fn held_bytes(&self) -> usize {
        let cell = std::mem::size_of::<Slot>();
        self.cells.capacity() * cell + self.large.iter().map(|b| b.len() * cell).sum::<usize>()
    }

    /// A range of `len` nil slots.
    #[inline(always)]
    pub fn alloc(&mut self, len: usize) -> Result<SlotRange, GcError> {
        // Inline ranges (the commonest objects) without a call.
        if len <= INLINE_MAX {
            return Ok(SlotRange {
                len: len as u32,
                inline: [None; INLINE_MAX],
            });
        }
        self.alloc_with(len, |cells| cells.fill(None))
    }

    /// A range holding a copy of `slots`.
    pub fn alloc_copy(&mut self, slots: &[Slot]) -> Result<SlotRange, GcError> {
        self.alloc_with(slots.len(), |cells| cells.copy_from_slice(slots))
    }

    /// Every allocation here is fallible: memory the system refuses is
    /// `OutOfMemory` (see [`config::refused`](crate::config::refused)),
    /// never an abort, and leaves the arena as it was. So that freeing never
    /// allocates, the list of free large boxes always has room for all
    /// of them.
    #[inline]
    fn alloc_with(
        &mut self,
        len: usize,
        init: impl FnOnce(&mut [Slot]),
    ) -> Result<SlotRange, GcError> {
        let too_many = GcError::TooMany {
            what: "slots",
            limit: u64::from(u32::MAX),
        };
        let refused = |_| crate::config::refused();
        if len <= INLINE_MAX {
            let mut range = SlotRange {
                len: len as u32,
                inline: [None; INLINE_MAX],
            };
            init(&mut range.inline[..len]);
            return Ok(range);
        }
        let len32 = u32::try_from(len).map_err(|_| too_many.clone())?;
        if len > SMALL_MAX {
            let mut slots = Vec::new();
            slots.try_reserve_exact(len).map_err(refused)?;
            slots.resize(len, None);
            let mut slots = slots.into_boxed_slice();
            init(&mut slots);
            let start = match self.large_free.pop() {
                Some(i) => {
                    self.large[i as usize] = slots;
                    i
                }
                None => {
                    let i = u32::try_from(self.large.len()).map_err(|_| too_many)?;
                    self.large.try_reserve(1).map_err(refused)?;
                    self.large_free
                        .try_reserve(self.large.len() + 1)
                        .map_err(refused)?;
                    self.large.push(slots);
                    i
                }
            };
            return Ok(SlotRange::in_arena(start, len32));
        }
        if self.free.len() < len {
            self.free
                .try_reserve(len - self.free.len())
                .map_err(refused)?;
            self.carved
                .try_reserve(len - self.carved.len())
                .map_err(refused)?;
            self.free.resize_with(len, Vec::new);
            self.carved.resize(len, 0);
        }
        let start = match self.free[len - 1].pop() {
            Some(start) => start,
            None => {
                let start = u32::try_from(self.cells.len()).map_err(|_| too_many.clone())?;
                // `start` must fit in a reference too (index + 1 < 2^32).
                if u32::try_from(self.cells.len() + len + 1).is_err() {
                    return Err(too_many);
                }
                // Room on the free list of this length for every range of
                // it, this one included, so that freeing never allocates.
                let class = &mut self.free[len - 1];
                let carved = self.carved[len - 1] as usize + 1;
                class.try_reserve(carved - class.len()).map_err(refused)?;
                self.cells.try_reserve(len).map_err(refused)?;
                self.cells.resize(self.cells.len() + len, None);
                self.carved[len - 1] += 1;
                start
            }
        };
        let mut range = SlotRange::in_arena(start, len32);
        init(self.get_mut(&mut range));
        Ok(range)
    }

    /// A range of `len` slots holding the first `min(len, old.len())` slots
    /// of `old`, nil after. `old` is left as it was, to be read and then
    /// [freed](Self::free) by the caller (nothing is freed on an error).
    pub fn resized(&mut self, old: &SlotRange, len: usize) -> Result<SlotRange, GcError> {
        let keep = len.min(old.len());
        if old.is_inline() {
            // The old slots are in `old` itself, not in the arena.
            let kept = &old.inline[..keep];
            return self.alloc_with(len, |cells| {
                cells[..keep].copy_from_slice(kept);
                cells[keep..].fill(None);
            });
        }
        let mut new = self.alloc(len)?;
        for i in 0..keep {
            let v = self.get(old)[i];
            self.get_mut(&mut new)[i] = v;
        }
        Ok(new)
    }

    /// Gives the range back. Its slots must hold no counted references any
    /// more (the caller dropped them); they are not read again.
    #[inline(always)]
    pub fn free(&mut self, range: SlotRange) {
        if !range.is_inline() {
            self.free_in_arena(range);
        }
    }

    #[inline(never)]
    fn free_in_arena(&mut self, range: SlotRange) {
        let start = range.start();
        if range.is_large() {
            self.large[start] = Box::default();
            self.large_free.push(start as u32);
        } else {
            self.free[range.len() - 1].push(start as u32);
        }
    }

    /// The slots of `range`.
    #[inline]
    pub fn get<'a>(&'a self, range: &'a SlotRange) -> &'a [Slot] {
        if range.is_inline() {
            &range.inline[..range.len()]
        } else if range.is_large() {
            &self.large[range.start()]
        } else {
            let start = range.start();
            &self.cells[start..start + range.len()]
        }
    }

    /// Slot `i` of `range` (which must have more than `i` slots).
    #[inline]
    pub fn slot(&self, range: &SlotRange, i: usize) -> Slot {
        self.get(range)[i]
    }

    /// The slots of `range`, to change: pass the header's own range, since
    /// inline slots live in it.
    #[inline]
    pub fn get_mut<'a>(&'a mut self, range: &'a mut SlotRange) -> &'a mut [Slot] {
        let len = range.len();
        if range.is_inline() {
            &mut range.inline[..len]
        } else if range.is_large() {
            &mut self.large[range.start()]
        } else {
            let start = range.start();
            &mut self.cells[start..start + len]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rc::ObjRef;

    fn r(i: usize) -> Slot {
        ObjRef::from_index(i)
    }

    #[test]
    fn ranges_are_nil_disjoint_and_reused_by_length() {
        let mut a = SlotArena::default();
        let mut x = a.alloc(3).unwrap();
        let mut y = a.alloc(2).unwrap();
        assert_eq!(a.get(&x), &[None, None, None]);
        a.get_mut(&mut x)[1] = r(7);
        a.get_mut(&mut y)[0] = r(9);
        assert_eq!(a.get(&x), &[None, r(7), None]);
        assert_eq!(a.get(&y), &[r(9), None]);
        a.get_mut(&mut x).fill(None);
        a.free(x);
        // A 2-slot object does not take the 3-slot range; a 3-slot one does.
        let z = a.alloc(2).unwrap();
        assert_ne!(z, x);
        let w = a.alloc_copy(&[r(1), None, r(2)]).unwrap();
        assert_eq!(w, x);
        assert_eq!(a.get(&w), &[r(1), None, r(2)]);
    }

    #[test]
    fn large_objects_get_their_own_box() {
        let mut a = SlotArena::default();
        let mut big = a.alloc(SMALL_MAX + 1).unwrap();
        let small = a.alloc(1).unwrap();
        assert_eq!(a.get(&big).len(), SMALL_MAX + 1);
        a.get_mut(&mut big)[SMALL_MAX] = r(3);
        assert_eq!(a.get(&big)[SMALL_MAX], r(3));
        assert_eq!(a.get(&small), &[None]);
        a.free(big);
        // Larger than `big` (fewer slots under Miri, where touching each
        // is slow).
        let again = a.alloc(if cfg!(miri) { 2_000 } else { 100_000 }).unwrap();
        assert_eq!(again.start(), big.start());
        assert!(a.get(&again).iter().all(Option::is_none));
    }

    #[test]
    fn resized_ranges_keep_their_first_slots() {
        let mut a = SlotArena::default();
        for (from, to) in [
            (1, 2),
            (2, 3),
            (3, 7),
            (7, 2),
            (5, 300),
            (300, 4),
            (4, 0),
            (0, 3),
        ] {
            let slots: Vec<Slot> = (0..from).map(|i| r(i + 10)).collect();
            let old = a.alloc_copy(&slots).unwrap();
            let new = a.resized(&old, to).unwrap();
            assert_eq!(a.get(&old), &slots[..], "the old range is left as it was");
            let keep = from.min(to);
            assert_eq!(&a.get(&new)[..keep], &slots[..keep], "{from} -> {to}");
            assert!(a.get(&new)[keep..].iter().all(Option::is_none));
            assert_eq!(a.get(&new).len(), to);
            a.free(old);
            a.free(new);
        }
    }

    #[test]
    fn empty_ranges_cost_nothing() {
        let mut a = SlotArena::default();
        let e = a.alloc(0).unwrap();
        assert!(e.is_empty());
        assert!(a.get(&e).is_empty());
        a.free(e);
        assert!(a.cells.is_empty() && a.free.is_empty());
    }
}
