//! The verifier's model heap: the oracle's semantics, sized for benchmark
//! runs.
//!
//! `gc_core::tooling::oracle::Oracle` recomputes its answers after every operation
//! (its reference-counting set is a fixpoint over the whole heap), which is
//! right for property tests of a thousand operations and far too slow for a
//! run of millions. This model applies the same operations to flat arrays
//! (4 bytes per object and per slot) and answers the same two questions
//! once, at the end of a run:
//!
//! - [`Model::reachable`]: the objects reachable from the registers, the
//!   saved list and the garbage list;
//! - [`Model::rc_live`]: the objects a pure reference counter still holds.
//!   Objects are never revived once their count reaches zero (nothing can
//!   name them any more), and references between dead objects only point
//!   from those that died earlier to those that died later, so the set a
//!   reference counter holds after any prefix is the *largest* set of
//!   objects each of which is referenced from a root or from a member of
//!   the set: every object minus what repeated removal of unreferenced
//!   objects removes (Kahn's algorithm, linear time).
//!
//! Finalizations and weak lookups are the collector's decisions: the run
//! feeds them in ([`Model::finalized`], the `wget` answer of
//! [`Model::apply`]), and the model checks what it can (a finalizer runs at
//! most once, only on an object that has one). The tests check this model
//! against the oracle on every workload.

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

/// The model heap. See the [module docs](self).
#[derive(Debug, Default)]
pub struct Model {
    /// `offsets[i]..offsets[i+1]` are object `i`'s slots in `slots`.
    offsets: Vec<u64>,
    slots: Vec<u32>,
    fin: Vec<u8>,
    /// Payload bytes of each object.
    payload: Vec<u32>,
    registers: Vec<u32>,
    saved: Vec<u32>,
}

impl Model {
    /// An empty model.
    pub fn new() -> Self {
        Model {
            offsets: vec![0],
            ..Model::default()
        }
    }

    /// Objects created so far.
    pub fn allocated(&self) -> u64 {
        self.offsets.len() as u64 - 1
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
            o => Ok(o as usize),
        }
    }

    fn slot_index(&self, o: usize, i: u32) -> Result<usize, String> {
        let (start, end) = (self.offsets[o], self.offsets[o + 1]);
        let at = start + u64::from(i);
        if at >= end {
            return Err(format!("model: slot {i} out of range of #{o}"));
        }
        Ok(at as usize)
    }

    fn push(&mut self, slots: impl IntoIterator<Item = u32>, payload: u32) -> Result<u32, String> {
        let id = self.allocated();
        if id >= u64::from(NIL) {
            return Err("model: more than 2^32 − 1 objects".into());
        }
        self.slots.extend(slots);
        self.offsets.push(self.slots.len() as u64);
        self.fin.push(0);
        self.payload.push(payload);
        Ok(id as u32)
    }

    /// Applies an operation that the collector executed without error.
    /// `wget` is the object the collector's `wget` returned (ignored for
    /// other operations).
    pub fn apply(&mut self, op: &Op, wget: Option<u64>) -> Result<(), String> {
        match op {
            Op::NewNode {
                dst,
                slots,
                payload,
            } => {
                let id = self.push(std::iter::repeat_n(NIL, *slots as usize), *payload)?;
                self.set_reg(dst.0, id);
            }
            Op::NewAtom { dst, payload } => {
                let id = self.push(std::iter::empty(), *payload)?;
                self.set_reg(dst.0, id);
            }
            Op::NewTuple { dst, members } => {
                let members: Vec<u32> = members.iter().map(|&m| self.value(m)).collect();
                let id = self.push(members, 0)?;
                self.set_reg(dst.0, id);
            }
            Op::Set {
                object,
                slot,
                value,
            } => {
                let o = self.object(object.0, "set")?;
                let v = self.value(*value);
                let at = self.slot_index(o, *slot)?;
                self.slots[at] = v;
            }
            Op::Get { dst, object, slot } => {
                let o = self.object(object.0, "get")?;
                let at = self.slot_index(o, *slot)?;
                let v = self.slots[at];
                self.set_reg(dst.0, v);
            }
            Op::Mov { dst, src } => {
                let v = self.reg(src.0);
                self.set_reg(dst.0, v);
            }
            Op::Del(r) => self.set_reg(r.0, NIL),
            Op::Fin { object, resurrect } => {
                let o = self.object(object.0, "fin")?;
                self.fin[o] = (self.fin[o] & FINALIZED)
                    | if *resurrect {
                        FIN_RESURRECT
                    } else {
                        FIN_NOTIFY
                    };
            }
            Op::Unsave => self.saved.clear(),
            Op::Wget { dst, .. } => {
                let v = match wget {
                    Some(id) if id < self.allocated() => id as u32,
                    Some(id) => return Err(format!("model: wget returned unknown #{id}")),
                    None => NIL,
                };
                self.set_reg(dst.0, v);
            }
            Op::Weak { object, .. } => {
                self.object(object.0, "weak")?;
            }
            Op::Wdel(_) | Op::Collect(_) | Op::Gc(_) | Op::Expect { .. } => {}
        }
        Ok(())
    }

    /// The collector ran the finalizer of `id`.
    pub fn finalized(&mut self, id: u64) -> Result<(), String> {
        let f = self
            .fin
            .get_mut(id as usize)
            .ok_or_else(|| format!("finalizer of unknown object #{id}"))?;
        if *f & FINALIZED != 0 {
            return Err(format!("the finalizer of #{id} ran twice"));
        }
        if *f & (FIN_NOTIFY | FIN_RESURRECT) == 0 {
            return Err(format!("#{id} was finalized but has no finalizer"));
        }
        *f |= FINALIZED;
        if *f & FIN_RESURRECT != 0 {
            self.saved.push(id as u32);
        }
        Ok(())
    }

    /// The saved list, sorted.
    pub fn saved(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.saved.iter().map(|&i| u64::from(i)).collect();
        v.sort_unstable();
        v
    }

    fn roots<'a>(&'a self, garbage: &'a [u64]) -> impl Iterator<Item = u32> + 'a {
        self.registers
            .iter()
            .copied()
            .filter(|&r| r != NIL)
            .chain(self.saved.iter().copied())
            .chain(garbage.iter().map(|&g| g as u32))
    }

    fn out(&self, o: u32) -> &[u32] {
        let o = o as usize;
        &self.slots[self.offsets[o] as usize..self.offsets[o + 1] as usize]
    }

    fn reach(&self, from: impl Iterator<Item = u32>) -> Vec<bool> {
        let mut seen = vec![false; self.allocated() as usize];
        let mut todo: Vec<u32> = from.collect();
        while let Some(o) = todo.pop() {
            if !std::mem::replace(&mut seen[o as usize], true) {
                todo.extend(self.out(o).iter().copied().filter(|&s| s != NIL));
            }
        }
        seen
    }

    /// Reachable from the registers, the saved list and `garbage` (the
    /// collector's garbage list).
    pub fn reachable(&self, garbage: &[u64]) -> Vec<bool> {
        self.reach(self.roots(garbage))
    }

    /// Reachable from unreachable objects that have a finalizer (what a
    /// strategy that frees finalized objects later may still hold).
    pub fn finalizer_reachable(&self, reachable: &[bool]) -> Vec<bool> {
        self.reach(
            (0..self.allocated() as u32)
                .filter(|&o| !reachable[o as usize] && self.fin[o as usize] & 3 != 0),
        )
    }

    /// The live size now: the objects reachable from the registers and
    /// the saved list, in objects and in bytes of the canonical layout
    /// ([`canonical_bytes`]), the same for every collector.
    pub fn live_size(&self) -> (u64, u64) {
        let seen = self.reach(self.roots(&[]));
        let mut objects = 0u64;
        let mut bytes = 0u64;
        for (o, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            objects += 1;
            let slots = self.offsets[o + 1] - self.offsets[o];
            bytes += canonical_bytes(slots, u64::from(self.payload[o]));
        }
        (objects, bytes)
    }

    /// What a pure reference counter holds (see the module docs).
    pub fn rc_live(&self, garbage: &[u64]) -> Vec<bool> {
        let n = self.allocated() as usize;
        let mut count = vec![0u32; n];
        for r in self.roots(garbage) {
            count[r as usize] += 1;
        }
        for &s in &self.slots {
            if s != NIL {
                count[s as usize] += 1;
            }
        }
        let mut live = vec![true; n];
        let mut todo: Vec<u32> = (0..n as u32).filter(|&o| count[o as usize] == 0).collect();
        while let Some(o) = todo.pop() {
            live[o as usize] = false;
            for &s in self.out(o) {
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
}

/// The ids set in a membership vector.
pub fn members(v: &[bool]) -> impl Iterator<Item = u64> + '_ {
    v.iter()
        .enumerate()
        .filter(|(_, b)| **b)
        .map(|(i, _)| i as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_size_counts_reachable_objects_in_the_canonical_layout() {
        use gc_core::tooling::trace::Trace;
        let t = Trace::parse(
            "gctrace 1\nnew r0 node 2 10\nnew r1 atom 5\nset r0.0 r1\nnew r2 tuple r0 nil\nnew r3 node 1 0\ndel r1\n",
        )
        .unwrap();
        let mut m = Model::new();
        for l in &t.lines {
            m.apply(&l.op, None).unwrap();
        }
        // r0 (16 + 16 + 10), its atom (16 + 5), the tuple (16 + 16), r3 (16 + 8).
        assert_eq!(m.live_size(), (4, 42 + 21 + 32 + 24));
        m.apply(&Op::Del(gc_core::tooling::trace::Reg(2)), None)
            .unwrap();
        m.apply(&Op::Del(gc_core::tooling::trace::Reg(0)), None)
            .unwrap();
        assert_eq!(m.live_size(), (1, 24));
        assert_eq!(canonical_bytes(0, 0), 16);
    }
    use crate::workloads;
    use gc_core::tooling::oracle::{Mode, Oracle};
    use gc_core::tooling::replay::{Record, Replayer};
    use gc_core::tooling::trace::Trace;
    use gc_core::{CollectorExt, Inspect};

    /// On every workload small enough for the (quadratic) oracle, the model
    /// gives the oracle's reachable and reference-counting sets, and the
    /// latter is exactly what the refcount collector holds — half-way
    /// through and at the end.
    #[test]
    fn agrees_with_the_oracle_and_the_refcount_collector() {
        let mut checked = 0;
        for w in workloads::ALL {
            let trace = Trace::from_ops(w.ops(0.004, 11));
            if trace.lines.len() > 20_000 {
                continue;
            }
            checked += 1;
            let mut replayer = Replayer::new(gc_refcount::RefCount::new_default().unwrap());
            let mut oracle = Oracle::new(Mode::RefCount);
            let mut model = Model::new();
            let half = trace.lines.len() / 2;
            for (i, line) in trace.lines.iter().enumerate() {
                replayer.step(line).unwrap();
                let wget = match line.op {
                    Op::Wget { dst, .. } => replayer
                        .register(dst)
                        .map(|h| replayer.collector().object_id(h).unwrap().0),
                    _ => None,
                };
                oracle.apply(&line.op, wget).unwrap();
                model.apply(&line.op, wget).unwrap();
                for r in replayer.records.drain(..) {
                    if let Record::Finalize { object, .. } = r {
                        model.finalized(object).unwrap();
                    }
                }
                if i == half || i + 1 == trace.lines.len() {
                    let reach: Vec<u64> = members(&model.reachable(&[])).collect();
                    let want: Vec<u64> = oracle.reachable().into_iter().collect();
                    assert_eq!(reach, want, "{} reachable at {i}", w.name);
                    let rc: Vec<u64> = members(&model.rc_live(&[])).collect();
                    let want: Vec<u64> = oracle.rc_live().into_iter().collect();
                    assert_eq!(rc, want, "{} rc_live at {i}", w.name);
                    let live: Vec<u64> = replayer
                        .collector_mut()
                        .live_set()
                        .into_iter()
                        .map(|o| o.0)
                        .collect();
                    assert_eq!(rc, live, "{} collector at {i}", w.name);
                    assert_eq!(model.saved(), {
                        let mut s = oracle.saved().to_vec();
                        s.sort_unstable();
                        s
                    });
                }
            }
        }
        assert!(checked >= 6, "only {checked} workloads were small enough");
    }

    #[test]
    fn a_finalizer_running_twice_or_without_one_is_caught() {
        let mut m = Model::new();
        let new = Op::NewNode {
            dst: gc_core::tooling::trace::Reg(0),
            slots: 0,
            payload: 0,
        };
        m.apply(&new, None).unwrap();
        assert!(m.finalized(0).unwrap_err().contains("no finalizer"));
        m.apply(
            &Op::Fin {
                object: gc_core::tooling::trace::Reg(0),
                resurrect: true,
            },
            None,
        )
        .unwrap();
        m.finalized(0).unwrap();
        assert_eq!(m.saved(), [0]);
        assert!(m.finalized(0).unwrap_err().contains("twice"));
    }
}
