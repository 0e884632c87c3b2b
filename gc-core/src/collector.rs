//! The [`Collector`] trait every strategy implements, and what it is made of.

use crate::embed::{EmbedState, LocalStack, LocalsKey, LocalsMut, ObjectView};
use crate::{Event, Finalizer, GcError, Handle, Kind, ObjectId, Shape, Stats, WeakHandle, WeakId};

/// What a strategy is, declared once as [`Collector::TRAITS`]. The
/// conformance suite, the harness and the README's table read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traits {
    /// The name used on the command line and in reports.
    pub name: &'static str,
    /// One line: the algorithm.
    pub summary: &'static str,
    /// Frees memory at all (false only for the null collector).
    pub frees_objects: bool,
    /// Reclaims unreachable cycles.
    pub collects_cycles: bool,
    /// Moves objects (handles stay valid; addresses do not).
    pub moves_objects: bool,
    /// Needs a write barrier on slot writes.
    pub write_barrier: bool,
    /// Splits a collection into bounded steps.
    pub incremental: bool,
    /// Collects young objects apart from old ones.
    pub generational: bool,
    /// Frees objects the moment their count reaches zero.
    pub reference_counting: bool,
    /// Finalizers may leave the object's memory to a later collection
    /// (PyPy frees finalized objects only at the next major collection).
    pub frees_finalized_later: bool,
}

/// A CPython-style generation number: 0, 1 or 2. `2` is a full collection
/// in every strategy; a collector with other generations maps `0` to its
/// youngest and `1` to what lies between (its youngest when nothing does).
///
/// Serialized as its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Generation(u8);

impl Generation {
    /// The youngest generation.
    pub const YOUNGEST: Generation = Generation(0);
    /// The middle generation.
    pub const MIDDLE: Generation = Generation(1);
    /// Everything: a full collection.
    pub const FULL: Generation = Generation(2);

    /// Checks `n` is 0, 1 or 2.
    pub fn new(n: u64) -> Result<Self, GcError> {
        match n {
            0..=2 => Ok(Generation(n as u8)),
            _ => Err(GcError::InvalidGeneration(n)),
        }
    }

    /// The three, youngest first (`ALL[g.index()] == g`).
    pub const ALL: [Generation; 3] = [Self::YOUNGEST, Self::MIDDLE, Self::FULL];

    /// The number.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The number, to index per-generation tables.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The CPython-style controls of gctrace's `gc …` operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// `gc.set_threshold(t0[, t1[, t2]])`.
    Threshold(u64, Option<u64>, Option<u64>),
    /// `gc.enable()`.
    Enable,
    /// `gc.disable()`.
    Disable,
    /// `gc.freeze()`.
    Freeze,
    /// `gc.unfreeze()`.
    Unfreeze,
    /// `gc.set_debug(gc.DEBUG_SAVEALL)`.
    DebugSaveAll,
    /// `gc.set_debug(0)`.
    DebugOff,
    /// `gc.garbage.clear()`.
    GarbageClear,
}

/// Whether a collector has a counterpart for a [`Control`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlOutcome {
    /// The control took effect.
    Applied,
    /// The collector has no counterpart; nothing changed.
    Ignored,
}

/// One of the collector-held root lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootList {
    /// Objects resurrected by [`Finalizer::Resurrect`].
    Saved,
    /// CPython's `gc.garbage` (filled under `DEBUG_SAVEALL`).
    Garbage,
}

/// A typed configuration that can also be set from `KEY=VALUE` strings.
pub trait Config: Default + Clone + std::fmt::Debug {
    /// The keys this configuration takes, each with a one-line description.
    const KEYS: &'static [(&'static str, &'static str)];

    /// Sets one key from its string form.
    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError>;

    /// Does [`Config::set`] take `key`: one of [`Config::KEYS`], or an
    /// alias of one (marksweep's `PYPY_GC_*` names)? A driver that hands
    /// one list of settings to several collectors asks this to give each
    /// only its own.
    fn takes(key: &str) -> bool {
        Self::KEYS.iter().any(|(name, _)| *name == key)
    }
}

/// One `KEY=VALUE` setting as [`CollectorExt::from_pairs`] takes it: a
/// pair of strings (`&str` or `String`), or a reference to one, so that a
/// slice, an array and a `Vec` of pairs all serve.
pub trait Setting {
    /// The key.
    fn key(&self) -> &str;
    /// Its value.
    fn value(&self) -> &str;
}

impl<K: AsRef<str>, V: AsRef<str>> Setting for (K, V) {
    fn key(&self) -> &str {
        self.0.as_ref()
    }
    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

impl<S: Setting> Setting for &S {
    fn key(&self) -> &str {
        (**self).key()
    }
    fn value(&self) -> &str {
        (**self).value()
    }
}

/// The configuration of a collector that takes none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoConfig;

impl Config for NoConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &[];

    fn set(&mut self, key: &str, _value: &str) -> Result<(), GcError> {
        Err(GcError::Config(format!(
            "unknown key `{key}`: this collector takes no configuration"
        )))
    }
}

/// A garbage-collection strategy behind one interface.
///
/// The mutator holds [`Handle`]s (roots) and [`WeakHandle`]s, never
/// addresses, so a strategy may move objects at any allocation or
/// collection. Every reference copy, slot write and release goes through the
/// strategy, so counts and barriers are never bypassed. Every method checks
/// its handles: a stale or foreign one is an error, never undefined
/// behaviour.
///
/// Code that should run at full speed is generic over `C: Collector` (the
/// harness monomorphises over each strategy); conveniences live in
/// [`CollectorExt`].
pub trait Collector: Sized + Send {
    /// What this strategy is.
    const TRAITS: Traits;
    /// Its typed configuration.
    type Config: Config;
    /// A borrowed view of one object: reads without roots.
    type View<'a>: ObjectView<'a>
    where
        Self: 'a;

    /// What this heap is: [`Collector::TRAITS`], except for a collector
    /// chosen at run time, which answers for the strategy it holds.
    fn traits(&self) -> Traits {
        Self::TRAITS
    }

    /// A heap with this configuration.
    fn with_config(config: Self::Config) -> Result<Self, GcError>;

    /// Allocates a node or an atom and returns a root to it. May collect
    /// first (the mutator's other roots stay valid).
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError>;
    /// Allocates a tuple of the given members (`None` is nil).
    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError>;
    /// A second root to the same object.
    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError>;
    /// Drops a root; the handle becomes stale.
    fn release(&mut self, handle: Handle) -> Result<(), GcError>;

    /// A new root to what slot `index` of a node or tuple holds.
    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError>;
    /// Writes slot `index` of a node (through the strategy's barrier).
    fn set_slot(
        &mut self,
        object: Handle,
        index: usize,
        value: Option<Handle>,
    ) -> Result<(), GcError>;

    /// Changes a node's number of slots in place, as CPython's
    /// `list_resize` grows a list's item array: the object keeps its
    /// identity, its payload and every handle to it; the slots it keeps
    /// keep their values, new slots are nil, and the references in slots
    /// past the new count are dropped (as by `set_slot(.., None)`). Not an
    /// allocation for a strategy's collection counters (CPython's
    /// generation-0 count does not move either), but it counts against the
    /// heap limit. Tuples and atoms are [`GcError::Immutable`]. A strategy
    /// whose objects cannot change size where they are (marksweep: objects
    /// sit end to end in the nursery and in size-class pages) returns
    /// [`GcError::Unsupported`]: the embedder then keeps a second object
    /// for the items, as PyPy's lists do.
    fn resize(&mut self, object: Handle, slots: usize) -> Result<(), GcError>;

    /// A view of the object, to read it (its kind, identity, slots and
    /// payload, and what it refers to) without making roots; valid while
    /// the heap is borrowed.
    fn view(&self, object: Handle) -> Result<Self::View<'_>, GcError>;
    /// The object's payload, to write.
    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError>;

    /// Gives the object a finalizer (it runs at most once per object).
    fn set_finalizer(&mut self, object: Handle, finalizer: Finalizer) -> Result<(), GcError>;
    /// Sets the order in which the node's slots are dropped, cleared and
    /// traversed ([`SlotOrder`](crate::SlotOrder)). The reference-counting
    /// strategies keep it, since their events follow CPython's order; a
    /// strategy with no such order checks the handle and does nothing. Not
    /// a node: [`GcError::Immutable`].
    fn set_slot_order(&mut self, object: Handle, order: crate::SlotOrder) -> Result<(), GcError> {
        let _ = order;
        match self.kind(object)? {
            crate::Kind::Node => Ok(()),
            kind => Err(GcError::Immutable(kind)),
        }
    }
    /// A weak reference to the object; with `callback`, its death is
    /// reported as [`Event::WeakCallback`] while the weak reference lives.
    fn weak(&mut self, object: Handle, callback: bool) -> Result<WeakHandle, GcError>;
    /// A root to the referent, or `None` once it is dead.
    fn upgrade(&mut self, weak: WeakHandle) -> Result<Option<Handle>, GcError>;
    /// Drops a weak reference.
    fn release_weak(&mut self, weak: WeakHandle) -> Result<(), GcError>;

    /// Empties the saved list, returning a root for each object in it.
    fn take_saved(&mut self) -> Vec<Handle>;
    /// Collects `generation` (2: everything) and returns what the
    /// collection's [`CollectEvent`](crate::CollectEvent) reports as
    /// `collected`, which each strategy counts as the runtime it models:
    ///
    /// | strategy | returns |
    /// | --- | --- |
    /// | `null`, `refcount` | 0: nothing is ever found (reference counting freed what it could already) |
    /// | `generational` | CPython's `gc.collect()`: the unreachable containers found (atoms are untracked, so not counted), including those a finalizer resurrected or `gc.garbage` kept |
    /// | `marksweep` | the objects the collection freed, atoms included; an object with a finalizer is freed (and counted) by a later full collection, after its finalizer ran |
    ///
    /// To compare strategies, read [`Stats`]'s `freed` and `live_objects`
    /// instead.
    fn collect(&mut self, generation: Generation) -> Result<u64, GcError>;
    /// Applies a CPython-style control.
    fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError>;

    /// Running totals.
    fn stats(&self) -> Stats;
    /// Turns event recording on or off. Off by default: a heap whose events
    /// nobody drains keeps none.
    fn record_events(&mut self, on: bool);
    /// Moves the events recorded since the last call into `out`.
    /// [`GcError::OutOfMemory`] when the system refused the memory to
    /// record some of them (those since the last call are then dropped,
    /// never handed out with a gap; recording goes on), or to grow `out`
    /// (nothing moves). See [`EventLog`](crate::EventLog).
    fn drain_events(&mut self, out: &mut Vec<Event>) -> Result<(), GcError>;
    /// Roots held through handles: the embedder's, plus those the embedding
    /// layer holds itself (see [`Embedding::outstanding_roots`](crate::Embedding::outstanding_roots)).
    fn root_count(&self) -> usize;
    /// Installs the finalizer hook: every object given [`Finalizer::Run`]
    /// is passed to `hook` when the strategy finalizes it (see
    /// [`Finalize`](crate::Finalize)). A collector that holds another
    /// (chosen at run time) hands the hook to the one it holds.
    fn on_finalize<F: crate::Finalize>(&mut self, hook: F) {
        self.embed_state()
            .set_hook(Some(crate::embed::hook_for(hook)));
    }
    /// Removes the finalizer hook ([`Finalizer::Run`] then acts as
    /// [`Finalizer::Notify`]).
    fn clear_on_finalize(&mut self) {
        self.embed_state().set_hook(None);
    }
    /// Is a finalizer hook installed (so that a release may run embedder
    /// code)?
    fn has_finalize_hook(&self) -> bool {
        self.embed_state_ref().has_hook()
    }
    /// Objects whose finalizer is due but waits for the hook (it was
    /// busy, or the state an
    /// [`on_finalize_with`](crate::Embedding::on_finalize_with) hook needs
    /// was not lent): each runs at the next operation that can run it, or
    /// at [`Embedding::flush`](crate::Embedding::flush). A heap dropped
    /// with some never runs them (debug builds warn, as for leaked roots).
    fn waiting_finalizers(&self) -> usize {
        self.embed_state_ref().internal_roots()
    }
    /// Does this heap call the finalizer hook kept in its own
    /// [`EmbedState`]? Every strategy does. A layer that forwards every
    /// call to a strategy it holds (`gc_any::AnyCollector`) does not: the
    /// strategy calls its own, so a hook typed for the layer's scopes
    /// ([`Embedding::on_finalize_with`](crate::Embedding::on_finalize_with))
    /// would never run, and is refused.
    const CALLS_OWN_HOOK: bool = true;
    /// The embedding layer's state in this heap (scopes' locals, dropped
    /// roots, the finalizer hook). For the embedding layer and strategies.
    fn embed_state(&mut self) -> &mut EmbedState<Self>;
    /// The same, to read.
    fn embed_state_ref(&self) -> &EmbedState<Self>;

    /// The local stack of the embedding layer's scopes (only that layer
    /// makes a [`LocalsKey`]). By default the one in the
    /// [`EmbedState`], which holds roots of the heap's table; a strategy
    /// that scans its scopes' locals itself keeps its own
    /// ([`LocalStack::scanned`]) where no other code reaches it, and
    /// overrides the `*_local` methods to push objects on it.
    ///
    /// A `*_local` method pushes its local on the stack the heap held when
    /// it was called, or pushes nothing: when code it runs before the push
    /// (a finalizer hook, a callback) swapped heaps (`Scope::heap` lends
    /// `&mut Self`), it answers [`GcError::ForeignHandle`], since the scope
    /// that asked names the place as one of its own stack's.
    #[inline]
    fn local_stack(&mut self, key: LocalsKey) -> LocalsMut<'_> {
        self.embed_state().default_locals(key)
    }
    /// The same, to read.
    #[inline]
    fn local_stack_ref(&self, key: LocalsKey) -> &LocalStack {
        self.embed_state_ref().default_locals_ref(key)
    }
    /// [`Collector::alloc`], the object made a local on
    /// [`Collector::local_stack`]: its place there. By default the root
    /// `alloc` returns, pushed.
    #[inline(always)]
    fn alloc_local(&mut self, shape: Shape, key: LocalsKey) -> Result<usize, GcError> {
        let stack = self.local_stack_ref(key).stamp();
        let h = self.alloc(shape)?;
        crate::embed::push_root_on(self, stack, h, key)
    }
    /// [`Collector::alloc_tuple`], the tuple made a local (as
    /// [`Collector::alloc_local`]).
    #[inline(always)]
    fn alloc_tuple_local(
        &mut self,
        members: &[Option<Handle>],
        key: LocalsKey,
    ) -> Result<usize, GcError> {
        let stack = self.local_stack_ref(key).stamp();
        let h = self.alloc_tuple(members)?;
        crate::embed::push_root_on(self, stack, h, key)
    }
    /// [`Collector::alloc_tuple_local`] of two members given as places
    /// on [`Collector::local_stack`] (a tree node, a cons cell: the
    /// embedding layer's commonest tuple). By default their handles, to
    /// `alloc_tuple_local`.
    #[inline]
    fn alloc_pair_local(
        &mut self,
        members: [Option<usize>; 2],
        key: LocalsKey,
    ) -> Result<usize, GcError> {
        let stack = self.local_stack_ref(key);
        let mut handles = [None; 2];
        for (h, m) in handles.iter_mut().zip(members) {
            *h = m
                .map(|p| stack.handle_at(p).unwrap_or(Err(GcError::StaleHandle)))
                .transpose()?;
        }
        self.alloc_tuple_local(&handles, key)
    }
    /// A tuple of the `n` locals at the top of
    /// [`Collector::local_stack`] (all the asking scope's), which takes
    /// them over: they are popped, and the tuple, pushed in their place,
    /// holds the references they held (a reference-counting heap moves
    /// their counts into it). Its place; `Ok(None)` when the heap does not
    /// offer it, or not for these locals, nothing changed (the default:
    /// the embedding layer then makes the tuple of their handles and
    /// releases them).
    #[inline]
    fn alloc_tuple_taking_locals(
        &mut self,
        n: usize,
        key: LocalsKey,
    ) -> Result<Option<usize>, GcError> {
        let _ = (n, key);
        Ok(None)
    }
    /// Drops the count a popped local held ([`Held::Counted`](crate::embed::Held::Counted): only a
    /// reference-counting heap's stack holds one, and that heap overrides
    /// this), freeing the object when it was the last. By default nothing.
    #[inline]
    fn drop_counted_local(&mut self, index: u32, key: LocalsKey) {
        let _ = (index, key);
    }
    /// [`Collector::slot`], the referent made a local (as
    /// [`Collector::alloc_local`]).
    #[inline(always)]
    fn slot_local(
        &mut self,
        object: Handle,
        index: usize,
        key: LocalsKey,
    ) -> Result<Option<usize>, GcError> {
        let stack = self.local_stack_ref(key).stamp();
        self.slot(object, index)?
            .map(|h| crate::embed::push_root_on(self, stack, h, key))
            .transpose()
    }
}

/// What only a checker asks of a heap: its whole live set, its root lists,
/// the identities that events carry. The oracle, the conformance suite,
/// the replayer (which names weak references in its records) and the
/// harness's verification use it; a mutator needs only [`Collector`].
/// Every strategy implements it. Slow answers are fine here; the lists
/// are built fallibly: memory the system refuses is
/// [`GcError::OutOfMemory`], the heap unchanged.
pub trait Inspect: Collector {
    /// The weak reference's identity (what [`Event::WeakCallback`] names).
    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError>;
    /// Every object allocated and not yet freed (for verification; slow).
    fn live_objects(&self) -> Result<Vec<ObjectId>, GcError>;
    /// The objects on a collector-held root list (for verification).
    fn root_list(&self, list: RootList) -> Result<Vec<ObjectId>, GcError>;

    /// The live objects in ascending order (each once: a sorted set).
    fn live_set(&self) -> Result<Vec<ObjectId>, GcError> {
        let mut live = self.live_objects()?;
        live.sort_unstable();
        Ok(live)
    }
}

/// Conveniences over [`Collector`], for every collector.
pub trait CollectorExt: Collector {
    /// The object's kind.
    fn kind(&self, object: Handle) -> Result<Kind, GcError> {
        Ok(self.view(object)?.kind())
    }
    /// The object's number of slots.
    fn slot_count(&self, object: Handle) -> Result<usize, GcError> {
        Ok(self.view(object)?.slot_count())
    }
    /// The object's payload.
    fn payload(&self, object: Handle) -> Result<&[u8], GcError> {
        Ok(self.view(object)?.payload())
    }
    /// The object's identity.
    fn object_id(&self, object: Handle) -> Result<ObjectId, GcError> {
        Ok(self.view(object)?.id())
    }
    /// Allocates a node.
    fn alloc_node(&mut self, slots: usize, payload: usize) -> Result<Handle, GcError> {
        self.alloc(Shape::Node { slots, payload })
    }
    /// Allocates an atom.
    fn alloc_atom(&mut self, payload: usize) -> Result<Handle, GcError> {
        self.alloc(Shape::Atom { payload })
    }
    /// A heap with the default configuration.
    fn new_default() -> Result<Self, GcError> {
        Self::with_config(Self::Config::default())
    }
    /// A heap configured from `KEY=VALUE` pairs ([`Setting`]s): `&str`
    /// or `String` pairs, in a slice, an array or a `Vec`, by value or by
    /// reference.
    ///
    /// ```
    /// use gc_core::{CollectorExt, NullCollector};
    ///
    /// let from_args: Vec<(String, String)> = vec![("max_heap".into(), "1MB".into())];
    /// NullCollector::from_pairs(&from_args)?;
    /// NullCollector::from_pairs(&[("max_heap", "1MB")])?;
    /// NullCollector::from_pairs([("max_heap", "1MB")])?;
    /// # Ok::<(), gc_core::GcError>(())
    /// ```
    fn from_pairs(pairs: impl IntoIterator<Item = impl Setting>) -> Result<Self, GcError> {
        let mut config = Self::Config::default();
        for pair in pairs {
            config.set(pair.key(), pair.value())?;
        }
        Self::with_config(config)
    }
    /// Empties the saved list and drops what it held.
    fn unsave(&mut self) -> Result<(), GcError> {
        for h in self.take_saved() {
            self.release(h)?;
        }
        Ok(())
    }
    /// Full collection.
    fn collect_full(&mut self) -> Result<u64, GcError> {
        self.collect(Generation::FULL)
    }
    /// Same object?
    fn same_object(&self, a: Handle, b: Handle) -> Result<bool, GcError> {
        Ok(self.object_id(a)? == self.object_id(b)?)
    }
}

impl<C: Collector> CollectorExt for C {}
