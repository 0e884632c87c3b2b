//! # gc-core — the vocabulary of the GC workbench
//!
//! Every strategy in the workspace implements one trait, [`Collector`], over
//! one object model ([`object`]): an object is a [`Kind`], a number of
//! reference slots and an opaque payload. The mutator holds [`Handle`]s —
//! generation-checked indices into a root table the heap owns — never
//! addresses, so a strategy may move objects, and a stale or foreign handle
//! is an error value ([`GcError`]), never undefined behaviour.
//!
//! This crate also holds what checks the strategies and what drives them:
//!
//! - [`trace`]: the gctrace v1 format (parser with `line N:` errors);
//! - [`replay`]: runs a trace against any collector and produces the spec's
//!   JSONL events;
//! - [`oracle`]: a deliberately naive model heap that says what must be live;
//! - [`conformance`]: one behaviour suite, instantiated per strategy by
//!   [`conformance_suite!`];
//! - [`rc`]: reference counting as a building block (shared by `gc-refcount`
//!   and `gc-generational`);
//! - [`NullCollector`]: allocates, never frees — the baseline.
//!
//! ```
//! use gc_core::{Collector, CollectorExt, NullCollector};
//!
//! let mut heap = NullCollector::new_default()?;
//! let a = heap.alloc_node(1, 16)?;
//! let b = heap.alloc_node(1, 16)?;
//! heap.set_slot(a, 0, Some(b))?;          // a.other = b
//! heap.payload_mut(a)?[0] = 42;            // the runtime's own bytes
//! let b_again = heap.slot(a, 0)?.unwrap(); // a new root to b
//! assert!(heap.same_object(b, b_again)?);
//! heap.release(b)?;
//! assert!(heap.kind(b).is_err());          // stale: an error, not a crash
//! # Ok::<(), gc_core::GcError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod collector;
pub mod conformance;
pub mod embed;
mod error;
mod event;
mod handle;
pub mod mutator;
mod null;
pub mod object;
pub mod oracle;
pub mod rc;
pub mod replay;
mod stats;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trace;

pub use collector::{
    Collector, CollectorExt, Config, Control, ControlOutcome, Generation, NoConfig, RootList,
    Traits,
};
pub use embed::{Embedding, Finalize, Local, ObjectView, Root, Scope, WeakRoot};
pub use error::GcError;
pub use event::{CollectDetail, CollectEvent, Event, EventLog, Trigger};
pub use handle::{Handle, HandleType, HeapId, RootTable, WeakHandle};
pub use null::{NullCollector, NullView};
pub use object::{Finalizer, Kind, MAX_PAYLOAD, MAX_SLOTS, ObjectId, Shape, WeakId};
pub use stats::Stats;
