//! Every call into the collector, in one module.
//!
//! The rest of the interpreter holds [`Root`]s (a root handle that is
//! released when it is dropped) and [`Weak`]s, and reaches the heap only
//! through [`Heap`], whose methods mirror the planned `gc_core::embed`
//! scope API (`node`, `atom`, `tuple`, `get`, `set`, `kind`/`payload`
//! views, `weak`/`upgrade`, `set_finalizer`, `collect`, `control`), so
//! moving onto it touches this file only.
//!
//! Dropping a [`Root`] does not call the collector (a `Drop` cannot reach
//! the heap): the handle goes on a release queue that [`Heap::flush`]
//! empties. Every operation that allocates, collects or reads a count
//! flushes first, so reference counts are exact whenever the program can
//! observe them.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use gc_core::{
    Collector, Control, ControlOutcome, Event, Finalizer, GcError, Generation, Handle, Kind,
    ObjectId, RootList, Shape, WeakHandle, WeakId,
};
use gc_generational::{GcModule, Generational};
use gc_marksweep::IncMiniMark;
use gc_refcount::RefCount;

type Queue = Rc<RefCell<Vec<Handle>>>;

/// A root: one strong reference held by the interpreter (a local variable,
/// a value on the evaluation stack). Not `Clone`: a second reference is
/// [`Heap::dup`], so the collector counts it, as CPython's `Py_INCREF`.
pub struct Root {
    handle: Handle,
    queue: Queue,
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root({:?})", self.handle)
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        if let Ok(mut q) = self.queue.try_borrow_mut() {
            q.push(self.handle);
        }
    }
}

/// A weak reference held by the interpreter (released with
/// [`Heap::release_weak`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weak(WeakHandle);

/// What the `gc` and `sys` modules need beyond [`Collector`]: the answers
/// only one strategy has. Implemented for the three strategies.
pub trait Strategy: Collector {
    /// PyPy's `gc.collect()` returns `None`; CPython's the count.
    const COLLECT_RETURNS_COUNT: bool;
    /// The object's reference count, or `None` if the strategy has none.
    fn refcount(&self, h: Handle) -> Option<u64>;
    /// `gc.get_count()`.
    fn get_count(&mut self) -> Option<(u64, u64, u64)>;
    /// `gc.get_threshold()`.
    fn get_threshold(&mut self) -> Option<(u64, u64, u64)>;
    /// `gc.is_tracked(obj)`.
    fn is_tracked(&mut self, h: Handle) -> Result<bool, GcError>;
    /// `gc.get_freeze_count()`.
    fn get_freeze_count(&mut self) -> u64;
    /// Live objects that are containers (nodes and tuples) and atoms,
    /// when the strategy can tell (for the leak report).
    fn live_by_kind(&self) -> Option<(u64, u64)>;
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
    fn get_threshold(&mut self) -> Option<(u64, u64, u64)> {
        Some(self.gc().get_threshold())
    }
    fn is_tracked(&mut self, h: Handle) -> Result<bool, GcError> {
        self.gc().is_tracked(h)
    }
    fn get_freeze_count(&mut self) -> u64 {
        self.gc().get_freeze_count()
    }
    fn live_by_kind(&self) -> Option<(u64, u64)> {
        Some(rc_live(self))
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
    fn get_threshold(&mut self) -> Option<(u64, u64, u64)> {
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

impl Strategy for IncMiniMark {
    const COLLECT_RETURNS_COUNT: bool = false;
    fn refcount(&self, _h: Handle) -> Option<u64> {
        None
    }
    fn get_count(&mut self) -> Option<(u64, u64, u64)> {
        None
    }
    fn get_threshold(&mut self) -> Option<(u64, u64, u64)> {
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

/// The heap of one interpreter: the collector and the release queue.
#[derive(Debug)]
pub struct Heap<C: Strategy> {
    c: C,
    queue: Queue,
    spare: Vec<Handle>,
    events: Vec<Event>,
}

/// What [`Heap::drain`] found since the last call.
#[derive(Debug, Default)]
pub struct Drained {
    /// Objects whose finalizer chose them: run `__del__`, then drop.
    pub saved: Vec<Root>,
    /// Objects whose (notify-only) finalizer ran.
    pub finalized: Vec<ObjectId>,
    /// Weak references whose referent died (with a callback).
    pub weak_callbacks: Vec<WeakId>,
}

impl<C: Strategy> Heap<C> {
    /// A heap configured from `KEY=VALUE` pairs.
    pub fn new(pairs: &[(String, String)]) -> Result<Self, String> {
        let mut config = C::Config::default();
        for (k, v) in pairs {
            gc_core::Config::set(&mut config, k, v)
                .map_err(|e| format!("collector `{}`: {e}", C::TRAITS.name))?;
        }
        let c = C::with_config(config).map_err(|e| e.to_string())?;
        Ok(Heap {
            c,
            queue: Rc::new(RefCell::new(Vec::new())),
            spare: Vec::new(),
            events: Vec::new(),
        })
    }

    /// The strategy's name.
    pub fn name(&self) -> &'static str {
        C::TRAITS.name
    }

    fn wrap(&self, handle: Handle) -> Root {
        Root {
            handle,
            queue: self.queue.clone(),
        }
    }

    /// Releases every dropped root (this is when reference counting frees).
    pub fn flush(&mut self) -> Result<(), GcError> {
        loop {
            std::mem::swap(&mut *self.queue.borrow_mut(), &mut self.spare);
            if self.spare.is_empty() {
                return Ok(());
            }
            for h in self.spare.drain(..) {
                self.c.release(h)?;
            }
        }
    }

    /// `scope.node(slots, payload)`.
    pub fn node(&mut self, slots: usize, payload: &[u8]) -> Result<Root, GcError> {
        self.flush()?;
        let h = self.c.alloc(Shape::Node {
            slots,
            payload: payload.len(),
        })?;
        if !payload.is_empty() {
            self.c.payload_mut(h)?.copy_from_slice(payload);
        }
        Ok(self.wrap(h))
    }

    /// `scope.atom(bytes)`.
    pub fn atom(&mut self, payload: &[u8]) -> Result<Root, GcError> {
        self.flush()?;
        let h = self.c.alloc(Shape::Atom {
            payload: payload.len(),
        })?;
        self.c.payload_mut(h)?.copy_from_slice(payload);
        Ok(self.wrap(h))
    }

    /// `scope.tuple(members)`.
    pub fn tuple(&mut self, members: &[Option<&Root>]) -> Result<Root, GcError> {
        self.flush()?;
        let hs: Vec<Option<Handle>> = members.iter().map(|m| m.map(|r| r.handle)).collect();
        let h = self.c.alloc_tuple(&hs)?;
        Ok(self.wrap(h))
    }

    /// A second root to the same object.
    pub fn dup(&mut self, r: &Root) -> Result<Root, GcError> {
        let h = self.c.clone_handle(r.handle)?;
        Ok(self.wrap(h))
    }

    /// `scope.get(obj, i)`: a root to what slot `i` holds.
    pub fn get(&mut self, obj: &Root, i: usize) -> Result<Option<Root>, GcError> {
        Ok(self.c.slot(obj.handle, i)?.map(|h| self.wrap(h)))
    }

    /// `scope.set(obj, i, value)`.
    pub fn set(&mut self, obj: &Root, i: usize, v: Option<&Root>) -> Result<(), GcError> {
        self.c.set_slot(obj.handle, i, v.map(|r| r.handle))
    }

    /// `view(obj).kind()`.
    pub fn kind(&self, obj: &Root) -> Result<Kind, GcError> {
        self.c.kind(obj.handle)
    }

    /// `view(obj).id()`.
    pub fn id(&self, obj: &Root) -> Result<ObjectId, GcError> {
        self.c.object_id(obj.handle)
    }

    /// `view(obj).slot_count()`.
    pub fn slot_count(&self, obj: &Root) -> Result<usize, GcError> {
        self.c.slot_count(obj.handle)
    }

    /// `view(obj).payload()`.
    pub fn payload(&self, obj: &Root) -> Result<&[u8], GcError> {
        self.c.payload(obj.handle)
    }

    /// `scope.payload_mut(obj)`.
    pub fn payload_mut(&mut self, obj: &Root) -> Result<&mut [u8], GcError> {
        self.c.payload_mut(obj.handle)
    }

    /// `view(a).same(b)`.
    pub fn same(&self, a: &Root, b: &Root) -> Result<bool, GcError> {
        Ok(a.handle == b.handle || self.c.object_id(a.handle)? == self.c.object_id(b.handle)?)
    }

    /// `scope.set_finalizer(obj, …)`: the object's `__del__` will run on it
    /// (once).
    pub fn set_finalizer(&mut self, obj: &Root, resurrect: bool) -> Result<(), GcError> {
        let f = if resurrect {
            Finalizer::Resurrect
        } else {
            Finalizer::Notify
        };
        self.c.set_finalizer(obj.handle, f)
    }

    /// `scope.weak(obj, callback)`.
    pub fn weak(&mut self, obj: &Root, callback: bool) -> Result<(Weak, WeakId), GcError> {
        let w = self.c.weak(obj.handle, callback)?;
        let id = self.c.weak_id(w)?;
        Ok((Weak(w), id))
    }

    /// `scope.upgrade(&weak)`.
    pub fn upgrade(&mut self, w: Weak) -> Result<Option<Root>, GcError> {
        self.flush()?;
        Ok(self.c.upgrade(w.0)?.map(|h| self.wrap(h)))
    }

    /// Drops a weak reference.
    pub fn release_weak(&mut self, w: Weak) -> Result<(), GcError> {
        self.c.release_weak(w.0)
    }

    /// `scope.collect(gen)`.
    pub fn collect(&mut self, generation: u64) -> Result<u64, GcError> {
        self.flush()?;
        self.c.collect(Generation::new(generation)?)
    }

    /// `scope.control(control)`.
    pub fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError> {
        self.flush()?;
        self.c.control(control)
    }

    /// Flushes, then takes what the collector reported: the saved list
    /// (objects to finalize) and the events.
    pub fn drain(&mut self) -> Result<Drained, GcError> {
        self.flush()?;
        let mut out = Drained::default();
        for h in self.c.take_saved() {
            out.saved.push(self.wrap(h));
        }
        self.c.drain_events(&mut self.events);
        for e in self.events.drain(..) {
            match e {
                Event::Finalize { object } => out.finalized.push(object),
                Event::WeakCallback { weak, .. } => out.weak_callbacks.push(weak),
                _ => {}
            }
        }
        Ok(out)
    }

    /// `sys.getrefcount(obj)` without the argument's own reference
    /// (the caller adds what CPython's call adds).
    pub fn refcount(&mut self, obj: &Root) -> Result<Option<u64>, GcError> {
        self.flush()?;
        Ok(self.c.refcount(obj.handle))
    }

    /// `gc.get_count()`.
    pub fn get_count(&mut self) -> Result<Option<(u64, u64, u64)>, GcError> {
        self.flush()?;
        Ok(self.c.get_count())
    }

    /// `gc.get_threshold()`.
    pub fn get_threshold(&mut self) -> Option<(u64, u64, u64)> {
        self.c.get_threshold()
    }

    /// `gc.is_tracked(obj)`.
    pub fn is_tracked(&mut self, obj: &Root) -> Result<bool, GcError> {
        self.c.is_tracked(obj.handle)
    }

    /// `gc.get_freeze_count()`.
    pub fn get_freeze_count(&mut self) -> u64 {
        self.c.get_freeze_count()
    }

    /// `len(gc.garbage)`.
    pub fn garbage_len(&mut self) -> usize {
        self.c.root_list(RootList::Garbage).len()
    }

    /// Live objects: (all, containers and atoms when known).
    pub fn live(&mut self) -> Result<(u64, Option<(u64, u64)>), GcError> {
        self.flush()?;
        Ok((self.c.stats().live_objects, self.c.live_by_kind()))
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
