//! `move_unreachable`: which collected objects are reachable from outside
//! the collection, and what the scan saw of the rest.

use gc_core::rc::{ObjRef, flags};

use super::refs::{subtract_refs, update_refs};
use crate::header::{
    COLLECTING, DICT_TRACKING, List, Placement, UNREACHABLE, Unscanned, first, move_to,
};
use crate::state::Heap;

/// What `move_unreachable` saw, so that later passes can be skipped when
/// they would change nothing.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Scan {
    /// Objects left in the scanned list (reachable).
    pub(super) reachable: u64,
    /// Objects moved to the unreachable list.
    pub(super) unreachable: u64,
    /// Reachable tuples (candidates for untracking).
    pub(super) tuples: u64,
    /// Reachable nodes tracked as dicts (candidates for untracking in a
    /// full collection).
    pub(super) dicts: u64,
    /// The union of the flags of every object that was moved to the
    /// unreachable list (some may have come back).
    pub(super) garbage_flags: u32,
    /// Over the objects left in the unreachable list: the sum of their
    /// counts, and of their non-nil slots. Every reference to an
    /// unreachable object comes from another one's slot, so the two are
    /// equal exactly when every slot of the garbage points into it (a slot
    /// pointing at an immortal object, whose count does not move, makes
    /// them differ: such garbage takes the slow path).
    pub(super) garbage_counts: u64,
    /// See `garbage_counts`.
    pub(super) garbage_slots: u64,
}

impl Scan {
    /// Is the garbage closed: no slot of it refers outside it?
    pub(super) fn garbage_is_closed(&self) -> bool {
        self.garbage_counts == self.garbage_slots
    }
}

/// The counted references an object holds and its count, for
/// [`Scan::garbage_counts`]: `(rc, non-nil slots)`.
#[inline]
fn references(heap: &Heap, x: u32) -> (u64, u64) {
    let h = &heap.objects[x as usize];
    let held = heap.slot_arena.get(&h.slots).iter().flatten().count();
    (u64::from(h.rc), held as u64)
}

/// `deduce_unreachable` on a scratch list (the second pass, among the
/// unreachable): leaves in `base` what is reachable from outside it, placed
/// as members of generation list `survivors_to`, and moves the rest to
/// `unreachable` (flagged `COLLECTING|UNREACHABLE`).
pub(super) fn deduce_unreachable(
    heap: &mut Heap,
    base: List,
    unreachable: List,
    survivors_to: List,
) -> Scan {
    update_refs(heap, base);
    subtract_refs(heap, base);
    move_unreachable(heap, base, unreachable, survivors_to, Unscanned::COLLECTING)
}

/// `move_unreachable`: scans `young` from its head. An object with
/// `gc_refs > 0` is reachable: its referents in `young` become reachable
/// too (one found unreachable earlier comes back at the tail of `young`,
/// to be scanned again). An object still at 0 when the scan meets it is
/// unreachable for now, flagged `COLLECTING|UNREACHABLE`; those never
/// rescued end up at the tail of `unreachable`, in the order the scan met
/// them. An immortal object is always reachable. Every object scanned is
/// placed as a member of generation list `survivors_to` (where the caller
/// moves `young` next); `unscanned` says how to recognise a referent that
/// belongs to the collection and has not been scanned yet.
///
/// CPython moves an object to `unreachable` as soon as the scan finds it
/// at 0, and back to `young` when a reachable object refers to it. Here
/// it stays where it is until the scan ends: a rescued one moves once
/// (to the tail of `young`, as in CPython), and only those never rescued
/// move to `unreachable`, in a last walk. Both lists end in CPython's
/// order. A tree built bottom-up (children before their parent, as every
/// recursive builder makes them) has almost every object found at 0 and
/// rescued: this halves the list moves of such a collection.
pub(super) fn move_unreachable(
    heap: &mut Heap,
    young: List,
    unreachable: List,
    survivors_to: List,
    unscanned: Unscanned,
) -> Scan {
    let head = young.head();
    let mut scan = Scan::default();
    let placed = Placement::new(heap, survivors_to);
    // Found at 0 and not rescued (yet): still in `young`, behind the scan.
    let mut waiting = 0u64;
    let mut x = first(heap, young);
    while x != head {
        let h = &heap.objects[x as usize];
        if h.extra.refs > 0 || h.flags & flags::IMMORTAL != 0 {
            let (slots, kind) = (h.slots, h.flags & flags::KIND_MASK);
            // `tp_traverse` order: a node's slots first to last
            // (`subtype_traverse`), a tuple's members last to first
            // (`tupletraverse`). It decides the order in which objects are
            // rescued to the tail of `young`.
            let n = slots.len();
            for k in 0..n {
                let i = if kind == flags::TUPLE { n - 1 - k } else { k };
                if let Some(child) = heap.slot_arena.slot(&slots, i) {
                    waiting -= u64::from(visit_reachable(heap, child, young, unscanned));
                }
            }
            let h = &mut heap.objects[x as usize];
            h.flags = placed.apply(h.flags & !COLLECTING);
            h.extra.refs = 0;
            scan.reachable += 1;
            scan.tuples += u64::from(kind == flags::TUPLE);
            scan.dicts += u64::from(h.flags & DICT_TRACKING != 0);
            // Read after the referents: a rescued one may follow `x` now.
            x = h.extra.next;
        } else {
            let h = &mut heap.objects[x as usize];
            h.flags |= COLLECTING | UNREACHABLE;
            scan.garbage_flags |= h.flags;
            waiting += 1;
            x = h.extra.next;
        }
    }
    // The unrescued, in scan order (the order of `young` now).
    let mut x = first(heap, young);
    while waiting > 0 {
        debug_assert_ne!(x, head, "an unrescued object is in `young`");
        let after = heap.objects[x as usize].extra.next;
        if heap.objects[x as usize].flags & UNREACHABLE != 0 {
            move_to(heap, x, unreachable);
            waiting -= 1;
            scan.unreachable += 1;
            let (count, held) = references(heap, x);
            scan.garbage_counts += count;
            scan.garbage_slots += held;
        }
        x = after;
    }
    scan
}

/// `visit_reachable`: a referent of a reachable object is reachable. One
/// the scan found at 0 (it is behind the scan) comes back to the tail of
/// `young`, to be scanned when the walk gets there: answers true. One not
/// scanned yet is marked.
#[inline(always)]
fn visit_reachable(heap: &mut Heap, child: ObjRef, young: List, unscanned: Unscanned) -> bool {
    let c = &mut heap.objects[child.index()];
    let f = c.flags;
    if f & UNREACHABLE == 0 {
        if unscanned.test(f) && c.extra.refs == 0 {
            c.extra.refs = 1;
        }
        return false;
    }
    c.flags &= !UNREACHABLE;
    c.extra.refs = 1;
    let c = child.index() as u32;
    move_to(heap, c, young);
    true
}
