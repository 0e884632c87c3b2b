//! # gc-generational — reference counting plus CPython's cycle collector
//!
//! Every object is reference counted by the shared mechanism of
//! [`gc_core::rc`]: freed the moment its count reaches zero, finalizer and
//! weak-reference callbacks run on that path too. On top of it sits CPython
//! 3.11's generational cycle collector. Containers (nodes, tuples, weak
//! reference objects; never atoms) live in three generations held as
//! intrusive doubly linked lists ([`header`]). Each container allocation
//! adds one to the generation-0 count and each deallocation takes one off;
//! when the count passes threshold 0 (700), a collection runs *inside the
//! allocation*, before the new object is tracked. It takes the oldest
//! generation whose count passed its threshold, passing over generation 2
//! while fewer than a quarter of the long-lived objects are new
//! ([`generations`]). A collection ([`phases`]) merges the younger
//! generations in, copies each count to `gc_refs`, subtracts the references
//! internal to the set, and moves what is left at zero (and not reachable
//! from what is not) to an unreachable list; untracks tuples that hold
//! nothing trackable; promotes the survivors; clears weak references to the
//! unreachable and runs the callbacks of those that are not garbage
//! themselves; runs each finalizer once; computes reachability again among
//! the unreachable so that resurrected objects (and what they reach)
//! survive; and clears the slots of what is left, so that reference
//! counting frees it (or, under `DEBUG_SAVEALL`, appends it to
//! `gc.garbage`). It returns what CPython's `gc.collect()` returns. Nothing
//! recurses: every walk is a loop over a list or a slot array.
//!
//! Modeled on: CPython 3.11 `Modules/gcmodule.c` (`_PyObject_GC_Link`,
//! `gc_collect_generations`, `gc_collect_main`, `deduce_unreachable`,
//! `move_unreachable`, `untrack_tuples`, `handle_weakrefs`,
//! `finalize_garbage`, `handle_resurrected_objects`, `delete_garbage`),
//! `Objects/typeobject.c` (`subtype_dealloc`), PEP 442 and PEP 683, and the
//! `gc` module's API ([`facade`]).
//!
//! Checked against CPython 3.11.7 itself: the scenarios of
//! `Lib/test/test_gc.py` with CPython's numbers (`tests/test_gc.rs`),
//! CPython's own record of the allocation at which each automatic
//! collection starts (`tests/auto_trigger.rs`), and random traces exported
//! with `gc-bench export --python` and run on CPython 3.11 beside this
//! collector, with identical collection, finalizer and weak-callback events,
//! in order (`bench-harness/tests/export_python.rs`).
//!
//! ```
//! use gc_core::{Collector, CollectorExt, Finalizer};
//! use gc_generational::{GcModule, Generational};
//!
//! let mut heap = Generational::new_default()?;
//! let a = heap.alloc_node(1, 16)?;
//! let b = heap.alloc_node(1, 16)?;
//! heap.set_finalizer(a, Finalizer::Notify)?;
//! heap.set_slot(a, 0, Some(b))?;
//! heap.set_slot(b, 0, Some(a))?;        // a cycle
//! heap.release(a)?;
//! heap.release(b)?;
//! assert_eq!(heap.stats().live_objects, 2);
//! assert_eq!(heap.gc().get_count(), (2, 0, 0));
//! assert_eq!(heap.collect_full()?, 2);   // gc.collect() == 2
//! assert_eq!(heap.stats().live_objects, 0);
//! assert_eq!(heap.stats().finalized, 1);
//! # Ok::<(), gc_core::GcError>(())
//! ```
//!
//! ## Where later CPython versions differ
//!
//! - **3.12**: `_PyObject_GC_Link` only *schedules* the collection
//!   (`_Py_ScheduleGC`); it runs at the next eval-breaker check, between
//!   bytecodes, so the triggering object is already tracked and is part of
//!   the collection. Immortal objects (PEP 683) appear: their counts never
//!   change (here: [`RcHeap::make_immortal`](gc_core::rc::RcHeap::make_immortal);
//!   the collector treats them as always reachable).
//! - **3.13**: the incremental collector merged during the alphas was
//!   reverted before 3.13.0, but threshold 0 stayed raised from 700 to
//!   2000; the free-threaded build has a separate, non-generational
//!   collector; the code moved to `Python/gc.c`.
//! - **3.14**: an incremental collector with two generations (young and
//!   old); `gc.collect(1)` collects the young generation plus one increment
//!   of the old, `get_objects(1)` is empty, threshold 2 has no meaning;
//!   dicts are no longer untracked lazily. (Later 3.14.x releases bring the
//!   3.13 generational collector back.)
//! - **3.14.1** (gh-139951, also in 3.15): a tuple whose members are all
//!   untracked (nil, atoms, untracked tuples) is not tracked when it is
//!   made, and generation 0 counts tracked objects instead of allocations,
//!   so that short-lived small tuples neither cost the collections a look
//!   nor trigger them. Here that is the option `untrack_new_tuples=true`
//!   ([`GenerationalConfig::untrack_new_tuples`]; default false, 3.11's
//!   rule): such a tuple is neither tracked nor counted, and is not
//!   uncounted when it is freed untracked. Not carried over: 3.14's count
//!   of every later track and untrack (a node tracked as a dict counts at
//!   its allocation as in 3.11; a collection's untracking uncounts
//!   nothing).
//!
//! ## What the model leaves out
//!
//! Legacy `tp_del` finalizers (so `uncollectable` is always 0), dict
//! untracking (no dicts), free lists (a trace's every container allocation
//! counts; a CPython program must keep its tuples longer than 20 members and
//! refill the free lists a full collection empties, as the program written
//! by `gc-bench export --python` does), and weak-reference callbacks that
//! act on the heap from inside a collection (they only report, as
//! [`Event::WeakCallback`](gc_core::Event::WeakCallback)s; a `gc.callbacks`
//! function gets the heap and may do anything, outside the collection
//! proper). Finalizers do act: a [`Finalizer::Run`](gc_core::Finalizer::Run)
//! object's hook runs the embedder's code inside the collection, as
//! CPython's `finalize_garbage` does (`gc_core`'s guide, section 5).
//!
//! ## Cost
//!
//! The per-object GC words are 12 bytes ([`header::GcHead`]: CPython's two
//! links plus `gc_refs`); with the shared count, flags and slot range the
//! hot header is 28 bytes, against CPython's 32. Slots live in one arena
//! and ids and payloads in a cold table, so a collection reads nothing
//! else and no object has an allocation of its own. Per object, beside
//! CPython 3.11 running the same shapes (`cargo bench -p gc-generational`,
//! this 2-core machine, medians of 6 runs): a full collection of unreachable
//! nodes in 2-rings about 20 ns (CPython about 111), in 100-rings about 18
//! ns (CPython about 76), of live nodes about 9 ns (CPython about 35);
//! building 3,000,000 live nodes costs about 64 ns of automatic collection
//! per node (CPython about 227). The README's "Performance, measured" has
//! the table and what made the difference.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The layers, bottom first: each module imports only from those above it
// in this list (`tests/layers.rs` checks that no two import each other).
// The lists and tracking; the collector's state and `gc.callbacks`; the
// debug flags; the phases of one collection; when and which generation is
// collected; the configuration; the `RcPolicy` hooks; the `gc` module.
mod collector;
mod config;
pub mod debug;
pub mod facade;
pub mod generations;
pub mod header;
pub mod phases;
mod state;

pub use config::GenerationalConfig;
pub use debug::{DEBUG_COLLECTABLE, DEBUG_LEAK, DEBUG_SAVEALL, DEBUG_STATS, DEBUG_UNCOLLECTABLE};
pub use facade::{Gc, GcModule};
pub use state::{
    CallbackInfo, CycleGc, GcCallback, GenState, GenStats, Generational, Phase, callback,
};
