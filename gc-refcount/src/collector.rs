//! The pure reference-counting policy: nothing beyond the shared mechanism.

use std::time::Instant;

use gc_core::rc::{AllocKind, RcHeap, RcPolicy};

use crate::config::RefCountConfig;
use gc_core::{
    CollectKind, Collection, Control, ControlOutcome, GcError, Generation, Traits, Trigger,
};

/// A pure reference-counting heap.
pub type RefCount = RcHeap<PureRc>;

/// The policy: no hooks; `collect` finds nothing; no control applies.
#[derive(Debug, Default)]
pub struct PureRc;

impl PureRc {
    /// The kind of its collections, which find nothing (reference counting
    /// has freed all it can already).
    pub const COLLECT: CollectKind = CollectKind::named("refcount");
}

impl RcPolicy for PureRc {
    type Extra = ();
    type Config = RefCountConfig;
    const TRAITS: Traits = Traits {
        name: "refcount",
        summary: "reference counting: freed at zero, cycles leak",
        frees_objects: true,
        collects_cycles: false,
        moves_objects: false,
        write_barrier: false,
        incremental: false,
        generational: false,
        reference_counting: true,
        frees_finalized_later: false,
    };

    /// Nothing runs before an allocation: no collection to make room.
    #[inline]
    fn quiet_before_alloc(_heap: &mut RcHeap<Self>, _what: AllocKind) -> bool {
        true
    }

    fn new(_config: &RefCountConfig) -> Result<Self, GcError> {
        Ok(PureRc)
    }

    fn max_heap(config: &RefCountConfig) -> usize {
        config.max_heap
    }

    /// Reference counting already freed everything it can: report a
    /// collection that found nothing, so traces and reports see one.
    fn collect(heap: &mut RcHeap<Self>, generation: Generation) -> Result<u64, GcError> {
        let started = Instant::now();
        let pause_ns = started.elapsed().as_nanos() as u64;
        heap.events.record_collection(
            &mut heap.stats,
            Collection {
                trigger: Trigger::Explicit,
                generation,
                kind: PureRc::COLLECT,
                collected: 0,
                uncollectable: 0,
                pause_ns,
                detail: None,
            },
        );
        Ok(0)
    }

    fn control(_heap: &mut RcHeap<Self>, _control: Control) -> Result<ControlOutcome, GcError> {
        Ok(ControlOutcome::Ignored)
    }
}
