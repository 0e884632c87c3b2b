//! The null collector: allocates, never frees. It is the allocation-speed
//! limit every report measures the real strategies against, and it runs
//! every trace (its live set only grows).

use crate::config::{self, HeapLimit, Key, MAX_HEAP, canonical_size};
use crate::embed::{self, EmbedState, ObjectView, report_leaks};
use crate::{
    CollectKind, Collection, Collector, Config, Control, ControlOutcome, Event, EventLog,
    Finalizer, GcError, Generation, Handle, HeapId, Inspect, Kind, ObjectId, RootList, RootTable,
    Shape, Stats, Traits, Trigger, WeakHandle, WeakId,
};

/// The configuration of the [`NullCollector`]: only the heap limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NullConfig {
    /// `max_heap`: the most bytes of objects (canonical layout; 0 = no
    /// limit). See [`config`](crate::config).
    pub max_heap: usize,
}

const NULL_KEYS: [Key; 1] = [MAX_HEAP];

impl Config for NullConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &config::pairs(&NULL_KEYS);

    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError> {
        let key = config::find(&NULL_KEYS, key)?;
        self.max_heap = key.size(value)?;
        Ok(())
    }
}

#[derive(Debug)]
struct NullObject {
    kind: Kind,
    slots: Box<[Option<u32>]>,
    payload: Box<[u8]>,
}

/// A heap that never frees. Objects are numbered by allocation order, so an
/// object's index is its [`ObjectId`].
#[derive(Debug)]
pub struct NullCollector {
    objects: Vec<NullObject>,
    roots: RootTable<u32>,
    /// Weak handles: (weak id, referent). Referents never die.
    weak_roots: RootTable<(u64, u32), WeakHandle>,
    next_weak_id: u64,
    stats: Stats,
    events: EventLog,
    embed: EmbedState<NullCollector>,
    /// Slots of every object (for the footprint).
    slot_count: u64,
    /// Bytes of objects against `max_heap`.
    limit: HeapLimit,
}

impl Drop for NullCollector {
    fn drop(&mut self) {
        report_leaks(self);
    }
}

/// A view of one object of a [`NullCollector`].
#[derive(Clone, Copy, Debug)]
pub struct NullView<'a> {
    heap: &'a NullCollector,
    index: u32,
}

impl<'a> NullView<'a> {
    fn object(self) -> &'a NullObject {
        &self.heap.objects[self.index as usize]
    }
}

impl<'a> ObjectView<'a> for NullView<'a> {
    fn kind(self) -> Kind {
        self.object().kind
    }
    fn id(self) -> ObjectId {
        ObjectId(u64::from(self.index))
    }
    fn slot_count(self) -> usize {
        self.object().slots.len()
    }
    #[inline]
    fn slot(self, index: usize) -> Result<Option<Self>, GcError> {
        let o = self.object();
        match o.slots.get(index) {
            Some(v) => Ok(v.map(|index| NullView {
                heap: self.heap,
                index,
            })),
            None => Err(GcError::SlotOutOfRange {
                index,
                len: o.slots.len(),
                kind: o.kind.name(),
            }),
        }
    }
    fn payload(self) -> &'a [u8] {
        &self.object().payload
    }
    fn same(self, other: Self) -> bool {
        std::ptr::eq(self.heap, other.heap) && self.index == other.index
    }
}

impl NullCollector {
    /// The kind of its collections, which find nothing.
    pub const NO_OP: CollectKind = CollectKind::named("no-op");

    fn resolve(&self, h: Handle) -> Result<&NullObject, GcError> {
        Ok(&self.objects[self.roots.get(h)? as usize])
    }

    /// Slots for a new object, if the limit and the system allow them
    /// (every allocation of an object is fallible: refused memory is
    /// `OutOfMemory`, never an abort).
    fn slots_for(
        &self,
        len: usize,
        payload: usize,
        mut fill: impl FnMut(usize) -> Result<Option<u32>, GcError>,
    ) -> Result<Box<[Option<u32>]>, GcError> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(len)
            .map_err(|_| config::refused())?;
        for i in 0..len {
            slots.push(fill(i)?);
        }
        self.limit.check(canonical_size(len, payload))?;
        Ok(slots.into_boxed_slice())
    }

    fn push(
        &mut self,
        kind: Kind,
        slots: Box<[Option<u32>]>,
        payload: usize,
    ) -> Result<Handle, GcError> {
        let index = u32::try_from(self.objects.len()).map_err(|_| GcError::TooMany {
            what: "objects",
            limit: u64::from(u32::MAX),
        })?;
        let payload_bytes =
            bytemuck::allocation::try_zeroed_slice_box(payload).map_err(|()| config::refused())?;
        self.objects.try_reserve(1).map_err(|_| config::refused())?;
        self.roots.try_reserve(1)?;
        self.limit.add(canonical_size(slots.len(), payload));
        self.slot_count += slots.len() as u64;
        self.objects.push(NullObject {
            kind,
            slots,
            payload: payload_bytes,
        });
        self.stats.on_alloc(payload as u64);
        Ok(self.roots.insert(index))
    }
}

impl Collector for NullCollector {
    const TRAITS: Traits = Traits {
        name: "null",
        summary: "allocates and never frees: the allocation-speed baseline",
        frees_objects: false,
        collects_cycles: false,
        moves_objects: false,
        write_barrier: false,
        incremental: false,
        generational: false,
        reference_counting: false,
        frees_finalized_later: false,
    };
    type Config = NullConfig;
    type View<'a> = NullView<'a>;

    fn with_config(config: NullConfig) -> Result<Self, GcError> {
        let heap = HeapId::fresh()?;
        Ok(NullCollector {
            objects: Vec::new(),
            roots: RootTable::new(heap),
            weak_roots: RootTable::new(heap),
            next_weak_id: 0,
            stats: Stats::default(),
            events: EventLog::default(),
            embed: EmbedState::try_new()?,
            slot_count: 0,
            limit: HeapLimit::new(config.max_heap as u64),
        })
    }

    #[inline]
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError> {
        shape.check()?;
        let slots = self.slots_for(shape.slots(), shape.payload(), |_| Ok(None))?;
        self.push(shape.kind(), slots, shape.payload())
    }

    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError> {
        let roots = &self.roots;
        let slots = self.slots_for(members.len(), 0, |i| {
            members[i].map(|h| roots.get(h)).transpose()
        })?;
        self.push(Kind::Tuple, slots, 0)
    }

    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError> {
        let i = self.roots.get(handle)?;
        self.roots.try_insert(i)
    }

    fn release(&mut self, handle: Handle) -> Result<(), GcError> {
        self.roots.remove(handle).map(drop)
    }

    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError> {
        let o = self.resolve(object)?;
        let v = *o.slots.get(index).ok_or(GcError::SlotOutOfRange {
            index,
            len: o.slots.len(),
            kind: o.kind.name(),
        })?;
        v.map(|v| self.roots.try_insert(v)).transpose()
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
        let o = &mut self.objects[i as usize];
        if o.kind != Kind::Node {
            return Err(GcError::Immutable(o.kind));
        }
        let len = o.slots.len();
        let slot = o.slots.get_mut(index).ok_or(GcError::SlotOutOfRange {
            index,
            len,
            kind: "node",
        })?;
        *slot = value;
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
        let i = self.roots.get(object)? as usize;
        let o = &self.objects[i];
        if o.kind != Kind::Node {
            return Err(GcError::Immutable(o.kind));
        }
        let (old, payload) = (o.slots.len(), o.payload.len());
        let mut resized = Vec::new();
        resized
            .try_reserve_exact(slots)
            .map_err(|_| config::refused())?;
        resized.extend((0..slots).map(|k| o.slots.get(k).copied().flatten()));
        if slots > old {
            // Never frees: the heap holds what the object grew by.
            let grown = canonical_size(slots, payload) - canonical_size(old, payload);
            self.limit.check(grown)?;
            self.limit.add(grown);
            self.slot_count += (slots - old) as u64;
        }
        self.objects[i].slots = resized.into_boxed_slice();
        Ok(())
    }

    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError> {
        let i = self.roots.get(object)?;
        Ok(&mut self.objects[i as usize].payload)
    }

    fn view(&self, object: Handle) -> Result<NullView<'_>, GcError> {
        Ok(NullView {
            heap: self,
            index: self.roots.get(object)?,
        })
    }

    fn set_finalizer(&mut self, object: Handle, _finalizer: Finalizer) -> Result<(), GcError> {
        // Nothing is ever garbage here, so a finalizer never runs.
        self.roots.get(object).map(drop)
    }

    fn weak(&mut self, object: Handle, _callback: bool) -> Result<WeakHandle, GcError> {
        let i = self.roots.get(object)?;
        let id = self.next_weak_id;
        let weak = self.weak_roots.try_insert((id, i))?;
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
        // Roots dropped since the last operation no longer hold anything.
        embed::release_dropped(self);
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
        // Its table of objects, their boxed slots and payloads.
        let footprint = self.objects.capacity() * std::mem::size_of::<NullObject>()
            + self.slot_count as usize * std::mem::size_of::<Option<u32>>();
        Stats {
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
        self.roots.len()
    }

    fn embed_state(&mut self) -> &mut EmbedState<Self> {
        &mut self.embed
    }

    fn embed_state_ref(&self) -> &EmbedState<Self> {
        &self.embed
    }
}

impl Inspect for NullCollector {
    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError> {
        Ok(WeakId(self.weak_roots.get(weak)?.0))
    }

    fn live_objects(&self) -> Result<Vec<ObjectId>, GcError> {
        let n = self.objects.len();
        config::try_collect(n, (0..n as u64).map(ObjectId))
    }

    fn root_list(&self, _list: RootList) -> Result<Vec<ObjectId>, GcError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CollectorExt;

    #[test]
    fn the_heap_limit_refuses_and_leaves_the_heap_usable() {
        let mut c = NullConfig::default();
        c.set("max_heap", "100").unwrap();
        assert!(c.set("max_heap", "-1").is_err());
        assert!(c.set("nursery", "1").is_err());
        let mut h = NullCollector::with_config(c).unwrap();
        let a = h.alloc_node(2, 8).unwrap(); // 40 bytes
        let b = h.alloc_atom(44).unwrap(); // 60: full
        assert_eq!(
            h.alloc_atom(0).unwrap_err(),
            GcError::OutOfMemory { limit: 100 }
        );
        assert_eq!(
            h.alloc_tuple(&[Some(a)]).unwrap_err(),
            GcError::OutOfMemory { limit: 100 }
        );
        assert_eq!(h.stats().allocated, 2);
        h.set_slot(a, 1, Some(b)).unwrap();
        let got = h.slot(a, 1).unwrap().unwrap();
        assert!(h.same_object(got, b).unwrap());
        assert_eq!(h.live_objects().unwrap().len(), 2);
        for x in [a, b, got] {
            h.release(x).unwrap();
        }
    }
}
