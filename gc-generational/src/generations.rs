//! Which generation an automatic collection takes.
//!
//! CPython's `gc_collect_generations`: the oldest generation whose count
//! exceeds its threshold, except that generation 2 is passed over while
//! `long_lived_pending < long_lived_total / 4` (so that full collections
//! stay proportional to the heap: building a large structure costs linear,
//! not quadratic, time). Generation 0 always qualifies, because the trigger
//! needed `count0 > threshold0`.

use gc_core::Trigger;

use crate::header::Heap;
use crate::phases;

/// Picks the generation and collects it (the caller holds `collecting`).
pub(crate) fn collect_generations(heap: &mut Heap) {
    if let Some(g) = choose(heap) {
        phases::collect_with_callback(heap, g, Trigger::Auto);
    }
}

/// The generation an automatic collection would take now, if any.
pub(crate) fn choose(heap: &Heap) -> Option<usize> {
    let p = &heap.policy;
    (0..3).rev().find(|&i| {
        p.gens[i].count > p.gens[i].threshold
            && !(i == 2 && p.long_lived_pending < p.long_lived_total / 4)
    })
}
