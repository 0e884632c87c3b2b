//! Handles: what the mutator holds instead of addresses.
//!
//! A [`Handle`] is an index into a [`RootTable`] owned by the heap, paired
//! with a generation counter and the heap's id. The table's entries are the
//! precise root set: a moving collector rewrites them when it moves an
//! object, a reference counter counts each as one reference. Releasing a
//! handle bumps its entry's generation, so using it again is
//! [`GcError::StaleHandle`]; a handle of another heap is
//! [`GcError::ForeignHandle`]. Handles are `Copy`, and only a [`RootTable`]
//! makes one: their fields are private, and a strong handle cannot be made
//! from a weak one or the other way round (the table's handle type says
//! which it hands out). Every use is checked all the same.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::GcError;

static NEXT_HEAP_ID: AtomicU32 = AtomicU32::new(1);

/// Identifies one heap, so that handles of another heap are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HeapId(NonZeroU32);

impl HeapId {
    /// A process-unique id. Ids are never given twice: after 2^32 − 2
    /// heaps the next one is refused ([`GcError::TooMany`]), rather than
    /// letting a handle of a dead heap resolve in a new one.
    pub fn fresh() -> Result<Self, GcError> {
        next_unique(&NEXT_HEAP_ID, "heaps").map(HeapId)
    }
}

/// The next value of a process-wide `counter` of ids that must never
/// repeat (it starts at 1): [`GcError::TooMany`] about `what` once every
/// one has been given, and from then on.
pub(crate) fn next_unique(counter: &AtomicU32, what: &'static str) -> Result<NonZeroU32, GcError> {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or(GcError::TooMany {
            what,
            limit: u64::from(u32::MAX - 1),
        })
}

use sealed::RawHandle;

/// A strong reference held by the mutator: a root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(RawHandle);

/// A weak reference held by the mutator: it does not keep its referent alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeakHandle(RawHandle);

impl Handle {
    /// The heap this handle belongs to.
    pub fn heap(self) -> HeapId {
        self.0.heap
    }

    /// A handle to the local at `place` on the embedding layer's local
    /// stack of `heap`, pushed as `serial` (see `embed::state`): its index
    /// has [`LOCAL_BIT`] set, which no [`RootTable`] index has.
    #[inline]
    pub(crate) fn local(heap: HeapId, place: u32, serial: u32) -> Self {
        Handle(RawHandle::new(heap, place | LOCAL_BIT, serial))
    }

    /// The place and serial of a handle made by [`Handle::local`], or
    /// `None` for a root table's handle.
    #[inline]
    pub(crate) fn local_place(self) -> Option<(u32, u32)> {
        let index = self.0.index();
        (index & LOCAL_BIT != 0).then(|| (index & !LOCAL_BIT, self.0.generation()))
    }
}

/// The index bit that tells a local's handle (a place on the embedding
/// layer's local stack) from a root table's: a table never holds
/// `LOCAL_BIT` entries or more.
pub(crate) const LOCAL_BIT: u32 = 1 << 31;

impl WeakHandle {
    /// The heap this handle belongs to.
    pub fn heap(self) -> HeapId {
        self.0.heap
    }
}

mod sealed {
    /// The common form of strong and weak handles (unnameable outside
    /// this module's crate, so no other crate can make a handle).
    ///
    /// The index and the generation share one word, so that a handle is
    /// written and read as one word and one half-word everywhere (three
    /// separate halves were stored by the callee and loaded as a word by
    /// the caller, which stalls store-to-load forwarding on every handle
    /// an operation returns).
    #[derive(Clone, Copy, PartialEq, Eq, Hash)]
    pub struct RawHandle {
        /// The index in the low half, the generation in the high half.
        key: u64,
        pub(crate) heap: super::HeapId,
    }

    impl RawHandle {
        #[inline]
        pub(crate) fn new(heap: super::HeapId, index: u32, generation: u32) -> Self {
            RawHandle {
                key: u64::from(index) | (u64::from(generation) << 32),
                heap,
            }
        }

        /// The heap id and the key, as words (to store in atomics).
        #[inline]
        pub(crate) fn to_words(self) -> (u32, u64) {
            (self.heap.0.get(), self.key)
        }

        /// A handle's words back ([`RawHandle::to_words`]); `None` for a
        /// heap id of 0, which no heap has.
        #[inline]
        pub(crate) fn from_words(heap: u32, key: u64) -> Option<Self> {
            let heap = super::HeapId(std::num::NonZeroU32::new(heap)?);
            Some(RawHandle { key, heap })
        }

        #[inline]
        pub(crate) fn index(self) -> u32 {
            self.key as u32
        }

        #[inline]
        pub(crate) fn generation(self) -> u32 {
            (self.key >> 32) as u32
        }
    }

    impl std::fmt::Debug for RawHandle {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RawHandle")
                .field("heap", &self.heap)
                .field("index", &self.index())
                .field("generation", &self.generation())
                .finish()
        }
    }

    pub trait Sealed: Copy {
        fn from_raw(raw: RawHandle) -> Self;
        fn raw(self) -> RawHandle;
    }
}

/// The handle types a [`RootTable`] hands out: [`Handle`] and
/// [`WeakHandle`]. Sealed: no other crate can make one.
pub trait HandleType: sealed::Sealed {}

/// A handle as two words, and back: what the embedding layer's release
/// queue stores in atomics (crate-internal).
pub(crate) fn to_words<H: HandleType>(h: H) -> (u32, u64) {
    h.raw().to_words()
}

/// The handle whose words are `(heap, key)` ([`to_words`]): only ever
/// words `to_words` gave, so the handle is one a table made.
pub(crate) fn from_words<H: HandleType>(heap: u32, key: u64) -> Option<H> {
    RawHandle::from_words(heap, key).map(H::from_raw)
}

impl sealed::Sealed for Handle {
    fn from_raw(raw: RawHandle) -> Self {
        Handle(raw)
    }
    fn raw(self) -> RawHandle {
        self.0
    }
}
impl HandleType for Handle {}

impl sealed::Sealed for WeakHandle {
    fn from_raw(raw: RawHandle) -> Self {
        WeakHandle(raw)
    }
    fn raw(self) -> RawHandle {
        self.0
    }
}
impl HandleType for WeakHandle {}

#[derive(Debug, Clone)]
struct RootEntry<R> {
    generation: u32,
    target: Option<R>,
}

/// A table of roots with generation-checked handles of type `H` ([`Handle`]
/// unless said otherwise). Insert, lookup and release are O(1) and allocate
/// only when the table grows.
#[derive(Debug, Clone)]
pub struct RootTable<R, H: HandleType = Handle> {
    heap: HeapId,
    entries: Vec<RootEntry<R>>,
    free: Vec<u32>,
    /// Entries whose generation is spent (removed `u32::MAX` times): never
    /// reused, so that no stale handle ever resolves again.
    retired: usize,
    _handles: std::marker::PhantomData<H>,
}

impl<R: Copy, H: HandleType> RootTable<R, H> {
    /// An empty table for the heap `heap`.
    pub fn new(heap: HeapId) -> Self {
        RootTable {
            heap,
            entries: Vec::new(),
            free: Vec::new(),
            retired: 0,
            _handles: std::marker::PhantomData,
        }
    }

    /// The heap this table belongs to.
    pub fn heap(&self) -> HeapId {
        self.heap
    }

    /// Makes room for `additional` more roots: that many inserts (and the
    /// removals of every root) then allocate nothing. Memory the system
    /// refuses is [`GcError::OutOfMemory`], and the table is unchanged.
    #[inline(always)]
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), GcError> {
        // Free entries, and new ones both vectors have room for (the free
        // list must be able to hold every entry).
        let spare = (self.entries.capacity() - self.entries.len())
            .min(self.free.capacity().saturating_sub(self.entries.len()));
        if additional <= self.free.len() + spare {
            return Ok(());
        }
        self.grow(additional - self.free.len())
    }

    #[cold]
    fn grow(&mut self, new_entries: usize) -> Result<(), GcError> {
        // Indices stay below `LOCAL_BIT`, which marks a local's handle.
        if self.entries.len() + new_entries > LOCAL_BIT as usize {
            return Err(GcError::TooMany {
                what: "handles",
                limit: u64::from(LOCAL_BIT),
            });
        }
        let refused = |_| crate::config::refused();
        self.entries.try_reserve(new_entries).map_err(refused)?;
        // The free list can hold every entry the vector has room for, so
        // that `remove` never allocates.
        self.free
            .try_reserve(self.entries.capacity() - self.free.len())
            .map_err(refused)?;
        Ok(())
    }

    /// Adds a root and returns its handle; [`GcError::OutOfMemory`] when
    /// the table must grow and the system refuses the memory.
    #[inline(always)]
    pub fn try_insert(&mut self, target: R) -> Result<H, GcError> {
        self.try_reserve(1)?;
        Ok(self.insert(target))
    }

    /// Adds a root and returns its handle. It allocates only when the table
    /// grows (never after [`RootTable::try_reserve`] made room), and aborts
    /// if the system refuses that memory: a heap that must not abort calls
    /// [`RootTable::try_insert`], or reserves first.
    #[inline]
    pub fn insert(&mut self, target: R) -> H {
        let index = match self.free.pop() {
            Some(i) => {
                self.entries[i as usize].target = Some(target);
                i
            }
            None => {
                // Below `LOCAL_BIT` after `try_reserve` (an unreserved
                // insert past it names no local: only a heap that reserves
                // reads the bit).
                let i = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
                self.entries.push(RootEntry {
                    generation: 0,
                    target: Some(target),
                });
                // Allocates only on an insert that was not reserved.
                self.free.reserve(self.entries.len() - self.free.len());
                i
            }
        };
        H::from_raw(RawHandle::new(
            self.heap,
            index,
            self.entries[index as usize].generation,
        ))
    }

    #[inline]
    fn entry(&self, h: RawHandle) -> Result<&RootEntry<R>, GcError> {
        if h.heap != self.heap {
            return Err(GcError::ForeignHandle);
        }
        match self.entries.get(h.index() as usize) {
            Some(e) if e.generation == h.generation() && e.target.is_some() => Ok(e),
            _ => Err(GcError::StaleHandle),
        }
    }

    /// The root's target.
    #[inline]
    pub fn get(&self, h: H) -> Result<R, GcError> {
        self.entry(h.raw())
            .map(|e| e.target.expect("checked by entry"))
    }

    /// Removes the root and returns its target; the handle becomes stale
    /// for good (an entry is reused with the next generation, and retired
    /// when its generations are spent, rather than wrap). Never allocates.
    #[inline]
    pub fn remove(&mut self, h: H) -> Result<R, GcError> {
        let h = h.raw();
        self.entry(h)?;
        let e = &mut self.entries[h.index() as usize];
        let target = e.target.take().expect("checked by entry");
        match e.generation.checked_add(1) {
            Some(next) => {
                e.generation = next;
                self.free.push(h.index());
            }
            None => self.retired += 1,
        }
        Ok(target)
    }

    /// Number of live roots.
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len() - self.retired
    }

    /// True when no root is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live roots' targets.
    pub fn iter(&self) -> impl Iterator<Item = R> + '_ {
        self.entries.iter().filter_map(|e| e.target)
    }

    /// The live roots' targets, to rewrite (a moving collector forwarding
    /// them).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut R> + '_ {
        self.entries.iter_mut().filter_map(|e| e.target.as_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_ids_are_refused_rather_than_given_twice() {
        let counter = AtomicU32::new(u32::MAX - 2);
        let got: Vec<_> = (0..4).map(|_| next_unique(&counter, "heaps")).collect();
        assert_eq!(got[0].clone().map(NonZeroU32::get), Ok(u32::MAX - 2));
        assert_eq!(got[1].clone().map(NonZeroU32::get), Ok(u32::MAX - 1));
        let refused = GcError::TooMany {
            what: "heaps",
            limit: u64::from(u32::MAX - 1),
        };
        assert_eq!(got[2], Err(refused.clone()));
        assert_eq!(got[3], Err(refused.clone()));
        assert_eq!(refused.to_string(), "too many heaps: at most 4294967294");
        // From the start, the first id is 1 (0 is never an id).
        let counter = AtomicU32::new(1);
        assert_eq!(next_unique(&counter, "heaps").map(NonZeroU32::get), Ok(1));
    }

    #[test]
    fn an_entry_whose_generations_are_spent_is_retired() {
        let mut t: RootTable<u32> = RootTable::new(HeapId::fresh().unwrap());
        let a = t.insert(1u32);
        t.entries[a.0.index() as usize].generation = u32::MAX - 1;
        let a = Handle(RawHandle::new(t.heap, a.0.index(), u32::MAX - 1));
        assert_eq!(t.remove(a), Ok(1));
        // Reused once more, with the last generation...
        let b = t.insert(2u32);
        assert_eq!(b.0.index(), a.0.index());
        assert_eq!(t.len(), 1);
        assert_eq!(t.remove(b), Ok(2));
        // ...then retired: a new root takes a new entry, and neither old
        // handle resolves.
        assert_eq!(t.len(), 0);
        let c = t.insert(3u32);
        assert_ne!(c.0.index(), a.0.index());
        assert_eq!(t.get(a), Err(GcError::StaleHandle));
        assert_eq!(t.get(b), Err(GcError::StaleHandle));
        assert_eq!(t.get(c), Ok(3));
        assert_eq!((t.len(), t.iter().count()), (1, 1));
    }

    #[test]
    fn released_handle_is_stale_even_after_reuse() {
        let mut t: RootTable<u32> = RootTable::new(HeapId::fresh().unwrap());
        let a = t.insert(1u32);
        assert_eq!(t.remove(a), Ok(1));
        let b = t.insert(2u32);
        assert_eq!(t.get(a), Err(GcError::StaleHandle));
        assert_eq!(t.get(b), Ok(2));
        assert_eq!(t.remove(a), Err(GcError::StaleHandle));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn reserved_inserts_and_every_removal_allocate_nothing() {
        let mut t: RootTable<u32> = RootTable::new(HeapId::fresh().unwrap());
        t.try_reserve(3).unwrap();
        let capacities = |t: &RootTable<u32>| (t.entries.capacity(), t.free.capacity());
        let before = capacities(&t);
        let hs: Vec<_> = (0..3).map(|i| t.try_insert(i).unwrap()).collect();
        for h in hs {
            t.remove(h).unwrap();
        }
        assert_eq!(capacities(&t), before);
        // Freed entries count as room; unreserved inserts keep the free
        // list able to hold every entry.
        t.try_reserve(3).unwrap();
        assert_eq!(capacities(&t), before);
        let more: Vec<_> = (0..10).map(|i| t.insert(i)).collect();
        assert!(t.free.capacity() >= t.entries.len());
        for h in more {
            t.remove(h).unwrap();
        }
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn handle_of_another_table_is_foreign() {
        let mut t1: RootTable<u32> = RootTable::new(HeapId::fresh().unwrap());
        let t2: RootTable<u32> = RootTable::new(HeapId::fresh().unwrap());
        let a = t1.insert(7u32);
        assert_eq!(t2.get(a), Err(GcError::ForeignHandle));
    }
}
