//! Roots that outlive a scope: [`Root`] and [`WeakRoot`], released when
//! dropped.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::shared::Shared;
use crate::{GcError, Handle, HeapId, WeakHandle};

#[derive(Debug, Clone, Copy)]
pub(super) enum Released {
    Strong(Handle),
    Weak(WeakHandle),
}

/// Where a dropped root leaves its handle until the heap's next
/// operation releases it. Shared by the heap and its roots, so a root may
/// be dropped after its heap (its handle then goes nowhere).
///
/// A `Drop` must not allocate: every root reserves its place in the queue
/// when it is made ([`ReleaseQueue::reserve`], which may be refused), so
/// that `handles` always has room for every root still out.
#[derive(Debug, Default)]
pub(super) struct ReleaseQueue {
    any: AtomicBool,
    strong: AtomicUsize,
    queue: Mutex<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    /// Dropped roots' handles, oldest first.
    handles: VecDeque<Released>,
    /// Roots made and not yet dropped: `handles` has room for them.
    reserved: usize,
}

impl ReleaseQueue {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room for the handle of one more root, which then drops
    /// without allocating. Memory the system refuses is `OutOfMemory`.
    pub(super) fn reserve(&self) -> Result<(), GcError> {
        let mut q = self.lock();
        let reserved = q.reserved + 1;
        q.handles
            .try_reserve(reserved)
            .map_err(|_| crate::config::refused())?;
        q.reserved = reserved;
        Ok(())
    }

    /// Gives back the room of a root that will not be dropped into the
    /// queue (never made, or its handle taken back).
    pub(super) fn unreserve(&self) {
        let mut q = self.lock();
        q.reserved = q.reserved.saturating_sub(1);
    }

    /// A dropped root's handle, in the room it reserved: no allocation.
    fn push(&self, r: Released) {
        let mut q = self.lock();
        q.reserved = q.reserved.saturating_sub(1);
        q.handles.push_back(r);
        if matches!(r, Released::Strong(_)) {
            self.strong.fetch_add(1, Ordering::Relaxed);
        }
        self.any.store(true, Ordering::Release);
    }

    #[inline]
    pub(super) fn has_any(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    pub(super) fn len_strong(&self) -> usize {
        self.strong.load(Ordering::Relaxed)
    }

    /// Handles waiting now.
    pub(super) fn len(&self) -> usize {
        self.lock().handles.len()
    }

    /// Moves the oldest waiting handles, at most `out.len()` of them, to
    /// the front of `out`; returns how many. The queue keeps its room.
    pub(super) fn pop_into(&self, out: &mut [Option<Released>]) -> usize {
        let mut q = self.lock();
        let mut n = 0;
        for o in out.iter_mut() {
            let Some(r) = q.handles.pop_front() else {
                break;
            };
            if matches!(r, Released::Strong(_)) {
                self.strong.fetch_sub(1, Ordering::Relaxed);
            }
            *o = Some(r);
            n += 1;
        }
        if q.handles.is_empty() {
            self.any.store(false, Ordering::Release);
        }
        n
    }
}

/// A heap's release queue, shared with its roots.
pub(super) type SharedQueue = Shared<ReleaseQueue>;

/// A root that outlives any scope: keep one in your own structures (a
/// global, a cache entry, an interpreter frame). It keeps its object alive
/// until it is dropped; the heap releases it at its next operation (or at
/// once with [`Scope::unroot`](super::Scope::unroot)).
///
/// Make one with [`Scope::root`](super::Scope::root); read through it with
/// [`Scope::local`](super::Scope::local). It costs one shared pointer, the
/// room for its handle in the heap's release queue (reserved when it is
/// made, so that dropping it never allocates) and a lock of an uncontended
/// mutex when made and when dropped — keep the cheap
/// [`Local`](super::Local)s for the rest.
#[derive(Debug)]
pub struct Root {
    handle: Handle,
    /// `None` only once the handle was given back by [`Root::into_handle`].
    queue: Option<SharedQueue>,
}

impl Root {
    /// `queue` has room for `handle` ([`ReleaseQueue::reserve`]).
    pub(super) fn new(handle: Handle, queue: SharedQueue) -> Self {
        Root {
            handle,
            queue: Some(queue),
        }
    }

    /// The raw handle (valid while this root lives), for the raw
    /// [`Collector`](crate::Collector) API.
    pub fn handle(&self) -> Handle {
        self.handle
    }

    /// The heap it belongs to.
    pub fn heap(&self) -> HeapId {
        self.handle.heap()
    }

    /// Gives the handle back without queueing it: the caller releases it.
    pub(super) fn into_handle(mut self) -> Handle {
        if let Some(queue) = self.queue.take() {
            queue.unreserve();
        }
        self.handle
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        if let Some(queue) = &self.queue {
            queue.push(Released::Strong(self.handle));
        }
    }
}

/// A weak reference that outlives any scope; released when dropped.
/// [`Scope::upgrade`](super::Scope::upgrade) gives a local to the referent
/// while it lives.
#[derive(Debug)]
pub struct WeakRoot {
    handle: WeakHandle,
    queue: SharedQueue,
}

impl WeakRoot {
    /// `queue` has room for `handle` ([`ReleaseQueue::reserve`]).
    pub(super) fn new(handle: WeakHandle, queue: SharedQueue) -> Self {
        WeakRoot { handle, queue }
    }

    /// The raw weak handle (valid while this lives).
    pub fn handle(&self) -> WeakHandle {
        self.handle
    }
}

impl Drop for WeakRoot {
    fn drop(&mut self) {
        self.queue.push(Released::Weak(self.handle));
    }
}
