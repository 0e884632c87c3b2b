//! The objects a trace gives `fin`, by id, without a heap: what a replay
//! on the null collector (which frees nothing) would find in the register
//! at each `fin`, followed through registers, slots and weak references.
//!
//! Ids are the spec's: the number of `new` operations before the object.
//! Objects that no register (strong or weak) can reach any more cannot be
//! named again, so they are dropped from time to time: the memory is that
//! of the objects still reachable, plus the ids found, not the trace's
//! length. It stops at the first line the null collector's replay refuses
//! (an empty register where an object is needed, a slot out of range, a
//! write to a tuple or an atom), as that replay did.

use std::collections::{HashMap, HashSet};

use gc_core::tooling::trace::{Op, Value};

/// One object: its slots (a node's or a tuple's members; none for an
/// atom), and whether it is a node (the only kind whose slots are set).
#[derive(Debug)]
struct Object {
    slots: Vec<Option<u64>>,
    node: bool,
}

/// The id model of a trace, fed one operation at a time.
#[derive(Debug, Default)]
pub(super) struct FinalizedIds {
    next: u64,
    registers: HashMap<u32, u64>,
    weak: HashMap<u32, u64>,
    objects: HashMap<u64, Object>,
    /// Object count above which the next allocation drops the unreachable.
    limit: usize,
    finalized: HashSet<u64>,
    stopped: bool,
}

impl FinalizedIds {
    /// The smallest heap worth a pass over the reachable objects.
    const MIN_LIMIT: usize = 4096;

    /// Follows one operation.
    pub(super) fn step(&mut self, op: &Op) {
        if !self.stopped && self.apply(op).is_none() {
            self.stopped = true;
        }
    }

    /// The ids given `fin`, in order.
    pub(super) fn into_sorted(self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.finalized.into_iter().collect();
        ids.sort_unstable();
        ids
    }

    fn reg(&self, r: u32) -> Option<u64> {
        self.registers.get(&r).copied()
    }

    fn value(&self, v: Value) -> Option<u64> {
        match v {
            Value::Nil => None,
            Value::Reg(r) => self.reg(r.0),
        }
    }

    fn assign(&mut self, r: u32, id: Option<u64>) {
        match id {
            Some(id) => self.registers.insert(r, id),
            None => self.registers.remove(&r),
        };
    }

    fn new_object(&mut self, dst: u32, slots: Vec<Option<u64>>, node: bool) {
        if self.objects.len() >= self.limit.max(Self::MIN_LIMIT) {
            self.drop_unreachable();
            self.limit = 2 * self.objects.len();
        }
        let id = self.next;
        self.next += 1;
        self.objects.insert(id, Object { slots, node });
        self.assign(dst, Some(id));
    }

    fn drop_unreachable(&mut self) {
        let mut marked: HashSet<u64> = HashSet::new();
        let mut grey: Vec<u64> = self
            .registers
            .values()
            .chain(self.weak.values())
            .copied()
            .collect();
        while let Some(id) = grey.pop() {
            if marked.insert(id) {
                if let Some(o) = self.objects.get(&id) {
                    grey.extend(o.slots.iter().flatten());
                }
            }
        }
        self.objects.retain(|id, _| marked.contains(id));
    }

    /// `None` where the null collector's replay would stop.
    fn apply(&mut self, op: &Op) -> Option<()> {
        match op {
            Op::NewNode { dst, slots, .. } => {
                self.new_object(dst.0, vec![None; *slots as usize], true);
            }
            Op::NewTuple { dst, members } => {
                let m = members.iter().map(|&v| self.value(v)).collect();
                self.new_object(dst.0, m, false);
            }
            Op::NewAtom { dst, .. } => self.new_object(dst.0, Vec::new(), false),
            Op::Set {
                object,
                slot,
                value,
            } => {
                let v = self.value(*value);
                let o = self
                    .objects
                    .get_mut(&self.registers.get(&object.0).copied()?)?;
                if !o.node {
                    return None;
                }
                *o.slots.get_mut(*slot as usize)? = v;
            }
            Op::Get { dst, object, slot } => {
                let o = self.objects.get(&self.reg(object.0)?)?;
                let v = *o.slots.get(*slot as usize)?;
                self.assign(dst.0, v);
            }
            Op::Mov { dst, src } => self.assign(dst.0, self.reg(src.0)),
            Op::Del(r) => self.assign(r.0, None),
            Op::Fin { object, .. } => {
                let id = self.reg(object.0)?;
                self.finalized.insert(id);
            }
            Op::Weak { dst, object, .. } => {
                let id = self.reg(object.0)?;
                self.weak.insert(dst.0, id);
            }
            Op::Wget { dst, src } => {
                let id = *self.weak.get(&src.0)?;
                self.assign(dst.0, Some(id));
            }
            Op::Wdel(w) => {
                self.weak.remove(&w.0);
            }
            Op::Collect(_) | Op::Unsave | Op::Gc(_) | Op::Expect { .. } => {}
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gc_core::CollectorExt;
    use gc_core::NullCollector;
    use gc_core::tooling::replay::Replayer;
    use gc_core::tooling::trace::Trace;

    /// What the model replaces: a replay on the null collector, reading the
    /// register's object id at each `fin`.
    fn on_null(trace: &Trace) -> Vec<u64> {
        let mut replayer = Replayer::new(NullCollector::new_default().unwrap());
        let mut ids = Vec::new();
        for line in &trace.lines {
            if let Op::Fin { object, .. } = &line.op
                && let Some(h) = replayer.register(*object)
                && let Ok(id) = replayer.collector().object_id(h)
            {
                ids.push(id.0);
            }
            let result = replayer.step(line);
            replayer.records.clear();
            if result.is_err() {
                break;
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn model(trace: &Trace) -> Vec<u64> {
        let mut m = FinalizedIds::default();
        for line in &trace.lines {
            m.step(&line.op);
        }
        m.into_sorted()
    }

    #[test]
    fn ids_follow_registers_slots_and_weak_references() {
        let t = Trace::parse(
            "gctrace 1\nnew r0 node 1 0\nnew r1 atom 4\nset r0.0 r1\ndel r1\nget r2 r0.0\nfin r2\n\
             new r3 tuple r0 nil\nweak w0 r3\ndel r3\nwget r4 w0\nfin r4\nmov r5 r0\nfin r5\n\
             set r9.0 nil\nnew r6 node 0 0\nfin r6\n",
        )
        .unwrap();
        assert_eq!(model(&t), vec![0, 1, 2]);
        assert_eq!(model(&t), on_null(&t), "stops where the replay does");
    }

    /// Many dropped cycles: the model keeps only what registers reach, and
    /// agrees with the null collector on the ids.
    #[test]
    fn dropped_objects_are_forgotten_and_ids_agree_with_the_null_collector() {
        let mut text = String::from("gctrace 1\nnew r0 node 1 0\n");
        for i in 0..20_000 {
            text.push_str("new r1 node 1 0\nset r1.0 r1\n");
            if i % 1000 == 0 {
                text.push_str("fin r1\nset r0.0 r1\n");
            }
        }
        text.push_str("get r2 r0.0\nfin r2\n");
        let t = Trace::parse(&text).unwrap();
        let mut m = FinalizedIds::default();
        for line in &t.lines {
            m.step(&line.op);
        }
        assert!(
            m.objects.len() < 2 * FinalizedIds::MIN_LIMIT,
            "{}",
            m.objects.len()
        );
        assert_eq!(m.into_sorted(), on_null(&t));
    }
}
