//! PEP 442: finalizers of the unreachable run once, and what they
//! resurrect (and what that reaches) survives.

use gc_core::rc::flags;
use gc_core::{Collector, embed};

use super::reachability::deduce_unreachable;
use crate::header::{self, COLLECTING, List, UNREACHABLE, first, is_empty, merge, move_to, next};
use crate::state::Heap;

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
pub(super) fn finalize_garbage(heap: &mut Heap, collectable: List) -> bool {
    if heap.embed_state_ref().has_hook() {
        return finalize_garbage_running_code(heap, collectable);
    }
    let head = collectable.head();
    let mut resurrected = false;
    let mut x = first(heap, collectable);
    while x != head {
        let f = heap.objects[x as usize].flags;
        if f & flags::HAS_FINALIZER != 0 && f & flags::FINALIZED == 0 {
            let r = header::object(x);
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
        let r = header::object(x);
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
pub(super) fn handle_resurrected_objects(
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
