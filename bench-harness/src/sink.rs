//! The harness's own cost, measured: [`Sink`] is the least a collector can
//! do and still answer every trace operation as the null collector does,
//! so that the run's driver loop (`exec.rs`: [`Mutator`] with its registers,
//! the event drain, the per-operation bookkeeping) can be timed over the
//! same operations with almost nothing else on the clock.
//!
//! What it keeps: handles (the same [`RootTable`] every strategy uses, so
//! the registers cost what they cost in a real run), each object's kind,
//! payload length and slots (in one flat array: a `get` must return what
//! a `set` stored, a `wget` the referent), a `collect` event per
//! collection (the spec makes every `collect` an event) and the counts an
//! `expect` reads. What it does not: payload memory (no trace operation
//! reads or writes a payload; views read a shared zero buffer, and
//! [`Collector::payload_mut`] is refused), freeing, finalizing (nothing is
//! ever garbage, as in `null`), any heap limit. Like `null` it never
//! frees, so every answer it gives (slot contents, weak referents, the
//! `live` count) is null's.
//!
//! [`Mutator`]: gc_core::tooling::mutator::Mutator

use gc_core::embed::EmbedState;
use gc_core::{
    CollectKind, Collection, Collector, Control, ControlOutcome, Event, EventLog, Finalizer,
    GcError, Generation, Handle, HeapId, Inspect, Kind, MAX_PAYLOAD, MAX_SLOTS, NoConfig, ObjectId,
    ObjectView, RootList, RootTable, Shape, Stats, Traits, Trigger, WeakHandle, WeakId,
};

/// One object: where its slots start in [`Sink::slots`], how many, its
/// kind and payload length.
#[derive(Clone, Copy, Debug)]
struct Object {
    start: usize,
    len: u32,
    payload: u32,
    kind: Kind,
}

/// The harness's sink: see the [module docs](self).
#[derive(Debug)]
pub struct Sink {
    objects: Vec<Object>,
    /// Every object's slots, end to end (an object's index in `objects`
    /// is its id).
    slots: Vec<Option<u32>>,
    roots: RootTable<u32>,
    /// Weak handles: (weak id, referent). Referents never die.
    weak_roots: RootTable<(u64, u32), WeakHandle>,
    next_weak_id: u64,
    /// Zeros, as long as the longest payload allocated: what views read.
    zeros: Vec<u8>,
    stats: Stats,
    events: EventLog,
    embed: EmbedState<Sink>,
}

/// A view of one object of a [`Sink`].
#[derive(Clone, Copy, Debug)]
pub struct SinkView<'a> {
    heap: &'a Sink,
    index: u32,
}

impl<'a> SinkView<'a> {
    fn object(self) -> Object {
        self.heap.objects[self.index as usize]
    }
}

impl<'a> ObjectView<'a> for SinkView<'a> {
    fn kind(self) -> Kind {
        self.object().kind
    }
    fn id(self) -> ObjectId {
        ObjectId(u64::from(self.index))
    }
    fn slot_count(self) -> usize {
        self.object().len as usize
    }
    fn slot(self, index: usize) -> Result<Option<Self>, GcError> {
        let v = self.heap.slot_of(self.index, index)?;
        Ok(v.map(|index| SinkView {
            heap: self.heap,
            index,
        }))
    }
    fn payload(self) -> &'a [u8] {
        &self.heap.zeros[..self.object().payload as usize]
    }
    fn same(self, other: Self) -> bool {
        std::ptr::eq(self.heap, other.heap) && self.index == other.index
    }
}

/// The refusal of what the sink does not keep.
fn unsupported(what: &'static str) -> GcError {
    GcError::Unsupported {
        strategy: Sink::TRAITS.name,
        what,
    }
}

/// Memory the system refused.
fn refused() -> GcError {
    GcError::OutOfMemory { limit: 0 }
}

impl Sink {
    /// The kind of its collections, which find nothing.
    pub const NO_OP: CollectKind = CollectKind::named("no-op");

    /// Slot `index` of object `object`.
    #[inline]
    fn slot_of(&self, object: u32, index: usize) -> Result<Option<u32>, GcError> {
        let o = self.objects[object as usize];
        if index >= o.len as usize {
            return Err(GcError::SlotOutOfRange {
                index,
                len: o.len as usize,
                kind: o.kind.name(),
            });
        }
        Ok(self.slots[o.start + index])
    }

    /// Room for one more object with `len` slots and a payload of
    /// `payload` bytes, reserved before anything changes (every
    /// allocation is fallible: refused memory is `OutOfMemory`, nothing
    /// changed); its index.
    #[inline]
    fn reserve(&mut self, len: usize, payload: usize) -> Result<u32, GcError> {
        let index = u32::try_from(self.objects.len()).map_err(|_| GcError::TooMany {
            what: "objects",
            limit: u64::from(u32::MAX),
        })?;
        self.objects.try_reserve(1).map_err(|_| refused())?;
        self.slots.try_reserve(len).map_err(|_| refused())?;
        self.roots.try_reserve(1)?;
        if payload > self.zeros.len() {
            self.zeros
                .try_reserve(payload - self.zeros.len())
                .map_err(|_| refused())?;
            self.zeros.resize(payload, 0);
        }
        Ok(index)
    }

    /// Adds object `index` (from [`Sink::reserve`]), whose `len` slots
    /// are the last of [`Sink::slots`].
    #[inline]
    fn push(&mut self, index: u32, kind: Kind, len: usize, payload: usize) -> Handle {
        self.objects.push(Object {
            start: self.slots.len() - len,
            // Both at most MAX_SLOTS / MAX_PAYLOAD (< 2^32): checked by
            // the callers.
            len: len as u32,
            payload: payload as u32,
            kind,
        });
        self.stats.on_alloc(payload as u64);
        self.roots.insert(index)
    }
}

impl Collector for Sink {
    const TRAITS: Traits = Traits {
        name: "sink",
        summary: "the harness's sink: handles and slots only, to time the driver loop alone",
        frees_objects: false,
        collects_cycles: false,
        moves_objects: false,
        write_barrier: false,
        incremental: false,
        generational: false,
        reference_counting: false,
        frees_finalized_later: false,
    };
    type Config = NoConfig;
    type View<'a> = SinkView<'a>;

    fn with_config(_config: NoConfig) -> Result<Self, GcError> {
        let heap = HeapId::fresh()?;
        Ok(Sink {
            objects: Vec::new(),
            slots: Vec::new(),
            roots: RootTable::new(heap),
            weak_roots: RootTable::new(heap),
            next_weak_id: 0,
            zeros: Vec::new(),
            stats: Stats::default(),
            events: EventLog::default(),
            embed: EmbedState::try_new()?,
        })
    }

    #[inline]
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError> {
        shape.check()?;
        let (len, payload) = (shape.slots(), shape.payload());
        let index = self.reserve(len, payload)?;
        self.slots.extend(std::iter::repeat_n(None, len));
        Ok(self.push(index, shape.kind(), len, payload))
    }

    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError> {
        if members.len() > MAX_SLOTS {
            return Err(GcError::TooLarge {
                what: "slots",
                requested: members.len(),
                limit: MAX_SLOTS,
            });
        }
        // Every member resolved first: a bad handle changes nothing.
        for h in members.iter().flatten() {
            self.roots.get(*h)?;
        }
        let index = self.reserve(members.len(), 0)?;
        let roots = &self.roots;
        self.slots
            .extend(members.iter().map(|m| m.and_then(|h| roots.get(h).ok())));
        Ok(self.push(index, Kind::Tuple, members.len(), 0))
    }

    #[inline]
    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError> {
        let i = self.roots.get(handle)?;
        self.roots.try_insert(i)
    }

    #[inline]
    fn release(&mut self, handle: Handle) -> Result<(), GcError> {
        self.roots.remove(handle).map(drop)
    }

    #[inline]
    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError> {
        let o = self.roots.get(object)?;
        self.slot_of(o, index)?
            .map(|v| self.roots.try_insert(v))
            .transpose()
    }

    #[inline]
    fn set_slot(
        &mut self,
        object: Handle,
        index: usize,
        value: Option<Handle>,
    ) -> Result<(), GcError> {
        let i = self.roots.get(object)?;
        let value = value.map(|h| self.roots.get(h)).transpose()?;
        let o = self.objects[i as usize];
        if o.kind != Kind::Node {
            return Err(GcError::Immutable(o.kind));
        }
        if index >= o.len as usize {
            return Err(GcError::SlotOutOfRange {
                index,
                len: o.len as usize,
                kind: "node",
            });
        }
        self.slots[o.start + index] = value;
        Ok(())
    }

    fn resize(&mut self, object: Handle, _slots: usize) -> Result<(), GcError> {
        self.roots.get(object)?;
        Err(unsupported("resizing an object"))
    }

    fn view(&self, object: Handle) -> Result<SinkView<'_>, GcError> {
        Ok(SinkView {
            heap: self,
            index: self.roots.get(object)?,
        })
    }

    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError> {
        self.roots.get(object)?;
        Err(unsupported("writing a payload: the sink keeps none"))
    }

    fn set_finalizer(&mut self, object: Handle, _finalizer: Finalizer) -> Result<(), GcError> {
        // Nothing is ever garbage here, so a finalizer never runs.
        self.roots.get(object).map(drop)
    }

    fn weak(&mut self, object: Handle, _callback: bool) -> Result<WeakHandle, GcError> {
        let i = self.roots.get(object)?;
        let weak = self.weak_roots.try_insert((self.next_weak_id, i))?;
        self.next_weak_id += 1;
        Ok(weak)
    }

    fn upgrade(&mut self, weak: WeakHandle) -> Result<Option<Handle>, GcError> {
        let (_, i) = self.weak_roots.get(weak)?;
        self.roots.try_insert(i).map(Some)
    }

    fn release_weak(&mut self, weak: WeakHandle) -> Result<(), GcError> {
        self.weak_roots.remove(weak).map(drop)
    }

    fn take_saved(&mut self) -> Vec<Handle> {
        Vec::new()
    }

    fn collect(&mut self, generation: Generation) -> Result<u64, GcError> {
        self.events.record_collection(
            &mut self.stats,
            Collection {
                trigger: Trigger::Explicit,
                generation,
                kind: Self::NO_OP,
                collected: 0,
                uncollectable: 0,
                pause_ns: 0,
                detail: None,
            },
        );
        Ok(0)
    }

    fn control(&mut self, _control: Control) -> Result<ControlOutcome, GcError> {
        Ok(ControlOutcome::Ignored)
    }

    fn stats(&self) -> Stats {
        let footprint = self.objects.capacity() * std::mem::size_of::<Object>()
            + self.slots.capacity() * std::mem::size_of::<Option<u32>>()
            + self.zeros.capacity();
        Stats {
            footprint_bytes: footprint as u64,
            ..self.stats
        }
    }

    fn record_events(&mut self, on: bool) {
        self.events.set_recording(on);
    }

    #[inline]
    fn drain_events(&mut self, out: &mut Vec<Event>) -> Result<(), GcError> {
        self.events.drain_into(out)
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
}

impl Inspect for Sink {
    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError> {
        Ok(WeakId(self.weak_roots.get(weak)?.0))
    }

    fn live_objects(&self) -> Result<Vec<ObjectId>, GcError> {
        let n = self.objects.len() as u64;
        let mut v = Vec::new();
        v.try_reserve_exact(self.objects.len())
            .map_err(|_| refused())?;
        v.extend((0..n).map(ObjectId));
        Ok(v)
    }

    fn root_list(&self, _list: RootList) -> Result<Vec<ObjectId>, GcError> {
        Ok(Vec::new())
    }
}

/// The limits the sink's `u32` lengths rely on.
const _: () = assert!(MAX_PAYLOAD <= u32::MAX as usize);
const _: () = assert!(MAX_SLOTS <= u32::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;
    use gc_core::tooling::mutator::Mutator;
    use gc_core::tooling::trace::{Reg, Trace};
    use gc_core::{CollectorExt, NullCollector};

    /// Every register holds the same object (by id) in the sink as in
    /// `null` after every line of a trace that stores, reads, copies and
    /// weakly refers; `expect`s meet the same counts; and the sink's
    /// collections are events as null's are.
    #[test]
    fn the_sink_answers_as_null_does() {
        let trace = Trace::parse(
            "gctrace 1
new r0 node 2 16
new r1 atom 8
set r0.1 r1
new r2 tuple r0 nil r1
get r3 r2.0
get r4 r3.1
mov r5 r4
weak w0 r1 cb
del r1
wget r6 w0
set r0.1 nil
get r7 r0.1
fin r3 resurrect
collect 0
unsave
gc threshold 5
expect live 3
expect collected 0
",
        )
        .unwrap();
        let mut sink = Mutator::new(Sink::new_default().unwrap());
        let mut null = Mutator::new(NullCollector::new_default().unwrap());
        for line in &trace.lines {
            sink.step(line).unwrap();
            null.step(line).unwrap();
            assert_eq!(sink.events.len(), null.events.len(), "line {}", line.number);
            sink.events.clear();
            null.events.clear();
            for r in 0..8 {
                let id = |h: Option<Handle>, ids: &dyn Fn(Handle) -> u64| h.map(ids);
                let s = id(sink.register(Reg(r)), &|h| {
                    sink.collector.object_id(h).unwrap().0
                });
                let n = id(null.register(Reg(r)), &|h| {
                    null.collector.object_id(h).unwrap().0
                });
                assert_eq!(s, n, "r{r} after line {}", line.number);
            }
        }
        assert_eq!(sink.ignored_controls, null.ignored_controls);
        let h = sink.register(Reg(0)).unwrap();
        let v = sink.collector.view(h).unwrap();
        assert_eq!(
            (v.kind(), v.slot_count(), v.payload()),
            (Kind::Node, 2, &[0u8; 16][..])
        );
        assert!(sink.collector.payload_mut(h).is_err());
        assert_eq!(sink.collector.live_objects().unwrap().len(), 3);
        sink.release_all().unwrap();
        null.release_all().unwrap();
        assert_eq!(sink.collector.root_count(), 0);
    }

    /// Errors are the trace's, as in every collector: a slot out of
    /// range, a write to a tuple, a stale handle.
    #[test]
    fn the_sink_refuses_what_a_collector_refuses() {
        let mut s = Sink::new_default().unwrap();
        let a = s.alloc_node(1, 0).unwrap();
        let t = s.alloc_tuple(&[Some(a), None]).unwrap();
        assert!(matches!(s.slot(a, 1), Err(GcError::SlotOutOfRange { .. })));
        assert!(matches!(
            s.set_slot(t, 0, None),
            Err(GcError::Immutable(Kind::Tuple))
        ));
        let b = s.clone_handle(a).unwrap();
        s.release(b).unwrap();
        assert_eq!(s.release(b), Err(GcError::StaleHandle));
        assert_eq!(s.alloc_tuple(&[Some(b)]).unwrap_err(), GcError::StaleHandle);
        assert_eq!(s.stats().allocated, 2);
        let got = s.slot(t, 0).unwrap().unwrap();
        assert!(s.same_object(got, a).unwrap());
        for h in [a, t, got] {
            s.release(h).unwrap();
        }
    }
}
