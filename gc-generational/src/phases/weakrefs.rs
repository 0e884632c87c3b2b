//! `handle_weakrefs`: weak references to the unreachable are cleared, and
//! the callbacks of those that are not garbage themselves run.

use gc_core::rc::flags;

use crate::header::{self, COLLECTING, List, first, is_empty, move_to, move_to_generation, next};
use crate::state::Heap;

/// `handle_weakrefs`: clears every weak reference to an unreachable object;
/// those that have a callback and are not garbage themselves go to a list,
/// and once all are cleared their callbacks run, in that order. A weak
/// reference whose callback ran moves to `old`. Returns the weak references
/// freed by their callbacks (none can be here: a callback only reports).
pub(super) fn handle_weakrefs(heap: &mut Heap, unreachable: List, old: List) -> u64 {
    let head = unreachable.head();
    let mut x = first(heap, unreachable);
    while x != head {
        let after = next(heap, x);
        let f = heap.objects[x as usize].flags;
        if f & flags::HAS_WEAKREFS != 0 {
            for w in heap.clear_weakrefs(header::object(x), false) {
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
        heap.report_weak_callback(header::object(w), header::object(target));
        heap.objects[w as usize].extra.refs = 0;
        if first(heap, List::WeakCallbacks) == w {
            move_to_generation(heap, w, old);
        } else {
            freed += 1;
        }
    }
    freed
}
