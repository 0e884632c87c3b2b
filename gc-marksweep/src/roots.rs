//! The roots: the handle table, the scopes' local stack (the embedding
//! layer's locals, objects this heap roots itself, as PyPy's shadow
//! stack) and the saved list (objects resurrected by finalizers). All hold
//! live objects of this heap (the invariant in `header.rs`), so an address
//! goes in only from them or through an `unsafe fn` whose caller vouches
//! for it.

use gc_core::embed::{Held, LocalStack};
use gc_core::{GcError, Handle, HeapId, RootTable};

use crate::header::ObjPtr;

/// The heap's roots. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Roots {
    handles: RootTable<ObjPtr>,
    /// The scopes' locals: handles, or objects pushed by
    /// [`push_local`](Self::push_local), rooted while they are on it.
    locals: LocalStack,
    saved: Vec<ObjPtr>,
}

impl Roots {
    /// No roots, for the heap `heap` (`TooMany` when local-stack stamps
    /// run out).
    pub(crate) fn new(heap: HeapId) -> Result<Self, GcError> {
        Ok(Roots {
            handles: RootTable::new(heap),
            locals: LocalStack::scanned(heap)?,
            saved: Vec::new(),
        })
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

    /// Pushes `obj` on the local stack: its place, or `OutOfMemory`
    /// (nothing pushed).
    ///
    /// # Safety
    ///
    /// As for [`insert`](Self::insert).
    #[inline(always)]
    pub(crate) unsafe fn push_local(&mut self, obj: ObjPtr) -> Result<usize, GcError> {
        // SAFETY: `locals` was made `scanned` for this heap, `obj` is one
        // of its live objects (the caller's guarantee), and the stack's
        // objects are roots: `iter` yields them, `forward` rewrites them.
        unsafe { self.locals.push_object(obj.to_local()) }
    }

    /// The scopes' local stack.
    pub(crate) fn locals(&self) -> &LocalStack {
        &self.locals
    }

    /// The same, to change: the embedding layer only pops, moves and
    /// pushes handles (it cannot push objects: that is `unsafe`).
    pub(crate) fn locals_mut(&mut self) -> &mut LocalStack {
        &mut self.locals
    }

    /// The object `h` names (a table's handle or a local's).
    #[inline]
    pub(crate) fn get(&self, h: Handle) -> Result<ObjPtr, GcError> {
        // The table first: a local's handle is not in it (its index is
        // past the table's end), and the raw API pays nothing more.
        if let Ok(obj) = self.handles.get(h) {
            return Ok(obj);
        }
        self.get_not_in_table(h)
    }

    #[cold]
    #[inline(never)]
    fn get_not_in_table(&self, h: Handle) -> Result<ObjPtr, GcError> {
        match self.get_local(h) {
            Some(got) => got,
            None => self.handles.get(h),
        }
    }

    /// The same, trying the local stack first (the embedding layer's
    /// operations, whose handles are mostly locals').
    #[inline]
    pub(crate) fn get_local_first(&self, h: Handle) -> Result<ObjPtr, GcError> {
        match self.get_local(h) {
            Some(got) => got,
            None => self.handles.get(h),
        }
    }

    /// The object the local at `place` on the stack holds.
    #[inline(always)]
    pub(crate) fn local_at(&self, place: usize) -> Result<ObjPtr, GcError> {
        match self.locals.held(place)? {
            // SAFETY: the stack hands back what `push_local` pushed.
            Held::Object(local) => Ok(unsafe { ObjPtr::from_local(local) }),
            Held::Root(h) => self.handles.get(h),
            // Only a reference-counting heap's stack holds one.
            Held::Counted(_) => Err(GcError::StaleHandle),
        }
    }

    /// The object a local's handle names; `None` for a table's handle.
    #[inline]
    fn get_local(&self, h: Handle) -> Option<Result<ObjPtr, GcError>> {
        match self.locals.object(h) {
            // SAFETY: the stack hands back what `push_local` pushed.
            Ok(Some(local)) => Some(Ok(unsafe { ObjPtr::from_local(local) })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// A second handle to the object `h` names.
    pub(crate) fn clone_handle(&mut self, h: Handle) -> Result<Handle, GcError> {
        let obj = self.get(h)?;
        self.handles.try_insert(obj)
    }

    /// Drops a handle (a local's: its local is stale from then on).
    pub(crate) fn remove(&mut self, h: Handle) -> Result<(), GcError> {
        if self.locals.release(h)? {
            return Ok(());
        }
        self.handles.remove(h).map(drop)
    }

    /// Live handles and objects on the local stack.
    pub(crate) fn handle_count(&self) -> usize {
        self.handles.len() + self.locals.object_count()
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

    /// The handles' objects and the local stack's.
    pub(crate) fn handles(&self) -> impl Iterator<Item = ObjPtr> + '_ {
        let locals = self.locals.objects().map(|l| {
            // SAFETY: the stack hands back what `push_local` pushed.
            unsafe { ObjPtr::from_local(l) }
        });
        self.handles.iter().chain(locals)
    }

    /// How many roots [`iter`](Self::iter) yields.
    pub(crate) fn len(&self) -> usize {
        self.handle_count() + self.saved.len()
    }

    /// Every root: the handles' objects, the local stack's, then the saved
    /// list.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ObjPtr> + '_ {
        self.handles().chain(self.saved.iter().copied())
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
        // SAFETY: `f` answers a live object of this heap (the caller's
        // guarantee); the stack hands back what `push_local` pushed.
        unsafe {
            self.locals.forward(|l| f(ObjPtr::from_local(l)).to_local());
        }
    }
}
