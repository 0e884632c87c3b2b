//! Freeing at count zero, without recursion.
//!
//! CPython's `subtype_dealloc` is recursive: it runs the object's finalizer,
//! clears its weak references, then drops each slot in order (a tuple's
//! `tupledealloc` drops its members last first), and a slot whose count
//! reaches zero is deallocated right there, depth first. We keep that order
//! (it decides the order of finalizer and callback events) with an explicit
//! stack of `(object, next slot)` frames.
//!
//! CPython bounds that recursion with its *trashcan*: a node or tuple whose
//! deallocation would nest 50 deep (`_PyTrash_UNWIND_LEVEL`) is deposited
//! on a list instead, before its finalizer runs, and once the outermost
//! deallocation is over the deposited objects are deallocated last
//! deposited first (`_PyTrash_thread_destroy_chain`, itself one level
//! deep). That changes the order of events in structures deeper than 50, so
//! we do the same: the stack never holds more than 50 frames, and a linked
//! list of any length is freed 49 links at a time.
//!
//! Freeing never allocates, so it cannot fail: the stack's room is
//! reserved when the heap is made (the trashcan bounds its depth), the
//! deposited objects are linked through their own count words (zero and
//! unused once deposited; CPython links them through their GC headers),
//! and what a finalizer adds (a saved-list entry, a root and a queue entry
//! for the hook) was reserved when the finalizer was set (`set_finalizer`).

use super::slots::INLINE_MAX;
use super::{ObjRef, RcHeap, RcPolicy, Slot, flags};
use crate::Collector;

/// CPython's `_PyTrash_UNWIND_LEVEL`.
const TRASH_UNWIND_LEVEL: u32 = 50;

/// The most frames the stack holds: the trashcan's frames, and one leaf (an
/// atom or a weak-reference object, which has no slots) above them.
pub(super) const MAX_FRAMES: usize = TRASH_UNWIND_LEVEL as usize + 1;

#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    object: ObjRef,
    next_slot: u32,
    /// An object with up to [`INLINE_MAX`] slots: how many, and the slots
    /// themselves, copied out whole when it was opened (nothing reads its
    /// slots while it is being freed: it is unreachable), so that dropping
    /// them reads no header. [`IN_ARENA`]: its slots are read from the
    /// arena one at a time.
    inline_len: u32,
    /// Copied in one piece, not slot by slot in the order they are
    /// dropped: the frame is read back at once, and a wide load of narrow
    /// stores stalls store-to-load forwarding.
    inline: [Slot; INLINE_MAX],
    /// The slots are dropped last first (a tuple's).
    last_first: bool,
    trashcan: bool,
}

/// [`Frame::inline_len`] of an object whose slots are in the arena.
const IN_ARENA: u32 = u32::MAX;

impl<P: RcPolicy> RcHeap<P> {
    /// Does the object's deallocation go through CPython's trashcan (nodes
    /// and tuples do; atoms and weak-reference objects, leaves, do not)?
    #[inline]
    fn uses_trashcan(&self, r: ObjRef) -> bool {
        matches!(
            self.objects[r.index()].kind_bits(),
            flags::NODE | flags::TUPLE
        )
    }

    /// An object whose deallocation is its freeing alone: no finalizer,
    /// no weak reference, and no slot that holds anything (an atom, a
    /// leaf of a tree).
    #[inline(always)]
    fn is_bare_leaf(&self, r: ObjRef) -> bool {
        let h = &self.objects[r.index()];
        h.flags & (flags::HAS_FINALIZER | flags::HAS_WEAKREFS) == 0
            && h.slots
                .inline_slots()
                .is_some_and(|slots| slots.iter().all(Option::is_none))
    }

    /// The object's count reached zero: finalize it, clear its weak
    /// references and free it and whatever only it kept alive.
    #[cold]
    pub(super) fn dealloc(&mut self, r: ObjRef) {
        if self.trash_nesting >= TRASH_UNWIND_LEVEL && self.uses_trashcan(r) {
            self.deposit(r);
            return;
        }
        self.dealloc_tree(r);
        if self.trash_nesting == 0 && self.trash_later.is_some() {
            // `_PyTrash_thread_destroy_chain`.
            self.trash_nesting += 1;
            while let Some(op) = self.take_deposited() {
                self.dealloc_tree(op);
            }
            self.trash_nesting -= 1;
        }
    }

    /// `_PyTrash_thread_deposit_object`: `r` (count zero, referred to by
    /// nothing) goes on the list of objects to deallocate later, linked to
    /// the previous one through its count word.
    fn deposit(&mut self, r: ObjRef) {
        let previous = self.trash_later.map_or(0, |p| p.index() as u32 + 1);
        self.objects[r.index()].rc = previous;
        self.trash_later = Some(r);
    }

    /// The last object deposited, if any, off the list (its count zero
    /// again).
    fn take_deposited(&mut self) -> Option<ObjRef> {
        let r = self.trash_later?;
        let previous = std::mem::take(&mut self.objects[r.index()].rc);
        self.trash_later = previous
            .checked_sub(1)
            .and_then(|i| ObjRef::from_index(i as usize));
        Some(r)
    }

    /// Starts the deallocation of `r` (count zero): enters the trashcan,
    /// runs the finalizer, clears weak references. The frame to push, or
    /// `None` when the finalizer resurrected the object.
    #[inline(always)]
    fn open(&mut self, r: ObjRef) -> Option<Frame> {
        let trashcan = self.uses_trashcan(r);
        self.trash_nesting += u32::from(trashcan);
        // Most objects have neither a finalizer nor weak references.
        let f = self.objects[r.index()].flags;
        if f & (flags::HAS_FINALIZER | flags::HAS_WEAKREFS) == 0 || self.begin_dealloc(r) {
            let h = &self.objects[r.index()];
            // The members' headers are read when the frame reaches them:
            // the first at once, the others after whatever the first kept
            // alive is freed. Fetching them now hides the miss on each
            // (a tree's nodes lie wherever the free list put them).
            let inline = h.slots.inline_slots();
            for &member in inline.unwrap_or_default().iter().flatten() {
                self.prefetch(member);
            }
            let inline_len = match inline {
                Some(slots) => slots.len() as u32,
                None => IN_ARENA,
            };
            // CPython's `tupledealloc` (and `list_dealloc`) drop the
            // members last first; `subtype_dealloc` clears a node's slots
            // in order.
            Some(Frame {
                object: r,
                next_slot: 0,
                inline_len,
                inline: h.slots.inline_array(),
                last_first: h.last_first(),
                trashcan,
            })
        } else {
            self.trash_nesting -= u32::from(trashcan);
            None
        }
    }

    /// Hints the cache to fetch `r`'s header; no effect on the program's
    /// state, whatever `r` is (a no-op off x86-64 and under Miri).
    #[inline(always)]
    fn prefetch(&self, r: ObjRef) {
        let header = self.objects.as_ptr().wrapping_add(r.index());
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        #[allow(unsafe_code)]
        // SAFETY: SSE is part of x86-64; a prefetch never faults, even on
        // an address outside the table, and reads nothing the program
        // sees.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                header.cast::<i8>(),
            );
        }
        #[cfg(not(all(target_arch = "x86_64", not(miri))))]
        let _ = header;
    }

    /// Deallocates `r` and, depth first, what only it kept alive, deposits
    /// aside.
    fn dealloc_tree(&mut self, r: ObjRef) {
        let mut stack = std::mem::take(&mut self.dealloc_stack);
        let base = stack.len();
        stack.extend(self.open(r));
        while stack.len() > base {
            let top = stack.last_mut().expect("above base");
            let object = top.object;
            let i = top.next_slot;
            let next = if top.inline_len != IN_ARENA {
                (i < top.inline_len).then(|| {
                    let k = if top.last_first {
                        top.inline_len - 1 - i
                    } else {
                        i
                    };
                    top.inline[k as usize]
                })
            } else {
                let h = &mut self.objects[object.index()];
                let reverse = h.last_first();
                let slots = self.slot_arena.get_mut(&mut h.slots);
                let i = i as usize;
                // As in `open`: a tuple's members last first.
                (i < slots.len()).then(|| {
                    let k = if reverse { slots.len() - 1 - i } else { i };
                    slots[k].take()
                })
            };
            let Some(slot) = next else {
                let trashcan = top.trashcan;
                stack.pop();
                self.free_object(object);
                self.trash_nesting -= u32::from(trashcan);
                continue;
            };
            top.next_slot += 1;
            let Some(child) = slot else {
                continue;
            };
            let h = &mut self.objects[child.index()];
            if h.flags & flags::IMMORTAL != 0 {
                continue;
            }
            h.rc -= 1;
            if h.rc == 0 {
                if self.trash_nesting >= TRASH_UNWIND_LEVEL && self.uses_trashcan(child) {
                    self.deposit(child);
                } else if self.is_bare_leaf(child) {
                    // Opening it, dropping its nil slots and closing it
                    // would do nothing else: freed in the same order.
                    self.free_object(child);
                } else {
                    if let Some(frame) = self.open(child) {
                        debug_assert!(stack.len() < MAX_FRAMES, "the trashcan bounds the stack");
                        stack.push(frame);
                    }
                }
            }
        }
        self.dealloc_stack = stack;
    }

    /// The first half of deallocation, as in CPython: the finalizer (once;
    /// it may resurrect), then weak references. Returns false when the
    /// object was resurrected and must not be freed.
    #[inline(never)]
    fn begin_dealloc(&mut self, r: ObjRef) -> bool {
        let f = self.objects[r.index()].flags;
        if f & flags::HAS_FINALIZER != 0 && f & flags::FINALIZED == 0 {
            self.report_finalized(r);
            if f & flags::RESURRECT != 0 {
                self.objects[r.index()].rc += 1;
                debug_assert!(self.saved.len() < self.saved.capacity(), "reserved");
                self.saved.push(r);
                P::on_resurrect(self, r);
                return false;
            }
            if f & flags::RUN_HOOK != 0 && self.embed_state_ref().has_hook() {
                // The hook runs once the operation is over (nothing else
                // is mid-way then); a root keeps the object until it has.
                self.objects[r.index()].rc += 1;
                let root = self.roots.insert(r);
                self.embed_state().queue(root);
                P::on_resurrect(self, r);
                return false;
            }
        }
        if f & flags::HAS_WEAKREFS != 0 {
            let _callbacks_reported = self.clear_weakrefs(r, true);
        }
        true
    }

    /// Clears every weak reference to `target`; with `callbacks`, reports
    /// the callback of each that has one (in CPython's list order). Returns
    /// the weak references with callbacks, for a collector that reports them
    /// later. Allocates nothing: the registry hands over its own list.
    #[doc(hidden)]
    pub fn clear_weakrefs(
        &mut self,
        target: ObjRef,
        callbacks: bool,
    ) -> impl Iterator<Item = ObjRef> + use<P> {
        self.objects[target.index()].flags &= !flags::HAS_WEAKREFS;
        let list = self.weakrefs.clear(target);
        if callbacks {
            for &(w, cb) in &list {
                if cb {
                    self.report_weak_callback(w, target);
                }
            }
        }
        list.into_iter().filter_map(|(w, cb)| cb.then_some(w))
    }

    /// Releases the memory of an object whose slots are already clear.
    #[inline(always)]
    fn free_object(&mut self, r: ObjRef) {
        P::on_free(self, r);
        self.release_memory(r);
    }

    /// Frees `r` without dropping the references its slots hold and
    /// without the policy's `on_free` hook: for a collector that frees a
    /// *closed* set of garbage at once, where every reference into a member
    /// comes from a member, no member has a finalizer left to run or a weak
    /// reference, and none is a weak-reference object. The caller takes
    /// the members out of its own lists. Used outside that contract it
    /// leaves counts too high (objects leak); it cannot make a handle
    /// dangle, since a member has no root.
    #[doc(hidden)]
    pub fn free_closed(&mut self, r: ObjRef) {
        debug_assert_ne!(self.objects[r.index()].kind_bits(), flags::WEAKREF);
        self.release_memory(r);
    }

    #[inline(always)]
    fn release_memory(&mut self, r: ObjRef) {
        let counted = self.counted_size(r);
        self.limit.remove(counted);
        let h = &mut self.objects[r.index()];
        if h.flags & flags::HAS_FINALIZER != 0 {
            // A finalizer that never ran (a strategy freeing outside the
            // contracts above) gives its room back.
            let f = h.flags;
            self.forget_pending(f);
        }
        let h = &mut self.objects[r.index()];
        let was_weakref = h.kind_bits() == flags::WEAKREF;
        let payload = if h.flags & flags::HAS_PAYLOAD != 0 {
            std::mem::take(&mut self.payloads[r.index()]).len() as u64
        } else {
            0
        };
        self.slot_arena.free(h.slots);
        // Linked into the free list through its count word.
        *h = super::Header {
            rc: self.free_head,
            flags: flags::FREE,
            ..Default::default()
        };
        self.free_head = r.raw();
        self.free_count += 1;
        if was_weakref {
            if let Some(target) = self.weakrefs.forget(r) {
                self.objects[target.index()].flags &= !flags::HAS_WEAKREFS;
            }
        } else {
            self.stats.on_free(payload);
        }
    }

    /// Drops the references held by the slots of `r` (CPython's `tp_clear`),
    /// freeing what reaches zero. If that frees `r` itself (a self-cycle
    /// whose last reference was its own slot), the loop ends there.
    #[doc(hidden)]
    pub fn clear_slots(&mut self, r: ObjRef) {
        let mut i = 0;
        loop {
            // Read the range afresh: a finalizer run by a `dec` may have
            // freed `r` (its range is then empty).
            let h = &mut self.objects[r.index()];
            let reverse = h.last_first();
            let slots = self.slot_arena.get_mut(&mut h.slots);
            let Some(k) = (i < slots.len()).then(|| if reverse { slots.len() - 1 - i } else { i })
            else {
                break;
            };
            let slot = &mut slots[k];
            let child = slot.take();
            i += 1;
            self.dec_slot(child);
        }
    }
}
