//! The lean executor: a trace's operations applied to a collector through
//! registers, with nothing else on the way.
//!
//! `gc_core::replay::Replayer` is the reference: it builds the spec's event
//! records (with weak-register names), counts operations and keeps the
//! `expect` state on every step. Measured on binary_trees and gcbench
//! (2.3 M operations each), that bookkeeping made the refcount runs about
//! 30 % slower than plain calls, which would blur every ratio in a report;
//! so `gc-bench run` and the criterion benches execute through this
//! [`Mutator`] instead. It has the Replayer's semantics exactly (the old
//! value of a destination register is released *after* the new one is
//! made; `wget` of a dead referent is nil; trace errors carry the same
//! messages), which the tests check by running every workload and every
//! bundled trace through both and comparing the collector's statistics.

use gc_core::trace::{Field, Line, Op, Reg, Value, WeakReg};
use gc_core::{
    Collector, ControlOutcome, Event, Finalizer, GcError, Generation, Handle, Shape, WeakHandle,
};

/// Registers over a collector. See the [module docs](self).
#[derive(Debug)]
pub struct Mutator<C: Collector> {
    /// The heap.
    pub collector: C,
    registers: Vec<Option<Handle>>,
    weak_registers: Vec<Option<WeakHandle>>,
    members: Vec<Option<Handle>>,
    /// Events the collector reported during the last [`Mutator::step`]
    /// (the caller drains them).
    pub events: Vec<Event>,
    last_collect: (u64, u64),
}

fn gc(e: GcError) -> String {
    e.to_string()
}

impl<C: Collector> Mutator<C> {
    /// Empty registers over `collector`.
    pub fn new(collector: C) -> Self {
        Mutator {
            collector,
            registers: Vec::new(),
            weak_registers: Vec::new(),
            members: Vec::new(),
            events: Vec::new(),
            last_collect: (0, 0),
        }
    }

    /// The handle in register `r`.
    #[inline]
    pub fn register(&self, r: Reg) -> Option<Handle> {
        self.registers.get(r.0 as usize).copied().flatten()
    }

    #[inline]
    fn value(&self, v: Value) -> Option<Handle> {
        match v {
            Value::Nil => None,
            Value::Reg(r) => self.register(r),
        }
    }

    #[inline]
    fn object(&self, r: Reg) -> Result<Handle, String> {
        self.register(r)
            .ok_or_else(|| format!("register {r} is empty where an object is needed"))
    }

    #[inline]
    fn assign(&mut self, r: Reg, h: Option<Handle>) -> Result<(), String> {
        let i = r.0 as usize;
        if self.registers.len() <= i {
            self.registers.resize(i + 1, None);
        }
        match std::mem::replace(&mut self.registers[i], h) {
            Some(old) => self.collector.release(old).map_err(gc),
            None => Ok(()),
        }
    }

    fn assign_weak(&mut self, w: WeakReg, h: Option<WeakHandle>) -> Result<(), String> {
        let i = w.0 as usize;
        if self.weak_registers.len() <= i {
            self.weak_registers.resize(i + 1, None);
        }
        match std::mem::replace(&mut self.weak_registers[i], h) {
            Some(old) => self.collector.release_weak(old).map_err(gc),
            None => Ok(()),
        }
    }

    /// Executes one line; `Err` is a trace error (`line N: …`) or a failed
    /// `expect` (`line N: expect F V failed: actual A`).
    #[inline]
    pub fn step(&mut self, line: &Line) -> Result<(), String> {
        let result = self.execute(&line.op);
        self.collector.drain_events(&mut self.events);
        if let Some(Event::Collect(c)) = self
            .events
            .iter()
            .rev()
            .find(|e| matches!(e, Event::Collect(_)))
        {
            self.last_collect = (c.collected, c.uncollectable);
        }
        result.map_err(|m| format!("line {}: {m}", line.number))?;
        if let Op::Expect {
            collector,
            field,
            value,
        } = &line.op
        {
            if collector.as_deref().is_none_or(|n| n == C::TRAITS.name) {
                let actual = self.actual(*field);
                if actual != *value {
                    return Err(format!(
                        "line {}: expect {} {value} failed: actual {actual}",
                        line.number,
                        field.name()
                    ));
                }
            }
        }
        Ok(())
    }

    fn actual(&self, field: Field) -> u64 {
        let s = self.collector.stats();
        match field {
            Field::Collected => self.last_collect.0,
            Field::Uncollectable => self.last_collect.1,
            Field::Live => s.live_objects,
            Field::Finalized => s.finalized,
            Field::Callbacks => s.weak_callbacks,
            Field::Garbage => s.garbage,
            Field::Saved => s.saved,
        }
    }

    #[inline]
    fn execute(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::NewNode {
                dst,
                slots,
                payload,
            } => {
                let h = self
                    .collector
                    .alloc(Shape::Node {
                        slots: *slots as usize,
                        payload: *payload as usize,
                    })
                    .map_err(gc)?;
                self.assign(*dst, Some(h))
            }
            Op::NewAtom { dst, payload } => {
                let h = self
                    .collector
                    .alloc(Shape::Atom {
                        payload: *payload as usize,
                    })
                    .map_err(gc)?;
                self.assign(*dst, Some(h))
            }
            Op::NewTuple { dst, members } => {
                let mut m = std::mem::take(&mut self.members);
                m.clear();
                m.extend(members.iter().map(|&v| self.value(v)));
                let h = self.collector.alloc_tuple(&m);
                self.members = m;
                self.assign(*dst, Some(h.map_err(gc)?))
            }
            Op::Set {
                object,
                slot,
                value,
            } => {
                let o = self.object(*object)?;
                let v = self.value(*value);
                self.collector
                    .set_slot(o, *slot as usize, v)
                    .map_err(|e| format!("{e} (in {object})"))
            }
            Op::Get { dst, object, slot } => {
                let o = self.object(*object)?;
                let h = self
                    .collector
                    .slot(o, *slot as usize)
                    .map_err(|e| format!("{e} (in {object})"))?;
                self.assign(*dst, h)
            }
            Op::Mov { dst, src } => {
                let h = match self.register(*src) {
                    Some(s) => Some(self.collector.clone_handle(s).map_err(gc)?),
                    None => None,
                };
                self.assign(*dst, h)
            }
            Op::Del(r) => self.assign(*r, None),
            Op::Collect(g) => {
                let g = Generation::new(u64::from(g.unwrap_or(2))).map_err(gc)?;
                self.collector.collect(g).map(drop).map_err(gc)
            }
            Op::Fin { object, resurrect } => {
                let o = self.object(*object)?;
                let f = if *resurrect {
                    Finalizer::Resurrect
                } else {
                    Finalizer::Notify
                };
                self.collector.set_finalizer(o, f).map_err(gc)
            }
            Op::Unsave => {
                for h in self.collector.take_saved() {
                    self.collector.release(h).map_err(gc)?;
                }
                Ok(())
            }
            Op::Weak {
                dst,
                object,
                callback,
            } => {
                let o = self.object(*object)?;
                let w = self.collector.weak(o, *callback).map_err(gc)?;
                self.assign_weak(*dst, Some(w))
            }
            Op::Wget { dst, src } => {
                let w = self
                    .weak_registers
                    .get(src.0 as usize)
                    .copied()
                    .flatten()
                    .ok_or_else(|| {
                        format!("weak register {src} is empty where a weak reference is needed")
                    })?;
                let h = self.collector.upgrade(w).map_err(gc)?;
                self.assign(*dst, h)
            }
            Op::Wdel(w) => self.assign_weak(*w, None),
            Op::Gc(control) => self
                .collector
                .control(*control)
                .map(|_: ControlOutcome| ())
                .map_err(gc),
            Op::Expect { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads;
    use gc_core::replay::Replayer;
    use gc_core::trace::Trace;
    use gc_core::{CollectorExt, NullCollector, Stats};
    use gc_refcount::RefCount;

    fn both<C: Collector>(trace: &Trace) -> (Stats, Stats, usize, usize) {
        let mut m = Mutator::new(C::new_default().unwrap());
        let mut m_collects = 0;
        for line in &trace.lines {
            m.step(line).unwrap();
            m_collects += m
                .events
                .drain(..)
                .filter(|e| matches!(e, Event::Collect(_)))
                .count();
        }
        let mut r = Replayer::new(C::new_default().unwrap());
        let mut r_collects = 0;
        for line in &trace.lines {
            r.step(line).unwrap();
            r_collects += r
                .records
                .drain(..)
                .filter(|e| matches!(e, gc_core::replay::Record::Collect { .. }))
                .count();
        }
        (
            m.collector.stats(),
            r.collector.stats(),
            m_collects,
            r_collects,
        )
    }

    fn same(a: Stats, b: Stats) -> bool {
        (
            a.allocated,
            a.freed,
            a.live_objects,
            a.live_bytes,
            a.peak_live_bytes,
            a.collections,
            a.finalized,
            a.weak_callbacks,
            a.saved,
        ) == (
            b.allocated,
            b.freed,
            b.live_objects,
            b.live_bytes,
            b.peak_live_bytes,
            b.collections,
            b.finalized,
            b.weak_callbacks,
            b.saved,
        )
    }

    #[test]
    fn executes_every_workload_and_scenario_exactly_as_the_replayer() {
        let mut traces: Vec<Trace> = workloads::ALL
            .iter()
            .map(|w| Trace::from_ops(w.ops(0.01, 5)))
            .collect();
        for (_, text) in crate::bundled::TRACES {
            traces.push(Trace::parse(text).unwrap());
        }
        for t in &traces {
            let (a, b, ca, cb) = both::<RefCount>(t);
            assert!(same(a, b) && ca == cb, "{a:?} {b:?}");
            let (a, b, ca, cb) = both::<NullCollector>(t);
            assert!(same(a, b) && ca == cb, "{a:?} {b:?}");
        }
    }

    #[test]
    fn trace_errors_read_as_the_replayer_s() {
        for (text, want) in [
            (
                "gctrace 1\nset r0.0 nil\n",
                "line 2: register r0 is empty where an object is needed",
            ),
            (
                "gctrace 1\nnew r0 node 2 0\nset r0.2 nil\n",
                "line 3: slot index 2 out of range: the node has 2 slots (in r0)",
            ),
            (
                "gctrace 1\nwget r0 w0\n",
                "line 2: weak register w0 is empty where a weak reference is needed",
            ),
            (
                "gctrace 1\nnew r0 atom 1\nexpect@refcount live 2\n",
                "line 3: expect live 2 failed: actual 1",
            ),
        ] {
            let t = Trace::parse(text).unwrap();
            let mut m = Mutator::new(RefCount::new_default().unwrap());
            let err = t.lines.iter().try_for_each(|l| m.step(l)).unwrap_err();
            assert_eq!(err, want);
            let mut r = Replayer::new(RefCount::new_default().unwrap());
            if let Err(e) = t.lines.iter().try_for_each(|l| r.step(l)) {
                assert_eq!(e.to_string(), want);
            }
        }
    }
}
