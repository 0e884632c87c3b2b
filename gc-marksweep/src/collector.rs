//! The heap and its [`Collector`] implementation: allocation (nursery fast
//! path, large-object path), handles, slots, finalizers, weak references,
//! explicit collections and controls. It drives the parts — the young
//! generation and minor collection (`minor.rs`), the old generation
//! (`old.rs`), the major collector (`major.rs`), the write barrier's
//! remembered set (`barrier.rs`), the finalizers (`finalizers.rs`) and the
//! weak references (`weak.rs`) — and alone turns what they report into
//! events and statistics.

use std::time::Instant;

use gc_core::config::refused;
use gc_core::embed::{self, EmbedState, LocalStack, LocalsKey, LocalsMut, ObjectView};
use gc_core::{
    CollectDetail, CollectKind, Collection, Collector, Control, ControlOutcome, Event, EventLog,
    Finalizer, GcError, Generation, Handle, HeapId, Inspect, Kind, ObjectId, RootList, Shape,
    Stats, Traits, Trigger, WeakHandle, WeakId,
};

use crate::barrier::RememberedSet;
use crate::check::{self, Holder, Snapshot};
use crate::config::MarkSweepConfig;
use crate::finalizers::Finalizers;
use crate::header::{
    Access, Block, FIN_HOOK, FIN_RESURRECT, MAX_ID, ObjPtr, ObjRef, TRACK_YOUNG_PTRS, object_bytes,
};
use crate::major::{MajorCollector, State, StepReport, StepScope};
use crate::minor::{MinorReport, MinorScope};
use crate::roots::Roots;
use crate::space::{NoRoom, Space};
use crate::weak::WeakTable;

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
    /// Marking steps that marked with `parallel_mark` threads.
    pub parallel_mark_steps: u64,
    /// Time spent visiting grey objects (the marking proper, sequential or
    /// parallel; not the end of marking's finalizer ordering nor the sweep).
    pub mark_time_ns: u64,
}

/// A view of one object of an [`IncMiniMark`] heap, valid while the heap is
/// borrowed (nothing moves or dies without `&mut`).
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
        // SAFETY: a view borrows the heap for `'a`, and a minor collection
        // (the only time forwarded stubs exist) takes it `&mut`.
        let slots = unsafe { self.obj.slots_unforwarded() };
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

/// Objects and bytes promoted by the minor collections a collect event
/// covers: the `promoted_*` of its [`CollectDetail`].
#[derive(Clone, Copy, Debug, Default)]
struct Promoted {
    objects: u64,
    bytes: u64,
}

impl Promoted {
    fn add(&mut self, minor: &MinorReport) {
        self.objects += minor.promoted_objects;
        self.bytes += minor.promoted_bytes as u64;
    }
}

/// PyPy's incminimark: a bump-allocated nursery, minor collections copying
/// survivors into a size-class old generation, and an incremental
/// mark-and-sweep of the old generation in bounded steps. See the [crate
/// docs](crate).
#[derive(Debug)]
pub struct IncMiniMark {
    config: MarkSweepConfig,
    /// The nursery, the old generation and the right to read objects
    /// (see `space.rs`, `header.rs`): borrowed by every `ObjRef`, taken
    /// `&mut` by whatever frees or moves objects. Never replaced.
    space: Space,
    /// The handles and the saved list (objects resurrected by finalizers).
    roots: Roots,
    weaks: WeakTable,
    next_weak_id: u64,
    next_id: u64,
    pub(crate) remembered: RememberedSet,
    major: MajorCollector,
    finalizers: Finalizers,
    /// `gc enable`/`gc disable`: automatic major collections on or off.
    enabled: bool,
    stats: Stats,
    gc: MarkSweepStats,
    events: EventLog,
    /// The embedding layer's state (the finalizer hook and its queue).
    embed: EmbedState<IncMiniMark>,
    large_threshold: usize,
}

// SAFETY: the heap owns every object it points to (nursery chunk, arenas,
// large allocations); no pointer is shared with another value or thread, so
// moving the whole heap to another thread is sound.
unsafe impl Send for IncMiniMark {}

impl Drop for IncMiniMark {
    fn drop(&mut self) {
        // The space frees the objects when it is dropped, after this.
        embed::report_leaks(self);
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
        let old = self.space.old();
        let pages = old.pages();
        s.old_bytes = old.total_used() as u64;
        s.page_bytes_used = pages.used_bytes() as u64;
        s.arena_bytes = pages.arena_bytes() as u64;
        s.arenas = pages.arenas_count() as u64;
        s.large_bytes = old.large_bytes() as u64;
        s.next_major_threshold = self.major.next_threshold();
        (s.parallel_mark_steps, s.mark_time_ns) = self.major.mark_counters();
        s
    }

    /// The weak references PyPy would have cleared since the last call but
    /// this collector kept: their referents were kept only for finalizers
    /// that ran (the finalized objects and what only they reach, which
    /// PyPy's `deal_with_objects_with_finalizers` unlinks before the
    /// finalizers run), and a resurrecting finalizer could make them
    /// reachable again, so they still read them here (see the crate
    /// docs). An embedder that models PyPy's interpreter treats them as
    /// cleared. `OutOfMemory` when the list cannot be made (they stay).
    pub fn take_spared_weaks(&mut self) -> Result<Vec<WeakId>, GcError> {
        self.weaks.take_spared()
    }

    /// The phase of the major collection (`"scanning"`, `"marking"`,
    /// `"sweeping"` or `"finalizing"`).
    pub fn phase(&self) -> &'static str {
        self.major.state().name()
    }

    /// Checks the heap's invariants (every reference leads to an object
    /// of this heap, the write barrier's remembered set is complete, no
    /// black object points at a white one during marking…). The zeal
    /// configuration runs it after every collection; it is slow.
    pub fn check_heap(&self) -> Result<(), String> {
        check::check(&self.snapshot())
    }

    /// Test builds only: leaves the write barrier out, to show that the
    /// tests catch its absence.
    ///
    /// # Safety
    ///
    /// Without the barrier, a minor collection can free a young object an
    /// old one still refers to. The caller reads nothing such a slot could
    /// lead to after a collection: it only checks the heap (which looks
    /// references up by address before reading them), or runs with `zeal`
    /// or `debug` on, whose check after every collection panics on the
    /// first dangling reference, before the mutator runs again.
    #[cfg(test)]
    pub(crate) unsafe fn without_barrier(mut self) -> Self {
        self.remembered.off = true;
        self
    }

    /// One minor collection followed by one major step (PyPy's
    /// `gc.collect_step()`), whatever `gc disable` says. `OutOfMemory`
    /// when the system refuses what the collection needs (the heap stays
    /// consistent and usable).
    pub fn collect_step(&mut self) -> Result<(), GcError> {
        let done = self
            .minor_collection(Trigger::Explicit)
            .and_then(|_| self.major_step(Trigger::Explicit, 0.0));
        self.finish();
        done
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
    fn record_event(
        &mut self,
        trigger: Trigger,
        kind: CollectKind,
        collected: u64,
        pause_ns: u64,
        promoted: Promoted,
    ) {
        self.note_old_size();
        let old = self.space.old();
        let pages = old.pages();
        let detail = CollectDetail {
            promoted_objects: promoted.objects,
            promoted_bytes: promoted.bytes,
            old_bytes: old.total_used() as u64,
            peak_old_bytes: self.gc.peak_old_bytes,
            pages_reserved_bytes: pages.arena_bytes() as u64,
            pages_used_bytes: pages.used_bytes() as u64,
            large_bytes: old.large_bytes() as u64,
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

    fn note_old_size(&mut self) {
        let used = self.space.old().total_used() as u64;
        self.gc.peak_old_bytes = self.gc.peak_old_bytes.max(used);
    }

    /// Zeal and debug modes: the consistency check after each collection.
    fn debug_check(&self, after: impl FnOnce() -> String) {
        if self.config.debug || self.config.zeal {
            if let Err(e) = self.check_heap() {
                panic!("heap check after {}: {e}", after());
            }
        }
    }

    /// One minor collection, without an event: the collector's and the
    /// statistics' counters.
    fn run_minor(&mut self) -> Result<MinorReport, GcError> {
        let started = Instant::now();
        let scope = MinorScope {
            roots: &mut self.roots,
            finalizers: &mut self.finalizers,
            weaks: &mut self.weaks,
            remembered: &mut self.remembered,
            marking: self.major.marking(),
        };
        // SAFETY: every part of the scope is this heap's, and they are
        // every place outside objects where the heap stores addresses.
        let report = unsafe { self.space.minor(scope)? };
        self.stats.freed += report.freed;
        self.stats.live_objects -= report.freed;
        self.stats.live_bytes -= report.freed_payload;
        self.major.note_promoted(report.promoted_bytes);
        self.gc.minors += 1;
        self.gc.bytes_promoted += report.promoted_bytes as u64;
        self.gc.objects_promoted += report.promoted_objects;
        self.gc.card_slots_scanned += report.card_slots_scanned;
        self.note_old_size();
        let pause = started.elapsed().as_nanos() as u64;
        self.gc.minor_time_ns += pause;
        self.gc.max_minor_pause_ns = self.gc.max_minor_pause_ns.max(pause);
        self.debug_check(|| "a minor collection".into());
        Ok(report)
    }

    /// One minor collection, reported; returns the young objects freed.
    fn minor_collection(&mut self, trigger: Trigger) -> Result<u64, GcError> {
        let started = Instant::now();
        let report = self.run_minor()?;
        let mut promoted = Promoted::default();
        promoted.add(&report);
        let pause = started.elapsed().as_nanos() as u64;
        self.record_event(trigger, Self::MINOR, report.freed, pause, promoted);
        Ok(report.freed)
    }

    /// One major step, without an event: its finalizers run, its weak
    /// callbacks are reported, the counters updated.
    fn run_step(&mut self, reserving: f64, unlimited: bool) -> Result<StepReport, GcError> {
        let started = Instant::now();
        assert!(
            self.space.young().is_empty() && self.remembered.is_empty(),
            "a major step runs right after a minor collection"
        );
        if self.major.state() == State::Marking {
            // Room for what the finalizers the end of marking may decide
            // add (saved-list entries, the hook's roots and queue): they
            // run after it, when a refusal could no longer be undone.
            let n = self.finalizers.old_len();
            self.roots.reserve_finalized(n)?;
            if self.embed.has_hook() {
                self.embed.try_reserve_queue(n)?;
            }
        }
        let scope = StepScope {
            space: &mut self.space,
            config: &self.config,
            roots: &self.roots,
            finalizers: &mut self.finalizers,
            weaks: &mut self.weaks,
            // The nursery is empty (asserted above).
            old_objects: self.stats.live_objects as usize,
        };
        // SAFETY: every part of the scope is this heap's, and the nursery
        // and the remembered set are empty (asserted above).
        let report = unsafe { self.major.step(scope, reserving, unlimited)? };
        let freed = report.freed;
        self.stats.freed += freed.objects;
        self.stats.live_objects -= freed.objects;
        self.stats.live_bytes -= freed.payload;
        // SAFETY: decided by this heap's marking, in this step.
        unsafe { self.execute_finalizers(&report.finalized) };
        for &(weak, object) in &report.weak_callbacks {
            self.stats.weak_callbacks += 1;
            self.events.push(Event::WeakCallback { weak, object });
        }
        if report.completed {
            self.gc.majors += 1;
        }
        let pause = started.elapsed().as_nanos() as u64;
        self.gc.major_steps += 1;
        self.gc.major_time_ns += pause;
        self.gc.max_step_pause_ns = self.gc.max_step_pause_ns.max(pause);
        self.debug_check(|| format!("a major step ({})", self.major.state().name()));
        Ok(report)
    }

    /// One major step, reported as `major-step`, or `major` when it
    /// completes a cycle's sweep.
    fn major_step(&mut self, trigger: Trigger, reserving: f64) -> Result<(), GcError> {
        let started = Instant::now();
        let report = self.run_step(reserving, false)?;
        let kind = if report.completed {
            Self::MAJOR
        } else {
            Self::MAJOR_STEP
        };
        let pause = started.elapsed().as_nanos() as u64;
        let freed = report.freed.objects;
        self.record_event(trigger, kind, freed, pause, Promoted::default());
        Ok(())
    }

    /// Runs the finalizers decided by the marking that just ended.
    ///
    /// # Safety
    ///
    /// `finalized` are live objects of this heap: the ones the marking
    /// that just ended decided to finalize (kept for this cycle by the
    /// ordering), with no collection since.
    unsafe fn execute_finalizers(&mut self, finalized: &[ObjPtr]) {
        for &ptr in finalized {
            // SAFETY: the caller's guarantee.
            let obj = unsafe { ptr.open(self.space.access()) };
            let (id, hook, resurrect) = (obj.id(), obj.has(FIN_HOOK), obj.has(FIN_RESURRECT));
            self.stats.finalized += 1;
            self.events.push(Event::Finalize { object: id });
            if hook && self.embed.has_hook() {
                // The hook runs once the operation is over; the root keeps
                // the object (and what it reaches) until then.
                // SAFETY: live (above), of this heap.
                let root = unsafe { self.roots.insert(ptr) };
                self.embed.queue(root);
            } else if resurrect && !hook {
                // SAFETY: as above.
                unsafe { self.roots.save(ptr) };
                self.stats.saved += 1;
            }
        }
    }

    /// An explicit or automatic full collection: finishes the cycle in
    /// progress, then runs a whole new one (PyPy's
    /// `minor_and_major_collection`), reported as one `major` event.
    fn full_collection(&mut self, trigger: Trigger) -> Result<u64, GcError> {
        let started = Instant::now();
        let first = self.run_minor()?;
        let mut freed = first.freed;
        let mut promoted = Promoted::default();
        promoted.add(&first);
        // The cycle in progress (if any) is finished first, then a whole
        // new one runs; every step but the last may be followed by a minor.
        let mut finishing_previous = self.major.state() != State::Scanning;
        loop {
            freed += self.run_step(0.0, true)?.freed.objects;
            if self.major.state() == State::Scanning {
                if !finishing_previous {
                    break;
                }
                finishing_previous = false;
            }
            if self.minor_needed() {
                let minor = self.run_minor()?;
                freed += minor.freed;
                promoted.add(&minor);
            }
        }
        let pause = started.elapsed().as_nanos() as u64;
        self.record_event(trigger, Self::MAJOR, freed, pause, promoted);
        Ok(freed)
    }

    /// Inside a full collection: a minor collection only when the mutator
    /// (a finalizer run) could have changed something since the last one.
    fn minor_needed(&self) -> bool {
        !self.space.young().is_empty() || !self.remembered.is_empty() || self.finalizers.has_young()
    }

    /// PyPy's `minor_collection_with_major_progress`: a minor collection,
    /// then (unless `gc disable`) a major step when a cycle runs or the
    /// threshold is reached — and more minor-plus-step pairs while the
    /// minors promote more than the pacing allows.
    fn minor_collection_with_major_progress(&mut self, extra: f64) -> Result<(), GcError> {
        self.minor_collection(Trigger::Auto)?;
        if !self.enabled {
            return Ok(());
        }
        if self.major.state() != State::Scanning
            || self.threshold_reached(extra)
            || self.config.zeal
        {
            self.major_step(Trigger::Auto, extra)?;
            while self.major.state() != State::Scanning && self.major.behind(extra as usize) {
                self.minor_collection(Trigger::Auto)?;
                self.major_step(Trigger::Auto, extra as usize as f64)?;
            }
        }
        Ok(())
    }

    /// PyPy's `threshold_reached`.
    fn threshold_reached(&self, extra: f64) -> bool {
        self.major
            .threshold_reached(self.space.old().total_used(), extra)
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
    #[inline(always)]
    fn allocate(&mut self, kind: Kind, slots: usize, payload: usize) -> Result<ObjPtr, GcError> {
        // The limits (2^24 slots, 2^30 payload bytes) keep `object_bytes`
        // from overflowing and the lengths within `init_object`'s 32 bits.
        Shape::Node { slots, payload }.check()?;
        let bytes = object_bytes(slots, payload);
        if bytes >= self.large_threshold {
            return self.allocate_large(kind, slots, payload);
        }
        if self.config.zeal {
            self.collect_and_reserve()?;
        }
        let id = self.fresh_id()?;
        match self.space.alloc_young(kind, id, slots, payload) {
            Ok(obj) => {
                self.stats.on_alloc(payload as u64);
                Ok(obj)
            }
            Err(no_room) => self.allocate_slow(no_room, kind, id, slots, payload),
        }
    }

    /// The nursery had no room for object `id` (or the system refused
    /// room to note it): collect and try again, or give `id` back and
    /// fail.
    #[cold]
    #[inline(never)]
    fn allocate_slow(
        &mut self,
        no_room: NoRoom,
        kind: Kind,
        id: u64,
        slots: usize,
        payload: usize,
    ) -> Result<ObjPtr, GcError> {
        let obj = match no_room {
            NoRoom::Refused => Err(refused()),
            NoRoom::Full => self.collect_and_reserve().and_then(|()| {
                match self.space.alloc_young(kind, id, slots, payload) {
                    Ok(obj) => Ok(obj),
                    Err(NoRoom::Refused) => Err(refused()),
                    Err(NoRoom::Full) => panic!("an empty nursery has room"),
                }
            }),
        };
        match obj {
            Ok(obj) => {
                self.stats.on_alloc(payload as u64);
                Ok(obj)
            }
            Err(e) => {
                self.next_id -= 1;
                Err(e)
            }
        }
    }

    /// The nursery is full: a minor collection with major progress (PyPy's
    /// `collect_and_reserve`), then the heap limit.
    #[cold]
    fn collect_and_reserve(&mut self) -> Result<(), GcError> {
        self.minor_collection_with_major_progress(0.0)?;
        self.check_limit(0)
    }

    /// `OutOfMemory` when the old generation plus `extra` bytes would
    /// exceed `max_heap` even after a full collection.
    fn check_limit(&mut self, extra: usize) -> Result<(), GcError> {
        let max = self.config.max_heap;
        if max == 0 || self.space.old().total_used() + extra <= max {
            return Ok(());
        }
        self.full_collection(Trigger::Auto)?;
        if self.space.old().total_used() + extra > max {
            return Err(GcError::OutOfMemory { limit: max as u64 });
        }
        Ok(())
    }

    /// PyPy's `external_malloc`: a large object is born old, in its own
    /// allocation, with cards when it has slots. The shape is checked
    /// (by `allocate`).
    #[cold]
    fn allocate_large(
        &mut self,
        kind: Kind,
        slots: usize,
        payload: usize,
    ) -> Result<ObjPtr, GcError> {
        let bytes = object_bytes(slots, payload);
        let reserve = bytes as f64 + (self.space.young().capacity() / 2) as f64;
        if self.enabled && self.threshold_reached(bytes as f64) {
            self.minor_collection_with_major_progress(reserve)?;
        }
        self.check_limit(bytes)?;
        let id = self.fresh_id()?;
        let ptr = match self.space.alloc_large(kind, id, slots, payload) {
            Ok(ptr) => ptr,
            Err(e) => {
                self.next_id -= 1;
                return Err(e);
            }
        };
        self.stats.on_alloc(payload as u64);
        self.note_old_size();
        Ok(ptr)
    }

    #[inline]
    fn get(&self, h: Handle) -> Result<ObjRef<'_>, GcError> {
        // SAFETY: this heap's roots and token.
        unsafe { open_root(&self.roots, self.space.access(), h) }
    }

    /// Every object not yet freed, with the object itself when it is
    /// known to be live: not an unmarked one waiting for the sweeper.
    fn for_each_object<'h>(&'h self, f: impl FnMut(Block<'h>, Option<ObjRef<'h>>)) {
        self.space.for_each_object(f);
    }

    /// What the consistency check looks at.
    fn snapshot(&self) -> Snapshot<'_> {
        let mut objects = Vec::new();
        self.for_each_object(|o, live| objects.push((o, live)));
        let mut stored: Vec<(Holder, ObjPtr)> = Vec::new();
        stored.extend(self.roots.handles().map(|r| (Holder::List("a root"), r)));
        let saved: [(&'static str, &[ObjPtr]); 1] = [("the saved list", self.roots.saved())];
        let lists = saved
            .into_iter()
            .chain(self.remembered.lists())
            .chain(self.major.grey().lists());
        for (name, list) in lists {
            stored.extend(list.iter().map(|&p| (Holder::List(name), p)));
        }
        for (name, list) in self.finalizers.lists() {
            stored.extend(list.into_iter().map(|p| (Holder::List(name), p)));
        }
        for w in self.weaks.iter() {
            stored.extend(w.target().map(|t| (Holder::Weak(w.id()), t)));
        }
        Snapshot {
            objects,
            stored,
            grey: self.major.grey().all().map(ObjPtr::addr).collect(),
            barrier_pending: !self.remembered.is_empty(),
            state: self.major.state(),
            live_objects: self.stats.live_objects,
        }
    }
}

/// Where an operation roots the object it answers: a handle of the
/// table, or a local on the scopes' stack.
trait Rooting {
    /// What the operation answers: the handle, or the local's place.
    type Root;
    /// Makes room for one root, or `OutOfMemory`.
    fn reserve(roots: &mut Roots) -> Result<(), GcError>;
    /// The object `h` names (looked up where this rooting's handles
    /// mostly are first).
    fn resolve(roots: &Roots, h: Handle) -> Result<ObjPtr, GcError>;
    /// Roots `obj` (with room reserved, it allocates nothing).
    ///
    /// # Safety
    ///
    /// `obj` is a live object of the heap `roots` belongs to.
    unsafe fn root(roots: &mut Roots, obj: ObjPtr) -> Result<Self::Root, GcError>;
}

/// A handle of the table: the raw API.
struct TableRoot;

impl Rooting for TableRoot {
    type Root = Handle;
    #[inline(always)]
    fn reserve(roots: &mut Roots) -> Result<(), GcError> {
        roots.reserve_handles(1)
    }
    #[inline(always)]
    fn resolve(roots: &Roots, h: Handle) -> Result<ObjPtr, GcError> {
        roots.get(h)
    }
    #[inline(always)]
    unsafe fn root(roots: &mut Roots, obj: ObjPtr) -> Result<Handle, GcError> {
        roots.reserve_handles(1)?;
        // SAFETY: the caller's guarantee.
        Ok(unsafe { roots.insert(obj) })
    }
}

/// A local on the scopes' stack: the embedding layer.
struct LocalRoot;

impl Rooting for LocalRoot {
    type Root = usize;
    #[inline(always)]
    fn reserve(roots: &mut Roots) -> Result<(), GcError> {
        roots.locals_mut().reserve_one()
    }
    #[inline(always)]
    fn resolve(roots: &Roots, h: Handle) -> Result<ObjPtr, GcError> {
        roots.get_local_first(h)
    }
    #[inline(always)]
    unsafe fn root(roots: &mut Roots, obj: ObjPtr) -> Result<usize, GcError> {
        // SAFETY: the caller's guarantee.
        unsafe { roots.push_local(obj) }
    }
}

impl IncMiniMark {
    /// `alloc`, rooted as `R` says.
    #[inline]
    fn make<R: Rooting>(&mut self, shape: Shape) -> Result<R::Root, GcError> {
        // Its root's room first: refused, nothing is allocated.
        R::reserve(&mut self.roots)?;
        // `allocate` checks the shape.
        let obj = self.allocate(shape.kind(), shape.slots(), shape.payload());
        let made = obj.and_then(|obj| {
            // Again: finalizer hooks queued by a collection inside
            // `allocate` may have taken that room (refused now, the
            // unrooted object is garbage).
            // SAFETY: just allocated in this heap: live.
            unsafe { R::root(&mut self.roots, obj) }
        });
        self.finish();
        made
    }

    /// `alloc_tuple`, rooted as `R` says.
    #[inline(always)]
    fn make_tuple<R: Rooting>(&mut self, members: &[Option<Handle>]) -> Result<R::Root, GcError> {
        self.make_tuple_of::<R, _>(members, R::resolve)
    }

    /// `alloc_tuple` of members named as `resolve` reads them (handles,
    /// or places on the local stack), rooted as `R` says.
    #[inline(always)]
    fn make_tuple_of<R: Rooting, M: Copy>(
        &mut self,
        members: &[Option<M>],
        resolve: impl Fn(&Roots, M) -> Result<ObjPtr, GcError>,
    ) -> Result<R::Root, GcError> {
        // Check every member first: an error leaves the heap unchanged.
        for m in members.iter().flatten() {
            resolve(&self.roots, *m)?;
        }
        R::reserve(&mut self.roots)?;
        // The allocation checks the shape. It may move the members: they are opened after it
        // (the borrow checker would refuse an `ObjRef` held across it).
        let ptr = match self.allocate(Kind::Tuple, members.len(), 0) {
            Ok(ptr) => ptr,
            Err(e) => {
                self.finish();
                return Err(e);
            }
        };
        for (index, m) in members.iter().enumerate() {
            if let Some(h) = m {
                let value = resolve(&self.roots, *h)?;
                // SAFETY: `ptr` was just allocated with a slot per member
                // (nothing collects before it is rooted below); `value` is
                // a root of this heap: live (invariant in `header.rs`).
                // When the barrier fails the slot is not written (the
                // unrooted tuple is garbage).
                if let Err(e) = unsafe { self.init_slot(ptr, index, value) } {
                    self.finish();
                    return Err(e);
                }
            }
        }
        // Rooted before any finalizer hook runs: a hook may allocate, and
        // a collection then moves the tuple. (Room again, as in `alloc`.)
        // SAFETY: just allocated in this heap: live.
        let root = unsafe { R::root(&mut self.roots, ptr) };
        self.finish();
        root
    }

    /// `alloc_pair_local`: a tuple of the objects the locals at `members`
    /// hold, pushed on the local stack. Each member is looked up once
    /// unless the allocation collected: only a minor collection moves
    /// objects (and it forwards the stack), so the addresses read before
    /// stay right while [`Space::moves`] has not changed.
    #[inline(always)]
    fn make_pair_local(&mut self, members: [Option<usize>; 2]) -> Result<usize, GcError> {
        // Check both first: an error leaves the heap unchanged.
        let [left, right] = members;
        let mut values = [self.local_object(left)?, self.local_object(right)?];
        // The local's room first: refused, nothing is allocated.
        LocalRoot::reserve(&mut self.roots)?;
        let moves = self.space.moves();
        let ptr = match self.allocate(Kind::Tuple, 2, 0) {
            Ok(ptr) => ptr,
            Err(e) => {
                self.finish();
                return Err(e);
            }
        };
        if self.space.moves() != moves {
            // A collection moved them: read the forwarded stack again.
            values = [self.local_object(left)?, self.local_object(right)?];
        }
        // SAFETY: just allocated, so live; opened with this heap's token.
        let obj = unsafe { ptr.open(self.space.access()) };
        if !obj.has(TRACK_YOUNG_PTRS) {
            // Young: the barrier has nothing to do. A new tuple is no
            // forwarded stub (no minor collection is under way).
            // SAFETY: as said.
            if let [left, right] = unsafe { obj.slots_unforwarded() } {
                let access = self.space.access();
                // SAFETY: the objects of locals of this heap, read since
                // the last collection: live, opened with this heap's
                // token; written into a young object (no barrier).
                unsafe {
                    left.set(values[0].map(|v| v.open(access)));
                    right.set(values[1].map(|v| v.open(access)));
                }
            }
        } else {
            // Born old (a large object): through the barrier.
            for (index, value) in values.into_iter().enumerate() {
                if let Some(value) = value {
                    // SAFETY: `ptr` is live, with two slots; `value` is the
                    // object of a local of this heap, read since the last
                    // collection: live.
                    if let Err(e) = unsafe { self.init_slot(ptr, index, value) } {
                        self.finish();
                        return Err(e);
                    }
                }
            }
        }
        // Rooted before any finalizer hook runs (see `make_tuple_of`).
        // SAFETY: just allocated in this heap: live.
        let root = unsafe { LocalRoot::root(&mut self.roots, ptr) };
        self.finish();
        root
    }

    /// The object the local at `place` holds, if any.
    #[inline(always)]
    fn local_object(&self, place: Option<usize>) -> Result<Option<ObjPtr>, GcError> {
        match place {
            Some(place) => self.roots.local_at(place).map(Some),
            None => Ok(None),
        }
    }

    /// Writes `value` into slot `index` of `obj`, a tuple being made,
    /// through the barrier (a young tuple needs none: it checks a flag).
    ///
    /// # Safety
    ///
    /// `obj` and `value` are live objects of this heap; `obj` has a slot
    /// `index`. When the barrier fails the slot is not written.
    #[inline(always)]
    unsafe fn init_slot(
        &mut self,
        obj: ObjPtr,
        index: usize,
        value: ObjPtr,
    ) -> Result<(), GcError> {
        // SAFETY: the caller's guarantee; opened with this heap's token.
        let (obj, value) = unsafe {
            (
                obj.open(self.space.access()),
                value.open(self.space.access()),
            )
        };
        let Some(slot) = obj.slots().get(index) else {
            return Ok(());
        };
        // SAFETY: both live objects of this heap (the caller's
        // guarantee); the barrier runs first.
        unsafe {
            self.remembered.write_barrier(obj, index)?;
            slot.set(Some(value));
        }
        Ok(())
    }

    /// `slot`, the referent rooted as `R` says.
    #[inline]
    fn read_slot<R: Rooting>(
        &mut self,
        object: Handle,
        index: usize,
    ) -> Result<Option<R::Root>, GcError> {
        let obj = R::resolve(&self.roots, object)?;
        // SAFETY: a root of this heap: live (invariant in `header.rs`),
        // opened with this heap's token.
        let obj = unsafe { obj.open(self.space.access()) };
        let slots = obj.slots();
        let slot = slots.get(index).ok_or(GcError::SlotOutOfRange {
            index,
            len: slots.len(),
            kind: obj.kind().name(),
        })?;
        let Some(value) = slot.get().map(|v| v.ptr()) else {
            return Ok(None);
        };
        // SAFETY: a slot of a live object of this heap: live, this heap's.
        unsafe { R::root(&mut self.roots, value) }.map(Some)
    }
}

/// The object a root handle names.
///
/// # Safety
///
/// `roots` and `access` belong to the same heap (its roots are live
/// objects of the heap that token guards).
#[inline]
unsafe fn open_root<'h>(
    roots: &Roots,
    access: &'h Access,
    h: Handle,
) -> Result<ObjRef<'h>, GcError> {
    let ptr = roots.get(h)?;
    // SAFETY: roots are live objects (invariant in `header.rs`) of the
    // heap `access` guards (the caller's guarantee).
    Ok(unsafe { ptr.open(access) })
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
        let heap = HeapId::fresh()?;
        // SAFETY: the heap keeps the space in its private `space` field for
        // its whole life and never replaces, swaps or moves it out; the
        // addresses it stores into it (roots, lists, weak entries) are
        // dropped with it.
        let space = unsafe { Space::new(config.nursery_bytes()) }.ok_or_else(|| {
            GcError::Config(format!(
                "nursery: cannot allocate {} bytes",
                config.nursery_bytes()
            ))
        })?;
        let capacity = space.young().capacity();
        let large_threshold = config.large_object.min(capacity + 1);
        let major = MajorCollector::new(&config, capacity);
        let gc = MarkSweepStats {
            next_major_threshold: major.next_threshold(),
            ..MarkSweepStats::default()
        };
        let remembered = RememberedSet::default();
        Ok(IncMiniMark {
            space,
            roots: Roots::new(heap)?,
            weaks: WeakTable::new(heap),
            next_weak_id: 0,
            next_id: 0,
            remembered,
            major,
            finalizers: Finalizers::default(),
            enabled: true,
            stats: Stats::default(),
            gc,
            events: EventLog::default(),
            embed: EmbedState::try_new()?,
            large_threshold,
            config,
        })
    }

    #[inline]
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError> {
        self.make::<TableRoot>(shape)
    }

    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError> {
        self.make_tuple::<TableRoot>(members)
    }

    fn alloc_tuple_local(
        &mut self,
        members: &[Option<Handle>],
        _: LocalsKey,
    ) -> Result<usize, GcError> {
        self.make_tuple::<LocalRoot>(members)
    }

    #[inline(always)]
    fn alloc_pair_local(
        &mut self,
        members: [Option<usize>; 2],
        _: LocalsKey,
    ) -> Result<usize, GcError> {
        self.make_pair_local(members)
    }

    #[inline]
    fn alloc_local(&mut self, shape: Shape, _: LocalsKey) -> Result<usize, GcError> {
        self.make::<LocalRoot>(shape)
    }

    #[inline]
    fn slot_local(
        &mut self,
        object: Handle,
        index: usize,
        _: LocalsKey,
    ) -> Result<Option<usize>, GcError> {
        self.read_slot::<LocalRoot>(object, index)
    }

    #[inline]
    fn local_stack(&mut self, _: LocalsKey) -> LocalsMut<'_> {
        LocalsMut::new(self.roots.locals_mut())
    }

    #[inline]
    fn local_stack_ref(&self, _: LocalsKey) -> &LocalStack {
        self.roots.locals()
    }

    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError> {
        self.roots.clone_handle(handle)
    }

    fn release(&mut self, handle: Handle) -> Result<(), GcError> {
        self.roots.remove(handle)
    }

    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError> {
        self.read_slot::<TableRoot>(object, index)
    }

    fn set_slot(
        &mut self,
        object: Handle,
        index: usize,
        value: Option<Handle>,
    ) -> Result<(), GcError> {
        // SAFETY: this heap's roots and token.
        let obj = unsafe { open_root(&self.roots, self.space.access(), object) }?;
        let value = match value {
            // SAFETY: this heap's roots and token.
            Some(h) => Some(unsafe { open_root(&self.roots, self.space.access(), h) }?),
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
        // SAFETY: `obj` and `value` are roots of this heap, so live; the
        // barrier runs first (when it fails, nothing is written).
        unsafe {
            self.remembered.write_barrier(obj, index)?;
            slot.set(value);
        }
        Ok(())
    }

    /// Not offered: an object sits between others in the nursery or in
    /// a page of its size class, so it cannot change size where it is,
    /// and objects refer to it by address. The embedder keeps a second
    /// object for the items, as PyPy's lists do (see [`Collector::resize`]).
    fn resize(&mut self, object: Handle, _slots: usize) -> Result<(), GcError> {
        match self.view(object)?.kind() {
            Kind::Node => Err(GcError::Unsupported {
                strategy: Self::TRAITS.name,
                what: "resizing an object in place",
            }),
            kind => Err(GcError::Immutable(kind)),
        }
    }

    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError> {
        let obj = self.get(object)?;
        // SAFETY: `&mut self` makes the slice unique: every other payload
        // slice borrows the heap, and the collector never touches payload
        // bytes except to copy them during a collection, which cannot run
        // while it is borrowed.
        Ok(unsafe { obj.payload_mut() })
    }

    #[inline]
    fn view(&self, object: Handle) -> Result<MsView<'_>, GcError> {
        Ok(MsView {
            obj: self.get(object)?,
        })
    }

    fn set_finalizer(&mut self, object: Handle, finalizer: Finalizer) -> Result<(), GcError> {
        // SAFETY: this heap's roots and token.
        let obj = unsafe { open_root(&self.roots, self.space.access(), object) }?;
        // SAFETY: a root of this heap: live.
        unsafe { self.finalizers.register(obj, finalizer) }
    }

    fn weak(&mut self, object: Handle, callback: bool) -> Result<WeakHandle, GcError> {
        // SAFETY: this heap's roots and token.
        let obj = unsafe { open_root(&self.roots, self.space.access(), object) }?;
        let id = self.next_weak_id;
        // SAFETY: a root of this heap: live.
        let weak = unsafe { self.weaks.insert(id, obj, callback) }?;
        self.next_weak_id += 1;
        Ok(weak)
    }

    fn upgrade(&mut self, weak: WeakHandle) -> Result<Option<Handle>, GcError> {
        let Some(target) = self.weaks.get(weak)?.target() else {
            return Ok(None);
        };
        self.roots.reserve_handles(1)?;
        // SAFETY: a weak target is a live object of this heap (cleared
        // before it dies).
        Ok(Some(unsafe { self.roots.insert(target) }))
    }

    fn release_weak(&mut self, weak: WeakHandle) -> Result<(), GcError> {
        self.weaks.remove(weak)
    }

    fn take_saved(&mut self) -> Vec<Handle> {
        // Refused, it hands out nothing and the saved list stays.
        let handles = self.roots.unsave();
        if self.roots.saved().is_empty() {
            self.stats.saved = 0;
        }
        handles
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
        collected
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
        let old = self.space.old();
        let footprint =
            self.space.young().capacity() + old.pages().arena_bytes() + old.large_bytes();
        Stats {
            footprint_bytes: footprint as u64,
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
        self.roots.handle_count()
    }

    fn embed_state(&mut self) -> &mut EmbedState<Self> {
        &mut self.embed
    }

    fn embed_state_ref(&self) -> &EmbedState<Self> {
        &self.embed
    }
}

impl Inspect for IncMiniMark {
    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError> {
        Ok(WeakId(self.weaks.get(weak)?.id()))
    }

    fn live_objects(&self) -> Result<Vec<ObjectId>, GcError> {
        let mut ids = Ok(Vec::new());
        self.for_each_object(|o, _| {
            if let Ok(v) = &mut ids {
                if v.try_reserve(1).is_ok() {
                    v.push(o.id());
                } else {
                    ids = Err(refused());
                }
            }
        });
        ids
    }

    fn root_list(&self, list: RootList) -> Result<Vec<ObjectId>, GcError> {
        match list {
            RootList::Saved => {
                let saved = self.roots.saved();
                gc_core::config::try_collect(
                    saved.len(),
                    saved
                        .iter()
                        // SAFETY: the saved list is a root: live objects.
                        .map(|o| unsafe { o.open(self.space.access()) }.id()),
                )
            }
            RootList::Garbage => Ok(Vec::new()),
        }
    }
}
