//! One collection, in CPython 3.11's order (`gc_collect_main`).
//!
//! Every phase walks a list or an object's slots with a loop; nothing
//! recurses, whatever the shape of the heap. A collection allocates
//! nothing once it has started, so it cannot fail half-way: its lists are
//! links in the objects' headers, a dying object's weak references come
//! out of the registry's own list, what finalizers add (saved-list
//! entries, roots for the hook) was reserved when they were set, and
//! under DEBUG_SAVEALL room in `gc.garbage` for every object is reserved
//! before anything changes (refused, the collection is `OutOfMemory`
//! and nothing ran). Passes that cannot change anything (weak references
//! when no garbage has any, finalizers when none has one, the second
//! reachability pass when no finalizer resurrected) are skipped, and tuple
//! untracking is done by the scan as it goes; the result is the same as
//! CPython's.

use std::time::{Duration, Instant};

use gc_core::rc::flags;
use gc_core::{CollectKind, Collection, GcError, Generation, Trigger};

use crate::debug::{self, DEBUG_COLLECTABLE, DEBUG_SAVEALL, DEBUG_STATS};
use crate::header::{List, merge};
use crate::state::{CallbackInfo, Heap, Phase, invoke_callbacks};

// The steps, each in its own file under `phases/`, in the order they run.
mod delete;
mod finalizers;
mod reachability;
mod refs;
mod survivors;
mod weakrefs;

use delete::{delete_garbage, free_closed_garbage};
use finalizers::{finalize_garbage, handle_resurrected_objects};
use reachability::{Scan, move_unreachable};
use refs::update_and_subtract_refs;
use survivors::promote_survivors;
use weakrefs::handle_weakrefs;

/// The `kind` of a collection event, by generation.
pub const KINDS: [CollectKind; 3] = [
    CollectKind::named("generation-0"),
    CollectKind::named("generation-1"),
    CollectKind::named("generation-2"),
];

/// `gc_collect_with_callback`: "start" callbacks, the collection, "stop"
/// callbacks. Returns collected + uncollectable; `OutOfMemory`, before any
/// of it, when the system refuses the memory the collection needs.
pub(crate) fn collect_with_callback(
    heap: &mut Heap,
    generation: usize,
    trigger: Trigger,
) -> Result<u64, GcError> {
    reserve(heap)?;
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
    Ok(m + n)
}

/// Makes room for everything the collection will add to a list: under
/// DEBUG_SAVEALL, `gc.garbage` may take every object. (A callback or a
/// finalizer that turns DEBUG_SAVEALL on during the collection gets no
/// such room: `delete_garbage` then keeps what it cannot save
/// uncollected.)
fn reserve(heap: &mut Heap) -> Result<(), GcError> {
    if heap.policy.debug & DEBUG_SAVEALL != 0 {
        let all = heap.table_len();
        heap.garbage
            .try_reserve(all)
            .map_err(|_| gc_core::config::refused())?;
    }
    Ok(())
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
    let scan = move_unreachable::<true>(heap, young, List::Unreachable, old, unscanned);
    promote_survivors(heap, generation, young, old, &scan);
    if debug & DEBUG_COLLECTABLE != 0 {
        debug::log_collectables(heap, List::Unreachable);
    }
    let m = dispose_of_unreachable(heap, old, &scan);
    // Objects reachable from legacy (`tp_del`) finalizers: the object model
    // has none, so nothing is ever uncollectable.
    let n = 0;
    #[cfg(debug_assertions)]
    crate::header::check_lists(heap);
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
