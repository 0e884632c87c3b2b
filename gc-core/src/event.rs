//! What a collector reports as it works.

use serde::Serialize;

use crate::{ObjectId, WeakId};

/// Why a collection ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Asked for with [`Collector::collect`](crate::Collector::collect).
    Explicit,
    /// Started by the collector itself (an allocation crossed a threshold).
    Auto,
}

impl Trigger {
    /// The gctrace name.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Explicit => "explicit",
            Trigger::Auto => "auto",
        }
    }
}

/// One collection (or one step of an incremental one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollectEvent {
    /// Explicit or automatic.
    pub trigger: Trigger,
    /// The CPython-style generation number (0, 1 or 2; a full collection is 2).
    pub generation: u8,
    /// The collector's own name for this kind of collection.
    pub kind: &'static str,
    /// What CPython's `gc.collect()` would return (cycle collectors), or the
    /// number of objects freed (others).
    pub collected: u64,
    /// Objects found unreachable but not freed.
    pub uncollectable: u64,
    /// Objects alive after the collection.
    pub live_objects: u64,
    /// Their payload bytes.
    pub live_bytes: u64,
    /// Wall time of the collection.
    pub pause_ns: u64,
}

/// Memory counters of one collection (or step), beyond the spec's
/// `collect` event: what a generational, page-allocating collector
/// (`gc-marksweep`) can say about its old generation. A collector that has
/// them pushes [`Event::CollectDetail`] right after the
/// [`Event::Collect`] it belongs to; one that has none pushes nothing.
///
/// `replay --events jsonl --detail` writes it as a `detail` object on that
/// collect line; without `--detail` (the spec's format) it is dropped. All
/// values are bytes or object counts, deterministic for a given trace and
/// configuration. A fixed set of counters, so that reporting it allocates
/// nothing. Sizes are whole objects as the collector lays them out (header,
/// slots and payload), not payload bytes as in `live_bytes`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CollectDetail {
    /// Objects copied out of the nursery by this collection (for a full
    /// collection reported as one event: by the minor collections inside
    /// it; 0 for a major step, whose minor collection is its own event).
    pub promoted_objects: u64,
    /// Their bytes. Summed over every event, the bytes ever promoted.
    pub promoted_bytes: u64,
    /// Old generation after the collection: `pages_used_bytes +
    /// large_bytes`. Dead objects that the incremental sweep has not
    /// reached yet still count.
    pub old_bytes: u64,
    /// The most `old_bytes` there has been since the heap was made (up to
    /// the end of this collection): never decreases, always ≥ `old_bytes`.
    pub peak_old_bytes: u64,
    /// Memory the page allocator holds from the system (whole arenas).
    pub pages_reserved_bytes: u64,
    /// Of it, bytes in blocks that hold objects (≤ `pages_reserved_bytes`;
    /// the difference — free pages, free blocks, page tails — is the page
    /// allocator's fragmentation).
    pub pages_used_bytes: u64,
    /// Bytes of objects allocated one by one outside the pages (large
    /// objects; card tables not included).
    pub large_bytes: u64,
}

/// An event in the order things happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A collection finished.
    Collect(CollectEvent),
    /// Memory counters of the collection reported by the
    /// [`Event::Collect`] just before it (optional: see [`CollectDetail`]).
    CollectDetail(CollectDetail),
    /// A finalizer ran.
    Finalize {
        /// The finalized object.
        object: ObjectId,
    },
    /// A weak reference's callback ran (its referent died).
    WeakCallback {
        /// The weak reference.
        weak: WeakId,
        /// The referent that died.
        object: ObjectId,
    },
}

/// Where a collector keeps its events until they are drained.
///
/// Recording is off by default: a heap whose events nobody drains keeps
/// none, so an embedder pays no memory for them. The replayer, the
/// harness and the tests turn it on with
/// [`Collector::record_events`](crate::Collector::record_events).
#[derive(Debug, Default)]
pub struct EventLog {
    recording: bool,
    events: Vec<Event>,
}

impl EventLog {
    /// Records `event` if recording is on; drops it otherwise.
    #[inline]
    pub fn push(&mut self, event: Event) {
        if self.recording {
            self.events.push(event);
        }
    }

    /// Turns recording on or off; turning it off drops what was recorded.
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
        if !on {
            self.events = Vec::new();
        }
    }

    /// Is recording on?
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Moves the recorded events to the end of `out`.
    pub fn drain_into(&mut self, out: &mut Vec<Event>) {
        out.append(&mut self.events);
    }
}
