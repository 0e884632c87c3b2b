//! The policy on top of the shared reference-counting heap: its state, its
//! hooks (count, trigger, track, untrack) and its configuration.

use gc_core::rc::{AllocKind, ObjRef, RcHeap, RcPolicy, flags};
use gc_core::{Config, Control, ControlOutcome, GcError, Generation, Traits, Trigger};

use crate::facade::{CallbackInfo, GcCallback, Phase};
use crate::header::{self, GcHead, Heap, LISTS, List, TRACKED};
use crate::{debug, generations, phases};

/// Reference counting plus CPython 3.11's generational cycle collector:
/// the [`Collector`](gc_core::Collector) of this crate.
pub type Generational = RcHeap<CycleGc>;

/// One generation's threshold and count (CPython's `gc_generation`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenState {
    /// Collect when `count` exceeds this.
    pub threshold: u64,
    /// Generation 0: container allocations minus deallocations since its
    /// last collection (never below 0). Generations 1 and 2: collections
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
    pub(crate) heads: [GcHead; LISTS],
    pub(crate) gens: [GenState; 3],
    pub(crate) enabled: bool,
    pub(crate) collecting: bool,
    /// 0 or [`header::SCAN_PARITY`]: the bit every tracked object carries
    /// between collections.
    pub(crate) scan_parity: u32,
    pub(crate) debug: u32,
    pub(crate) long_lived_total: u64,
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
            .field("long_lived_total", &self.long_lived_total)
            .field("long_lived_pending", &self.long_lived_pending)
            .field("stats", &self.stats)
            .field("callbacks", &self.callbacks.len())
            .finish_non_exhaustive()
    }
}

/// The typed configuration (`gc-bench --config KEY=VALUE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerationalConfig {
    /// `gc.set_threshold`'s first value (default 700; 0 disables automatic
    /// collection).
    pub threshold0: u64,
    /// Second value (default 10).
    pub threshold1: u64,
    /// Third value (default 10).
    pub threshold2: u64,
    /// Automatic collection on (default true).
    pub enabled: bool,
    /// `gc.set_debug` flags (default 0).
    pub debug: u32,
}

impl Default for GenerationalConfig {
    fn default() -> Self {
        GenerationalConfig {
            threshold0: 700,
            threshold1: 10,
            threshold2: 10,
            enabled: true,
            debug: 0,
        }
    }
}

fn parse_u64(key: &str, value: &str) -> Result<u64, GcError> {
    value
        .parse()
        .map_err(|_| GcError::Config(format!("`{key}` takes a whole number, got `{value}`")))
}

impl Config for GenerationalConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &[
        (
            "threshold0",
            "generation-0 threshold (CPython default 700; 0 disables automatic collection)",
        ),
        ("threshold1", "generation-1 threshold (default 10)"),
        ("threshold2", "generation-2 threshold (default 10)"),
        (
            "enabled",
            "automatic collection on: true or false (default true)",
        ),
        (
            "debug",
            "gc.set_debug flags: a number, or names joined by `|`: stats, collectable, uncollectable, saveall, leak",
        ),
    ];

    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError> {
        match key {
            "threshold0" => self.threshold0 = parse_u64(key, value)?,
            "threshold1" => self.threshold1 = parse_u64(key, value)?,
            "threshold2" => self.threshold2 = parse_u64(key, value)?,
            "enabled" => {
                self.enabled = match value {
                    "true" | "1" | "yes" | "on" => true,
                    "false" | "0" | "no" | "off" => false,
                    _ => {
                        return Err(GcError::Config(format!(
                            "`enabled` takes true or false, got `{value}`"
                        )));
                    }
                }
            }
            "debug" => self.debug = debug::parse_flags(value)?,
            _ => {
                let known: Vec<&str> = Self::KEYS.iter().map(|(k, _)| *k).collect();
                return Err(GcError::Config(format!(
                    "unknown key `{key}`: expected one of {}",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Is `x` a container CPython would make a GC object (node, tuple, weak
/// reference object)? Atoms are not.
#[inline]
fn is_container(heap: &Heap, r: ObjRef) -> bool {
    heap.objects[r.index()].is_gc_container()
}

/// `_PyObject_GC_TRACK`: appends to the tail of generation 0.
#[inline]
pub(crate) fn track(heap: &mut Heap, x: u32) {
    header::append(heap, x, List::Gen0);
    let parity = heap.policy.scan_parity;
    let o = &mut heap.objects[x as usize];
    o.flags = (o.flags & !(header::GEN_MASK | header::SCAN_PARITY)) | TRACKED | parity;
}

/// `_PyObject_GC_UNTRACK`: unlinks; only the finalized flag survives.
#[inline]
pub(crate) fn untrack(heap: &mut Heap, x: u32) {
    header::unlink(heap, x);
    heap.objects[x as usize].flags &= !(TRACKED | header::COLLECTING | header::UNREACHABLE);
}

impl CycleGc {
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

    /// `gc_collect_impl`: an explicit collection; 0 while one runs.
    pub(crate) fn collect_explicit(heap: &mut Heap, generation: usize) -> u64 {
        if heap.policy.collecting {
            return 0;
        }
        heap.policy.collecting = true;
        let n = phases::collect_with_callback(heap, generation, Trigger::Explicit);
        heap.policy.collecting = false;
        n
    }

    /// `gc.set_threshold(t0[, t1[, t2]])`.
    pub(crate) fn set_threshold(&mut self, t0: u64, t1: Option<u64>, t2: Option<u64>) {
        self.gens[0].threshold = t0;
        if let Some(t) = t1 {
            self.gens[1].threshold = t;
        }
        if let Some(t) = t2 {
            self.gens[2].threshold = t;
        }
    }

    /// `gc.freeze()`: every generation into the permanent one; counts 0.
    pub(crate) fn freeze(heap: &mut Heap) {
        for g in 0..3 {
            header::set_generation_of_list(heap, List::generation(g), header::PERMANENT);
            header::merge(heap, List::generation(g), List::Permanent);
            heap.policy.gens[g].count = 0;
        }
    }

    /// `gc.unfreeze()`: the permanent generation back into generation 2.
    pub(crate) fn unfreeze(heap: &mut Heap) {
        header::set_generation_of_list(heap, List::Permanent, 2);
        header::merge(heap, List::Permanent, List::Gen2);
    }

    /// `gc.garbage.clear()`: like CPython's `list.clear`, the references
    /// are dropped last entry first.
    pub(crate) fn clear_garbage(heap: &mut Heap) {
        let garbage = std::mem::take(&mut heap.garbage);
        for &r in garbage.iter().rev() {
            heap.dec(r);
        }
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
        Ok(CycleGc {
            heads: header::empty_heads(),
            gens: [
                GenState {
                    threshold: config.threshold0,
                    count: 0,
                },
                GenState {
                    threshold: config.threshold1,
                    count: 0,
                },
                GenState {
                    threshold: config.threshold2,
                    count: 0,
                },
            ],
            enabled: config.enabled,
            collecting: false,
            scan_parity: 0,
            debug: config.debug,
            long_lived_total: 0,
            long_lived_pending: 0,
            stats: [GenStats::default(); 3],
            callbacks: Vec::new(),
        })
    }

    /// `_PyObject_GC_Link`: count the container, and collect inside the
    /// allocation, before the new object exists, when the count passes
    /// threshold 0.
    #[inline]
    fn before_alloc(heap: &mut Heap, what: AllocKind) -> Result<(), GcError> {
        // List heads are named by the indices from `HEAD_BASE` up: refuse
        // the allocation that would give an object one of them.
        if heap.objects.len() >= header::HEAD_BASE as usize
            && heap.table_len() == heap.objects.len()
        {
            return Err(GcError::TooMany {
                what: "objects",
                limit: u64::from(header::HEAD_BASE),
            });
        }
        if what == AllocKind::Atom {
            return Ok(());
        }
        let p = &mut heap.policy;
        p.gens[0].count += 1;
        if p.gens[0].count > p.gens[0].threshold
            && p.enabled
            && p.gens[0].threshold != 0
            && !p.collecting
        {
            p.collecting = true;
            generations::collect_generations(heap);
            heap.policy.collecting = false;
        }
        Ok(())
    }

    /// `_PyObject_GC_TRACK` of a new container.
    #[inline]
    fn after_alloc(heap: &mut Heap, object: ObjRef) {
        if is_container(heap, object) {
            track(heap, object.index() as u32);
        }
    }

    /// `PyObject_GC_Del`: untrack, and uncount (never below 0).
    #[inline]
    fn on_free(heap: &mut Heap, object: ObjRef) {
        let f = heap.objects[object.index()].flags;
        if f & TRACKED != 0 {
            untrack(heap, object.index() as u32);
        }
        if f & flags::KIND_MASK != flags::ATOM {
            let c = &mut heap.policy.gens[0].count;
            *c = c.saturating_sub(1);
        }
    }

    /// `subtype_dealloc` re-tracks the object at the tail of generation 0
    /// before its finalizer, and a resurrected object stays there.
    fn on_resurrect(heap: &mut Heap, object: ObjRef) {
        if !is_container(heap, object) {
            return;
        }
        let x = object.index() as u32;
        if heap.objects[x as usize].flags & TRACKED != 0 {
            untrack(heap, x);
        }
        track(heap, x);
    }

    fn collect(heap: &mut Heap, generation: Generation) -> Result<u64, GcError> {
        Ok(Self::collect_explicit(
            heap,
            usize::from(generation.number()),
        ))
    }

    fn control(heap: &mut Heap, control: Control) -> Result<ControlOutcome, GcError> {
        match control {
            Control::Threshold(t0, t1, t2) => heap.policy.set_threshold(t0, t1, t2),
            Control::Enable => heap.policy.enabled = true,
            Control::Disable => heap.policy.enabled = false,
            Control::Freeze => Self::freeze(heap),
            Control::Unfreeze => Self::unfreeze(heap),
            Control::DebugSaveAll => heap.policy.debug = debug::DEBUG_SAVEALL,
            Control::DebugOff => heap.policy.debug = 0,
            Control::GarbageClear => Self::clear_garbage(heap),
        }
        Ok(ControlOutcome::Applied)
    }
}
