//! Handles: what the mutator holds instead of addresses.
//!
//! A [`Handle`] is an index into a [`RootTable`] owned by the heap, paired
//! with a generation counter and the heap's id. The table's entries are the
//! precise root set: a moving collector rewrites them when it moves an
//! object, a reference counter counts each as one reference. Releasing a
//! handle bumps its entry's generation, so using it again is
//! [`GcError::StaleHandle`]; a handle of another heap is
//! [`GcError::ForeignHandle`]. Handles are `Copy` and forging one is
//! harmless: every use is checked.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::GcError;

static NEXT_HEAP_ID: AtomicU32 = AtomicU32::new(1);

/// Identifies one heap, so that handles of another heap are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HeapId(NonZeroU32);

impl HeapId {
    /// A process-unique id (wraps after 2^32 heaps, skipping zero).
    pub fn fresh() -> Self {
        let n = NEXT_HEAP_ID.fetch_add(1, Ordering::Relaxed);
        HeapId(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
    }
}

/// The common form of strong and weak handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawHandle {
    heap: HeapId,
    index: u32,
    generation: u32,
}

/// A strong reference held by the mutator: a root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(pub RawHandle);

/// A weak reference held by the mutator: it does not keep its referent alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeakHandle(pub RawHandle);

#[derive(Debug, Clone)]
struct RootEntry<R> {
    generation: u32,
    target: Option<R>,
}

/// A table of roots with generation-checked handles. Insert, lookup and
/// release are O(1) and allocate only when the table grows.
#[derive(Debug, Clone)]
pub struct RootTable<R> {
    heap: HeapId,
    entries: Vec<RootEntry<R>>,
    free: Vec<u32>,
}

impl<R: Copy> RootTable<R> {
    /// An empty table for the heap `heap`.
    pub fn new(heap: HeapId) -> Self {
        RootTable {
            heap,
            entries: Vec::new(),
            free: Vec::new(),
        }
    }

    /// The heap this table belongs to.
    pub fn heap(&self) -> HeapId {
        self.heap
    }

    /// Adds a root and returns its handle.
    #[inline]
    pub fn insert(&mut self, target: R) -> RawHandle {
        let index = match self.free.pop() {
            Some(i) => {
                self.entries[i as usize].target = Some(target);
                i
            }
            None => {
                let i = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
                self.entries.push(RootEntry {
                    generation: 0,
                    target: Some(target),
                });
                i
            }
        };
        RawHandle {
            heap: self.heap,
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    #[inline]
    fn entry(&self, h: RawHandle) -> Result<&RootEntry<R>, GcError> {
        if h.heap != self.heap {
            return Err(GcError::ForeignHandle);
        }
        match self.entries.get(h.index as usize) {
            Some(e) if e.generation == h.generation && e.target.is_some() => Ok(e),
            _ => Err(GcError::StaleHandle),
        }
    }

    /// The root's target.
    #[inline]
    pub fn get(&self, h: RawHandle) -> Result<R, GcError> {
        self.entry(h).map(|e| e.target.expect("checked by entry"))
    }

    /// Removes the root and returns its target; the handle becomes stale.
    #[inline]
    pub fn remove(&mut self, h: RawHandle) -> Result<R, GcError> {
        self.entry(h)?;
        let e = &mut self.entries[h.index as usize];
        e.generation = e.generation.wrapping_add(1);
        let target = e.target.take().expect("checked by entry");
        self.free.push(h.index);
        Ok(target)
    }

    /// Number of live roots.
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
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
    fn released_handle_is_stale_even_after_reuse() {
        let mut t = RootTable::new(HeapId::fresh());
        let a = t.insert(1u32);
        assert_eq!(t.remove(a), Ok(1));
        let b = t.insert(2u32);
        assert_eq!(t.get(a), Err(GcError::StaleHandle));
        assert_eq!(t.get(b), Ok(2));
        assert_eq!(t.remove(a), Err(GcError::StaleHandle));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn handle_of_another_table_is_foreign() {
        let mut t1 = RootTable::new(HeapId::fresh());
        let t2: RootTable<u32> = RootTable::new(HeapId::fresh());
        let a = t1.insert(7u32);
        assert_eq!(t2.get(a), Err(GcError::ForeignHandle));
    }
}
