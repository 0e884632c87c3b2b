//! What every heap keeps for the embedding layer: the local-root stack of
//! its scopes, the queue of dropped [`Root`](super::Root)s, and the
//! finalizer hook with the objects waiting for it.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::locals::{LocalStack, LocalsKey, LocalsMut};
use super::root::{ReleaseQueue, Released, SharedQueue};
use super::shared::Shared;
use crate::{Collector, Handle};

/// The embedder's finalizer, as a strategy stores it: called with the heap
/// and a root to the object (which the heap releases afterwards). Returns
/// `false` when it cannot run now (the state it needs is not
/// [lent](super::lend)): the object then waits, rooted, for the next
/// operation.
pub type FinalizeHook<C> = Box<dyn FnMut(&mut C, Handle) -> bool + Send>;

/// A hook that may run again while it runs (it wraps a plain function):
/// a finalizer due during it runs inside it, at the end of the operation
/// that made it due, as CPython runs a `__del__` whose object the running
/// `__del__` drops. See
/// [`Embedding::on_finalize_nested_with`](super::Embedding::on_finalize_nested_with).
pub type NestedHook<C> = std::sync::Arc<dyn Fn(&mut C, Handle) -> bool + Send + Sync>;

enum Hook<C> {
    None,
    Idle(FinalizeHook<C>),
    /// Taken out while it runs; a finalizer due meanwhile waits its turn.
    Running,
    /// Never taken out: it runs nested.
    Nested(NestedHook<C>),
}

/// The per-heap state of the embedding layer. A strategy owns one, hands
/// it out through [`Collector::embed_state`], and calls [`finish`] at the
/// end of every operation that may free or collect, once
/// [`EmbedState::needs_finish`] says so.
pub struct EmbedState<C> {
    /// The scopes' locals, unless the heap keeps them itself (see
    /// [`Collector::local_stack`]).
    pub(super) locals: LocalStack,
    pub(super) released: SharedQueue,
    hook: Hook<C>,
    /// Objects chosen for finalization, each held by a root, in order.
    pending: VecDeque<Handle>,
    /// With a nested hook running: the objects of `pending` before this
    /// index wait for it (they were queued before it started); [`finish`]
    /// takes those from here on.
    floor: usize,
    panic: Option<Box<dyn Any + Send>>,
    finishing: bool,
}

impl<C> EmbedState<C> {
    /// The state of a new heap: its one allocation is the release queue
    /// it shares with its roots; memory the system refuses is
    /// [`GcError::OutOfMemory`](crate::GcError::OutOfMemory) (the heap is
    /// not made).
    pub fn try_new() -> Result<Self, crate::GcError> {
        Self::with_queue(Shared::try_new(ReleaseQueue::default())?)
    }

    fn with_queue(released: SharedQueue) -> Result<Self, crate::GcError> {
        Ok(EmbedState {
            locals: LocalStack::of_handles()?,
            released,
            hook: Hook::None,
            pending: VecDeque::new(),
            floor: 0,
            panic: None,
            finishing: false,
        })
    }
}

impl<C> fmt::Debug for EmbedState<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbedState")
            .field("locals", &self.locals.len())
            .field("hook", &!matches!(self.hook, Hook::None))
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl<C> EmbedState<C> {
    /// Is a finalizer hook installed? Without one, [`Finalizer::Run`]
    /// acts as [`Finalizer::Notify`](crate::Finalizer::Notify).
    ///
    /// [`Finalizer::Run`]: crate::Finalizer::Run
    #[inline]
    pub fn has_hook(&self) -> bool {
        !matches!(self.hook, Hook::None)
    }

    /// Queues an object for the hook: `root` is a root the strategy made
    /// for it (the object stays alive until the hook has run).
    pub fn queue(&mut self, root: Handle) {
        self.pending.push_back(root);
    }

    /// Makes room to queue `additional` more objects, so that
    /// [`EmbedState::queue`] then allocates nothing (a strategy reserves
    /// when a finalizer is set, and queues without failing when it runs).
    /// Memory the system refuses is [`GcError::OutOfMemory`](crate::GcError::OutOfMemory).
    pub fn try_reserve_queue(&mut self, additional: usize) -> Result<(), crate::GcError> {
        self.pending
            .try_reserve(additional)
            .map_err(|_| crate::config::refused())
    }

    /// Does the operation that is ending have to call [`finish`]?
    #[inline]
    pub fn needs_finish(&self) -> bool {
        !self.finishing && (self.pending.len() > self.floor || self.panic.is_some())
    }

    /// Roots the embedding layer holds itself (objects waiting for the
    /// hook), which are not the embedder's.
    pub fn internal_roots(&self) -> usize {
        self.pending.len()
    }

    /// Dropped [`Root`](super::Root)s not yet released (a walk of the
    /// heap's release queue).
    pub fn dropped_roots(&self) -> usize {
        self.released.strong_waiting(usize::MAX)
    }

    /// Is any dropped [`Root`](super::Root) not yet released? (Stops at
    /// the first.)
    pub fn any_dropped_roots(&self) -> bool {
        self.released.strong_waiting(1) > 0
    }

    /// A state for a layer over the heap that owns `inner` (a collector
    /// that holds another): roots dropped through either layer go to one
    /// queue, and either releases them (until the heap under the layer is
    /// replaced: [`follow_layer`](Self::follow_layer)). Allocates nothing; fails only
    /// when local-stack stamps run out ([`GcError::TooMany`](crate::GcError::TooMany)).
    pub fn layered_over<D>(inner: &EmbedState<D>) -> Result<Self, crate::GcError> {
        Self::with_queue(inner.released.clone())
    }

    /// After the heap under this layer was replaced by another: the layer
    /// takes the new heap's release queue, so that roots made through it
    /// from now on go back to the heap they belong to, and its drains take
    /// only that heap's roots (the heap taken out keeps its own queue and
    /// its roots). Nothing when `inner` is the heap already under it. For a
    /// layer's own state only: a heap that takes another's queue leaves
    /// its own roots undrained (leaked, as its end reports).
    pub fn follow_layer<D>(&mut self, inner: &EmbedState<D>) {
        if !self.released.same(&inner.released) {
            self.released = inner.released.clone();
        }
    }

    /// The local stack kept here, for [`Collector::local_stack`]'s
    /// default.
    #[inline]
    pub fn default_locals(&mut self, key: LocalsKey) -> LocalsMut<'_> {
        let _ = key;
        LocalsMut::new(&mut self.locals)
    }

    /// The same, to read.
    #[inline]
    pub fn default_locals_ref(&self, key: LocalsKey) -> &LocalStack {
        let _ = key;
        &self.locals
    }

    /// Installs or removes the hook (see [`Collector::on_finalize`]).
    pub fn set_hook(&mut self, hook: Option<FinalizeHook<C>>) {
        self.hook = match hook {
            Some(h) => Hook::Idle(h),
            None => Hook::None,
        };
    }

    /// Installs a hook that runs nested (see [`NestedHook`]).
    pub fn set_nested_hook(&mut self, hook: NestedHook<C>) {
        self.hook = Hook::Nested(hook);
    }

    /// The next queued object [`finish`] may take (at the floor).
    fn take_next(&mut self) -> Option<Handle> {
        if self.pending.len() > self.floor {
            self.pending.remove(self.floor)
        } else {
            None
        }
    }
}

/// Calls the hook on `root`'s object now, if it is idle, and releases
/// `root`; returns `false` (keeping `root`) when the hook is busy, absent
/// or cannot run now (its context is not lent), so that the caller queues
/// the object instead. A strategy calls it where
/// its finalizers run in the middle of a collection (CPython's
/// `finalize_garbage`); a panic in the hook is kept and resumed by
/// [`finish`] once the operation is over.
pub fn run_hook_now<C: Collector>(heap: &mut C, root: Handle) -> bool {
    let state = heap.embed_state();
    if let Hook::Nested(hook) = &state.hook {
        let hook = hook.clone();
        return run_nested(heap, root, &*hook);
    }
    // Busy or absent: left as it is (a removed hook must stay removed, or
    // every later `Run` object would wait for a hook that never comes).
    let mut hook = match std::mem::replace(&mut state.hook, Hook::Running) {
        Hook::Idle(hook) => hook,
        other => {
            state.hook = other;
            return false;
        }
    };
    // The operations the hook makes, and the release of its root below,
    // end inside this call, which may be inside a collection: their own
    // end must neither run queued hooks nor resume a panic (that would
    // unwind through the collection half-done). The outermost operation's
    // `finish` does both.
    let outer = std::mem::replace(&mut state.finishing, true);
    let outcome = catch_unwind(AssertUnwindSafe(|| hook(heap, root)));
    let state = heap.embed_state();
    if matches!(state.hook, Hook::Running) {
        state.hook = Hook::Idle(hook);
    }
    let ran = conclude(heap, root, outcome);
    heap.embed_state().finishing = outer;
    ran
}

/// After a hook ran on `root`'s object: keeps a panic it raised for
/// [`finish`] to resume, and releases `root` if the hook ran (or
/// panicked). Answers whether it ran.
fn conclude<C: Collector>(heap: &mut C, root: Handle, outcome: std::thread::Result<bool>) -> bool {
    let ran = match outcome {
        Ok(ran) => ran,
        Err(payload) => {
            heap.embed_state().panic.get_or_insert(payload);
            true
        }
    };
    if ran {
        let _ = heap.release(root);
    }
    ran
}

/// [`run_hook_now`] with a nested hook: the operations it makes end as
/// any other does, running the finalizers they made due (inside this
/// one); those queued before it wait, behind what it and the release of
/// its object leave queued (CPython finalizes what an object's
/// deallocation frees before the next object).
fn run_nested<C: Collector>(
    heap: &mut C,
    root: Handle,
    hook: &(dyn Fn(&mut C, Handle) -> bool + Send + Sync),
) -> bool {
    let state = heap.embed_state();
    let floor = std::mem::replace(&mut state.floor, state.pending.len());
    let outer = std::mem::replace(&mut state.finishing, false);
    let outcome = catch_unwind(AssertUnwindSafe(|| hook(heap, root)));
    heap.embed_state().finishing = true;
    let ran = conclude(heap, root, outcome);
    let state = heap.embed_state();
    let (mine, len) = (state.floor, state.pending.len());
    if mine > floor && len > mine {
        state.pending.make_contiguous()[floor..len].rotate_right(len - mine);
    }
    state.floor = floor;
    state.finishing = outer;
    ran
}

/// Ends an operation: runs the hook on every queued object, in order,
/// releasing each root afterwards (which frees the object if nothing else
/// holds it now), then resumes the first panic a hook raised, once the heap
/// is consistent again. Re-entrant calls (from an operation the hook makes)
/// return at once: the outermost one drains the queue. When the hook
/// cannot run now (it is running further up, or its context is not lent),
/// the rest of the queue waits for the next operation.
pub fn finish<C: Collector>(heap: &mut C) {
    let state = heap.embed_state();
    if state.finishing {
        return;
    }
    state.finishing = true;
    loop {
        let state = heap.embed_state();
        let Some(root) = state.take_next() else {
            break;
        };
        if !run_hook_now(heap, root) {
            if heap.embed_state_ref().has_hook() {
                // Not now: it keeps its turn (room: it was just taken).
                let state = heap.embed_state();
                let at = state.floor;
                state.pending.insert(at, root);
                break;
            }
            // No hook (it was removed): the object was finalized already;
            // dropping the root frees it like a `Notify` finalizer's.
            let _ = heap.release(root);
        }
    }
    let state = heap.embed_state();
    state.finishing = false;
    if let Some(payload) = state.panic.take() {
        resume_unwind(payload);
    }
}

/// Makes `handle`, a root the caller gives up, a local on the heap's local
/// stack (the default of the `*_local` methods of [`Collector`]): its
/// place. Memory the system refuses for it is
/// [`GcError::OutOfMemory`](crate::GcError::OutOfMemory), and the root is
/// released.
#[inline(always)]
pub fn push_root<C: Collector>(
    heap: &mut C,
    handle: Handle,
    key: LocalsKey,
) -> Result<usize, crate::GcError> {
    match heap.local_stack(key).0.push_root(handle) {
        Ok(place) => Ok(place),
        Err(e) => {
            let _ = heap.release(handle);
            Err(e)
        }
    }
}

/// [`push_root`] on the stack whose stamp is `stack`, the one the
/// operation started with (see [`Collector::local_stack`]): when code the
/// operation ran swapped heaps, nothing is pushed and the answer is
/// [`GcError::ForeignHandle`](crate::GcError::ForeignHandle), and
/// `handle` is released if it is a root of the heap swapped in (made after
/// the swap); a root of the heap swapped out stays in that heap's table
/// (it is not here to release it).
#[inline(always)]
pub(crate) fn push_root_on<C: Collector>(
    heap: &mut C,
    stack: NonZeroU32,
    handle: Handle,
    key: LocalsKey,
) -> Result<usize, crate::GcError> {
    if heap.local_stack_ref(key).stamp() != stack {
        // `ForeignHandle` when it is the other heap's.
        let _ = heap.release(handle);
        return Err(crate::GcError::ForeignHandle);
    }
    push_root(heap, handle, key)
}

/// Releases the roots dropped since the last call ([`Root`](super::Root)
/// and [`WeakRoot`](super::WeakRoot) hand their handles back through a
/// queue, since a `Drop` cannot reach the heap).
#[inline]
pub fn release_dropped<C: Collector>(heap: &mut C) {
    if !heap.embed_state_ref().released.has_any() {
        return;
    }
    release_queued(heap);
}

/// Every root dropped by now, oldest first, one release (and its hooks)
/// after the other; allocates nothing. A hook's own operations release
/// only what was dropped since. A hook that panics, or swaps the heap
/// (`Scope::heap`), leaves the rest to its heap's next drain.
#[inline(never)]
fn release_queued<C: Collector>(heap: &mut C) {
    let queue = heap.embed_state_ref().released.clone();
    let mut chain = queue.take();
    while heap.embed_state_ref().released.same(&queue) {
        let Some(released) = chain.next_released() else {
            return;
        };
        // Refused only for a handle the embedder also released by hand
        // (stale: nothing to do). (A layer whose heap underneath is
        // replaced takes that heap's queue when it calls
        // `EmbedState::follow_layer`, as gc-any's `AnyCollector` does once
        // the replacement is over; no hook can replace it during a drain:
        // a layer's hook runs on the heap under it, which cannot reach the
        // layer.)
        let _ = match released {
            Released::Strong(h) => heap.release(h),
            Released::Weak(w) => heap.release_weak(w),
        };
    }
}
