//! One collection, in CPython 3.11's order (`gc_collect_main`).
//!
//! Every phase walks a list or an object's slots with a loop; nothing
//! recurses, whatever the shape of the heap. The only memory a collection
//! allocates is the list of weak references of a dying object that has
//! some. Passes that cannot change anything (weak references when no
//! garbage has any, finalizers when none has one, the second reachability
//! pass when no finalizer resurrected, tuple untracking when no tuple
//! survived) are skipped; the result is the same as CPython's.

use std::time::{Duration, Instant};

use gc_core::rc::{ObjRef, flags};
use gc_core::{CollectKind, Collection, Collector, Generation, Trigger, embed};

use crate::debug::{self, DEBUG_COLLECTABLE, DEBUG_SAVEALL, DEBUG_STATS};
use crate::header::{
    self, COLLECTING, List, Placement, TRACKED, UNREACHABLE, Unscanned, append, first, is_empty,
    merge, move_to, move_to_generation, next, unlink, untrack,
};
use crate::state::{CallbackInfo, Heap, Phase, invoke_callbacks};

/// The `kind` of a collection event, by generation.
pub const KINDS: [CollectKind; 3] = [
    CollectKind::named("generation-0"),
    CollectKind::named("generation-1"),
    CollectKind::named("generation-2"),
];

/// `gc_refs` of an immortal object: never reaches zero.
const IMMORTAL_REFS: u32 = u32::MAX / 2;

#[inline]
fn obj(x: u32) -> ObjRef {
    ObjRef::from_index(x as usize).expect("a list entry is an object index")
}

/// `gc_collect_with_callback`: "start" callbacks, the collection, "stop"
/// callbacks. Returns collected + uncollectable.
pub(crate) fn collect_with_callback(heap: &mut Heap, generation: usize, trigger: Trigger) -> u64 {
    let g = generation as u8;
    invoke_callbacks(
        heap,
        Phase::Start,
        CallbackInfo {
            generation: g,
            collected: 0,
            uncollectable: 0,
        },
    );
    let (m, n) = collect_main(heap, generation, trigger);
    invoke_callbacks(
        heap,
        Phase::Stop,
        CallbackInfo {
            generation: g,
            collected: m,
            uncollectable: n,
        },
    );
    m + n
}

/// `gc_collect_main`: returns (collected, uncollectable).
fn collect_main(heap: &mut Heap, generation: usize, trigger: Trigger) -> (u64, u64) {
    let started = Instant::now();
    // The flags at the start decide the logging of the whole collection.
    let debug = heap.policy.debug;
    if debug & DEBUG_STATS != 0 {
        debug::log_start(heap, generation);
    }
    let young = gather_generations(heap, generation);
    let old = List::generation((generation + 1).min(2));
    let unscanned = update_and_subtract_refs(heap, young, generation as u32);
    let scan = move_unreachable(heap, young, List::Unreachable, old, unscanned);
    promote_survivors(heap, generation, young, old, &scan);
    if debug & DEBUG_COLLECTABLE != 0 {
        debug::log_collectables(heap, List::Unreachable);
    }
    let m = dispose_of_unreachable(heap, old, &scan);
    // Objects reachable from legacy (`tp_del`) finalizers: the object model
    // has none, so nothing is ever uncollectable.
    let n = 0;
    #[cfg(debug_assertions)]
    header::check_lists(heap);
    let pause = started.elapsed();
    if debug & DEBUG_STATS != 0 {
        debug::log_done(m + n, n, pause.as_secs_f64());
    }
    record_collection(heap, generation, trigger, pause, m, n);
    (m, n)
}

/// The start of `gc_collect_main`: the next older generation counts one
/// more collection of this one, the collected ones start over, and the
/// younger generations are merged into `generation`'s list, which is
/// returned. (Their generation bits stay: a referent is inside the
/// collection when its bits are `generation` or lower.)
fn gather_generations(heap: &mut Heap, generation: usize) -> List {
    let p = &mut heap.policy;
    if generation + 1 < 3 {
        p.gens[generation + 1].count += 1;
    }
    for g in &mut p.gens[..=generation] {
        g.count = 0;
    }
    let young = List::generation(generation);
    for i in 0..generation {
        merge(heap, List::generation(i), young);
    }
    young
}

/// What is left in `young` after the scan survives: tuples that can never
/// be part of a cycle are untracked, and the rest moves to `old` (the next
/// older generation, or stays in generation 2). The survivors feed
/// `long_lived_pending` and `long_lived_total`, which decide when
/// generation 2 is collected (`generations.rs`).
fn promote_survivors(heap: &mut Heap, generation: usize, young: List, old: List, scan: &Scan) {
    let mut survivors = scan.reachable;
    if scan.tuples > 0 {
        survivors -= untrack_tuples(heap, young);
    }
    if young != old {
        if generation == 1 {
            heap.policy.long_lived_pending += survivors;
        }
        merge(heap, young, old);
    } else {
        heap.policy.long_lived_pending = 0;
        heap.policy.long_lived_total = survivors;
    }
}

/// Everything after the scan, for what it left in the unreachable list:
/// weak references, finalizers, the objects they resurrected, and the
/// deletion of the rest. Returns how many were collected (CPython's `m`).
///
/// The weak-reference and finalizer passes only matter for garbage that
/// has weak references or finalizers; without them each would be a walk
/// that changes nothing, so the scan's flags decide whether they run.
fn dispose_of_unreachable(heap: &mut Heap, old: List, scan: &Scan) -> u64 {
    let mut m = 0;
    if scan.garbage_flags & flags::HAS_WEAKREFS != 0 {
        m += handle_weakrefs(heap, List::Unreachable, old);
    }
    let resurrecting =
        scan.garbage_flags & flags::HAS_FINALIZER != 0 && finalize_garbage(heap, List::Unreachable);
    if resurrecting {
        m += handle_resurrected_objects(heap, List::Unreachable, List::Final, old);
    } else {
        // No count changed since the first pass (callbacks and finalizers
        // that do not resurrect only report), so a second pass would find
        // every object unreachable again, in the same order.
        merge(heap, List::Unreachable, List::Final);
        m += scan.unreachable;
    }
    if resurrecting || !free_closed_garbage(heap, List::Final, scan) {
        delete_garbage(heap, List::Final, old);
    }
    m
}

/// The end of `gc_collect_main`: the generation's statistics, the heap's,
/// and the collection event.
fn record_collection(
    heap: &mut Heap,
    generation: usize,
    trigger: Trigger,
    pause: Duration,
    m: u64,
    n: u64,
) {
    let s = &mut heap.policy.stats[generation];
    s.collections += 1;
    s.collected += m;
    s.uncollectable += n;
    let pause_ns = pause.as_nanos() as u64;
    heap.events.record_collection(
        &mut heap.stats,
        Collection {
            trigger,
            generation: Generation::ALL[generation],
            kind: KINDS[generation],
            collected: m + n,
            uncollectable: n,
            pause_ns,
            detail: None,
        },
    );
}

/// What `move_unreachable` saw, so that later passes can be skipped when
/// they would change nothing.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scan {
    /// Objects left in the scanned list (reachable).
    pub reachable: u64,
    /// Objects moved to the unreachable list.
    pub unreachable: u64,
    /// Reachable tuples (candidates for untracking).
    pub tuples: u64,
    /// The union of the flags of every object that was moved to the
    /// unreachable list (some may have come back).
    pub garbage_flags: u32,
    /// Over the objects left in the unreachable list: the sum of their
    /// counts, and of their non-nil slots. Every reference to an
    /// unreachable object comes from another one's slot, so the two are
    /// equal exactly when every slot of the garbage points into it (a slot
    /// pointing at an immortal object, whose count does not move, makes
    /// them differ: such garbage takes the slow path).
    pub garbage_counts: u64,
    /// See `garbage_counts`.
    pub garbage_slots: u64,
}

impl Scan {
    /// Is the garbage closed: no slot of it refers outside it?
    fn garbage_is_closed(&self) -> bool {
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
fn deduce_unreachable(heap: &mut Heap, base: List, unreachable: List, survivors_to: List) -> Scan {
    update_refs(heap, base);
    subtract_refs(heap, base);
    move_unreachable(heap, base, unreachable, survivors_to, Unscanned::COLLECTING)
}

/// `update_refs` and `subtract_refs` of the collected generations in one
/// walk: `gc_refs` is 0 outside a collection, so adding each object's count
/// and subtracting each reference from inside can happen in any order; a
/// referent is inside when it is tracked in generation `generation` or a
/// younger one (its generation bits). Marks every object `COLLECTING`.
fn update_and_subtract_refs(heap: &mut Heap, base: List, generation: u32) -> Unscanned {
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
/// `gc_refs`.)
#[cfg(debug_assertions)]
fn check_outside_refs(heap: &Heap) {
    let mut internal = vec![0u32; heap.objects.len()];
    for h in heap.objects.iter().filter(|h| h.flags & TRACKED != 0) {
        for &child in heap.slot_arena.get(&h.slots).iter().flatten() {
            internal[child.index()] += 1;
        }
    }
    for (h, &inside) in heap.objects.iter().zip(&internal) {
        if h.flags & TRACKED != 0 && h.flags & flags::IMMORTAL == 0 {
            assert_eq!(h.extra.refs, h.rc - inside, "outside references miscounted");
        }
    }
}

/// `update_refs`: `gc_refs` := the count; mark `COLLECTING`.
fn update_refs(heap: &mut Heap, base: List) {
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
fn subtract_refs(heap: &mut Heap, base: List) {
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

/// `move_unreachable`: scans `young` from its head. An object with
/// `gc_refs > 0` is reachable: its referents in `young` become reachable
/// too (one moved to `unreachable` earlier comes back at the tail of
/// `young`, to be scanned again). An object still at 0 when the scan meets
/// it moves to the tail of `unreachable`, for now, flagged
/// `COLLECTING|UNREACHABLE`. An immortal object is always reachable. Every
/// object scanned is placed as a member of generation list `survivors_to`
/// (where the caller moves `young` next); `unscanned` says how to recognise
/// a referent that belongs to the collection and has not been scanned yet.
fn move_unreachable(
    heap: &mut Heap,
    young: List,
    unreachable: List,
    survivors_to: List,
    unscanned: Unscanned,
) -> Scan {
    let head = young.head();
    let mut scan = Scan::default();
    let placed = Placement::new(heap, survivors_to);
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
                    visit_reachable(heap, child, young, unscanned, &mut scan);
                }
            }
            let h = &mut heap.objects[x as usize];
            h.flags = placed.apply(h.flags & !COLLECTING);
            h.extra.refs = 0;
            scan.reachable += 1;
            scan.tuples += u64::from(kind == flags::TUPLE);
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

/// `visit_reachable`: a referent of a reachable object is reachable. One
/// already moved to the unreachable list comes back to the tail of `young`
/// (to be scanned when the walk gets there); one not scanned yet is marked.
#[inline(always)]
fn visit_reachable(
    heap: &mut Heap,
    child: ObjRef,
    young: List,
    unscanned: Unscanned,
    scan: &mut Scan,
) {
    let c = &mut heap.objects[child.index()];
    let f = c.flags;
    if f & UNREACHABLE == 0 {
        if unscanned.test(f) && c.extra.refs == 0 {
            c.extra.refs = 1;
        }
        return;
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

/// `untrack_tuples`: a surviving tuple whose members are all nil, atoms or
/// untracked tuples will never be part of a cycle; stop tracking it
/// (`_PyTuple_MaybeUntrack`). Returns how many were untracked.
fn untrack_tuples(heap: &mut Heap, young: List) -> u64 {
    let head = young.head();
    let mut untracked = 0;
    let mut x = first(heap, young);
    while x != head {
        let h = &heap.objects[x as usize];
        let after = h.extra.next;
        if h.flags & flags::KIND_MASK == flags::TUPLE && tuple_may_untrack(heap, x) {
            untrack(heap, x);
            untracked += 1;
        }
        x = after;
    }
    untracked
}

/// Every member is nil, an atom, or an untracked tuple
/// (`!_PyObject_GC_MAY_BE_TRACKED`).
fn tuple_may_untrack(heap: &Heap, x: u32) -> bool {
    let slots = heap.objects[x as usize].slots;
    heap.slot_arena.get(&slots).iter().all(|m| match m {
        None => true,
        Some(c) => {
            let f = heap.objects[c.index()].flags;
            match f & flags::KIND_MASK {
                flags::ATOM => true,
                flags::TUPLE => f & TRACKED == 0,
                _ => false,
            }
        }
    })
}

/// `handle_weakrefs`: clears every weak reference to an unreachable object;
/// those that have a callback and are not garbage themselves go to a list,
/// and once all are cleared their callbacks run, in that order. A weak
/// reference whose callback ran moves to `old`. Returns the weak references
/// freed by their callbacks (none can be here: a callback only reports).
fn handle_weakrefs(heap: &mut Heap, unreachable: List, old: List) -> u64 {
    let head = unreachable.head();
    let mut x = first(heap, unreachable);
    while x != head {
        let after = next(heap, x);
        let f = heap.objects[x as usize].flags;
        if f & flags::HAS_WEAKREFS != 0 {
            for w in heap.clear_weakrefs(obj(x), false) {
                let wi = w.index() as u32;
                if heap.objects[wi as usize].flags & COLLECTING != 0 {
                    continue;
                }
                move_to(heap, wi, List::WeakCallbacks);
                heap.objects[wi as usize].extra.refs = x;
            }
        }
        x = after;
    }
    let mut freed = 0;
    while !is_empty(heap, List::WeakCallbacks) {
        let w = first(heap, List::WeakCallbacks);
        let target = heap.objects[w as usize].extra.refs;
        heap.report_weak_callback(obj(w), obj(target));
        heap.objects[w as usize].extra.refs = 0;
        if first(heap, List::WeakCallbacks) == w {
            move_to_generation(heap, w, old);
        } else {
            freed += 1;
        }
    }
    freed
}

/// `finalize_garbage`: each finalizer not yet run runs now (the finalized
/// flag is set first), in list order. Returns whether one resurrected its
/// object, or may have ([`Finalizer::Run`] runs the embedder's code, which
/// may store the object anywhere).
///
/// Without a finalizer hook a finalizer only reports and (for
/// [`Finalizer::Resurrect`]) appends to the saved list, so the walk stays
/// in place. With one, the embedder's code may free, allocate or move
/// anything, so each object goes to a `seen` list before its finalizer
/// runs, as in CPython, and the list comes back whole at the end.
///
/// [`Finalizer::Run`]: gc_core::Finalizer::Run
/// [`Finalizer::Resurrect`]: gc_core::Finalizer::Resurrect
fn finalize_garbage(heap: &mut Heap, collectable: List) -> bool {
    if heap.embed_state_ref().has_hook() {
        return finalize_garbage_running_code(heap, collectable);
    }
    let head = collectable.head();
    let mut resurrected = false;
    let mut x = first(heap, collectable);
    while x != head {
        let f = heap.objects[x as usize].flags;
        if f & flags::HAS_FINALIZER != 0 && f & flags::FINALIZED == 0 {
            let r = obj(x);
            heap.report_finalized(r);
            if f & flags::RESURRECT != 0 {
                heap.inc(r);
                heap.saved.push(r);
                resurrected = true;
            }
        }
        x = next(heap, x);
    }
    resurrected
}

/// [`finalize_garbage`] when the embedder's hook may run: CPython's walk
/// with a `seen` list (`List::Final`, empty until the next pass).
fn finalize_garbage_running_code(heap: &mut Heap, collectable: List) -> bool {
    let seen = List::Final;
    let mut resurrected = false;
    while !is_empty(heap, collectable) {
        let x = first(heap, collectable);
        move_to(heap, x, seen);
        let f = heap.objects[x as usize].flags;
        if f & flags::HAS_FINALIZER == 0 || f & flags::FINALIZED != 0 {
            continue;
        }
        let r = obj(x);
        heap.report_finalized(r);
        if f & flags::RESURRECT != 0 {
            heap.inc(r);
            heap.saved.push(r);
        } else if f & flags::RUN_HOOK != 0 {
            heap.inc(r);
            let root = heap.root_object(r);
            if !embed::run_hook_now(heap, root) {
                // The hook is busy (this collection started inside it):
                // the object waits for it, held by the root.
                heap.embed_state().queue(root);
            }
        } else {
            continue;
        }
        resurrected = true;
    }
    merge(heap, seen, collectable);
    resurrected
}

/// `handle_resurrected_objects`: reachability again, among the unreachable
/// alone, with today's counts. What a finalizer made reachable (and what
/// that reaches) moves to `old`; the rest goes to `still_unreachable`.
/// Returns the size of the latter (CPython adds it to `m`).
fn handle_resurrected_objects(
    heap: &mut Heap,
    unreachable: List,
    still_unreachable: List,
    old: List,
) -> u64 {
    header::clear_flags(heap, unreachable, COLLECTING | UNREACHABLE);
    let scan = deduce_unreachable(heap, unreachable, still_unreachable, old);
    merge(heap, unreachable, old);
    scan.unreachable
}

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
fn free_closed_garbage(heap: &mut Heap, collectable: List, scan: &Scan) -> bool {
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
                heap.free_closed(obj(x as u32));
                freed += 1;
            }
        }
    } else {
        let mut x = first(heap, collectable);
        while x != head {
            let after = next(heap, x);
            heap.free_closed(obj(x));
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
/// slot of the garbage.
#[cfg(debug_assertions)]
fn walk_finds_closed(heap: &Heap, collectable: List) -> bool {
    header::members(heap, collectable).into_iter().all(|x| {
        let h = &heap.objects[x as usize];
        h.flags & flags::KIND_MASK != flags::WEAKREF
            && heap
                .slot_arena
                .get(&h.slots)
                .iter()
                .flatten()
                .all(|child| heap.objects[child.index()].flags & UNREACHABLE != 0)
    })
}

/// `delete_garbage`: with DEBUG_SAVEALL, into `gc.garbage`; otherwise clear
/// the object's slots (`tp_clear`; tuples have none) so that reference
/// counting frees the cycle. An object still alive afterwards moves to
/// `old`.
fn delete_garbage(heap: &mut Heap, collectable: List, old: List) {
    let saveall = heap.policy.debug & DEBUG_SAVEALL != 0;
    while !is_empty(heap, collectable) {
        let x = first(heap, collectable);
        let r = obj(x);
        if saveall {
            heap.inc(r);
            heap.garbage.push(r);
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
