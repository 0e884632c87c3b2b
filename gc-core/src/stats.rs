//! Running totals every collector keeps.

use crate::Generation;

/// Counters a collector maintains; cheap to copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Objects allocated (gctrace `new`).
    pub allocated: u64,
    /// Objects freed.
    pub freed: u64,
    /// Objects allocated and not yet freed (garbage and saved lists included).
    pub live_objects: u64,
    /// Their payload bytes.
    pub live_bytes: u64,
    /// The highest `live_bytes` seen.
    pub peak_live_bytes: u64,
    /// Collections by CPython-style generation.
    pub collections: [u64; 3],
    /// Total time spent collecting.
    pub gc_time_ns: u64,
    /// The longest single collection (or step).
    pub max_pause_ns: u64,
    /// Finalizers run.
    pub finalized: u64,
    /// Weak callbacks run.
    pub weak_callbacks: u64,
    /// Length of the garbage list (CPython's `gc.garbage`).
    pub garbage: u64,
    /// Length of the saved list (objects resurrected by finalizers).
    pub saved: u64,
    /// The bytes the collector holds for objects now, in its own layout:
    /// headers, slots, payloads, the free space of its pages and tables,
    /// its nursery, large objects (0 when a collector does not say).
    /// Computed when [`Collector::stats`](crate::Collector::stats) is
    /// called, never maintained on a hot path; `gc-bench` samples it to
    /// find a run's peak footprint.
    pub footprint_bytes: u64,
}

impl Stats {
    /// Counts an allocation of `bytes` payload bytes.
    #[inline]
    pub fn on_alloc(&mut self, bytes: u64) {
        self.allocated += 1;
        self.live_objects += 1;
        self.live_bytes += bytes;
        if self.live_bytes > self.peak_live_bytes {
            self.peak_live_bytes = self.live_bytes;
        }
    }

    /// Counts a free of an object of `bytes` payload bytes.
    #[inline]
    pub fn on_free(&mut self, bytes: u64) {
        self.freed += 1;
        self.live_objects -= 1;
        self.live_bytes -= bytes;
    }

    /// Counts a collection of `generation` that took `pause_ns` (see
    /// [`EventLog::record_collection`](crate::EventLog::record_collection)).
    pub(crate) fn on_collection(&mut self, generation: Generation, pause_ns: u64) {
        self.collections[generation.index()] += 1;
        self.gc_time_ns += pause_ns;
        self.max_pause_ns = self.max_pause_ns.max(pause_ns);
    }
}
