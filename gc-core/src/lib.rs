//! # gc-core — collectors you can embed, behind one interface
//!
//! This crate is the vocabulary of the GC workbench: one trait,
//! [`Collector`], that every strategy implements (`gc-refcount`,
//! `gc-generational` = CPython 3.11's collector, `gc-marksweep` = PyPy's
//! incminimark, and [`NullCollector`] here), one object model, and the
//! embedding API this page is a guide to. What the workbench itself uses to
//! drive and check strategies (traces, replay, the oracle, the conformance
//! suite) lives apart, in [`tooling`]; an embedder needs none of it.
//!
//! ## 1. Map your runtime's objects onto the model
//!
//! An object is a [`Kind`], a fixed number of reference *slots* and an
//! opaque *payload* of bytes. Collectors trace the slots and never look
//! inside the payload.
//!
//! | your runtime has | use |
//! | --- | --- |
//! | an instance with fields, a graph vertex, a list or dict | [`Kind::Node`]: one slot per reference, scalars in the payload; grow it in place with [`Collector::resize`] (same object, as CPython reallocates `ob_item`), or, on a strategy that refuses (marksweep), keep the items in a second node; a list drops its items last first with [`SlotOrder::LastToFirst`] ([`Collector::set_slot_order`]) |
//! | an immutable aggregate (a tuple, a frozen record) | [`Kind::Tuple`]: members fixed at creation |
//! | a leaf: a string, a number, a byte buffer | [`Kind::Atom`]: payload only, never traced |
//!
//! Type pointers, hash caches and the like go into the payload, or into
//! your own tables keyed by [`ObjectId`].
//!
//! ## 2. Scopes: roots with nothing to release
//!
//! Work with a heap inside a [`Scope`] ([`Embedding::scope`]). Everything
//! you allocate or read as a root is a [`Local`]: a `Copy` word naming a
//! root on the heap's local stack, which lives until its scope ends, when
//! all of them are released at once (V8's `HandleScope`, JNI's local
//! frames). The compiler keeps a local from leaving its scope;
//! [`Scope::handle`] gives its raw [`Handle`].
//!
//! ```
//! use gc_core::{Collector, CollectorExt, Embedding, GcError};
//! use gc_generational::Generational;
//!
//! let mut heap = Generational::new_default()?;
//! heap.scope(|s| {
//!     let a = s.node(1, 0)?;          // class Node: __slots__ = ("other",)
//!     let b = s.node(1, 0)?;
//!     s.set(a, 0, Some(b))?;          // a.other = b
//!     s.set(b, 0, Some(a))?;          // b.other = a: a cycle
//!     Ok::<_, GcError>(())
//! })?;                                // both locals released here
//! assert_eq!(heap.outstanding_roots(), 0);
//! assert_eq!(heap.collect_full()?, 2); // the cycle, as gc.collect() says
//! # Ok::<(), GcError>(())
//! ```
//!
//! Loops and helpers that make temporaries use a nested scope
//! ([`Scope::scope`]), or [`Scope::child`] to hand one result back to the
//! enclosing scope and release the rest (V8's `EscapableHandleScope`).
//! A tuple of several results is [`Scope::child_tuple`]: the tuple takes
//! them over where they are (on a reference counter, their counts move
//! into it), as `Rc::new(Node(left, right))` moves its fields:
//!
//! ```
//! # use gc_core::{Collector, CollectorExt, Embedding, GcError, Local, Scope};
//! # use gc_refcount::RefCount;
//! /// A complete binary tree of tuples; at most `depth` temporaries live.
//! fn tree<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Result<Local<'s>, GcError> {
//!     if depth == 0 {
//!         return s.tuple(&[None, None]);
//!     }
//!     s.child_tuple(|s| Ok([Some(tree(s, depth - 1)?), Some(tree(s, depth - 1)?)]))
//! }
//! let mut heap = RefCount::new_default()?;
//! heap.scope(|s| {
//!     let t = tree(s, 10)?;
//!     assert_eq!(s.heap_ref().stats().live_objects, 2047);
//!     assert_eq!(s.heap_ref().outstanding_roots(), 1);
//!     Ok::<_, GcError>(())
//! })?;
//! assert_eq!(heap.stats().live_objects, 0); // freed when the scope ended
//! # Ok::<(), GcError>(())
//! ```
//!
//! ## 3. Holding roots across calls
//!
//! What must outlive every scope — a global, a cache entry, an interpreter
//! frame's variables — is a [`Root`] (or a [`WeakRoot`]): an owned value
//! you keep in your own structures. Dropping it releases it (at the heap's
//! next operation; [`Scope::unroot`] releases at once). Clones share one
//! root, as `Rc`'s do: the object lives until the last one goes.
//!
//! ```
//! use gc_core::prelude::*; // the embedding API in one import
//! use gc_marksweep::IncMiniMark;
//!
//! let mut heap = IncMiniMark::new_default()?;
//! let mut globals: Vec<Root> = Vec::new();
//! heap.scope(|s| {
//!     let config = s.atom(b"verbose=1")?;
//!     globals.push(s.root(config)?);
//!     Ok::<_, GcError>(())
//! })?;
//! let cached = globals[0].clone();        // the same root, no heap call
//! heap.collect_full()?;                   // moves and collects: still there
//! heap.scope(|s| {
//!     let config = s.local(&globals[0])?;
//!     assert_eq!(s.view(config)?.payload(), b"verbose=1");
//!     Ok::<_, GcError>(())
//! })?;
//! globals.clear();                        // the clone still holds it
//! assert_eq!(heap.outstanding_roots(), 1);
//! drop(cached);                           // released, no call needed
//! heap.flush();
//! assert_eq!(heap.outstanding_roots(), 0);
//! # Ok::<(), GcError>(())
//! ```
//!
//! Forgotten roots do not go unseen: [`Embedding::outstanding_roots`] counts
//! what you hold, and a heap dropped while holding some says how many
//! (debug builds: a `tracing` warning on target `gc_core::leaks`, which
//! only a program that installs a `tracing` subscriber sees).
//!
//! ## 4. Reading without roots
//!
//! [`Scope::view`] gives a borrowed view of an object ([`ObjectView`]):
//! its kind, identity, slots (as further views) and payload, with no root
//! made. A view borrows the heap, and everything that may move or free an
//! object needs `&mut` to it, so the borrow checker refuses a view held
//! across an allocation or a collection — which is what makes this safe on
//! a moving collector. Payloads of plain old data read and write as typed
//! values ([`ObjectView::payload_as`], [`Scope::set_payload_as`]).
//!
//! ```
//! # use gc_core::{Collector, CollectorExt, Embedding, GcError, Local, ObjectView, Scope};
//! # use gc_generational::Generational;
//! /// Sums the `u64` payloads of a linked list without a single root.
//! fn sum<'a, V: ObjectView<'a>>(mut node: Option<V>) -> Result<u64, GcError> {
//!     let mut total = 0;
//!     while let Some(n) = node {
//!         total += n.payload_as::<u64>()?;
//!         node = n.slot(0)?;
//!     }
//!     Ok(total)
//! }
//! let mut heap = Generational::new_default()?;
//! heap.scope(|s| {
//!     let mut head: Option<Local<'_>> = None;
//!     for i in 1..=100u64 {
//!         let n = s.node(1, 8)?;
//!         s.set_payload_as(n, i)?;
//!         s.set(n, 0, head)?;
//!         head = Some(n);
//!     }
//!     let roots = s.heap_ref().root_count();
//!     assert_eq!(sum(Some(s.view(head.unwrap())?))?, 5050);
//!     assert_eq!(s.heap_ref().root_count(), roots);
//!     Ok::<_, GcError>(())
//! })?;
//! # Ok::<(), GcError>(())
//! ```
//!
//! ## 5. Finalizers that run your code
//!
//! Give an object [`Finalizer::Run`] and install a hook with
//! [`Collector::on_finalize`]: a type implementing [`Finalize`], generic
//! over the strategy. Each object chosen for finalization reaches it
//! intact, with a scope to read it, allocate, or store it somewhere (which
//! resurrects it), in the order the strategy prescribes, at most once per
//! object (PEP 442):
//!
//! - reference counting (`gc-refcount`, and `gc-generational` outside a
//!   collection): the moment the count reaches zero, before the call that
//!   dropped the last reference returns;
//! - `gc-generational`'s collections: in the middle of the collection, in
//!   CPython's order, after weak references are cleared; what is still
//!   unreachable afterwards is freed by the same collection;
//! - `gc-marksweep`: after the major collection that found the object
//!   unreachable, in PyPy's order (one per strongly connected component);
//!   its memory goes at the next major collection, as in PyPy.
//!
//! A panic in the hook is caught; the operation completes with the heap
//! consistent, and the panic is resumed when that operation returns.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use gc_core::{Collector, CollectorExt, Embedding, Finalize, Finalizer, GcError, Local,
//!               ObjectView, Scope};
//! use gc_generational::Generational;
//!
//! /// `def __del__(self): print(f"Node({self.name!r}) deleted")`
//! struct Del(Arc<Mutex<Vec<String>>>);
//! impl Finalize for Del {
//!     fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, node: Local<'_>) {
//!         let name = s.view(node).and_then(|n| n.slot(1)).ok().flatten();
//!         let name = name.map(|n| String::from_utf8_lossy(n.payload()).into_owned());
//!         self.0.lock().unwrap().push(format!("Node({:?}) deleted", name.unwrap_or_default()));
//!     }
//! }
//! let printed = Arc::new(Mutex::new(Vec::new()));
//! let mut heap = Generational::new_default()?;
//! heap.on_finalize(Del(Arc::clone(&printed)));
//! heap.scope(|s| {
//!     let a = s.node(2, 0)?;
//!     let b = s.node(2, 0)?;
//!     for (node, name) in [(a, "A"), (b, "B")] {
//!         let n = s.atom(name.as_bytes())?;
//!         s.set(node, 1, Some(n))?;
//!         s.set_finalizer(node, Finalizer::Run)?;
//!     }
//!     s.set(a, 0, Some(b))?;
//!     s.set(b, 0, Some(a))?;
//!     Ok::<_, GcError>(())
//! })?;
//! assert_eq!(heap.collect_full()?, 2);
//! assert_eq!(*printed.lock().unwrap(), ["Node(\"A\") deleted", "Node(\"B\") deleted"]);
//! # Ok::<(), GcError>(())
//! ```
//!
//! A real runtime's finalizer needs the runtime — its frames, class
//! table, output — which the runtime is using when the heap calls the
//! hook. So the runtime *lends* its state ([`embed::lend`]) around the
//! operations that may finalize, and installs the hook with
//! [`Embedding::on_finalize_with`]: the hook gets `&mut` that state and a
//! scope of the heap, and can run the runtime's own code on the object,
//! at exactly the moments listed above (inside the collection, at count
//! zero). A finalizer due while nothing is lent waits, rooted, for the
//! next operation that lends (a runtime that runs finalizers between
//! bytecodes, as PyPy does, lends only there). `gc-py` runs `__del__` this
//! way. On the reference-counting strategies a count may reach zero at
//! almost any call: a scope's end, a slot overwritten, a dropped [`Root`]
//! released at the heap's next operation. Lend around those too, or lend
//! later and call [`Embedding::flush`] to run what waits; finalizers
//! still waiting when the heap is dropped never run. A finalizer due
//! while the hook runs waits for it to return; one installed with
//! [`Embedding::on_finalize_nested_with`] (a plain function) runs inside
//! it instead, at the end of the operation that made it due, when the
//! hook lends the state again around that operation — CPython's nested
//! `__del__` (`gc-py` does this on the strategies that model CPython).
//!
//! ```
//! use gc_core::prelude::*;
//! use gc_core::embed::lend;
//! use gc_generational::Generational;
//!
//! /// The runtime's own state, which `__del__` writes to.
//! struct Interp { output: Vec<String>, saved: Vec<Root> }
//!
//! let mut heap = Generational::new_default()?;
//! heap.on_finalize_with(|it: &mut Interp, s: &mut Scope<'_, Generational>, obj| {
//!     let name = s.view(obj).and_then(|o| o.payload_as::<u8>()).unwrap_or(0);
//!     it.output.push(format!("del {}", name as char));
//!     if name == b'b' {
//!         it.saved.extend(s.root(obj)); // resurrects it
//!     }
//! })?;
//! let mut it = Interp { output: Vec::new(), saved: Vec::new() };
//! heap.scope(|s| {
//!     let (a, b) = (s.node(1, 1)?, s.node(1, 1)?);
//!     for (n, name) in [(a, b'a'), (b, b'b')] {
//!         s.set_payload_as(n, name)?;
//!         s.set_finalizer(n, Finalizer::Run)?;
//!     }
//!     s.set(a, 0, Some(b))?;
//!     s.set(b, 0, Some(a))?;
//!     Ok::<_, GcError>(())
//! })?;
//! // One collection: both finalizers run inside it; `b` saved itself and
//! // `a` with it, so nothing is collected (CPython 3.9+ counts the same).
//! let collected = lend(&mut it, || heap.collect_full())?;
//! assert_eq!((collected, it.output.join(", ")), (0, "del a, del b".to_string()));
//! it.saved.clear();
//! assert_eq!(lend(&mut it, || heap.collect_full())?, 2); // finalized once
//! assert_eq!(it.output.len(), 2);
//! # Ok::<(), GcError>(())
//! ```
//!
//! `on_finalize_with` takes the strategy's own scope type, so it is for a
//! heap of a concrete type: on `gc_any::AnyCollector`, whose strategy
//! would never call it, it is refused (`GcError::Unsupported`). To choose the strategy at run time and
//! keep it, run the runtime generic over `C: Collector` through
//! `gc_any::dispatch` (each strategy's own type). On an `AnyCollector`,
//! install a generic [`Finalize`] with [`Collector::on_finalize`] and
//! reach the state with [`embed::with_lent`]; such a hook does not wait
//! for a loan: it runs when its object is due, and `with_lent` answers
//! `None` if nothing is lent then, so lend around every operation that
//! may finalize.
//!
//! Weak references: [`Scope::weak`] makes a [`WeakRoot`];
//! [`Scope::upgrade`] gives a local while the referent lives. With
//! `callback`, the referent's death is reported as an
//! [`Event::WeakCallback`] on a heap that records events (section 8); the
//! event names the referent by [`ObjectId`], so note [`Scope::id`] when
//! you make the weak reference to know whose it is. A weak reference
//! dropped before its referent dies reports nothing.
//!
//! ## 6. Choosing and configuring a strategy
//!
//! Each strategy is a type with a typed configuration ([`Config`]) whose
//! `Default` is deterministic and independent of the machine and the
//! environment; [`CollectorExt::from_pairs`] sets it from `KEY=VALUE`
//! strings. To choose at run time, `gc_any::AnyCollector::from_name("marksweep",
//! &pairs)` holds any strategy and forwards every call (a `match` per call);
//! `gc_any::dispatch` turns a name into a type once and runs generic code
//! at full speed.
//!
//! ## 7. Threads
//!
//! Every strategy is [`Send`] (the trait requires it): a heap may move to
//! another thread, its finalizer hook with it (hooks are `Send`). None is
//! [`Sync`]: every operation that matters takes `&mut`, and the hook held
//! in each heap is `FnMut`, so sharing `&heap` between threads would buy
//! only concurrent reads. [`Root`] and [`WeakRoot`] are `Send + Sync` and
//! may be dropped on any thread, without a lock: the drop puts the handle
//! on the heap's release queue with one compare-and-swap, and the heap
//! releases it at its next operation on its own thread.
//!
//! ## 8. Events
//!
//! A heap records its collection, finalizer and weak-callback events only
//! after [`Collector::record_events`]`(true)`; drain them with
//! [`Collector::drain_events`]. An embedder that never asks pays no memory
//! for them. Recording never fails an operation: events the system refuses
//! memory for are lost, and the next drain says so
//! ([`GcError::OutOfMemory`]) instead of handing out a stream with a gap. Running totals are always in [`Collector::stats`].
//!
//! ## 9. What [`Traits`] mean for you
//!
//! - `moves_objects` (marksweep): addresses change at any allocation or
//!   collection. You never see one: locals, roots and views stay valid
//!   (views cannot be held across such a call).
//! - `write_barrier` (marksweep): every slot write goes through
//!   [`Scope::set`], which applies it; there is no other way to write.
//! - `reference_counting`: objects die the moment the last reference goes,
//!   finalizers included; `collects_cycles` false means a cycle leaks
//!   (`gc-refcount`, measurably: see its `live_objects`).
//! - `frees_finalized_later` (marksweep): a finalized object's memory is
//!   reclaimed by the next major collection.
//!
//! ## 10. What it costs
//!
//! - A local: a push onto the heap's local stack, released in one pass
//!   when its scope ends; the local itself is one word. No local touches
//!   a root table: on the reference-counting strategies a local is the
//!   object's index with one count of it (dropped when the local is
//!   popped); marksweep scans its stack itself (a local there is the
//!   object's address, which its collections treat as a root and rewrite
//!   when they move the object), so a scope's end is one truncation. A
//!   child scope's escaped local keeps its root and moves to where the
//!   child began; a [`Scope::child_tuple`] whose body returns every
//!   local it made, in order, takes them over in place (no count moves). Measured on binary trees
//!   of depth 16 (`cargo run --release -p gc-any --example tree_costs`,
//!   see the README), against the raw handle API (every handle released
//!   by hand): a child scope per node 0.66–0.79× on refcount, 0.78–0.88×
//!   on generational, 0.36–0.54× on marksweep, in time; a
//!   `child_tuple` per node 0.47–0.60×, 0.65–0.74× and 0.32–0.47×.
//! - A [`Root`]: a local's cost, plus a shared pointer and a node of the
//!   heap's release queue (taken from the heap's free nodes when made);
//!   its drop, on any thread, is one compare-and-swap and allocates
//!   nothing, and the heap's next operation takes every dropped root
//!   with one swap.
//! - A view read: the strategy's own memory reads, nothing else. Counting
//!   a tree's nodes through views costs less than the same walk over
//!   `std::rc::Rc<RefCell<_>>` on marksweep (the view is the object's
//!   address), and about 1.1× it on the reference-counting strategies
//!   when the tree is in cache (a view is the heap and the object's
//!   header; a step reads a slot from the header, then indexes the header
//!   table).
//! - `gc_any::AnyCollector`: one `match` per call (1.0–1.2× on building,
//!   2–2.4× on view walks); `gc_any::dispatch` costs nothing per call.
//!
//! ## The raw handle API
//!
//! Underneath, the mutator holds [`Handle`]s — generation-checked indices
//! into a root table the heap owns, never addresses — and every call checks
//! them: a stale or foreign handle is an error value ([`GcError`]), never
//! undefined behaviour. (One exception, never undefined behaviour either:
//! the raw handle of a scope's local, [`Scope::handle`], kept past its
//! scope, is checked by a 32-bit push serial, so it would read the local
//! pushed at the same place exactly 2^32 pushes later.) The harness drives strategies this way, and so may
//! code that wants to manage each root itself:
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
//! heap.release(a)?;
//! heap.release(b_again)?;
//! # Ok::<(), gc_core::GcError>(())
//! ```
//!
//! [`rc`] is reference counting as a building block, shared by
//! `gc-refcount` and `gc-generational`; its heap's internals are for
//! strategy crates.

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod collector;
pub mod config;
pub mod embed;
mod error;
mod event;
mod handle;
mod null;
pub mod object;
pub mod rc;
mod stats;
pub mod tooling;

pub use collector::{
    Collector, CollectorExt, Config, Control, ControlOutcome, Generation, Inspect, NoConfig,
    RootList, Setting, Traits,
};
pub use embed::{Embedding, Finalize, Local, ObjectView, Root, Scope, WeakRoot};
pub use error::GcError;
pub use event::{CollectDetail, CollectEvent, CollectKind, Collection, Event, EventLog, Trigger};
pub use handle::{Handle, HandleType, HeapId, RootTable, WeakHandle};
pub use null::{NullCollector, NullConfig, NullView};
pub use object::{Finalizer, Kind, MAX_PAYLOAD, MAX_SLOTS, ObjectId, Shape, SlotOrder, WeakId};
pub use stats::Stats;

/// The embedding API in one import: `use gc_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Collector, CollectorExt, Embedding, Finalize, Finalizer, GcError, Generation, Kind, Local,
        ObjectView, Root, Scope, SlotOrder, WeakRoot,
    };
}
