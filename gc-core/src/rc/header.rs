//! The per-object header of a reference-counted heap.

use std::num::NonZeroU32;

use super::SlotRange;

/// A reference from one object to another inside an [`RcHeap`](super::RcHeap):
/// the object's index in the header table, plus one (so `Option<ObjRef>` is
/// four bytes and nil is zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef(NonZeroU32);

impl ObjRef {
    /// The reference to header `index`, if it fits in 32 bits.
    #[inline]
    pub fn from_index(index: usize) -> Option<Self> {
        u32::try_from(index + 1)
            .ok()
            .and_then(NonZeroU32::new)
            .map(ObjRef)
    }

    /// Its raw value (the index plus one), which a counted local holds.
    #[inline]
    pub(crate) fn raw(self) -> u32 {
        self.0.get()
    }

    /// The reference whose [`ObjRef::raw`] value is `raw`.
    #[inline]
    pub(crate) fn from_raw(raw: u32) -> Option<Self> {
        NonZeroU32::new(raw).map(ObjRef)
    }

    /// The header index.
    #[inline]
    pub fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

/// A reference slot: nil or an object.
pub type Slot = Option<ObjRef>;

/// Header flag bits. Bits 16 and up belong to the strategy
/// ([`STRATEGY_SHIFT`](flags::STRATEGY_SHIFT)).
pub mod flags {
    /// The two low bits: what the entry is.
    pub const KIND_MASK: u32 = 0b11;
    /// A node.
    pub const NODE: u32 = 0;
    /// A tuple.
    pub const TUPLE: u32 = 1;
    /// An atom.
    pub const ATOM: u32 = 2;
    /// A weak-reference object (not a gctrace object; no traced slots).
    pub const WEAKREF: u32 = 3;
    /// The entry is on the free list.
    pub const FREE: u32 = 1 << 2;
    /// A finalizer is attached.
    pub const HAS_FINALIZER: u32 = 1 << 3;
    /// The finalizer appends the object to the saved list.
    pub const RESURRECT: u32 = 1 << 4;
    /// The finalizer has run (PEP 442: never again).
    pub const FINALIZED: u32 = 1 << 5;
    /// Weak references point here (see the heap's weak registry).
    pub const HAS_WEAKREFS: u32 = 1 << 6;
    /// PEP 683: the count never changes; never freed, never collected.
    pub const IMMORTAL: u32 = 1 << 7;
    /// On a weak-reference object: it has a callback.
    pub const WEAK_CALLBACK: u32 = 1 << 8;
    /// The payload is not empty (its cold payload entry must be
    /// cleared when the object is freed).
    pub const HAS_PAYLOAD: u32 = 1 << 9;
    /// The finalizer calls the embedder's hook (`Finalizer::Run`).
    pub const RUN_HOOK: u32 = 1 << 10;
    /// The slots are dropped, cleared and traversed last first: every
    /// tuple's, and a node's set [`SlotOrder::LastToFirst`](crate::SlotOrder).
    pub const LAST_FIRST: u32 = 1 << 11;
    /// The first bit a strategy may use for its own flags.
    pub const STRATEGY_SHIFT: u32 = 16;
}

/// One object's hot words: its count, flags, the strategy's own words and
/// where its slots are. A collection reads nothing else; the object's
/// identity and payload are in the cold tables ([`COLD_BYTES`]).
///
/// Invariant: `rc` equals the number of root handles, slots of live objects,
/// saved- and garbage-list entries that refer to this object (for a weak
/// reference object: the weak handles), unless `IMMORTAL` is set.
#[derive(Clone, Copy, Debug, Default)]
pub struct Header<X> {
    /// The reference count.
    pub rc: u32,
    /// [`flags`] bits.
    pub flags: u32,
    /// The strategy's own header words (CPython: the generation links).
    pub extra: X,
    /// The reference slots, in the heap's [`SlotArena`](super::SlotArena)
    /// (empty for atoms and weak references).
    pub slots: SlotRange,
}

/// Bytes an object takes outside its header, in the heap's two cold
/// tables (what a collection never reads): its gctrace id (a
/// [`WeakId`](crate::WeakId) for a weak reference) and its payload box.
/// Two tables rather than one of pairs: every allocation writes an id and
/// seldom a payload, so the ids stay dense in the cache.
pub const COLD_BYTES: usize = std::mem::size_of::<u64>() + std::mem::size_of::<Box<[u8]>>();

impl<X> Header<X> {
    /// The `flags::KIND_MASK` bits.
    #[inline]
    pub fn kind_bits(&self) -> u32 {
        self.flags & flags::KIND_MASK
    }

    /// Are its slots dropped, cleared and traversed last first (a tuple,
    /// or a node set [`SlotOrder::LastToFirst`](crate::SlotOrder))?
    #[inline]
    pub fn last_first(&self) -> bool {
        // Every tuple has the flag from its making.
        self.flags & flags::LAST_FIRST != 0
    }

    /// Is any of `bits` set?
    #[inline]
    pub fn has(&self, bits: u32) -> bool {
        self.flags & bits != 0
    }

    /// The object kind (`None` for a weak-reference object).
    pub fn kind(&self) -> Option<crate::Kind> {
        match self.kind_bits() {
            flags::NODE => Some(crate::Kind::Node),
            flags::TUPLE => Some(crate::Kind::Tuple),
            flags::ATOM => Some(crate::Kind::Atom),
            _ => None,
        }
    }

    /// Is this a container CPython would make a GC object (node, tuple, or
    /// weak reference)?
    #[inline]
    pub fn is_gc_container(&self) -> bool {
        self.kind_bits() != flags::ATOM
    }
}
