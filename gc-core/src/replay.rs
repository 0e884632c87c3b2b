//! Runs a parsed trace against any [`Collector`] and produces the spec's
//! events.
//!
//! Registers map to root [`Handle`]s, weak registers to [`WeakHandle`]s.
//! Each operation is one or two collector calls; the collector's events are
//! drained after every operation and stamped with the operation's line.
//! [`Replayer::step`] runs one line, so a checker can compare the heap with
//! the [oracle](crate::oracle) between operations; [`replay`] runs them all.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use crate::trace::{Field, Line, Op, Reg, Trace, Value, WeakReg};
use crate::{
    Collector, ControlOutcome, Event, Finalizer, GcError, Generation, Handle, Shape, WeakHandle,
    WeakId,
};

/// One line of `--events jsonl` output, in the spec's field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Record {
    /// A collection.
    Collect {
        /// Line of the operation.
        line: u32,
        /// `explicit` or `auto`.
        trigger: &'static str,
        /// CPython-style generation.
        generation: u8,
        /// The collector's kind of collection.
        kind: &'static str,
        /// See the spec.
        collected: u64,
        /// See the spec.
        uncollectable: u64,
        /// Objects alive after it.
        live_objects: u64,
        /// Their payload bytes.
        live_bytes: u64,
        /// Its duration.
        pause_ns: u64,
    },
    /// A finalizer ran.
    Finalize {
        /// Line of the operation.
        line: u32,
        /// The object id.
        object: u64,
    },
    /// A weak callback ran.
    WeakCallback {
        /// Line of the operation.
        line: u32,
        /// The weak register holding the weak reference (`wN`).
        weak: String,
        /// The referent's id.
        object: u64,
    },
    /// An `expect` did not hold.
    ExpectFailed {
        /// Line of the `expect`.
        line: u32,
        /// The field.
        field: &'static str,
        /// What the trace expected.
        expected: u64,
        /// What the collector had.
        actual: u64,
    },
    /// The end of the run.
    Summary(Summary),
}

/// The `summary` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The collector's name.
    pub collector: &'static str,
    /// Operations executed (`expect` lines not counted).
    pub ops: u64,
    /// Objects allocated.
    pub allocated: u64,
    /// Objects freed.
    pub freed: u64,
    /// Objects alive at the end.
    pub live_objects: u64,
    /// Their payload bytes.
    pub live_bytes: u64,
    /// The most payload bytes alive at once.
    pub peak_live_bytes: u64,
    /// Collections by generation.
    pub collections: Collections,
    /// Time spent collecting.
    pub gc_time_ns: u64,
    /// The longest pause.
    pub max_pause_ns: u64,
    /// Wall time of the replay.
    pub wall_ns: u64,
    /// `gc …` controls this collector has no counterpart for.
    pub ignored_controls: u64,
}

/// Collections per generation, written as `{"0":N,"1":N,"2":N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Collections {
    /// Generation 0 (the youngest, or minor collections).
    #[serde(rename = "0")]
    pub g0: u64,
    /// Generation 1.
    #[serde(rename = "1")]
    pub g1: u64,
    /// Generation 2 (full collections).
    #[serde(rename = "2")]
    pub g2: u64,
}

impl Record {
    /// The record as one JSON line (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records serialize")
    }
}

/// A trace error found while running: the line and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// The 1-based line.
    pub line: u32,
    /// What went wrong, in one line.
    pub message: String,
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReplayError {}

/// How a whole replay ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Failed `expect`s.
    pub expect_failures: u64,
    /// The first trace error, which stopped the replay.
    pub error: Option<ReplayError>,
    /// The summary (also written as the last record).
    pub summary: Summary,
}

impl Outcome {
    /// The spec's exit status: 0 ok, 1 an `expect` failed, 2 a bad trace.
    pub fn exit_code(&self) -> i32 {
        if self.error.is_some() {
            2
        } else if self.expect_failures > 0 {
            1
        } else {
            0
        }
    }
}

/// Replays `trace` on `collector`, passing every record to `sink` as it
/// happens, the summary last. A trace error stops the replay; no summary
/// record follows it (the outcome still carries one), so a reader of the
/// event stream can tell a finished run from an interrupted one.
pub fn replay<C: Collector>(trace: &Trace, collector: C, mut sink: impl FnMut(&Record)) -> Outcome {
    let mut replayer = Replayer::new(collector);
    let mut error = None;
    for line in &trace.lines {
        let result = replayer.step(line);
        replayer.records.drain(..).for_each(|r| sink(&r));
        if let Err(e) = result {
            error = Some(e);
            break;
        }
    }
    let summary = replayer.summary();
    if error.is_none() {
        sink(&Record::Summary(summary.clone()));
    }
    Outcome {
        expect_failures: replayer.expect_failures,
        error,
        summary,
    }
}

/// Executes a trace one line at a time.
#[derive(Debug)]
pub struct Replayer<C: Collector> {
    /// The heap under test.
    pub collector: C,
    registers: Vec<Option<Handle>>,
    weak_registers: Vec<Option<WeakHandle>>,
    weak_names: HashMap<WeakId, u32>,
    events: Vec<Event>,
    /// Records produced by the last steps, not yet taken.
    pub records: Vec<Record>,
    last_collect: (u64, u64),
    ops: u64,
    ignored_controls: u64,
    expect_failures: u64,
    started: Instant,
}

impl<C: Collector> Replayer<C> {
    /// A replayer with empty registers.
    pub fn new(collector: C) -> Self {
        Replayer {
            collector,
            registers: Vec::new(),
            weak_registers: Vec::new(),
            weak_names: HashMap::new(),
            events: Vec::new(),
            records: Vec::new(),
            last_collect: (0, 0),
            ops: 0,
            ignored_controls: 0,
            expect_failures: 0,
            started: Instant::now(),
        }
    }

    /// The handle in register `r`, if any.
    pub fn register(&self, r: Reg) -> Option<Handle> {
        self.registers.get(r.0 as usize).copied().flatten()
    }

    /// The weak handle in weak register `w`, if any.
    pub fn weak_register(&self, w: WeakReg) -> Option<WeakHandle> {
        self.weak_registers.get(w.0 as usize).copied().flatten()
    }

    /// Executes one line. Trace errors (an empty register where an object is
    /// needed, a slot out of range, a write to a tuple or atom) are returned;
    /// the heap stays consistent.
    pub fn step(&mut self, line: &Line) -> Result<(), ReplayError> {
        let result = self.execute(&line.op);
        self.collector.drain_events(&mut self.events);
        for event in self.events.drain(..) {
            let record = match event {
                Event::Collect(c) => {
                    self.last_collect = (c.collected, c.uncollectable);
                    Record::Collect {
                        line: line.number,
                        trigger: c.trigger.name(),
                        generation: c.generation,
                        kind: c.kind,
                        collected: c.collected,
                        uncollectable: c.uncollectable,
                        live_objects: c.live_objects,
                        live_bytes: c.live_bytes,
                        pause_ns: c.pause_ns,
                    }
                }
                Event::Finalize { object } => Record::Finalize {
                    line: line.number,
                    object: object.0,
                },
                Event::WeakCallback { weak, object } => Record::WeakCallback {
                    line: line.number,
                    weak: match self.weak_names.get(&weak) {
                        Some(w) => format!("w{w}"),
                        None => format!("w?{}", weak.0),
                    },
                    object: object.0,
                },
            };
            self.records.push(record);
        }
        match result {
            Ok(Some((field, expected, actual))) => {
                self.expect_failures += 1;
                self.records.push(Record::ExpectFailed {
                    line: line.number,
                    field: field.name(),
                    expected,
                    actual,
                });
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(message) => Err(ReplayError {
                line: line.number,
                message,
            }),
        }
    }

    /// The summary so far.
    pub fn summary(&self) -> Summary {
        let s = self.collector.stats();
        Summary {
            collector: C::TRAITS.name,
            ops: self.ops,
            allocated: s.allocated,
            freed: s.freed,
            live_objects: s.live_objects,
            live_bytes: s.live_bytes,
            peak_live_bytes: s.peak_live_bytes,
            collections: Collections {
                g0: s.collections[0],
                g1: s.collections[1],
                g2: s.collections[2],
            },
            gc_time_ns: s.gc_time_ns,
            max_pause_ns: s.max_pause_ns,
            wall_ns: self.started.elapsed().as_nanos() as u64,
            ignored_controls: self.ignored_controls,
        }
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

    fn value(&self, v: Value) -> Option<Handle> {
        match v {
            Value::Nil => None,
            Value::Reg(r) => self.register(r),
        }
    }

    fn object(&self, r: Reg) -> Result<Handle, String> {
        self.register(r)
            .ok_or_else(|| format!("register {r} is empty where an object is needed"))
    }

    /// Puts `h` in `r` and releases what `r` held before (after: the new
    /// value is made first, as `r = Node()` does in Python).
    fn assign(&mut self, r: Reg, h: Option<Handle>) -> Result<(), String> {
        let i = r.0 as usize;
        if self.registers.len() <= i {
            self.registers.resize(i + 1, None);
        }
        match std::mem::replace(&mut self.registers[i], h) {
            Some(old) => self.collector.release(old).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    fn assign_weak(&mut self, w: WeakReg, h: Option<WeakHandle>) -> Result<(), String> {
        let i = w.0 as usize;
        if self.weak_registers.len() <= i {
            self.weak_registers.resize(i + 1, None);
        }
        match std::mem::replace(&mut self.weak_registers[i], h) {
            Some(old) => self.collector.release_weak(old).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    /// Runs one operation; `Ok(Some(..))` is a failed expect.
    fn execute(&mut self, op: &Op) -> Result<Option<(Field, u64, u64)>, String> {
        let c = |e: GcError| e.to_string();
        if !matches!(op, Op::Expect { .. }) {
            self.ops += 1;
        }
        match op {
            Op::NewNode {
                dst,
                slots,
                payload,
            } => {
                let shape = Shape::Node {
                    slots: *slots as usize,
                    payload: *payload as usize,
                };
                let h = self.collector.alloc(shape).map_err(c)?;
                self.assign(*dst, Some(h))?;
            }
            Op::NewAtom { dst, payload } => {
                let shape = Shape::Atom {
                    payload: *payload as usize,
                };
                let h = self.collector.alloc(shape).map_err(c)?;
                self.assign(*dst, Some(h))?;
            }
            Op::NewTuple { dst, members } => {
                let members: Vec<_> = members.iter().map(|&m| self.value(m)).collect();
                let h = self.collector.alloc_tuple(&members).map_err(c)?;
                self.assign(*dst, Some(h))?;
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
                    .map_err(|e| format!("{e} (in {object})"))?;
            }
            Op::Get { dst, object, slot } => {
                let o = self.object(*object)?;
                let h = self
                    .collector
                    .slot(o, *slot as usize)
                    .map_err(|e| format!("{e} (in {object})"))?;
                self.assign(*dst, h)?;
            }
            Op::Mov { dst, src } => {
                let h = match self.register(*src) {
                    Some(s) => Some(self.collector.clone_handle(s).map_err(c)?),
                    None => None,
                };
                self.assign(*dst, h)?;
            }
            Op::Del(r) => self.assign(*r, None)?,
            Op::Collect(g) => {
                let g = Generation::new(u64::from(g.unwrap_or(2))).map_err(c)?;
                self.collector.collect(g).map_err(c)?;
            }
            Op::Fin { object, resurrect } => {
                let o = self.object(*object)?;
                let f = if *resurrect {
                    Finalizer::Resurrect
                } else {
                    Finalizer::Notify
                };
                self.collector.set_finalizer(o, f).map_err(c)?;
            }
            Op::Unsave => {
                for h in self.collector.take_saved() {
                    self.collector.release(h).map_err(c)?;
                }
            }
            Op::Weak {
                dst,
                object,
                callback,
            } => {
                let o = self.object(*object)?;
                let w = self.collector.weak(o, *callback).map_err(c)?;
                let id = self.collector.weak_id(w).map_err(c)?;
                self.weak_names.insert(id, dst.0);
                self.assign_weak(*dst, Some(w))?;
            }
            Op::Wget { dst, src } => {
                let w = self.weak_register(*src).ok_or_else(|| {
                    format!("weak register {src} is empty where a weak reference is needed")
                })?;
                let h = self.collector.upgrade(w).map_err(c)?;
                self.assign(*dst, h)?;
            }
            Op::Wdel(w) => self.assign_weak(*w, None)?,
            Op::Gc(control) => {
                if self.collector.control(*control).map_err(c)? == ControlOutcome::Ignored {
                    self.ignored_controls += 1;
                }
            }
            Op::Expect {
                collector,
                field,
                value,
            } => {
                if collector.as_deref().is_some_and(|n| n != C::TRAITS.name) {
                    return Ok(None);
                }
                let actual = self.actual(*field);
                if actual != *value {
                    return Ok(Some((*field, *value, actual)));
                }
            }
        }
        Ok(None)
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
}
