//! CPython's `gc` module, with its names, for people who know it.
//!
//! ```
//! use gc_core::{Collector, CollectorExt};
//! use gc_generational::{GcModule, Generational, callback};
//!
//! let mut heap = Generational::new_default()?;
//! heap.gc().callbacks().push(callback(|_heap, phase, info| {
//!     eprintln!("{}: generation {}, {} collected", phase.as_str(), info.generation, info.collected)
//! }));
//! let l = heap.alloc_node(1, 0)?;          // l = []
//! heap.set_slot(l, 0, Some(l))?;           // l.append(l)
//! heap.release(l)?;                        // del l
//! let mut gc = heap.gc();
//! assert_eq!(gc.get_count(), (1, 0, 0));
//! assert_eq!(gc.collect(2)?, 1);           // gc.collect() == 1
//! assert_eq!(gc.get_count(), (0, 0, 0));
//! assert_eq!(gc.get_stats()[2].collected, 1);
//! assert!(gc.collect(3).is_err());         // ValueError: invalid generation
//! # Ok::<(), gc_core::GcError>(())
//! ```
//!
//! Where the facade departs from Python: `get_objects`, `get_referrers`
//! and `garbage` return [`ObjectId`]s, not objects (a [`Handle`] is a root,
//! and listing the heap should not keep it alive); weak-reference objects,
//! which CPython lists, are left out of `get_objects` because they are not
//! objects of the trace model. Every list the facade makes is sized first
//! and its memory asked for fallibly: refused, the call is
//! [`GcError::OutOfMemory`] and changed nothing (issue #14).

use gc_core::config::refused;
use gc_core::rc::flags;
use gc_core::{Collector, CollectorExt, GcError, Handle, ObjectId};

use crate::collector;
use crate::header::{self, List, TRACKED};
use crate::state::{GcCallback, GenStats, Generational};

/// `heap.gc()`: the `gc` module of a [`Generational`] heap.
pub trait GcModule {
    /// The heap's `gc` module.
    fn gc(&mut self) -> Gc<'_>;
}

impl GcModule for Generational {
    fn gc(&mut self) -> Gc<'_> {
        Gc { heap: self }
    }
}

/// CPython's `gc` module over one heap. See the [module docs](self).
#[derive(Debug)]
pub struct Gc<'h> {
    heap: &'h mut Generational,
}

impl Gc<'_> {
    /// `gc.collect(generation)`: collects generations 0 to `generation` and
    /// returns what was found unreachable (collected + uncollectable).
    /// Works while automatic collection is disabled; returns 0 when called
    /// during a collection (from a callback). Errors outside 0..=2.
    pub fn collect(&mut self, generation: u64) -> Result<u64, GcError> {
        if generation > 2 {
            return Err(GcError::InvalidGeneration(generation));
        }
        collector::collect_explicit(self.heap, generation as usize)
    }

    /// `gc.enable()`.
    pub fn enable(&mut self) {
        self.heap.policy.enabled = true;
    }

    /// `gc.disable()`.
    pub fn disable(&mut self) {
        self.heap.policy.enabled = false;
    }

    /// `gc.isenabled()`.
    pub fn isenabled(&self) -> bool {
        self.heap.policy.enabled
    }

    /// `gc.get_count()`.
    pub fn get_count(&self) -> (u64, u64, u64) {
        let g = &self.heap.policy.gens;
        (g[0].count, g[1].count, g[2].count)
    }

    /// `gc.get_threshold()`.
    pub fn get_threshold(&self) -> (i64, i64, i64) {
        let g = &self.heap.policy.gens;
        (g[0].threshold, g[1].threshold, g[2].threshold)
    }

    /// `gc.set_threshold(t0[, t1[, t2]])`: missing values stay; `t0 == 0`
    /// disables automatic collection; a negative threshold is always
    /// exceeded, as CPython's `int` thresholds are (`t0 < 0`: a collection
    /// at every container allocation).
    pub fn set_threshold(&mut self, t0: i64, t1: Option<i64>, t2: Option<i64>) {
        self.heap.policy.set_threshold(t0, t1, t2);
    }

    /// `gc.get_debug()`.
    pub fn get_debug(&self) -> u32 {
        self.heap.policy.debug
    }

    /// `gc.set_debug(flags)` ([`DEBUG_STATS`](crate::DEBUG_STATS) and the
    /// others).
    pub fn set_debug(&mut self, flags: u32) {
        self.heap.policy.debug = flags;
    }

    /// `gc.freeze()`: moves every tracked object to the permanent
    /// generation, which no collection examines; resets the counts.
    pub fn freeze(&mut self) {
        collector::freeze(self.heap);
    }

    /// `gc.unfreeze()`: the permanent generation back into generation 2.
    pub fn unfreeze(&mut self) {
        collector::unfreeze(self.heap);
    }

    /// `gc.get_freeze_count()`.
    pub fn get_freeze_count(&self) -> u64 {
        header::size(self.heap, List::Permanent)
    }

    /// `gc.get_objects(generation)`: the tracked objects of one generation
    /// (0, 1 or 2), or of all three with `None`, in list order.
    pub fn get_objects(&self, generation: Option<u64>) -> Result<Vec<ObjectId>, GcError> {
        let lists: &[List] = match generation {
            None => &[List::Gen0, List::Gen1, List::Gen2],
            Some(0) => &[List::Gen0],
            Some(1) => &[List::Gen1],
            Some(2) => &[List::Gen2],
            Some(g) => return Err(GcError::InvalidGeneration(g)),
        };
        collect_sized(
            lists
                .iter()
                .flat_map(|&l| header::members(self.heap, l))
                .filter_map(|x| gc_core::rc::ObjRef::from_index(x as usize))
                .filter(|&r| self.heap.header(r).flags & flags::KIND_MASK != flags::WEAKREF)
                .map(|r| ObjectId(self.heap.id(r))),
        )
    }

    /// `gc.get_referrers(*objs)`: tracked objects (generations 0 to 2) with
    /// a slot referring to one of `objs`.
    pub fn get_referrers(&self, objs: &[Handle]) -> Result<Vec<ObjectId>, GcError> {
        let mut targets = Vec::new();
        targets
            .try_reserve_exact(objs.len())
            .map_err(|_| refused())?;
        for &h in objs {
            targets.push(self.heap.resolve(h)?);
        }
        collect_sized(
            [List::Gen0, List::Gen1, List::Gen2]
                .into_iter()
                .flat_map(|l| header::members(self.heap, l))
                .filter_map(|x| gc_core::rc::ObjRef::from_index(x as usize))
                .filter(|&r| {
                    self.heap
                        .slots(r)
                        .iter()
                        .flatten()
                        .any(|s| targets.contains(s))
                })
                .map(|r| ObjectId(self.heap.id(r))),
        )
    }

    /// `gc.get_referents(*objs)`: new roots to what the objects' slots hold
    /// (atoms included), in `tp_traverse` order: a node's slots first to
    /// last, a tuple's members and a node set
    /// [`SlotOrder::LastToFirst`](gc_core::SlotOrder)'s slots (a list's)
    /// last to first.
    /// Refused memory (for the list or a root) is `OutOfMemory`, with the
    /// roots made so far released.
    pub fn get_referents(&mut self, objs: &[Handle]) -> Result<Vec<Handle>, GcError> {
        let mut slots = 0;
        for &h in objs {
            slots += self.heap.slot_count(h)?;
        }
        let mut out = Vec::new();
        out.try_reserve_exact(slots).map_err(|_| refused())?;
        match self.referents_into(objs, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => {
                for r in out {
                    // A root made just above: releasing it frees nothing
                    // (the slot still refers to the object).
                    self.heap.release(r)?;
                }
                Err(e)
            }
        }
    }

    /// `get_referents`' walk, pushing into room reserved for every slot.
    fn referents_into(&mut self, objs: &[Handle], out: &mut Vec<Handle>) -> Result<(), GcError> {
        for &h in objs {
            let n = self.heap.slot_count(h)?;
            // A tuple's members, and a last-first node's slots (a list's),
            // backwards, as `move_unreachable` visits them.
            let reverse = self.heap.header(self.heap.resolve(h)?).last_first();
            for k in 0..n {
                let i = if reverse { n - 1 - k } else { k };
                if let Some(r) = self.heap.slot(h, i)? {
                    out.push(r);
                }
            }
        }
        Ok(())
    }

    /// `gc.is_tracked(obj)`.
    pub fn is_tracked(&self, obj: Handle) -> Result<bool, GcError> {
        let r = self.heap.resolve(obj)?;
        Ok(self.heap.objects[r.index()].flags & TRACKED != 0)
    }

    /// Tracks node `obj` as CPython tracks a dict: untracked while none of
    /// its slots refers to an object that may be tracked (a container
    /// other than an untracked tuple), tracked again by the first
    /// [`set_slot`](Collector::set_slot) that stores one
    /// (`MAINTAIN_TRACKING`), untracked again by a full collection that
    /// finds none (`untrack_dicts`). So `gc.is_tracked({})` and
    /// `gc.is_tracked({"a": 1})` are false, `gc.is_tracked({"a": []})` is
    /// true. Called during a collection (from a finalizer or callback), it
    /// only marks the node; the next full collection may untrack it.
    ///
    /// ```
    /// use gc_core::{Collector, CollectorExt};
    /// use gc_generational::{GcModule, Generational};
    ///
    /// let mut heap = Generational::new_default()?;
    /// let d = heap.alloc_node(2, 0)?;           // d = {}
    /// heap.gc().track_as_dict(d)?;
    /// assert!(!heap.gc().is_tracked(d)?);
    /// let l = heap.alloc_node(0, 0)?;
    /// heap.set_slot(d, 1, Some(l))?;            // d[k] = []
    /// assert!(heap.gc().is_tracked(d)?);
    /// heap.set_slot(d, 1, None)?;               // del d[k]
    /// assert!(heap.gc().is_tracked(d)?);        // until a full collection
    /// heap.gc().collect(2)?;
    /// assert!(!heap.gc().is_tracked(d)?);
    /// # Ok::<(), gc_core::GcError>(())
    /// ```
    pub fn track_as_dict(&mut self, obj: Handle) -> Result<(), GcError> {
        let r = self.heap.resolve(obj)?;
        let x = r.index();
        let f = self.heap.objects[x].flags;
        match f & flags::KIND_MASK {
            flags::NODE => {}
            flags::TUPLE => return Err(GcError::Immutable(gc_core::Kind::Tuple)),
            _ => return Err(GcError::Immutable(gc_core::Kind::Atom)),
        }
        self.heap.objects[x].flags |= header::DICT_TRACKING;
        if f & TRACKED != 0
            && !self.heap.policy.collecting
            && header::holds_nothing_trackable(self.heap, x as u32)
        {
            header::untrack(self.heap, x as u32);
        }
        Ok(())
    }

    /// `gc.is_finalized(obj)`.
    pub fn is_finalized(&self, obj: Handle) -> Result<bool, GcError> {
        let r = self.heap.resolve(obj)?;
        Ok(self.heap.objects[r.index()].flags & flags::FINALIZED != 0)
    }

    /// `gc.get_stats()`, indexed by generation.
    pub fn get_stats(&self) -> [GenStats; 3] {
        self.heap.policy.stats
    }

    /// `gc.garbage`: what DEBUG_SAVEALL kept, in order.
    pub fn garbage(&self) -> Result<Vec<ObjectId>, GcError> {
        collect_sized(self.heap.garbage.iter().map(|&r| ObjectId(self.heap.id(r))))
    }

    /// `gc.garbage.append(obj)`: the program's own entry, after what
    /// DEBUG_SAVEALL kept so far; it holds a reference, as every entry.
    pub fn garbage_append(&mut self, obj: Handle) -> Result<(), GcError> {
        let r = self.heap.resolve(obj)?;
        self.heap
            .garbage
            .try_reserve(1)
            .map_err(|_| gc_core::config::refused())?;
        self.heap.inc(r);
        self.heap.garbage.push(r);
        Ok(())
    }

    /// `gc.garbage.clear()` (last entry released first, as `list.clear`).
    pub fn clear_garbage(&mut self) {
        collector::clear_garbage(self.heap);
    }

    /// `gc.callbacks`: called with "start" and "stop" around every
    /// collection, in list order. Growing the `Vec` is the caller's: its
    /// `push` aborts if the system refuses; [`add_callback`](Self::add_callback)
    /// (or `try_reserve` first) does not.
    pub fn callbacks(&mut self) -> &mut Vec<GcCallback> {
        &mut self.heap.policy.callbacks
    }

    /// `gc.callbacks.append(callback)`, or `OutOfMemory` (the list
    /// unchanged) when the system refuses the room.
    pub fn add_callback(&mut self, callback: GcCallback) -> Result<(), GcError> {
        let callbacks = &mut self.heap.policy.callbacks;
        callbacks.try_reserve(1).map_err(|_| refused())?;
        callbacks.push(callback);
        Ok(())
    }

    /// `long_lived_total` and `long_lived_pending` (not in CPython's API;
    /// for tests and curiosity).
    pub fn long_lived(&self) -> (u64, u64) {
        let p = &self.heap.policy;
        (p.long_lived_total, p.long_lived_pending)
    }

    /// Which generation list the object is in: 0, 1, 2, 3 for the permanent
    /// generation, `None` when untracked (a walk of the lists; for tests).
    pub fn generation_of(&self, obj: Handle) -> Result<Option<u8>, GcError> {
        let r = self.heap.resolve(obj)?;
        let x = r.index() as u32;
        for (i, l) in [List::Gen0, List::Gen1, List::Gen2, List::Permanent]
            .into_iter()
            .enumerate()
        {
            if header::members(self.heap, l).any(|m| m == x) {
                return Ok(Some(i as u8));
            }
        }
        Ok(None)
    }

    /// The heap.
    pub fn heap(&mut self) -> &mut Generational {
        self.heap
    }
}

/// The items of `items` in a `Vec` sized by a first walk, or `OutOfMemory`
/// when the system refuses it.
fn collect_sized<T>(items: impl Iterator<Item = T> + Clone) -> Result<Vec<T>, GcError> {
    let mut out = Vec::new();
    out.try_reserve_exact(items.clone().count())
        .map_err(|_| refused())?;
    out.extend(items);
    Ok(out)
}
