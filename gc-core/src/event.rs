//! What a collector reports as it works.

use serde::Serialize;

use crate::{Generation, ObjectId, Stats, WeakId};

/// Why a collection ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
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

/// A strategy's name for a kind of collection (`minor`, `major-step`,
/// `generation-1`…). Each strategy declares its kinds once, as constants
/// (for instance [`NullCollector::NO_OP`](crate::NullCollector::NO_OP)),
/// and code that tells kinds apart compares with those constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CollectKind(&'static str);

impl CollectKind {
    /// The kind written `name` in events.
    pub const fn named(name: &'static str) -> Self {
        CollectKind(name)
    }

    /// The gctrace name.
    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for CollectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// One collection (or one step of an incremental one), as the spec's
/// `collect` record has it (the fields serialize in the spec's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CollectEvent {
    /// Explicit or automatic.
    pub trigger: Trigger,
    /// The CPython-style generation (a full collection is
    /// [`Generation::FULL`]).
    pub generation: Generation,
    /// The collector's own name for this kind of collection.
    pub kind: CollectKind,
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
    /// Memory counters beyond the spec's, from a collector that has them
    /// (see [`CollectDetail`]); written only by `replay --detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<CollectDetail>,
}

/// What a strategy says about a collection it has just finished;
/// [`EventLog::record_collection`] adds what the heap's [`Stats`] know
/// and makes the [`CollectEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collection {
    /// Explicit or automatic.
    pub trigger: Trigger,
    /// The generation it counts as.
    pub generation: Generation,
    /// The strategy's kind.
    pub kind: CollectKind,
    /// See [`CollectEvent::collected`].
    pub collected: u64,
    /// See [`CollectEvent::uncollectable`].
    pub uncollectable: u64,
    /// Wall time of the collection.
    pub pause_ns: u64,
    /// The strategy's memory counters, if it has any.
    pub detail: Option<CollectDetail>,
}

/// Memory counters of one collection (or step), beyond the spec's
/// `collect` event: what a generational, page-allocating collector
/// (`gc-marksweep`) can say about its old generation. A collector that has
/// them hands them in [`Collection::detail`], and they travel in the
/// [`CollectEvent::detail`] of the [`Event::Collect`] they belong to; for
/// one that has none, that field is `None`.
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
///
/// Recording never fails an operation: an event the system refuses the
/// memory for is counted as lost instead, and so is every later one until
/// the next drain, which reports the loss
/// ([`GcError::OutOfMemory`](crate::GcError::OutOfMemory)) and hands out
/// nothing, so no caller mistakes a stream with a gap for the whole one.
#[derive(Debug, Default)]
pub struct EventLog {
    recording: bool,
    events: Vec<Event>,
    /// Events dropped since the last drain because memory was refused.
    lost: u64,
}

impl EventLog {
    /// Records `event` if recording is on; drops it otherwise. Allocates
    /// only when the log is full, fallibly: refused, the event is lost
    /// (see [`EventLog::drain_into`]).
    #[inline]
    pub fn push(&mut self, event: Event) {
        if !self.recording {
            return;
        }
        if self.lost == 0
            && (self.events.len() < self.events.capacity() || self.events.try_reserve(1).is_ok())
        {
            self.events.push(event);
        } else {
            self.lose();
        }
    }

    /// Once one event is lost, the rest until the drain are worthless: the
    /// log keeps none of them (and frees what it held).
    #[cold]
    fn lose(&mut self) {
        self.lost += 1;
        self.events = Vec::new();
    }

    /// Records a collection the strategy has just finished: counts it in
    /// `stats` (always) and pushes its [`CollectEvent`], with the live
    /// objects and bytes `stats` has now (if recording is on). Every
    /// strategy reports its collections through here.
    pub fn record_collection(&mut self, stats: &mut Stats, c: Collection) {
        stats.on_collection(c.generation, c.pause_ns);
        self.push(Event::Collect(CollectEvent {
            trigger: c.trigger,
            generation: c.generation,
            kind: c.kind,
            collected: c.collected,
            uncollectable: c.uncollectable,
            live_objects: stats.live_objects,
            live_bytes: stats.live_bytes,
            pause_ns: c.pause_ns,
            detail: c.detail,
        }));
    }

    /// Turns recording on or off; turning it off drops what was recorded
    /// (and forgets any loss).
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
        if !on {
            self.events = Vec::new();
            self.lost = 0;
        }
    }

    /// Is recording on?
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Events lost since the last drain (memory for them was refused).
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Moves the recorded events to the end of `out`.
    ///
    /// `Err(OutOfMemory)` when events were lost since the last drain: the
    /// log is then empty again (recording goes on) and `out` unchanged;
    /// or when `out` cannot grow: nothing moves, and a later drain may
    /// succeed.
    #[inline]
    pub fn drain_into(&mut self, out: &mut Vec<Event>) -> Result<(), crate::GcError> {
        if self.events.is_empty() && self.lost == 0 {
            return Ok(());
        }
        if self.lost > 0 {
            self.lost = 0;
            self.events.clear();
            return Err(crate::config::refused());
        }
        out.try_reserve(self.events.len())
            .map_err(|_| crate::config::refused())?;
        out.append(&mut self.events);
        Ok(())
    }
}
