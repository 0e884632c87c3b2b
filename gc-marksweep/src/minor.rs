//! The minor collection (PyPy's `_minor_collection`): copy the nursery's
//! survivors into the old generation, forwarding every reference to them,
//! then reset the nursery. Its cost is proportional to the survivors, the
//! roots and the remembered set, never to the nursery's size: dead young
//! objects are never looked at (their number is the allocation count minus
//! the survivors).

use std::time::Instant;

use gc_core::Trigger;

use crate::collector::{IncMiniMark, OldGen};
use crate::header::{
    Access, CARD_SLOTS, CARDS_PER_BYTE, CARDS_SET, FORWARDED, MORE_PENDING, OLD, ObjRef, Slot,
    TRACK_YOUNG_PTRS, VISITED, move_object,
};
use crate::phases::State;

/// How many slots ahead `trace_slots` prefetches referents.
///
/// The survivors of a minor collection on long arrays (`large_arrays`) are
/// scattered over the nursery, and reading each one's header was a cache
/// miss that stalled the copy loop: ~90 ns per promoted object. Sixteen
/// slots ahead lets the misses overlap; 8, 16 and 32 were measured and 16
/// was best by a little.
const PREFETCH_AHEAD: usize = 16;

impl OldGen {
    /// PyPy's `_trace_drag_out`: the new address of `obj`, copying it out
    /// of the nursery the first time it is reached.
    #[inline]
    pub(crate) fn drag_out<'h>(&mut self, obj: ObjRef<'h>) -> ObjRef<'h> {
        let tid = obj.tid();
        if tid & OLD != 0 {
            return obj;
        }
        if tid & FORWARDED != 0 {
            if let Some(copy) = obj.forwarded() {
                return copy;
            }
        }
        let bytes = obj.size_bytes();
        let (ptr, extra) = self.alloc_old(bytes);
        // SAFETY: a nursery object (no cards) not forwarded yet; `alloc_old`
        // returned `bytes` fresh bytes of the old generation, disjoint from
        // the nursery.
        let copy = unsafe { move_object(obj, ptr, OLD | extra) };
        if extra != 0 {
            self.note_large(copy);
        }
        self.surviving_bytes += bytes;
        self.surviving_objects += 1;
        self.surviving_payload += copy.payload_len() as u64;
        if copy.slot_count() > 0 {
            // Traced (and given TRACK_YOUNG_PTRS) by `collect_oldrefs`.
            self.old_objects_pointing_to_young.push(copy.ptr());
        }
        copy
    }

    /// During marking, a reference the mutator holds makes its referent grey
    /// (once: `MORE_PENDING` says it is on the stack already).
    #[inline]
    fn grey_if_white(&mut self, obj: ObjRef<'_>) {
        if !obj.has(VISITED | MORE_PENDING) {
            obj.add(MORE_PENDING);
            self.more_objects_to_trace.push(obj.ptr());
        }
    }

    /// Drags out what slots `from..to` of `obj` refer to. When `black`
    /// (`obj` is black during marking), every white referent also becomes
    /// grey, on the ordinary grey stack: the barrier's half of the marking
    /// invariant, at the cost of the slots the minor collection reads anyway.
    fn trace_slots(&mut self, slots: &[Slot], black: bool) {
        for (i, slot) in slots.iter().enumerate() {
            // The referents of a long object are scattered over the nursery:
            // fetch the header `PREFETCH_AHEAD` slots ahead so that the
            // misses overlap instead of stalling one by one.
            if let Some(ahead) = slots.get(i + PREFETCH_AHEAD).and_then(Slot::get) {
                ahead.prefetch();
            }
            if let Some(child) = slot.get() {
                let moved = self.drag_out(child);
                if moved != child {
                    slot.set(Some(moved));
                }
                if black {
                    let tid = moved.tid();
                    if tid & (VISITED | MORE_PENDING) == 0 {
                        moved.set_tid(tid | MORE_PENDING);
                        self.objects_to_trace.push(moved.ptr());
                    }
                }
            }
        }
    }

    /// PyPy's `collect_oldrefs_to_nursery`: trace the remembered set (and
    /// the objects just promoted), putting each back on the barrier's fast
    /// path.
    fn collect_oldrefs(&mut self, access: &Access, marking: bool) {
        while let Some(obj) = self.old_objects_pointing_to_young.pop() {
            // SAFETY: the remembered set holds live old objects (invariant
            // in `header.rs`).
            let obj = unsafe { obj.open(access) };
            let tid = obj.tid();
            obj.set_tid(tid | TRACK_YOUNG_PTRS);
            let black = marking && tid & VISITED != 0;
            self.trace_slots(obj.slots(), black);
        }
    }

    /// PyPy's `collect_cardrefs_to_nursery`: for every large node with a
    /// dirty card, rescan the slots of its dirty cards only, and clear them.
    /// During marking the white referents of a black one become grey.
    fn collect_cardrefs(&mut self, access: &Access, marking: bool) {
        while let Some(obj) = self.old_objects_with_cards_set.pop() {
            // SAFETY: the cards list holds live old objects.
            let obj = unsafe { obj.open(access) };
            obj.remove(CARDS_SET);
            let black = marking && obj.has(VISITED);
            let slots = obj.slots();
            for (j, card_byte) in obj.cards().iter().enumerate() {
                let mut byte = card_byte.replace(0);
                while byte != 0 {
                    let bit = byte.trailing_zeros() as usize;
                    byte &= byte - 1;
                    let start = (j * CARDS_PER_BYTE + bit) * CARD_SLOTS;
                    if start < slots.len() {
                        let end = (start + CARD_SLOTS).min(slots.len());
                        self.card_slots_scanned += (end - start) as u64;
                        self.trace_slots(&slots[start..end], black);
                    }
                }
            }
        }
    }
}

impl IncMiniMark {
    /// One minor collection; returns the number of young objects freed.
    pub(crate) fn minor_collection(&mut self, trigger: Trigger) -> u64 {
        let started = Instant::now();
        let marking = self.state == State::Marking;
        let old = &mut self.old;
        let access = &self.access;
        old.surviving_bytes = 0;
        old.surviving_objects = 0;
        old.surviving_payload = 0;
        for root in self.roots.iter_mut().chain(&mut self.saved) {
            // SAFETY: roots and the saved list hold live objects (invariant
            // in `header.rs`).
            let moved = old.drag_out(unsafe { root.open(access) });
            *root = moved.ptr();
            if marking {
                old.grey_if_white(moved);
            }
        }
        // Objects with finalizers survive their first minor collection:
        // only a major collection decides they are garbage.
        for obj in self.young_with_finalizers.drain(..) {
            // SAFETY: a finalizer list holds live objects.
            let moved = old.drag_out(unsafe { obj.open(access) });
            self.old_with_finalizers.push_back(moved.ptr());
        }
        loop {
            old.collect_cardrefs(access, marking);
            old.collect_oldrefs(access, marking);
            if old.old_objects_with_cards_set.is_empty() {
                break;
            }
        }
        // Weak references to young objects: follow the copy, or clear.
        self.weaks.drain_young(|weak| {
            // SAFETY: a weak target is a live object (invariant in
            // `header.rs`: cleared before its referent is freed).
            let Some(target) = weak.target.map(|t| unsafe { t.open(access) }) else {
                return;
            };
            if !target.has(OLD) {
                match target.forwarded() {
                    Some(copy) => weak.target = Some(copy.ptr()),
                    None => {
                        weak.target = None;
                        if weak.callback {
                            weak.pending = Some(target.id());
                        }
                    }
                }
            }
        });
        let freed = self.young_objects - old.surviving_objects;
        let freed_payload = self.young_payload - old.surviving_payload;
        self.stats.freed += freed;
        self.stats.live_objects -= freed;
        self.stats.live_bytes -= freed_payload;
        self.young_objects = 0;
        self.young_payload = 0;
        // SAFETY: every root, saved object, finalizer entry, weak target
        // and slot of the remembered set and of the copies was forwarded
        // above; old objects outside the remembered set and the cards list
        // refer to no young object (the write barrier's invariant).
        unsafe { self.nursery.reset(&mut self.access) };
        let promoted = old.surviving_bytes;
        self.pacing.last_surviving = promoted;
        self.pacing.size_objects_made_old += promoted;
        self.gc.minors += 1;
        self.gc.bytes_promoted += promoted as u64;
        self.gc.objects_promoted += old.surviving_objects;
        self.unreported_promoted.0 += old.surviving_objects;
        self.unreported_promoted.1 += promoted as u64;
        self.note_old_size();
        let pause = started.elapsed().as_nanos() as u64;
        self.gc.minor_time_ns += pause;
        self.gc.max_minor_pause_ns = self.gc.max_minor_pause_ns.max(pause);
        if !self.quiet {
            self.record_event(trigger, Self::MINOR, freed, pause);
        }
        if self.config.debug || self.config.zeal {
            if let Err(e) = self.check() {
                panic!("heap check after a minor collection: {e}");
            }
        }
        freed
    }

    /// PyPy's `minor_collection_with_major_progress`: a minor collection,
    /// then (unless `gc disable`) a major step when a cycle runs or the
    /// threshold is reached — and more minor-plus-step pairs while the
    /// minors promote more than half a nursery per step.
    pub(crate) fn minor_collection_with_major_progress(&mut self, extra: f64, force: bool) {
        self.minor_collection(Trigger::Auto);
        if !self.enabled && !force {
            return;
        }
        if self.state != State::Scanning || self.threshold_reached(extra) || self.config.zeal {
            self.major_collection_step(extra, false, Trigger::Auto);
            let extra = extra as usize;
            while self.state != State::Scanning {
                let threshold = self.pacing.threshold_objects_made_old;
                if threshold >= extra && self.pacing.size_objects_made_old <= threshold - extra {
                    break;
                }
                self.minor_collection(Trigger::Auto);
                self.major_collection_step(extra as f64, false, Trigger::Auto);
            }
        }
    }

    /// PyPy's `threshold_reached`.
    pub(crate) fn threshold_reached(&self, extra: f64) -> bool {
        self.pacing.next_major_threshold - (self.old.total_used() as f64) < extra
    }
}
