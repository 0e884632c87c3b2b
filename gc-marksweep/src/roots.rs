//! The roots: the handle table and the saved list (objects resurrected by
//! finalizers). Both hold live objects of this heap (the invariant in
//! `header.rs`), so an address goes in only from them or through an
//! `unsafe fn` whose caller vouches for it.

use gc_core::{GcError, Handle, HeapId, RootTable};

use crate::header::ObjPtr;

/// The heap's roots. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Roots {
    handles: RootTable<ObjPtr>,
    saved: Vec<ObjPtr>,
}

impl Roots {
    /// No roots, for the heap `heap`.
    pub(crate) fn new(heap: HeapId) -> Self {
        Roots {
            handles: RootTable::new(heap),
            saved: Vec::new(),
        }
    }

    /// Room for `n` more handles (that many [`insert`](Self::insert)s then
    /// allocate nothing), or `OutOfMemory`.
    #[inline]
    pub(crate) fn reserve_handles(&mut self, n: usize) -> Result<(), GcError> {
        self.handles.try_reserve(n)
    }

    /// A new handle to `obj`. Allocates (and aborts if the system refuses)
    /// unless [`reserve_handles`](Self::reserve_handles) made room.
    ///
    /// # Safety
    ///
    /// `obj` is a live object of this heap.
    #[inline]
    pub(crate) unsafe fn insert(&mut self, obj: ObjPtr) -> Handle {
        self.handles.insert(obj)
    }

    /// The object `h` names.
    #[inline]
    pub(crate) fn get(&self, h: Handle) -> Result<ObjPtr, GcError> {
        self.handles.get(h)
    }

    /// A second handle to the object `h` names.
    pub(crate) fn clone_handle(&mut self, h: Handle) -> Result<Handle, GcError> {
        let obj = self.handles.get(h)?;
        self.handles.try_insert(obj)
    }

    /// Drops a handle.
    pub(crate) fn remove(&mut self, h: Handle) -> Result<(), GcError> {
        self.handles.remove(h).map(drop)
    }

    /// Live handles.
    pub(crate) fn handle_count(&self) -> usize {
        self.handles.len()
    }

    /// Appends `obj` to the saved list.
    ///
    /// # Safety
    ///
    /// As for [`insert`](Self::insert).
    pub(crate) unsafe fn save(&mut self, obj: ObjPtr) {
        debug_assert!(self.saved.len() < self.saved.capacity(), "reserved");
        self.saved.push(obj);
    }

    /// Room for `n` more entries on the saved list and `n` more handles
    /// (what running `n` finalizers may add), or `OutOfMemory`.
    pub(crate) fn reserve_finalized(&mut self, n: usize) -> Result<(), GcError> {
        crate::system::reserve(&mut self.saved, n)?;
        self.handles.try_reserve(n)
    }

    /// The saved list.
    pub(crate) fn saved(&self) -> &[ObjPtr] {
        &self.saved
    }

    /// Empties the saved list, giving each of its objects a handle; when
    /// the system refuses the room for them, hands out nothing and the
    /// list stays as it is.
    pub(crate) fn unsave(&mut self) -> Vec<Handle> {
        let n = self.saved.len();
        let mut out = Vec::new();
        if out.try_reserve_exact(n).is_err() || self.handles.try_reserve(n).is_err() {
            return Vec::new();
        }
        let saved = std::mem::take(&mut self.saved);
        out.extend(saved.into_iter().map(|o| self.handles.insert(o)));
        out
    }

    /// The handles' objects.
    pub(crate) fn handles(&self) -> impl Iterator<Item = ObjPtr> + '_ {
        self.handles.iter()
    }

    /// How many roots [`iter`](Self::iter) yields.
    pub(crate) fn len(&self) -> usize {
        self.handles.len() + self.saved.len()
    }

    /// Every root: the handles' objects, then the saved list.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ObjPtr> + '_ {
        self.handles.iter().chain(self.saved.iter().copied())
    }

    /// Replaces every root by `f`'s answer (a minor collection forwarding
    /// them to their copies).
    ///
    /// # Safety
    ///
    /// `f` answers a live object of this heap.
    #[inline]
    pub(crate) unsafe fn forward(&mut self, mut f: impl FnMut(ObjPtr) -> ObjPtr) {
        for root in self.handles.iter_mut().chain(self.saved.iter_mut()) {
            *root = f(*root);
        }
    }
}
