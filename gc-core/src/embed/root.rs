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
//! queue. Released nodes go on the queue's free stack (lock-free too: its
//! top carries a count of its changes, so a pop cannot be fooled by a node
//! taken and put back meanwhile), for the next roots.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

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
/// root, before the push that publishes it; read by the heap after the
/// swap that takes it.
#[derive(Debug, Default)]
struct Node {
    /// The node below it on the dropped stack (then, once taken, the next
    /// one to release).
    next: AtomicU32,
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
    /// The first node never handed out.
    fresh: AtomicU64,
    segments: [OnceLock<Box<[Node]>>; SEGMENTS],
}

impl Default for ReleaseQueue {
    fn default() -> Self {
        ReleaseQueue {
            dropped: AtomicU32::new(NIL),
            free: AtomicU64::new(NIL as u64),
            fresh: AtomicU64::new(0),
            segments: [const { OnceLock::new() }; SEGMENTS],
        }
    }
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

    /// A node for a root about to be made: a free one, or one never used.
    /// `OutOfMemory` when the system refuses a new segment, `TooMany` past
    /// 4 billion roots at once.
    pub(super) fn node_for_root(&self) -> Result<u32, GcError> {
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

    /// A dropped root's handle, on its node: one compare-and-swap, no
    /// allocation, on any thread.
    fn push(&self, index: u32, released: Released) {
        // Always there: the node was handed out for this root.
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
        self.push_dropped(index, node);
    }

    /// Pushes `node` (node `index`, its handle written) on the dropped
    /// stack.
    fn push_dropped(&self, index: u32, node: &Node) {
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

    /// Is any dropped root waiting?
    #[inline]
    pub(super) fn has_any(&self) -> bool {
        self.dropped.load(Ordering::Relaxed) != NIL
    }

    /// Dropped strong roots not yet released: a walk down the stack (only
    /// pushes change it meanwhile, on top of where the walk starts; a
    /// take needs the heap, which the caller holds). Bounded by the nodes
    /// ever handed out, whatever happens.
    pub(super) fn len_strong(&self) -> usize {
        let (mut strong, mut steps) = (0, self.fresh.load(Ordering::Relaxed));
        // Acquire: the nodes below the top were written before their push.
        let mut at = self.dropped.load(Ordering::Acquire);
        while let Some(node) = self.node(at) {
            if steps == 0 {
                break;
            }
            steps -= 1;
            strong += usize::from(!node.weak.load(Ordering::Relaxed));
            at = node.next.load(Ordering::Relaxed);
        }
        strong
    }

    /// Takes every dropped root's node: the first of a chain (through
    /// [`ReleaseQueue::take_next`]) in the order they were dropped, or
    /// [`NIL`]. The caller owns the chain: no other thread reads or writes
    /// its nodes until they are handed out again.
    pub(super) fn take_all(&self) -> u32 {
        if !self.has_any() {
            return NIL;
        }
        // Acquire: every node on the stack was written before its push.
        let mut top = self.dropped.swap(NIL, Ordering::Acquire);
        // Turned around, oldest first.
        let mut first = NIL;
        while let Some(node) = self.node(top) {
            let below = node.next.load(Ordering::Relaxed);
            node.next.store(first, Ordering::Relaxed);
            first = top;
            top = below;
        }
        first
    }

    /// Puts the rest of a taken chain, from node `index` on, back on the
    /// dropped stack: the heap draining it was swapped for another (see
    /// `state.rs`), and its own heap releases them at its next operation.
    pub(super) fn put_back(&self, mut index: u32) {
        while let Some(node) = self.node(index) {
            let after = node.next.load(Ordering::Relaxed);
            self.push_dropped(index, node);
            index = after;
        }
    }

    /// The handle left on node `index` of a taken chain, and the next
    /// node of the chain ([`NIL`] after the last).
    pub(super) fn take_next(&self, index: u32) -> Option<(Released, u32)> {
        let node = self.node(index)?;
        let (heap, key) = (
            node.heap.load(Ordering::Relaxed),
            node.key.load(Ordering::Relaxed),
        );
        let released = if node.weak.load(Ordering::Relaxed) {
            Released::Weak(from_words(heap, key)?)
        } else {
            Released::Strong(from_words(heap, key)?)
        };
        Some((released, node.next.load(Ordering::Relaxed)))
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
/// never allocates); dropping it, on any thread, is one compare-and-swap
/// — keep the cheaper [`Local`](super::Local)s for the rest.
#[derive(Debug)]
pub struct Root {
    handle: Handle,
    node: u32,
    /// `None` only once the handle was given back by [`Root::into_handle`].
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

    /// Gives the handle back without queueing it (the caller has released
    /// it), and its node to the queue's free stack.
    pub(super) fn into_handle(mut self) -> Handle {
        if let Some(queue) = self.queue.take() {
            queue.free(self.node);
        }
        self.handle
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        if let Some(queue) = &self.queue {
            queue.push(self.node, Released::Strong(self.handle));
        }
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

impl Drop for WeakRoot {
    fn drop(&mut self) {
        self.queue.push(self.node, Released::Weak(self.handle));
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

    /// Every taken chain, oldest first, until it is empty.
    fn drain(q: &ReleaseQueue) -> Vec<u32> {
        let mut out = Vec::new();
        let mut next = q.take_all();
        while next != NIL {
            let (released, after) = q.take_next(next).unwrap();
            let Released::Strong(h) = released else {
                panic!("only strong roots here");
            };
            out.push(to_words(h).1 as u32);
            q.free(next);
            next = after;
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
        assert_eq!(q.len_strong(), 100);
        assert_eq!(drain(&q), (0..100).collect::<Vec<_>>());
        assert_eq!(q.len_strong(), 0);
        assert!(!q.has_any());
        let again = q.node_for_root().unwrap();
        assert!(again < 100);
        assert_eq!(q.fresh.load(Ordering::Relaxed), 100);
    }

    /// A chain put back part-way (its heap was swapped) comes back, in
    /// order, at the next drain.
    #[test]
    fn a_chain_put_back_comes_back_at_the_next_drain() {
        let q = Shared::try_new(ReleaseQueue::default()).unwrap();
        let heap = fresh_heap();
        let roots: Vec<Root> = (0..5)
            .map(|i| Root::new(handle(heap, i), q.clone(), q.node_for_root().unwrap()))
            .collect();
        drop(roots);
        let first = q.take_all();
        let (_, second) = q.take_next(first).unwrap();
        q.free(first);
        q.put_back(second);
        assert_eq!(q.len_strong(), 4);
        assert_eq!(drain(&q), vec![1, 2, 3, 4]);
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
        assert_eq!(q.len_strong(), 0);
    }
}
