//! The executor: a trace's operations applied to a collector through
//! registers, with nothing else on the way.
//!
//! This is where the gctrace semantics live, once: registers are root
//! handles, the old value of a destination register is released *after*
//! the new one is made (as `r = Node()` does in Python), `wget` of a dead
//! referent is nil, and a trace error is a [`LineError`]. `gc-bench run`
//! and the criterion benches execute workloads through [`Mutator`]
//! directly; [`Replayer`](crate::tooling::replay::Replayer) wraps it to add the
//! spec's event records, operation counts and `expect` reporting (that
//! bookkeeping measured about 30 % of a reference-counting run, which would
//! blur every ratio in a benchmark report).

use crate::tooling::line_error::{LineError, LineErrorKind};
use crate::tooling::trace::{Field, Line, Op, Reg, Value, WeakReg};
use crate::{
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
    /// `gc …` controls the collector has no counterpart for.
    pub ignored_controls: u64,
}

fn in_register(error: GcError, object: Reg) -> LineErrorKind {
    LineErrorKind::RefusedIn { error, object }
}

impl<C: Collector> Mutator<C> {
    /// Empty registers over `collector`, which records events from now on.
    pub fn new(mut collector: C) -> Self {
        collector.record_events(true);
        Mutator {
            collector,
            registers: Vec::new(),
            weak_registers: Vec::new(),
            members: Vec::new(),
            events: Vec::new(),
            last_collect: (0, 0),
            ignored_controls: 0,
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
    fn object(&self, r: Reg) -> Result<Handle, LineErrorKind> {
        self.register(r).ok_or(LineErrorKind::EmptyRegister(r))
    }

    #[inline]
    fn assign(&mut self, r: Reg, h: Option<Handle>) -> Result<(), LineErrorKind> {
        let i = r.0 as usize;
        if self.registers.len() <= i {
            self.registers.resize(i + 1, None);
        }
        match std::mem::replace(&mut self.registers[i], h) {
            Some(old) => Ok(self.collector.release(old)?),
            None => Ok(()),
        }
    }

    fn assign_weak(&mut self, w: WeakReg, h: Option<WeakHandle>) -> Result<(), LineErrorKind> {
        let i = w.0 as usize;
        if self.weak_registers.len() <= i {
            self.weak_registers.resize(i + 1, None);
        }
        match std::mem::replace(&mut self.weak_registers[i], h) {
            Some(old) => Ok(self.collector.release_weak(old)?),
            None => Ok(()),
        }
    }

    /// Executes one line and moves the collector's events into
    /// [`Mutator::events`]; `Err` is a trace error, a failed `expect`
    /// ([`LineErrorKind::ExpectFailed`]), or events the collector lost
    /// ([`LineErrorKind::EventsLost`], after the line ran).
    #[inline]
    pub fn step(&mut self, line: &Line) -> Result<(), LineError> {
        let result = self.execute(&line.op);
        let drained = self.take_events();
        result.map_err(|e| e.at(line.number))?;
        drained.map_err(|e| LineErrorKind::EventsLost(e).at(line.number))?;
        match self.failed_expect(&line.op) {
            Some((field, expected, actual)) => Err(LineErrorKind::ExpectFailed {
                field,
                expected,
                actual,
            }
            .at(line.number)),
            None => Ok(()),
        }
    }

    /// Moves the collector's new events into [`Mutator::events`], noting
    /// the latest collection's counts for `expect collected/uncollectable`.
    /// `Err` as [`Collector::drain_events`] (nothing taken).
    #[inline]
    pub fn take_events(&mut self) -> Result<(), GcError> {
        let from = self.events.len();
        self.collector.drain_events(&mut self.events)?;
        if let Some(Event::Collect(c)) = self.events[from..]
            .iter()
            .rev()
            .find(|e| matches!(e, Event::Collect(_)))
        {
            self.last_collect = (c.collected, c.uncollectable);
        }
        Ok(())
    }

    /// For an `expect` that applies to this collector and does not hold:
    /// the field, the expected and the actual value.
    pub fn failed_expect(&self, op: &Op) -> Option<(Field, u64, u64)> {
        let Op::Expect {
            collector,
            field,
            value,
        } = op
        else {
            return None;
        };
        if collector.as_deref().is_some_and(|n| n != C::TRAITS.name) {
            return None;
        }
        let actual = self.actual(*field);
        (actual != *value).then_some((*field, *value, actual))
    }

    /// The weak handle in weak register `w`.
    pub fn weak_register(&self, w: WeakReg) -> Option<WeakHandle> {
        self.weak_registers.get(w.0 as usize).copied().flatten()
    }

    /// Releases every register: the mutator drops all its roots.
    pub fn release_all(&mut self) -> Result<(), GcError> {
        for h in std::mem::take(&mut self.registers).into_iter().flatten() {
            self.collector.release(h)?;
        }
        for w in std::mem::take(&mut self.weak_registers)
            .into_iter()
            .flatten()
        {
            self.collector.release_weak(w)?;
        }
        Ok(())
    }

    /// The current value of an `expect` field.
    pub fn actual(&self, field: Field) -> u64 {
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

    /// Runs one operation (`expect` is checked by [`Mutator::failed_expect`]).
    #[inline]
    pub fn execute(&mut self, op: &Op) -> Result<(), LineErrorKind> {
        match op {
            Op::NewNode {
                dst,
                slots,
                payload,
            } => {
                let h = self.collector.alloc(Shape::Node {
                    slots: *slots as usize,
                    payload: *payload as usize,
                })?;
                self.assign(*dst, Some(h))
            }
            Op::NewAtom { dst, payload } => {
                let h = self.collector.alloc(Shape::Atom {
                    payload: *payload as usize,
                })?;
                self.assign(*dst, Some(h))
            }
            Op::NewTuple { dst, members } => {
                let mut m = std::mem::take(&mut self.members);
                m.clear();
                m.extend(members.iter().map(|&v| self.value(v)));
                let h = self.collector.alloc_tuple(&m);
                self.members = m;
                self.assign(*dst, Some(h?))
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
                    .map_err(|error| in_register(error, *object))
            }
            Op::Get { dst, object, slot } => {
                let o = self.object(*object)?;
                let h = self
                    .collector
                    .slot(o, *slot as usize)
                    .map_err(|error| in_register(error, *object))?;
                self.assign(*dst, h)
            }
            Op::Mov { dst, src } => {
                let h = match self.register(*src) {
                    Some(s) => Some(self.collector.clone_handle(s)?),
                    None => None,
                };
                self.assign(*dst, h)
            }
            Op::Del(r) => self.assign(*r, None),
            Op::Collect(g) => {
                let g = Generation::new(u64::from(g.unwrap_or(2)))?;
                self.collector.collect(g)?;
                Ok(())
            }
            Op::Fin { object, resurrect } => {
                let o = self.object(*object)?;
                let f = if *resurrect {
                    Finalizer::Resurrect
                } else {
                    Finalizer::Notify
                };
                Ok(self.collector.set_finalizer(o, f)?)
            }
            Op::Unsave => {
                for h in self.collector.take_saved() {
                    self.collector.release(h)?;
                }
                Ok(())
            }
            Op::Weak {
                dst,
                object,
                callback,
            } => {
                let o = self.object(*object)?;
                let w = self.collector.weak(o, *callback)?;
                self.assign_weak(*dst, Some(w))
            }
            Op::Wget { dst, src } => {
                let w = self
                    .weak_registers
                    .get(src.0 as usize)
                    .copied()
                    .flatten()
                    .ok_or(LineErrorKind::EmptyWeakRegister(*src))?;
                let h = self.collector.upgrade(w)?;
                self.assign(*dst, h)
            }
            Op::Wdel(w) => self.assign_weak(*w, None),
            Op::Gc(control) => {
                if self.collector.control(*control)? == ControlOutcome::Ignored {
                    self.ignored_controls += 1;
                }
                Ok(())
            }
            Op::Expect { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tooling::trace::Trace;
    use crate::{CollectorExt, NullCollector};

    #[test]
    fn trace_errors_are_one_line_with_the_line_number() {
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
                "gctrace 1\nnew r0 atom 1\nexpect@null live 2\n",
                "line 3: expect live 2 failed: actual 1",
            ),
        ] {
            let t = Trace::parse(text).unwrap();
            let mut m = Mutator::new(NullCollector::new_default().unwrap());
            let err = t.lines.iter().try_for_each(|l| m.step(l)).unwrap_err();
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn the_old_value_is_released_after_the_new_one_is_made() {
        let t = Trace::parse("gctrace 1\nnew r0 node 1 0\nget r0 r0.0\nmov r1 r0\n").unwrap();
        let mut m = Mutator::new(NullCollector::new_default().unwrap());
        for l in &t.lines {
            m.step(l).unwrap();
        }
        assert_eq!(m.register(Reg(0)), None);
        assert_eq!(m.register(Reg(1)), None);
    }
}
