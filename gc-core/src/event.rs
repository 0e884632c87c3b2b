//! What a collector reports as it works.

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
