//! Runs a parsed trace against any [`Collector`](crate::Collector) and
//! produces the spec's events.
//!
//! Registers map to root [`Handle`]s, weak registers to [`WeakHandle`]s.
//! Each operation is one or two collector calls; the collector's events are
//! drained after every operation and stamped with the operation's line.
//! [`Replayer::step`] runs one line, so a checker can compare the heap with
//! the [oracle](crate::tooling::oracle) between operations; [`replay`] runs them all.
//!
//! The records are the spec's, field for field (a collect record is the
//! [`CollectEvent`] serialized after its line). One extension, off by
//! default: with [`Replayer::with_detail`] (`replay --detail`) a collect
//! record keeps the [`CollectDetail`](crate::CollectDetail) its collector
//! reported, as a last field `detail`; a collector that reports none
//! writes the spec's line unchanged.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use crate::tooling::line_error::{LineError, LineErrorKind};
use crate::tooling::mutator::Mutator;
use crate::tooling::trace::{Field, Line, Op, Reg, Trace, WeakReg};
use crate::{CollectEvent, Event, GcError, Handle, Inspect, WeakHandle, WeakId};

/// One line of `--events jsonl` output, in the spec's field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Record {
    /// A collection: the event's fields after the line. Its `detail` (not
    /// in the spec) is kept only with [`Replayer::with_detail`], and
    /// written only when the collector reports one, so that otherwise the
    /// line is the spec's.
    Collect {
        /// Line of the operation.
        line: u32,
        /// The collection.
        #[serde(flatten)]
        collect: CollectEvent,
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

/// How a whole replay ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Failed `expect`s.
    pub expect_failures: u64,
    /// The first trace error, which stopped the replay.
    pub error: Option<LineError>,
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
pub fn replay<C: Inspect>(trace: &Trace, collector: C, sink: impl FnMut(&Record)) -> Outcome {
    replay_with(trace, Replayer::new(collector), sink)
}

/// [`replay`] with a replayer set up by the caller (for instance
/// [`Replayer::with_detail`]); its registers must be empty.
pub fn replay_with<C: Inspect>(
    trace: &Trace,
    replayer: Replayer<C>,
    sink: impl FnMut(&Record),
) -> Outcome {
    replay_lines(trace.lines.iter().map(Ok), replayer, sink)
}

/// [`replay_with`] over lines as they are read (a
/// [`Lines`](crate::tooling::trace::Lines) stream): a reading error stops
/// the replay as a trace error does, at its line, without a summary record.
/// Memory does not grow with the number of lines.
pub fn replay_lines<C: Inspect, L: Borrow<Line>>(
    lines: impl IntoIterator<Item = Result<L, LineError>>,
    mut replayer: Replayer<C>,
    mut sink: impl FnMut(&Record),
) -> Outcome {
    let mut error = None;
    for line in lines {
        let result = line.and_then(|line| replayer.step(line.borrow()));
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

/// Executes a trace one line at a time: a [`Mutator`] plus the spec's
/// event records, the operation count and `expect` reporting.
#[derive(Debug)]
pub struct Replayer<C: Inspect> {
    /// The executor (registers over the heap under test).
    pub mutator: Mutator<C>,
    weak_names: HashMap<WeakId, u32>,
    /// Records produced by the last steps, not yet taken.
    pub records: Vec<Record>,
    ops: u64,
    expect_failures: u64,
    started: Instant,
    detail: bool,
}

impl<C: Inspect> Replayer<C> {
    /// A replayer with empty registers.
    pub fn new(collector: C) -> Self {
        Replayer {
            mutator: Mutator::new(collector),
            weak_names: HashMap::new(),
            records: Vec::new(),
            ops: 0,
            expect_failures: 0,
            started: Instant::now(),
            detail: false,
        }
    }

    /// With `true`, every collect record carries the
    /// [`CollectDetail`](crate::CollectDetail) the collector reported with
    /// it (`replay --detail`); collectors
    /// that report none give the spec's records either way. Default
    /// `false`: the spec's records exactly.
    pub fn with_detail(mut self, detail: bool) -> Self {
        self.detail = detail;
        self
    }

    /// The heap under test.
    pub fn collector(&self) -> &C {
        &self.mutator.collector
    }

    /// The heap under test, to call directly.
    pub fn collector_mut(&mut self) -> &mut C {
        &mut self.mutator.collector
    }

    /// The handle in register `r`, if any.
    pub fn register(&self, r: Reg) -> Option<Handle> {
        self.mutator.register(r)
    }

    /// The weak handle in weak register `w`, if any.
    pub fn weak_register(&self, w: WeakReg) -> Option<WeakHandle> {
        self.mutator.weak_register(w)
    }

    /// Executes one line. Trace errors (an empty register where an object is
    /// needed, a slot out of range, a write to a tuple or atom) are returned;
    /// the heap stays consistent. A failed `expect` is a record, not an error.
    pub fn step(&mut self, line: &Line) -> Result<(), LineError> {
        if !matches!(line.op, Op::Expect { .. }) {
            self.ops += 1;
        }
        let result = self.mutator.step(line);
        if let (Ok(()), Op::Weak { dst, .. }) = (&result, &line.op) {
            if let Some(w) = self.mutator.weak_register(*dst) {
                if let Ok(id) = self.mutator.collector.weak_id(w) {
                    self.weak_names.insert(id, dst.0);
                }
            }
        }
        for event in self.mutator.events.drain(..) {
            let record = match event {
                Event::Collect(mut collect) => {
                    if !self.detail {
                        collect.detail = None;
                    }
                    Record::Collect {
                        line: line.number,
                        collect,
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
            Err(LineError {
                line,
                kind:
                    LineErrorKind::ExpectFailed {
                        field,
                        expected,
                        actual,
                    },
            }) => {
                self.expect_failures += 1;
                self.records.push(Record::ExpectFailed {
                    line,
                    field: field.name(),
                    expected,
                    actual,
                });
                Ok(())
            }
            other => other,
        }
    }

    /// The summary so far.
    pub fn summary(&self) -> Summary {
        let s = self.mutator.collector.stats();
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
            ignored_controls: self.mutator.ignored_controls,
        }
    }

    /// Releases every register: the mutator drops all its roots.
    pub fn release_all(&mut self) -> Result<(), GcError> {
        self.mutator.release_all()
    }

    /// The current value of an `expect` field.
    pub fn actual(&self, field: Field) -> u64 {
        self.mutator.actual(field)
    }
}
