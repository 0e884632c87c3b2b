//! # peers — our collectors beside Rust's garbage-collection crates
//!
//! `cargo run --release -p peers` runs four workloads on twelve
//! contenders and prints one table: each cell the median of interleaved
//! runs (every round runs every cell once, so a slow spell of a shared
//! machine hits all contenders alike) with its spread (fastest–slowest),
//! the ratio to `rc`, and each contender's per-object header in bytes.
//! For `marksweep` it also shows the minor-pause p99 (nearest rank over a
//! run's minor collections, the largest over the runs; its events are
//! recorded for that, one per collection). `--format json` prints the same
//! rows as a JSON list; `--quick` runs small sizes for CI. Every run computes a check value that must be the
//! same for every contender (a mismatch is reported and the exit status is
//! 1); a missing Python runtime is a row saying so, never a failure.
//!
//! ## Workloads
//!
//! Each is written natively for each contender (its own node types, its
//! own way of holding roots and of mutating), and does the same work:
//!
//! - `binary_trees`: the Benchmarks Game's binary-trees at depth 16: a
//!   stretch tree of depth 17, a long-lived tree of depth 16, and for each
//!   depth `d` from 4 to 16 step 2, 2^(16−d+4) trees of depth `d` built and
//!   checked; 14,985,902 nodes (tuples in Python). Check: the node count.
//! - `list_churn`: 2,000 times, a doubly linked ring of 1,000 nodes (`prev`,
//!   `next`) is built, walked both ways and dropped — cyclic garbage every
//!   time. Check: nodes walked (2 × 1,000 × 2,000).
//! - `graph`: a table of 10,000 nodes (four edge slots and a number each),
//!   then 1,000,000 random updates: a quarter replace a table entry with a
//!   new node whose first edge is another entry, the rest set an edge of an
//!   entry to another entry or (a quarter of those) clear it; garbage of
//!   every shape, cycles included. The updates come from SplitMix64 seeded
//!   with 13, generated once (outside the timing) and fed to every
//!   contender, the Python ones included. Check: over the nodes reachable
//!   from the table, the sum of (1 + number).
//! - `traversal`: pyperformance `gc_traversal`'s pyramid (list `n` of 1,000
//!   has `n` slots, all pointing at list `n − 1`: 500,500 objects and
//!   references, see `bench-harness/src/workloads/gc_traversal.rs`), built
//!   once, then 20 loops of two full collections: the cost of tracing live
//!   data. Contenders without a collector (`rc`, `bumpalo`) do a marking
//!   walk instead; `refcount`'s collection does nothing, and
//!   `bacon-rajan-cc` and `dumpster` scan only objects whose count fell
//!   since the last collection, so after the first they find nothing to do —
//!   what those designs cost here, and the table says so. Check: lists +
//!   references met walking down (500,500).
//!
//! `--quick`: depth 10, 100 rings, 2,000 nodes and 50,000 updates, a
//! pyramid of 300 lists collected 10 times.
//!
//! ## Contenders
//!
//! - `rc`: `std::rc::Rc` (+ `RefCell`, `Weak` back links in the rings; the
//!   ring's one strong cycle is broken by hand; the graph leaks its cycles).
//! - `bumpalo`: an arena, reset per tree and per ring, never freed during
//!   the graph: the allocation limit.
//! - `gcmodule`: `Cc` with CPython-style cycle collection, called after
//!   every batch of 10,000 allocations or updates (it never runs on its own).
//! - `bacon-rajan-cc`: `Cc` with Bacon–Rajan cycle collection, called as
//!   gcmodule's.
//! - `dumpster`: `unsync::Gc`, automatic cycle detection.
//! - `gc`: the `gc` crate's `Gc`/`GcCell`, automatic mark-and-sweep.
//! - `gc-arena`: `Arena` and `Gc<'gc, _>`, incremental mark-and-sweep paid
//!   by `collect_debt` between mutations.
//! - `refcount`, `generational`, `marksweep`: this workspace's strategies
//!   through the embedding API (`gc_core::prelude`: scopes,
//!   `Scope::child_tuple` per tree node, views for every walk and check),
//!   each made with its library defaults
//!   unless `--config STRATEGY:KEY=VALUE` sets a key (as `gc-bench
//!   --config` takes it; the row's note then names it), e.g.
//!   `--config generational:untrack_new_tuples=true` for CPython 3.14.1's
//!   rule of never tracking a tuple of untracked members. `refcount` clears the rings' links by hand, as `rc` does. Their GC
//!   time is the sum of their collections' pauses (`Stats::gc_time_ns`);
//!   reference counting's freeing is inside the mutator's operations and
//!   is not counted.
//! - `cpython`, `pypy`: `peers/python/peers.py` on `python3` / `pypy3`,
//!   when installed; their GC time comes from `gc.callbacks` / `gc.hooks`.
//!
//! Where each header figure comes from: [`Contender::header_bytes`].

pub mod contenders;
pub mod report;
pub mod workload;

pub use contenders::{Contender, Outcome, Sample};
pub use workload::{Sizes, Workload};
