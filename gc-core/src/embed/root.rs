//! Roots that outlive a scope: [`Root`] and [`WeakRoot`], released when
//! dropped.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};

use crate::{Handle, HeapId, WeakHandle};

#[derive(Debug, Clone, Copy)]
pub(super) enum Released {
    Strong(Handle),
    Weak(WeakHandle),
}

/// Where a dropped root leaves its handle until the heap's next
/// operation releases it. Shared by the heap and its roots, so a root may
/// be dropped after its heap (its handle then goes nowhere).
#[derive(Debug, Default)]
pub(super) struct ReleaseQueue {
    any: AtomicBool,
    strong: AtomicUsize,
    handles: Mutex<Vec<Released>>,
}

impl ReleaseQueue {
    fn push(&self, r: Released) {
        let mut handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        handles.push(r);
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

    pub(super) fn take(&self) -> Vec<Released> {
        let mut handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        self.any.store(false, Ordering::Release);
        self.strong.store(0, Ordering::Relaxed);
        std::mem::take(&mut *handles)
    }
}

/// A root that outlives any scope: keep one in your own structures (a
/// global, a cache entry, an interpreter frame). It keeps its object alive
/// until it is dropped; the heap releases it at its next operation (or at
/// once with [`Scope::unroot`](super::Scope::unroot)).
///
/// Make one with [`Scope::root`](super::Scope::root); read through it with
/// [`Scope::local`](super::Scope::local). It costs one shared pointer and,
/// when dropped, one lock of an uncontended mutex — keep the cheap
/// [`Local`](super::Local)s for the rest.
#[derive(Debug)]
pub struct Root {
    handle: Handle,
    /// `None` only once the handle was given back by [`Root::into_handle`].
    queue: Option<Arc<ReleaseQueue>>,
}

impl Root {
    pub(super) fn new(handle: Handle, queue: Arc<ReleaseQueue>) -> Self {
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
        self.queue = None;
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
    queue: Arc<ReleaseQueue>,
}

impl WeakRoot {
    pub(super) fn new(handle: WeakHandle, queue: Arc<ReleaseQueue>) -> Self {
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
