//! Scopes and their local roots (V8's `HandleScope`, JNI's local frames):
//! every [`Local`] made inside a [`Scope`] is released when the scope ends.

use std::marker::PhantomData;
use std::num::{NonZeroU32, NonZeroU64};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::locals::{Entry, LocalStack, LocalsKey};
use super::root::{Root, WeakRoot};
use super::state::{self, FinalizeHook};
use crate::{
    Collector, CollectorExt, Control, ControlOutcome, Finalizer, GcError, Generation, Handle, Kind,
    ObjectId, Shape,
};

/// Invariant in `'s`: a brand that keeps scopes apart.
type Brand<'s> = PhantomData<fn(&'s ()) -> &'s ()>;

/// A root that lives until the end of the [`Scope`] that made it: `Copy`,
/// eight bytes (one register), nothing to release. The brand `'s` keeps it
/// from leaving its scope (the compiler refuses it); inside, it works with
/// that scope and any scope nested in it. [`Scope::handle`] gives its raw
/// handle.
///
/// It names its place on the heap's local stack, which holds the root
/// (a handle, or on a heap that scans the stack, the object itself),
/// together with the stack's stamp: a local of another heap (or of a stack
/// that was replaced) does not match the stamp and is
/// [`GcError::ForeignHandle`], never another object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Local<'s> {
    /// The stack's stamp in the low 32 bits, the place in the high 32
    /// ([`NO_PLACE`] for a place that does not fit).
    key: NonZeroU64,
    _brand: Brand<'s>,
}

/// The place of a local beyond `u32::MAX - 1` on the stack: never resolves.
const NO_PLACE: u32 = u32::MAX;

impl Local<'_> {
    #[inline]
    fn new(stamp: NonZeroU32, place: usize) -> Self {
        let place = u32::try_from(place).unwrap_or(NO_PLACE);
        Local {
            key: NonZeroU64::from(stamp) | (u64::from(place) << 32),
            _brand: PhantomData,
        }
    }

    #[inline]
    fn stamp(self) -> u32 {
        self.key.get() as u32
    }

    #[inline]
    fn place(self) -> u32 {
        (self.key.get() >> 32) as u32
    }

    /// The same stamp at [`NO_PLACE`]: a local that never resolves.
    fn unresolvable(self) -> Self {
        Local {
            key: self.key | (u64::from(NO_PLACE) << 32),
            _brand: PhantomData,
        }
    }
}

/// A region of code whose local roots are released together when it ends.
/// Made by [`Embedding::scope`]; nested with [`Scope::scope`] and
/// [`Scope::child`]. Every method checks its handles, so a local of another
/// heap is an error ([`GcError::ForeignHandle`]), never a wrong object.
#[derive(Debug)]
pub struct Scope<'s, C: Collector> {
    heap: &'s mut C,
    base: usize,
    /// The stack it was entered on, and its depth there: it changes that
    /// stack only while the heap still holds it and it is the innermost
    /// scope on it (the embedder may swap heaps under live scopes through
    /// [`Scope::heap`]; a scope then ending on another heap's stack must
    /// not pop that stack's locals, which would let them name other
    /// objects later).
    stamp: NonZeroU32,
    depth: u32,
    _brand: Brand<'s>,
}

const KEY: LocalsKey = LocalsKey::KEY;

/// The heap's local stack.
#[inline]
fn locals<C: Collector>(heap: &mut C) -> &mut LocalStack {
    heap.local_stack(KEY).0
}

impl<'s, C: Collector> Scope<'s, C> {
    fn enter(heap: &'s mut C) -> Self {
        let stack = locals(heap);
        let base = stack.len();
        let stamp = stack.stamp;
        stack.depth = stack.depth.wrapping_add(1);
        let depth = stack.depth;
        Scope {
            heap,
            base,
            stamp,
            depth,
            _brand: PhantomData,
        }
    }

    /// Is the heap's stack still the one this scope was entered on, with
    /// this scope the innermost there? Only then may it push or pop.
    #[inline]
    fn owns_top(&self) -> bool {
        let stack = self.heap.local_stack_ref(KEY);
        stack.stamp == self.stamp && stack.depth == self.depth
    }

    /// Ends the scope's hold on the stack ([`Scope::owns_top`] checked):
    /// the enclosing scope is the innermost again.
    #[inline]
    fn leave(&mut self) {
        let stack = locals(self.heap);
        stack.depth = stack.depth.wrapping_sub(1);
    }

    /// Makes room on the local stack for the local the operation about to
    /// run will push, so that memory the system refuses fails the
    /// operation before it changes anything.
    #[inline]
    fn room(&mut self) -> Result<(), GcError> {
        if !self.owns_top() {
            return Err(GcError::ForeignHandle);
        }
        locals(self.heap).reserve_one()
    }

    /// The local at `place`, which the heap just pushed on this scope's
    /// stack. Named with the stamp of the stack the scope was entered on
    /// (every operation checks it still owns that stack before it starts,
    /// and a heap pushes only on the stack it held then, or fails: see
    /// [`Collector::local_stack`]), not the heap's stamp after the
    /// operation: a finalizer hook run at its end may have swapped heaps,
    /// and the new local must not then name a place on the other heap's
    /// stack.
    #[inline]
    fn at(&self, place: usize) -> Local<'s> {
        Local::new(self.stamp, place)
    }

    /// Makes `handle`, a root this scope owns, a local. Allocates only if
    /// [`Scope::room`] was not called (or a finalizer used the room), and
    /// fallibly: refused, the root is released.
    #[inline]
    fn push(&mut self, handle: Handle) -> Result<Local<'s>, GcError> {
        if !self.owns_top() {
            let _ = self.heap.release(handle);
            return Err(GcError::ForeignHandle);
        }
        let place = state::push_root(self.heap, handle, KEY)?;
        Ok(self.at(place))
    }

    /// A new local to the object `handle` roots (a root of its own).
    fn clone_local(&mut self, handle: Handle) -> Result<Local<'s>, GcError> {
        self.room()?;
        let h = self.heap.clone_handle(handle)?;
        self.push(h)
    }

    /// The raw handle of `local` (valid until its scope ends), for the raw
    /// [`Collector`] API. A local of another heap is
    /// [`GcError::ForeignHandle`]. Kept after its scope ends, the handle is
    /// [`GcError::StaleHandle`]: a heap that keeps object locals checks it
    /// by the place and a 32-bit push serial, so only a local pushed
    /// exactly 2^32 pushes later at the same place would pass (root-table
    /// handles never resolve again: their entries retire instead of
    /// wrapping).
    #[inline]
    pub fn handle(&self, local: Local<'_>) -> Result<Handle, GcError> {
        let stack = self.heap.local_stack_ref(KEY);
        if local.stamp() != stack.stamp.get() {
            return Err(GcError::ForeignHandle);
        }
        if local.place() == NO_PLACE {
            return Err(GcError::StaleHandle);
        }
        stack
            .handle_at(local.place() as usize)
            .unwrap_or(Err(GcError::StaleHandle))
    }

    #[inline]
    fn handles<const N: usize>(
        &self,
        members: &[Option<Local<'_>>; N],
    ) -> Result<[Option<Handle>; N], GcError> {
        let mut out = [None; N];
        for (o, m) in out.iter_mut().zip(members) {
            *o = m.map(|m| self.handle(m)).transpose()?;
        }
        Ok(out)
    }

    /// The places of `members` on this heap's stack (which the heap
    /// checks): a local of another stack is [`GcError::ForeignHandle`].
    #[inline]
    fn places<const N: usize>(
        &self,
        members: &[Option<Local<'_>>; N],
    ) -> Result<[Option<usize>; N], GcError> {
        let stamp = self.heap.local_stack_ref(KEY).stamp.get();
        let mut out = [None; N];
        for (o, m) in out.iter_mut().zip(members) {
            if let Some(m) = m {
                if m.stamp() != stamp {
                    return Err(GcError::ForeignHandle);
                }
                if m.place() == NO_PLACE {
                    return Err(GcError::StaleHandle);
                }
                *o = Some(m.place() as usize);
            }
        }
        Ok(out)
    }

    /// Runs the finalizers that are due and releases dropped roots: called
    /// where the operation may have freed or collected.
    #[inline]
    fn settle(&mut self) {
        state::release_dropped(self.heap);
    }

    /// A node with `slots` nil slots and `payload` zeroed bytes.
    pub fn node(&mut self, slots: usize, payload: usize) -> Result<Local<'s>, GcError> {
        self.settle();
        self.room()?;
        let place = self.heap.alloc_local(Shape::Node { slots, payload }, KEY)?;
        Ok(self.at(place))
    }

    /// An atom holding `bytes` (a string, a number, a buffer).
    pub fn atom(&mut self, bytes: &[u8]) -> Result<Local<'s>, GcError> {
        self.settle();
        self.room()?;
        let shape = Shape::Atom {
            payload: bytes.len(),
        };
        let place = self.heap.alloc_local(shape, KEY)?;
        let local = self.at(place);
        let h = self.handle(local)?;
        self.heap.payload_mut(h)?.copy_from_slice(bytes);
        Ok(local)
    }

    /// A tuple of `members` (`None` is nil).
    #[inline]
    pub fn tuple(&mut self, members: &[Option<Local<'_>>]) -> Result<Local<'s>, GcError> {
        self.settle();
        if !self.owns_top() {
            return Err(GcError::ForeignHandle);
        }
        let place = if let Ok(pair) = <&[_; 2]>::try_from(members) {
            // Pairs (tree nodes, cons cells): no buffer to zero. A heap
            // whose stack holds objects reads the members there (and
            // makes room for the new local before it allocates).
            if self.heap.local_stack_ref(KEY).holds_objects() {
                let places = self.places(pair)?;
                self.heap.alloc_pair_local(places, KEY)?
            } else {
                locals(self.heap).reserve_one()?;
                let buf = self.handles(pair)?;
                self.heap.alloc_tuple_local(&buf, KEY)?
            }
        } else {
            locals(self.heap).reserve_one()?;
            self.alloc_tuple_of(members)?
        };
        Ok(self.at(place))
    }

    #[inline(never)]
    fn alloc_tuple_of(&mut self, members: &[Option<Local<'_>>]) -> Result<usize, GcError> {
        self.alloc_tuple_from(members.len(), |s, i| {
            members[i].map(|m| s.handle(m)).transpose()
        })
    }

    /// A tuple of `n` members, `member(self, i)` giving member `i`'s
    /// handle (all resolved before the allocation), pushed as a local: its
    /// place.
    #[inline]
    fn alloc_tuple_from(
        &mut self,
        n: usize,
        member: impl Fn(&Self, usize) -> Result<Option<Handle>, GcError>,
    ) -> Result<usize, GcError> {
        const INLINE: usize = 8;
        if n <= INLINE {
            let mut buf = [None; INLINE];
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = member(self, i)?;
            }
            self.heap.alloc_tuple_local(&buf[..n], KEY)
        } else {
            let handles = (0..n)
                .map(|i| member(self, i))
                .collect::<Result<Vec<_>, _>>()?;
            self.heap.alloc_tuple_local(&handles, KEY)
        }
    }

    /// What slot `index` of `object` holds, as a new local (a root: use
    /// [`Scope::view`] to read without one).
    pub fn get(&mut self, object: Local<'_>, index: usize) -> Result<Option<Local<'s>>, GcError> {
        let object = self.handle(object)?;
        self.room()?;
        let place = self.heap.slot_local(object, index, KEY)?;
        Ok(place.map(|p| self.at(p)))
    }

    /// Writes slot `index` of a node (through the strategy's barrier).
    pub fn set(
        &mut self,
        object: Local<'_>,
        index: usize,
        value: Option<Local<'_>>,
    ) -> Result<(), GcError> {
        let object = self.handle(object)?;
        let value = value.map(|v| self.handle(v)).transpose()?;
        self.heap.set_slot(object, index, value)
    }

    /// A view of `object` for reading without roots; valid until the next
    /// call that needs `&mut self`.
    pub fn view(&self, object: Local<'_>) -> Result<C::View<'_>, GcError> {
        self.heap.view(self.handle(object)?)
    }

    /// Sets the order in which the node's slots are dropped, cleared and
    /// traversed (see [`Collector::set_slot_order`]): an interpreter gives
    /// its lists [`SlotOrder::LastToFirst`](crate::SlotOrder), as CPython
    /// frees them.
    pub fn set_slot_order(
        &mut self,
        object: Local<'_>,
        order: crate::SlotOrder,
    ) -> Result<(), GcError> {
        let object = self.handle(object)?;
        self.heap.set_slot_order(object, order)
    }

    /// Changes a node's number of slots in place (see
    /// [`Collector::resize`]; marksweep refuses).
    pub fn resize(&mut self, object: Local<'_>, slots: usize) -> Result<(), GcError> {
        let object = self.handle(object)?;
        self.heap.resize(object, slots)
    }

    /// The object's payload, to write.
    pub fn payload_mut(&mut self, object: Local<'_>) -> Result<&mut [u8], GcError> {
        let object = self.handle(object)?;
        self.heap.payload_mut(object)
    }

    /// Writes `value` over the first `size_of::<T>()` bytes of the payload
    /// (unaligned; see [`ObjectView::payload_as`](super::ObjectView::payload_as)).
    pub fn set_payload_as<T: bytemuck::NoUninit>(
        &mut self,
        object: Local<'_>,
        value: T,
    ) -> Result<(), GcError> {
        let bytes = bytemuck::bytes_of(&value);
        let object = self.handle(object)?;
        let payload = self.heap.payload_mut(object)?;
        let len = payload.len();
        payload
            .get_mut(..bytes.len())
            .ok_or(GcError::PayloadTooShort {
                needed: bytes.len(),
                len,
            })?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// The object's kind.
    pub fn kind(&self, object: Local<'_>) -> Result<Kind, GcError> {
        self.heap.kind(self.handle(object)?)
    }

    /// The object's identity.
    pub fn id(&self, object: Local<'_>) -> Result<ObjectId, GcError> {
        self.heap.object_id(self.handle(object)?)
    }

    /// Are both locals the same object?
    pub fn same(&self, a: Local<'_>, b: Local<'_>) -> Result<bool, GcError> {
        Ok(self.id(a)? == self.id(b)?)
    }

    /// A root to `object` that outlives this scope (released when dropped).
    pub fn root(&mut self, object: Local<'_>) -> Result<Root, GcError> {
        let object = self.handle(object)?;
        // The queue as it is now: the node belongs to it even if the
        // heap is swapped under this call.
        let queue = self.heap.embed_state_ref().released.clone();
        let node = queue.node_for_root()?;
        match self.heap.clone_handle(object) {
            Ok(h) => Ok(Root::new(h, queue, node)),
            Err(e) => {
                queue.free(node);
                Err(e)
            }
        }
    }

    /// Releases `root` now instead of at the heap's next operation (a
    /// reference counter then frees its object at once, running its
    /// finalizer before this returns).
    ///
    /// A root with other clones is only dropped: they keep it.
    /// Another heap's root is [`GcError::ForeignHandle`] (and dropped: its
    /// own heap releases it at its next operation).
    pub fn unroot(&mut self, root: Root) -> Result<(), GcError> {
        if !root.is_of(&self.heap.embed_state_ref().released) {
            return Err(GcError::ForeignHandle);
        }
        let Some((handle, last)) = root.into_last() else {
            return Ok(());
        };
        match self.heap.release(handle) {
            Ok(()) => {
                last.released();
                Ok(())
            }
            Err(e) => {
                // Released by hand already: queued, as a drop would.
                last.requeue(handle);
                Err(e)
            }
        }
    }

    /// A local to the object `root` holds.
    pub fn local(&mut self, root: &Root) -> Result<Local<'s>, GcError> {
        self.clone_local(root.handle())
    }

    /// A weak reference to `object`; with `callback`, its death is reported
    /// as a weak-callback event while the weak reference lives.
    pub fn weak(&mut self, object: Local<'_>, callback: bool) -> Result<WeakRoot, GcError> {
        self.settle();
        let object = self.handle(object)?;
        // As in `root`: `weak` may run a hook, which may swap the heap.
        let queue = self.heap.embed_state_ref().released.clone();
        let node = queue.node_for_root()?;
        match self.heap.weak(object, callback) {
            Ok(w) => Ok(WeakRoot::new(w, queue, node)),
            Err(e) => {
                queue.free(node);
                Err(e)
            }
        }
    }

    /// A local to the referent of `weak`, or `None` once it is dead.
    pub fn upgrade(&mut self, weak: &WeakRoot) -> Result<Option<Local<'s>>, GcError> {
        self.room()?;
        self.heap
            .upgrade(weak.handle())?
            .map(|h| self.push(h))
            .transpose()
    }

    /// Gives `object` a finalizer ([`Finalizer::Run`] calls the hook set
    /// with [`Collector::on_finalize`]).
    pub fn set_finalizer(
        &mut self,
        object: Local<'_>,
        finalizer: Finalizer,
    ) -> Result<(), GcError> {
        let object = self.handle(object)?;
        self.heap.set_finalizer(object, finalizer)
    }

    /// Collects `generation` (2: everything); returns what the strategy
    /// counts as collected.
    pub fn collect(&mut self, generation: Generation) -> Result<u64, GcError> {
        self.settle();
        self.heap.collect(generation)
    }

    /// Applies a CPython-style control (thresholds, enable, freeze…).
    pub fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError> {
        self.heap.control(control)
    }

    /// Takes ownership of a raw root: it becomes a local of this scope.
    /// A stale handle or one of another heap is refused
    /// ([`GcError::StaleHandle`], [`GcError::ForeignHandle`]) and nothing
    /// changes. If the system refuses the memory for it, the root is
    /// released and the answer is [`GcError::OutOfMemory`]. (The handle of
    /// a [`Root`] is that root's: adopted, the `Root` goes stale.)
    pub fn adopt(&mut self, handle: Handle) -> Result<Local<'s>, GcError> {
        self.heap.kind(handle)?;
        self.push(handle)
    }

    /// The collector itself, for its own API (a strategy's statistics, the
    /// raw handle calls). A heap swapped under a live scope is not its
    /// heap any more: the scope then makes no local
    /// ([`GcError::ForeignHandle`]) and pops none on ending (its locals
    /// stay rooted), so that no local names another object.
    ///
    /// Do not replace the heap (`std::mem::swap`, `replace`) from inside a
    /// finalizer hook: the heap replaced is left with its hook running for
    /// good (no hook runs on it again) and, when the hook ran inside a
    /// generational collection, with that collection unfinished (it never
    /// collects again). Nothing unsafe follows, and no local names another
    /// object, but that heap is spent.
    pub fn heap(&mut self) -> &mut C {
        self.heap
    }

    /// The collector, to read.
    pub fn heap_ref(&self) -> &C {
        self.heap
    }

    /// Runs `f` in a nested scope whose locals are released when it
    /// returns (a loop body, a helper that makes temporaries).
    pub fn scope<R>(&mut self, f: impl for<'i> FnOnce(&mut Scope<'i, C>) -> R) -> R {
        run_scope(self.heap, f)
    }

    /// Runs `f` in a nested scope and keeps the local it returns, as a
    /// local of this scope; every other local `f` made is released
    /// (V8's `EscapableHandleScope`).
    ///
    /// The local that escapes keeps its root: it takes the place on the
    /// local stack where the nested scope began, so escaping costs no
    /// release and no new root.
    ///
    /// `f` must return a local it made itself: one of this (outer) scope
    /// does not compile, and the compiler words it as a lifetime that
    /// "may not live long enough" and "must outlive 'static". Return
    /// `s.local(&root)` or a fresh local instead, or keep the outer one
    /// where it is and use [`Scope::scope`].
    pub fn child<E>(
        &mut self,
        f: impl for<'i> FnOnce(&mut Scope<'i, C>) -> Result<Local<'i>, E>,
    ) -> Result<Local<'s>, E> {
        if !self.owns_top() {
            return self.child_off_top(f);
        }
        // The inner scope releases its locals when dropped: when `f` fails
        // or panics. When it succeeds, they are released here instead,
        // but for the one that escapes.
        let mut inner = Scope::enter(&mut *self.heap);
        let base = inner.base;
        // Its key only: the local itself borrows the heap for the inner
        // scope's lifetime.
        let key = match f(&mut inner) {
            Ok(local) => local.key,
            Err(e) => return Err(e),
        };
        let local = Local::<'s> {
            key,
            _brand: PhantomData,
        };
        if !inner.owns_top() {
            // The heap was swapped under it: its locals stay where they
            // are (rooted until their stack's own scope ends), and the one
            // it answers never resolves.
            std::mem::forget(inner);
            return Ok(local.unresolvable());
        }
        inner.leave();
        std::mem::forget(inner);
        let stack = locals(self.heap);
        let place = local.place() as usize;
        let own = local.stamp() == stack.stamp.get()
            && local.place() != NO_PLACE
            && (base..stack.len()).contains(&place);
        if own {
            return Ok(self.keep_one_above(base, place));
        }
        // Not one of the inner scope's own: a local of an enclosing scope,
        // passed through, lives as long as this scope and stays what it
        // was; any other never resolves again (its place may be reused).
        release_above(self.heap, base);
        if local.place() as usize >= base {
            return Ok(local.unresolvable());
        }
        Ok(local)
    }

    /// Runs `f` in a nested scope, as [`Scope::child`], and makes a tuple
    /// of the locals it returns (`None` is nil), as a local of this scope;
    /// every local `f` made is released. A builder of trees or lists
    /// nests one call per node, as it would nest `Rc::new(Node(left,
    /// right))`:
    ///
    /// ```
    /// use gc_core::prelude::*;
    ///
    /// fn tree<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Result<Local<'s>, GcError> {
    ///     if depth == 0 {
    ///         return s.tuple(&[None, None]);
    ///     }
    ///     s.child_tuple(|s| Ok([Some(tree(s, depth - 1)?), Some(tree(s, depth - 1)?)]))
    /// }
    ///
    /// let mut heap = gc_core::NullCollector::new_default().unwrap();
    /// heap.scope(|s| -> Result<(), GcError> {
    ///     let t = tree(s, 3)?;
    ///     let left = s.view(t)?.slot(0)?.expect("a subtree");
    ///     assert_eq!(left.slot_count(), 2);
    ///     Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// When `f` returns every local it made (its scope holds no other),
    /// in the order it made them (as above), the tuple takes them over
    /// where they are: a heap
    /// that counts references moves their counts into the tuple instead of
    /// adding one per member and dropping one per local. Otherwise the
    /// tuple is made of the locals as [`Scope::tuple`] makes it, and they
    /// are released after.
    ///
    /// Errors are the tuple's (as [`Scope::tuple`]), and `f`'s own: then
    /// the locals `f` made are released and nothing is made. A scope that
    /// is not the innermost on its heap's stack (heaps were swapped under
    /// it) is refused with [`GcError::ForeignHandle`] and `f` does not
    /// run. When code run inside (a finalizer hook) swaps heaps, the
    /// answer is [`GcError::ForeignHandle`] if that happened before the
    /// tuple was made, and a local that never resolves (as
    /// [`Scope::child`]'s) if after; either way the inner locals stay
    /// rooted until their stack's own scope ends.
    pub fn child_tuple<const N: usize, E: From<GcError>>(
        &mut self,
        f: impl for<'i> FnOnce(&mut Scope<'i, C>) -> Result<[Option<Local<'i>>; N], E>,
    ) -> Result<Local<'s>, E> {
        if !self.owns_top() {
            return Err(GcError::ForeignHandle.into());
        }
        let mut inner = Scope::enter(&mut *self.heap);
        let base = inner.base;
        let members = f(&mut inner)?;
        if !inner.owns_top() {
            // As in `child`: the inner locals stay where they are, rooted
            // until their stack's own scope ends.
            std::mem::forget(inner);
            return Err(GcError::ForeignHandle.into());
        }
        let stamp = inner.stamp;
        // Every local the body made, in order: the tuple takes them over,
        // or is made of their places (their handles, not the locals, are
        // checked).
        let mut on_top = locals(inner.heap).len() == base + N;
        for (i, m) in members.iter().enumerate() {
            on_top &= m.is_some_and(|m| m.stamp() == stamp.get() && m.place() as usize == base + i);
        }
        let made = if on_top {
            inner.settle();
            // Releasing dropped roots may have run a finalizer hook, which
            // may have swapped heaps: then the stack's top is another's.
            if !inner.owns_top() {
                std::mem::forget(inner);
                return Err(GcError::ForeignHandle.into());
            }
            if let Some(place) = inner.heap.alloc_tuple_taking_locals(N, KEY)? {
                let tuple = Local::<'s>::new(stamp, place);
                if !inner.owns_top() {
                    // Swapped after the tuple was made: a local of a
                    // stack this scope no longer holds.
                    std::mem::forget(inner);
                    return Ok(tuple.unresolvable());
                }
                inner.leave();
                std::mem::forget(inner);
                return Ok(tuple);
            }
            inner.tuple_of_places(base, N)?
        } else {
            inner.tuple(&members)?.place() as usize
        };
        if !inner.owns_top() {
            std::mem::forget(inner);
            return Ok(Local::<'s>::new(stamp, made).unresolvable());
        }
        inner.leave();
        std::mem::forget(inner);
        Ok(self.keep_one_above(base, made))
    }
}

impl<'s, C: Collector> Scope<'s, C> {
    /// A tuple of the `n` locals at `first` and above (the top of the
    /// stack, this scope's own), pushed as a local: its place.
    #[inline]
    fn tuple_of_places(&mut self, first: usize, n: usize) -> Result<usize, GcError> {
        if n == 2 && self.heap.local_stack_ref(KEY).holds_objects() {
            return self
                .heap
                .alloc_pair_local([Some(first), Some(first + 1)], KEY);
        }
        locals(self.heap).reserve_one()?;
        self.alloc_tuple_from(n, |s, i| {
            let stack = s.heap.local_stack_ref(KEY);
            stack
                .handle_at(first + i)
                .unwrap_or(Err(GcError::StaleHandle))
                .map(Some)
        })
    }

    /// Keeps the local at `place` and releases every other local at or
    /// above `base` (all this scope's, on the stack it owns): the kept one
    /// moves down to `base`, keeping its root, and is returned.
    #[inline(always)]
    fn keep_one_above(&mut self, base: usize, place: usize) -> Local<'s> {
        let hooked = self.heap.has_finalize_hook();
        let stack = locals(self.heap);
        let stamp = stack.stamp;
        if hooked {
            // A release may run the hook, which may panic: the kept
            // local goes to `base` first, so that it stays a local of
            // this scope whatever happens. (The others keep their
            // order.)
            stack.rotate_down(base, place);
            release_above(self.heap, base + 1);
            return Local::new(stamp, base);
        }
        // No embedder code runs. Only objects the heap roots itself,
        // the kept one last made: it moves down, the rest is dropped.
        if stack.escape_objects(base, place) {
            return Local::new(stamp, base);
        }
        // Usually the kept local is the last one made: release the
        // ones below it, last first, then move it down to `base`. (A
        // release is the strategy's code: a `Collector` of the embedder's
        // may lend another stack after it, and the rest is then left as
        // it is, the kept local unresolvable.)
        if place + 1 == stack.len() {
            for i in (base..place).rev() {
                let entry = locals(self.heap).take_at(i);
                release_entry(self.heap, entry);
                if locals(self.heap).stamp != stamp {
                    return Local::new(stamp, place).unresolvable();
                }
            }
            locals(self.heap).keep_top_at(base);
            return Local::new(stamp, base);
        }
        // Otherwise take the kept local out, release the rest, put it
        // back at `base`.
        let kept = stack.entries.remove(place);
        release_above(self.heap, base);
        // The stack is lower than before by at least the kept local:
        // it goes back without allocating, onto the stack it came from.
        // (A strategy's `release` is its own code: one of the embedder's
        // may lend another stack now. The kept local is then let go, and
        // never resolves.)
        match locals(self.heap).push_back(kept, stamp) {
            Ok(place) => Local::new(stamp, place),
            Err(kept) => {
                release_entry(self.heap, kept);
                Local::new(stamp, place).unresolvable()
            }
        }
    }
}

impl<'s, C: Collector> Scope<'s, C> {
    /// [`Scope::child`] when this scope is not the innermost on the heap's
    /// stack (the heap was swapped under it before the child began): a
    /// local kept at the child's base would be held by no scope of this
    /// one's (the scope under it there pops it). `f` runs in a scope of its
    /// own, whose locals all go with it, and the local it answers never
    /// resolves.
    #[cold]
    #[inline(never)]
    fn child_off_top<E>(
        &mut self,
        f: impl for<'i> FnOnce(&mut Scope<'i, C>) -> Result<Local<'i>, E>,
    ) -> Result<Local<'s>, E> {
        let mut inner = Scope::enter(&mut *self.heap);
        let key = f(&mut inner)?.key;
        drop(inner);
        Ok(Local::<'s> {
            key,
            _brand: PhantomData,
        }
        .unresolvable())
    }
}

impl<C: Collector> Drop for Scope<'_, C> {
    fn drop(&mut self) {
        // Not the innermost scope on its own stack (heaps were swapped
        // under it): its locals stay rooted rather than pop another
        // scope's.
        if self.owns_top() {
            self.leave();
            release_above(self.heap, self.base);
        }
    }
}

/// Releases the locals above `base` on the heap's local stack, last first.
///
/// Pops one at a time: a finalizer hook run by a release makes a scope of
/// its own above, which is gone again before the release returns. A panic
/// in a hook does not stop the loop: every local is released, then the
/// first panic is passed on (dropped if the thread is already unwinding,
/// where a second panic would abort).
#[inline]
fn release_above<C: Collector>(heap: &mut C, base: usize) {
    // Only objects the heap roots itself: nothing to release.
    if locals(heap).truncate_objects(base) {
        return;
    }
    if heap.has_finalize_hook() {
        return release_above_hooked(heap, base);
    }
    let stamp = locals(heap).stamp;
    while let Some(entry) = pop_above(heap, base) {
        // No hook can run, so a release cannot panic, nor install a hook.
        // (Stale only if the embedder released the raw handle by hand.)
        release_entry(heap, entry);
        // The strategy's `release` is its own code: one of the
        // embedder's may lend another stack after it. Popping stops
        // there.
        if locals(heap).stamp != stamp {
            return;
        }
    }
    locals(heap).popped();
}

/// [`release_above`] where a release may run the finalizer hook.
#[inline(never)]
fn release_above_hooked<C: Collector>(heap: &mut C, base: usize) {
    let mut panic = None;
    // The hook may swap the heap (its scope lends `&mut C`): the popping
    // stops on any stack but this one, as it was.
    let stack = locals(heap);
    let (stamp, depth) = (stack.stamp, stack.depth);
    loop {
        let stack = locals(heap);
        if stack.stamp != stamp || stack.depth != depth {
            break;
        }
        let Some(entry) = pop_above(heap, base) else {
            break;
        };
        let released = catch_unwind(AssertUnwindSafe(|| release_entry(heap, entry)));
        if let Err(payload) = released {
            panic.get_or_insert(payload);
        }
    }
    locals(heap).popped();
    if let Some(payload) = panic {
        if !std::thread::panicking() {
            resume_unwind(payload);
        }
    }
}

/// Pops the locals above `base` down to the next one that holds a table
/// root or a count, and answers it (for the caller to release); `None`
/// once the stack is down to `base`. Objects the heap roots itself need no
/// release.
#[inline]
fn pop_above<C: Collector>(heap: &mut C, base: usize) -> Option<Entry> {
    let stack = locals(heap);
    while let Some(entry) = stack.pop_above(base) {
        if entry.needs_release() {
            return Some(entry);
        }
    }
    None
}

/// Drops what a local taken off the stack held (a table root, a count).
#[inline(always)]
fn release_entry<C: Collector>(heap: &mut C, entry: Entry) {
    match entry {
        Entry::Root(h) => {
            let _ = heap.release(h);
        }
        Entry::Counted { key } => heap.drop_counted_local(Entry::index_of(key), KEY),
        Entry::Object { .. } | Entry::Released => {}
    }
}

/// The embedder's finalizer: what runs on each object given
/// [`Finalizer::Run`] when its strategy finalizes it. It gets the object,
/// intact, and a scope to read it, allocate, or store it somewhere (which
/// resurrects it). Generic over the strategy, so one hook serves a heap
/// chosen at run time as well as a concrete one; install it with
/// [`Collector::on_finalize`]. A hook that needs the embedder's own state
/// (to run the runtime itself) is installed with
/// [`Embedding::on_finalize_with`], or reaches it with
/// [`with_lent`](super::with_lent).
///
/// A panic in the hook is caught; the operation that ran it completes (the
/// heap stays consistent) and the panic is resumed when that operation
/// returns.
pub trait Finalize: Send + 'static {
    /// Finalizes `object`.
    fn finalize<C: Collector>(&mut self, scope: &mut Scope<'_, C>, object: Local<'_>);
}

/// Wraps `hook` as the form a strategy stores for its own type.
pub(crate) fn hook_for<C: Collector, F: Finalize>(mut hook: F) -> FinalizeHook<C> {
    Box::new(move |heap: &mut C, h: Handle| {
        run_scope(heap, |s| {
            // Refused memory for the local: not now (the object waits).
            let Ok(object) = s.clone_local(h) else {
                return false;
            };
            hook.finalize(s, object);
            true
        })
    })
}

/// Wraps `hook`, which needs a value of type `X` lent by the embedder
/// ([`lend`](super::lend)), as the form a strategy stores.
fn hook_with<C: Collector, X: 'static>(
    mut hook: impl for<'s, 'o> FnMut(&mut X, &mut Scope<'s, C>, Local<'o>) + Send + 'static,
) -> FinalizeHook<C> {
    Box::new(move |heap: &mut C, h: Handle| call_lent(&mut hook, heap, h))
}

/// Wraps `hook`, a plain function that needs a value of type `X` lent by
/// the embedder, as a hook that may run nested.
fn nested_with<C: Collector + 'static, X: 'static>(
    hook: for<'s, 'o> fn(&mut X, &mut Scope<'s, C>, Local<'o>),
) -> super::NestedHook<C> {
    // A function pointer is `Copy`: each (possibly nested) call has its own.
    std::sync::Arc::new(move |heap: &mut C, h: Handle| call_lent(&mut { hook }, heap, h))
}

/// Calls `hook` on `h`'s object with the `X` the embedder lent, in a
/// scope of its own; `false` (not now: the object waits) when no `X` is
/// lent or the system refuses the memory for the object's local.
fn call_lent<C: Collector, X: 'static>(
    hook: &mut impl for<'s, 'o> FnMut(&mut X, &mut Scope<'s, C>, Local<'o>),
    heap: &mut C,
    h: Handle,
) -> bool {
    super::with_lent(|cx: &mut X| {
        run_scope(heap, |s| {
            let Ok(object) = s.clone_local(h) else {
                return false;
            };
            hook(cx, s, object);
            true
        })
    })
    .unwrap_or(false)
}

fn run_scope<C: Collector, R>(heap: &mut C, f: impl for<'i> FnOnce(&mut Scope<'i, C>) -> R) -> R {
    let mut scope = Scope::enter(heap);
    f(&mut scope)
}

/// The embedding API on every [`Collector`]: scopes of local roots, the
/// finalizer hook, leak counts. See the [crate docs](crate) for a guide.
pub trait Embedding: Collector {
    /// Runs `f` in a scope: every [`Local`] made in it is released when it
    /// returns.
    fn scope<R>(&mut self, f: impl for<'s> FnOnce(&mut Scope<'s, Self>) -> R) -> R {
        state::release_dropped(self);
        run_scope(self, f)
    }

    /// Roots the embedder holds: locals of live scopes, [`Root`]s not yet
    /// dropped, raw handles not yet released. A heap dropped with some
    /// says so (debug builds, a `tracing` warning on target
    /// `gc_core::leaks`). Weak roots ([`WeakRoot`]s, weak handles) are not
    /// counted: they keep no object alive.
    fn outstanding_roots(&self) -> usize {
        let state = self.embed_state_ref();
        self.root_count() - state.internal_roots() - state.dropped_roots()
    }

    /// Installs a finalizer hook that runs with the embedder's own state:
    /// `hook` gets the `&mut X` the embedder [lends](super::lend) around
    /// the operations that may finalize, so it can run the runtime itself
    /// (its frames, class table, output) on the object — inside the
    /// collection that found it, at the moment its count reaches zero —
    /// exactly where a [`Finalize`] hook runs. A finalizer due while no `X`
    /// is lent (or while the hook runs further up) waits, rooted, until the
    /// next operation that lends one. Replaces any hook installed before.
    ///
    /// The hook is this strategy's own (it takes a `Scope<Self>`). A heap
    /// chosen at run time (`gc_any::AnyCollector`) never calls a hook
    /// typed for it: there it is refused ([`GcError::Unsupported`]), and
    /// nothing is installed. Use it there through `gc_any::dispatch`,
    /// which runs generic code with the strategy's own type; or install a
    /// generic [`Finalize`] with [`Collector::on_finalize`] and reach the
    /// state with [`with_lent`](super::with_lent) (that hook runs when its
    /// object is due whether or not anything is lent, and `with_lent` then
    /// answers `None`, so lend around every operation that may finalize).
    fn on_finalize_with<X: 'static>(
        &mut self,
        hook: impl for<'s, 'o> FnMut(&mut X, &mut Scope<'s, Self>, Local<'o>) + Send + 'static,
    ) -> Result<(), GcError> {
        if !Self::CALLS_OWN_HOOK {
            return Err(GcError::Unsupported {
                strategy: "any",
                what: "on_finalize_with (the hook takes the strategy's own scope type: \
                       install it through gc_any::dispatch)",
            });
        }
        self.embed_state().set_hook(Some(hook_with(hook)));
        Ok(())
    }

    /// [`Embedding::on_finalize_with`] for a hook that is a plain function,
    /// which may run again while it runs: a finalizer due during it (an
    /// object its operations drop, or free) runs inside it, at the end of
    /// the operation that made it due, with the `X` lent innermost (the
    /// embedder lends around its operations inside the hook too) — as
    /// CPython runs the `__del__` of an object that a running `__del__`
    /// drops, nested. Objects queued before the hook started wait for it,
    /// behind what it and the release of its object leave queued.
    ///
    /// Nothing bounds the nesting but the hook: a chain of objects, each
    /// dropping the next from its finalizer, nests as deep as the chain,
    /// on the thread's stack. Count the depth in `X` and stop dropping (or
    /// defer) past a limit, as CPython's recursion limit does for
    /// `__del__` (gc-py's hook goes through its interpreter's).
    fn on_finalize_nested_with<X: 'static>(
        &mut self,
        hook: for<'s, 'o> fn(&mut X, &mut Scope<'s, Self>, Local<'o>),
    ) -> Result<(), GcError>
    where
        Self: 'static,
    {
        if !Self::CALLS_OWN_HOOK {
            return Err(GcError::Unsupported {
                strategy: "any",
                what: "on_finalize_nested_with (the hook takes the strategy's own scope type: \
                       install it through gc_any::dispatch)",
            });
        }
        self.embed_state().set_nested_hook(nested_with(hook));
        Ok(())
    }

    /// Releases dropped roots now, and runs the finalizers that are due.
    fn flush(&mut self) {
        state::release_dropped(self);
        if self.embed_state_ref().needs_finish() {
            state::finish(self);
        }
    }
}

impl<C: Collector> Embedding for C {}

/// Called by a strategy's `Drop`: warns (debug builds) when the embedder
/// still holds roots.
pub fn report_leaks<C: Collector>(heap: &C) {
    #[cfg(debug_assertions)]
    {
        let n = heap.outstanding_roots();
        if n > 0 {
            tracing::warn!(
                target: "gc_core::leaks",
                roots = n,
                "a {} heap was dropped with {n} root(s) still held",
                heap.traits().name
            );
        }
        let waiting = heap.waiting_finalizers();
        if waiting > 0 {
            tracing::warn!(
                target: "gc_core::leaks",
                finalizers = waiting,
                "a {} heap was dropped with {waiting} finalizer(s) that never ran \
                 (the hook was busy, or its state was not lent)",
                heap.traits().name
            );
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = heap;
}
