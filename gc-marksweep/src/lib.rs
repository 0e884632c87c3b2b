//! # gc-marksweep — PyPy's incminimark in Rust
//!
//! Young objects are bump-allocated in a nursery (a `bumpalo` chunk). When
//! it is full, a **minor collection** copies the survivors — found from the
//! roots (the handle table, the embedding layer's local stack — its scopes'
//! locals are objects this heap roots itself, as PyPy's shadow stack — and
//! the saved list), the remembered set of old
//! objects written since the last minor collection, and the dirty cards of
//! large nodes — into the old generation, forwards every reference to them
//! and resets the nursery; its cost is proportional to the survivors. A
//! **write barrier** (one header-flag test) maintains the remembered set.
//! The old generation keeps small objects in a size-class page allocator
//! (512 KiB arenas, 8 KiB pages, classes of 8 bytes up to 280) and larger
//! ones individually. It is collected by an **incremental mark-and-sweep**,
//! an explicit state machine (scanning, marking, sweeping, finalizing)
//! advanced one bounded step after each minor collection once the old
//! generation has grown past 1.82 × what survived the last cycle (at most
//! ×1.4 per cycle, at least 8 nurseries). During marking the minor
//! collection greys the white objects that written black objects now refer
//! to (incremental update; the black objects stay black), so the mutator
//! runs between steps. **Finalizers** run only when a major collection's
//! marking is complete, in PyPy's topological order (one per strongly
//! connected component per cycle); what they keep alive is freed by a later
//! major collection.
//! **Weak references** are cleared by the collection that finds the
//! referent dead; their callbacks run after a major collection.
//!
//! Modeled on: PyPy's `rpython/memory/gc/incminimark.py` (collector),
//! `minimarkpage.py` (page allocator), `env.py` (environment variables and
//! nursery size) and `pypy/doc/discussion/finalizer-order.rst`.
//!
//! ```
//! use gc_core::{Collector, CollectorExt, Finalizer, Generation};
//! use gc_marksweep::{IncMiniMark, MarkSweepConfig};
//!
//! let config = MarkSweepConfig { nursery: 4096, ..MarkSweepConfig::pypy() };
//! let mut heap = IncMiniMark::with_config(config)?;
//! let a = heap.alloc_node(1, 16)?;
//! heap.collect(Generation::YOUNGEST)?;   // `a` survives a minor: now old
//! let b = heap.alloc_node(0, 8)?;        // young
//! heap.set_slot(a, 0, Some(b))?;         // old -> young: the barrier records `a`
//! heap.release(b)?;
//! heap.collect(Generation::YOUNGEST)?;   // `b` survives through `a`
//! let b = heap.slot(a, 0)?.expect("b is alive");
//! assert_eq!(heap.payload(b)?.len(), 8);
//!
//! // A chain of finalizable objects is finalized one link per major
//! // collection, as on PyPy.
//! heap.set_finalizer(a, Finalizer::Notify)?;
//! heap.set_finalizer(b, Finalizer::Notify)?;
//! heap.release(a)?;
//! heap.release(b)?;
//! heap.collect_full()?;
//! assert_eq!(heap.stats().finalized, 1);
//! heap.collect_full()?;
//! assert_eq!(heap.stats().finalized, 2);
//! heap.collect_full()?;
//! assert_eq!(heap.stats().live_objects, 0);
//! # Ok::<(), gc_core::GcError>(())
//! ```
//!
//! ## Design choices
//!
//! - **Raw memory, not indices.** Objects live in raw memory (the nursery
//!   chunk, arena pages, individual large allocations) and slots hold
//!   pointers, because the issue asks for a `bumpalo` nursery, PyPy's page
//!   allocator and copying with forwarding stubs, which an index-based safe
//!   design could only imitate. The unsafe code is confined to `header.rs`
//!   (object layout and `ObjRef` accessors), `nursery.rs`,
//!   `pages.rs`, `space.rs` (initialising new objects), `system.rs`
//!   (the calls to the system allocator), the copy in
//!   `minor.rs` and the payload slices of
//!   `collector.rs`, each block with a `// SAFETY:` comment; the crate's
//!   unit tests (these modules' own, plus whole-collector runs that reach
//!   every unsafe path) pass under Miri. The collector stores addresses
//!   (`ObjPtr`) that read nothing until opened (`unsafe`); an opened
//!   `ObjRef<'h>` borrows the heap's `Access` token, which lives in one
//!   `Space` with the nursery and the old generation it guards
//!   (`space.rs`); everything that frees, moves or replaces objects takes
//!   the space `&mut`, so the borrow checker proves that no reference
//!   outlives a collection. The invariant on stored addresses
//!   is stated once, in `header.rs`, and is the contract of the three
//!   `unsafe fn`s that release memory; slot and card access is checked
//!   (slices). The debug heap check verifies it by address before reading
//!   anything. The mutator only ever holds generation-checked
//!   [`Handle`](gc_core::Handle)s (a scope's local: its place on the local
//!   stack and the entry's serial), so stale handles are errors.
//! - **Header**: two words (PyPy: one). Our objects are sized per instance,
//!   so the slot count and payload length need a word; the object id rides
//!   in the flag word's high bits.
//! - **Page allocator**: PyPy's sizes; arenas are page-aligned (64 usable
//!   pages instead of 63) and page headers live in a side table.
//! - **Large objects** (≥ 135,168 bytes, PyPy's `nonlarge_max + 1`, or larger
//!   than the nursery) are born old, with cards when they have slots. PyPy
//!   allocates them "young" and frees dead ones at the next minor
//!   collection; ours wait for the next major collection. Promoted objects
//!   over 280 bytes are allocated individually, without cards, as in PyPy.
//! - **Written black objects are not re-greyed**: PyPy re-greys them and
//!   finishes them (and everything white they reach) non-incrementally
//!   once the other greys run out. Here the minor collection, which reads
//!   their written slots anyway, greys the white objects they refer to, so
//!   what the mutator adds during marking is marked as the cycle goes
//!   (a written black large node with cards is re-greyed, but visited by
//!   the next step, not deferred);
//!   steps are bounded, with a budget that grows only when the mutator
//!   outpaces the marking (termination is still guaranteed; see
//!   `major.rs`). The page sweep prefetches the next page. On a 1 GiB old
//!   generation with a 4 MiB nursery and PyPy's default pacing
//!   (`GC_PERF_TREES=16384`, `examples/perf.rs`), the longest major step
//!   went from 8.5 ms to 3.3 ms (2.5× shorter) on this (shared, 2-core)
//!   machine: the longest steps were the last marking steps of each cycle
//!   (2–3 budgets of deferred re-greyed work) and the page-sweep steps
//!   (~5.5 ms each, memory-bound). Earlier (1 MiB step, PyPy's
//!   non-incremental finish) it was ~40–100 ms. That figure needs a
//!   4 MiB nursery (the example sets it; the portable default is
//!   512 KiB); with PyPy's cache rule
//!   (`MarkSweepConfig::pypy`, `nursery=auto`) a VM reporting a 480 MiB
//!   cache gets a 240 MiB nursery, a step marks 960 MiB, and a 1 GiB old
//!   generation is marked in about one step (see [`MarkSweepConfig`]).
//! - **`collect`**: `collect 2` (full) finishes the cycle in progress and runs
//!   a whole new one (PyPy's `gc.collect()`), reported as one `major` event;
//!   `collect 0` and `collect 1` are a minor collection.
//! - **Events**: `minor` (generation 0) per minor collection; `major-step`
//!   (generation 2) per major step; `major` (generation 2) for the step that
//!   completes a cycle's sweep and for an explicit full collection.
//!   `collected` is the number of objects that collection (or step) freed;
//!   [`Stats::collections`](gc_core::Stats) counts exactly these events.
//!   Each is followed by a [`CollectDetail`](gc_core::CollectDetail) event
//!   (written only by `gc-bench replay --detail`): objects and bytes
//!   promoted by that collection, the old generation's size and its peak,
//!   and the page allocator's memory reserved (arenas) against used
//!   (blocks), whose difference is its fragmentation, and large-object
//!   bytes. [`IncMiniMark::gc_stats`] has the same counters as running
//!   totals.
//! - **Heap limit** (`max_heap`, `PYPY_GC_MAX`): checked after each minor
//!   collection and before each large allocation; when the old generation
//!   is over it even after a full collection, the allocation fails with
//!   `OutOfMemory` and the heap is unchanged and usable.
//! - **Memory the system refuses** is `OutOfMemory` too, never an abort
//!   (PyPy aborts): arenas, large objects and the collector's lists get
//!   memory fallibly (`system.rs`). A minor collection first reserves
//!   what promoting the whole nursery could need (free pages, a block per
//!   young object over 280 bytes, work-list room), a marking step the grey
//!   stack's room before blackening an object, the end of marking what
//!   the sweep's lists can grow to (the sweep allocates nothing); a
//!   refused reservation changes nothing and the operation can be retried.
//!   The finalizer ordering's lists, the saved list, the weak-callback
//!   list and the handle table are reserved the same way; the event log
//!   drops what it cannot hold and says so (`drain_events`).
//! - **Finalizer timing**: PyPy decides the finalizers at the end of
//!   marking and runs them one state later (`FINALIZING`, after the sweep);
//!   here they run in the step that decides them. The mutator runs between
//!   steps, and a finalizer must never run on an object it could reach
//!   again (below). Weak-reference callbacks keep PyPy's timing (the
//!   `finalizing` step).
//! - **Weak references and resurrection**: PyPy clears the weak references
//!   to every object kept alive only for a finalizer. Here those to objects
//!   that a *resurrecting* finalizer keeps (now or at a later cycle) stay,
//!   because such an object becomes strongly reachable again (from the saved
//!   list), and a weak reference must never read nil while its referent is
//!   reachable (the workspace's oracle checks exactly that). The ones
//!   PyPy would have cleared are named to the embedder
//!   ([`IncMiniMark::take_spared_weaks`]), which may treat them as
//!   cleared, as PyPy's interpreter does (`gc-py` does).
//! - **`gc disable`**: automatic major steps stop; minor collections go on;
//!   explicit collections still run (PyPy). CPython's other controls are
//!   ignored.
//! - **Parallel marking** (`parallel_mark=N`, not in PyPy; default 1):
//!   a marking step that will mark everything left (every step of a full
//!   collection, an incremental step while the old generation fits its
//!   budget) marks with N threads when the old generation is at least
//!   `parallel_mark_min` bytes, with the sequential step's exact result (`mark.rs` has the
//!   invariant); steps that may stop half-way stay sequential.

//!
//! ## Tests and tools
//!
//! - `tests/conformance.rs`: the gc-core suite, sequential and with
//!   `parallel_mark=2`.
//! - `tests/oracle.rs`: 1,000 random traces each in four configurations
//!   (defaults, small nursery, large objects with cards, zeal) against the
//!   reachability oracle (`PROPTEST_CASES=N` for longer hunts), each also
//!   with `parallel_mark=2`, whose records must equal the sequential ones.
//! - `tests/behaviour.rs`: cards on a 100,000-slot node and under random
//!   writes, finalizer order on a chain and a cycle (run on `pypy3` too when
//!   it is installed), `OutOfMemory`, `gc disable`, incremental marking
//!   under mutation, thresholds, events against statistics.
//! - `tests/limit.rs`: memory the system refuses (a refusing global
//!   allocator in the test binary) during a minor collection's promotion,
//!   a major cycle's marking (sequential and parallel) and for a large
//!   object: `OutOfMemory`, every object intact, the heap usable
//!   afterwards.
//! - `tests/replay.rs`: the spec's seed trace with `expect@marksweep`;
//!   every bundled trace gives the same records with `parallel_mark=2`.
//! - unit tests (`cargo +nightly miri test -p gc-marksweep --lib`): the
//!   layout, nursery and page allocator, the barrier test with the barrier
//!   switched off (test builds only), zeal catching a missing barrier, and
//!   one whole-collector run reaching every unsafe path.
//! - `examples/check_trace.rs` replays a gctrace file against the oracle;
//!   `examples/perf.rs` prints rough numbers for the issue's targets;
//!   `examples/parmark.rs` times full collections sequential against
//!   `parallel_mark=N`.

#![deny(unsafe_op_in_unsafe_fn)]

mod barrier;
mod check;
mod collector;
mod config;
mod finalizers;
mod header;
mod major;
mod mark;
mod minor;
mod nursery;
mod old;
mod pages;
mod roots;
mod space;
mod system;
mod weak;

pub use collector::{IncMiniMark, MarkSweepStats, MsView};
pub use config::{
    LARGE_OBJECT, MAX_MARK_THREADS, MarkSweepConfig, NURSERY_SIZE_UNKNOWN_CACHE, PARALLEL_MARK_MIN,
    PORTABLE_MAX_DELTA, PORTABLE_NURSERY, last_level_cache, nursery_for_cache, parse_bytes,
};
pub use pages::{ARENA_SIZE, PAGE_SIZE, PAGES_PER_ARENA, SMALL_REQUEST_THRESHOLD};

#[cfg(test)]
mod tests;
