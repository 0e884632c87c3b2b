//! The policy on top of the shared reference-counting heap: the
//! [`RcPolicy`] hooks (count, trigger, track, untrack) that make
//! `RcHeap<CycleGc>` this crate's [`Collector`](gc_core::Collector), and the
//! operations of the `gc` module that act on the whole heap.

use gc_core::rc::{AllocKind, ObjRef, RcPolicy, flags};
use gc_core::{Control, ControlOutcome, GcError, Generation, Traits, Trigger};

use crate::config::GenerationalConfig;
use crate::header::{self, GcHead, HEAD_BASE, List, TRACKED};
use crate::state::{CycleGc, Heap};
use crate::{debug, generations, phases};

/// Is `x` a container CPython would make a GC object (node, tuple, weak
/// reference object)? Atoms are not.
#[inline]
fn is_container(heap: &Heap, r: ObjRef) -> bool {
    heap.objects[r.index()].is_gc_container()
}

/// Is a new object of this kind a container that is counted and tracked?
/// Atoms never are, nor is an [`AllocKind::PlainTuple`]: gc-core makes
/// one only when `sorts_plain_tuples` says so, that is with
/// `untrack_new_tuples`, CPython 3.14.1's rule (gh-139951): a tuple of
/// untracked members is made untracked, and generation 0 counts only
/// what is tracked. Under 3.11's rule (the default) every tuple is an
/// `AllocKind::Tuple`, tracked and counted, and a collection that finds
/// one of untracked members untracks it (`untrack_tuples`).
#[inline(always)]
fn counted(what: AllocKind) -> bool {
    match what {
        AllocKind::Atom | AllocKind::PlainTuple => false,
        AllocKind::Node | AllocKind::Tuple | AllocKind::Weakref => true,
    }
}

/// Has the object table reached the indices that name the list heads
/// (from `HEAD_BASE` up), with no free entry left? Then no object can be
/// made.
#[inline]
fn table_full(heap: &Heap) -> bool {
    heap.objects.len() >= HEAD_BASE as usize && heap.table_len() == heap.objects.len()
}

/// `gc_collect_impl`: an explicit collection; 0 while one runs.
pub(crate) fn collect_explicit(heap: &mut Heap, generation: usize) -> Result<u64, GcError> {
    if heap.policy.collecting {
        return Ok(0);
    }
    heap.policy.collecting = true;
    let n = phases::collect_with_callback(heap, generation, Trigger::Explicit);
    heap.policy.collecting = false;
    n
}

/// `gc.freeze()`: every generation into the permanent one; counts 0.
pub(crate) fn freeze(heap: &mut Heap) {
    for g in 0..3 {
        header::move_all(heap, List::generation(g), List::Permanent);
        heap.policy.gens[g].count = 0;
    }
}

/// `gc.unfreeze()`: the permanent generation back into generation 2.
pub(crate) fn unfreeze(heap: &mut Heap) {
    header::move_all(heap, List::Permanent, List::Gen2);
}

/// `gc.garbage.clear()`: like CPython's `list.clear`, the references
/// are dropped last entry first.
pub(crate) fn clear_garbage(heap: &mut Heap) {
    let garbage = std::mem::take(&mut heap.garbage);
    for &r in garbage.iter().rev() {
        heap.dec(r);
    }
}

impl RcPolicy for CycleGc {
    type Extra = GcHead;
    type Config = GenerationalConfig;
    const TRAITS: Traits = Traits {
        name: "generational",
        summary: "reference counting plus CPython 3.11's generational cycle collector",
        frees_objects: true,
        collects_cycles: true,
        moves_objects: false,
        write_barrier: false,
        incremental: false,
        generational: true,
        reference_counting: true,
        frees_finalized_later: false,
    };

    fn new(config: &GenerationalConfig) -> Result<Self, GcError> {
        Ok(CycleGc::new(
            config.thresholds(),
            config.enabled,
            config.debug,
            config.untrack_new_tuples,
        ))
    }

    fn max_heap(config: &GenerationalConfig) -> usize {
        config.max_heap
    }

    /// The heap limit is reached: a full collection (automatic, even under
    /// `gc.disable()`, as PyPy collects before refusing), unless one runs.
    fn make_room(heap: &mut Heap) -> Result<(), GcError> {
        if !heap.policy.collecting {
            heap.policy.collecting = true;
            let done = phases::collect_with_callback(heap, 2, Trigger::Auto);
            heap.policy.collecting = false;
            done?;
        }
        Ok(())
    }

    /// `_PyObject_GC_Link` counts a container only once its memory is
    /// allocated: undo `before_alloc`'s count.
    fn alloc_refused(heap: &mut Heap, what: AllocKind) {
        if counted(what) {
            let c = &mut heap.policy.gens[0].count;
            *c = c.saturating_sub(1);
        }
    }

    /// Counts the container when no collection starts in it.
    #[inline]
    fn quiet_before_alloc(heap: &mut Heap, what: AllocKind) -> bool {
        !table_full(heap) && (!counted(what) || generations::link_quietly(heap))
    }

    /// `_PyObject_GC_Link`: count the container, and collect inside the
    /// allocation, before the new object exists, when the count passes
    /// threshold 0.
    #[inline]
    fn before_alloc(heap: &mut Heap, what: AllocKind) -> Result<(), GcError> {
        // Refuse the allocation that would give an object a list head's
        // index.
        if table_full(heap) {
            return Err(GcError::TooMany {
                what: "objects",
                limit: u64::from(HEAD_BASE),
            });
        }
        if counted(what) {
            generations::link_container(heap)?;
        }
        Ok(())
    }

    /// `_PyObject_GC_TRACK` of a new container (unless it is left
    /// untracked: see `counted`).
    #[inline(always)]
    fn after_alloc(heap: &mut Heap, object: ObjRef, what: AllocKind) {
        if counted(what) {
            header::track(heap, object.index() as u32);
        }
    }

    #[inline(always)]
    fn sorts_plain_tuples(heap: &Heap) -> bool {
        heap.policy.untrack_new_tuples
    }

    #[inline(always)]
    fn may_be_tracked(heap: &Heap, member: ObjRef) -> bool {
        header::may_be_tracked(heap.objects[member.index()].flags)
    }

    /// `PyObject_GC_Del`: untrack, and uncount (with
    /// `untrack_new_tuples`, not a tuple freed untracked: see `counted`).
    #[inline(always)]
    fn on_free(heap: &mut Heap, object: ObjRef) {
        let f = heap.objects[object.index()].flags;
        if f & TRACKED != 0 {
            header::untrack(heap, object.index() as u32);
        }
        let uncount = match f & flags::KIND_MASK {
            _ if f & TRACKED != 0 => true,
            flags::ATOM => false,
            flags::TUPLE => !heap.policy.untrack_new_tuples,
            _ => true,
        };
        if uncount {
            heap.policy.uncount(1);
        }
    }

    /// `MAINTAIN_TRACKING`: a node tracked as a dict that is untracked
    /// starts being tracked when it is given a member that may be tracked.
    #[inline]
    fn on_store(heap: &mut Heap, container: ObjRef, value: ObjRef) {
        let f = heap.objects[container.index()].flags;
        if f & (header::DICT_TRACKING | TRACKED) == header::DICT_TRACKING
            && header::may_be_tracked(heap.objects[value.index()].flags)
        {
            header::track(heap, container.index() as u32);
        }
    }

    /// `subtype_dealloc` re-tracks the object at the tail of generation 0
    /// before its finalizer, and a resurrected object stays there. With
    /// `untrack_new_tuples` an untracked tuple stays untracked (its members
    /// are all untracked, so it can be in no cycle): under that rule
    /// generation 0 counts only what is tracked, and it was not counted.
    fn on_resurrect(heap: &mut Heap, object: ObjRef) {
        if !is_container(heap, object) {
            return;
        }
        let x = object.index() as u32;
        let f = heap.objects[x as usize].flags;
        if f & TRACKED != 0 {
            header::untrack(heap, x);
        } else if heap.policy.untrack_new_tuples && f & flags::KIND_MASK == flags::TUPLE {
            return;
        }
        header::track(heap, x);
    }

    fn collect(heap: &mut Heap, generation: Generation) -> Result<u64, GcError> {
        collect_explicit(heap, usize::from(generation.number()))
    }

    fn control(heap: &mut Heap, control: Control) -> Result<ControlOutcome, GcError> {
        match control {
            Control::Threshold(t0, t1, t2) => {
                let signed = |t: u64| i64::try_from(t).unwrap_or(i64::MAX);
                heap.policy
                    .set_threshold(signed(t0), t1.map(signed), t2.map(signed))
            }
            Control::Enable => heap.policy.enabled = true,
            Control::Disable => heap.policy.enabled = false,
            Control::Freeze => freeze(heap),
            Control::Unfreeze => unfreeze(heap),
            Control::DebugSaveAll => heap.policy.debug = debug::DEBUG_SAVEALL,
            Control::DebugOff => heap.policy.debug = 0,
            Control::GarbageClear => clear_garbage(heap),
        }
        Ok(ControlOutcome::Applied)
    }
}
