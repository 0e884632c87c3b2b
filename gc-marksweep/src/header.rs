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
//! # References and the invariant that makes them sound
//!
//! Three types, by what their holder may do:
//!
//! - [`ObjPtr`]: an object's address as the collector *stores* it (in slots,
//!   the root table, work lists, weak entries). It has no lifetime and reads
//!   nothing: to read, it must be opened ([`ObjPtr::open`], `unsafe`).
//! - [`ObjRef<'h>`](ObjRef): a *live* object, readable and writable for `'h`
//!   (its slots are nil or lead to live objects, so [`Slot::get`] hands out
//!   `ObjRef<'h>` too).
//! - [`Block<'h>`](Block): an object whose memory is allocated for `'h` but
//!   which may be dead (waiting for the sweeper: its slots may dangle), so
//!   only its header can be read.
//!
//! `'h` is a borrow of the heap's [`Access`] token, which lives inside the
//! heap's `Space` (`space.rs`) together with the memory it guards (the
//! nursery and the old generation) and is reached only through
//! `Space::access(&self)`: an `ObjRef<'h>` borrows the whole space. Every
//! operation that frees, reuses or moves object memory (resetting the
//! nursery, sweeping pages, freeing a large object) takes the token
//! `&mut`, which only `&mut Space` gives, and so does replacing, swapping
//! or dropping the space or its parts (those parts are made only by
//! `unsafe fn`s, so no safe code outside `space.rs` can hold one to swap
//! in): the borrow checker proves that no `ObjRef`/`Block` outlives the
//! memory it reads, including across a moving minor collection. What the
//! borrow checker cannot see is
//! the *stored* `ObjPtr`s; that is the invariant the collector maintains:
//!
//! > **Every stored `ObjPtr` the collector reads is an object not yet
//! > freed; every one in a root, a work list, a weak entry or a slot of a
//! > live object is live.**
//!
//! It is maintained where memory is released and where addresses are
//! stored, and nowhere else: the unsafe functions that release memory
//! (`Nursery::reset`
//! after every stored reference into the nursery was forwarded,
//! `PageAllocator::sweep` and
//! `free_large` only on unmarked objects after a
//! complete marking) state it as their callers' obligation; every function
//! that stores an address the collector opens later (a root or the saved
//! list, the remembered set, a grey stack, a finalizer or weak entry, a
//! slot) is an `unsafe fn` whose caller vouches for a live object of the
//! same heap, or takes it from such a store; the header flags that decide
//! what survives are set only through `unsafe fn`s. The `unsafe` opens
//! rely on it. An `ObjPtr` is only ever made from an object (never
//! from an integer), and the header bits that decide what the other words
//! mean ([`FORWARDED`], [`HAS_CARDS`], [`FREE_BLOCK`]) are written only in
//! this module, so no safe flag update can make a slot or card read leave
//! its object. The debug consistency check (`check.rs`) verifies the
//! invariant by address before opening anything.

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// The flags that say what kind of finalizer an object has and whether it
/// ran: read by the finalizer ordering to decide *which* finalizer runs
/// and whether its object's weak references stay, never what is freed.
pub(crate) const INFO_BITS: u64 = HAS_FINALIZER | FIN_RESURRECT | FIN_HOOK | FINALIZED;

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

/// The header bits that decide what the words after word 0 mean: written
/// only in this module (see the module docs), never by a flag update.
const LAYOUT_BITS: u64 = HAS_CARDS | FORWARDED | FREE_BLOCK;

/// The capability to read a heap's objects: [`ObjRef`]s and [`Block`]s
/// borrow it, and every operation that frees, reuses or moves object memory
/// takes it `&mut`. One per heap, kept in its `Space` with the memory it
/// guards. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Access(());

impl Access {
    /// The token of a new heap.
    ///
    /// # Safety
    ///
    /// The memory of every object opened or created through this token is
    /// freed, reused or moved only by functions that take the token `&mut`,
    /// or after the token is gone.
    pub(crate) unsafe fn new() -> Self {
        Access(())
    }
}

/// An object's address as the collector stores it (slots, roots, work
/// lists): it reads nothing until opened. Made only from an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub(crate) struct ObjPtr(NonNull<u64>);

impl ObjPtr {
    /// The address, for identity tests and the consistency check's sets.
    #[inline]
    pub(crate) fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }

    /// The header pointer (for freeing a large object).
    pub(crate) fn as_ptr(self) -> NonNull<u64> {
        self.0
    }

    /// The address as the scopes' local stack keeps it.
    #[inline]
    pub(crate) fn to_local(self) -> NonNull<u8> {
        self.0.cast()
    }

    /// An address the local stack kept, back.
    ///
    /// # Safety
    ///
    /// `local` came from [`ObjPtr::to_local`] (the local stack hands back
    /// only what the heap pushed and forwarded).
    #[inline]
    pub(crate) unsafe fn from_local(local: NonNull<u8>) -> Self {
        ObjPtr(local.cast())
    }

    /// The live object this points to, readable while `access` is borrowed.
    ///
    /// # Safety
    ///
    /// `self` is a live object of the heap `access` guards (the module
    /// docs' invariant: true of every root, work-list entry, weak target
    /// and slot of a live object).
    #[inline(always)]
    pub(crate) unsafe fn open<'h>(self, access: &'h Access) -> ObjRef<'h> {
        let _ = access;
        ObjRef(Block {
            ptr: self.0,
            _memory: PhantomData,
        })
    }

    /// The object's header, readable while `access` is borrowed, whether
    /// or not the object is still alive.
    ///
    /// # Safety
    ///
    /// `self` is an object of the heap `access` guards, not freed yet.
    #[inline]
    pub(crate) unsafe fn open_block<'h>(self, access: &'h Access) -> Block<'h> {
        let _ = access;
        Block {
            ptr: self.0,
            _memory: PhantomData,
        }
    }
}

/// An allocated object, maybe dead: its header and lengths can be read (and
/// its flags updated), not its slots. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block<'h> {
    ptr: NonNull<u64>,
    _memory: PhantomData<&'h Access>,
}

impl<'h> Block<'h> {
    /// Wraps a header pointer.
    ///
    /// # Safety
    ///
    /// `ptr` is the first header word of an object laid out as in the
    /// module docs, fully initialised, 8-aligned, with provenance over the
    /// whole object (and its card bytes), whose memory `access` guards.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<u64>, access: &'h Access) -> Self {
        let _ = access;
        Block {
            ptr,
            _memory: PhantomData,
        }
    }

    /// The address as stored.
    #[inline(always)]
    pub(crate) fn ptr(self) -> ObjPtr {
        ObjPtr(self.ptr)
    }

    /// The address.
    #[inline]
    pub(crate) fn addr(self) -> usize {
        self.ptr.as_ptr() as usize
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
            _mm_prefetch::<_MM_HINT_T0>(self.ptr.as_ptr().cast::<i8>());
        }
    }

    /// Word 0.
    #[inline(always)]
    pub(crate) fn tid(self) -> u64 {
        // SAFETY: a `Block<'h>` is allocated and initialised for `'h`.
        unsafe { self.ptr.as_ptr().read() }
    }

    /// Overwrites word 0's flags, kind and id; the layout bits
    /// (`FORWARDED`, `HAS_CARDS`, `FREE_BLOCK`) keep their value.
    ///
    /// # Safety
    ///
    /// The flags that decide what survives and what the next collection
    /// looks at ([`OLD`], [`VISITED`], [`TRACK_YOUNG_PTRS`], [`CARDS_SET`],
    /// [`MORE_PENDING`], [`FINALIZATION_ORDERING`]) change only as the
    /// collector's invariants say: `OLD` only on an object outside the
    /// nursery; `TRACK_YOUNG_PTRS` cleared (or `CARDS_SET` set) only as the
    /// object enters the remembered set (or the cards list), and set only
    /// once it is traced; `VISITED` only by the marking or the sweep;
    /// `MORE_PENDING` only as the object goes on a grey stack; the
    /// ordering bit only during the finalizer ordering. Other bits are
    /// free ([`add_info`](Self::add_info) is the safe way).
    #[inline(always)]
    pub(crate) unsafe fn set_tid(self, tid: u64) {
        let kept = self.tid() & LAYOUT_BITS;
        // SAFETY: as in `tid`; only this module writes the layout bits.
        unsafe { self.ptr.as_ptr().write((tid & !LAYOUT_BITS) | kept) }
    }

    /// Tests header flags.
    #[inline(always)]
    pub(crate) fn has(self, flags: u64) -> bool {
        self.tid() & flags != 0
    }

    /// Sets header flags (not the layout bits).
    ///
    /// # Safety
    ///
    /// As for [`set_tid`](Self::set_tid).
    #[inline]
    pub(crate) unsafe fn add(self, flags: u64) {
        // SAFETY: the caller's guarantee.
        unsafe { self.set_tid(self.tid() | flags) };
    }

    /// Clears header flags (not the layout bits).
    ///
    /// # Safety
    ///
    /// As for [`set_tid`](Self::set_tid).
    #[inline]
    pub(crate) unsafe fn remove(self, flags: u64) {
        // SAFETY: the caller's guarantee.
        unsafe { self.set_tid(self.tid() & !flags) };
    }

    /// Sets informational flags ([`INFO_BITS`]: what kind of finalizer,
    /// whether it ran), which no collection relies on for memory safety.
    ///
    /// # Panics
    ///
    /// When `flags` has another bit.
    #[inline]
    pub(crate) fn add_info(self, flags: u64) {
        assert_eq!(flags & !INFO_BITS, 0, "not an informational flag");
        // SAFETY: only informational bits change.
        unsafe { self.add(flags) };
    }

    /// Clears informational flags ([`INFO_BITS`]).
    ///
    /// # Panics
    ///
    /// When `flags` has another bit.
    #[inline]
    pub(crate) fn remove_info(self, flags: u64) {
        assert_eq!(flags & !INFO_BITS, 0, "not an informational flag");
        // SAFETY: only informational bits change.
        unsafe { self.remove(flags) };
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

    /// Word 1; a forwarded nursery object answers with its copy's (the
    /// same lengths), so a stub still describes its own memory.
    #[inline(always)]
    fn lengths(self) -> u64 {
        let at = match self.forwarded() {
            Some(copy) => copy.ptr,
            None => self.ptr,
        };
        // SAFETY: word 1 of an allocated object that is not forwarded holds
        // its lengths; a copy is never forwarded.
        unsafe { at.as_ptr().add(1).read() }
    }

    /// The copy of a forwarded nursery object.
    #[inline(always)]
    pub(crate) fn forwarded(self) -> Option<ObjRef<'h>> {
        if self.tid() & FORWARDED == 0 {
            return None;
        }
        // SAFETY: FORWARDED is set only by `move_object`, after it wrote
        // the live copy's address into word 1 (keeping its provenance).
        let copy = unsafe { self.ptr.as_ptr().add(1).cast::<NonNull<u64>>().read() };
        Some(ObjRef(Block {
            ptr: copy,
            _memory: PhantomData,
        }))
    }

    /// Number of slots.
    #[inline(always)]
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

    /// Card words in front of the header (0 without `HAS_CARDS`).
    pub(crate) fn card_words(self) -> usize {
        if self.has(HAS_CARDS) {
            card_words(self.slot_count())
        } else {
            0
        }
    }

    /// The object is live: its slots may be followed.
    ///
    /// # Safety
    ///
    /// The object is not an unmarked one waiting for the sweeper (nor
    /// otherwise unreachable with slots that may dangle).
    #[inline]
    pub(crate) unsafe fn assume_live(self) -> ObjRef<'h> {
        ObjRef(self)
    }
}

/// A live old object as a thread of the parallel marking sees it
/// (`mark.rs`): its header word is read and updated only atomically, its
/// lengths and slots only read. Several threads hold these at once, so it
/// is `Send` and `Sync`; it is made only by [`ObjPtr::open_shared`], whose
/// contract rules out every other access to the header while they do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SharedRef<'h> {
    ptr: NonNull<u64>,
    _memory: PhantomData<&'h Access>,
}

// SAFETY: a `SharedRef` reads its object's lengths and slots, which no
// thread writes while any `SharedRef` of the heap is in use, and touches
// its header only through an `AtomicU64` (the `open_shared` contract): no
// data race, whichever thread holds it.
unsafe impl Send for SharedRef<'_> {}
// SAFETY: as above: every access through a `&SharedRef` is a read of
// unchanging words or an atomic access to the header.
unsafe impl Sync for SharedRef<'_> {}

impl ObjPtr {
    /// The live old object this points to, for the parallel marking.
    ///
    /// # Safety
    ///
    /// `self` is a live old object of the heap `access` guards (so not
    /// forwarded, not in the nursery), and while this `SharedRef<'h>` (or
    /// any other of the heap) is in use, no thread writes the heap's
    /// objects' lengths or slots, nor reads or writes their header words
    /// other than through a `SharedRef` (atomically).
    #[inline(always)]
    pub(crate) unsafe fn open_shared<'h>(self, access: &'h Access) -> SharedRef<'h> {
        let _ = access;
        SharedRef {
            ptr: self.0,
            _memory: PhantomData,
        }
    }
}

impl<'h> SharedRef<'h> {
    /// The address as stored.
    #[inline(always)]
    pub(crate) fn ptr(self) -> ObjPtr {
        ObjPtr(self.ptr)
    }

    #[inline(always)]
    fn header(self) -> &'h AtomicU64 {
        // SAFETY: word 0 of a live object is 8-aligned (every object is,
        // and `AtomicU64` has `u64`'s alignment on the 64-bit targets this
        // crate supports: the header packs 48 id bits into a `u64` word
        // anyway) and valid for `'h`; while `SharedRef`s are in use every
        // access to it is atomic (the `open_shared` contract).
        unsafe { AtomicU64::from_ptr(self.ptr.as_ptr()) }
    }

    /// Word 0, read atomically.
    #[inline(always)]
    pub(crate) fn tid(self) -> u64 {
        self.header().load(Ordering::Relaxed)
    }

    /// Black already ([`VISITED`]).
    #[inline(always)]
    pub(crate) fn is_black(self) -> bool {
        self.tid() & VISITED != 0
    }

    /// Blackens the object as the sequential visit does (`VISITED` and
    /// [`TRACK_YOUNG_PTRS`] set, [`MORE_PENDING`] cleared); true when it
    /// found the object not black.
    ///
    /// With `EXACT`, in one compare-and-swap, so that exactly one call
    /// answers true for an object. Without, with an atomic load and an
    /// atomic store (no locked instruction; one costs about as much as the
    /// rest of a visit): two threads visiting the same object at once
    /// may both find it white, and both store the same word (only the
    /// marking writes headers during a parallel step, and every marker
    /// writes the same bits from the same word). The set of objects
    /// blackened is the same either way; only a count of the calls that
    /// answered true needs `EXACT`.
    ///
    /// # Safety
    ///
    /// As for [`Block::set_tid`]: only the marking blackens, a grey object
    /// (reachable, so live).
    #[inline(always)]
    pub(crate) unsafe fn blacken<const EXACT: bool>(self) -> bool {
        let header = self.header();
        let mut tid = header.load(Ordering::Relaxed);
        loop {
            if tid & VISITED != 0 {
                return false;
            }
            // The layout bits are left as they are (only this module
            // writes them, never during marking).
            let black = (tid | VISITED | TRACK_YOUNG_PTRS) & !MORE_PENDING;
            if !EXACT {
                header.store(black, Ordering::Relaxed);
                return true;
            }
            match header.compare_exchange_weak(tid, black, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => tid = now,
            }
        }
    }

    /// Word 1: an old object is never forwarded, so it holds the lengths.
    #[inline(always)]
    fn lengths(self) -> u64 {
        // SAFETY: word 1 of a live object, not written while `SharedRef`s
        // are in use (the `open_shared` contract).
        unsafe { self.ptr.as_ptr().add(1).read() }
    }

    /// Number of slots.
    #[inline(always)]
    pub(crate) fn slot_count(self) -> usize {
        (self.lengths() & 0xffff_ffff) as usize
    }

    /// Total bytes (without card bytes), as [`Block::size_bytes`].
    #[inline(always)]
    pub(crate) fn size_bytes(self) -> usize {
        let l = self.lengths();
        object_bytes((l & 0xffff_ffff) as usize, (l >> 32) as usize)
    }

    /// The objects its slots refer to (nil slots skipped).
    #[inline(always)]
    pub(crate) fn children(self) -> impl Iterator<Item = SharedRef<'h>> {
        let len = self.slot_count();
        // SAFETY: the `len` slots follow the header inside the live object,
        // initialised; while `SharedRef`s are in use no thread writes them
        // (the `open_shared` contract), so several threads may read them
        // at once (through `Cell::get`: plain reads, no write anywhere).
        let slots: &'h [Slot] = unsafe {
            std::slice::from_raw_parts(self.ptr.as_ptr().add(HEADER_WORDS).cast::<Slot>(), len)
        };
        // A slot of a live object is nil or a live object of the same heap
        // (the module docs' invariant), old since the nursery is empty
        // during marking: what `open_shared` asks of the pointer.
        slots.iter().filter_map(Slot::ptr).map(|p| SharedRef {
            ptr: p.0,
            _memory: PhantomData,
        })
    }
}

/// A live object, readable and writable while `'h` lasts. See the [module
/// docs](self) for why that is sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct ObjRef<'h>(Block<'h>);

impl<'h> Deref for ObjRef<'h> {
    type Target = Block<'h>;

    #[inline(always)]
    fn deref(&self) -> &Block<'h> {
        &self.0
    }
}

/// One slot of a live object: nil or a live object.
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct Slot(Cell<Option<ObjPtr>>);

impl Slot {
    /// What the slot holds, live for as long as the slot is borrowed.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<ObjRef<'_>> {
        // SAFETY: a `&Slot` is only handed out by `ObjRef::slots`, for a
        // live object, whose slots lead to live objects (module docs).
        self.0.get().map(|p| {
            ObjRef(Block {
                ptr: p.0,
                _memory: PhantomData,
            })
        })
    }

    /// The stored address, unopened (for the consistency check).
    #[inline(always)]
    pub(crate) fn ptr(&self) -> Option<ObjPtr> {
        self.0.get()
    }

    /// The stored address as an integer: 0 for nil (for address-range
    /// tests, which then need no separate nil test).
    #[inline(always)]
    pub(crate) fn addr(&self) -> usize {
        self.0.get().map_or(0, ObjPtr::addr)
    }

    /// Writes the slot *without* a barrier.
    ///
    /// # Safety
    ///
    /// `value` is nil or a live object of the heap this slot's object
    /// belongs to, and the write keeps the write barrier's invariant: the
    /// barrier ran for this slot first (mutator writes), or the caller is
    /// the minor collection forwarding the slot to a copy it traces.
    #[inline(always)]
    pub(crate) unsafe fn set(&self, value: Option<ObjRef<'_>>) {
        self.0.set(value.map(|o| o.ptr()));
    }
}

impl<'h> ObjRef<'h> {
    /// The slots.
    #[inline(always)]
    pub(crate) fn slots(self) -> &'h [Slot] {
        let len = self.slot_count();
        // SAFETY: the `len` slots follow the header inside the live object,
        // always initialised (nil at allocation, then only written through
        // `Slot`, a `Cell`, so shared access is fine); valid for `'h`.
        unsafe {
            std::slice::from_raw_parts(self.ptr.as_ptr().add(HEADER_WORDS).cast::<Slot>(), len)
        }
    }

    /// [`slots`](Self::slots) of an object that is not a forwarded stub,
    /// without the test for one (the mutator's reads through views).
    ///
    /// # Safety
    ///
    /// No minor collection is under way: only one makes forwarded stubs,
    /// and it resets the nursery before it returns (it refuses before
    /// moving anything when memory is refused, and panics in between only
    /// on a broken internal invariant).
    #[inline(always)]
    pub(crate) unsafe fn slots_unforwarded(self) -> &'h [Slot] {
        // SAFETY: not a stub (the caller's guarantee), so word 1 of the
        // live object holds its lengths; then as in `slots`.
        unsafe {
            let len = (self.ptr.as_ptr().add(1).read() & 0xffff_ffff) as usize;
            std::slice::from_raw_parts(self.ptr.as_ptr().add(HEADER_WORDS).cast::<Slot>(), len)
        }
    }

    /// The payload bytes.
    pub(crate) fn payload(self) -> &'h [u8] {
        // SAFETY: the payload follows the slots inside the object (maybe
        // zero bytes: one past them). Only `payload_mut` writes it, whose
        // contract excludes this borrow.
        unsafe {
            std::slice::from_raw_parts(
                self.ptr
                    .as_ptr()
                    .add(HEADER_WORDS + self.slot_count())
                    .cast(),
                self.payload_len(),
            )
        }
    }

    /// The payload bytes, writable.
    ///
    /// # Safety
    ///
    /// No other reference to this object's payload exists during `'h`.
    #[allow(clippy::mut_from_ref)] // the contract above makes it unique
    pub(crate) unsafe fn payload_mut(self) -> &'h mut [u8] {
        // SAFETY: as in `payload`; the caller guarantees uniqueness.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.ptr
                    .as_ptr()
                    .add(HEADER_WORDS + self.slot_count())
                    .cast(),
                self.payload_len(),
            )
        }
    }

    /// The card bytes in front of a `HAS_CARDS` object (empty without).
    pub(crate) fn cards(self) -> &'h [Cell<u8>] {
        let words = self.card_words();
        // SAFETY: a HAS_CARDS object was allocated with `words` card words
        // in front of its header, inside the same allocation, initialised
        // (zeroed) and only written through these cells.
        unsafe {
            std::slice::from_raw_parts(
                self.ptr.as_ptr().sub(words).cast::<Cell<u8>>(),
                words * WORD,
            )
        }
    }

    /// Sets the card of slot `index`; true when it was clear (PyPy:
    /// `bitindex = index >> 7`, one bit per card). False without a card.
    #[inline]
    pub(crate) fn mark_card(self, index: usize) -> bool {
        let card = index / CARD_SLOTS;
        let mask = 1u8 << (card % CARDS_PER_BYTE);
        match self.cards().get(card / CARDS_PER_BYTE) {
            Some(byte) => {
                let old = byte.get();
                byte.set(old | mask);
                old & mask == 0
            }
            None => false,
        }
    }

    /// Whether the card of slot `index` is set (for the consistency check).
    pub(crate) fn card_is_set(self, index: usize) -> bool {
        let card = index / CARD_SLOTS;
        self.cards()
            .get(card / CARDS_PER_BYTE)
            .is_some_and(|b| b.get() & (1u8 << (card % CARDS_PER_BYTE)) != 0)
    }
}

/// Writes a fresh object's header and nil slots and zero payload at `ptr`.
///
/// # Safety
///
/// `slots` and `payload` are under 2^32 (the lengths word holds each in
/// 32 bits; `Shape::check`'s limits are far below); `ptr` is 8-aligned
/// and valid for writes of `object_bytes(slots, payload)` bytes; with `HAS_CARDS` in `tid`, the `card_words(slots)`
/// words in front of it belong to the same allocation and are zeroed. The
/// memory is the heap's: freed only as the [`Access`] contract says.
pub(crate) unsafe fn init_object(
    ptr: NonNull<u64>,
    tid: u64,
    slots: usize,
    payload: usize,
) -> ObjPtr {
    let words = object_bytes(slots, payload) / WORD;
    let p = ptr.as_ptr();
    // SAFETY: the caller guarantees `words` writable words at `p`.
    unsafe {
        p.write(tid & !(FORWARDED | FREE_BLOCK));
        p.add(1).write(make_lengths(slots, payload));
        // Nil slots: an all-zero `Option<NonNull>` is `None`.
        let slot_ptr = p.add(HEADER_WORDS).cast::<Option<ObjPtr>>();
        for i in 0..slots {
            slot_ptr.add(i).write(None);
        }
        std::ptr::write_bytes(p.add(HEADER_WORDS + slots), 0, words - HEADER_WORDS - slots);
    }
    ObjPtr(ptr)
}

/// A nursery object as a minor collection finds it, told by one read of
/// its header word: copied out already, or not yet.
#[derive(Debug)]
pub(crate) enum Found<'h> {
    /// Forwarded: the live copy.
    Moved(ObjRef<'h>),
    /// Not forwarded: the object with its header word and lengths, as
    /// [`move_object`] copies it.
    Unmoved(Unmoved<'h>),
}

/// A nursery object not forwarded when its header was read
/// ([`ObjRef::find`]), with the two header words read then.
#[derive(Debug)]
pub(crate) struct Unmoved<'h> {
    obj: ObjRef<'h>,
    tid: u64,
    lengths: u64,
}

impl Unmoved<'_> {
    /// Number of slots.
    #[inline(always)]
    pub(crate) fn slot_count(&self) -> usize {
        (self.lengths & 0xffff_ffff) as usize
    }

    /// Payload bytes.
    #[inline(always)]
    pub(crate) fn payload_len(&self) -> usize {
        (self.lengths >> 32) as usize
    }

    /// Total bytes (a nursery object has no cards).
    #[inline(always)]
    pub(crate) fn size_bytes(&self) -> usize {
        object_bytes(self.slot_count(), self.payload_len())
    }
}

impl<'h> ObjRef<'h> {
    /// Its copy when forwarded, else the object with its header words
    /// (what [`forwarded`](Block::forwarded) and the lengths tell, with
    /// one test of [`FORWARDED`]).
    #[inline(always)]
    pub(crate) fn find(self) -> Found<'h> {
        let tid = self.tid();
        let word1 = self.ptr.as_ptr().wrapping_add(1);
        if tid & FORWARDED != 0 {
            // SAFETY: FORWARDED is set only by `move_object`, after it
            // wrote the live copy's address into word 1 (keeping its
            // provenance).
            let copy = unsafe { word1.cast::<NonNull<u64>>().read() };
            return Found::Moved(ObjRef(Block {
                ptr: copy,
                _memory: PhantomData,
            }));
        }
        Found::Unmoved(Unmoved {
            obj: self,
            tid,
            // SAFETY: word 1 of an allocated object that is not forwarded
            // holds its lengths.
            lengths: unsafe { word1.read() },
        })
    }
}

/// Copies the nursery object `from` to `to`, adds `flags` to the copy's
/// header and turns `from` into a forwarding stub to the copy
/// (`FORWARDED`, the copy's address in word 1). Returns the copy.
///
/// # Safety
///
/// `from` is a nursery object (no cards), not moved since it was found
/// unmoved (its header words are still those `from` holds), of `bytes`
/// bytes (`from.size_bytes()`, which the caller computed anyway); `to` is
/// 8-aligned, valid for writes of `bytes` bytes, does not overlap `from`,
/// and is the heap's memory (freed only as the [`Access`] contract says).
#[inline(always)]
pub(crate) unsafe fn move_object<'h>(
    from: Unmoved<'h>,
    bytes: usize,
    to: NonNull<u64>,
    flags: u64,
) -> ObjRef<'h> {
    let tid = from.tid;
    debug_assert_eq!(tid & LAYOUT_BITS, 0);
    debug_assert_eq!(from.obj.tid(), tid, "moved since it was found");
    debug_assert_eq!(bytes, from.size_bytes());
    let words = bytes / WORD;
    let src = from.obj.ptr.as_ptr();
    // SAFETY: `from` is live for `words` words; the caller guarantees `to`.
    // Copying words keeps the slots' provenance. Word 1 of the stub then
    // holds the copy (with its provenance), and FORWARDED says so.
    unsafe {
        copy_words(src, to.as_ptr(), words);
        to.as_ptr().write((tid | flags) & !LAYOUT_BITS);
        src.add(1).cast::<NonNull<u64>>().write(to);
        src.write(tid | FORWARDED);
    }
    ObjRef(Block {
        ptr: to,
        _memory: PhantomData,
    })
}

/// `copy_nonoverlapping` of `words` words, with the common small sizes
/// done as word moves rather than a call to `memcpy` (a minor collection
/// copies tens of thousands of objects of a few words; a `match` of
/// fixed-size `copy_nonoverlapping`s is merged back into one call).
///
/// # Safety
///
/// As for `copy_nonoverlapping::<u64>(src, dst, words)`.
#[inline(always)]
unsafe fn copy_words(src: *const u64, dst: *mut u64, words: usize) {
    // Moved as `MaybeUninit` words, which keep the slots' provenance
    // (as `copy_nonoverlapping` does; a `u64` read would drop it).
    let (src, dst) = (
        src.cast::<MaybeUninit<u64>>(),
        dst.cast::<MaybeUninit<u64>>(),
    );
    macro_rules! moves {
        ($($i:literal)*) => {
            // SAFETY: the caller's guarantee: `src` readable and `dst`
            // writable for `words` words, each index below `words`.
            unsafe { $(dst.add($i).write(src.add($i).read());)* }
        };
    }
    match words {
        2 => moves!(0 1),
        3 => moves!(0 1 2),
        4 => moves!(0 1 2 3),
        5 => moves!(0 1 2 3 4),
        6 => moves!(0 1 2 3 4 5),
        7 => moves!(0 1 2 3 4 5 6),
        8 => moves!(0 1 2 3 4 5 6 7),
        // SAFETY: the caller's guarantee.
        _ => unsafe { std::ptr::copy_nonoverlapping(src, dst, words) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_roundtrip() {
        // SAFETY: the token guards only the two buffers below, which
        // outlive every use of it.
        let access = unsafe { Access::new() };
        let mut mem = vec![0u64; 16];
        let ptr = NonNull::new(mem.as_mut_ptr()).unwrap();
        // SAFETY: 16 words are enough for 3 slots and 20 payload bytes.
        let o = unsafe { init_object(ptr, make_tid(Kind::Tuple, 12345, 0), 3, 20) };
        // SAFETY: just initialised.
        let o = unsafe { o.open(&access) };
        assert_eq!(o.kind(), Kind::Tuple);
        assert_eq!(o.id(), ObjectId(12345));
        assert_eq!(o.slot_count(), 3);
        assert_eq!(o.payload_len(), 20);
        assert_eq!(o.size_bytes(), (2 + 3) * 8 + 24);
        assert!(!o.has(OLD) && !o.has(VISITED));
        // SAFETY: a lone object of no heap: no collection reads its flags.
        unsafe { o.add(VISITED | FORWARDED | HAS_CARDS) };
        assert!(o.has(VISITED), "flags are set");
        assert!(!o.has(FORWARDED | HAS_CARDS), "layout bits are not");
        // SAFETY: as above.
        unsafe { o.remove(VISITED) };
        o.add_info(FINALIZED);
        assert!(o.has(FINALIZED));
        o.remove_info(FINALIZED);
        let refused = std::panic::catch_unwind(|| o.add_info(OLD));
        assert!(
            refused.is_err() && !o.has(OLD),
            "OLD is no informational flag"
        );
        assert!(o.slots().get(3).is_none(), "slot access is checked");
        assert!(o.cards().is_empty() && !o.mark_card(0) && !o.card_is_set(0));
        assert_eq!(o.slots()[2].get(), None);
        // SAFETY: `o` itself, live; no barrier in a heap without collections.
        unsafe { o.slots()[1].set(Some(o)) };
        assert_eq!(o.slots()[1].get(), Some(o));
        let mut copy_mem = vec![0u64; 16];
        let to = NonNull::new(copy_mem.as_mut_ptr()).unwrap();
        let Found::Unmoved(unmoved) = o.find() else {
            panic!("a fresh object is not forwarded");
        };
        let bytes = unmoved.size_bytes();
        // SAFETY: distinct buffer with room for the object; no cards.
        let c = unsafe { move_object(unmoved, bytes, to, OLD) };
        assert!(matches!(o.find(), Found::Moved(m) if m == c));
        assert_eq!(c.id(), ObjectId(12345));
        assert!(c.has(OLD) && !c.has(FORWARDED));
        assert_eq!(c.slots()[1].get(), Some(o));
        assert!(o.has(FORWARDED));
        assert_eq!(o.forwarded(), Some(c));
        assert_eq!(c.forwarded(), None);
        assert_eq!(o.slot_count(), 3, "a stub still knows its lengths");
        assert_eq!(card_words(100_000), 13);
        assert_eq!(card_words(1), 1);
    }
}
