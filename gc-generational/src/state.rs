//! The collector's state (CPython's `GCState`): thresholds and counts,
//! flags, statistics, and `gc.callbacks` with what they are called with.

use std::sync::{Arc, Mutex};

use gc_core::rc::RcHeap;

use crate::header::{ListPolicy, Lists};

/// Reference counting plus CPython 3.11's generational cycle collector:
/// the [`Collector`](gc_core::Collector) of this crate.
pub type Generational = RcHeap<CycleGc>;

/// The heap type every function of the layers above works on.
pub(crate) type Heap = Generational;

/// One generation's threshold and count (CPython's `gc_generation`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenState {
    /// Collect when `count` exceeds this (a C `int` in CPython: a
    /// negative threshold is always exceeded).
    pub threshold: i64,
    /// Generation 0: container allocations minus deallocations since its
    /// last collection (never below 0; with `untrack_new_tuples`, a tuple
    /// made untracked is not counted, and not uncounted when freed
    /// untracked). Generations 1 and 2: collections
    /// of the next younger generation since their own last collection.
    pub count: u64,
}

/// What `gc.get_stats()` reports for one generation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Collections of this generation.
    pub collections: u64,
    /// Objects they collected (CPython's `m`).
    pub collected: u64,
    /// Objects they found uncollectable (CPython's `n`).
    pub uncollectable: u64,
}

/// The state of CPython's `GCState`: generations, counts, flags, statistics,
/// callbacks. See the [crate docs](crate) for the algorithm.
pub struct CycleGc {
    pub(crate) lists: Lists,
    pub(crate) gens: [GenState; 3],
    pub(crate) enabled: bool,
    /// A collection is running: no other may start (CPython's
    /// `collecting`).
    pub(crate) collecting: bool,
    pub(crate) debug: u32,
    /// `untrack_new_tuples`: a new tuple none of whose members may be
    /// tracked is neither tracked nor counted (CPython 3.14.1).
    pub(crate) untrack_new_tuples: bool,
    /// Objects in generation 2 after its last collection (for the rule of
    /// `generations.rs`).
    pub(crate) long_lived_total: u64,
    /// Objects promoted into generation 2 since then.
    pub(crate) long_lived_pending: u64,
    pub(crate) stats: [GenStats; 3],
    pub(crate) callbacks: Vec<GcCallback>,
}

impl std::fmt::Debug for CycleGc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CycleGc")
            .field("gens", &self.gens)
            .field("enabled", &self.enabled)
            .field("collecting", &self.collecting)
            .field("debug", &self.debug)
            .field("untrack_new_tuples", &self.untrack_new_tuples)
            .field("long_lived_total", &self.long_lived_total)
            .field("long_lived_pending", &self.long_lived_pending)
            .field("stats", &self.stats)
            .field("callbacks", &self.callbacks.len())
            .finish_non_exhaustive()
    }
}

impl ListPolicy for CycleGc {
    #[inline]
    fn lists(&self) -> &Lists {
        &self.lists
    }

    #[inline]
    fn lists_mut(&mut self) -> &mut Lists {
        &mut self.lists
    }
}

impl CycleGc {
    /// A fresh state: empty lists, counts 0, these thresholds and flags.
    pub(crate) fn new(
        thresholds: [u64; 3],
        enabled: bool,
        debug: u32,
        untrack_new_tuples: bool,
    ) -> CycleGc {
        CycleGc {
            lists: Lists::new(),
            gens: thresholds.map(|threshold| GenState {
                threshold: i64::try_from(threshold).unwrap_or(i64::MAX),
                count: 0,
            }),
            enabled,
            collecting: false,
            debug,
            untrack_new_tuples,
            long_lived_total: 0,
            long_lived_pending: 0,
            stats: [GenStats::default(); 3],
            callbacks: Vec::new(),
        }
    }

    /// `gc.set_threshold(t0[, t1[, t2]])`.
    pub(crate) fn set_threshold(&mut self, t0: i64, t1: Option<i64>, t2: Option<i64>) {
        self.gens[0].threshold = t0;
        if let Some(t) = t1 {
            self.gens[1].threshold = t;
        }
        if let Some(t) = t2 {
            self.gens[2].threshold = t;
        }
    }

    /// `PyObject_GC_Del`'s uncount, for `n` containers freed: generation
    /// 0's count never goes below 0.
    #[inline]
    pub(crate) fn uncount(&mut self, n: u64) {
        let c = &mut self.gens[0].count;
        *c = c.saturating_sub(n);
    }
}

/// The phase a `gc.callbacks` function is called for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before the collection.
    Start,
    /// After it.
    Stop,
}

impl Phase {
    /// `"start"` or `"stop"`, as CPython passes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::Stop => "stop",
        }
    }
}

/// The `info` dict of a `gc.callbacks` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackInfo {
    /// The generation being collected.
    pub generation: u8,
    /// Collected objects ("stop"; 0 at "start").
    pub collected: u64,
    /// Uncollectable objects ("stop"; 0 at "start").
    pub uncollectable: u64,
}

/// A `gc.callbacks` entry (make one with [`callback`]). It gets the heap,
/// so it may do what a Python callback may: `collect` (which returns 0
/// during a collection), or change `gc.callbacks` itself, with CPython's
/// list semantics (the list is walked by index while it changes; an entry
/// removed while it runs finishes its call).
pub type GcCallback = Arc<Mutex<dyn FnMut(&mut Generational, Phase, &CallbackInfo) + Send>>;

/// Wraps a closure as a [`GcCallback`].
pub fn callback(
    f: impl FnMut(&mut Generational, Phase, &CallbackInfo) + Send + 'static,
) -> GcCallback {
    Arc::new(Mutex::new(f))
}

/// `invoke_gc_callback`: calls every `gc.callbacks` entry for `phase`,
/// walking the list by index while it may change, as CPython does. A
/// callback runs only while `collecting` is set, so it cannot be
/// re-entered (a `collect` from it returns 0 at once).
pub(crate) fn invoke_callbacks(heap: &mut Heap, phase: Phase, info: CallbackInfo) {
    let mut i = 0;
    while let Some(cb) = heap.policy.callbacks.get(i).cloned() {
        // A callback runs only while `collecting` is set, never inside
        // itself, so the lock is always free; a poisoned one (a
        // callback that panicked) is still callable.
        let mut f = cb.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(heap, phase, &info);
        i += 1;
    }
}
