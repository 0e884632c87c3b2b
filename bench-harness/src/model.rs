//! The verifier's model heap: the oracle's sets, sized for benchmark runs.
//!
//! `gc_core::tooling::oracle::Oracle` recomputes its answers after every operation
//! (its reference-counting set is a fixpoint over the whole heap), which is
//! right for property tests of a thousand operations and far too slow for a
//! run of millions. This model applies the same operations to flat arrays
//! (4 bytes per object and per slot) and computes, once, at the end of a
//! run, the sets the oracle's [verdict]
//! judges a collector's live set against ([`Expected`]); it judges nothing
//! itself:
//!
//! - the objects reachable from the registers, the saved list and the
//!   garbage list;
//! - the objects a pure reference counter still holds. Objects are never
//!   revived once their count reaches zero (nothing can name them any
//!   more), and references between dead objects only point from those
//!   that died earlier to those that died later, so the set a reference
//!   counter holds after any prefix is the *largest* set of objects each
//!   of which is referenced from a root or from a member of the set: every
//!   object minus what repeated removal of unreferenced objects removes
//!   (Kahn's algorithm, linear time);
//! - what unreachable objects whose finalizer is still to run, or was run
//!   by the final collection, reach.
//!
//! Finalizations and weak lookups are the collector's decisions: the run
//! feeds them in ([`Model::finalized`], the `wget` answer of
//! [`Model::apply`]), and the verdict judges each.
//!
//! # Memory: proportional to what can still matter
//!
//! An object the model can prove will never matter again is dropped: one
//! that is not reachable from the registers, the saved list, the garbage
//! list the collector ends with (known before the model runs), an
//! unreachable object whose finalizer is still to run (it may resurrect
//! what it reaches), or the referent of a weak register not yet seen
//! cleared (a later `wget` may return it) — and, when the verdict asks for
//! the reference-counting set, not held by a pure reference counter. None
//! of those can ever become true again (every new reference starts from
//! one of them), so the sets at the end are those of a model that never
//! drops anything. Object ids stay the allocation order: entries keep
//! their ids, ascending, and an id is found by binary search (only `wget`
//! answers and finalizations ask). A compaction runs when more objects
//! were allocated since the last one than it kept (at least
//! [`MIN_BATCH`]), so its cost is linear in the allocations, amortised,
//! and the model holds at most about twice what can still matter, plus
//! `MIN_BATCH`.

use gc_core::Finalizer;
use gc_core::tooling::oracle::verdict::{self, Discrepancy, Expected, Finalizable, Known};
use gc_core::tooling::trace::{Op, Value};

const NIL: u32 = u32::MAX;

/// The canonical layout's header: two words (a type/flags word and a
/// size or count word, as in CPython's `PyObject` or PyPy's GC header plus
/// type id), the same for every collector.
pub const CANONICAL_HEADER: u64 = 16;
/// The canonical layout's slot: one 64-bit pointer.
pub const CANONICAL_SLOT: u64 = 8;

/// The size of an object with `slots` slots and `payload` payload bytes in
/// the canonical layout every live size is measured in: a 16-byte header,
/// 8 bytes per slot, then the payload. It is no collector's own layout
/// (that is the collector's footprint); it makes live sizes comparable
/// across collectors and gives pointer-only objects (binary trees) the
/// size they have in a real runtime.
pub fn canonical_bytes(slots: u64, payload: u64) -> u64 {
    CANONICAL_HEADER + CANONICAL_SLOT * slots + payload
}
const FIN_NOTIFY: u8 = 1;
const FIN_RESURRECT: u8 = 2;
const FINALIZED: u8 = 4;
/// Finalized by the final collection (after [`Model::final_collection`]).
const FINALIZED_LAST: u8 = 8;

/// The fewest allocations between two compactions.
pub const MIN_BATCH: u64 = 1 << 16;

/// A weak register: its referent's id, and whether a `wget` of it
/// returned nil.
#[derive(Clone, Copy, Debug)]
struct Weak {
    referent: u64,
    cleared: bool,
}

/// The model heap. See the [module docs](self).
///
/// Objects are *entries* `0..entries()`; registers, the saved list and
/// slots hold entries, weak registers hold ids.
#[derive(Debug)]
pub struct Model {
    /// Each entry's object id, ascending.
    ids: Vec<u64>,
    /// `offsets[e]..offsets[e+1]` are entry `e`'s slots in `slots`.
    offsets: Vec<u64>,
    slots: Vec<u32>,
    fin: Vec<u8>,
    /// Payload bytes of each entry.
    payload: Vec<u32>,
    registers: Vec<u32>,
    saved: Vec<u32>,
    weak: Vec<Option<Weak>>,
    /// Objects allocated so far: the next id.
    allocated: u64,
    /// The collector's garbage list at the end (ids, sorted): roots from
    /// their allocation on.
    garbage: Vec<u64>,
    /// Keep what a pure reference counter holds.
    keep_rc_live: bool,
    /// Finalizations from now on are the final collection's.
    last_collection: bool,
    min_batch: u64,
    since_compaction: u64,
    /// Entries the last compaction kept.
    survivors: u64,
    peak_entries: u64,
}

impl Model {
    /// An empty model for a run that ends with `garbage` (object ids) on
    /// the collector's garbage list; `keep_rc_live`: the verdict will ask
    /// for the reference-counting set
    /// ([`needs_rc_live`](verdict::needs_rc_live)).
    pub fn new(keep_rc_live: bool, mut garbage: Vec<u64>) -> Self {
        garbage.sort_unstable();
        garbage.dedup();
        Model {
            ids: Vec::new(),
            offsets: vec![0],
            slots: Vec::new(),
            fin: Vec::new(),
            payload: Vec::new(),
            registers: Vec::new(),
            saved: Vec::new(),
            weak: Vec::new(),
            allocated: 0,
            garbage,
            keep_rc_live,
            last_collection: false,
            min_batch: MIN_BATCH,
            since_compaction: 0,
            survivors: 0,
            peak_entries: 0,
        }
    }

    /// Compacts after at least `min` allocations (instead of
    /// [`MIN_BATCH`]): for tests of compaction on small runs.
    pub fn compacting_every(mut self, min: u64) -> Self {
        self.min_batch = min.max(1);
        self
    }

    /// Objects created so far.
    pub fn allocated(&self) -> u64 {
        self.allocated
    }

    /// Objects the model holds now.
    pub fn entries(&self) -> u64 {
        self.ids.len() as u64
    }

    /// The most objects the model held at once.
    pub fn peak_entries(&self) -> u64 {
        self.peak_entries
    }

    fn entry(&self, id: u64) -> Option<u32> {
        self.ids.binary_search(&id).ok().map(|e| e as u32)
    }

    fn reg(&self, r: u32) -> u32 {
        self.registers.get(r as usize).copied().unwrap_or(NIL)
    }

    fn set_reg(&mut self, r: u32, v: u32) {
        let i = r as usize;
        if self.registers.len() <= i {
            self.registers.resize(i + 1, NIL);
        }
        self.registers[i] = v;
    }

    fn value(&self, v: Value) -> u32 {
        match v {
            Value::Nil => NIL,
            Value::Reg(r) => self.reg(r.0),
        }
    }

    fn object(&self, r: u32, what: &str) -> Result<usize, String> {
        match self.reg(r) {
            NIL => Err(format!("model: {what} on empty register r{r}")),
            e => Ok(e as usize),
        }
    }

    fn slot_index(&self, e: usize, i: u32) -> Result<usize, String> {
        let (start, end) = (self.offsets[e], self.offsets[e + 1]);
        let at = start + u64::from(i);
        if at >= end {
            return Err(format!("model: slot {i} out of range of #{}", self.ids[e]));
        }
        Ok(at as usize)
    }

    fn push(&mut self, slots: impl IntoIterator<Item = u32>, payload: u32) -> Result<u32, String> {
        let e = self.ids.len();
        if e >= NIL as usize {
            return Err("model: more than 2^32 − 1 objects that can still matter".into());
        }
        self.ids.push(self.allocated);
        self.allocated += 1;
        self.since_compaction += 1;
        self.slots.extend(slots);
        self.offsets.push(self.slots.len() as u64);
        self.fin.push(0);
        self.payload.push(payload);
        self.peak_entries = self.peak_entries.max(self.entries());
        Ok(e as u32)
    }

    /// Applies an operation that the collector executed without error.
    /// `wget` is the object the collector's `wget` returned (ignored for
    /// other operations); the verdict judges it.
    pub fn apply(&mut self, op: &Op, wget: Option<u64>) -> Result<(), String> {
        if !self.last_collection && self.since_compaction >= self.min_batch.max(self.survivors) {
            self.compact();
        }
        match op {
            Op::NewNode {
                dst,
                slots,
                payload,
            } => {
                let e = self.push(std::iter::repeat_n(NIL, *slots as usize), *payload)?;
                self.set_reg(dst.0, e);
            }
            Op::NewAtom { dst, payload } => {
                let e = self.push(std::iter::empty(), *payload)?;
                self.set_reg(dst.0, e);
            }
            Op::NewTuple { dst, members } => {
                let members: Vec<u32> = members.iter().map(|&m| self.value(m)).collect();
                let e = self.push(members, 0)?;
                self.set_reg(dst.0, e);
            }
            Op::Set {
                object,
                slot,
                value,
            } => {
                let e = self.object(object.0, "set")?;
                let v = self.value(*value);
                let at = self.slot_index(e, *slot)?;
                self.slots[at] = v;
            }
            Op::Get { dst, object, slot } => {
                let e = self.object(object.0, "get")?;
                let at = self.slot_index(e, *slot)?;
                let v = self.slots[at];
                self.set_reg(dst.0, v);
            }
            Op::Mov { dst, src } => {
                let v = self.reg(src.0);
                self.set_reg(dst.0, v);
            }
            Op::Del(r) => self.set_reg(r.0, NIL),
            Op::Fin { object, resurrect } => {
                let e = self.object(object.0, "fin")?;
                self.fin[e] = (self.fin[e] & FINALIZED)
                    | if *resurrect {
                        FIN_RESURRECT
                    } else {
                        FIN_NOTIFY
                    };
            }
            Op::Unsave => self.saved.clear(),
            Op::Weak { dst, object, .. } => {
                let e = self.object(object.0, "weak")?;
                let i = dst.0 as usize;
                if self.weak.len() <= i {
                    self.weak.resize(i + 1, None);
                }
                self.weak[i] = Some(Weak {
                    referent: self.ids[e],
                    cleared: false,
                });
            }
            Op::Wget { dst, src } => {
                let w = self
                    .weak
                    .get_mut(src.0 as usize)
                    .and_then(Option::as_mut)
                    .ok_or_else(|| format!("model: wget on empty weak register {src}"))?;
                verdict::weak_get(*src, wget, w.referent, w.cleared, || false)
                    .map_err(|e| e.to_string())?;
                let referent = w.referent;
                w.cleared |= wget.is_none();
                let v = match wget {
                    // Not cleared, so never dropped.
                    Some(_) => self
                        .entry(referent)
                        .ok_or_else(|| format!("model: lost the referent #{referent} of {src}"))?,
                    None => NIL,
                };
                self.set_reg(dst.0, v);
            }
            Op::Wdel(w) => {
                if let Some(slot) = self.weak.get_mut(w.0 as usize) {
                    *slot = None;
                }
            }
            Op::Collect(_) | Op::Gc(_) | Op::Expect { .. } => {}
        }
        Ok(())
    }

    /// The finalizations reported from now on are the final collection's
    /// (a strategy that frees finalized objects later may still hold
    /// what those objects reach).
    pub fn final_collection(&mut self) {
        self.last_collection = true;
    }

    /// The collector ran the finalizer of object `id`; the verdict judges
    /// it (the model does not follow reachability between operations: the
    /// oracle's tests check that finalizers run only on unreachable
    /// objects).
    pub fn finalized(&mut self, id: u64) -> Result<(), String> {
        let e = self.entry(id);
        let known = match e {
            Some(e) => {
                let f = self.fin[e as usize];
                Known::Object(Finalizable {
                    finalizer: if f & FIN_RESURRECT != 0 {
                        Some(Finalizer::Resurrect)
                    } else if f & FIN_NOTIFY != 0 {
                        Some(Finalizer::Notify)
                    } else {
                        None
                    },
                    finalized: f & FINALIZED != 0,
                    reachable: false,
                })
            }
            None if id < self.allocated => Known::Settled,
            None => Known::Never,
        };
        verdict::finalization(id, known).map_err(|e: Discrepancy| e.to_string())?;
        let e = e.expect("judged known") as usize;
        self.fin[e] |= if self.last_collection {
            FINALIZED | FINALIZED_LAST
        } else {
            FINALIZED
        };
        if self.fin[e] & FIN_RESURRECT != 0 {
            self.saved.push(e as u32);
        }
        Ok(())
    }

    /// The saved list (object ids, sorted).
    pub fn saved(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.saved.iter().map(|&e| self.ids[e as usize]).collect();
        v.sort_unstable();
        v
    }

    /// The entries of the garbage list's objects allocated so far.
    fn garbage_entries(&self) -> impl Iterator<Item = u32> + '_ {
        self.garbage.iter().filter_map(|&id| self.entry(id))
    }

    /// The registers', the saved list's and (with `garbage`) the garbage
    /// list's entries.
    fn roots(&self, garbage: bool) -> impl Iterator<Item = u32> + '_ {
        self.registers
            .iter()
            .copied()
            .filter(|&r| r != NIL)
            .chain(self.saved.iter().copied())
            .chain(
                garbage
                    .then(|| self.garbage_entries())
                    .into_iter()
                    .flatten(),
            )
    }

    fn out(&self, e: u32) -> &[u32] {
        let e = e as usize;
        &self.slots[self.offsets[e] as usize..self.offsets[e + 1] as usize]
    }

    /// Marks in `seen` what `from` reaches (entries already marked are
    /// taken as done: `seen` must be closed under references).
    fn mark(&self, seen: &mut [bool], from: impl Iterator<Item = u32>) {
        let mut todo: Vec<u32> = from.collect();
        while let Some(e) = todo.pop() {
            if !std::mem::replace(&mut seen[e as usize], true) {
                todo.extend(self.out(e).iter().copied().filter(|&s| s != NIL));
            }
        }
    }

    fn reach(&self, from: impl Iterator<Item = u32>) -> Vec<bool> {
        let mut seen = vec![false; self.ids.len()];
        self.mark(&mut seen, from);
        seen
    }

    fn to_ids(&self, members: &[bool]) -> Vec<u64> {
        members
            .iter()
            .zip(&self.ids)
            .filter(|(m, _)| **m)
            .map(|(_, &id)| id)
            .collect()
    }

    /// Has a finalizer still to run.
    fn pending(&self, e: usize) -> bool {
        self.fin[e] & (FIN_NOTIFY | FIN_RESURRECT) != 0 && self.fin[e] & FINALIZED == 0
    }

    /// The live size now: the objects reachable from the registers and
    /// the saved list, in objects and in bytes of the canonical layout
    /// ([`canonical_bytes`]), the same for every collector.
    pub fn live_size(&self) -> (u64, u64) {
        let seen = self.reach(self.roots(false));
        let mut objects = 0u64;
        let mut bytes = 0u64;
        for (e, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            objects += 1;
            let slots = self.offsets[e + 1] - self.offsets[e];
            bytes += canonical_bytes(slots, u64::from(self.payload[e]));
        }
        (objects, bytes)
    }

    /// What a pure reference counter holds (see the module docs), by
    /// entry.
    fn rc_held(&self) -> Vec<bool> {
        let n = self.ids.len();
        let mut count = vec![0u32; n];
        for r in self.roots(true) {
            count[r as usize] += 1;
        }
        for &s in &self.slots {
            if s != NIL {
                count[s as usize] += 1;
            }
        }
        let mut live = vec![true; n];
        let mut todo: Vec<u32> = (0..n as u32).filter(|&e| count[e as usize] == 0).collect();
        while let Some(e) = todo.pop() {
            live[e as usize] = false;
            for &s in self.out(e) {
                if s != NIL {
                    count[s as usize] -= 1;
                    if count[s as usize] == 0 {
                        todo.push(s);
                    }
                }
            }
        }
        live
    }

    /// Drops every entry that can never matter again (see the module
    /// docs), in place, keeping the others' order.
    fn compact(&mut self) {
        let mut keep = if self.keep_rc_live {
            self.rc_held()
        } else {
            vec![false; self.ids.len()]
        };
        let pending = (0..self.ids.len() as u32).filter(|&e| self.pending(e as usize));
        let referents: Vec<u32> = self
            .weak
            .iter()
            .flatten()
            .filter(|w| !w.cleared)
            .filter_map(|w| self.entry(w.referent))
            .collect();
        let roots: Vec<u32> = self.roots(true).chain(pending).chain(referents).collect();
        self.mark(&mut keep, roots.into_iter());

        let mut remap = vec![NIL; self.ids.len()];
        let mut kept = 0usize;
        let mut start = 0usize;
        let mut slot_end = 0usize;
        for (e, &k) in keep.iter().enumerate() {
            let end = self.offsets[e + 1] as usize;
            if k {
                remap[e] = kept as u32;
                self.ids[kept] = self.ids[e];
                self.fin[kept] = self.fin[e];
                self.payload[kept] = self.payload[e];
                self.slots.copy_within(start..end, slot_end);
                slot_end += end - start;
                self.offsets[kept + 1] = slot_end as u64;
                kept += 1;
            }
            start = end;
        }
        self.ids.truncate(kept);
        self.fin.truncate(kept);
        self.payload.truncate(kept);
        self.offsets.truncate(kept + 1);
        self.slots.truncate(slot_end);
        let moved = |e: &mut u32| {
            if *e != NIL {
                *e = remap[*e as usize];
                debug_assert_ne!(*e, NIL, "a kept entry refers to a dropped one");
            }
        };
        self.slots.iter_mut().for_each(moved);
        self.registers.iter_mut().for_each(moved);
        self.saved.iter_mut().for_each(moved);
        self.since_compaction = 0;
        self.survivors = kept as u64;
    }
}

impl Expected for Model {
    fn allocated(&self) -> u64 {
        self.allocated
    }

    fn reachable(&self) -> Vec<u64> {
        self.to_ids(&self.reach(self.roots(true)))
    }

    fn rc_live(&self) -> Vec<u64> {
        debug_assert!(self.keep_rc_live, "the model dropped what rc holds");
        self.to_ids(&self.rc_held())
    }

    /// What unreachable objects reach whose finalizer is still to run, or
    /// was run by the final collection (one a finalized object's memory
    /// outlives by one collection).
    fn finalizer_reachable(&self) -> Vec<u64> {
        let reachable = self.reach(self.roots(true));
        let sources = (0..self.ids.len() as u32).filter(|&e| {
            let e = e as usize;
            !reachable[e] && (self.pending(e) || self.fin[e] & FINALIZED_LAST != 0)
        });
        self.to_ids(&self.reach(sources))
    }
}

#[cfg(test)]
mod tests;
