//! Which generation is collected, and when (CPython's
//! `_PyObject_GC_Link` and `gc_collect_generations`).
//!
//! Each container allocation adds one to generation 0's count; when it
//! passes threshold 0 (default 700; 0 turns automatic collection off), a
//! collection runs inside the allocation. Thresholds are signed, as
//! CPython's C `int`s: a negative one is always passed (threshold 0 below
//! zero: a collection at every container allocation). It takes the oldest generation
//! whose count exceeds its threshold (defaults 10 and 10: generation 1 and
//! 2 count collections of the next younger one), except that generation 2
//! is passed over while `long_lived_pending < long_lived_total / 4` (so that
//! full collections stay proportional to the heap: building a large
//! structure costs linear, not quadratic, time; the phases keep the two
//! numbers up to date). Generation 0 always qualifies, because the trigger
//! needed `count0 > threshold0`.

use gc_core::{GcError, Trigger};

use crate::phases;
use crate::state::{CycleGc, Heap};

/// CPython's default thresholds, `gc.get_threshold()`.
pub const DEFAULT_THRESHOLDS: [u64; 3] = [700, 10, 10];

/// `_PyObject_GC_Link`: counts a new container and, when the count passes
/// threshold 0 and automatic collection is on and no collection is
/// running, collects before the container exists. When the system refuses
/// the memory that collection needs, nothing is counted or collected and
/// the allocation is refused.
#[inline]
pub(crate) fn link_container(heap: &mut Heap) -> Result<(), GcError> {
    let p = &mut heap.policy;
    p.gens[0].count += 1;
    if collection_due(p, p.gens[0].count) {
        p.collecting = true;
        let done = collect_generations(heap);
        heap.policy.collecting = false;
        if done.is_err() {
            heap.policy.gens[0].count -= 1;
        }
        return done;
    }
    Ok(())
}

/// Would [`link_container`] collect when generation 0's count becomes
/// `count` (it passes threshold 0, automatic collection is on and none is
/// running)?
#[inline]
fn collection_due(p: &CycleGc, count: u64) -> bool {
    exceeds(count, p.gens[0].threshold) && p.enabled && p.gens[0].threshold != 0 && !p.collecting
}

/// CPython's `count > threshold` on C `int`s: a negative threshold is
/// always exceeded.
#[inline]
fn exceeds(count: u64, threshold: i64) -> bool {
    u64::try_from(threshold).map_or(true, |t| count > t)
}

/// [`link_container`] when it would only count: counts and answers
/// `true`; when it would collect, changes nothing and answers `false`.
#[inline]
pub(crate) fn link_quietly(heap: &mut Heap) -> bool {
    let p = &mut heap.policy;
    let count = p.gens[0].count + 1;
    if collection_due(p, count) {
        return false;
    }
    p.gens[0].count = count;
    true
}

/// `gc_collect_generations`: picks the generation and collects it (the
/// caller holds `collecting`).
fn collect_generations(heap: &mut Heap) -> Result<(), GcError> {
    if let Some(g) = choose(heap) {
        phases::collect_with_callback(heap, g, Trigger::Auto)?;
    }
    Ok(())
}

/// The generation an automatic collection would take now, if any.
fn choose(heap: &Heap) -> Option<usize> {
    let p = &heap.policy;
    (0..3).rev().find(|&i| {
        exceeds(p.gens[i].count, p.gens[i].threshold)
            && !(i == 2 && p.long_lived_pending < p.long_lived_total / 4)
    })
}
