//! `export --python`: a gctrace as a self-contained Python 3 program that
//! performs the trace's operations on real interpreter objects and prints
//! the same JSONL events as `gc-bench replay --events jsonl`.
//!
//! The program is a small interpreter ([`RUNTIME`], `runtime.py` beside this
//! file) plus the trace encoded as 32-bit integers (64-bit when a value
//! needs it). It runs on CPython (3.9 or later; the facts it relies on were
//! checked on 3.11) and on PyPy.
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

use std::fmt::Write as _;

use gc_core::NullCollector;
use gc_core::tooling::trace::{Field, Op, Trace, Value};
use gc_core::{Collector, CollectorExt, Control};

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

/// The tables and the encoded operations of one trace.
#[derive(Debug, Default)]
struct Encoded {
    code: Vec<i64>,
    shapes: Vec<(u32, u32)>,
    tuple_sizes: Vec<usize>,
    expect_names: Vec<String>,
    max_reg: u32,
    max_weak: u32,
}

impl Encoded {
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

    fn encode(trace: &Trace) -> Encoded {
        let mut e = Encoded {
            // Class 0 is always (1, 0): the warm-up uses it.
            shapes: vec![(1, 0)],
            ..Encoded::default()
        };
        for line in &trace.lines {
            let n = i64::from(line.number);
            let mut ops: Vec<i64> = match &line.op {
                Op::NewNode {
                    dst,
                    slots,
                    payload,
                } => vec![OP_NODE, n, e.reg(dst.0), e.class(*slots, *payload)],
                Op::NewTuple { dst, members } => {
                    let mut v = vec![OP_TUPLE, n, e.reg(dst.0), members.len() as i64];
                    for m in members {
                        if let Value::Reg(r) = m {
                            e.reg(r.0);
                        }
                        v.push(value(*m));
                    }
                    if !e.tuple_sizes.contains(&members.len()) {
                        e.tuple_sizes.push(members.len());
                    }
                    v
                }
                Op::NewAtom { dst, payload } => {
                    vec![OP_ATOM, n, e.reg(dst.0), i64::from(*payload)]
                }
                Op::Set {
                    object,
                    slot,
                    value: v,
                } => {
                    if let Value::Reg(r) = v {
                        e.reg(r.0);
                    }
                    vec![OP_SET, n, e.reg(object.0), i64::from(*slot), value(*v)]
                }
                Op::Get { dst, object, slot } => {
                    vec![OP_GET, n, e.reg(dst.0), e.reg(object.0), i64::from(*slot)]
                }
                Op::Mov { dst, src } => vec![OP_MOV, n, e.reg(dst.0), e.reg(src.0)],
                Op::Del(r) => vec![OP_DEL, n, e.reg(r.0)],
                Op::Collect(g) => vec![OP_COLLECT, n, i64::from(g.unwrap_or(2))],
                Op::Fin { object, resurrect } => {
                    vec![OP_FIN, n, e.reg(object.0), i64::from(*resurrect)]
                }
                Op::Unsave => vec![OP_UNSAVE, n],
                Op::Weak {
                    dst,
                    object,
                    callback,
                } => vec![
                    OP_WEAK,
                    n,
                    e.weak(dst.0),
                    e.reg(object.0),
                    i64::from(*callback),
                ],
                Op::Wget { dst, src } => vec![OP_WGET, n, e.reg(dst.0), e.weak(src.0)],
                Op::Wdel(w) => vec![OP_WDEL, n, e.weak(w.0)],
                Op::Gc(control) => match *control {
                    Control::Threshold(t0, t1, t2) => {
                        let ts: Vec<i64> = [Some(t0), t1, t2]
                            .into_iter()
                            .flatten()
                            .map(clamp)
                            .collect();
                        let mut v = vec![OP_GC, n, 0, ts.len() as i64];
                        v.extend(ts);
                        v
                    }
                    Control::Enable => vec![OP_GC, n, 1],
                    Control::Disable => vec![OP_GC, n, 2],
                    Control::Freeze => vec![OP_GC, n, 3],
                    Control::Unfreeze => vec![OP_GC, n, 4],
                    Control::DebugSaveAll => vec![OP_GC, n, 5],
                    Control::DebugOff => vec![OP_GC, n, 6],
                    Control::GarbageClear => vec![OP_GC, n, 7],
                },
                Op::Expect {
                    collector,
                    field,
                    value: v,
                } => {
                    let who = match collector {
                        None => -1,
                        Some(name) => match e.expect_names.iter().position(|x| x == name) {
                            Some(i) => i as i64,
                            None => {
                                e.expect_names.push(name.clone());
                                e.expect_names.len() as i64 - 1
                            }
                        },
                    };
                    vec![OP_EXPECT, n, who, field_code(*field), clamp(*v)]
                }
            };
            e.code.append(&mut ops);
        }
        e.tuple_sizes.sort_unstable();
        e
    }
}

/// Ids of the objects that `fin` is applied to, found by replaying the trace
/// on the null collector (which frees nothing, so every register holds what
/// the trace put there). Stops at the first trace error.
fn finalized_ids(trace: &Trace) -> Vec<u64> {
    let Ok(collector) = NullCollector::new_default() else {
        return Vec::new();
    };
    let mut replayer = gc_core::tooling::replay::Replayer::new(collector);
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

/// Standard base64 with `=` padding, in lines of 76 characters.
fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 57 + 4);
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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

/// The Python program for `trace`.
pub fn python_program(trace: &Trace, options: &Options) -> String {
    let e = Encoded::encode(trace);
    let fin_ids = finalized_ids(trace);
    // 32-bit integers when every value fits (nearly every trace: half the
    // program, and half the memory the interpreter holds it in), else 64.
    let narrow = e.code.iter().all(|&v| i32::try_from(v).is_ok());
    let mut bytes = Vec::with_capacity(e.code.len() * if narrow { 4 } else { 8 });
    for &v in &e.code {
        if narrow {
            bytes.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
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
        source = options.source.replace('"', "'"),
        ops = trace.lines.len(),
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
        py_list(&fin_ids, |i| i.to_string())
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
    let _ = writeln!(p, "OPS_BITS = {}", if narrow { 32 } else { 64 });
    p.push_str(
        "# The operations, as little-endian integers of OPS_BITS bits (see runtime below).\n",
    );
    p.push_str("OPS = \"\"\"\n");
    p.push_str(&base64_lines(&bytes));
    p.push_str("\n\"\"\"\n\n");
    p.push_str(RUNTIME);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64_lines(b""), "");
        assert_eq!(base64_lines(b"f"), "Zg==");
        assert_eq!(base64_lines(b"fo"), "Zm8=");
        assert_eq!(base64_lines(b"foo"), "Zm9v");
        assert_eq!(base64_lines(b"foobar"), "Zm9vYmFy");
        let long = base64_lines(&[0u8; 120]);
        assert!(long.lines().all(|l| l.len() <= 76));
    }

    #[test]
    fn operations_are_32_bit_unless_a_value_needs_64() {
        let small = Trace::parse("gctrace 1\nnew r0 node 1 0\nexpect live 1\n").unwrap();
        let p = python_program(&small, &Options::default());
        assert!(p.contains("\nOPS_BITS = 32\n"));
        let big = Trace::parse("gctrace 1\nnew r0 node 1 0\nexpect live 5000000000\n").unwrap();
        let q = python_program(&big, &Options::default());
        assert!(q.contains("\nOPS_BITS = 64\n"));
        assert!(q.len() > p.len());
    }

    #[test]
    fn encoding_collects_tables() {
        let t = Trace::parse(
            "gctrace 1\nnew r3 node 2 8\nnew r1 tuple r3 nil\nweak w4 r3 cb\nfin r3\nexpect@x live 1\n",
        )
        .unwrap();
        let e = Encoded::encode(&t);
        assert_eq!(e.shapes, vec![(1, 0), (2, 8)]);
        assert_eq!(e.tuple_sizes, vec![2]);
        assert_eq!((e.max_reg, e.max_weak), (3, 4));
        assert_eq!(e.expect_names, vec!["x".to_owned()]);
        assert_eq!(finalized_ids(&t), vec![0]);
    }
}
