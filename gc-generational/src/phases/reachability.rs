//! `move_unreachable`: which collected objects are reachable from outside
//! the collection, and what the scan saw of the rest.

use gc_core::rc::{ObjRef, Slot, flags};

use super::refs::{subtract_refs, update_refs};
use crate::header::{
    COLLECTING, DICT_TRACKING, List, Placement, UNREACHABLE, Unscanned, first,
    holds_nothing_trackable, move_to, untrack,
};
use crate::state::Heap;

/// What `move_unreachable` saw, so that later passes can be skipped when
/// they would change nothing.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Scan {
    /// Objects found reachable (left in the scanned list, or untracked
    /// there: see `untracked_tuples`).
    pub(super) reachable: u64,
    /// Objects moved to the unreachable list.
    pub(super) unreachable: u64,
    /// Reachable tuples the scan untracked (`untrack_tuples`; only the
    /// first pass untracks).
    pub(super) untracked_tuples: u64,
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
    move_unreachable::<false>(heap, base, unreachable, survivors_to, Unscanned::COLLECTING)
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
///
/// With `UNTRACK_TUPLES` (the collection's first pass) it also does
/// CPython's next step, `untrack_tuples`, as it goes: a reachable tuple
/// none of whose members may be tracked stops being tracked
/// (`_PyTuple_MaybeUntrack`), so that no second walk reads every survivor
/// and its members again. The decisions are CPython's: `untrack_tuples`
/// walks `young` in its final order, which is the order in which the scan
/// finds objects reachable (a rescued object is scanned again at the
/// tail). So when the scan meets a tuple, the objects before it in that
/// order have had their decision, and those after it are still tracked,
/// just as when CPython's walk meets it. (A test below runs both on random
/// heaps.)
pub(super) fn move_unreachable<const UNTRACK_TUPLES: bool>(
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
            let (slots, kind, reverse) = (h.slots, h.flags & flags::KIND_MASK, h.last_first());
            // `tp_traverse` order: a node's slots first to last
            // (`subtype_traverse`), a tuple's members, and a node set
            // last-first's slots (`list_traverse`), last to first
            // (`tupletraverse`). It decides the order in which objects are
            // rescued to the tail of `young`.
            if let Some(inline) = slots.inline_slots() {
                // Up to two slots, in the copied range itself: no arena
                // lookup per slot.
                let mut visit = |child: Slot| {
                    if let Some(child) = child {
                        waiting -= u64::from(visit_reachable(heap, child, young, unscanned));
                    }
                };
                if reverse {
                    inline.iter().rev().for_each(|&c| visit(c));
                } else {
                    inline.iter().for_each(|&c| visit(c));
                }
            } else {
                let n = slots.len();
                for k in 0..n {
                    let i = if reverse { n - 1 - k } else { k };
                    if let Some(child) = heap.slot_arena.slot(&slots, i) {
                        waiting -= u64::from(visit_reachable(heap, child, young, unscanned));
                    }
                }
            }
            let h = &mut heap.objects[x as usize];
            h.flags = placed.apply(h.flags & !COLLECTING);
            h.extra.refs = 0;
            scan.reachable += 1;
            scan.dicts += u64::from(h.flags & DICT_TRACKING != 0);
            // Read after the referents: a rescued one may follow `x` now.
            let after = h.extra.next;
            // The members were just visited: their headers are in cache.
            if UNTRACK_TUPLES && kind == flags::TUPLE && holds_nothing_trackable(heap, x) {
                untrack(heap, x);
                scan.untracked_tuples += 1;
            }
            x = after;
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

#[cfg(test)]
mod tests {
    //! The scan against CPython's own procedure (the object moved to the
    //! unreachable list as soon as it is found at 0, and back when
    //! rescued, then `untrack_tuples` as a walk of its own): on random
    //! heaps, some of whose objects are immortal, both leave the same
    //! objects in the same order in both lists, untrack the same tuples and
    //! report the same [`Scan`]; for a collection of generation 0 and for a
    //! full collection (whose first pass counts outside references and
    //! flips the scan parity instead of marking, against CPython's
    //! `update_refs` and `subtract_refs`).

    use gc_core::{Collector, CollectorExt, Control, Handle};

    use super::*;
    use crate::header::{ListPolicy, SCAN_PARITY, append, may_be_tracked, move_all, next, unlink};
    use crate::phases::refs::update_and_subtract_refs;

    /// `move_unreachable` as `Modules/gcmodule.c` (3.11) writes it.
    fn cpython_move_unreachable(heap: &mut Heap, young: List, unreachable: List) -> Scan {
        let head = young.head();
        let mut scan = Scan::default();
        let placed = Placement::new(heap, young);
        let mut x = first(heap, young);
        while x != head {
            let h = &heap.objects[x as usize];
            if h.extra.refs > 0 || h.flags & flags::IMMORTAL != 0 {
                let (slots, reverse) = (h.slots, h.last_first());
                let n = slots.len();
                for k in 0..n {
                    let i = if reverse { n - 1 - k } else { k };
                    let Some(child) = heap.slot_arena.slot(&slots, i) else {
                        continue;
                    };
                    let c = &mut heap.objects[child.index()];
                    if c.flags & UNREACHABLE == 0 {
                        if Unscanned::COLLECTING.test(c.flags) && c.extra.refs == 0 {
                            c.extra.refs = 1;
                        }
                        continue;
                    }
                    c.flags &= !UNREACHABLE;
                    c.extra.refs = 1;
                    let c = child.index() as u32;
                    unlink(heap, c);
                    append(heap, c, young);
                    scan.unreachable -= 1;
                    let (count, held) = references(heap, c);
                    scan.garbage_counts -= count;
                    scan.garbage_slots -= held;
                }
                let h = &mut heap.objects[x as usize];
                h.flags = placed.apply(h.flags & !COLLECTING);
                h.extra.refs = 0;
                scan.reachable += 1;
                scan.dicts += u64::from(h.flags & DICT_TRACKING != 0);
                x = h.extra.next;
            } else {
                let after = h.extra.next;
                move_to(heap, x, unreachable);
                let h = &mut heap.objects[x as usize];
                h.flags |= COLLECTING | UNREACHABLE;
                scan.garbage_flags |= h.flags;
                scan.unreachable += 1;
                let (count, held) = references(heap, x);
                scan.garbage_counts += count;
                scan.garbage_slots += held;
                x = after;
            }
        }
        scan
    }

    /// `untrack_tuples` and `_PyTuple_MaybeUntrack` as `Modules/gcmodule.c`
    /// and `Objects/tupleobject.c` (3.11) write them: a walk of `young`
    /// after the scan, untracking each tuple none of whose members may be
    /// tracked. Returns how many.
    fn cpython_untrack_tuples(heap: &mut Heap, young: List) -> u64 {
        let head = young.head();
        let mut untracked = 0;
        let mut x = first(heap, young);
        while x != head {
            let after = next(heap, x);
            let h = &heap.objects[x as usize];
            if h.flags & flags::KIND_MASK == flags::TUPLE {
                let slots = h.slots;
                let mut members = (0..slots.len()).filter_map(|i| heap.slot_arena.slot(&slots, i));
                if members.all(|m| !may_be_tracked(heap.objects[m.index()].flags)) {
                    untrack(heap, x);
                    untracked += 1;
                }
            }
            x = after;
        }
        untracked
    }

    /// SplitMix64: a tiny deterministic generator.
    fn next_random(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A heap of random nodes and tuples in generation 0 (automatic
    /// collection off), some still rooted, the same for the same seed.
    fn random_heap(seed: u64) -> Heap {
        let mut rng = seed;
        let mut heap = Heap::new_default().unwrap();
        heap.control(Control::Disable).unwrap();
        let objects = 1 + (next_random(&mut rng) % 60) as usize;
        let mut made: Vec<Handle> = Vec::new();
        for _ in 0..objects {
            let pick = |rng: &mut u64, made: &[Handle]| {
                (!made.is_empty() && next_random(rng) % 4 != 0)
                    .then(|| made[(next_random(rng) % made.len() as u64) as usize])
            };
            let roll = next_random(&mut rng) % 6;
            let h = if roll < 2 {
                // Up to three members: two are held in the header, three
                // in the slot arena.
                let n = (next_random(&mut rng) % 4) as usize;
                let members: Vec<_> = (0..n).map(|_| pick(&mut rng, &made)).collect();
                heap.alloc_tuple(&members).unwrap()
            } else if roll == 2 {
                // Never tracked: a tuple of atoms and nil can be untracked.
                heap.alloc_atom(0).unwrap()
            } else {
                let slots = (next_random(&mut rng) % 4) as usize;
                let n = heap.alloc_node(slots, 0).unwrap();
                if next_random(&mut rng) % 3 == 0 {
                    // A list's order: traversed last first.
                    heap.set_slot_order(n, gc_core::SlotOrder::LastToFirst)
                        .unwrap();
                }
                for i in 0..slots {
                    // Back edges as well as forward ones: cycles.
                    let target = if next_random(&mut rng) % 5 == 0 {
                        Some(n)
                    } else {
                        pick(&mut rng, &made)
                    };
                    heap.set_slot(n, i, target).unwrap();
                }
                n
            };
            if next_random(&mut rng) % 12 == 0 {
                // Kept by the scan whatever its `gc_refs`.
                heap.make_immortal(h).unwrap();
            }
            made.push(h);
        }
        // Later writes into earlier nodes: parents made before children.
        for _ in 0..objects / 2 {
            let from = made[(next_random(&mut rng) % made.len() as u64) as usize];
            let to = made[(next_random(&mut rng) % made.len() as u64) as usize];
            let _ = heap.set_slot(from, 0, Some(to));
        }
        for h in made {
            if next_random(&mut rng) % 4 != 0 {
                heap.release(h).unwrap();
            }
        }
        heap
    }

    fn order(heap: &Heap, list: List) -> Vec<u32> {
        let head = list.head();
        let mut out = Vec::new();
        let mut x = first(heap, list);
        while x != head {
            out.push(x);
            x = next(heap, x);
        }
        out
    }

    #[test]
    fn the_scan_leaves_both_lists_as_cpython_does() {
        for seed in 0..500 {
            for full in [false, true] {
                for untracking in [false, true] {
                    compare(seed, full, untracking);
                }
            }
        }
    }

    /// One random heap, collected both ways: generation 0 alone, or (`full`)
    /// everything, gathered into generation 2 as `gather_generations` does.
    fn compare(seed: u64, full: bool, untracking: bool) {
        let mut ours = random_heap(seed);
        let mut theirs = random_heap(seed);
        let (young, generation) = if full {
            move_all(&mut ours, List::Gen0, List::Gen2);
            move_all(&mut theirs, List::Gen0, List::Gen2);
            (List::Gen2, 2)
        } else {
            (List::Gen0, 0)
        };
        let case = format!("seed {seed}, full {full}, untracking {untracking}");
        assert_eq!(order(&ours, young), order(&theirs, young), "{case}");
        let parity = ours.policy.lists().scan_parity();
        let u = update_and_subtract_refs(&mut ours, young, generation);
        // A full collection with nothing frozen takes the parity path.
        assert_eq!(ours.policy.lists().scan_parity() != parity, full, "{case}");
        let a = if untracking {
            move_unreachable::<true>(&mut ours, young, List::Unreachable, young, u)
        } else {
            move_unreachable::<false>(&mut ours, young, List::Unreachable, young, u)
        };
        update_refs(&mut theirs, young);
        subtract_refs(&mut theirs, young);
        let b = cpython_move_unreachable(&mut theirs, young, List::Unreachable);
        let untracked = if untracking {
            cpython_untrack_tuples(&mut theirs, young)
        } else {
            0
        };
        // The lists hold tracked objects only: equal lists, equal tuples
        // untracked.
        for list in [young, List::Unreachable] {
            assert_eq!(order(&ours, list), order(&theirs, list), "{case} {list:?}");
        }
        // Every flag but the scan parity, which only the parity path
        // flips: there every scanned survivor has the new one.
        let flags = |heap: &Heap| {
            heap.objects
                .iter()
                .map(|h| h.flags & !SCAN_PARITY)
                .collect::<Vec<_>>()
        };
        assert_eq!(flags(&ours), flags(&theirs), "{case}");
        let now = ours.policy.lists().scan_parity();
        for x in order(&ours, young) {
            assert_eq!(ours.objects[x as usize].flags & SCAN_PARITY, now, "{case}");
        }
        assert_eq!(
            (
                a.reachable,
                a.unreachable,
                a.untracked_tuples,
                a.dicts,
                a.garbage_flags & !SCAN_PARITY
            ),
            (
                b.reachable,
                b.unreachable,
                untracked,
                b.dicts,
                b.garbage_flags & !SCAN_PARITY
            ),
            "{case}"
        );
        assert_eq!(
            (a.garbage_counts, a.garbage_slots),
            (b.garbage_counts, b.garbage_slots),
            "{case}"
        );
    }
}
