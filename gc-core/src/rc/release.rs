//! Freeing at count zero, without recursion.
//!
//! CPython's `subtype_dealloc` is recursive: it runs the object's finalizer,
//! clears its weak references, then drops each slot in order (a tuple's
//! `tupledealloc` drops its members last first), and a slot
//! whose count reaches zero is deallocated right there, depth first. We keep
//! that order (it decides the order of finalizer and callback events) with
//! an explicit stack of `(object, next slot)` frames. When the object's
//! *last* slot is the one that dies, the parent is freed before descending
//! (a tail call), so a linked list of any length needs one frame, and a
//! tree needs as many as it is deep.

use super::{ObjRef, RcHeap, RcPolicy, flags};

#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    object: ObjRef,
    next_slot: usize,
}

impl<P: RcPolicy> RcHeap<P> {
    /// The object's count reached zero: finalize it, clear its weak
    /// references and free it and whatever only it kept alive.
    #[cold]
    pub(super) fn dealloc(&mut self, r: ObjRef) {
        if !self.begin_dealloc(r) {
            return;
        }
        let mut stack = std::mem::take(&mut self.dealloc_stack);
        stack.push(Frame {
            object: r,
            next_slot: 0,
        });
        while let Some(top) = stack.last_mut() {
            let object = top.object;
            let i = top.next_slot;
            let h = &mut self.objects[object.index()];
            let reverse = h.kind_bits() == flags::TUPLE;
            let slots = &mut h.slots;
            if i >= slots.len() {
                stack.pop();
                self.free_object(object);
                continue;
            }
            top.next_slot += 1;
            let is_last = i + 1 == slots.len();
            // CPython's `tupledealloc` drops the members last first;
            // `subtype_dealloc` clears a node's slots in order.
            let k = if reverse { slots.len() - 1 - i } else { i };
            let Some(child) = slots[k].take() else {
                continue;
            };
            let h = &mut self.objects[child.index()];
            if h.flags & flags::IMMORTAL != 0 {
                continue;
            }
            h.rc -= 1;
            if h.rc == 0 && self.begin_dealloc(child) {
                if is_last {
                    stack.pop();
                    self.free_object(object);
                }
                stack.push(Frame {
                    object: child,
                    next_slot: 0,
                });
            }
        }
        self.dealloc_stack = stack;
    }

    /// The first half of deallocation, as in CPython: the finalizer (once;
    /// it may resurrect), then weak references. Returns false when the
    /// object was resurrected and must not be freed.
    fn begin_dealloc(&mut self, r: ObjRef) -> bool {
        let f = self.objects[r.index()].flags;
        if f & flags::HAS_FINALIZER != 0 && f & flags::FINALIZED == 0 {
            self.report_finalized(r);
            if f & flags::RESURRECT != 0 {
                self.objects[r.index()].rc += 1;
                self.saved.push(r);
                P::on_resurrect(self, r);
                return false;
            }
        }
        if f & flags::HAS_WEAKREFS != 0 {
            self.clear_weakrefs(r, true);
        }
        true
    }

    /// Clears every weak reference to `target`; with `callbacks`, reports
    /// the callback of each that has one (in CPython's list order). Returns
    /// the weak references with callbacks, for a collector that reports them
    /// later.
    pub fn clear_weakrefs(&mut self, target: ObjRef, callbacks: bool) -> Vec<ObjRef> {
        self.objects[target.index()].flags &= !flags::HAS_WEAKREFS;
        let with_callback: Vec<ObjRef> = self
            .weakrefs
            .clear(target)
            .into_iter()
            .filter_map(|(w, cb)| cb.then_some(w))
            .collect();
        if callbacks {
            for &w in &with_callback {
                self.report_weak_callback(w, target);
            }
        }
        with_callback
    }

    /// Releases the memory of an object whose slots are already clear.
    fn free_object(&mut self, r: ObjRef) {
        P::on_free(self, r);
        let h = &mut self.objects[r.index()];
        let payload = h.payload.len() as u64;
        let was_weakref = h.kind_bits() == flags::WEAKREF;
        *h = super::Header {
            flags: flags::FREE,
            ..Default::default()
        };
        if was_weakref {
            if let Some(target) = self.weakrefs.forget(r) {
                self.objects[target.index()].flags &= !flags::HAS_WEAKREFS;
            }
        } else {
            self.stats.on_free(payload);
        }
        self.free_list.push(r.index() as u32);
    }

    /// Drops the references held by the slots of `r` (CPython's `tp_clear`),
    /// freeing what reaches zero. If that frees `r` itself (a self-cycle
    /// whose last reference was its own slot), the loop ends there.
    pub fn clear_slots(&mut self, r: ObjRef) {
        let mut i = 0;
        while let Some(slot) = self.objects[r.index()].slots.get_mut(i) {
            let child = slot.take();
            i += 1;
            self.dec_slot(child);
        }
    }
}
