//! The object layout: a header word of flags, kind and id, a length word,
//! the slots, then the payload — and [`ObjRef`], the collector's own
//! reference to one such object.
//!
//! ```text
//!  word 0   tid     flags (bits 0..12, 14) | kind (bits 12..14) | object id (bits 16..64)
//!  word 1   lengths slot count (low 32 bits) | payload bytes (high 32 bits)
//!                   -- or, once a nursery object is forwarded, the address of its copy
//!  word 2.. slots   one `Option<ObjRef>` each (null is nil)
//!  then     payload rounded up to whole words
//! ```
//!
//! PyPy's header is the single word `tid` (type id + flags); its types carry
//! their sizes. Our objects are sized per instance (any slot count, any
//! payload), so the lengths need a second word; the gctrace object id rides
//! in the spare high bits of the first. Every object is at least two words,
//! so a forwarded nursery object has room for its forwarding address, as in
//! PyPy (`minimal_size_in_nursery`). Large objects with cards have their card
//! bytes *before* word 0, as in PyPy.
//!
//! # The `ObjRef` invariant
//!
//! An [`ObjRef`] is created only by [`ObjRef::from_raw`], whose contract is
//! that the pointer is the header of a live, fully initialised object. The
//! collector keeps it true: every `ObjRef` it stores (roots, slots,
//! remembered sets, finalizer and weak lists) is rewritten when its object
//! moves (minor collection) and dropped before its object is freed (sweeping
//! frees only unmarked objects, which nothing live refers to; the nursery is
//! reset only after every reference into it was forwarded). That is why the
//! accessors below are safe functions: their `unsafe` blocks rely on it, and
//! the debug consistency check ([`crate::check`]) verifies it in the zeal
//! tests without dereferencing anything it has not found in the heap.

use std::ptr::NonNull;

use gc_core::{Kind, ObjectId};

/// Bytes in a word.
pub(crate) const WORD: usize = 8;
/// Header words before the slots.
pub(crate) const HEADER_WORDS: usize = 2;

/// The write barrier's trigger bit: set on old objects, cleared when the
/// object enters the remembered set (PyPy's `GCFLAG_TRACK_YOUNG_PTRS`).
/// Never set on nursery objects. Marking sets it on every object it
/// blackens, so writes into black objects always take the slow path.
pub(crate) const TRACK_YOUNG_PTRS: u64 = 1 << 0;
/// Black: marked by the current major collection (`GCFLAG_VISITED`).
pub(crate) const VISITED: u64 = 1 << 1;
/// A large node with card bytes before its header (`GCFLAG_HAS_CARDS`).
pub(crate) const HAS_CARDS: u64 = 1 << 2;
/// Some card is set and the object is in the cards list (`GCFLAG_CARDS_SET`).
pub(crate) const CARDS_SET: u64 = 1 << 3;
/// Finalizer ordering state bit (`GCFLAG_FINALIZATION_ORDERING`).
pub(crate) const FINALIZATION_ORDERING: u64 = 1 << 4;
/// A nursery object copied out; word 1 holds the copy.
pub(crate) const FORWARDED: u64 = 1 << 5;
/// Outside the nursery (PyPy tests the address range instead).
pub(crate) const OLD: u64 = 1 << 6;
/// Allocated individually (large-object space), not in a page.
pub(crate) const LARGE: u64 = 1 << 7;
/// Registered for finalization and not yet finalized.
pub(crate) const HAS_FINALIZER: u64 = 1 << 8;
/// The finalizer resurrects (appends to the saved list).
pub(crate) const FIN_RESURRECT: u64 = 1 << 9;
/// The finalizer already ran: it never runs again (PEP 442).
pub(crate) const FINALIZED: u64 = 1 << 10;
/// Marks a free block inside a page (never set on an object).
pub(crate) const FREE_BLOCK: u64 = 1 << 11;

/// Greyed by a minor collection and on a grey stack already (not a PyPy
/// flag: it keeps the roots and the referents of written black objects,
/// greyed at every minor collection during marking, from piling up as
/// duplicates). Bit 14: bits 12 and 13 hold the kind.
pub(crate) const MORE_PENDING: u64 = 1 << 14;
/// The finalizer calls the embedder's hook (`Finalizer::Run`; set with
/// `FIN_RESURRECT`, since the hook may keep the object). Bit 15, set only
/// after allocation, like `MORE_PENDING`.
pub(crate) const FIN_HOOK: u64 = 1 << 15;

const FLAG_MASK: u64 = (1 << 12) - 1;
const KIND_SHIFT: u32 = 12;
const ID_SHIFT: u32 = 16;
/// The largest object id the header holds (2^48 - 1).
pub(crate) const MAX_ID: u64 = (1 << (64 - ID_SHIFT)) - 1;

/// Slots per card (PyPy's `card_page_indices`).
pub(crate) const CARD_SLOTS: usize = 128;
/// Card bits per card byte.
pub(crate) const CARDS_PER_BYTE: usize = 8;

/// Card-area words in front of a large node with `slots` slots.
pub(crate) fn card_words(slots: usize) -> usize {
    slots.div_ceil(CARD_SLOTS * CARDS_PER_BYTE * WORD)
}

fn kind_bits(kind: Kind) -> u64 {
    match kind {
        Kind::Node => 0,
        Kind::Tuple => 1,
        Kind::Atom => 2,
    }
}

/// The first header word of a new object.
pub(crate) fn make_tid(kind: Kind, id: u64, flags: u64) -> u64 {
    debug_assert!(id <= MAX_ID);
    debug_assert_eq!(flags & !FLAG_MASK, 0);
    (id << ID_SHIFT) | (kind_bits(kind) << KIND_SHIFT) | flags
}

/// The second header word.
pub(crate) fn make_lengths(slots: usize, payload: usize) -> u64 {
    (slots as u64) | ((payload as u64) << 32)
}

/// Total bytes of an object with these lengths (header, slots, payload).
#[inline]
pub(crate) fn object_bytes(slots: usize, payload: usize) -> usize {
    (HEADER_WORDS + slots) * WORD + payload.next_multiple_of(WORD)
}

/// A reference to an object's header, as the collector stores it in slots
/// and lists. See the [module docs](self) for the invariant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub(crate) struct ObjRef(NonNull<u64>);

impl ObjRef {
    /// Wraps a header pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to the first header word of a live object laid out as in
    /// the module docs, fully initialised, 8-aligned, with provenance over
    /// the whole object (and its card bytes, if any).
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<u64>) -> Self {
        ObjRef(ptr)
    }

    /// The header pointer.
    #[inline]
    pub(crate) fn as_ptr(self) -> NonNull<u64> {
        self.0
    }

    /// Hints the cache to fetch this object's header, which the caller is
    /// about to read; no effect on the program's state.
    #[inline(always)]
    pub(crate) fn prefetch(self) {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        // SAFETY: a prefetch never faults and reads nothing the program
        // sees; the address is this object's header anyway.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(self.0.as_ptr().cast::<i8>());
        }
    }

    /// The address, for the consistency check's sets.
    pub(crate) fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Word 0.
    #[inline]
    pub(crate) fn tid(self) -> u64 {
        // SAFETY: ObjRef invariant: word 0 of a live object is initialised.
        unsafe { self.0.as_ptr().read() }
    }

    /// Overwrites word 0.
    #[inline]
    pub(crate) fn set_tid(self, tid: u64) {
        // SAFETY: ObjRef invariant: word 0 of a live object is writable.
        unsafe { self.0.as_ptr().write(tid) }
    }

    /// Tests header flags.
    #[inline]
    pub(crate) fn has(self, flags: u64) -> bool {
        self.tid() & flags != 0
    }

    /// Sets header flags.
    #[inline]
    pub(crate) fn add(self, flags: u64) {
        self.set_tid(self.tid() | flags);
    }

    /// Clears header flags.
    #[inline]
    pub(crate) fn remove(self, flags: u64) {
        self.set_tid(self.tid() & !flags);
    }

    /// The object's kind.
    pub(crate) fn kind(self) -> Kind {
        match (self.tid() >> KIND_SHIFT) & 3 {
            0 => Kind::Node,
            1 => Kind::Tuple,
            _ => Kind::Atom,
        }
    }

    /// The object's gctrace id.
    pub(crate) fn id(self) -> ObjectId {
        ObjectId(self.tid() >> ID_SHIFT)
    }

    #[inline]
    fn lengths(self) -> u64 {
        // SAFETY: ObjRef invariant: word 1 of a live object that is not
        // forwarded holds its lengths (callers never ask a forwarded one).
        unsafe { self.0.as_ptr().add(1).read() }
    }

    /// Number of slots.
    #[inline]
    pub(crate) fn slot_count(self) -> usize {
        (self.lengths() & 0xffff_ffff) as usize
    }

    /// Payload bytes.
    #[inline]
    pub(crate) fn payload_len(self) -> usize {
        (self.lengths() >> 32) as usize
    }

    /// Total bytes (without card bytes).
    #[inline]
    pub(crate) fn size_bytes(self) -> usize {
        let l = self.lengths();
        object_bytes((l & 0xffff_ffff) as usize, (l >> 32) as usize)
    }

    #[inline]
    fn slot_ptr(self, index: usize) -> *mut Option<ObjRef> {
        debug_assert!(index < self.slot_count());
        // SAFETY: ObjRef invariant plus `index < slot_count` (checked by
        // every caller): the slot lies inside the object.
        unsafe { self.0.as_ptr().add(HEADER_WORDS + index).cast() }
    }

    /// What slot `index` holds. The caller checked `index < slot_count()`.
    #[inline]
    pub(crate) fn slot(self, index: usize) -> Option<ObjRef> {
        // SAFETY: the slot is inside the live object (see `slot_ptr`) and
        // slots are always initialised (nil at allocation, then only ever
        // written with `Option<ObjRef>` values, keeping their provenance).
        unsafe { self.slot_ptr(index).read() }
    }

    /// Writes slot `index` *without* a barrier (the collector's own writes:
    /// forwarding, initialisation). The caller checked the index.
    #[inline]
    pub(crate) fn set_slot_raw(self, index: usize, value: Option<ObjRef>) {
        // SAFETY: as in `slot`; the collector holds `&mut` to the heap so
        // nothing else reads the slot concurrently.
        unsafe { self.slot_ptr(index).write(value) }
    }

    /// The payload's first byte.
    pub(crate) fn payload_ptr(self) -> *mut u8 {
        // SAFETY: ObjRef invariant: the payload follows the slots inside the
        // object (possibly zero bytes long: one past the slots).
        unsafe { self.0.as_ptr().add(HEADER_WORDS + self.slot_count()).cast() }
    }

    /// The forwarding address of a forwarded nursery object.
    #[inline]
    pub(crate) fn forwarded_to(self) -> ObjRef {
        debug_assert!(self.has(FORWARDED));
        // SAFETY: a forwarded object's word 1 was written by `set_forward`
        // with a live `ObjRef` (the copy), keeping its provenance; the
        // nursery memory stays allocated until the reset ending this minor.
        unsafe { self.0.as_ptr().add(1).cast::<ObjRef>().read() }
    }

    /// Turns this nursery object into a forwarding stub to `copy`.
    #[inline]
    pub(crate) fn set_forward(self, copy: ObjRef) {
        self.add(FORWARDED);
        // SAFETY: ObjRef invariant: word 1 is inside the object; after this
        // its lengths are gone, which is fine: a forwarded object is only
        // asked for `forwarded_to`.
        unsafe { self.0.as_ptr().add(1).cast::<ObjRef>().write(copy) }
    }

    /// The card bytes in front of a `HAS_CARDS` object.
    pub(crate) fn card_bytes(self) -> *mut u8 {
        debug_assert!(self.has(HAS_CARDS));
        let words = card_words(self.slot_count());
        // SAFETY: a HAS_CARDS object was allocated with `words` card words
        // in front of its header, inside the same allocation.
        unsafe { self.0.as_ptr().sub(words).cast() }
    }

    /// Number of card bytes of a `HAS_CARDS` object.
    pub(crate) fn card_len(self) -> usize {
        card_words(self.slot_count()) * WORD
    }

    /// Sets the card of slot `index` of a `HAS_CARDS` object; true when it
    /// was clear (PyPy: `bitindex = index >> 7`, one bit per card).
    #[inline]
    pub(crate) fn mark_card(self, index: usize) -> bool {
        debug_assert!(index < self.slot_count());
        let card = index / CARD_SLOTS;
        let mask = 1u8 << (card % CARDS_PER_BYTE);
        // SAFETY: `card / 8 < card_len()` because `index < slot_count()`;
        // the card bytes are inside the object's allocation.
        unsafe {
            let byte = self.card_bytes().add(card / CARDS_PER_BYTE);
            let old = byte.read();
            byte.write(old | mask);
            old & mask == 0
        }
    }

    /// Reads and clears card byte `j` of a `HAS_CARDS` object.
    #[inline]
    pub(crate) fn take_card_byte(self, j: usize) -> u8 {
        debug_assert!(j < self.card_len());
        // SAFETY: `j < card_len()`: inside the card area.
        unsafe {
            let byte = self.card_bytes().add(j);
            let v = byte.read();
            byte.write(0);
            v
        }
    }

    /// Whether the card of slot `index` is set (for the consistency check).
    pub(crate) fn card_is_set(self, index: usize) -> bool {
        let card = index / CARD_SLOTS;
        // SAFETY: as in `mark_card`.
        let byte = unsafe { self.card_bytes().add(card / CARDS_PER_BYTE).read() };
        byte & (1u8 << (card % CARDS_PER_BYTE)) != 0
    }
}

/// Writes a fresh object's header and nil slots and zero payload at `ptr`.
///
/// # Safety
///
/// `ptr` is 8-aligned and valid for writes of `object_bytes(slots,
/// payload)` bytes.
pub(crate) unsafe fn init_object(
    ptr: NonNull<u64>,
    tid: u64,
    slots: usize,
    payload: usize,
) -> ObjRef {
    let words = object_bytes(slots, payload) / WORD;
    let p = ptr.as_ptr();
    // SAFETY: the caller guarantees `words` writable words at `p`.
    unsafe {
        p.write(tid);
        p.add(1).write(make_lengths(slots, payload));
        // Nil slots: an all-zero `Option<NonNull>` is `None`.
        let slot_ptr = p.add(HEADER_WORDS).cast::<Option<ObjRef>>();
        for i in 0..slots {
            slot_ptr.add(i).write(None);
        }
        std::ptr::write_bytes(p.add(HEADER_WORDS + slots), 0, words - HEADER_WORDS - slots);
    }
    // SAFETY: just initialised as the layout requires.
    unsafe { ObjRef::from_raw(ptr) }
}

/// Copies the object `from` (not forwarded) to `to`, which has room for it.
///
/// # Safety
///
/// `to` is 8-aligned, valid for writes of `from.size_bytes()` bytes and
/// does not overlap `from`.
pub(crate) unsafe fn copy_object(from: ObjRef, to: NonNull<u64>) -> ObjRef {
    let words = from.size_bytes() / WORD;
    // SAFETY: `from` is live for `words` words (ObjRef invariant); the
    // caller guarantees `to`. Copying words keeps the slots' provenance.
    unsafe {
        std::ptr::copy_nonoverlapping(from.as_ptr().as_ptr(), to.as_ptr(), words);
        ObjRef::from_raw(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_roundtrip() {
        let mut mem = vec![0u64; 16];
        let ptr = NonNull::new(mem.as_mut_ptr()).unwrap();
        // SAFETY: 16 words are enough for 3 slots and 20 payload bytes.
        let o = unsafe { init_object(ptr, make_tid(Kind::Tuple, 12345, OLD), 3, 20) };
        assert_eq!(o.kind(), Kind::Tuple);
        assert_eq!(o.id(), ObjectId(12345));
        assert_eq!(o.slot_count(), 3);
        assert_eq!(o.payload_len(), 20);
        assert_eq!(o.size_bytes(), (2 + 3) * 8 + 24);
        assert!(o.has(OLD) && !o.has(VISITED));
        o.add(VISITED);
        assert!(o.has(VISITED));
        o.remove(VISITED);
        assert_eq!(o.slot(2), None);
        o.set_slot_raw(1, Some(o));
        assert_eq!(o.slot(1), Some(o));
        let mut copy_mem = vec![0u64; 16];
        let to = NonNull::new(copy_mem.as_mut_ptr()).unwrap();
        // SAFETY: distinct buffer with room for the object.
        let c = unsafe { copy_object(o, to) };
        assert_eq!(c.id(), ObjectId(12345));
        assert_eq!(c.slot(1), Some(o));
        o.set_forward(c);
        assert!(o.has(FORWARDED));
        assert_eq!(o.forwarded_to(), c);
        assert_eq!(card_words(100_000), 13);
        assert_eq!(card_words(1), 1);
    }
}
