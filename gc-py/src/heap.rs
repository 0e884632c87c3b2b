//! Every call into the collector, in one module, on `gc_core`'s
//! embedding API.
//!
//! The interpreter holds [`Root`]s (`gc_core::Root`: released when
//! dropped) and [`Weak`]s (`gc_core::WeakRoot`), and reaches the heap only
//! through [`Heap`]: allocation and slot writes go through scopes
//! ([`Embedding::scope`]), reads through views ([`ObjectView`]: no root is
//! made to read an atom or test a slot), finalizers through the finalizer
//! hook ([`Embedding::on_finalize_with`] with [`Finalizer::Run`]).
//!
//! `__del__` runs the interpreter itself: the hook gets the interpreter's
//! state, which the interpreter [lends](gc_core::embed::lend) around the
//! heap operations that may finalize (`Interp::lend`), and the heap it is
//! called with — inside the collection that found the object, or at the
//! moment its count reached zero.

use gc_core::{
    CollectorExt, Control, ControlOutcome, Embedding, Event, Finalizer, GcError, Generation,
    Handle, Inspect, Kind, ObjectId, ObjectView, RootList, WeakId,
};
use gc_generational::{GcModule, Generational};
use gc_marksweep::IncMiniMark;
use gc_refcount::RefCount;

pub use gc_core::Root;
/// A weak reference held by the interpreter (released when dropped).
pub type Weak = gc_core::WeakRoot;

/// What a slot holds, read through a view: an atom's payload is decoded
/// without making a root; a container gets one.
#[derive(Debug)]
pub enum Slot<T> {
    /// Nil.
    Nil,
    /// An atom, decoded.
    Atom(T),
    /// A container (node or tuple).
    Obj(Root),
}

/// What the `gc` and `sys` modules need beyond [`Collector`](gc_core::Collector): the answers
/// only one strategy has. Implemented for the three strategies. It also
/// asks [`Inspect`] for `gc.garbage` and for the weak reference a callback
/// event names.
pub trait Strategy: Inspect + 'static {
    /// PyPy's `gc.collect()` returns `None`; CPython's the count.
    const COLLECT_RETURNS_COUNT: bool;
    /// The object's reference count, or `None` if the strategy has none.
    fn refcount(&self, h: Handle) -> Option<u64>;
    /// `gc.get_count()`.
    fn get_count(&mut self) -> Option<(u64, u64, u64)>;
    /// `gc.get_threshold()`.
    fn get_threshold(&mut self) -> Option<(i64, i64, i64)>;
    /// `gc.set_threshold(t0[, t1[, t2]])` with CPython's signed values,
    /// where the strategy has thresholds of its own: whether it does.
    fn set_threshold(&mut self, t0: i64, t1: Option<i64>, t2: Option<i64>) -> bool {
        let _ = (t0, t1, t2);
        false
    }
    /// `gc.is_tracked(obj)`.
    fn is_tracked(&mut self, h: Handle) -> Result<bool, GcError>;
    /// `gc.get_freeze_count()`.
    fn get_freeze_count(&mut self) -> u64;
    /// A new dict: the strategy tracks it as CPython tracks dicts, where
    /// it tracks objects at all (untracked while it holds only atoms).
    fn track_as_dict(&mut self, h: Handle) -> Result<(), GcError> {
        let _ = h;
        Ok(())
    }
    /// Live objects that are containers (nodes and tuples) and atoms,
    /// when the strategy can tell (for the leak report).
    fn live_by_kind(&self) -> Option<(u64, u64)>;
    /// The weak references PyPy would have cleared (their referents kept
    /// only for finalizers that ran) but the collector kept: on
    /// `marksweep` ([`IncMiniMark::take_spared_weaks`]); empty elsewhere.
    fn take_spared_weaks(&mut self) -> Result<Vec<WeakId>, GcError> {
        Ok(Vec::new())
    }
    /// Has `f` called with ("start" | "stop", [generation, collected,
    /// uncollectable]) around every collection (`gc.callbacks`); `false`
    /// when the strategy has no such hook.
    fn on_collection(&mut self, f: fn(&mut Self, &'static str, [u64; 3])) -> bool {
        let _ = f;
        false
    }
    /// Whether the collector keeps `gc.garbage` (DEBUG_SAVEALL fills it);
    /// elsewhere `gc.garbage` is a list of the program's own.
    const KEEPS_GARBAGE: bool = false;
    /// A root to each object of `gc.garbage`, in order.
    fn garbage_roots(&mut self) -> Vec<Handle> {
        Vec::new()
    }
    /// What finds the object `h` holds again once no root holds it
    /// ([`Strategy::reroot`]); `None` where the strategy cannot.
    fn reroot_key(&self, h: Handle) -> Option<RerootKey> {
        let _ = h;
        None
    }
    /// A new root to the object `key` names, if that object is still
    /// allocated (garbage whose collection is running its finalizers, as
    /// CPython's objects are intact until `delete_garbage`); `None` once it
    /// is freed. What lets a `__del__` that runs in the last collection at
    /// exit read the main module's globals, which are garbage with it.
    fn reroot(&mut self, key: RerootKey) -> Option<Handle> {
        let _ = key;
        None
    }
    /// `gc.garbage.append(obj)`, where the collector keeps `gc.garbage`.
    fn garbage_append(&mut self, h: Handle) -> Result<(), GcError> {
        let _ = h;
        Err(GcError::Unsupported {
            strategy: Self::TRAITS.name,
            what: "a garbage list",
        })
    }
}

/// An object's place in the collector's table and its identity: a place
/// is reused once its object is freed, the identity never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RerootKey {
    index: usize,
    id: ObjectId,
}

fn rc_reroot_key<P: gc_core::rc::RcPolicy>(
    heap: &gc_core::rc::RcHeap<P>,
    h: Handle,
) -> Option<RerootKey> {
    let r = heap.resolve(h).ok()?;
    Some(RerootKey {
        index: r.index(),
        id: ObjectId(heap.id(r)),
    })
}

fn rc_reroot<P: gc_core::rc::RcPolicy>(
    heap: &mut gc_core::rc::RcHeap<P>,
    key: RerootKey,
) -> Option<Handle> {
    let r = gc_core::rc::ObjRef::from_index(key.index)?;
    let header = heap.objects.get(key.index)?;
    if header.flags & gc_core::rc::flags::FREE != 0 || heap.id(r) != key.id.0 {
        return None;
    }
    heap.inc(r);
    Some(heap.root_object(r))
}

fn rc_garbage<P: gc_core::rc::RcPolicy>(heap: &mut gc_core::rc::RcHeap<P>) -> Vec<Handle> {
    let garbage = heap.garbage.clone();
    garbage
        .into_iter()
        .map(|r| {
            heap.inc(r);
            heap.root_object(r)
        })
        .collect()
}

fn rc_live<P: gc_core::rc::RcPolicy>(heap: &gc_core::rc::RcHeap<P>) -> (u64, u64) {
    use gc_core::rc::flags;
    let (mut containers, mut atoms) = (0, 0);
    for h in &heap.objects {
        if h.flags & flags::FREE != 0 {
            continue;
        }
        match h.flags & flags::KIND_MASK {
            flags::NODE | flags::TUPLE => containers += 1,
            flags::ATOM => atoms += 1,
            _ => {}
        }
    }
    (containers, atoms)
}

impl Strategy for Generational {
    const COLLECT_RETURNS_COUNT: bool = true;
    fn refcount(&self, h: Handle) -> Option<u64> {
        self.resolve(h).ok().map(|r| u64::from(self.header(r).rc))
    }
    fn get_count(&mut self) -> Option<(u64, u64, u64)> {
        Some(self.gc().get_count())
    }
    fn get_threshold(&mut self) -> Option<(i64, i64, i64)> {
        Some(self.gc().get_threshold())
    }
    fn set_threshold(&mut self, t0: i64, t1: Option<i64>, t2: Option<i64>) -> bool {
        self.gc().set_threshold(t0, t1, t2);
        true
    }
    fn is_tracked(&mut self, h: Handle) -> Result<bool, GcError> {
        self.gc().is_tracked(h)
    }
    fn get_freeze_count(&mut self) -> u64 {
        self.gc().get_freeze_count()
    }
    fn track_as_dict(&mut self, h: Handle) -> Result<(), GcError> {
        self.gc().track_as_dict(h)
    }
    fn live_by_kind(&self) -> Option<(u64, u64)> {
        Some(rc_live(self))
    }
    fn on_collection(&mut self, f: fn(&mut Self, &'static str, [u64; 3])) -> bool {
        self.gc()
            .callbacks()
            .push(gc_generational::callback(move |heap, phase, info| {
                f(
                    heap,
                    phase.as_str(),
                    [
                        u64::from(info.generation),
                        info.collected,
                        info.uncollectable,
                    ],
                )
            }));
        true
    }
    const KEEPS_GARBAGE: bool = true;
    fn garbage_roots(&mut self) -> Vec<Handle> {
        rc_garbage(self)
    }
    fn reroot_key(&self, h: Handle) -> Option<RerootKey> {
        rc_reroot_key(self, h)
    }
    fn reroot(&mut self, key: RerootKey) -> Option<Handle> {
        rc_reroot(self, key)
    }
    fn garbage_append(&mut self, h: Handle) -> Result<(), GcError> {
        self.gc().garbage_append(h)
    }
}

impl Strategy for RefCount {
    const COLLECT_RETURNS_COUNT: bool = true;
    fn refcount(&self, h: Handle) -> Option<u64> {
        self.resolve(h).ok().map(|r| u64::from(self.header(r).rc))
    }
    fn get_count(&mut self) -> Option<(u64, u64, u64)> {
        None
    }
    fn get_threshold(&mut self) -> Option<(i64, i64, i64)> {
        None
    }
    fn is_tracked(&mut self, h: Handle) -> Result<bool, GcError> {
        Ok(self.kind(h)? != Kind::Atom)
    }
    fn get_freeze_count(&mut self) -> u64 {
        0
    }
    fn live_by_kind(&self) -> Option<(u64, u64)> {
        Some(rc_live(self))
    }
}

impl Strategy for gc_core::NullCollector {
    const COLLECT_RETURNS_COUNT: bool = true;
    fn refcount(&self, _h: Handle) -> Option<u64> {
        None
    }
    fn get_count(&mut self) -> Option<(u64, u64, u64)> {
        None
    }
    fn get_threshold(&mut self) -> Option<(i64, i64, i64)> {
        None
    }
    fn is_tracked(&mut self, h: Handle) -> Result<bool, GcError> {
        Ok(self.kind(h)? != Kind::Atom)
    }
    fn get_freeze_count(&mut self) -> u64 {
        0
    }
    fn live_by_kind(&self) -> Option<(u64, u64)> {
        None
    }
}

impl Strategy for IncMiniMark {
    const COLLECT_RETURNS_COUNT: bool = false;
    fn refcount(&self, _h: Handle) -> Option<u64> {
        None
    }
    fn get_count(&mut self) -> Option<(u64, u64, u64)> {
        None
    }
    fn get_threshold(&mut self) -> Option<(i64, i64, i64)> {
        None
    }
    fn is_tracked(&mut self, h: Handle) -> Result<bool, GcError> {
        Ok(self.kind(h)? != Kind::Atom)
    }
    fn get_freeze_count(&mut self) -> u64 {
        0
    }
    fn live_by_kind(&self) -> Option<(u64, u64)> {
        None
    }
    fn take_spared_weaks(&mut self) -> Result<Vec<WeakId>, GcError> {
        IncMiniMark::take_spared_weaks(self)
    }
}

/// The heap of one interpreter: the collector, borrowed (a finalizer gets
/// the heap it is called with).
#[derive(Debug)]
pub struct Heap<'h, C: Strategy> {
    c: &'h mut C,
}

/// What the interpreter keeps of the collector's events.
#[derive(Debug, Default)]
pub struct Log {
    events: Vec<Event>,
    /// With tracing on: collections as `(end ns, pause ns, kind)`.
    pub trace: Option<Trace>,
}

/// What a traced run records of its collections.
#[derive(Debug)]
pub struct Trace {
    /// When the program started.
    pub start: std::time::Instant,
    /// Every collection (or step) as `(end ns from start, pause ns, kind)`;
    /// the end is when the interpreter saw the event (the end of the
    /// statement during which it ran).
    pub collections: Vec<(u64, u64, &'static str)>,
}

/// What [`Heap::drain`] found since the last call.
#[derive(Debug, Default)]
pub struct Drained {
    /// Weak references whose referent died (with a callback).
    pub weak_callbacks: Vec<WeakId>,
    /// Objects finalized by a collection, sorted: what it found dead (a
    /// finalizer event followed by that collection's end).
    pub died_in_collection: Vec<ObjectId>,
    /// Weak references to objects kept only for those finalizers, which
    /// the collector kept and PyPy clears ([`Strategy::take_spared_weaks`]).
    pub spared_weaks: Vec<WeakId>,
}

/// A collector configured from `KEY=VALUE` pairs, recording events.
pub fn make<C: Strategy>(pairs: &[(String, String)]) -> Result<C, String> {
    let mut config = C::Config::default();
    for (k, v) in pairs {
        gc_core::Config::set(&mut config, k, v)
            .map_err(|e| format!("collector `{}`: {e}", C::TRAITS.name))?;
    }
    let mut c = C::with_config(config).map_err(|e| e.to_string())?;
    c.record_events(true);
    Ok(c)
}

impl<'h, C: Strategy> Heap<'h, C> {
    /// The interpreter's access to `c`.
    pub fn new(c: &'h mut C) -> Self {
        Heap { c }
    }

    /// The strategy's name.
    pub fn name(&self) -> &'static str {
        C::TRAITS.name
    }

    /// A root for a raw handle the collector just gave us (it takes the
    /// handle over).
    fn wrap(&mut self, h: Handle) -> Result<Root, GcError> {
        self.c.scope(|s| {
            let l = s.adopt(h)?;
            s.root(l)
        })
    }

    /// Releases every dropped root (this is when reference counting frees)
    /// and runs the finalizer hook on what is due.
    pub fn flush(&mut self) -> Result<(), GcError> {
        Embedding::flush(self.c);
        Ok(())
    }

    /// Are roots waiting to be released, or finalizers to run?
    pub fn due(&self) -> bool {
        let s = self.c.embed_state_ref();
        s.any_dropped_roots() || s.internal_roots() > 0
    }

    /// `scope.node(slots, payload)`.
    pub fn node(&mut self, slots: usize, payload: &[u8]) -> Result<Root, GcError> {
        self.c.scope(|s| {
            let l = s.node(slots, payload.len())?;
            if !payload.is_empty() {
                s.payload_mut(l)?.copy_from_slice(payload);
            }
            s.root(l)
        })
    }

    /// `scope.atom(bytes)`.
    pub fn atom(&mut self, payload: &[u8]) -> Result<Root, GcError> {
        self.c.scope(|s| {
            let l = s.atom(payload)?;
            s.root(l)
        })
    }

    /// `scope.tuple(members)`.
    pub fn tuple(&mut self, members: &[Option<&Root>]) -> Result<Root, GcError> {
        self.c.scope(|s| {
            let mut locals = Vec::with_capacity(members.len());
            for m in members {
                locals.push(match m {
                    Some(r) => Some(s.local(r)?),
                    None => None,
                });
            }
            let t = s.tuple(&locals)?;
            s.root(t)
        })
    }

    /// A second root to the same object.
    pub fn dup(&mut self, r: &Root) -> Result<Root, GcError> {
        let h = self.c.clone_handle(r.handle())?;
        self.wrap(h)
    }

    /// `scope.get(obj, i)`: a root to what slot `i` holds.
    pub fn get(&mut self, obj: &Root, i: usize) -> Result<Option<Root>, GcError> {
        if self.c.view(obj.handle())?.slot(i)?.is_none() {
            return Ok(None);
        }
        match self.c.slot(obj.handle(), i)? {
            Some(h) => Ok(Some(self.wrap(h)?)),
            None => Ok(None),
        }
    }

    /// Reads slot `i` through a view: an atom is decoded by `atom` without
    /// a root; a container gets a root.
    pub fn read<T>(
        &mut self,
        obj: &Root,
        i: usize,
        atom: impl FnOnce(&[u8]) -> T,
    ) -> Result<Slot<T>, GcError> {
        {
            let v = self.c.view(obj.handle())?;
            match v.slot(i)? {
                None => return Ok(Slot::Nil),
                Some(x) if x.kind() == Kind::Atom => return Ok(Slot::Atom(atom(x.payload()))),
                Some(_) => {}
            }
        }
        match self.c.slot(obj.handle(), i)? {
            Some(h) => Ok(Slot::Obj(self.wrap(h)?)),
            None => Ok(Slot::Nil),
        }
    }

    /// Whether slot `i` holds something (a view: no root).
    pub fn has(&self, obj: &Root, i: usize) -> Result<bool, GcError> {
        Ok(self.c.view(obj.handle())?.slot(i)?.is_some())
    }

    /// `scope.set(obj, i, value)`.
    pub fn set(&mut self, obj: &Root, i: usize, v: Option<&Root>) -> Result<(), GcError> {
        self.c.set_slot(obj.handle(), i, v.map(|r| r.handle()))
    }

    /// Gives a node `slots` slots in place; `false` when the strategy
    /// cannot (marksweep: see `Collector::resize`).
    pub fn resize(&mut self, obj: &Root, slots: usize) -> Result<bool, GcError> {
        match self.c.resize(obj.handle(), slots) {
            Ok(()) => Ok(true),
            Err(GcError::Unsupported { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `view(obj).kind()`.
    pub fn kind(&self, obj: &Root) -> Result<Kind, GcError> {
        Ok(self.c.view(obj.handle())?.kind())
    }

    /// `view(obj).id()`.
    pub fn id(&self, obj: &Root) -> Result<ObjectId, GcError> {
        Ok(self.c.view(obj.handle())?.id())
    }

    /// `view(obj).slot_count()`.
    pub fn slot_count(&self, obj: &Root) -> Result<usize, GcError> {
        Ok(self.c.view(obj.handle())?.slot_count())
    }

    /// `view(obj).payload()`.
    pub fn payload(&self, obj: &Root) -> Result<&[u8], GcError> {
        Ok(self.c.view(obj.handle())?.payload())
    }

    /// `scope.payload_mut(obj)`.
    pub fn payload_mut(&mut self, obj: &Root) -> Result<&mut [u8], GcError> {
        self.c.payload_mut(obj.handle())
    }

    /// `view(a).same(b)`.
    pub fn same(&self, a: &Root, b: &Root) -> Result<bool, GcError> {
        Ok(a.handle() == b.handle() || self.c.view(a.handle())?.same(self.c.view(b.handle())?))
    }

    /// `scope.set_finalizer(obj, Finalizer::Run)`: the object's `__del__`
    /// will run on it (once); `notify` only reports the death as an event.
    pub fn set_finalizer(&mut self, obj: &Root, run: bool) -> Result<(), GcError> {
        let f = if run {
            Finalizer::Run
        } else {
            Finalizer::Notify
        };
        self.c.set_finalizer(obj.handle(), f)
    }

    /// `scope.weak(obj, callback)`.
    pub fn weak(&mut self, obj: &Root, callback: bool) -> Result<(Weak, WeakId), GcError> {
        let w = self.c.scope(|s| {
            let l = s.local(obj)?;
            s.weak(l, callback)
        })?;
        let id = self.c.weak_id(w.handle())?;
        Ok((w, id))
    }

    /// `scope.upgrade(&weak)`.
    pub fn upgrade(&mut self, w: &Weak) -> Result<Option<Root>, GcError> {
        self.flush()?;
        self.c.scope(|s| match s.upgrade(w)? {
            Some(l) => Ok(Some(s.root(l)?)),
            None => Ok(None),
        })
    }

    /// `scope.collect(gen)`.
    pub fn collect(&mut self, generation: u64) -> Result<u64, GcError> {
        let g = Generation::new(generation)?;
        let n = self.c.scope(|s| s.collect(g))?;
        self.flush()?;
        Ok(n)
    }

    /// `scope.control(control)`.
    pub fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError> {
        self.flush()?;
        self.c.scope(|s| s.control(control))
    }

    /// Flushes, then takes the weak callbacks reported (and records the
    /// collections in `log`'s trace).
    pub fn drain(&mut self, log: &mut Log) -> Result<Drained, GcError> {
        self.flush()?;
        let mut out = Drained::default();
        self.c.drain_events(&mut log.events)?;
        // Finalized since the last collection's end seen.
        let mut finalized = Vec::new();
        for e in log.events.drain(..) {
            match e {
                Event::WeakCallback { weak, .. } => out.weak_callbacks.push(weak),
                Event::Finalize { object } => finalized.push(object),
                Event::Collect(c) => {
                    out.died_in_collection.append(&mut finalized);
                    if let Some(t) = &mut log.trace {
                        let end = t.start.elapsed().as_nanos() as u64;
                        t.collections.push((end, c.pause_ns, c.kind.name()));
                    }
                }
            }
        }
        out.died_in_collection.sort_unstable();
        out.spared_weaks = self.c.take_spared_weaks()?;
        Ok(out)
    }
    /// `sys.getrefcount(obj)` without the argument's own reference
    /// (the caller adds what CPython's call adds).
    pub fn refcount(&mut self, obj: &Root) -> Result<Option<u64>, GcError> {
        self.flush()?;
        Ok(self.c.refcount(obj.handle()))
    }

    /// `gc.get_count()`.
    pub fn get_count(&mut self) -> Result<Option<(u64, u64, u64)>, GcError> {
        self.flush()?;
        Ok(self.c.get_count())
    }

    /// `gc.get_threshold()`.
    pub fn get_threshold(&mut self) -> Option<(i64, i64, i64)> {
        self.c.get_threshold()
    }

    /// `gc.set_threshold(t0[, t1[, t2]])`: CPython's signed values where
    /// the strategy keeps them, else the control (a negative value as 0).
    pub fn set_threshold(
        &mut self,
        t0: i64,
        t1: Option<i64>,
        t2: Option<i64>,
    ) -> Result<(), GcError> {
        self.flush()?;
        if self.c.set_threshold(t0, t1, t2) {
            return Ok(());
        }
        let u = |t: i64| u64::try_from(t).unwrap_or(0);
        self.control(Control::Threshold(u(t0), t1.map(u), t2.map(u)))
            .map(|_| ())
    }

    /// Drops (and, in a collection, traverses and clears) the node's
    /// slots last first, as CPython does a list's.
    pub fn last_first(&mut self, obj: &Root) -> Result<(), GcError> {
        self.c
            .set_slot_order(obj.handle(), gc_core::SlotOrder::LastToFirst)
    }

    /// A new dict, tracked as CPython tracks dicts.
    pub fn track_as_dict(&mut self, obj: &Root) -> Result<(), GcError> {
        self.c.track_as_dict(obj.handle())
    }

    /// `gc.is_tracked(obj)`.
    pub fn is_tracked(&mut self, obj: &Root) -> Result<bool, GcError> {
        self.c.is_tracked(obj.handle())
    }

    /// `gc.get_freeze_count()`.
    pub fn get_freeze_count(&mut self) -> u64 {
        self.c.get_freeze_count()
    }

    /// Installs `f` as the `gc.callbacks` entry point (see
    /// [`Strategy::on_collection`]).
    pub fn on_collection(&mut self, f: fn(&mut C, &'static str, [u64; 3])) -> bool {
        self.c.on_collection(f)
    }

    /// The objects of `gc.garbage`, in order.
    pub fn garbage(&mut self) -> Result<Vec<Root>, GcError> {
        let handles = self.c.garbage_roots();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(self.wrap(h)?);
        }
        Ok(out)
    }

    /// What finds `obj`'s object again once no root holds it.
    pub fn reroot_key(&self, obj: &Root) -> Option<RerootKey> {
        self.c.reroot_key(obj.handle())
    }

    /// A root to the object `key` names, while it is still allocated
    /// ([`Strategy::reroot`]).
    pub fn reroot(&mut self, key: RerootKey) -> Result<Option<Root>, GcError> {
        match self.c.reroot(key) {
            Some(h) => Ok(Some(self.wrap(h)?)),
            None => Ok(None),
        }
    }

    /// Whether the collector keeps `gc.garbage`.
    pub fn keeps_garbage(&self) -> bool {
        C::KEEPS_GARBAGE
    }

    /// `gc.garbage.append(obj)`.
    pub fn garbage_append(&mut self, obj: &Root) -> Result<(), GcError> {
        self.c.garbage_append(obj.handle())
    }

    /// `len(gc.garbage)`.
    pub fn garbage_len(&mut self) -> Result<usize, GcError> {
        Ok(self.c.root_list(RootList::Garbage)?.len())
    }

    /// The identities of the live objects, sorted.
    pub fn live_ids(&self) -> Result<Vec<ObjectId>, GcError> {
        self.c.live_set()
    }

    /// Live objects: (all, containers and atoms when known).
    pub fn live(&mut self) -> Result<(u64, Option<(u64, u64)>), GcError> {
        self.flush()?;
        Ok((self.c.stats().live_objects, self.c.live_by_kind()))
    }

    /// The collector's running totals.
    pub fn stats(&self) -> gc_core::Stats {
        self.c.stats()
    }

    /// Whether the strategy has reference counts.
    pub fn has_refcounts(&self) -> bool {
        C::TRAITS.reference_counting
    }

    /// Whether `gc.collect()` returns a count (CPython) or `None` (PyPy).
    pub fn collect_returns_count(&self) -> bool {
        C::COLLECT_RETURNS_COUNT
    }
}
