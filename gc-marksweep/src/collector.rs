//! The heap and its [`Collector`] implementation: allocation (nursery fast
//! path, large-object path), handles, slots, finalizers, weak references,
//! explicit collections and controls.

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::time::Instant;

use gc_core::embed::{self, EmbedState, ObjectView};
use gc_core::{
    CollectDetail, CollectKind, Collection, Collector, Control, ControlOutcome, Event, EventLog,
    Finalizer, GcError, Generation, Handle, HeapId, Kind, ObjectId, RootList, RootTable, Shape,
    Stats, Traits, Trigger, WeakHandle, WeakId,
};

use crate::config::MarkSweepConfig;
use crate::header::{
    Access, Block, FIN_HOOK, FIN_RESURRECT, FINALIZED, HAS_CARDS, HAS_FINALIZER, LARGE, MAX_ID,
    OLD, ObjPtr, ObjRef, TRACK_YOUNG_PTRS, VISITED, card_words, init_object, make_tid,
    object_bytes,
};
use crate::nursery::Nursery;
use crate::pages::{self, PageAllocator, SMALL_REQUEST_THRESHOLD};
use crate::phases::State;
use crate::weak::{WeakEntry, WeakTable};

/// The old generation and the collector's work lists: everything a minor
/// collection's copying touches, apart from the roots (so both can be
/// borrowed at once).
#[derive(Debug, Default)]
pub(crate) struct OldGen {
    pub(crate) pages: PageAllocator,
    /// Large objects outside the sweep (PyPy's `old_rawmalloced_objects`).
    pub(crate) large: Vec<ObjPtr>,
    /// Large objects waiting for the sweeper (`raw_malloc_might_sweep`).
    pub(crate) sweep_large: Vec<ObjPtr>,
    pub(crate) large_bytes: usize,
    /// The remembered set: old objects written since the last minor
    /// collection (their `TRACK_YOUNG_PTRS` is clear).
    pub(crate) old_objects_pointing_to_young: Vec<ObjPtr>,
    /// Large nodes with a dirty card (`CARDS_SET`).
    pub(crate) old_objects_with_cards_set: Vec<ObjPtr>,
    /// Grey objects (pushed, not yet visited), including the white
    /// referents of black objects written since the last minor collection.
    pub(crate) objects_to_trace: Vec<ObjPtr>,
    /// Roots' referents greyed by minor collections during marking.
    pub(crate) more_objects_to_trace: Vec<ObjPtr>,
    /// This minor collection so far: bytes, objects and payload promoted.
    pub(crate) surviving_bytes: usize,
    pub(crate) surviving_objects: u64,
    pub(crate) surviving_payload: u64,
    /// Slots rescanned through cards, ever.
    pub(crate) card_slots_scanned: u64,
    /// Test builds: the write barrier is off.
    #[cfg(test)]
    pub(crate) no_barrier: bool,
}

impl OldGen {
    /// PyPy's `get_total_memory_used`: page blocks plus large objects (the
    /// nursery is not counted).
    pub(crate) fn total_used(&self) -> usize {
        self.pages.used_bytes() + self.large_bytes
    }

    /// Room for a promoted object of `bytes`: a page block up to 280
    /// bytes, else an individual allocation. Returns the extra header flags.
    pub(crate) fn alloc_old(&mut self, bytes: usize) -> (NonNull<u64>, u64) {
        if bytes <= SMALL_REQUEST_THRESHOLD {
            (self.pages.alloc(bytes), 0)
        } else {
            self.large_bytes += bytes;
            (pages::alloc_large(bytes, 0), LARGE)
        }
    }

    /// Registers a promoted large object.
    pub(crate) fn note_large(&mut self, obj: ObjRef<'_>) {
        self.large.push(obj.ptr());
    }
}

/// Counters beyond [`Stats`]: what PyPy's `gc-minor` and `gc-collect-*`
/// logs print.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MarkSweepStats {
    /// Minor collections (explicit and automatic, inside full ones too).
    pub minors: u64,
    /// Major collection steps.
    pub major_steps: u64,
    /// Completed major cycles (PyPy's `num_major_collects`).
    pub majors: u64,
    /// Bytes copied out of the nursery.
    pub bytes_promoted: u64,
    /// Objects copied out of the nursery.
    pub objects_promoted: u64,
    /// Slots of large nodes rescanned through dirty cards by minor
    /// collections (a card is 128 slots).
    pub card_slots_scanned: u64,
    /// The largest old generation seen, in bytes.
    pub peak_old_bytes: u64,
    /// Old generation in use now: page blocks plus large objects.
    pub old_bytes: u64,
    /// Bytes in page blocks.
    pub page_bytes_used: u64,
    /// Bytes of arenas held (page-allocator fragmentation =
    /// `arena_bytes - page_bytes_used`).
    pub arena_bytes: u64,
    /// Arenas held.
    pub arenas: u64,
    /// Bytes in large objects.
    pub large_bytes: u64,
    /// The longest minor collection.
    pub max_minor_pause_ns: u64,
    /// The longest major step.
    pub max_step_pause_ns: u64,
    /// Time in minor collections.
    pub minor_time_ns: u64,
    /// Time in major steps.
    pub major_time_ns: u64,
    /// The next major collection starts at this many bytes of old generation.
    pub next_major_threshold: f64,
}

/// PyPy's counters for the major-collection pacing.
#[derive(Debug, Default)]
pub(crate) struct Pacing {
    pub(crate) next_major_threshold: f64,
    pub(crate) next_major_initial: f64,
    pub(crate) min_heap: f64,
    pub(crate) max_heap: f64,
    pub(crate) max_delta: f64,
    pub(crate) size_objects_made_old: usize,
    pub(crate) threshold_objects_made_old: usize,
    pub(crate) kept_alive_by_finalizer: usize,
    /// Marking steps of this cycle that ended with work left once the
    /// mutator was outpacing the marking (each adds one normal budget; see
    /// `phases.rs`).
    pub(crate) chasing_steps: u32,
    /// Old-generation bytes when this cycle's marking started.
    pub(crate) used_at_cycle_start: usize,
    /// Bytes this cycle's marking has marked so far.
    pub(crate) marked_in_cycle: usize,
    /// Bytes the last minor collection promoted (`nursery_surviving_size`).
    pub(crate) last_surviving: usize,
}

/// A view of one object of an [`IncMiniMark`] heap: its address, valid
/// while the heap is borrowed (nothing moves or dies without `&mut`).
#[derive(Clone, Copy, Debug)]
pub struct MsView<'a> {
    obj: ObjRef<'a>,
}

impl<'a> ObjectView<'a> for MsView<'a> {
    fn kind(self) -> Kind {
        self.obj.kind()
    }
    fn id(self) -> ObjectId {
        self.obj.id()
    }
    fn slot_count(self) -> usize {
        self.obj.slot_count()
    }
    #[inline(always)]
    fn slot(self, index: usize) -> Result<Option<Self>, GcError> {
        let slots = self.obj.slots();
        match slots.get(index) {
            Some(slot) => Ok(slot.get().map(|obj| MsView { obj })),
            None => Err(GcError::SlotOutOfRange {
                index,
                len: slots.len(),
                kind: self.obj.kind().name(),
            }),
        }
    }
    fn payload(self) -> &'a [u8] {
        self.obj.payload()
    }
    fn same(self, other: Self) -> bool {
        self.obj == other.obj
    }
}

/// PyPy's incminimark: a bump-allocated nursery, minor collections copying
/// survivors into a size-class old generation, and an incremental
/// mark-and-sweep of the old generation in bounded steps. See the [crate
/// docs](crate).
#[derive(Debug)]
pub struct IncMiniMark {
    pub(crate) config: MarkSweepConfig,
    /// The right to read objects (see `header.rs`): borrowed by every
    /// `ObjRef`, taken `&mut` by whatever frees or moves objects.
    pub(crate) access: Access,
    pub(crate) roots: RootTable<ObjPtr>,
    pub(crate) weaks: WeakTable,
    next_weak_id: u64,
    next_id: u64,
    pub(crate) nursery: Nursery,
    /// Objects (and their payload bytes) allocated in the nursery since the
    /// last minor collection.
    pub(crate) young_objects: u64,
    pub(crate) young_payload: u64,
    pub(crate) old: OldGen,
    /// The saved list (a root): objects resurrected by finalizers.
    pub(crate) saved: Vec<ObjPtr>,
    /// Nursery objects given a finalizer (PyPy's
    /// `probably_young_objects_with_finalizers`).
    pub(crate) young_with_finalizers: Vec<ObjPtr>,
    /// Old objects with a finalizer, in registration order.
    pub(crate) old_with_finalizers: VecDeque<ObjPtr>,
    /// Finalizers decided at the end of marking, run right after.
    pub(crate) finalizers_to_run: Vec<ObjPtr>,
    pub(crate) state: State,
    pub(crate) pacing: Pacing,
    /// `gc enable`/`gc disable`: automatic major collections on or off.
    pub(crate) enabled: bool,
    pub(crate) stats: Stats,
    pub(crate) gc: MarkSweepStats,
    pub(crate) events: EventLog,
    /// The embedding layer's state (the finalizer hook and its queue).
    pub(crate) embed: EmbedState<IncMiniMark>,
    /// Inside an explicit collection: its minors and steps are reported as
    /// one event.
    pub(crate) quiet: bool,
    /// Objects and bytes promoted since the last collect event: the
    /// `promoted_*` of the next [`CollectDetail`].
    pub(crate) unreported_promoted: (u64, u64),
    large_threshold: usize,
}

// SAFETY: the heap owns every object it points to (nursery chunk, arenas,
// large allocations); no pointer is shared with another value or thread, so
// moving the whole heap to another thread is sound.
unsafe impl Send for IncMiniMark {}

impl Drop for IncMiniMark {
    fn drop(&mut self) {
        embed::report_leaks(self);
        for obj in self
            .old
            .large
            .drain(..)
            .chain(self.old.sweep_large.drain(..))
        {
            // SAFETY: every large object is on exactly one of these lists
            // until freed; the heap is going away, so nothing uses it again.
            unsafe { pages::free_large(obj, &mut self.access) };
        }
    }
}

impl IncMiniMark {
    /// The kind of a minor collection (generation 0).
    pub const MINOR: CollectKind = CollectKind::named("minor");
    /// The kind of one step of an incremental major collection
    /// (generation 2; the step's minor collection is its own event).
    pub const MAJOR_STEP: CollectKind = CollectKind::named("major-step");
    /// The kind of a major collection run to its end at once (generation 2).
    pub const MAJOR: CollectKind = CollectKind::named("major");

    /// The configuration in use.
    pub fn config(&self) -> &MarkSweepConfig {
        &self.config
    }

    /// PyPy-style counters: minors, steps, majors, promoted bytes, old
    /// generation and page-allocator sizes, pauses.
    pub fn gc_stats(&self) -> MarkSweepStats {
        let mut s = self.gc;
        s.old_bytes = self.old.total_used() as u64;
        s.page_bytes_used = self.old.pages.used_bytes() as u64;
        s.arena_bytes = self.old.pages.arena_bytes() as u64;
        s.arenas = self.old.pages.arenas_count() as u64;
        s.large_bytes = self.old.large_bytes as u64;
        s.card_slots_scanned = self.old.card_slots_scanned;
        s.next_major_threshold = self.pacing.next_major_threshold;
        s
    }

    /// The phase of the major collection (`"scanning"`, `"marking"`,
    /// `"sweeping"` or `"finalizing"`).
    pub fn phase(&self) -> &'static str {
        self.state.name()
    }

    /// Checks the heap's invariants (every reference leads to an object
    /// of this heap, the write barrier's remembered set is complete, no
    /// black object points at a white one during marking…). The zeal
    /// configuration runs it after every collection; it is slow.
    pub fn check_heap(&self) -> Result<(), String> {
        self.check()
    }

    /// One minor collection followed by one major step (PyPy's
    /// `gc.collect_step()`), whatever `gc disable` says.
    pub fn collect_step(&mut self) {
        self.minor_collection(Trigger::Explicit);
        self.major_collection_step(0.0, false, Trigger::Explicit);
        self.finish();
    }

    /// Ends an operation that may have collected: runs the finalizer hook
    /// on the objects a major collection queued for it.
    #[inline]
    fn finish(&mut self) {
        if self.embed.needs_finish() {
            embed::finish(self);
        }
    }

    /// Reports a collection with its [`CollectDetail`] (memory counters
    /// as they are now, at its end). A minor collection counts as
    /// generation 0, a major one or a step of one as generation 2.
    pub(crate) fn record_event(
        &mut self,
        trigger: Trigger,
        kind: CollectKind,
        collected: u64,
        pause_ns: u64,
    ) {
        self.note_old_size();
        let (promoted_objects, promoted_bytes) = std::mem::take(&mut self.unreported_promoted);
        let pages = &self.old.pages;
        let detail = CollectDetail {
            promoted_objects,
            promoted_bytes,
            old_bytes: self.old.total_used() as u64,
            peak_old_bytes: self.gc.peak_old_bytes,
            pages_reserved_bytes: pages.arena_bytes() as u64,
            pages_used_bytes: pages.used_bytes() as u64,
            large_bytes: self.old.large_bytes as u64,
        };
        let generation = if kind == Self::MINOR {
            Generation::YOUNGEST
        } else {
            Generation::FULL
        };
        self.events.record_collection(
            &mut self.stats,
            Collection {
                trigger,
                generation,
                kind,
                collected,
                uncollectable: 0,
                pause_ns,
                detail: Some(detail),
            },
        );
    }

    pub(crate) fn note_old_size(&mut self) {
        let used = self.old.total_used() as u64;
        self.gc.peak_old_bytes = self.gc.peak_old_bytes.max(used);
    }

    fn fresh_id(&mut self) -> Result<u64, GcError> {
        if self.next_id > MAX_ID {
            return Err(GcError::TooMany {
                what: "object ids",
                limit: MAX_ID,
            });
        }
        let id = self.next_id;
        self.next_id += 1;
        Ok(id)
    }

    /// Allocates an object and initialises it (nil slots, zero payload).
    #[inline]
    fn allocate(&mut self, kind: Kind, slots: usize, payload: usize) -> Result<ObjPtr, GcError> {
        let bytes = object_bytes(slots, payload);
        if bytes >= self.large_threshold {
            return self.allocate_large(kind, slots, payload, bytes);
        }
        if self.config.zeal {
            self.collect_and_reserve()?;
        }
        // The id first: once the nursery has handed out the bytes, they
        // must hold an object (the nursery walk parses them).
        let id = self.fresh_id()?;
        let ptr = match self.nursery.alloc(bytes) {
            Some(p) => p,
            None => {
                if let Err(e) = self.collect_and_reserve() {
                    self.next_id -= 1;
                    return Err(e);
                }
                self.nursery
                    .alloc(bytes)
                    .expect("an empty nursery has room")
            }
        };
        // SAFETY: the nursery returned `bytes` writable, aligned bytes.
        let obj = unsafe { init_object(ptr, make_tid(kind, id, 0), slots, payload) };
        self.young_objects += 1;
        self.young_payload += payload as u64;
        self.stats.on_alloc(payload as u64);
        Ok(obj)
    }

    /// The nursery is full: a minor collection with major progress (PyPy's
    /// `collect_and_reserve`), then the heap limit.
    #[cold]
    fn collect_and_reserve(&mut self) -> Result<(), GcError> {
        self.minor_collection_with_major_progress(0.0, false);
        self.check_limit(0)
    }

    /// `OutOfMemory` when the old generation plus `extra` bytes would
    /// exceed `max_heap` even after a full collection.
    fn check_limit(&mut self, extra: usize) -> Result<(), GcError> {
        let max = self.config.max_heap;
        if max == 0 || self.old.total_used() + extra <= max {
            return Ok(());
        }
        self.full_collection(Trigger::Auto);
        if self.old.total_used() + extra > max {
            return Err(GcError::OutOfMemory { limit: max as u64 });
        }
        Ok(())
    }

    /// PyPy's `external_malloc`: a large object is born old, in its own
    /// allocation, with cards when it has slots.
    #[cold]
    fn allocate_large(
        &mut self,
        kind: Kind,
        slots: usize,
        payload: usize,
        bytes: usize,
    ) -> Result<ObjPtr, GcError> {
        let reserve = bytes as f64 + (self.nursery.capacity() / 2) as f64;
        if self.enabled && self.threshold_reached(bytes as f64) {
            self.minor_collection_with_major_progress(reserve, false);
        }
        self.check_limit(bytes)?;
        let id = self.fresh_id()?;
        let cards = if slots > 0 { card_words(slots) } else { 0 };
        let ptr = pages::alloc_large(bytes, cards);
        let mut flags = OLD | LARGE | TRACK_YOUNG_PTRS;
        if cards > 0 {
            flags |= HAS_CARDS;
        }
        // SAFETY: `alloc_large` returned `bytes` writable bytes after the
        // zeroed card words.
        let obj = unsafe { init_object(ptr, make_tid(kind, id, flags), slots, payload) };
        self.old.large_bytes += bytes;
        self.old.large.push(obj);
        self.stats.on_alloc(payload as u64);
        self.note_old_size();
        Ok(obj)
    }

    #[inline]
    fn get(&self, h: Handle) -> Result<ObjRef<'_>, GcError> {
        open_root(&self.roots, &self.access, h)
    }

    /// An explicit or automatic full collection: finishes the cycle in
    /// progress, then runs a whole new one (PyPy's
    /// `minor_and_major_collection`), reported as one `major` event.
    pub(crate) fn full_collection(&mut self, trigger: Trigger) -> u64 {
        let started = Instant::now();
        let freed_before = self.stats.freed;
        let was_quiet = std::mem::replace(&mut self.quiet, true);
        self.minor_collection(trigger);
        while self.state != State::Scanning {
            self.major_collection_step(0.0, true, trigger);
            self.minor_if_needed(trigger);
        }
        self.major_collection_step(0.0, true, trigger);
        while self.state != State::Scanning {
            self.minor_if_needed(trigger);
            self.major_collection_step(0.0, true, trigger);
        }
        self.quiet = was_quiet;
        let freed = self.stats.freed - freed_before;
        if !self.quiet {
            self.record_event(
                trigger,
                Self::MAJOR,
                freed,
                started.elapsed().as_nanos() as u64,
            );
        }
        freed
    }

    /// Inside a full collection: a minor collection only when the mutator
    /// (a finalizer run) could have changed something since the last one.
    fn minor_if_needed(&mut self, trigger: Trigger) {
        if self.nursery.used() > 0
            || !self.old.old_objects_pointing_to_young.is_empty()
            || !self.old.old_objects_with_cards_set.is_empty()
            || !self.young_with_finalizers.is_empty()
        {
            self.minor_collection(trigger);
        }
    }
}

impl Collector for IncMiniMark {
    const TRAITS: Traits = Traits {
        name: "marksweep",
        summary: "PyPy's incminimark: bump nursery, copying minors, incremental mark-sweep of a paged old generation",
        frees_objects: true,
        collects_cycles: true,
        moves_objects: true,
        write_barrier: true,
        incremental: true,
        generational: true,
        reference_counting: false,
        frees_finalized_later: true,
    };
    type Config = MarkSweepConfig;
    type View<'a> = MsView<'a>;

    fn with_config(config: MarkSweepConfig) -> Result<Self, GcError> {
        let heap = HeapId::fresh();
        let nursery = Nursery::new(config.nursery_bytes()).ok_or_else(|| {
            GcError::Config(format!(
                "nursery: cannot allocate {} bytes",
                config.nursery_bytes()
            ))
        })?;
        let large_threshold = config.large_object.min(nursery.capacity() + 1);
        let min_heap = config.min_heap_bytes();
        let pacing = Pacing {
            next_major_threshold: min_heap,
            next_major_initial: min_heap,
            min_heap,
            max_heap: config.max_heap as f64,
            max_delta: config.max_delta_bytes(),
            threshold_objects_made_old: nursery.capacity() / 2,
            ..Pacing::default()
        };
        #[cfg(test)]
        let no_barrier = config.no_barrier;
        let mut heap = IncMiniMark {
            // SAFETY: one token for this heap; its memory is freed only by
            // `Nursery::reset`, `PageAllocator::sweep` and `free_large`,
            // which take it `&mut`, or when the heap is dropped.
            access: unsafe { Access::new() },
            roots: RootTable::new(heap),
            weaks: WeakTable::new(heap),
            next_weak_id: 0,
            next_id: 0,
            nursery,
            young_objects: 0,
            young_payload: 0,
            old: OldGen::default(),
            saved: Vec::new(),
            young_with_finalizers: Vec::new(),
            old_with_finalizers: VecDeque::new(),
            finalizers_to_run: Vec::new(),
            state: State::Scanning,
            pacing,
            enabled: true,
            stats: Stats::default(),
            gc: MarkSweepStats::default(),
            events: EventLog::default(),
            embed: EmbedState::default(),
            quiet: false,
            unreported_promoted: (0, 0),
            large_threshold,
            config,
        };
        #[cfg(test)]
        {
            heap.old.no_barrier = no_barrier;
        }
        heap.gc.next_major_threshold = heap.pacing.next_major_threshold;
        Ok(heap)
    }

    #[inline]
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError> {
        shape.check()?;
        let obj = self.allocate(shape.kind(), shape.slots(), shape.payload());
        let made = obj.map(|obj| self.roots.insert(obj));
        self.finish();
        made
    }

    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError> {
        // Check every member first: an error leaves the heap unchanged.
        for m in members.iter().flatten() {
            self.get(*m)?;
        }
        Shape::Node {
            slots: members.len(),
            payload: 0,
        }
        .check()?;
        // The allocation may move the members: they are opened after it
        // (the borrow checker would refuse an `ObjRef` held across it).
        let ptr = match self.allocate(Kind::Tuple, members.len(), 0) {
            Ok(ptr) => ptr,
            Err(e) => {
                self.finish();
                return Err(e);
            }
        };
        // SAFETY: just allocated, so live; nothing collects before it is
        // rooted below.
        let obj = unsafe { ptr.open(&self.access) };
        for (slot, m) in obj.slots().iter().enumerate().zip(members) {
            if let Some(h) = m {
                let value = open_root(&self.roots, &self.access, *h)?;
                self.old.write_barrier(obj, slot.0);
                slot.1.set(Some(value));
            }
        }
        // Rooted before any finalizer hook runs: a hook may allocate, and
        // a collection then moves the tuple.
        let handle = self.roots.insert(ptr);
        self.finish();
        Ok(handle)
    }

    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError> {
        let obj = self.roots.get(handle)?;
        Ok(self.roots.insert(obj))
    }

    fn release(&mut self, handle: Handle) -> Result<(), GcError> {
        self.roots.remove(handle).map(drop)
    }

    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError> {
        let obj = open_root(&self.roots, &self.access, object)?;
        let slots = obj.slots();
        let slot = slots.get(index).ok_or(GcError::SlotOutOfRange {
            index,
            len: slots.len(),
            kind: obj.kind().name(),
        })?;
        Ok(slot.get().map(|v| self.roots.insert(v.ptr())))
    }

    #[inline]
    fn set_slot(
        &mut self,
        object: Handle,
        index: usize,
        value: Option<Handle>,
    ) -> Result<(), GcError> {
        let obj = open_root(&self.roots, &self.access, object)?;
        let value = match value {
            Some(h) => Some(open_root(&self.roots, &self.access, h)?),
            None => None,
        };
        let kind = obj.kind();
        if kind != Kind::Node {
            return Err(GcError::Immutable(kind));
        }
        let slots = obj.slots();
        let slot = slots.get(index).ok_or(GcError::SlotOutOfRange {
            index,
            len: slots.len(),
            kind: "node",
        })?;
        self.old.write_barrier(obj, index);
        slot.set(value);
        Ok(())
    }

    fn kind(&self, object: Handle) -> Result<Kind, GcError> {
        Ok(self.get(object)?.kind())
    }

    fn slot_count(&self, object: Handle) -> Result<usize, GcError> {
        Ok(self.get(object)?.slot_count())
    }

    fn payload(&self, object: Handle) -> Result<&[u8], GcError> {
        Ok(self.get(object)?.payload())
    }

    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError> {
        let obj = self.get(object)?;
        // SAFETY: `&mut self` makes the slice unique: every other payload
        // slice borrows the heap, and the collector never touches payload
        // bytes except to copy them during a collection, which cannot run
        // while it is borrowed.
        Ok(unsafe { obj.payload_mut() })
    }

    fn object_id(&self, object: Handle) -> Result<ObjectId, GcError> {
        Ok(self.get(object)?.id())
    }

    #[inline]
    fn view(&self, object: Handle) -> Result<MsView<'_>, GcError> {
        Ok(MsView {
            obj: self.get(object)?,
        })
    }

    fn set_finalizer(&mut self, object: Handle, finalizer: Finalizer) -> Result<(), GcError> {
        let obj = open_root(&self.roots, &self.access, object)?;
        if obj.has(FINALIZED) {
            return Ok(()); // at most once per object (PEP 442)
        }
        match finalizer {
            Finalizer::Resurrect => {
                obj.remove(FIN_HOOK);
                obj.add(FIN_RESURRECT);
            }
            Finalizer::Notify => obj.remove(FIN_RESURRECT | FIN_HOOK),
            // The hook may keep the object: it is ordered as a resurrecting
            // finalizer's (PyPy's finalizer queue).
            Finalizer::Run => obj.add(FIN_RESURRECT | FIN_HOOK),
        }
        if obj.has(HAS_FINALIZER) {
            return Ok(());
        }
        obj.add(HAS_FINALIZER);
        if obj.has(OLD) {
            self.old_with_finalizers.push_back(obj.ptr());
        } else {
            self.young_with_finalizers.push(obj.ptr());
        }
        Ok(())
    }

    fn weak(&mut self, object: Handle, callback: bool) -> Result<WeakHandle, GcError> {
        let obj = self.get(object)?;
        let young = !obj.has(OLD);
        let target = Some(obj.ptr());
        let id = self.next_weak_id;
        self.next_weak_id += 1;
        let entry = WeakEntry {
            id,
            target,
            callback,
            pending: None,
        };
        Ok(self.weaks.insert(entry, young))
    }

    fn upgrade(&mut self, weak: WeakHandle) -> Result<Option<Handle>, GcError> {
        let entry = self.weaks.get(weak)?;
        Ok(entry.target.map(|t| self.roots.insert(t)))
    }

    fn release_weak(&mut self, weak: WeakHandle) -> Result<(), GcError> {
        self.weaks.remove(weak)
    }

    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError> {
        Ok(WeakId(self.weaks.get(weak)?.id))
    }

    fn take_saved(&mut self) -> Vec<Handle> {
        let saved = std::mem::take(&mut self.saved);
        self.stats.saved = 0;
        saved.into_iter().map(|o| self.roots.insert(o)).collect()
    }

    fn collect(&mut self, generation: Generation) -> Result<u64, GcError> {
        // Roots dropped since the last operation no longer hold anything.
        embed::release_dropped(self);
        let collected = if generation == Generation::FULL {
            self.full_collection(Trigger::Explicit)
        } else {
            // Nothing lies between the nursery and a full collection.
            self.minor_collection(Trigger::Explicit)
        };
        self.finish();
        Ok(collected)
    }

    fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError> {
        // None of these collects, so no finalizer can be due.
        match control {
            Control::Enable => self.enabled = true,
            Control::Disable => self.enabled = false,
            _ => return Ok(ControlOutcome::Ignored),
        }
        Ok(ControlOutcome::Applied)
    }

    fn stats(&self) -> Stats {
        // The nursery, the page allocator's arenas, the large objects.
        let footprint =
            self.nursery.capacity() + self.old.pages.arena_bytes() + self.old.large_bytes;
        Stats {
            footprint_bytes: footprint as u64,
            ..self.stats
        }
    }

    fn record_events(&mut self, on: bool) {
        self.events.set_recording(on);
    }

    fn drain_events(&mut self, out: &mut Vec<Event>) {
        self.events.drain_into(out);
    }

    fn root_count(&self) -> usize {
        self.roots.len()
    }

    fn embed_state(&mut self) -> &mut EmbedState<Self> {
        &mut self.embed
    }

    fn embed_state_ref(&self) -> &EmbedState<Self> {
        &self.embed
    }

    fn live_objects(&self) -> Vec<ObjectId> {
        let mut ids = Vec::new();
        self.for_each_object(|o, _| ids.push(o.id()));
        ids
    }

    fn root_list(&self, list: RootList) -> Vec<ObjectId> {
        match list {
            RootList::Saved => self
                .saved
                .iter()
                // SAFETY: the saved list is a root: live objects.
                .map(|o| unsafe { o.open(&self.access) }.id())
                .collect(),
            RootList::Garbage => Vec::new(),
        }
    }
}

impl IncMiniMark {
    /// Every object not yet freed, with the object itself when it is
    /// known to be live: not an unmarked one waiting for the sweeper.
    pub(crate) fn for_each_object<'h>(&'h self, mut f: impl FnMut(Block<'h>, Option<ObjRef<'h>>)) {
        let access = &self.access;
        // Nursery objects are live: a major step (the only freeing of old
        // objects) runs with an empty nursery, so no young object refers
        // to a freed one.
        self.nursery.for_each(access, |o| {
            // SAFETY: see above.
            f(o, Some(unsafe { o.assume_live() }));
        });
        self.old.pages.for_each(access, |o, pending| {
            // SAFETY: objects outside the sweep, and marked ones waiting
            // for it, are live.
            let live = (!pending || o.has(VISITED)).then(|| unsafe { o.assume_live() });
            f(o, live);
        });
        for &o in &self.old.large {
            // SAFETY: outside the sweep: live.
            let o = unsafe { o.open(access) };
            f(*o, Some(o));
        }
        for &o in &self.old.sweep_large {
            // SAFETY: waiting for the sweeper: allocated, maybe dead.
            let o = unsafe { o.open_block(access) };
            // SAFETY: marked: live.
            let live = o.has(VISITED).then(|| unsafe { o.assume_live() });
            f(o, live);
        }
    }
}

/// The object a root handle names.
#[inline]
fn open_root<'h>(
    roots: &RootTable<ObjPtr>,
    access: &'h Access,
    h: Handle,
) -> Result<ObjRef<'h>, GcError> {
    let ptr = roots.get(h)?;
    // SAFETY: roots are live objects (invariant in `header.rs`).
    Ok(unsafe { ptr.open(access) })
}
