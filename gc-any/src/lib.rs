//! # gc-any — a strategy chosen at run time
//!
//! Every strategy of the workbench is its own type, and code that should
//! run at full speed is generic over [`Collector`]. A program that lets its
//! user pick the strategy (a command-line flag, a configuration file)
//! needs one of two things, both here:
//!
//! - [`AnyCollector`]: one type that holds any strategy chosen by name and
//!   forwards every call to it (a `match` per call). Write the runtime once
//!   against it, or generic over `C: Collector` and instantiate it with
//!   `AnyCollector`.
//! - [`dispatch`]: turns a name into a *type* once, at the edge, and runs
//!   generic code monomorphised for that strategy (what `gc-bench` does: no
//!   `match` on the hot path).
//!
//! ```
//! use gc_any::AnyCollector;
//! use gc_core::{Embedding, ObjectView};
//!
//! let mut heap = AnyCollector::from_name("marksweep", &[("nursery", "1MB")])?;
//! assert_eq!(heap.strategy().name(), "marksweep");
//! let total = heap.scope(|s| {
//!     let list = s.node(2, 0)?;
//!     for i in 0..2 {
//!         let item = s.atom(&(i as u64 + 40).to_le_bytes())?;
//!         s.set(list, i, Some(item))?;
//!     }
//!     let view = s.view(list)?;
//!     let mut total = 0;
//!     for i in 0..2 {
//!         total += view.slot(i)?.expect("set above").payload_as::<u64>()?;
//!     }
//!     Ok::<_, gc_core::GcError>(total)
//! })?;
//! assert_eq!(total, 81);
//!
//! // No settings: `from_name_default` (a bare `&[]` would need its type);
//! // pairs read from a command line pass as `&Vec<(String, String)>`.
//! assert_eq!(AnyCollector::from_name_default("refcount")?.strategy().name(), "refcount");
//! let pairs = vec![("threshold0".to_string(), "100".to_string())];
//! assert!(AnyCollector::from_name("generational", &pairs).is_ok());
//! # Ok::<(), gc_core::GcError>(())
//! ```
//!
//! A finalizer hook on an `AnyCollector` is a generic
//! [`Finalize`] installed with
//! [`Collector::on_finalize`], which hands it to the strategy held;
//! [`Embedding::on_finalize_with`](gc_core::Embedding::on_finalize_with)
//! takes a concrete strategy's scope, which the strategy held would never
//! call, so it is refused here (`GcError::Unsupported`): run the runtime
//! through [`dispatch`] to keep it (its finalizers then wait for the
//! state to be lent), or reach the state from a `Finalize` hook with
//! `with_lent` (see its docs).
//!
//! ## What the indirection costs
//!
//! Every call through `AnyCollector` is a `match` on the strategy (one
//! predictable branch); views are an enum too, so a walk pays it per slot.
//! `cargo run --release -p gc-any --example tree_costs` measures binary
//! trees through `AnyCollector` beside the same generic code on the
//! concrete type: about 1.0–1.2× on building, 2–2.4× on walks through views
//! (the README's performance section has the tables). Code that
//! walks a lot should use [`dispatch`] and run monomorphised.

#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

use gc_core::embed::{EmbedState, LocalStack, LocalsKey, LocalsMut};
use gc_core::{
    Collector, Config, Control, ControlOutcome, Event, Finalize, Finalizer, GcError, Generation,
    Handle, Inspect, Kind, NullCollector, ObjectId, ObjectView, RootList, Shape, Stats, Traits,
    WeakHandle, WeakId,
};
use gc_generational::Generational;
use gc_marksweep::IncMiniMark;
use gc_refcount::RefCount;

/// The strategies, by their command-line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Strategy {
    /// Allocates, never frees: the baseline.
    Null,
    /// Pure reference counting.
    Refcount,
    /// Reference counting plus CPython's generational cycle collector.
    Generational,
    /// PyPy's incminimark: nursery, minor collections, incremental major.
    Marksweep,
}

impl Strategy {
    /// Every strategy, in report order (the baseline first).
    pub const ALL: [Strategy; 4] = [
        Strategy::Null,
        Strategy::Refcount,
        Strategy::Generational,
        Strategy::Marksweep,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Null => "null",
            Strategy::Refcount => "refcount",
            Strategy::Generational => "generational",
            Strategy::Marksweep => "marksweep",
        }
    }

    /// What the strategy is.
    pub fn traits(self) -> Traits {
        match self {
            Strategy::Null => NullCollector::TRAITS,
            Strategy::Refcount => RefCount::TRAITS,
            Strategy::Generational => Generational::TRAITS,
            Strategy::Marksweep => IncMiniMark::TRAITS,
        }
    }

    /// Does its configuration take `key` (a key of [`Strategy::keys`] or
    /// an alias of one, such as `PYPY_GC_NURSERY`)?
    pub fn takes(self, key: &str) -> bool {
        use gc_core::Config;
        match self {
            Strategy::Null => <NullCollector as Collector>::Config::takes(key),
            Strategy::Refcount => <RefCount as Collector>::Config::takes(key),
            Strategy::Generational => <Generational as Collector>::Config::takes(key),
            Strategy::Marksweep => <IncMiniMark as Collector>::Config::takes(key),
        }
    }

    /// The configuration keys it takes, each with a description.
    pub fn keys(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Strategy::Null => <NullCollector as Collector>::Config::KEYS,
            Strategy::Refcount => <RefCount as Collector>::Config::KEYS,
            Strategy::Generational => <Generational as Collector>::Config::KEYS,
            Strategy::Marksweep => <IncMiniMark as Collector>::Config::KEYS,
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Strategy {
    type Err = GcError;

    fn from_str(s: &str) -> Result<Self, GcError> {
        Strategy::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                GcError::Config(format!(
                    "unknown collector `{s}`: expected one of null, refcount, generational, marksweep"
                ))
            })
    }
}

/// A configuration of type `C` from `KEY=VALUE` pairs over the default;
/// errors name the collector.
pub fn configured<C: Collector>(
    pairs: &[(impl AsRef<str>, impl AsRef<str>)],
) -> Result<C::Config, GcError> {
    let mut config = C::Config::default();
    for (key, value) in pairs {
        config
            .set(key.as_ref(), value.as_ref())
            .map_err(|e| match e {
                // Named once: "bad configuration: collector `x`: …".
                GcError::Config(why) => {
                    GcError::Config(format!("collector `{}`: {why}", C::TRAITS.name))
                }
                other => other,
            })?;
    }
    Ok(config)
}

/// Work to do with a strategy type chosen at run time.
pub trait WithCollector {
    /// What the work produces.
    type Output;
    /// Runs the work with collector type `C` and its configuration (`C`
    /// can be inspected too, as every strategy can).
    fn run<C: Inspect>(self, config: C::Config) -> Self::Output;
}

/// Runs `work` with the strategy `strategy`, configured from `pairs`,
/// monomorphised for its type.
///
/// A runtime chosen by name whose finalizers run its own code, with its
/// own state (what [`AnyCollector`] refuses): the work builds the heap,
/// installs the hook with
/// [`on_finalize_with`](gc_core::Embedding::on_finalize_with), and
/// [lends](gc_core::embed::lend) the runtime around the operations that
/// may finalize.
///
/// ```
/// use gc_any::{Strategy, WithCollector, dispatch};
/// use gc_core::prelude::*;
/// use gc_core::{Inspect, embed::lend};
///
/// /// The embedder's runtime: what its finalizers write to.
/// struct Runtime {
///     log: Vec<String>,
/// }
///
/// struct Program;
///
/// impl WithCollector for Program {
///     type Output = Result<Vec<String>, GcError>;
///
///     fn run<C: Inspect>(self, config: C::Config) -> Self::Output {
///         let mut heap = C::with_config(config)?;
///         heap.on_finalize_with(|rt: &mut Runtime, s: &mut Scope<'_, C>, object| {
///             let value = s.view(object).and_then(|v| v.payload_as::<u64>());
///             rt.log.push(format!("finalized {}", value.unwrap_or(0)));
///         })?;
///         let mut rt = Runtime { log: Vec::new() };
///         lend(&mut rt, || {
///             heap.scope(|s| -> Result<(), GcError> {
///                 // A cycle with a finalizer: only a cycle collector frees it.
///                 let a = s.node(1, 8)?;
///                 s.set_payload_as(a, 7u64)?;
///                 s.set_finalizer(a, Finalizer::Run)?;
///                 s.set(a, 0, Some(a))
///             })?;
///             heap.collect(Generation::FULL)?;
///             heap.flush();
///             Ok::<_, GcError>(())
///         })?;
///         Ok(rt.log)
///     }
/// }
///
/// // Chosen at run time: `--collector generational`, say.
/// let log = dispatch(Strategy::Generational, &[("threshold0", "700")], Program)??;
/// assert_eq!(log, ["finalized 7"]);
/// // On reference counting the cycle stays: its finalizer never runs.
/// let log = dispatch(Strategy::Refcount, &[] as &[(&str, &str)], Program)??;
/// assert!(log.is_empty());
/// # Ok::<(), GcError>(())
/// ```
pub fn dispatch<W: WithCollector>(
    strategy: Strategy,
    pairs: &[(impl AsRef<str>, impl AsRef<str>)],
    work: W,
) -> Result<W::Output, GcError> {
    Ok(match strategy {
        Strategy::Null => work.run::<NullCollector>(configured::<NullCollector>(pairs)?),
        Strategy::Refcount => work.run::<RefCount>(configured::<RefCount>(pairs)?),
        Strategy::Generational => work.run::<Generational>(configured::<Generational>(pairs)?),
        Strategy::Marksweep => work.run::<IncMiniMark>(configured::<IncMiniMark>(pairs)?),
    })
}

/// Work to do once per strategy (benches, sweeps).
pub trait WithEachCollector {
    /// Runs the work with collector type `C` and its default configuration.
    fn run<C: Inspect>(&mut self, config: C::Config);
}

/// Runs `work` with every strategy, in report order (the baseline first).
pub fn for_each_collector(work: &mut impl WithEachCollector) {
    struct Once<'a, W>(&'a mut W);
    impl<W: WithEachCollector> WithCollector for Once<'_, W> {
        type Output = ();
        fn run<C: Inspect>(self, config: C::Config) {
            self.0.run::<C>(config);
        }
    }
    for strategy in Strategy::ALL {
        let none: &[(&str, &str)] = &[];
        // The default configuration of every strategy is valid.
        let _ = dispatch(strategy, none, Once(work));
    }
}

/// The configuration of an [`AnyCollector`]: the strategy (key
/// `collector`) and the strategy's own `KEY=VALUE` pairs, checked when the
/// heap is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnyConfig {
    /// The strategy; `generational` by default.
    pub strategy: Strategy,
    /// The strategy's settings.
    pub pairs: Vec<(String, String)>,
}

impl Default for AnyConfig {
    fn default() -> Self {
        AnyConfig {
            strategy: Strategy::Generational,
            pairs: Vec::new(),
        }
    }
}

impl Config for AnyConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &[(
        "collector",
        "the strategy: null, refcount, generational or marksweep; every other key is the strategy's own",
    )];

    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError> {
        if key == "collector" {
            self.strategy = value.parse()?;
        } else {
            self.pairs.push((key.to_owned(), value.to_owned()));
        }
        Ok(())
    }
}

/// Any strategy, chosen at run time. See the [crate docs](crate).
#[derive(Debug)]
pub struct AnyCollector {
    inner: Inner,
    /// This layer's own scopes; its dropped roots go to the release queue
    /// of the strategy held, which counts them when it is dropped (it
    /// releases none then, so no finalizer hook runs: as a concrete heap
    /// dropped). Finalizer hooks live in the strategy held.
    layer: EmbedState<AnyCollector>,
}

/// The strategy an [`AnyCollector`] holds, for its own API (the `gc`
/// facade of [`Generational`], the counters of [`IncMiniMark`]).
#[derive(Debug)]
// One per heap: boxing the large variants would cost a pointer chase on
// every forwarded call to save a few hundred bytes once.
#[allow(clippy::large_enum_variant)]
pub enum Inner {
    /// [`NullCollector`].
    Null(NullCollector),
    /// [`RefCount`].
    Refcount(RefCount),
    /// [`Generational`].
    Generational(Generational),
    /// [`IncMiniMark`].
    Marksweep(IncMiniMark),
}

/// Evaluates `$e` with `$c` bound to the strategy inside `$any`.
macro_rules! each {
    ($any:expr, $c:ident => $e:expr) => {
        match $any {
            Inner::Null($c) => $e,
            Inner::Refcount($c) => $e,
            Inner::Generational($c) => $e,
            Inner::Marksweep($c) => $e,
        }
    };
}

/// As [`each!`], wrapping a view result in the matching [`AnyView`] arm.
macro_rules! each_view {
    ($any:expr, $c:ident => $e:expr) => {
        match $any {
            Inner::Null($c) => $e.map(AnyView::Null),
            Inner::Refcount($c) => $e.map(AnyView::Refcount),
            Inner::Generational($c) => $e.map(AnyView::Generational),
            Inner::Marksweep($c) => $e.map(AnyView::Marksweep),
        }
    };
}

impl AnyCollector {
    /// The strategy named `name` (`null`, `refcount`, `generational`,
    /// `marksweep`), configured from `KEY=VALUE` pairs.
    pub fn from_name(
        name: &str,
        pairs: &[(impl AsRef<str>, impl AsRef<str>)],
    ) -> Result<Self, GcError> {
        Self::new(name.parse()?, pairs)
    }

    /// The strategy named `name` with its library defaults:
    /// `from_name(name, &[])` without a type for the empty list.
    pub fn from_name_default(name: &str) -> Result<Self, GcError> {
        Self::from_name(name, &[] as &[(&str, &str)])
    }

    /// The strategy `strategy`, configured from `KEY=VALUE` pairs.
    pub fn new(
        strategy: Strategy,
        pairs: &[(impl AsRef<str>, impl AsRef<str>)],
    ) -> Result<Self, GcError> {
        let inner = match strategy {
            Strategy::Null => Inner::Null(NullCollector::with_config(
                configured::<NullCollector>(pairs)?,
            )?),
            Strategy::Refcount => {
                Inner::Refcount(RefCount::with_config(configured::<RefCount>(pairs)?)?)
            }
            Strategy::Generational => Inner::Generational(Generational::with_config(
                configured::<Generational>(pairs)?,
            )?),
            Strategy::Marksweep => {
                Inner::Marksweep(IncMiniMark::with_config(configured::<IncMiniMark>(pairs)?)?)
            }
        };
        let layer = each!(&inner, c => EmbedState::layered_over(c.embed_state_ref()))?;
        Ok(AnyCollector { inner, layer })
    }

    /// The strategy held.
    pub fn strategy(&self) -> Strategy {
        match self.inner {
            Inner::Null(_) => Strategy::Null,
            Inner::Refcount(_) => Strategy::Refcount,
            Inner::Generational(_) => Strategy::Generational,
            Inner::Marksweep(_) => Strategy::Marksweep,
        }
    }

    /// The strategy held, for its own API.
    pub fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The strategy held, for its own API (handles made through it are
    /// this heap's handles), or to replace it (`std::mem::replace(&mut
    /// *heap.inner_mut(), other)`): when the guard is dropped, this layer
    /// follows the strategy it then holds, so that roots made through it
    /// go back to that strategy and the one taken out keeps releasing its
    /// own. (A guard leaked with `mem::forget` leaves the layer on the old
    /// strategy's queue: roots are then refused as foreign and leak, as the
    /// heap's end reports; nothing unsafe follows.)
    ///
    /// ```
    /// use gc_any::{AnyCollector, Inner};
    /// use gc_core::{CollectorExt, Embedding, Root};
    /// use gc_refcount::RefCount;
    ///
    /// let mut heap = AnyCollector::from_name_default("marksweep")?;
    /// let kept: Root = heap.scope(|s| {
    ///     let a = s.node(0, 0)?;
    ///     s.root(a)
    /// })?;
    /// // Swap in a reference counter; keep the marksweep heap aside.
    /// let counter = Inner::Refcount(RefCount::new_default()?);
    /// let mut old = std::mem::replace(&mut *heap.inner_mut(), counter);
    /// assert_eq!(heap.strategy().name(), "refcount");
    /// let fresh: Root = heap.scope(|s| {
    ///     let b = s.node(0, 0)?;
    ///     s.root(b)
    /// })?;
    /// drop((kept, fresh)); // each goes back to its own heap
    /// heap.flush();
    /// assert_eq!(heap.outstanding_roots(), 0);
    /// if let Inner::Marksweep(old) = &mut old {
    ///     old.flush();
    ///     assert_eq!(old.outstanding_roots(), 0);
    /// }
    /// # Ok::<(), gc_core::GcError>(())
    /// ```
    pub fn inner_mut(&mut self) -> InnerMut<'_> {
        InnerMut { heap: self }
    }
}

/// [`AnyCollector::inner_mut`]'s guard: the strategy held, mutably; on
/// drop the layer follows whatever strategy is held then.
#[derive(Debug)]
pub struct InnerMut<'a> {
    heap: &'a mut AnyCollector,
}

impl std::ops::Deref for InnerMut<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.heap.inner
    }
}

impl std::ops::DerefMut for InnerMut<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.heap.inner
    }
}

impl Drop for InnerMut<'_> {
    fn drop(&mut self) {
        let AnyCollector { inner, layer } = &mut *self.heap;
        each!(&*inner, c => layer.follow_layer(c.embed_state_ref()));
    }
}

/// A view of one object of an [`AnyCollector`].
#[derive(Clone, Copy, Debug)]
pub enum AnyView<'a> {
    /// Of a [`NullCollector`].
    Null(<NullCollector as Collector>::View<'a>),
    /// Of a [`RefCount`] heap.
    Refcount(<RefCount as Collector>::View<'a>),
    /// Of a [`Generational`] heap.
    Generational(<Generational as Collector>::View<'a>),
    /// Of an [`IncMiniMark`] heap.
    Marksweep(<IncMiniMark as Collector>::View<'a>),
}

macro_rules! each_of_view {
    ($v:expr, $x:ident => $e:expr) => {
        match $v {
            AnyView::Null($x) => $e,
            AnyView::Refcount($x) => $e,
            AnyView::Generational($x) => $e,
            AnyView::Marksweep($x) => $e,
        }
    };
}

impl<'a> ObjectView<'a> for AnyView<'a> {
    fn kind(self) -> Kind {
        each_of_view!(self, v => v.kind())
    }
    fn id(self) -> ObjectId {
        each_of_view!(self, v => v.id())
    }
    fn slot_count(self) -> usize {
        each_of_view!(self, v => v.slot_count())
    }
    // Inlined into the walk, the four arms' results stay in registers; as a
    // call, each returns a wide `Result` through memory (measured: 15× a
    // concrete view's walk instead of about 2×).
    #[inline(always)]
    fn slot(self, index: usize) -> Result<Option<Self>, GcError> {
        Ok(match self {
            AnyView::Null(v) => v.slot(index)?.map(AnyView::Null),
            AnyView::Refcount(v) => v.slot(index)?.map(AnyView::Refcount),
            AnyView::Generational(v) => v.slot(index)?.map(AnyView::Generational),
            AnyView::Marksweep(v) => v.slot(index)?.map(AnyView::Marksweep),
        })
    }
    fn payload(self) -> &'a [u8] {
        each_of_view!(self, v => v.payload())
    }
    fn same(self, other: Self) -> bool {
        match (self, other) {
            (AnyView::Null(a), AnyView::Null(b)) => a.same(b),
            (AnyView::Refcount(a), AnyView::Refcount(b)) => a.same(b),
            (AnyView::Generational(a), AnyView::Generational(b)) => a.same(b),
            (AnyView::Marksweep(a), AnyView::Marksweep(b)) => a.same(b),
            _ => false,
        }
    }
}

impl Collector for AnyCollector {
    /// Describes no strategy: ask a heap with [`Collector::traits`].
    const TRAITS: Traits = Traits {
        name: "any",
        summary: "a strategy chosen at run time (see traits())",
        frees_objects: false,
        collects_cycles: false,
        moves_objects: false,
        write_barrier: false,
        incremental: false,
        generational: false,
        reference_counting: false,
        frees_finalized_later: false,
    };
    type Config = AnyConfig;
    type View<'a> = AnyView<'a>;

    fn traits(&self) -> Traits {
        self.strategy().traits()
    }

    fn with_config(config: AnyConfig) -> Result<Self, GcError> {
        AnyCollector::new(config.strategy, &config.pairs)
    }

    #[inline]
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError> {
        each!(&mut self.inner, c => c.alloc(shape))
    }
    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError> {
        each!(&mut self.inner, c => c.alloc_tuple(members))
    }
    #[inline]
    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError> {
        each!(&mut self.inner, c => c.clone_handle(handle))
    }
    #[inline]
    fn release(&mut self, handle: Handle) -> Result<(), GcError> {
        each!(&mut self.inner, c => c.release(handle))
    }
    #[inline]
    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError> {
        each!(&mut self.inner, c => c.slot(object, index))
    }
    #[inline]
    fn set_slot(
        &mut self,
        object: Handle,
        index: usize,
        value: Option<Handle>,
    ) -> Result<(), GcError> {
        each!(&mut self.inner, c => c.set_slot(object, index, value))
    }
    fn resize(&mut self, object: Handle, slots: usize) -> Result<(), GcError> {
        each!(&mut self.inner, c => c.resize(object, slots))
    }
    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError> {
        each!(&mut self.inner, c => c.payload_mut(object))
    }
    #[inline]
    fn view(&self, object: Handle) -> Result<AnyView<'_>, GcError> {
        each_view!(&self.inner, c => c.view(object))
    }
    fn set_finalizer(&mut self, object: Handle, finalizer: Finalizer) -> Result<(), GcError> {
        each!(&mut self.inner, c => c.set_finalizer(object, finalizer))
    }
    fn set_slot_order(&mut self, object: Handle, order: gc_core::SlotOrder) -> Result<(), GcError> {
        each!(&mut self.inner, c => c.set_slot_order(object, order))
    }
    fn weak(&mut self, object: Handle, callback: bool) -> Result<WeakHandle, GcError> {
        each!(&mut self.inner, c => c.weak(object, callback))
    }
    fn upgrade(&mut self, weak: WeakHandle) -> Result<Option<Handle>, GcError> {
        each!(&mut self.inner, c => c.upgrade(weak))
    }
    fn release_weak(&mut self, weak: WeakHandle) -> Result<(), GcError> {
        each!(&mut self.inner, c => c.release_weak(weak))
    }
    fn take_saved(&mut self) -> Vec<Handle> {
        each!(&mut self.inner, c => c.take_saved())
    }
    fn collect(&mut self, generation: Generation) -> Result<u64, GcError> {
        each!(&mut self.inner, c => c.collect(generation))
    }
    fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError> {
        each!(&mut self.inner, c => c.control(control))
    }
    fn stats(&self) -> Stats {
        each!(&self.inner, c => c.stats())
    }
    fn record_events(&mut self, on: bool) {
        each!(&mut self.inner, c => c.record_events(on))
    }
    fn drain_events(&mut self, out: &mut Vec<Event>) -> Result<(), GcError> {
        each!(&mut self.inner, c => c.drain_events(out))
    }
    fn root_count(&self) -> usize {
        // The held strategy's internal roots are not the embedder's; this
        // layer's own state holds none.
        each!(&self.inner, c => c.root_count() - c.embed_state_ref().internal_roots())
    }
    fn on_finalize<F: Finalize>(&mut self, hook: F) {
        each!(&mut self.inner, c => c.on_finalize(hook))
    }
    fn clear_on_finalize(&mut self) {
        each!(&mut self.inner, c => c.clear_on_finalize())
    }
    fn has_finalize_hook(&self) -> bool {
        each!(&self.inner, c => c.has_finalize_hook())
    }
    fn waiting_finalizers(&self) -> usize {
        each!(&self.inner, c => c.waiting_finalizers())
    }
    // The held strategy calls its own hook, never this layer's.
    const CALLS_OWN_HOOK: bool = false;
    fn embed_state(&mut self) -> &mut EmbedState<Self> {
        &mut self.layer
    }
    fn embed_state_ref(&self) -> &EmbedState<Self> {
        &self.layer
    }
    // The scopes' locals live on the held strategy's own stack (a
    // marksweep heap scans it), not in this layer.
    #[inline]
    fn local_stack(&mut self, key: LocalsKey) -> LocalsMut<'_> {
        each!(&mut self.inner, c => c.local_stack(key))
    }
    #[inline]
    fn local_stack_ref(&self, key: LocalsKey) -> &LocalStack {
        each!(&self.inner, c => c.local_stack_ref(key))
    }
    #[inline]
    fn alloc_local(&mut self, shape: Shape, key: LocalsKey) -> Result<usize, GcError> {
        each!(&mut self.inner, c => c.alloc_local(shape, key))
    }
    #[inline]
    fn alloc_tuple_local(
        &mut self,
        members: &[Option<Handle>],
        key: LocalsKey,
    ) -> Result<usize, GcError> {
        each!(&mut self.inner, c => c.alloc_tuple_local(members, key))
    }
    #[inline]
    fn alloc_pair_local(
        &mut self,
        members: [Option<usize>; 2],
        key: LocalsKey,
    ) -> Result<usize, GcError> {
        each!(&mut self.inner, c => c.alloc_pair_local(members, key))
    }
    #[inline]
    fn slot_local(
        &mut self,
        object: Handle,
        index: usize,
        key: LocalsKey,
    ) -> Result<Option<usize>, GcError> {
        each!(&mut self.inner, c => c.slot_local(object, index, key))
    }
    #[inline]
    fn alloc_tuple_taking_locals(
        &mut self,
        n: usize,
        key: LocalsKey,
    ) -> Result<Option<usize>, GcError> {
        each!(&mut self.inner, c => c.alloc_tuple_taking_locals(n, key))
    }
    #[inline]
    fn drop_counted_local(&mut self, index: u32, key: LocalsKey) {
        each!(&mut self.inner, c => c.drop_counted_local(index, key))
    }
}

impl Inspect for AnyCollector {
    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError> {
        each!(&self.inner, c => c.weak_id(weak))
    }

    fn live_objects(&self) -> Result<Vec<ObjectId>, GcError> {
        each!(&self.inner, c => c.live_objects())
    }

    fn root_list(&self, list: RootList) -> Result<Vec<ObjectId>, GcError> {
        each!(&self.inner, c => c.root_list(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_order_is_for_nodes_on_every_strategy() {
        use gc_core::{CollectorExt, Kind, SlotOrder};
        for s in Strategy::ALL {
            let mut heap = AnyCollector::from_name_default(s.name()).unwrap();
            let node = heap.alloc_node(2, 0).unwrap();
            let atom = heap.alloc_atom(4).unwrap();
            let tuple = heap.alloc_tuple(&[Some(node)]).unwrap();
            for order in [SlotOrder::LastToFirst, SlotOrder::FirstToLast] {
                assert_eq!(heap.set_slot_order(node, order), Ok(()), "{s}");
            }
            let o = SlotOrder::LastToFirst;
            assert_eq!(
                heap.set_slot_order(atom, o),
                Err(GcError::Immutable(Kind::Atom))
            );
            assert_eq!(
                heap.set_slot_order(tuple, o),
                Err(GcError::Immutable(Kind::Tuple))
            );
            heap.release(atom).unwrap();
            assert_eq!(
                heap.set_slot_order(atom, o),
                Err(GcError::StaleHandle),
                "{s}"
            );
        }
    }

    #[test]
    fn a_strategy_takes_its_keys_and_their_aliases_only() {
        assert!(Strategy::Marksweep.takes("nursery"));
        assert!(Strategy::Marksweep.takes("PYPY_GC_NURSERY"));
        assert!(!Strategy::Refcount.takes("PYPY_GC_NURSERY"));
        assert!(Strategy::Generational.takes("threshold0"));
        assert!(!Strategy::Generational.takes("nursery"));
        for s in Strategy::ALL {
            assert!(s.keys().iter().all(|(k, _)| s.takes(k)), "{s}");
            assert!(!s.takes("no_such_key"), "{s}");
        }
    }

    #[test]
    fn every_name_makes_its_strategy_and_bad_input_is_an_error() {
        for s in Strategy::ALL {
            let heap = AnyCollector::from_name_default(s.name()).unwrap();
            assert_eq!(heap.strategy(), s);
            assert_eq!(heap.traits().name, s.name());
        }
        let e = AnyCollector::from_name_default("copying").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad configuration: unknown collector `copying`: expected one of null, refcount, generational, marksweep"
        );
        let e = AnyCollector::from_name("generational", &[("threshold9", "1")]).unwrap_err();
        assert!(e.to_string().contains("collector `generational`"), "{e}");
    }

    #[test]
    fn the_finalizer_hook_reaches_the_strategy_held() {
        use gc_core::{Embedding, Finalize, Local, Scope};
        use std::sync::{Arc, Mutex};
        struct Count(Arc<Mutex<u32>>);
        impl Finalize for Count {
            fn finalize<C: Collector>(&mut self, _: &mut Scope<'_, C>, _: Local<'_>) {
                *self.0.lock().unwrap() += 1;
            }
        }
        for s in [
            Strategy::Refcount,
            Strategy::Generational,
            Strategy::Marksweep,
        ] {
            let none: &[(&str, &str)] = &[];
            let mut heap = AnyCollector::new(s, none).unwrap();
            let runs = Arc::new(Mutex::new(0));
            heap.on_finalize(Count(Arc::clone(&runs)));
            heap.scope(|s| {
                let a = s.node(0, 0).unwrap();
                s.set_finalizer(a, Finalizer::Run).unwrap();
            });
            for _ in 0..4 {
                heap.collect(Generation::FULL).unwrap();
            }
            assert_eq!(*runs.lock().unwrap(), 1, "{s}");
            assert_eq!(heap.outstanding_roots(), 0);
        }
    }

    #[test]
    fn a_bad_setting_names_its_collector_once() {
        let e = AnyCollector::from_name("null", &[("nursery", "1MB")]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("bad configuration: collector `null`: "),
            "{text}"
        );
        assert_eq!(text.matches("bad configuration").count(), 1, "{text}");
    }

    /// A hook typed for `AnyCollector`'s scopes would never be called by
    /// the strategy it holds: it is refused, and nothing is installed.
    #[test]
    fn a_hook_typed_for_the_layer_is_refused() {
        use gc_core::{Embedding, Scope};
        let none: &[(&str, &str)] = &[];
        let mut heap = AnyCollector::new(Strategy::Generational, none).unwrap();
        let refused = heap.on_finalize_with(|_: &mut u32, _: &mut Scope<'_, AnyCollector>, _| {});
        assert!(
            matches!(
                refused,
                Err(GcError::Unsupported {
                    strategy: "any",
                    ..
                })
            ),
            "{refused:?}"
        );
        assert!(!heap.has_finalize_hook());
        assert!(!heap.embed_state_ref().has_hook());
    }
}
