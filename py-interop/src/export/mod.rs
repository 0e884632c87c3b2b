//! `export --python`: a gctrace as a self-contained Python 3 program that
//! performs the trace's operations on real interpreter objects and prints
//! the same JSONL events as `gc-bench replay --events jsonl`.
//!
//! The program is a small interpreter ([`RUNTIME`], `runtime.py` beside this
//! file) plus the trace encoded as 32-bit integers (64-bit when a value
//! needs it). It runs on CPython (3.9 or later; the facts it relies on were
//! checked on 3.11) and on PyPy.
//!
//! The export streams: it reads the trace twice ([`Lines`]), once for the
//! tables the program starts with and once to encode the operations, and
//! writes as it goes, so its memory does not grow with the trace's length
//! (only with its distinct shapes, its registers, the objects it can still
//! reach, and the objects given `fin`).
//!
//! # How it stays faithful on CPython
//!
//! The spec's last section lists the facts; this is how each is used.
//!
//! * **Nodes** are instances of generated classes with `__slots__` (the
//!   node's slots, zero-padded `s0…` so that CPython's alphabetical member
//!   order is the index order, plus `_f`, `_i`, `_p` and `__weakref__`), one
//!   class per (slot count, payload size). Such instances never come from a
//!   free list: one node is one +1 on the generation-0 count, and its free
//!   one -1. The payload is a plain `bytes` in `_p` (untracked).
//! * **Finalizers**: `fin` switches the object's `__class__` to a subclass
//!   with `__del__` (same layout), so only objects given `fin` have a
//!   `tp_finalize`, and CPython's FINALIZED flag is only ever set on them.
//!   `fin … resurrect` makes `__del__` append the object to the saved list.
//! * **Tuples** are real tuples, padded with `None` to at least 21 members:
//!   on 3.11.7 a 20-tuple is taken fresh (+1) but freed into a free list
//!   (no -1), so 20 is not enough; 21 and longer move the count +1/-1
//!   exactly. CPython's own `_PyTuple_MaybeUntrack` applies to them (padding
//!   and the trailing mark are untracked).
//! * **Atoms** are fresh untracked byte strings: `bytes(B)`, or
//!   `bytearray(B)` for `B < 2` (CPython shares its empty `bytes`). They
//!   cannot be weakly referenced nor given `__del__`: `weak` or `fin` on an
//!   atom (or a tuple) stops the program with a `line N:` error.
//! * **Weak references** are `weakref.ref(obj)` (which CPython reuses, as the
//!   spec says) and `weakref.ref(obj, callback)` with one module-level
//!   callback, so the only allocation is the weak reference itself.
//! * **Start-up**: one warm-up pass of the interpreter over throw-away
//!   objects, then `gc.collect(); gc.freeze(); gc.collect()`; nothing
//!   allocates a tracked object between that last collection and the first
//!   operation, so the counts start at (0, 0, 0) as in a fresh collector.
//! * **Recording** allocates no tracked object: events are ints appended to
//!   a list made before the freeze, and become text at the end. Collections
//!   are seen through `gc.callbacks`. CPython builds an `info` dict for each
//!   callback; after a full collection (which empties the dict free list)
//!   the "stop" dict is a fresh GC allocation that is never given back,
//!   shifting the next automatic collection one allocation early (checked
//!   on 3.11.7). The callback cancels it: the "start" callback of a full
//!   collection makes 25-tuples (their +1s are wiped by the count reset
//!   that follows, and the collection untracks them) and the "stop"
//!   callback frees them (-1 each): one for the dict, and one for each
//!   tuple of 1 to 19 items it puts back into the emptied tuple free lists,
//!   because the argument tuples of `bytes(n)`, `weakref.ref(…)` and
//!   `gc.set_threshold(…)`, and the 2k-tuple that freeing an object with
//!   k ≥ 2 callback weak references makes, would otherwise be fresh
//!   allocations the first time after a full collection (checked against a
//!   model of CPython's trigger rules, with frees, on 3.11.7).
//! * **Weak references that trigger a collection**: calling `weakref.ref`
//!   makes its argument tuple first, a tracked object that a collection
//!   triggered by the weak reference's allocation would count among the
//!   survivors (`long_lived_pending`/`long_lived_total`, hence when
//!   generation 2 runs; found by comparing with a model of CPython's
//!   trigger rules). When `get_count()` says the allocation will trigger,
//!   the program triggers it at the same count with a 25-tuple made just
//!   before and freed right after the weak reference, which cancels the
//!   weak reference's own +1 as the collection's reset would have.
//! * **Order**: `r = …` allocates first and releases the old value after;
//!   `unsave` and `gc garbage clear` release in list order, as the replay
//!   does (`list.clear` would release in reverse).
//! * **Counts**: `collected` is the stop callback's collected +
//!   uncollectable (what `gc.collect()` returns). `live_objects` and
//!   `live_bytes` are exact without touching the GC: live nodes per class
//!   are the class's reference count less its count with no instances (every
//!   instance holds its type), live tuples the reference count of their
//!   mark, and atoms (which the collector never sees) are kept in a side
//!   list and counted by reference count, dead ones dropped (the side list
//!   keeps a dead atom's memory until the next count; the cost is one pass
//!   over the atoms per collection). During an automatic collection the
//!   class being instantiated has one more reference, from the calling
//!   frame's stack; it is not counted, so the object being allocated is not
//!   live yet, as in a collector that collects before allocating.
//!   `peak_live_bytes` is exact for traces without atoms (after each
//!   allocation that could set a new peak, the node classes are counted
//!   again, before the register's old value goes, as a collector measures
//!   at allocation); with atoms it is sampled at each collection and
//!   `expect live`, a lower bound. Times are the interpreter's.
//!
//! Known departures from the trace model: an object freed by reference
//! counting while it has 10 or more live callback weak references makes
//! CPython allocate a tuple of 20 or more items, which moves the count (and
//! may trigger a collection) in the middle of the free, and a 20-tuple is
//! never given back (the random traces of the tests stay below that); a
//! trace's `gc unfreeze` also
//! brings the interpreter's own objects back into generation 2 (the spec
//! says to compare freeze only in hand-written scenarios); thresholds above
//! a C `int` are an error on CPython.
//!
//! # On PyPy
//!
//! `sys.implementation.name == "pypy"` switches to `gc.hooks`, and the
//! events follow the `marksweep` collector's kinds: `minor` (generation 0),
//! `major-step` and `major` (generation 2), `collected` 0, and live counts
//! 0 (PyPy has no reference counts). PyPy delivers hook calls at a safe
//! point after the collections, merged (`count` collections with a total
//! `duration`, each event given an equal share), so an event's line is
//! where the hook ran. A step that brings the state back to scanning
//! completed a major collection and is reported as `major` (PyPy's own
//! `on_gc_collect` carries no duration). An explicit `collect` is one
//! `major` event, as in the collector: `gc.collect()` finishes the major
//! collection in progress and runs a whole one, with a minor collection
//! before each step, and the event's pause is the sum of the durations the
//! hooks report for all of it (on PyPy 7.3.11 they arrive before
//! `gc.collect()` returns). The summary's collections count every event in
//! its generation, `gc_time_ns` is the sum of the pauses, and
//! `max_pause_ns` also takes the hooks' `duration_max`. `gc.collect(G)`
//! ignores `G`. Thresholds, freeze, unfreeze, debug flags and `gc garbage
//! clear` are counted as ignored controls. PyPy registers a finalizer only
//! when an object is made, so objects that will get `fin` (found by a dry
//! run of the trace on the null collector) are born with `__del__`,
//! inactive until `fin`, and
//! their finalizers follow PyPy's rules (at most one per strongly connected
//! component per major collection). PyPy's own settings apply as usual
//! (`PYPY_GC_NURSERY` and the rest; the default nursery follows the cache
//! size, 240 MiB on a machine reporting a 480 MiB cache, so small traces see
//! few minor collections).
//!
//! # Which `expect` lines apply
//!
//! Unqualified `expect` lines always apply. `expect@NAME` applies for the
//! names `cpython` and `generational` on CPython (the generational collector
//! is CPython's model) and `pypy` on PyPy; `--expect-as NAME` at export time
//! or `--expect-as=A,B` when running the program replaces that list.
//! `expect live` is skipped on PyPy.

mod ids;

use std::fmt::Write as _;
use std::io::{self, Write};

use gc_core::Control;
use gc_core::tooling::trace::{Field, Line, Op, Trace, Value};

use ids::FinalizedIds;

/// The interpreter part of every exported program.
pub const RUNTIME: &str = include_str!("runtime.py");

/// Options of the export.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Where the trace came from, for the program's header.
    pub source: String,
    /// `expect@NAME` names that apply, replacing the per-implementation
    /// default.
    pub expect_as: Option<Vec<String>>,
}

/// A trace that can be read more than once, line by line, the same each
/// time: a parsed [`Trace`], a file, or a deterministic generator.
pub trait Lines {
    /// Calls `f` on every line in order; stops at the first error, `f`'s
    /// or the source's own (a line that does not parse, a read error).
    fn for_each_line(&self, f: &mut dyn FnMut(&Line) -> Result<(), String>) -> Result<(), String>;
}

impl Lines for Trace {
    fn for_each_line(&self, f: &mut dyn FnMut(&Line) -> Result<(), String>) -> Result<(), String> {
        self.lines.iter().try_for_each(f)
    }
}

// Opcodes: keep in step with runtime.py.
const OP_NODE: i64 = 0;
const OP_TUPLE: i64 = 1;
const OP_ATOM: i64 = 2;
const OP_SET: i64 = 3;
const OP_GET: i64 = 4;
const OP_MOV: i64 = 5;
const OP_DEL: i64 = 6;
const OP_COLLECT: i64 = 7;
const OP_FIN: i64 = 8;
const OP_UNSAVE: i64 = 9;
const OP_WEAK: i64 = 10;
const OP_WGET: i64 = 11;
const OP_WDEL: i64 = 12;
const OP_GC: i64 = 13;
const OP_EXPECT: i64 = 14;

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn value(v: Value) -> i64 {
    match v {
        Value::Nil => -1,
        Value::Reg(r) => i64::from(r.0),
    }
}

fn field_code(f: Field) -> i64 {
    match f {
        Field::Collected => 0,
        Field::Uncollectable => 1,
        Field::Live => 2,
        Field::Finalized => 3,
        Field::Callbacks => 4,
        Field::Garbage => 5,
        Field::Saved => 6,
    }
}

/// The tables a program starts with, gathered by a first pass over the
/// trace; the second pass encodes each line against them.
#[derive(Debug)]
struct Tables {
    shapes: Vec<(u32, u32)>,
    tuple_sizes: Vec<usize>,
    expect_names: Vec<String>,
    max_reg: u32,
    max_weak: u32,
    /// Every encoded value fits 32 bits.
    narrow: bool,
    lines: u64,
}

impl Default for Tables {
    fn default() -> Self {
        Tables {
            // Class 0 is always (1, 0): the warm-up uses it.
            shapes: vec![(1, 0)],
            tuple_sizes: Vec::new(),
            expect_names: Vec::new(),
            max_reg: 0,
            max_weak: 0,
            narrow: true,
            lines: 0,
        }
    }
}

impl Tables {
    /// The first pass: the tables, and the objects given `fin`.
    fn scan(trace: &dyn Lines) -> Result<(Tables, Vec<u64>), String> {
        let mut t = Tables::default();
        let mut fins = FinalizedIds::default();
        let mut code = Vec::new();
        trace.for_each_line(&mut |line| {
            code.clear();
            t.encode(line, &mut code);
            t.narrow &= code.iter().all(|&v| i32::try_from(v).is_ok());
            t.lines += 1;
            fins.step(&line.op);
            Ok(())
        })?;
        t.tuple_sizes.sort_unstable();
        Ok((t, fins.into_sorted()))
    }

    fn class(&mut self, slots: u32, payload: u32) -> i64 {
        let i = match self.shapes.iter().position(|&s| s == (slots, payload)) {
            Some(i) => i,
            None => {
                self.shapes.push((slots, payload));
                self.shapes.len() - 1
            }
        };
        i as i64
    }

    fn reg(&mut self, r: u32) -> i64 {
        self.max_reg = self.max_reg.max(r);
        i64::from(r)
    }

    fn weak(&mut self, w: u32) -> i64 {
        self.max_weak = self.max_weak.max(w);
        i64::from(w)
    }

    fn expect_name(&mut self, name: &str) -> i64 {
        let i = match self.expect_names.iter().position(|x| x == name) {
            Some(i) => i,
            None => {
                self.expect_names.push(name.to_owned());
                self.expect_names.len() - 1
            }
        };
        i as i64
    }

    /// Appends `line` encoded to `out`, adding what it needs to the tables.
    fn encode(&mut self, line: &Line, out: &mut Vec<i64>) {
        let n = i64::from(line.number);
        match &line.op {
            Op::NewNode {
                dst,
                slots,
                payload,
            } => {
                let op = [OP_NODE, n, self.reg(dst.0), self.class(*slots, *payload)];
                out.extend(op);
            }
            Op::NewTuple { dst, members } => {
                out.extend([OP_TUPLE, n, self.reg(dst.0), members.len() as i64]);
                for m in members {
                    if let Value::Reg(r) = m {
                        self.reg(r.0);
                    }
                    out.push(value(*m));
                }
                if !self.tuple_sizes.contains(&members.len()) {
                    self.tuple_sizes.push(members.len());
                }
            }
            Op::NewAtom { dst, payload } => {
                out.extend([OP_ATOM, n, self.reg(dst.0), i64::from(*payload)]);
            }
            Op::Set {
                object,
                slot,
                value: v,
            } => {
                if let Value::Reg(r) = v {
                    self.reg(r.0);
                }
                let op = [OP_SET, n, self.reg(object.0), i64::from(*slot), value(*v)];
                out.extend(op);
            }
            Op::Get { dst, object, slot } => {
                let op = [
                    OP_GET,
                    n,
                    self.reg(dst.0),
                    self.reg(object.0),
                    i64::from(*slot),
                ];
                out.extend(op);
            }
            Op::Mov { dst, src } => {
                let op = [OP_MOV, n, self.reg(dst.0), self.reg(src.0)];
                out.extend(op);
            }
            Op::Del(r) => {
                let op = [OP_DEL, n, self.reg(r.0)];
                out.extend(op);
            }
            Op::Collect(g) => out.extend([OP_COLLECT, n, i64::from(g.unwrap_or(2))]),
            Op::Fin { object, resurrect } => {
                let op = [OP_FIN, n, self.reg(object.0), i64::from(*resurrect)];
                out.extend(op);
            }
            Op::Unsave => out.extend([OP_UNSAVE, n]),
            Op::Weak {
                dst,
                object,
                callback,
            } => {
                let op = [
                    OP_WEAK,
                    n,
                    self.weak(dst.0),
                    self.reg(object.0),
                    i64::from(*callback),
                ];
                out.extend(op);
            }
            Op::Wget { dst, src } => {
                let op = [OP_WGET, n, self.reg(dst.0), self.weak(src.0)];
                out.extend(op);
            }
            Op::Wdel(w) => {
                let op = [OP_WDEL, n, self.weak(w.0)];
                out.extend(op);
            }
            Op::Gc(control) => match *control {
                Control::Threshold(t0, t1, t2) => {
                    let ts = [Some(t0), t1, t2].into_iter().flatten().map(clamp);
                    out.extend([OP_GC, n, 0, ts.clone().count() as i64]);
                    out.extend(ts);
                }
                Control::Enable => out.extend([OP_GC, n, 1]),
                Control::Disable => out.extend([OP_GC, n, 2]),
                Control::Freeze => out.extend([OP_GC, n, 3]),
                Control::Unfreeze => out.extend([OP_GC, n, 4]),
                Control::DebugSaveAll => out.extend([OP_GC, n, 5]),
                Control::DebugOff => out.extend([OP_GC, n, 6]),
                Control::GarbageClear => out.extend([OP_GC, n, 7]),
            },
            Op::Expect {
                collector,
                field,
                value: v,
            } => {
                let who = match collector {
                    None => -1,
                    Some(name) => self.expect_name(name),
                };
                out.extend([OP_EXPECT, n, who, field_code(*field), clamp(*v)]);
            }
        }
    }
}

/// Standard base64 with `=` padding, in lines of 76 characters, written
/// as the bytes come.
struct Base64<W: Write> {
    out: W,
    pending: [u8; 3],
    held: usize,
    groups: u64,
}

impl<W: Write> Base64<W> {
    const ALPHABET: &'static [u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    fn new(out: W) -> Self {
        Base64 {
            out,
            pending: [0; 3],
            held: 0,
            groups: 0,
        }
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        for &b in bytes {
            self.pending[self.held] = b;
            self.held += 1;
            if self.held == 3 {
                self.group()?;
            }
        }
        Ok(())
    }

    /// Writes the held bytes (1 to 3) as one group of four characters.
    fn group(&mut self) -> io::Result<()> {
        if self.groups > 0 && self.groups % 19 == 0 {
            self.out.write_all(b"\n")?;
        }
        let b = self.pending;
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let mut text = [b'='; 4];
        for (k, c) in text.iter_mut().enumerate().take(self.held + 1) {
            *c = Self::ALPHABET[((n >> (18 - 6 * k)) & 63) as usize];
        }
        self.out.write_all(&text)?;
        self.groups += 1;
        self.pending = [0; 3];
        self.held = 0;
        Ok(())
    }

    /// Writes what is held and gives the writer back.
    fn finish(mut self) -> io::Result<W> {
        if self.held > 0 {
            self.group()?;
        }
        Ok(self.out)
    }
}

fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn py_list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    let parts: Vec<String> = items.iter().map(f).collect();
    format!("[{}]", parts.join(", "))
}

/// Why an export stopped: the trace (a line that does not parse, read
/// twice differently) or the output.
#[derive(Debug)]
pub enum ExportError {
    /// The trace, in one line (`line N: …`).
    Trace(String),
    /// Writing the program.
    Write(io::Error),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Trace(e) => f.write_str(e),
            ExportError::Write(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<io::Error> for ExportError {
    fn from(e: io::Error) -> Self {
        ExportError::Write(e)
    }
}

/// Writes the Python program for `trace` to `out`. The whole trace is
/// read once before anything is written, so a trace error leaves `out`
/// untouched.
pub fn write_python_program(
    trace: &dyn Lines,
    options: &Options,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let (mut tables, fin_ids) = Tables::scan(trace).map_err(ExportError::Trace)?;
    write_header(&tables, &fin_ids, options, out)?;
    out.write_all(b"OPS = \"\"\"\n")?;
    let mut base64 = Base64::new(&mut *out);
    let mut code = Vec::new();
    let mut bytes = Vec::new();
    let mut io_error = None;
    let narrow = tables.narrow;
    trace
        .for_each_line(&mut |line| {
            code.clear();
            bytes.clear();
            tables.encode(line, &mut code);
            for &v in &code {
                if narrow {
                    bytes.extend_from_slice(&(v as i32).to_le_bytes());
                } else {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
            }
            base64.write(&bytes).map_err(|e| {
                let message = e.to_string();
                io_error = Some(e);
                message
            })
        })
        .map_err(|e| match io_error.take() {
            Some(io) => ExportError::Write(io),
            None => ExportError::Trace(e),
        })?;
    let out = base64.finish()?;
    out.write_all(b"\n\"\"\"\n\n")?;
    out.write_all(RUNTIME.as_bytes())?;
    Ok(())
}

/// `text` (a path, as given) for one line of the program's docstring: a
/// backslash doubled (`\x` would be an escape), `"` as `'` (no `"""` can
/// end it early), a control character as U+FFFD (no line break).
fn docstring_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\\' => "\\\\".to_owned(),
            '"' => "'".to_owned(),
            c if c.is_control() => '\u{fffd}'.to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The program's docstring and tables, up to the operations.
fn write_header(
    tables: &Tables,
    fin_ids: &[u64],
    options: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    let e = tables;
    let mut p = String::new();
    p.push_str("#!/usr/bin/env python3\n");
    let _ = write!(
        p,
        r#""""A gctrace replayed on real interpreter objects (written by `gc-bench export --python`).

Source: {source}
Operations: {ops}

Run it with python3 (CPython) or pypy3. It prints the JSONL events of
`gc-bench replay --events jsonl`: collect (from gc.callbacks on CPython,
gc.hooks on PyPy), finalize (from __del__), weak_callback (from weakref
callbacks), expect_failed, and a summary whose collector is "cpython" or
"pypy". Exit status: 0, 1 when an expect failed, 2 for a trace error.

Fields that are not measured exactly:
- pause_ns, gc_time_ns, max_pause_ns, wall_ns: this interpreter's times.
- peak_live_bytes: exact without atoms; with atoms, sampled at each
  collection and `expect live` (a lower bound).
- On PyPy: collected and uncollectable are 0, live_objects and live_bytes
  are 0 and `expect live` is skipped (PyPy has no reference counts);
  events come when PyPy runs its hooks, at a safe point after the
  collection, so their line may be later.

expect@NAME lines apply for "cpython" and "generational" on CPython and
"pypy" on PyPy; `--expect-as=NAME,NAME` replaces that list.
"""
"#,
        source = docstring_text(&options.source),
        ops = e.lines,
    );
    p.push('\n');
    let _ = writeln!(
        p,
        "CLASS_SHAPES = {}",
        py_list(&e.shapes, |(s, b)| format!("({s}, {b})"))
    );
    let _ = writeln!(
        p,
        "TUPLE_SIZES = {}",
        py_list(&e.tuple_sizes, |k| k.to_string())
    );
    let _ = writeln!(p, "MAX_REG = {}", e.max_reg);
    let _ = writeln!(p, "MAX_WEAK = {}", e.max_weak);
    let _ = writeln!(
        p,
        "FINSET = frozenset({})",
        py_list(fin_ids, |i| i.to_string())
    );
    let _ = writeln!(
        p,
        "EXPECT_NAMES = {}",
        py_list(&e.expect_names, |s| py_str(s))
    );
    match &options.expect_as {
        Some(names) => {
            let _ = writeln!(p, "EXPECT_AS = {}", py_list(names, |s| py_str(s)));
        }
        None => p.push_str("EXPECT_AS = None\n"),
    }
    let _ = writeln!(p, "OPS_BITS = {}", if e.narrow { 32 } else { 64 });
    p.push_str(
        "# The operations, as little-endian integers of OPS_BITS bits (see runtime below).\n",
    );
    out.write_all(p.as_bytes())
}

/// The Python program for `trace`, in memory (for small traces and
/// tests; [`write_python_program`] streams).
pub fn python_program(trace: &dyn Lines, options: &Options) -> Result<String, ExportError> {
    let mut out = Vec::new();
    write_python_program(trace, options, &mut out)?;
    Ok(String::from_utf8(out).expect("the program is ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64_lines(bytes: &[u8]) -> String {
        let mut b = Base64::new(Vec::new());
        b.write(bytes).unwrap();
        String::from_utf8(b.finish().unwrap()).unwrap()
    }

    fn program(text: &str) -> String {
        python_program(&Trace::parse(text).unwrap(), &Options::default()).unwrap()
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64_lines(b""), "");
        assert_eq!(base64_lines(b"f"), "Zg==");
        assert_eq!(base64_lines(b"fo"), "Zm8=");
        assert_eq!(base64_lines(b"foo"), "Zm9v");
        assert_eq!(base64_lines(b"foobar"), "Zm9vYmFy");
        let long = base64_lines(&[0u8; 120]);
        assert!(long.lines().all(|l| l.len() <= 76));
        assert_eq!(long.lines().next().unwrap().len(), 76);
        // Fed in pieces of any size, the same text.
        let bytes: Vec<u8> = (0..=255).collect();
        let mut b = Base64::new(Vec::new());
        for piece in bytes.chunks(7) {
            b.write(piece).unwrap();
        }
        assert_eq!(
            String::from_utf8(b.finish().unwrap()).unwrap(),
            base64_lines(&bytes)
        );
    }

    /// A path with a backslash, quotes or a line break stays one line of
    /// text in the docstring (a bad-input trial's `a\x.gt` made a program
    /// CPython could not compile).
    #[test]
    fn the_source_path_cannot_break_the_docstring() {
        let options = Options {
            source: "a\\x\"\"\"b\nc.gctrace".into(),
            expect_as: None,
        };
        let p = python_program(&Trace::parse("gctrace 1\n").unwrap(), &options).unwrap();
        assert!(p.contains("\nSource: a\\\\x'''b\u{fffd}c.gctrace\n"), "{p}");
    }

    #[test]
    fn operations_are_32_bit_unless_a_value_needs_64() {
        let p = program("gctrace 1\nnew r0 node 1 0\nexpect live 1\n");
        assert!(p.contains("\nOPS_BITS = 32\n"));
        let q = program("gctrace 1\nnew r0 node 1 0\nexpect live 5000000000\n");
        assert!(q.contains("\nOPS_BITS = 64\n"));
        assert!(q.len() > p.len());
    }

    #[test]
    fn the_first_pass_collects_tables() {
        let t = Trace::parse(
            "gctrace 1\nnew r3 node 2 8\nnew r1 tuple r3 nil\nweak w4 r3 cb\nfin r3\nexpect@x live 1\n",
        )
        .unwrap();
        let (e, fins) = Tables::scan(&t).unwrap();
        assert_eq!(e.shapes, vec![(1, 0), (2, 8)]);
        assert_eq!(e.tuple_sizes, vec![2]);
        assert_eq!((e.max_reg, e.max_weak), (3, 4));
        assert_eq!(e.expect_names, vec!["x".to_owned()]);
        assert_eq!(e.lines, 5);
        assert_eq!(fins, vec![0]);
    }

    /// A source whose second reading differs from its first, or that
    /// fails: an error, and nothing written before the first pass ends.
    #[test]
    fn a_source_error_is_reported_and_a_first_pass_error_writes_nothing() {
        struct Failing;
        impl Lines for Failing {
            fn for_each_line(
                &self,
                _: &mut dyn FnMut(&Line) -> Result<(), String>,
            ) -> Result<(), String> {
                Err("line 7: bad".into())
            }
        }
        let mut out = Vec::new();
        let e = write_python_program(&Failing, &Options::default(), &mut out).unwrap_err();
        assert_eq!(e.to_string(), "line 7: bad");
        assert!(out.is_empty());
    }
}
