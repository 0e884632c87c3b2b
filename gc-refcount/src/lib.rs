//! # gc-refcount — pure reference counting
//!
//! Every reference held by a root, a slot or a root list is counted; an
//! object is freed the moment its count reaches zero, and freeing cascades
//! through its slots with an explicit stack, never recursion (dropping the
//! head of a 10,000,000-long list uses one frame). Finalizers run when the
//! count reaches zero (once; a resurrecting one keeps the object), and weak
//! references are cleared, their callbacks reported, when the referent
//! dies. Cycles are never reclaimed: that is the point of this strategy, and
//! it is measured — `collect` reports 0 and the live counts show exactly the
//! leaked objects.
//!
//! Modeled on: CPython's reference counting (`Py_DECREF` → `tp_dealloc`,
//! PEP 442 finalization, `PyObject_ClearWeakRefs`) without its cycle
//! collector. The mechanism lives in [`gc_core::rc`], shared with
//! `gc-generational`; this crate is the policy that adds nothing to it.
//!
//! ```
//! use gc_core::{Collector, CollectorExt};
//! use gc_refcount::RefCount;
//!
//! let mut heap = RefCount::new_default()?;
//! let a = heap.alloc_node(1, 16)?;
//! let b = heap.alloc_node(1, 16)?;
//! heap.set_slot(a, 0, Some(b))?;
//! heap.set_slot(b, 0, Some(a))?;     // a cycle
//! heap.release(a)?;
//! heap.release(b)?;
//! assert_eq!(heap.collect_full()?, 0); // nothing to collect: no cycle collector
//! assert_eq!(heap.stats().live_objects, 2); // the cycle leaked, visibly
//! # Ok::<(), gc_core::GcError>(())
//! ```

#![forbid(unsafe_code)]

mod collector;
mod config;

pub use collector::{PureRc, RefCount};
pub use config::RefCountConfig;
