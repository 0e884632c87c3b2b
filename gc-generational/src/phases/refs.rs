//! The first steps of a collection: `gc_refs` of every collected object
//! becomes its count minus the references from inside the collection
//! (`update_refs`, `subtract_refs`), in one walk or, for a full collection
//! with nothing frozen, from the heap's outside references alone.

use gc_core::rc::flags;

use crate::header::{self, COLLECTING, List, TRACKED, Unscanned, first, is_empty};
use crate::state::Heap;

/// `gc_refs` of an immortal object: never reaches zero.
const IMMORTAL_REFS: u32 = u32::MAX / 2;

/// `update_refs` and `subtract_refs` of the collected generations in one
/// walk: `gc_refs` is 0 outside a collection, so adding each object's count
/// and subtracting each reference from inside can happen in any order; a
/// referent is inside when it is tracked in generation `generation` or a
/// younger one (its generation bits). Marks every object `COLLECTING`.
pub(super) fn update_and_subtract_refs(heap: &mut Heap, base: List, generation: u32) -> Unscanned {
    if generation == 2 && is_empty(heap, List::Permanent) {
        return outside_refs_of_everything(heap);
    }
    let head = base.head();
    let mut x = first(heap, base);
    while x != head {
        let h = &mut heap.objects[x as usize];
        let own = if h.flags & flags::IMMORTAL != 0 {
            IMMORTAL_REFS
        } else {
            h.rc
        };
        h.extra.refs = h.extra.refs.wrapping_add(own);
        h.flags |= COLLECTING;
        let (slots, after) = (h.slots, h.extra.next);
        for &child in heap.slot_arena.get(&slots).iter().flatten() {
            let c = &mut heap.objects[child.index()];
            if c.flags & TRACKED != 0 && header::generation_bits(c.flags) <= generation {
                c.extra.refs = c.extra.refs.wrapping_sub(1);
            }
        }
        x = after;
    }
    Unscanned::COLLECTING
}

/// The same result for a full collection with nothing frozen, without
/// reading a single slot. Then every tracked object is collected, and a
/// reference to one comes either from a slot of a tracked object (internal:
/// subtracted) or from outside every object (a root handle, a weak handle,
/// the saved or garbage list); untracked objects are atoms, weak
/// references and tuples whose members are all untracked, none of which
/// has a slot referring to a tracked object. So `rc` minus the internal
/// references is just the number of outside references, which the heap
/// lists. Debug builds check this against the two-step count.
///
/// Nor does it mark the collected objects: flipping the policy's scan
/// parity makes every tracked object "not scanned yet" at once
/// ([`header::flip_scan_parity`]); immortal objects are kept by
/// `move_unreachable` itself. So the first pass costs one step per outside
/// reference, none per object.
fn outside_refs_of_everything(heap: &mut Heap) -> Unscanned {
    let unscanned = header::flip_scan_parity(heap);
    heap.for_each_outside_reference(|h| {
        if h.flags & TRACKED != 0 {
            h.extra.refs = h.extra.refs.wrapping_add(1);
        }
    });
    #[cfg(debug_assertions)]
    check_outside_refs(heap);
    unscanned
}

/// Debug builds: `gc_refs` as [`outside_refs_of_everything`] set it equals
/// the count minus the references from collected objects' slots. (Immortal
/// objects are left out: `move_unreachable` keeps them whatever their
/// `gc_refs`.) It adds the inside references to `gc_refs`, compares with
/// the count and takes them off again, so that it allocates nothing (a
/// collection must not).
#[cfg(debug_assertions)]
fn check_outside_refs(heap: &mut Heap) {
    fn add_inside_refs(heap: &mut Heap, delta: u32) {
        for x in 0..heap.objects.len() {
            let h = &heap.objects[x];
            if h.flags & TRACKED == 0 {
                continue;
            }
            let slots = h.slots;
            for i in 0..slots.len() {
                if let Some(child) = heap.slot_arena.get(&slots)[i] {
                    let c = &mut heap.objects[child.index()];
                    if c.flags & TRACKED != 0 {
                        c.extra.refs = c.extra.refs.wrapping_add(delta);
                    }
                }
            }
        }
    }
    add_inside_refs(heap, 1);
    for h in heap.objects.iter() {
        if h.flags & TRACKED != 0 && h.flags & flags::IMMORTAL == 0 {
            assert_eq!(h.extra.refs, h.rc, "outside references miscounted");
        }
    }
    add_inside_refs(heap, u32::MAX);
}

/// `update_refs`: `gc_refs` := the count; mark `COLLECTING`.
pub(super) fn update_refs(heap: &mut Heap, base: List) {
    let head = base.head();
    let mut x = first(heap, base);
    while x != head {
        let h = &mut heap.objects[x as usize];
        h.extra.refs = if h.flags & flags::IMMORTAL != 0 {
            IMMORTAL_REFS
        } else {
            h.rc
        };
        h.flags |= COLLECTING;
        x = h.extra.next;
    }
}

/// `subtract_refs`: every reference from one object of `base` to another
/// is internal; what remains of `gc_refs` comes from outside.
pub(super) fn subtract_refs(heap: &mut Heap, base: List) {
    let head = base.head();
    let mut x = first(heap, base);
    while x != head {
        let h = &heap.objects[x as usize];
        let (slots, after) = (h.slots, h.extra.next);
        for &child in heap.slot_arena.get(&slots).iter().flatten() {
            let c = &mut heap.objects[child.index()];
            if c.flags & COLLECTING != 0 {
                c.extra.refs -= 1;
            }
        }
        x = after;
    }
}
