//! The gctrace v1 format (`shared/spec/gctrace.md`): a plain-text program of
//! heap operations. [`Lines`] reads one as a stream and [`Trace::parse`]
//! whole, reporting the first mistake as `line N: …` (a
//! [`LineError`]); `Display` on [`Op`] writes one
//! line back, so a generated workload can be recorded and replayed.

mod parse;

use std::fmt;
use std::io::BufRead;

pub use parse::{Lines, MAX_LINE_BYTES, MAX_SHOWN_CHARS, shown};

use crate::tooling::line_error::{LineError, LineErrorKind};

use crate::Control;

/// The highest register number (`r1048575`).
pub const MAX_REGISTER: u32 = (1 << 20) - 1;

/// A strong register `rN`: a root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(pub u32);

/// A weak register `wN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeakReg(pub u32);

/// A value operand: a register's content, or `nil`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// `nil`.
    Nil,
    /// The value of a register (nil if the register is empty).
    Reg(Reg),
}

/// What an `expect` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `collected` of the latest collect event.
    Collected,
    /// `uncollectable` of the latest collect event.
    Uncollectable,
    /// Objects created and not yet freed.
    Live,
    /// Finalizers run so far.
    Finalized,
    /// Weak callbacks run so far.
    Callbacks,
    /// Length of the garbage list.
    Garbage,
    /// Length of the saved list.
    Saved,
}

impl Field {
    /// Every field, for parsing and documentation.
    pub const ALL: [Field; 7] = [
        Field::Collected,
        Field::Uncollectable,
        Field::Live,
        Field::Finalized,
        Field::Callbacks,
        Field::Garbage,
        Field::Saved,
    ];

    /// The gctrace name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Collected => "collected",
            Field::Uncollectable => "uncollectable",
            Field::Live => "live",
            Field::Finalized => "finalized",
            Field::Callbacks => "callbacks",
            Field::Garbage => "garbage",
            Field::Saved => "saved",
        }
    }
}

/// One operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `new rD node S B`.
    NewNode {
        /// Destination.
        dst: Reg,
        /// Slot count.
        slots: u32,
        /// Payload bytes.
        payload: u32,
    },
    /// `new rD tuple …`.
    NewTuple {
        /// Destination.
        dst: Reg,
        /// Members.
        members: Vec<Value>,
    },
    /// `new rD atom B`.
    NewAtom {
        /// Destination.
        dst: Reg,
        /// Payload bytes.
        payload: u32,
    },
    /// `set rO.I rS` / `set rO.I nil`.
    Set {
        /// The node.
        object: Reg,
        /// Slot index.
        slot: u32,
        /// What to store.
        value: Value,
    },
    /// `get rD rO.I`.
    Get {
        /// Destination.
        dst: Reg,
        /// The node or tuple.
        object: Reg,
        /// Slot index.
        slot: u32,
    },
    /// `mov rD rS`.
    Mov {
        /// Destination.
        dst: Reg,
        /// Source.
        src: Reg,
    },
    /// `del rD`.
    Del(Reg),
    /// `collect` (None: full) or `collect G`.
    Collect(Option<u8>),
    /// `fin rO` / `fin rO resurrect`.
    Fin {
        /// The object.
        object: Reg,
        /// Whether the finalizer resurrects.
        resurrect: bool,
    },
    /// `unsave`.
    Unsave,
    /// `weak wD rO` / `weak wD rO cb`.
    Weak {
        /// Destination.
        dst: WeakReg,
        /// The referent.
        object: Reg,
        /// Whether it has a callback.
        callback: bool,
    },
    /// `wget rD wS`.
    Wget {
        /// Destination.
        dst: Reg,
        /// The weak register.
        src: WeakReg,
    },
    /// `wdel wD`.
    Wdel(WeakReg),
    /// `gc …`.
    Gc(Control),
    /// `expect FIELD N` / `expect@NAME FIELD N`.
    Expect {
        /// Only for this collector, if given.
        collector: Option<String>,
        /// The field.
        field: Field,
        /// The expected value.
        value: u64,
    },
}

/// One parsed line: its 1-based number in the file and its operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The 1-based line number.
    pub number: u32,
    /// The operation.
    pub op: Op,
}

/// A parsed gctrace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The operations in order.
    pub lines: Vec<Line>,
}

impl Trace {
    /// Parses gctrace v1 text.
    pub fn parse(text: &str) -> Result<Trace, LineError> {
        Trace::read(text.as_bytes())
    }

    /// Reads a whole gctrace into memory ([`Lines`] streams one instead).
    /// Memory the system refuses for it is `line N: out of memory`, for
    /// the line that did not fit, not an abort.
    pub fn read(input: impl BufRead) -> Result<Trace, LineError> {
        let mut lines = Vec::new();
        for line in Lines::new(input) {
            let line = line?;
            if lines.try_reserve(1).is_err() {
                return Err(LineErrorKind::Refused(crate::config::refused()).at(line.number));
            }
            lines.push(line);
        }
        Ok(Trace { lines })
    }

    /// A trace of these operations, numbered as [`Trace::to_text`] writes
    /// them (the header is line 1).
    pub fn from_ops(ops: impl IntoIterator<Item = Op>) -> Trace {
        Trace {
            lines: ops
                .into_iter()
                .zip(2u32..)
                .map(|(op, number)| Line { number, op })
                .collect(),
        }
    }

    /// The trace as gctrace text, one operation per line after the header.
    pub fn to_text(&self) -> String {
        let mut s = String::from("gctrace 1\n");
        for line in &self.lines {
            s.push_str(&line.op.to_string());
            s.push('\n');
        }
        s
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl fmt::Display for WeakReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "w{}", self.0)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Reg(r) => r.fmt(f),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::NewNode {
                dst,
                slots,
                payload,
            } => write!(f, "new {dst} node {slots} {payload}"),
            Op::NewTuple { dst, members } => {
                write!(f, "new {dst} tuple")?;
                members.iter().try_for_each(|m| write!(f, " {m}"))
            }
            Op::NewAtom { dst, payload } => write!(f, "new {dst} atom {payload}"),
            Op::Set {
                object,
                slot,
                value,
            } => write!(f, "set {object}.{slot} {value}"),
            Op::Get { dst, object, slot } => write!(f, "get {dst} {object}.{slot}"),
            Op::Mov { dst, src } => write!(f, "mov {dst} {src}"),
            Op::Del(r) => write!(f, "del {r}"),
            Op::Collect(None) => f.write_str("collect"),
            Op::Collect(Some(g)) => write!(f, "collect {g}"),
            Op::Fin { object, resurrect } => {
                write!(
                    f,
                    "fin {object}{}",
                    if *resurrect { " resurrect" } else { "" }
                )
            }
            Op::Unsave => f.write_str("unsave"),
            Op::Weak {
                dst,
                object,
                callback,
            } => write!(
                f,
                "weak {dst} {object}{}",
                if *callback { " cb" } else { "" }
            ),
            Op::Wget { dst, src } => write!(f, "wget {dst} {src}"),
            Op::Wdel(w) => write!(f, "wdel {w}"),
            Op::Gc(c) => match c {
                Control::Threshold(t0, t1, t2) => {
                    write!(f, "gc threshold {t0}")?;
                    t1.iter().chain(t2).try_for_each(|t| write!(f, " {t}"))
                }
                Control::Enable => f.write_str("gc enable"),
                Control::Disable => f.write_str("gc disable"),
                Control::Freeze => f.write_str("gc freeze"),
                Control::Unfreeze => f.write_str("gc unfreeze"),
                Control::DebugSaveAll => f.write_str("gc debug saveall"),
                Control::DebugOff => f.write_str("gc debug off"),
                Control::GarbageClear => f.write_str("gc garbage clear"),
            },
            Op::Expect {
                collector,
                field,
                value,
            } => match collector {
                Some(name) => write!(f, "expect@{name} {} {value}", field.name()),
                None => write!(f, "expect {} {value}", field.name()),
            },
        }
    }
}
