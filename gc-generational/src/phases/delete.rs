//! `delete_garbage`: what is still unreachable is freed (or, under
//! DEBUG_SAVEALL, kept in `gc.garbage`).

use gc_core::rc::flags;

use super::reachability::Scan;
use crate::debug::DEBUG_SAVEALL;
use crate::header::{
    self, COLLECTING, List, UNREACHABLE, first, is_empty, move_to_generation, next,
};
use crate::state::Heap;

/// `delete_garbage`'s fast path, with the same outcome: when the garbage is
/// closed (every slot of every member is nil or another member), holds no
/// weak-reference object, and is not to be saved, clearing it would free
/// exactly its members and run nothing (its finalizers have run, its weak
/// references are cleared). Then the members are freed in one walk, with no
/// reference-count traffic and no cascade. Whether it is closed comes from
/// the counts `move_unreachable` summed ([`Scan::garbage_counts`]), not
/// from a walk; debug builds walk to check. Returns false, having changed
/// nothing, when the garbage is not closed.
///
/// The walk is order-free, so when the garbage is a large part of the table
/// it goes through the table in index order (members are the objects
/// flagged `UNREACHABLE`), which streams instead of chasing list links.
pub(super) fn free_closed_garbage(heap: &mut Heap, collectable: List, scan: &Scan) -> bool {
    if heap.policy.debug & DEBUG_SAVEALL != 0
        || scan.garbage_flags & flags::KIND_MASK == flags::WEAKREF
    {
        return false;
    }
    #[cfg(debug_assertions)]
    assert_eq!(
        scan.garbage_is_closed(),
        walk_finds_closed(heap, collectable),
        "the counts disagree with a walk over the garbage"
    );
    if !scan.garbage_is_closed() {
        return false;
    }
    let head = collectable.head();
    let mut freed = 0u64;
    if scan.unreachable.saturating_mul(4) >= heap.objects.len() as u64 {
        for x in 0..heap.objects.len() {
            if heap.objects[x].flags & UNREACHABLE != 0 {
                heap.free_closed(header::object(x as u32));
                freed += 1;
            }
        }
    } else {
        let mut x = first(heap, collectable);
        while x != head {
            let after = next(heap, x);
            heap.free_closed(header::object(x));
            freed += 1;
            x = after;
        }
    }
    header::forget_members(heap, collectable);
    // `PyObject_GC_Del` uncounts each one.
    heap.policy.uncount(freed);
    debug_assert_eq!(
        freed, scan.unreachable,
        "the garbage list holds what the scan found"
    );
    true
}

/// Debug builds: the closure test the counts stand for, by walking every
/// slot of the garbage (allocating nothing: a collection must not).
#[cfg(debug_assertions)]
fn walk_finds_closed(heap: &Heap, collectable: List) -> bool {
    let head = collectable.head();
    let mut x = first(heap, collectable);
    while x != head {
        let h = &heap.objects[x as usize];
        let closed = h.flags & flags::KIND_MASK != flags::WEAKREF
            && heap
                .slot_arena
                .get(&h.slots)
                .iter()
                .flatten()
                .all(|child| heap.objects[child.index()].flags & UNREACHABLE != 0);
        if !closed {
            return false;
        }
        x = next(heap, x);
    }
    true
}

/// `delete_garbage`: with DEBUG_SAVEALL, into `gc.garbage`; otherwise clear
/// the object's slots (`tp_clear`; tuples have none) so that reference
/// counting frees the cycle. An object still alive afterwards moves to
/// `old`. (`gc.garbage` has room for every object unless DEBUG_SAVEALL
/// was turned on during the collection; then an object it has no room
/// for, the memory refused, moves to `old` uncollected.)
pub(super) fn delete_garbage(heap: &mut Heap, collectable: List, old: List) {
    let saveall = heap.policy.debug & DEBUG_SAVEALL != 0;
    while !is_empty(heap, collectable) {
        let x = first(heap, collectable);
        let r = header::object(x);
        if saveall {
            if heap.garbage.try_reserve(1).is_ok() {
                heap.inc(r);
                heap.garbage.push(r);
            }
        } else if heap.objects[x as usize].flags & flags::KIND_MASK == flags::NODE {
            heap.inc(r);
            heap.clear_slots(r);
            heap.dec(r);
        }
        if first(heap, collectable) == x {
            heap.objects[x as usize].flags &= !(COLLECTING | UNREACHABLE);
            move_to_generation(heap, x, old);
        }
    }
}
