//! Roots that outlive a scope: [`Root`] and [`WeakRoot`], released when
//! dropped.
//!
//! A dropped root cannot release its handle itself (it has no heap), so it
//! leaves the handle on its heap's [`ReleaseQueue`], which the heap's next
//! operation drains. The queue is lock-free: every root owns a *node* of
//! the queue from the moment it is made, so that dropping it, on any
//! thread, writes the handle into that node and pushes the node with one
//! compare-and-swap, allocating nothing; the heap takes every pushed node
//! with one swap. Nodes live in segments that are never moved or freed
//! while the queue lives (segment `k` holds `FIRST << k` nodes), so a node
//! index names the same node for as long as any root or heap holds the
//! queue. Clones of a root share its node and handle; the node counts
//! them, and the last one dropped pushes it.
//!
//! The heap turns what it takes around (oldest first) and releases it one
//! root at a time, each release (its hooks too) done before the next; a
//! hook's own operations drain only what was dropped since, and a hook
//! that panics or swaps the heap leaves the rest to the next drain, first
//! ([`Chain`]). Released nodes go
//! on the queue's free stack (lock-free too: its top carries a count of
//! its changes, so a pop cannot be fooled by a node taken and put back
//! meanwhile), for the next roots.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering, fence};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use super::shared::Shared;
use crate::handle::{from_words, to_words};
use crate::{GcError, Handle, HeapId, WeakHandle};

/// What a dropped root leaves for its heap to release.
#[derive(Debug, Clone, Copy)]
pub(super) enum Released {
    Strong(Handle),
    Weak(WeakHandle),
}

/// The end of a chain of nodes.
const NIL: u32 = u32::MAX;
/// Nodes in segment 0; segment `k` holds `FIRST << k`.
const FIRST: usize = 64;
/// Segments: room for 64 × (2^26 − 1), about 4.3 billion nodes, every
/// index below [`NIL`].
const SEGMENTS: usize = 26;
/// Nodes the segments hold in all.
const CAPACITY: u64 = FIRST as u64 * ((1 << SEGMENTS) - 1);

/// One root's place in the queue. Written by the thread that drops the
/// root's last clone, before the push that publishes it; read by the heap
/// after the swap that takes it.
#[derive(Debug, Default)]
struct Node {
    /// The node below it on the dropped stack (then, once taken, the next
    /// one to release).
    next: AtomicU32,
    /// Clones of the root alive (1 when it is made).
    clones: AtomicU32,
    /// The handle's index and generation.
    key: AtomicU64,
    /// The handle's heap.
    heap: AtomicU32,
    weak: AtomicBool,
}

/// Where dropped roots leave their handles until the heap's next
/// operation releases them. Shared by the heap and its roots, so a root may
/// be dropped after its heap (its handle then goes nowhere).
#[derive(Debug)]
pub(super) struct ReleaseQueue {
    /// The top of the stack of dropped roots' nodes ([`NIL`]: none), last
    /// dropped on top.
    dropped: AtomicU32,
    /// The top of the stack of free nodes in the low half ([`NIL`]: none),
    /// and in the high half a count of the pushes and pops, so that a pop
    /// fails if the stack changed since it read the top.
    free: AtomicU64,
    /// Roots a drain took but did not release (its release's hook
    /// panicked, or swapped the heap), oldest first: the next drain
    /// releases them first. Rare, so under a mutex: two states that share
    /// a queue (`EmbedState::layered_over`) may drain it on two threads (a
    /// layer that does not follow the heap under it when that is taken
    /// out and replaced: `EmbedState::follow_layer`).
    pending: Mutex<Pending>,
    /// `pending` holds some: read without the lock by every drain.
    any_pending: AtomicBool,
    /// The first node never handed out.
    fresh: AtomicU64,
    segments: [OnceLock<Box<[Node]>>; SEGMENTS],
}

impl Default for ReleaseQueue {
    fn default() -> Self {
        ReleaseQueue {
            dropped: AtomicU32::new(NIL),
            free: AtomicU64::new(NIL as u64),
            pending: Mutex::new(Pending {
                first: NIL,
                last: NIL,
            }),
            any_pending: AtomicBool::new(false),
            fresh: AtomicU64::new(0),
            segments: [const { OnceLock::new() }; SEGMENTS],
        }
    }
}

/// A chain of nodes, first to last ([`NIL`]: empty).
#[derive(Debug)]
struct Pending {
    first: u32,
    last: u32,
}

/// The free stack's word after a push or pop that leaves `index` on top.
#[inline]
fn changed(top: u64, index: u32) -> u64 {
    ((top >> 32).wrapping_add(1) << 32) | u64::from(index)
}

/// The segment of node `index` and its place there.
#[inline]
fn locate(index: u32) -> (usize, usize) {
    let j = index as usize / FIRST + 1;
    let k = (usize::BITS - 1 - j.leading_zeros()) as usize;
    (k, index as usize - FIRST * ((1 << k) - 1))
}

impl ReleaseQueue {
    /// Node `index` (handed out by [`ReleaseQueue::node_for_root`], whose
    /// segment was made before it was), or `None` for an index never
    /// handed out.
    #[inline]
    fn node(&self, index: u32) -> Option<&Node> {
        let (k, at) = locate(index);
        self.segments.get(k)?.get()?.get(at)
    }

    /// A node for a root about to be made (its one clone counted): a free
    /// one, or one never used. `OutOfMemory` when the system refuses a new
    /// segment, `TooMany` past 4 billion roots at once.
    pub(super) fn node_for_root(&self) -> Result<u32, GcError> {
        let index = self.pop_node()?;
        if let Some(node) = self.node(index) {
            node.clones.store(1, Ordering::Relaxed);
        }
        Ok(index)
    }

    fn pop_node(&self) -> Result<u32, GcError> {
        let mut top = self.free.load(Ordering::Acquire);
        // Acquire (as the push's release): the node's `next` is the one
        // written before it was pushed.
        while let Some(node) = self.node(top as u32) {
            let below = node.next.load(Ordering::Relaxed);
            match self.free.compare_exchange_weak(
                top,
                changed(top, below),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(top as u32),
                Err(now) => top = now,
            }
        }
        let index = self
            .fresh
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < CAPACITY).then_some(n + 1)
            })
            .map_err(|_| GcError::TooMany {
                what: "roots",
                limit: CAPACITY,
            })? as u32;
        let (k, _) = locate(index);
        if self.segments[k].get().is_none() {
            let len = FIRST << k;
            let mut nodes = Vec::new();
            if nodes.try_reserve_exact(len).is_err() {
                // `index` is skipped: the next fresh node tries again.
                return Err(crate::config::refused());
            }
            nodes.resize_with(len, Node::default);
            // Another heap sharing this queue may have made it meanwhile:
            // then this one is dropped.
            let _ = self.segments[k].set(nodes.into_boxed_slice());
        }
        Ok(index)
    }

    /// Puts node `index` (no root's, and on no stack) on the free stack.
    pub(super) fn free(&self, index: u32) {
        let Some(node) = self.node(index) else {
            return;
        };
        let mut top = self.free.load(Ordering::Relaxed);
        loop {
            node.next.store(top as u32, Ordering::Relaxed);
            match self.free.compare_exchange_weak(
                top,
                changed(top, index),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => top = now,
            }
        }
    }

    /// One more clone of node `index`'s root.
    fn add_clone(&self, index: u32) {
        if let Some(node) = self.node(index) {
            // As `Arc`: the clone is made from a live one, so the count
            // is not 0; clones leaked (`mem::forget`) past `i32::MAX`
            // abort rather than let it wrap to 1 (a node for two roots).
            if node.clones.fetch_add(1, Ordering::Relaxed) > i32::MAX as u32 {
                std::process::abort();
            }
        }
    }

    /// One clone of node `index`'s root is dropped: true when it was the
    /// last. An unshared root (the usual case) costs one load: with the
    /// count at 1 and this clone being dropped, no other clone exists to
    /// change it.
    #[inline]
    fn drop_clone(&self, index: u32) -> bool {
        let Some(node) = self.node(index) else {
            return false;
        };
        // Acquire: what the other clones did before their drop is done
        // before the root is queued.
        if node.clones.load(Ordering::Acquire) == 1 {
            return true;
        }
        if node.clones.fetch_sub(1, Ordering::Release) == 1 {
            fence(Ordering::Acquire);
            return true;
        }
        false
    }

    /// A dropped root's handle, on its node: one compare-and-swap, no
    /// allocation, on any thread.
    fn push(&self, index: u32, released: Released) {
        // Always there: this queue handed the node out for this root.
        let Some(node) = self.node(index) else {
            return;
        };
        let ((heap, key), weak) = match released {
            Released::Strong(h) => (to_words(h), false),
            Released::Weak(w) => (to_words(w), true),
        };
        node.key.store(key, Ordering::Relaxed);
        node.heap.store(heap, Ordering::Relaxed);
        node.weak.store(weak, Ordering::Relaxed);
        let mut top = self.dropped.load(Ordering::Relaxed);
        loop {
            node.next.store(top, Ordering::Relaxed);
            // Release: the node's words are visible to the swap that
            // takes it (every later push is a read-modify-write, which
            // continues this release sequence).
            match self.dropped.compare_exchange_weak(
                top,
                index,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => top = now,
            }
        }
    }

    /// Is any dropped root waiting (on the stack, or left by a drain)?
    #[inline]
    pub(super) fn has_any(&self) -> bool {
        self.dropped.load(Ordering::Relaxed) != NIL || self.any_pending.load(Ordering::Relaxed)
    }

    fn lock_pending(&self) -> MutexGuard<'_, Pending> {
        // Nothing panics holding it.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The strong roots among those waiting, counting up to `limit`: a
    /// walk of the stack and of what a drain left. Only pushes change
    /// them meanwhile, on top of where the walk starts: a take needs the
    /// heap, which the caller holds (exact unless another heap sharing
    /// the queue drains meanwhile). Bounded by the nodes ever handed out,
    /// whatever happens.
    pub(super) fn strong_waiting(&self, limit: usize) -> usize {
        let (mut strong, mut steps) = (0, self.fresh.load(Ordering::Relaxed));
        // The lock only when a drain left some (rare): gc-py asks before
        // every call.
        let pending = self
            .any_pending
            .load(Ordering::Relaxed)
            .then(|| self.lock_pending());
        let left = pending.as_ref().map_or(NIL, |p| p.first);
        // Acquire: the nodes below the top were written before their push.
        for start in [self.dropped.load(Ordering::Acquire), left] {
            let mut at = start;
            while let Some(node) = self.node(at) {
                if steps == 0 || strong == limit {
                    return strong;
                }
                steps -= 1;
                strong += usize::from(!node.weak.load(Ordering::Relaxed));
                at = node.next.load(Ordering::Relaxed);
            }
        }
        strong
    }

    /// Takes every waiting root, oldest first: the chain a drain left
    /// (see [`Chain`]'s drop), then the stack, turned around. The chain is
    /// the caller's: no other take can reach its nodes.
    pub(super) fn take(&self) -> Chain<'_> {
        let (mut first, mut last) = (NIL, NIL);
        if self.any_pending.load(Ordering::Relaxed) {
            // The lock orders the nodes' links written before it was
            // released.
            let mut pending = self.lock_pending();
            first = std::mem::replace(&mut pending.first, NIL);
            last = std::mem::replace(&mut pending.last, NIL);
            self.any_pending.store(false, Ordering::Relaxed);
        }
        if self.dropped.load(Ordering::Relaxed) != NIL {
            // Acquire: every node on the stack was written before its push.
            let mut top = self.dropped.swap(NIL, Ordering::Acquire);
            // Turned around, oldest first. (Bounded by the nodes ever
            // handed out: a node pushed twice, which only a bug could do,
            // would make a loop.)
            let (mut turned, newest, mut steps) = (NIL, top, self.fresh.load(Ordering::Relaxed));
            while let Some(node) = self.node(top) {
                if steps == 0 {
                    debug_assert!(false, "a root's node was pushed twice");
                    break;
                }
                steps -= 1;
                let below = node.next.load(Ordering::Relaxed);
                node.next.store(turned, Ordering::Relaxed);
                turned = top;
                top = below;
            }
            match self.node(last) {
                Some(tail) if first != NIL => tail.next.store(turned, Ordering::Relaxed),
                _ => first = turned,
            }
            last = newest;
        }
        Chain {
            queue: self,
            first,
            last,
        }
    }
}

/// Roots a drain took, oldest first, to release one at a time: each
/// release finishes (its hooks too) before the next, as CPython's
/// decrements do, and a drain nested in a hook takes only what was
/// dropped since. Dropped with roots left in it (a hook panicked, or
/// swapped the heap), it leaves them to the queue's next drain, first.
pub(super) struct Chain<'q> {
    queue: &'q ReleaseQueue,
    first: u32,
    last: u32,
}

impl Chain<'_> {
    /// The oldest root left, taken off the chain: its handle, for the
    /// caller to release. Its node goes back to the free stack first.
    pub(super) fn next_released(&mut self) -> Option<Released> {
        loop {
            let node = self.queue.node(self.first)?;
            let (heap, key) = (
                node.heap.load(Ordering::Relaxed),
                node.key.load(Ordering::Relaxed),
            );
            let released = if node.weak.load(Ordering::Relaxed) {
                from_words(heap, key).map(Released::Weak)
            } else {
                from_words(heap, key).map(Released::Strong)
            };
            let index = std::mem::replace(&mut self.first, node.next.load(Ordering::Relaxed));
            self.queue.free(index);
            // Every pushed node holds a handle (heap ids are not 0).
            debug_assert!(released.is_some(), "a node without a handle");
            if released.is_some() {
                return released;
            }
        }
    }
}

impl Drop for Chain<'_> {
    fn drop(&mut self) {
        let q = self.queue;
        let Some(tail) = q.node(self.last).filter(|_| self.first != NIL) else {
            return;
        };
        // In front of what an earlier drain left (none, unless a drain
        // nested in this one's release stopped early too).
        let mut pending = q.lock_pending();
        tail.next.store(pending.first, Ordering::Relaxed);
        if pending.first == NIL {
            pending.last = self.last;
        }
        pending.first = self.first;
        q.any_pending.store(true, Ordering::Relaxed);
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
/// [`Scope::local`](super::Scope::local). It costs one shared pointer and
/// a node of the heap's release queue (made with it, so that dropping it
/// never allocates); dropping it, on any thread, is a load and one
/// compare-and-swap (a clone with others left: one atomic decrement)
/// — keep the cheaper [`Local`](super::Local)s for the rest. Clones share
/// the root, as `Rc`'s do: the object lives until the last is dropped.
#[derive(Debug)]
pub struct Root {
    handle: Handle,
    node: u32,
    /// `None` only once the handle was given back by [`Root::into_last`].
    queue: Option<SharedQueue>,
}

impl Root {
    /// `node` was handed out by `queue` for this root.
    pub(super) fn new(handle: Handle, queue: SharedQueue, node: u32) -> Self {
        Root {
            handle,
            node,
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

    /// Is it a root of the heap (or heaps) sharing `queue`?
    pub(super) fn is_of(&self, queue: &SharedQueue) -> bool {
        self.queue.as_ref().is_some_and(|q| q.same(queue))
    }

    /// The handle, if this is the root's last clone: then it is not
    /// queued, and the caller releases it and tells the [`LastClone`]
    /// how that went. Otherwise this clone is dropped, and the others keep
    /// the root.
    pub(super) fn into_last(mut self) -> Option<(Handle, LastClone)> {
        let queue = self.queue.take()?;
        if queue.drop_clone(self.node) {
            return Some((
                self.handle,
                LastClone {
                    queue,
                    node: self.node,
                },
            ));
        }
        None
    }
}

/// A clone shares the root (one handle, one node of the queue, no heap
/// call): the object lives while any clone does, and the root is released
/// once the last clone is dropped, as with `Rc`. Two atomic increments.
impl Clone for Root {
    fn clone(&self) -> Self {
        if let Some(queue) = &self.queue {
            queue.add_clone(self.node);
        }
        Root {
            handle: self.handle,
            node: self.node,
            queue: self.queue.clone(),
        }
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        if let Some(queue) = &self.queue {
            if queue.drop_clone(self.node) {
                queue.push(self.node, Released::Strong(self.handle));
            }
        }
    }
}

/// A root's node after its last clone was taken apart
/// ([`Root::into_last`]): [`LastClone::released`] frees the node once the
/// handle is released, [`LastClone::requeue`] queues the handle instead.
pub(super) struct LastClone {
    queue: SharedQueue,
    node: u32,
}

impl LastClone {
    /// The handle was released: the node is free.
    pub(super) fn released(self) {
        self.queue.free(self.node);
    }

    /// The handle could not be released here: queued, as a drop would
    /// have, for the next drain.
    pub(super) fn requeue(self, handle: Handle) {
        self.queue.push(self.node, Released::Strong(handle));
    }
}

/// A weak reference that outlives any scope; released when dropped.
/// [`Scope::upgrade`](super::Scope::upgrade) gives a local to the referent
/// while it lives.
#[derive(Debug)]
pub struct WeakRoot {
    handle: WeakHandle,
    node: u32,
    queue: SharedQueue,
}

impl WeakRoot {
    /// `node` was handed out by `queue` for this weak root.
    pub(super) fn new(handle: WeakHandle, queue: SharedQueue, node: u32) -> Self {
        WeakRoot {
            handle,
            node,
            queue,
        }
    }

    /// The raw weak handle (valid while this lives).
    pub fn handle(&self) -> WeakHandle {
        self.handle
    }
}

/// A clone shares the weak root, as [`Root`]'s clones do.
impl Clone for WeakRoot {
    fn clone(&self) -> Self {
        self.queue.add_clone(self.node);
        WeakRoot {
            handle: self.handle,
            node: self.node,
            queue: self.queue.clone(),
        }
    }
}

impl Drop for WeakRoot {
    fn drop(&mut self) {
        if self.queue.drop_clone(self.node) {
            self.queue.push(self.node, Released::Weak(self.handle));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_fill_each_segment_then_the_next() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(64 + 127), (1, 127));
        assert_eq!(locate(64 + 128), (2, 0));
        let last = (CAPACITY - 1) as u32;
        assert_eq!(locate(last), (SEGMENTS - 1, (FIRST << (SEGMENTS - 1)) - 1));
        assert!(CAPACITY <= u64::from(NIL));
    }

    /// Handle `index` of a fresh heap (the heap's word from a table's
    /// handle: only tables make handles).
    fn handle(heap: u32, index: u32) -> Handle {
        from_words(heap, u64::from(index)).unwrap()
    }

    fn fresh_heap() -> u32 {
        let table_handle: Handle = crate::RootTable::<u8>::new(HeapId::fresh().unwrap()).insert(0);
        to_words(table_handle).0
    }

    /// Every waiting root's handle index, oldest first.
    fn drain(q: &ReleaseQueue) -> Vec<u32> {
        let mut out = Vec::new();
        let mut chain = q.take();
        while let Some(released) = chain.next_released() {
            let Released::Strong(h) = released else {
                panic!("only strong roots here");
            };
            out.push(to_words(h).1 as u32);
        }
        out
    }

    /// Roots dropped on one thread come back in the order they were
    /// dropped; a released node is handed out again.
    #[test]
    fn dropped_handles_come_back_oldest_first_and_nodes_are_reused() {
        let q = Shared::try_new(ReleaseQueue::default()).unwrap();
        let heap = fresh_heap();
        let roots: Vec<Root> = (0..100)
            .map(|i| {
                let node = q.node_for_root().unwrap();
                Root::new(handle(heap, i), q.clone(), node)
            })
            .collect();
        assert_eq!(q.fresh.load(Ordering::Relaxed), 100);
        drop(roots);
        assert_eq!(q.strong_waiting(usize::MAX), 100);
        assert_eq!(drain(&q), (0..100).collect::<Vec<_>>());
        assert_eq!(q.strong_waiting(usize::MAX), 0);
        assert!(!q.has_any());
        let again = q.node_for_root().unwrap();
        assert!(again < 100);
        assert_eq!(q.fresh.load(Ordering::Relaxed), 100);
    }

    /// A drain nested in a release takes only what was dropped since;
    /// a chain dropped part-way (a hook panicked) is released first by the
    /// next drain.
    #[test]
    fn a_nested_drain_takes_what_was_dropped_since_and_a_chain_left_goes_first() {
        let q = Shared::try_new(ReleaseQueue::default()).unwrap();
        let heap = fresh_heap();
        let root = |i| Root::new(handle(heap, i), q.clone(), q.node_for_root().unwrap());
        drop((root(0), root(1), root(2)));
        let mut outer = q.take();
        assert!(matches!(outer.next_released(), Some(Released::Strong(_))));
        // Root 0's release runs a hook, which drops two roots and drains.
        drop((root(3), root(4)));
        assert_eq!(q.strong_waiting(usize::MAX), 2);
        assert_eq!(drain(&q), vec![3, 4]);
        // Root 1's release runs a hook that panics, and drops a root first.
        assert!(matches!(outer.next_released(), Some(Released::Strong(_))));
        drop(root(5));
        drop(outer);
        assert_eq!(q.strong_waiting(usize::MAX), 2);
        assert_eq!(q.strong_waiting(1), 1);
        assert_eq!(drain(&q), vec![2, 5]);
        assert!(!q.has_any());
    }

    /// Clones share one node: only the last one dropped queues the
    /// handle, once, whichever thread drops it.
    #[test]
    fn the_last_clone_dropped_queues_the_root_once() {
        let q = Shared::try_new(ReleaseQueue::default()).unwrap();
        let heap = fresh_heap();
        let root = Root::new(handle(heap, 7), q.clone(), q.node_for_root().unwrap());
        let clones: Vec<Root> = (0..4).map(|_| root.clone()).collect();
        drop(root);
        assert!(!q.has_any());
        std::thread::scope(|s| {
            for c in clones {
                s.spawn(move || drop(c));
            }
        });
        assert_eq!(drain(&q), vec![7]);
        // The node is reused with one clone counted again.
        let again = Root::new(handle(heap, 8), q.clone(), q.node_for_root().unwrap());
        drop(again);
        assert_eq!(drain(&q), vec![8]);
    }

    /// Roots dropped on several threads at once: each handle comes back
    /// exactly once.
    #[test]
    fn roots_dropped_on_several_threads_come_back_once_each() {
        let per_thread = if cfg!(miri) { 20 } else { 2000 };
        let q = Shared::try_new(ReleaseQueue::default()).unwrap();
        let heap = fresh_heap();
        let mut seen = Vec::new();
        let batches: Vec<Vec<Root>> = (0..4u32)
            .map(|t| {
                (0..per_thread)
                    .map(|i| {
                        let node = q.node_for_root().unwrap();
                        Root::new(handle(heap, t * per_thread + i), q.clone(), node)
                    })
                    .collect()
            })
            .collect();
        std::thread::scope(|s| {
            for batch in batches {
                s.spawn(move || drop(batch));
            }
            // The heap drains while they drop.
            for _ in 0..10 {
                seen.extend(drain(&q));
            }
        });
        seen.extend(drain(&q));
        seen.sort_unstable();
        assert_eq!(seen, (0..4 * per_thread).collect::<Vec<_>>());
        assert_eq!(q.strong_waiting(usize::MAX), 0);
    }
}
