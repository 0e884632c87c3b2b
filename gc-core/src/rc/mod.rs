//! Reference counting as a building block: the heap that `gc-refcount` and
//! `gc-generational` share.
//!
//! [`RcHeap<P>`] stores objects in a table of small [`Header`]s indexed by
//! [`ObjRef`] (no hash on any hot path), their slots end to end in a
//! [`SlotArena`] and their ids and payloads in a cold table beside, so a
//! collection streams through two dense arrays. It counts every reference held by a
//! root handle, a slot, the saved list or the garbage list, and frees an
//! object the moment its count reaches zero, cascading through its slots
//! without recursion (`release.rs`). The policy `P` adds what a strategy
//! needs on top: hooks on allocation and free (CPython's generation-0 count
//! and list links), and the meaning of `collect` and of the controls.
//! Every hook is a static call, monomorphised and inlined.

mod header;
mod release;
mod slots;
mod weak;

pub use header::{COLD_BYTES, Header, ObjRef, Slot, flags};
use slots::INLINE_MAX;
pub use slots::{SMALL_MAX, SlotArena, SlotRange};
pub use weak::WeakRegistry;

use std::fmt::Debug;
use std::num::NonZeroU32;

use crate::config::{self, HeapLimit, canonical_size};
use crate::embed::{self, EmbedState, Held, LocalStack, LocalsKey, LocalsMut, ObjectView};
use crate::{
    Collector, Config, Control, ControlOutcome, Event, EventLog, Finalizer, GcError, Generation,
    Handle, HeapId, Inspect, Kind, ObjectId, RootList, RootTable, Shape, Stats, Traits, WeakHandle,
    WeakId,
};

/// What is being allocated, for [`RcPolicy::before_alloc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocKind {
    /// A node.
    Node,
    /// A tuple.
    Tuple,
    /// A tuple none of whose members [may be tracked](RcPolicy::may_be_tracked)
    /// (nil, atoms, untracked tuples): one CPython 3.14 makes untracked.
    PlainTuple,
    /// An atom (never a GC container).
    Atom,
    /// A weak-reference object (a GC container in CPython).
    Weakref,
}

/// What a strategy adds to reference counting. Every method takes the whole
/// heap, so a hook can collect or rewire lists; all are static calls.
pub trait RcPolicy: Sized + Debug + Send {
    /// The strategy's own header words.
    type Extra: Copy + Default + Debug + Send;
    /// The strategy's configuration.
    type Config: Config;
    /// What the strategy is.
    const TRAITS: Traits;

    /// The policy state for a new heap.
    fn new(config: &Self::Config) -> Result<Self, GcError>;

    /// The heap limit `config` sets (`max_heap` in bytes, 0: none; see
    /// [`config`]).
    fn max_heap(config: &Self::Config) -> usize;

    /// An allocation would take the heap past its limit: free what a
    /// collection can (CPython's collector: a full collection) before the
    /// allocation is refused. Runs like [`RcPolicy::before_alloc`]; an
    /// error (the collection could not get the memory it needs) refuses
    /// the allocation.
    #[inline]
    fn make_room(_heap: &mut RcHeap<Self>) -> Result<(), GcError> {
        Ok(())
    }

    /// The allocation that [`RcPolicy::before_alloc`] ran for was refused
    /// (heap limit, refused memory): no object was made (CPython counts a
    /// container only once its memory is allocated: undo the count).
    #[inline]
    fn alloc_refused(_heap: &mut RcHeap<Self>, _what: AllocKind) {}

    /// [`RcPolicy::before_alloc`] for a tuple, when it would run no
    /// embedder code now (no collection, no callback): does what it would
    /// (count the container) and answers `true`. Otherwise changes nothing
    /// and answers `false`, and the full path runs. Then the members of a
    /// new tuple, resolved before it, are not resolved again after it. The
    /// default, `false`, is always safe; a policy that never collects there
    /// answers `true`, one that collects on a count answers whether this
    /// allocation stays under it.
    #[inline]
    fn quiet_before_alloc(_heap: &mut RcHeap<Self>, _what: AllocKind) -> bool {
        false
    }

    /// Runs before an object is allocated (CPython: count it, maybe collect).
    #[inline]
    fn before_alloc(_heap: &mut RcHeap<Self>, _what: AllocKind) -> Result<(), GcError> {
        Ok(())
    }

    /// Runs once the object exists, with its count at 1 (CPython: track it).
    #[inline]
    fn after_alloc(_heap: &mut RcHeap<Self>, _object: ObjRef, _what: AllocKind) {}

    /// Does the policy make a tuple none of whose members
    /// [may be tracked](RcPolicy::may_be_tracked) apart, as an
    /// [`AllocKind::PlainTuple`]? The default, `false`: every tuple is an
    /// [`AllocKind::Tuple`], and its members are not asked.
    #[inline]
    fn sorts_plain_tuples(_heap: &RcHeap<Self>) -> bool {
        false
    }

    /// Could `member`, held by a new tuple, keep that tuple tracked
    /// (`_PyObject_GC_MAY_BE_TRACKED`)? Asked only when
    /// [`RcPolicy::sorts_plain_tuples`].
    #[inline]
    fn may_be_tracked(_heap: &RcHeap<Self>, _member: ObjRef) -> bool {
        true
    }

    /// Runs after slot `index` of node `container` was made to refer to
    /// `value` (CPython's dict: `MAINTAIN_TRACKING`).
    #[inline]
    fn on_store(_heap: &mut RcHeap<Self>, _container: ObjRef, _value: ObjRef) {}

    /// Runs just before an object's memory is released (CPython: untrack it,
    /// uncount it). The object's slots are already cleared.
    #[inline]
    fn on_free(_heap: &mut RcHeap<Self>, _object: ObjRef) {}

    /// Runs when a finalizer on the reference-counting path resurrected the
    /// object (CPython re-tracks it in generation 0).
    #[inline]
    fn on_resurrect(_heap: &mut RcHeap<Self>, _object: ObjRef) {}

    /// An explicit collection of `generation`; returns `collected`.
    fn collect(heap: &mut RcHeap<Self>, generation: Generation) -> Result<u64, GcError>;

    /// A CPython-style control.
    fn control(heap: &mut RcHeap<Self>, control: Control) -> Result<ControlOutcome, GcError>;
}

/// A reference-counted heap with policy `P`. See the [module docs](self).
///
/// Its public API is the [`Collector`] trait and the read-only accessors.
/// The fields and the methods that change counts or free objects are
/// public only for strategy crates built on it (`gc-generational`), and
/// hidden from the docs: an embedder calling them could free an object
/// behind a live root (no undefined behaviour — this module has no
/// `unsafe` code — but the root would then read a freed or reused entry).
/// The [`Header`] invariant must hold whenever control returns to the
/// mutator.
#[derive(Debug)]
pub struct RcHeap<P: RcPolicy> {
    /// Every object, weak-reference objects and free entries included.
    #[doc(hidden)]
    pub objects: Vec<Header<P::Extra>>,
    /// The slots of every object (see [`Header::slots`]).
    #[doc(hidden)]
    pub slot_arena: SlotArena,
    /// Ids and payloads (the cold tables), indexed as `objects`.
    ids: Vec<u64>,
    payloads: Vec<Box<[u8]>>,
    /// The free entries of `objects`, the last freed first, linked
    /// through their count words: a free entry's `rc` is the next free
    /// entry's [`ObjRef::raw`], 0 ending the list (as CPython's free
    /// lists link freed objects through themselves). Freeing writes the
    /// header it frees anyway, and taking an entry reads the header it is
    /// about to write: no list of its own to grow or to touch.
    free_head: u32,
    /// How many entries are free.
    free_count: usize,
    roots: RootTable<ObjRef>,
    /// The scopes' locals: table roots, or objects by index, each local
    /// holding one count (so that making and dropping a local touches no
    /// table).
    locals: LocalStack,
    weak_roots: RootTable<ObjRef, WeakHandle>,
    /// Objects resurrected by finalizers (a root list; each entry counts).
    #[doc(hidden)]
    pub saved: Vec<ObjRef>,
    /// CPython's `gc.garbage` (a root list; each entry counts).
    #[doc(hidden)]
    pub garbage: Vec<ObjRef>,
    /// Weak references and their referents.
    #[doc(hidden)]
    pub weakrefs: WeakRegistry,
    /// Events not yet drained.
    #[doc(hidden)]
    pub events: EventLog,
    /// The embedding layer's state.
    embed: EmbedState<RcHeap<P>>,
    /// Running totals.
    #[doc(hidden)]
    pub stats: Stats,
    next_id: u64,
    next_weak_id: u64,
    /// The strategy's state.
    #[doc(hidden)]
    pub policy: P,
    dealloc_stack: Vec<release::Frame>,
    /// CPython's `trash_delete_later`: the last object deposited, linked to
    /// the one before through its count word (see `release.rs`).
    trash_later: Option<ObjRef>,
    trash_nesting: u32,
    /// Live objects whose `Resurrect` finalizer has not run: the saved
    /// list always has room for this many more entries.
    pending_resurrect: usize,
    /// Live objects whose `Run` finalizer has not run: the embedding
    /// layer's queue always has room for this many more, the root table
    /// for one more than that (see `hook_room`).
    pending_hooks: usize,
    /// Bytes of objects against `max_heap` (canonical layout).
    limit: HeapLimit,
}

impl<P: RcPolicy> RcHeap<P> {
    /// An empty heap.
    pub fn new(config: &P::Config) -> Result<Self, GcError> {
        let heap = HeapId::fresh()?;
        RcHeap {
            objects: Vec::new(),
            slot_arena: SlotArena::default(),
            ids: Vec::new(),
            payloads: Vec::new(),
            free_head: 0,
            free_count: 0,
            roots: RootTable::new(heap),
            locals: LocalStack::counted(heap)?,
            weak_roots: RootTable::new(heap),
            saved: Vec::new(),
            garbage: Vec::new(),
            weakrefs: WeakRegistry::default(),
            events: EventLog::default(),
            embed: EmbedState::try_new()?,
            stats: Stats::default(),
            next_id: 0,
            next_weak_id: 0,
            policy: P::new(config)?,
            dealloc_stack: Vec::new(),
            trash_later: None,
            trash_nesting: 0,
            pending_resurrect: 0,
            pending_hooks: 0,
            limit: HeapLimit::new(P::max_heap(config) as u64),
        }
        .with_dealloc_stack()
    }

    /// Reserves the release cascade's stack, whose depth the trashcan
    /// bounds, so that freeing never allocates.
    fn with_dealloc_stack(mut self) -> Result<Self, GcError> {
        self.dealloc_stack
            .try_reserve_exact(release::MAX_FRAMES)
            .map_err(|_| config::refused())?;
        Ok(self)
    }

    /// The header of `r`.
    #[inline]
    pub fn header(&self, r: ObjRef) -> &Header<P::Extra> {
        &self.objects[r.index()]
    }

    /// The header of `r`, to change.
    #[inline]
    #[doc(hidden)]
    pub fn header_mut(&mut self, r: ObjRef) -> &mut Header<P::Extra> {
        &mut self.objects[r.index()]
    }

    /// The slots of `r`.
    #[inline]
    pub fn slots(&self, r: ObjRef) -> &[Slot] {
        self.slot_arena.get(&self.objects[r.index()].slots)
    }

    /// The gctrace id of `r` (a weak id for a weak-reference object).
    #[inline]
    pub fn id(&self, r: ObjRef) -> u64 {
        self.ids[r.index()]
    }

    /// The object a root handle refers to (a table's root or a local's).
    #[inline]
    pub fn resolve(&self, h: Handle) -> Result<ObjRef, GcError> {
        if h.local_place().is_some() {
            return self.resolve_local(h);
        }
        self.roots.get(h)
    }

    #[inline]
    fn resolve_local(&self, h: Handle) -> Result<ObjRef, GcError> {
        match self.locals.local(h)? {
            Some(Held::Counted(raw)) => ObjRef::from_raw(raw).ok_or(GcError::StaleHandle),
            _ => Err(GcError::StaleHandle),
        }
    }

    /// The object the local at `place` holds.
    #[inline]
    fn local_at(&self, place: usize) -> Result<ObjRef, GcError> {
        match self.locals.held(place)? {
            Held::Counted(raw) => ObjRef::from_raw(raw).ok_or(GcError::StaleHandle),
            Held::Root(h) => self.roots.get(h),
            Held::Object(_) => Err(GcError::StaleHandle),
        }
    }

    /// Makes `r`, whose count the caller raised for it, a local: its
    /// place. If the system refuses the memory, the count is dropped again.
    #[inline]
    fn push_local(&mut self, r: ObjRef) -> Result<usize, GcError> {
        self.locals
            .push_counted(r.raw())
            .inspect_err(|_| self.dec(r))
    }

    /// [`Self::push_local`] on the stack whose stamp is `stack`, the one
    /// the operation started with. Code the operation ran before the push
    /// (a `gc.callbacks` function, a finalizer hook: in a collection the
    /// allocation started, or due from before) may have swapped heaps
    /// (`Scope::heap` lends `&mut C`): a place on the other heap's stack
    /// would be named by the scope that asked as a place on its own, that
    /// is, another object. Then `r` (made on the heap swapped in) is
    /// dropped and the answer is [`GcError::ForeignHandle`].
    #[inline(always)]
    fn push_local_on(&mut self, stack: NonZeroU32, r: ObjRef) -> Result<usize, GcError> {
        if self.locals.stamp() != stack {
            return self.drop_foreign_local(r);
        }
        self.push_local(r)
    }

    /// [`Self::push_local_on`] after a swap: `r` is dropped.
    #[cold]
    #[inline(never)]
    fn drop_foreign_local(&mut self, r: ObjRef) -> Result<usize, GcError> {
        self.dec(r);
        self.finish();
        Err(GcError::ForeignHandle)
    }

    /// A root handle for `r`, whose count the caller has already raised
    /// for it (a strategy rooting an object it hands to the finalizer
    /// hook, after [`Self::report_finalized`]: the table has room for it,
    /// so this allocates nothing).
    #[doc(hidden)]
    pub fn root_object(&mut self, r: ObjRef) -> Handle {
        self.roots.insert(r)
    }

    /// Makes room for one more root (and keeps the room the pending hook
    /// finalizers need), so that the next [`RootTable::insert`] cannot
    /// fail or allocate.
    #[inline]
    fn reserve_root(&mut self) -> Result<(), GcError> {
        self.roots
            .try_reserve(1 + self.hook_room(self.pending_hooks))
    }

    /// The roots kept spare for `pending` hook finalizers: one each (the
    /// root that holds the object until the hook has run), and one for the
    /// hook's own root to the object (hooks run one at a time).
    #[inline]
    fn hook_room(&self, pending: usize) -> usize {
        if pending == 0 { 0 } else { pending + 1 }
    }

    /// How an object with `flag_bits` counts in the pending finalizers:
    /// (resurrecting, running the hook), each 0 or 1.
    #[inline]
    fn pending_finalizer(flag_bits: u32) -> (usize, usize) {
        if flag_bits & flags::HAS_FINALIZER == 0 || flag_bits & flags::FINALIZED != 0 {
            return (0, 0);
        }
        (
            usize::from(flag_bits & flags::RESURRECT != 0),
            usize::from(flag_bits & flags::RUN_HOOK != 0),
        )
    }

    /// The finalizer of an object with `flag_bits` will not run any more
    /// (it ran, or the object is freed): its reserved room is spare.
    #[inline]
    fn forget_pending(&mut self, flag_bits: u32) {
        let (resurrect, hook) = Self::pending_finalizer(flag_bits);
        self.pending_resurrect -= resurrect;
        self.pending_hooks -= hook;
    }

    /// The roots' targets, the scopes' locals' included (each counted
    /// once in its object's `rc`).
    pub fn root_targets(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.roots.iter().chain(self.counted_locals())
    }

    /// The objects the scopes' locals hold a count of.
    fn counted_locals(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.locals.counted_objects().filter_map(ObjRef::from_raw)
    }

    /// Calls `f` with the header of the target of every counted reference
    /// that is not a slot: each root handle and local, each weak handle (on
    /// its weak-reference object), each saved- and garbage-list entry, once
    /// per reference. With the slots of live objects these make up every count
    /// (the [`Header`] invariant), so a collector can learn which objects
    /// are referenced from outside the heap's objects without walking them.
    #[doc(hidden)]
    pub fn for_each_outside_reference(&mut self, mut f: impl FnMut(&mut Header<P::Extra>)) {
        let objects = &mut self.objects;
        let locals = self.locals.counted_objects().filter_map(ObjRef::from_raw);
        let targets = self
            .roots
            .iter()
            .chain(locals)
            .chain(self.weak_roots.iter())
            .chain(self.saved.iter().copied())
            .chain(self.garbage.iter().copied());
        for r in targets {
            f(&mut objects[r.index()]);
        }
    }

    /// Makes the object immortal (PEP 683): never counted, freed or collected.
    pub fn make_immortal(&mut self, h: Handle) -> Result<(), GcError> {
        let r = self.resolve(h)?;
        self.objects[r.index()].flags |= flags::IMMORTAL;
        Ok(())
    }

    /// Adds one reference to `r`.
    #[inline]
    #[doc(hidden)]
    pub fn inc(&mut self, r: ObjRef) {
        let h = &mut self.objects[r.index()];
        // A free entry's count word links the free list: never counted
        // (the same one test as immortality).
        debug_assert_eq!(h.flags & flags::FREE, 0, "a count raised on a free entry");
        if h.flags & (flags::IMMORTAL | flags::FREE) == 0 {
            h.rc += 1;
        }
    }

    /// Drops one reference to `r`, freeing it (and what only it held) when
    /// the count reaches zero.
    #[inline]
    #[doc(hidden)]
    pub fn dec(&mut self, r: ObjRef) {
        let h = &mut self.objects[r.index()];
        // As in `inc`: a free entry's count word is the free list's link.
        debug_assert_eq!(h.flags & flags::FREE, 0, "a count dropped on a free entry");
        if h.flags & (flags::IMMORTAL | flags::FREE) != 0 {
            return;
        }
        h.rc -= 1;
        if h.rc == 0 {
            self.dealloc(r);
        }
    }

    /// Drops the reference a slot held, if any.
    #[inline]
    #[doc(hidden)]
    pub fn dec_slot(&mut self, slot: Slot) {
        if let Some(r) = slot {
            self.dec(r);
        }
    }

    /// Number of live objects of every sort (weak references included),
    /// for capacity planning in strategies.
    pub fn table_len(&self) -> usize {
        self.objects.len() - self.free_count
    }

    /// Reports a weak callback of `weak` for the death of `target`.
    #[doc(hidden)]
    pub fn report_weak_callback(&mut self, weak: ObjRef, target: ObjRef) {
        self.stats.weak_callbacks += 1;
        let event = Event::WeakCallback {
            weak: WeakId(self.id(weak)),
            object: ObjectId(self.id(target)),
        };
        self.events.push(event);
    }

    /// Reports that the finalizer of `r` ran, and marks it finalized. The
    /// room kept for it (a saved-list entry for `Resurrect`; a root and a
    /// queue entry for `Run`) is then the caller's to use without
    /// allocating.
    #[doc(hidden)]
    pub fn report_finalized(&mut self, r: ObjRef) {
        let f = self.objects[r.index()].flags;
        self.forget_pending(f);
        self.objects[r.index()].flags |= flags::FINALIZED;
        let id = self.id(r);
        self.stats.finalized += 1;
        self.events.push(Event::Finalize {
            object: ObjectId(id),
        });
    }

    /// The bytes of heap limit the object `r` counts for (its payload's
    /// length read only if it has one: the cold table stays cold).
    #[inline]
    fn counted_size(&self, r: ObjRef) -> u64 {
        let h = &self.objects[r.index()];
        let payload = if h.flags & flags::HAS_PAYLOAD != 0 {
            self.payloads[r.index()].len()
        } else {
            0
        };
        canonical_size(h.slots.len(), payload)
    }

    /// Makes sure an object of `bytes` (canonical layout) fits under the
    /// heap limit, letting the policy collect first when it would not.
    /// May run the finalizer hook's queue, like [`RcPolicy::before_alloc`].
    fn room_for(&mut self, bytes: u64) -> Result<(), GcError> {
        if self.limit.would_exceed(bytes) {
            P::make_room(self)?;
            self.limit.check(bytes)?;
        }
        Ok(())
    }

    /// Makes room for one more entry in the object table and, when
    /// `rooted`, for a root to it (a local of the heap's own stack needs
    /// none), so that [`Self::allocate`] and [`Self::new_object`] cannot
    /// fail. Freeing never allocates: a freed entry joins the free list
    /// through its own count word. Memory the system refuses is
    /// `OutOfMemory`.
    #[inline]
    fn reserve_entry(&mut self, rooted: bool) -> Result<(), GcError> {
        if rooted {
            self.reserve_root()?;
        }
        if self.free_head != 0 {
            return Ok(());
        }
        self.grow_entries()
    }

    /// [`Self::reserve_entry`] when no entry is free.
    #[inline(never)]
    fn grow_entries(&mut self) -> Result<(), GcError> {
        let len = self.objects.len();
        if ObjRef::from_index(len).is_none() {
            return Err(GcError::TooMany {
                what: "objects",
                limit: u64::from(u32::MAX),
            });
        }
        let refused = |_| config::refused();
        self.objects.try_reserve(1).map_err(refused)?;
        self.ids.try_reserve(1).map_err(refused)?;
        self.payloads.try_reserve(1).map_err(refused)?;
        Ok(())
    }

    /// Puts an object in the table; [`Self::reserve_entry`] made room.
    #[inline(always)]
    fn allocate(
        &mut self,
        flag_bits: u32,
        id: u64,
        slots: SlotRange,
        payload: Box<[u8]>,
    ) -> ObjRef {
        let header = Header {
            rc: 1,
            flags: flag_bits
                | if payload.is_empty() {
                    0
                } else {
                    flags::HAS_PAYLOAD
                },
            extra: P::Extra::default(),
            slots,
        };
        let payload_len = payload.len();
        let index = match ObjRef::from_raw(self.free_head) {
            Some(free) => {
                let i = free.index();
                self.free_head = self.objects[i].rc;
                self.free_count -= 1;
                self.objects[i] = header;
                // A free entry's payload is empty (`release_memory` takes
                // it): written only when the new one is not, so that the
                // old one (long out of cache) is not read to be dropped.
                self.ids[i] = id;
                if payload_len != 0 {
                    self.payloads[i] = payload;
                }
                i
            }
            None => {
                self.objects.push(header);
                self.ids.push(id);
                self.payloads.push(payload);
                self.objects.len() - 1
            }
        };
        let r = ObjRef::from_index(index).expect("checked by reserve_entry");
        self.limit.add(canonical_size(slots.len(), payload_len));
        r
    }

    /// A zeroed payload of `len` bytes, or `OutOfMemory` when the system
    /// refuses it.
    fn new_payload(len: usize) -> Result<Box<[u8]>, GcError> {
        bytemuck::allocation::try_zeroed_slice_box(len).map_err(|()| config::refused())
    }

    /// Makes the object once everything it needs is in hand
    /// ([`Self::reserve_entry`] made room for it and its root): its count
    /// of 1 is the caller's, to root it.
    #[inline(always)]
    fn new_object(
        &mut self,
        what: AllocKind,
        kind_bits: u32,
        slots: SlotRange,
        payload: Box<[u8]>,
    ) -> ObjRef {
        let id = self.next_id;
        let bytes = payload.len() as u64;
        let r = self.allocate(kind_bits, id, slots, payload);
        self.next_id += 1;
        self.stats.on_alloc(bytes);
        P::after_alloc(self, r, what);
        r
    }

    /// [`Collector::alloc`] up to the root: the new object, whose count
    /// of 1 the caller roots (in the root table when `rooted`, else as a
    /// local). The caller then calls [`Self::finish`].
    #[inline]
    fn alloc_object(&mut self, shape: Shape, rooted: bool) -> Result<ObjRef, GcError> {
        shape.check()?;
        let (bits, what) = match shape {
            Shape::Node { .. } => (flags::NODE, AllocKind::Node),
            Shape::Atom { .. } => (flags::ATOM, AllocKind::Atom),
        };
        P::before_alloc(self, what)?;
        let parts = self
            .room_for(canonical_size(shape.slots(), shape.payload()))
            .and_then(|()| self.reserve_entry(rooted))
            .and_then(|()| Self::new_payload(shape.payload()))
            .and_then(|payload| Ok((self.slot_arena.alloc(shape.slots())?, payload)));
        match parts {
            Ok((slots, payload)) => Ok(self.new_object(what, bits, slots, payload)),
            Err(e) => {
                P::alloc_refused(self, what);
                Err(e)
            }
        }
    }

    /// [`Collector::alloc_tuple`] of `len` members, `member(heap, i)`
    /// resolving member `i`: the new tuple, whose count of 1 the caller
    /// roots (in the root table when `rooted`, else as a local). The
    /// members are resolved again after the policy's hook, which may run
    /// embedder code, unless nothing can have run. With `TAKE` the tuple
    /// takes over a count each member's local holds (the caller pops the
    /// locals without dropping them): none is raised.
    #[inline]
    fn tuple_object<const TAKE: bool>(
        &mut self,
        len: usize,
        member: impl Fn(&Self, usize) -> Result<Option<ObjRef>, GcError>,
        rooted: bool,
    ) -> Result<ObjRef, GcError> {
        if len > crate::MAX_SLOTS {
            return Err(GcError::TooLarge {
                what: "slots",
                requested: len,
                limit: crate::MAX_SLOTS,
            });
        }
        let mut resolved = [None; INLINE_MAX];
        let sorts = P::sorts_plain_tuples(self);
        let mut plain = sorts;
        for i in 0..len {
            let m = member(self, i)?;
            if sorts {
                plain &= m.is_none_or(|r| !P::may_be_tracked(self, r));
            }
            if let Some(r) = resolved.get_mut(i) {
                *r = m;
            }
        }
        let what = if plain {
            AllocKind::PlainTuple
        } else {
            AllocKind::Tuple
        };
        let bytes = canonical_size(len, 0);
        let quiet = self.quiet_tuple(len, what);
        if !quiet {
            // Code may run from here on (the policy's hook, finalizers
            // due), and it may swap heaps through `Scope::heap`: a tuple
            // made as a local is then refused (see `push_local_on`).
            let stack = self.locals.stamp();
            let collected = P::before_alloc(self, what).and_then(|()| {
                self.room_for(bytes)
                    .inspect_err(|_| P::alloc_refused(self, what))
            });
            self.finish();
            collected?;
            if !rooted && self.locals.stamp() != stack {
                return Err(GcError::ForeignHandle);
            }
        }
        let mut slots = match self
            .reserve_entry(rooted)
            .and_then(|()| self.slot_arena.alloc(len))
        {
            Ok(slots) => slots,
            Err(e) => {
                P::alloc_refused(self, what);
                return Err(e);
            }
        };
        // Otherwise each member is resolved again: code run by the
        // policy's hook (a `gc.callbacks` function, a finalizer) may have
        // released a member's handle, and with it the member. Then the
        // members taken so far are given back (each still has its root, so
        // none is freed) and nothing is made.
        for i in 0..len {
            let m = if quiet {
                // `len <= INLINE_MAX`: every member was kept.
                Ok(resolved.get(i).copied().flatten())
            } else {
                member(self, i)
            };
            match m {
                Ok(Some(r)) => {
                    if !TAKE {
                        self.inc(r);
                    }
                    self.slot_arena.get_mut(&mut slots)[i] = Some(r);
                }
                Ok(None) => {}
                Err(e) => {
                    for j in 0..i {
                        let taken = self.slot_arena.get_mut(&mut slots)[j].take();
                        if !TAKE {
                            self.dec_slot(taken);
                        }
                    }
                    // (The policy's count stays, as when this check came
                    // before the room was taken.)
                    self.slot_arena.free(slots);
                    return Err(e);
                }
            }
        }
        Ok(self.new_object(
            what,
            flags::TUPLE | flags::LAST_FIRST,
            slots,
            Box::default(),
        ))
    }

    /// Can a tuple of `len` slots be made without running any code: the
    /// policy's hook runs none, the limit is far and no hook finalizer is
    /// due, so `room_for` and `finish` would do nothing (they are
    /// skipped), and no member can be released before it is taken. The
    /// policy is asked last: answering `true`, it has counted the tuple.
    #[inline(always)]
    fn quiet_tuple(&mut self, len: usize, what: AllocKind) -> bool {
        len <= INLINE_MAX
            && !self.limit.would_exceed(canonical_size(len, 0))
            && !self.embed.needs_finish()
            && P::quiet_before_alloc(self, what)
    }

    /// [`Collector::alloc_tuple_taking_locals`] of a pair whose members
    /// are the two counted locals on top, made by [`Self::quiet_pair`]:
    /// their counts move into the pair, which takes the lower one's place
    /// (two entries popped, one pushed: no room needed on the stack).
    /// `None`: not that case, nothing changed (the general path runs).
    #[inline(always)]
    fn take_top_pair(&mut self) -> Result<Option<usize>, GcError> {
        let Some((first, [a, b])) = self.locals.top_counted_pair() else {
            return Ok(None);
        };
        let (Some(a), Some(b)) = (ObjRef::from_raw(a), ObjRef::from_raw(b)) else {
            return Ok(None);
        };
        Ok(self
            .quiet_pair([Some(a), Some(b)])?
            .map(|r| self.locals.replace_top_pair(first, r.raw())))
    }

    /// The pair of `members` (resolved; their counts not raised for it)
    /// when nothing can run during its allocation: no collection, no hook,
    /// the heap limit far. What [`Self::tuple_object`] does then, without
    /// resolving the members twice. `None`: not that case, nothing changed.
    #[inline(always)]
    fn quiet_pair(&mut self, members: [Slot; 2]) -> Result<Option<ObjRef>, GcError> {
        let plain = P::sorts_plain_tuples(self)
            && members
                .iter()
                .all(|m| m.is_none_or(|r| !P::may_be_tracked(self, r)));
        let what = if plain {
            AllocKind::PlainTuple
        } else {
            AllocKind::Tuple
        };
        if !self.quiet_tuple(2, what) {
            return Ok(None);
        }
        let mut slots = match self
            .reserve_entry(false)
            .and_then(|()| self.slot_arena.alloc(2))
        {
            Ok(slots) => slots,
            Err(e) => {
                P::alloc_refused(self, what);
                return Err(e);
            }
        };
        self.slot_arena
            .get_mut(&mut slots)
            .copy_from_slice(&members);
        Ok(Some(self.new_object(
            what,
            flags::TUPLE | flags::LAST_FIRST,
            slots,
            Box::default(),
        )))
    }

    /// What slot `index` of the object `object` roots holds.
    #[inline]
    fn slot_value(&self, object: Handle, index: usize) -> Result<Slot, GcError> {
        let r = self.resolve(object)?;
        let h = self.header(r);
        self.slot_arena
            .get(&h.slots)
            .get(index)
            .copied()
            .ok_or(GcError::SlotOutOfRange {
                index,
                len: h.slots.len(),
                kind: h.kind().map_or("weakref", Kind::name),
            })
    }

    fn node_to_write(&self, object: Handle, index: usize) -> Result<ObjRef, GcError> {
        let r = self.node(object)?;
        let h = self.header(r);
        if index >= h.slots.len() {
            return Err(GcError::SlotOutOfRange {
                index,
                len: h.slots.len(),
                kind: "node",
            });
        }
        Ok(r)
    }

    /// The node `object` roots (tuples and atoms are immutable).
    #[inline]
    fn node(&self, object: Handle) -> Result<ObjRef, GcError> {
        let r = self.resolve(object)?;
        match self.header(r).kind() {
            Some(Kind::Node) => Ok(r),
            Some(kind) => Err(GcError::Immutable(kind)),
            None => Err(GcError::StaleHandle),
        }
    }

    fn resolve_weak(&self, w: WeakHandle) -> Result<ObjRef, GcError> {
        self.weak_roots.get(w)
    }
}

impl<P: RcPolicy> Drop for RcHeap<P> {
    fn drop(&mut self) {
        embed::report_leaks(self);
    }
}

/// A view of one object of an [`RcHeap`]: the heap and the object's
/// header. Two pointers, passed in registers: a step of a walk is one
/// bounds-checked index into the header table, and the slots of an object
/// with up to two are read from its header itself.
#[derive(Debug)]
pub struct RcView<'a, P: RcPolicy> {
    heap: &'a RcHeap<P>,
    header: &'a Header<P::Extra>,
}

impl<P: RcPolicy> Clone for RcView<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: RcPolicy> Copy for RcView<'_, P> {}

impl<'a, P: RcPolicy> RcView<'a, P> {
    #[cold]
    fn out_of_range(self, index: usize) -> GcError {
        GcError::SlotOutOfRange {
            index,
            len: self.header.slots.len(),
            kind: self.kind().name(),
        }
    }

    #[inline(always)]
    fn new(heap: &'a RcHeap<P>, object: ObjRef) -> Self {
        RcView {
            heap,
            header: heap.header(object),
        }
    }

    /// Slot `index` of an object whose slots are in the arena.
    #[inline(never)]
    fn arena_slot(self, index: usize) -> Result<Slot, GcError> {
        match self.heap.slot_arena.get(&self.header.slots).get(index) {
            Some(&s) => Ok(s),
            None => Err(self.out_of_range(index)),
        }
    }

    /// The object's index in the header table (the header is an element
    /// of `heap.objects`, so the distance is an exact multiple).
    fn index(self) -> usize {
        let base = self.heap.objects.as_ptr() as usize;
        (self.header as *const Header<P::Extra> as usize - base)
            / std::mem::size_of::<Header<P::Extra>>()
    }
}

impl<'a, P: RcPolicy> ObjectView<'a> for RcView<'a, P> {
    fn kind(self) -> Kind {
        // A view is made only from a root or a slot: never a weak
        // reference object or a free entry.
        self.header.kind().unwrap_or(Kind::Atom)
    }
    fn id(self) -> ObjectId {
        ObjectId(self.heap.ids[self.index()])
    }
    fn slot_count(self) -> usize {
        self.header.slots.len()
    }
    #[inline(always)]
    fn slot(self, index: usize) -> Result<Option<Self>, GcError> {
        // Objects of up to two slots keep them in the header: the arena
        // path stays out of line, so that a walk keeps only the header
        // table in registers.
        let slot = match self.header.slots.inline_slots() {
            Some(slots) => match slots.get(index) {
                Some(&s) => s,
                None => return Err(self.out_of_range(index)),
            },
            None => self.arena_slot(index)?,
        };
        Ok(slot.map(|object| RcView::new(self.heap, object)))
    }
    fn payload(self) -> &'a [u8] {
        &self.heap.payloads[self.index()]
    }
    fn same(self, other: Self) -> bool {
        std::ptr::eq(self.header, other.header)
    }
}

impl<P: RcPolicy> RcHeap<P> {
    /// Ends an operation that may have freed objects: runs the finalizer
    /// hook on what is due.
    #[inline]
    fn finish(&mut self) {
        if self.embed.needs_finish() {
            embed::finish(self);
        }
    }
}

impl<P: RcPolicy> Collector for RcHeap<P> {
    const TRAITS: Traits = P::TRAITS;
    type Config = P::Config;
    type View<'a>
        = RcView<'a, P>
    where
        Self: 'a;

    fn with_config(config: Self::Config) -> Result<Self, GcError> {
        RcHeap::new(&config)
    }

    #[inline]
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError> {
        // `reserve_entry` made room for the root.
        let made = self.alloc_object(shape, true).map(|r| self.roots.insert(r));
        self.finish();
        made
    }

    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError> {
        let member = |heap: &Self, i: usize| members[i].map(|h| heap.resolve(h)).transpose();
        let r = self.tuple_object::<false>(members.len(), member, true)?;
        Ok(self.roots.insert(r))
    }

    #[inline]
    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError> {
        let r = self.resolve(handle)?;
        self.reserve_root()?;
        self.inc(r);
        Ok(self.roots.insert(r))
    }

    #[inline]
    fn release(&mut self, handle: Handle) -> Result<(), GcError> {
        let r = if handle.local_place().is_some() {
            match self.locals.take(handle)? {
                Some(Held::Counted(raw)) => ObjRef::from_raw(raw).ok_or(GcError::StaleHandle)?,
                _ => return Err(GcError::StaleHandle),
            }
        } else {
            self.roots.remove(handle)?
        };
        self.dec(r);
        self.finish();
        Ok(())
    }

    #[inline]
    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError> {
        let Some(v) = self.slot_value(object, index)? else {
            return Ok(None);
        };
        self.reserve_root()?;
        self.inc(v);
        Ok(Some(self.roots.insert(v)))
    }

    #[inline]
    fn set_slot(
        &mut self,
        object: Handle,
        index: usize,
        value: Option<Handle>,
    ) -> Result<(), GcError> {
        let r = self.node_to_write(object, index)?;
        let value = value.map(|h| self.resolve(h)).transpose()?;
        if let Some(v) = value {
            self.inc(v);
        }
        let range = &mut self.objects[r.index()].slots;
        let old = std::mem::replace(&mut self.slot_arena.get_mut(range)[index], value);
        if let Some(v) = value {
            P::on_store(self, r, v);
        }
        self.dec_slot(old);
        self.finish();
        Ok(())
    }

    fn resize(&mut self, object: Handle, slots: usize) -> Result<(), GcError> {
        if slots > crate::MAX_SLOTS {
            return Err(GcError::TooLarge {
                what: "slots",
                requested: slots,
                limit: crate::MAX_SLOTS,
            });
        }
        let r = self.node(object)?;
        if slots == self.objects[r.index()].slots.len() {
            return Ok(());
        }
        let old_size = self.counted_size(r);
        let new_size = canonical_size(slots, self.payloads[r.index()].len());
        if new_size > old_size {
            let room = self.room_for(new_size - old_size);
            self.finish();
            room?;
        }
        // Again: a collection made for room may have run embedder code
        // that released the object's handle.
        let r = self.node(object)?;
        let old = self.objects[r.index()].slots;
        let new = self.slot_arena.resized(&old, slots)?;
        self.objects[r.index()].slots = new;
        self.limit.remove(old_size);
        self.limit.add(new_size);
        // The slots cut off still hold their references, in the old range,
        // which no object owns any more: drop them, then free the range.
        for i in slots..old.len() {
            let cut = self.slot_arena.slot(&old, i);
            self.dec_slot(cut);
        }
        self.slot_arena.free(old);
        self.finish();
        Ok(())
    }

    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError> {
        let r = self.resolve(object)?;
        Ok(&mut self.payloads[r.index()])
    }

    #[inline]
    fn view(&self, object: Handle) -> Result<RcView<'_, P>, GcError> {
        Ok(RcView::new(self, self.resolve(object)?))
    }

    fn set_slot_order(&mut self, object: Handle, order: crate::SlotOrder) -> Result<(), GcError> {
        let r = self.node(object)?;
        let h = &mut self.objects[r.index()];
        match order {
            crate::SlotOrder::FirstToLast => h.flags &= !flags::LAST_FIRST,
            crate::SlotOrder::LastToFirst => h.flags |= flags::LAST_FIRST,
        }
        Ok(())
    }

    fn set_finalizer(&mut self, object: Handle, finalizer: Finalizer) -> Result<(), GcError> {
        let r = self.resolve(object)?;
        // Room for what the finalizer will add when it runs (in the middle
        // of a release cascade or a collection, which must not fail).
        let before = self.header(r).flags;
        let (resurrect, hook) = if before & flags::FINALIZED != 0 {
            (0, 0)
        } else {
            match finalizer {
                Finalizer::Notify => (0, 0),
                Finalizer::Resurrect => (1, 0),
                Finalizer::Run => (0, 1),
            }
        };
        let (had_resurrect, had_hook) = Self::pending_finalizer(before);
        if resurrect > had_resurrect {
            self.saved
                .try_reserve(self.pending_resurrect + 1)
                .map_err(|_| config::refused())?;
        }
        if hook > had_hook {
            self.roots
                .try_reserve(self.hook_room(self.pending_hooks + 1))?;
            self.embed.try_reserve_queue(self.pending_hooks + 1)?;
        }
        self.forget_pending(before);
        self.pending_resurrect += resurrect;
        self.pending_hooks += hook;
        let h = self.header_mut(r);
        h.flags |= flags::HAS_FINALIZER;
        h.flags &= !(flags::RESURRECT | flags::RUN_HOOK);
        match finalizer {
            Finalizer::Notify => {}
            Finalizer::Resurrect => h.flags |= flags::RESURRECT,
            Finalizer::Run => h.flags |= flags::RUN_HOOK,
        }
        Ok(())
    }

    fn weak(&mut self, object: Handle, callback: bool) -> Result<WeakHandle, GcError> {
        let target = self.resolve(object)?;
        if !callback {
            if let Some(w) = self.weakrefs.basic_of(target) {
                self.weak_roots.try_reserve(1)?;
                self.inc(w);
                return Ok(self.weak_roots.insert(w));
            }
        }
        let collected = P::before_alloc(self, AllocKind::Weakref).and_then(|()| {
            self.room_for(canonical_size(0, 0))
                .inspect_err(|_| P::alloc_refused(self, AllocKind::Weakref))
        });
        self.finish();
        collected?;
        // Again, as in `alloc_tuple`: the hook may have released the handle.
        let target = self.resolve(object)?;
        // The registry last: nothing can fail once it has room.
        let reserved = self
            .reserve_entry(true)
            .and_then(|()| self.weak_roots.try_reserve(1))
            .and_then(|()| {
                self.weakrefs
                    .try_reserve(target)
                    .map_err(|_| config::refused())
            });
        if let Err(e) = reserved {
            P::alloc_refused(self, AllocKind::Weakref);
            return Err(e);
        }
        let bits = flags::WEAKREF | if callback { flags::WEAK_CALLBACK } else { 0 };
        let id = self.next_weak_id;
        let w = self.allocate(bits, id, SlotRange::default(), Box::default());
        self.next_weak_id += 1;
        P::after_alloc(self, w, AllocKind::Weakref);
        self.weakrefs.add(target, w, callback);
        self.objects[target.index()].flags |= flags::HAS_WEAKREFS;
        Ok(self.weak_roots.insert(w))
    }

    fn upgrade(&mut self, weak: WeakHandle) -> Result<Option<Handle>, GcError> {
        let w = self.resolve_weak(weak)?;
        let Some(t) = self.weakrefs.target(w) else {
            return Ok(None);
        };
        self.reserve_root()?;
        self.inc(t);
        Ok(Some(self.roots.insert(t)))
    }

    fn release_weak(&mut self, weak: WeakHandle) -> Result<(), GcError> {
        let w = self.weak_roots.remove(weak)?;
        self.dec(w);
        Ok(())
    }

    /// The saved list's entries as roots. Its signature has no error: when
    /// the system refuses the memory for the handles, it hands out none
    /// and the entries stay on the saved list (still roots, nothing lost).
    /// The list keeps its room for the pending `Resurrect` finalizers.
    fn take_saved(&mut self) -> Vec<Handle> {
        let n = self.saved.len();
        let mut out = Vec::new();
        if out.try_reserve_exact(n).is_err()
            || self
                .roots
                .try_reserve(n + self.hook_room(self.pending_hooks))
                .is_err()
        {
            return Vec::new();
        }
        // Each entry's count moves from the list to its root.
        out.extend(self.saved.drain(..).map(|r| self.roots.insert(r)));
        out
    }

    fn collect(&mut self, generation: Generation) -> Result<u64, GcError> {
        // Roots dropped since the last operation no longer hold anything.
        embed::release_dropped(self);
        let collected = P::collect(self, generation);
        self.finish();
        collected
    }

    fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError> {
        let outcome = P::control(self, control);
        self.finish();
        outcome
    }

    fn stats(&self) -> Stats {
        // Headers and cold entries (free entries included: the vectors
        // only grow), the slot arena, the payloads.
        let footprint = self.objects.capacity() * std::mem::size_of::<Header<P::Extra>>()
            + self.ids.capacity() * std::mem::size_of::<u64>()
            + self.payloads.capacity() * std::mem::size_of::<Box<[u8]>>()
            + self.slot_arena.held_bytes();
        Stats {
            garbage: self.garbage.len() as u64,
            saved: self.saved.len() as u64,
            footprint_bytes: footprint as u64 + self.stats.live_bytes,
            ..self.stats
        }
    }

    fn record_events(&mut self, on: bool) {
        self.events.set_recording(on);
    }

    fn drain_events(&mut self, out: &mut Vec<Event>) -> Result<(), GcError> {
        self.events.drain_into(out)
    }

    fn root_count(&self) -> usize {
        self.roots.len() + self.locals.object_count()
    }

    fn embed_state(&mut self) -> &mut EmbedState<Self> {
        &mut self.embed
    }

    fn embed_state_ref(&self) -> &EmbedState<Self> {
        &self.embed
    }

    // The scopes' locals hold counts, not table roots.
    #[inline]
    fn local_stack(&mut self, _: LocalsKey) -> LocalsMut<'_> {
        LocalsMut::new(&mut self.locals)
    }

    #[inline]
    fn local_stack_ref(&self, _: LocalsKey) -> &LocalStack {
        &self.locals
    }

    #[inline]
    fn alloc_local(&mut self, shape: Shape, _: LocalsKey) -> Result<usize, GcError> {
        self.locals.room_for_object()?;
        let stack = self.locals.stamp();
        let made = self
            .alloc_object(shape, false)
            .and_then(|r| self.push_local_on(stack, r));
        self.finish();
        made
    }

    #[inline]
    fn alloc_tuple_local(
        &mut self,
        members: &[Option<Handle>],
        _: LocalsKey,
    ) -> Result<usize, GcError> {
        self.locals.room_for_object()?;
        // (`tuple_object` refuses a local made after a swap.)
        let member = |heap: &Self, i: usize| members[i].map(|h| heap.resolve(h)).transpose();
        let r = self.tuple_object::<false>(members.len(), member, false)?;
        self.push_local(r)
    }

    #[inline]
    fn alloc_pair_local(
        &mut self,
        members: [Option<usize>; 2],
        _: LocalsKey,
    ) -> Result<usize, GcError> {
        self.locals.room_for_object()?;
        // (`tuple_object` refuses a local made after a swap, before it
        // takes the members again.)
        let member = |heap: &Self, i: usize| members[i].map(|p| heap.local_at(p)).transpose();
        let r = self.tuple_object::<false>(2, member, false)?;
        self.push_local(r)
    }

    /// The locals' counts move into the tuple: none is raised or dropped.
    /// Only counted locals (a root-table local, made by `Scope::adopt`,
    /// holds its count in the table, and one released by hand holds
    /// none: then `None`).
    #[inline]
    fn alloc_tuple_taking_locals(
        &mut self,
        n: usize,
        _: LocalsKey,
    ) -> Result<Option<usize>, GcError> {
        if n == 2 {
            if let Some(place) = self.take_top_pair()? {
                return Ok(Some(place));
            }
        }
        let len = self.locals.len();
        let Some(first) = len.checked_sub(n) else {
            return Ok(None);
        };
        if !(first..len).all(|p| matches!(self.locals.held(p), Ok(Held::Counted(_)))) {
            return Ok(None);
        }
        self.locals.room_for_object()?;
        // (`tuple_object` refuses a local made after a swap, before it
        // takes the members, and runs no code once it has them.) A hook
        // it runs may also leave locals on the stack above the members (a
        // scope of its own that ended while its heap was swapped out):
        // then the members are not the top, and popping the stack to them
        // would drop those locals without their counts.
        let member = |heap: &Self, i: usize| {
            if heap.locals.len() != len {
                return Err(GcError::ForeignHandle);
            }
            heap.local_at(first + i).map(Some)
        };
        let r = self.tuple_object::<true>(n, member, false)?;
        self.locals.pop_taken(first);
        self.push_local(r).map(Some)
    }

    #[inline]
    fn slot_local(
        &mut self,
        object: Handle,
        index: usize,
        _: LocalsKey,
    ) -> Result<Option<usize>, GcError> {
        let Some(v) = self.slot_value(object, index)? else {
            return Ok(None);
        };
        self.inc(v);
        self.push_local(v).map(Some)
    }

    #[inline]
    fn drop_counted_local(&mut self, index: u32, _: LocalsKey) {
        if let Some(r) = ObjRef::from_raw(index) {
            self.dec(r);
            self.finish();
        }
    }
}

impl<P: RcPolicy> Inspect for RcHeap<P> {
    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError> {
        Ok(WeakId(self.id(self.resolve_weak(weak)?)))
    }

    fn live_objects(&self) -> Result<Vec<ObjectId>, GcError> {
        let live = self
            .objects
            .iter()
            .zip(&self.ids)
            .filter(|(h, _)| !h.has(flags::FREE) && h.kind_bits() != flags::WEAKREF)
            .map(|(_, &id)| ObjectId(id));
        crate::config::try_collect(self.table_len(), live)
    }

    fn root_list(&self, list: RootList) -> Result<Vec<ObjectId>, GcError> {
        let list = match list {
            RootList::Saved => &self.saved,
            RootList::Garbage => &self.garbage,
        };
        crate::config::try_collect(list.len(), list.iter().map(|&r| ObjectId(self.id(r))))
    }
}
