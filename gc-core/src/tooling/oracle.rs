//! The reachability oracle: a deliberately naive model heap.
//!
//! It replays the mutator's operations on a graph of plain vectors (objects
//! are never removed from it), and answers two questions:
//!
//! - [`Oracle::reachable`]: the objects reachable from the registers, the
//!   saved list and the garbage list — what a tracing or cycle-collecting
//!   strategy must hold after a full collection;
//! - [`Oracle::rc_live`]: the objects a pure reference counter still holds —
//!   recomputed after every operation as a fixpoint: repeatedly drop every
//!   held object that nothing held points at (roots included), running its
//!   finalizer first (once; a resurrecting one appends it to the saved list
//!   instead of dropping it).
//!
//! It shares no code with any strategy (design-notes: keep independent what
//! checks what), and [`check_trace`] drives a collector and the oracle side
//! by side. What a strategy's traits promise of those sets is judged in
//! [`verdict`], for the oracle and for every faster model alike.

pub mod verdict;

use std::collections::BTreeSet;

use verdict::{Expected, Finalizable, Known, Moment};

use crate::tooling::replay::{Record, Replayer};
use crate::tooling::trace::{Op, Trace, Value};
use crate::{CollectorExt, Finalizer, Inspect, Kind, ObjectId, RootList};

#[derive(Clone, Debug)]
struct ModelObject {
    slots: Vec<Option<u64>>,
    finalizer: Option<Finalizer>,
    finalized: bool,
}

#[derive(Clone, Copy, Debug)]
struct ModelWeak {
    target: u64,
    callback: bool,
    cleared: bool,
}

/// Whether the oracle decides finalizations itself (pure reference
/// counting) or learns them from the collector's events (every other
/// strategy: it checks each is legal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Pure reference counting: finalizers, weak clearing and frees are
    /// predicted exactly.
    RefCount,
    /// Finalizations and weak clearing come from the collector.
    Observed,
}

/// The model heap. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Oracle {
    mode: Mode,
    objects: Vec<ModelObject>,
    registers: Vec<Option<u64>>,
    weak_registers: Vec<Option<ModelWeak>>,
    saved: Vec<u64>,
    garbage: Vec<u64>,
    rc_held: Vec<bool>,
    /// Finalizers run (RefCount mode: predicted; Observed: reported).
    pub finalized: u64,
    /// Weak callbacks run (RefCount mode only).
    pub callbacks: u64,
}

impl Oracle {
    /// An empty model.
    pub fn new(mode: Mode) -> Self {
        Oracle {
            mode,
            objects: Vec::new(),
            registers: Vec::new(),
            weak_registers: Vec::new(),
            saved: Vec::new(),
            garbage: Vec::new(),
            rc_held: Vec::new(),
            finalized: 0,
            callbacks: 0,
        }
    }

    fn reg(&self, r: u32) -> Option<u64> {
        self.registers.get(r as usize).copied().flatten()
    }

    fn set_reg(&mut self, r: u32, v: Option<u64>) {
        let i = r as usize;
        if self.registers.len() <= i {
            self.registers.resize(i + 1, None);
        }
        self.registers[i] = v;
    }

    fn value(&self, v: Value) -> Option<u64> {
        match v {
            Value::Nil => None,
            Value::Reg(r) => self.reg(r.0),
        }
    }

    fn push_object(&mut self, slots: Vec<Option<u64>>) -> u64 {
        self.objects.push(ModelObject {
            slots,
            finalizer: None,
            finalized: false,
        });
        self.rc_held.push(true);
        self.objects.len() as u64 - 1
    }

    /// Applies a mutator operation that ran without error. `wget` is what
    /// the collector's `wget` returned (used in Observed mode; checked in
    /// RefCount mode).
    pub fn apply(&mut self, op: &Op, wget: Option<u64>) -> Result<(), String> {
        match op {
            Op::NewNode { dst, slots, .. } => {
                let id = self.push_object(vec![None; *slots as usize]);
                self.set_reg(dst.0, Some(id));
            }
            Op::NewAtom { dst, .. } => {
                let id = self.push_object(Vec::new());
                self.set_reg(dst.0, Some(id));
            }
            Op::NewTuple { dst, members } => {
                let slots = members.iter().map(|&m| self.value(m)).collect();
                let id = self.push_object(slots);
                self.set_reg(dst.0, Some(id));
            }
            Op::Set {
                object,
                slot,
                value,
            } => {
                let o = self.reg(object.0).ok_or("set on an empty register")?;
                let v = self.value(*value);
                self.objects[o as usize].slots[*slot as usize] = v;
            }
            Op::Get { dst, object, slot } => {
                let o = self.reg(object.0).ok_or("get on an empty register")?;
                let v = self.objects[o as usize].slots[*slot as usize];
                self.set_reg(dst.0, v);
            }
            Op::Mov { dst, src } => {
                let v = self.reg(src.0);
                self.set_reg(dst.0, v);
            }
            Op::Del(r) => self.set_reg(r.0, None),
            Op::Fin { object, resurrect } => {
                let o = self.reg(object.0).ok_or("fin on an empty register")?;
                self.objects[o as usize].finalizer = Some(if *resurrect {
                    Finalizer::Resurrect
                } else {
                    Finalizer::Notify
                });
            }
            Op::Unsave => self.saved.clear(),
            Op::Weak {
                dst,
                object,
                callback,
            } => {
                let o = self.reg(object.0).ok_or("weak on an empty register")?;
                let i = dst.0 as usize;
                if self.weak_registers.len() <= i {
                    self.weak_registers.resize(i + 1, None);
                }
                self.weak_registers[i] = Some(ModelWeak {
                    target: o,
                    callback: *callback,
                    cleared: false,
                });
            }
            Op::Wget { dst, src } => {
                let w = self
                    .weak_registers
                    .get(src.0 as usize)
                    .copied()
                    .flatten()
                    .ok_or("wget on an empty weak register")?;
                let model = (!w.cleared).then_some(w.target);
                let got = match self.mode {
                    Mode::RefCount if wget != model => {
                        return Err(format!(
                            "wget {src}: collector returned {wget:?}, a reference counter would return {model:?}"
                        ));
                    }
                    Mode::RefCount => model,
                    Mode::Observed => {
                        verdict::weak_get(*src, wget, w.target, w.cleared, || {
                            self.reachable_from(self.registers.iter().flatten().copied())
                                .contains(&w.target)
                        })
                        .map_err(|e| e.to_string())?;
                        wget
                    }
                };
                if got.is_none() {
                    if let Some(Some(w)) = self.weak_registers.get_mut(src.0 as usize) {
                        w.cleared = true;
                    }
                }
                self.set_reg(dst.0, got);
            }
            Op::Wdel(w) => {
                if let Some(slot) = self.weak_registers.get_mut(w.0 as usize) {
                    *slot = None;
                }
            }
            Op::Gc(crate::Control::GarbageClear) => self.garbage.clear(),
            Op::Collect(_) | Op::Gc(_) | Op::Expect { .. } => {}
        }
        if self.mode == Mode::RefCount {
            self.settle_rc();
        }
        Ok(())
    }

    /// RefCount mode: drop what no held object or root points at, until
    /// nothing changes.
    fn settle_rc(&mut self) {
        loop {
            let mut counts = vec![0u32; self.objects.len()];
            let roots = self
                .registers
                .iter()
                .flatten()
                .chain(&self.saved)
                .chain(&self.garbage);
            for &r in roots {
                counts[r as usize] += 1;
            }
            for (id, o) in self.objects.iter().enumerate() {
                if self.rc_held[id] {
                    for &s in o.slots.iter().flatten() {
                        counts[s as usize] += 1;
                    }
                }
            }
            let zero: Vec<usize> = (0..self.objects.len())
                .filter(|&i| self.rc_held[i] && counts[i] == 0)
                .collect();
            if zero.is_empty() {
                return;
            }
            for id in zero {
                let o = &mut self.objects[id];
                if o.finalizer.is_some() && !o.finalized {
                    o.finalized = true;
                    self.finalized += 1;
                    if o.finalizer == Some(Finalizer::Resurrect) {
                        self.saved.push(id as u64);
                        continue;
                    }
                }
                self.rc_held[id] = false;
                for w in self.weak_registers.iter_mut().flatten() {
                    if w.target == id as u64 && !w.cleared {
                        w.cleared = true;
                        self.callbacks += u64::from(w.callback);
                    }
                }
            }
        }
    }

    /// Observed mode: the collector ran the finalizer of `id`. Checks it is
    /// legal (not reachable from a register or the garbage list, not run
    /// before) and applies a resurrection.
    pub fn on_finalize(&mut self, id: u64) -> Result<(), String> {
        let from_mutator = self.reachable_from(
            self.registers
                .iter()
                .flatten()
                .chain(&self.garbage)
                .copied(),
        );
        let known = match self.objects.get(id as usize) {
            Some(o) => Known::Object(Finalizable {
                finalizer: o.finalizer,
                finalized: o.finalized,
                reachable: from_mutator.contains(&id),
            }),
            None => Known::Never,
        };
        verdict::finalization(id, known).map_err(|e| e.to_string())?;
        let o = &mut self.objects[id as usize];
        o.finalized = true;
        self.finalized += 1;
        if o.finalizer == Some(Finalizer::Resurrect) {
            self.saved.push(id);
        }
        Ok(())
    }

    /// Observed mode: takes the collector's garbage list as the model's.
    pub fn set_garbage(&mut self, ids: impl IntoIterator<Item = u64>) {
        self.garbage = ids.into_iter().collect();
    }

    fn reachable_from(&self, roots: impl Iterator<Item = u64>) -> BTreeSet<u64> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<u64> = roots.collect();
        while let Some(id) = todo.pop() {
            if seen.insert(id) {
                todo.extend(self.objects[id as usize].slots.iter().flatten());
            }
        }
        seen
    }

    /// Objects reachable from the registers, the saved and the garbage list.
    pub fn reachable(&self) -> BTreeSet<u64> {
        self.reachable_from(
            self.registers
                .iter()
                .flatten()
                .chain(&self.saved)
                .chain(&self.garbage)
                .copied(),
        )
    }

    /// Objects reachable from unreachable objects that have a finalizer (a
    /// strategy that frees finalized objects later may still hold these).
    pub fn finalizer_reachable(&self) -> BTreeSet<u64> {
        let reachable = self.reachable();
        self.reachable_from(
            (0..self.objects.len() as u64).filter(|id| {
                !reachable.contains(id) && self.objects[*id as usize].finalizer.is_some()
            }),
        )
    }

    /// RefCount mode: the objects a pure reference counter still holds.
    pub fn rc_live(&self) -> BTreeSet<u64> {
        (0..self.objects.len() as u64)
            .filter(|&i| self.rc_held[i as usize])
            .collect()
    }

    /// The model's saved list.
    pub fn saved(&self) -> &[u64] {
        &self.saved
    }

    /// Objects created so far.
    pub fn allocated(&self) -> u64 {
        self.objects.len() as u64
    }
}

impl Expected for Oracle {
    fn allocated(&self) -> u64 {
        Oracle::allocated(self)
    }
    fn reachable(&self) -> Vec<u64> {
        Oracle::reachable(self).into_iter().collect()
    }
    fn rc_live(&self) -> Vec<u64> {
        Oracle::rc_live(self).into_iter().collect()
    }
    fn finalizer_reachable(&self) -> Vec<u64> {
        Oracle::finalizer_reachable(self).into_iter().collect()
    }
}

fn ids(v: Vec<ObjectId>) -> Vec<u64> {
    let mut v: Vec<u64> = v.into_iter().map(|i| i.0).collect();
    v.sort_unstable();
    v
}

/// Replays `trace` on `collector` beside the oracle and has [`verdict`]
/// judge, after every operation, what the strategy's
/// [`Traits`](crate::Traits) promise (every finalization, the saved list,
/// the live set; after a full `collect`, the live set of a cycle
/// collector), and for pure reference counting also that the finalizer
/// and callback counts match the oracle's.
///
/// Returns the first discrepancy as `line N: …`.
pub fn check_trace<C: Inspect>(collector: C, trace: &Trace) -> Result<(), String> {
    let t = C::TRAITS;
    let mode = if t.reference_counting && !t.collects_cycles {
        Mode::RefCount
    } else {
        Mode::Observed
    };
    let mut oracle = Oracle::new(mode);
    let mut replayer = Replayer::new(collector);
    for line in &trace.lines {
        let fail = |m: String| format!("line {}: {} ({})", line.number, m, line.op);
        replayer.step(line).map_err(|e| e.to_string())?;
        let wget = match &line.op {
            Op::Wget { dst, .. } => match replayer.register(*dst) {
                Some(h) => Some(
                    replayer
                        .collector()
                        .object_id(h)
                        .map_err(|e| fail(e.to_string()))?
                        .0,
                ),
                None => None,
            },
            _ => None,
        };
        // The mutation first, then the finalizations it caused, checked
        // against the model after it: an operation only ever removes roots,
        // or adds a fresh object with nil slots, so what was unreachable
        // before is unreachable after.
        oracle.apply(&line.op, wget).map_err(fail)?;
        for record in replayer.records.drain(..) {
            if let (Mode::Observed, Record::Finalize { object, .. }) = (mode, record) {
                oracle.on_finalize(object).map_err(fail)?;
            }
        }
        if mode == Mode::Observed {
            oracle.set_garbage(ids(replayer
                .collector()
                .root_list(RootList::Garbage)
                .map_err(|e| fail(e.to_string()))?));
        }

        let c = replayer.collector();
        let live = ids(c.live_objects().map_err(|e| fail(e.to_string()))?);
        let saved = ids(c
            .root_list(RootList::Saved)
            .map_err(|e| fail(e.to_string()))?);
        verdict::saved(&saved, oracle.saved()).map_err(|e| fail(e.to_string()))?;
        let full = matches!(line.op, Op::Collect(None) | Op::Collect(Some(2)));
        let moment = if full {
            Moment::AfterFullCollection
        } else {
            Moment::Any
        };
        verdict::live_set(&t, &oracle, &live, moment).map_err(|e| fail(e.to_string()))?;
        if mode == Mode::RefCount {
            let s = replayer.collector().stats();
            if (s.finalized, s.weak_callbacks) != (oracle.finalized, oracle.callbacks) {
                return Err(fail(format!(
                    "finalized/callbacks {}/{}, oracle says {}/{}",
                    s.finalized, s.weak_callbacks, oracle.finalized, oracle.callbacks
                )));
            }
        }
    }
    // The objects' kinds are part of the contract too: a final sweep over
    // the registers checks the handles still resolve.
    for r in 0..=crate::tooling::trace::MAX_REGISTER.min(4096) {
        if let Some(h) = replayer.register(crate::tooling::trace::Reg(r)) {
            let k = replayer
                .collector()
                .kind(h)
                .map_err(|e| format!("end: r{r}: {e}"))?;
            let _: Kind = k;
        }
    }
    Ok(())
}
