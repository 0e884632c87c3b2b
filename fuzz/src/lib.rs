//! What the three fuzz targets check, as plain functions (the targets in
//! `fuzz_targets/` are one line each, and `examples/seed_corpus.rs` uses
//! the encoder):
//!
//! - [`check_ops`] (target `ops`): arbitrary bytes decoded into a valid
//!   operation sequence (13 bytes per operation, [`decode`]), which
//!   `gc-core`'s random-trace generator ([`build_trace`]) makes valid, then
//!   replayed on every strategy beside the oracle ([`check_trace`], the
//!   checker of the strategies' property tests): after every operation,
//!   reachable objects are alive and finalizations legal; reference
//!   counting holds exactly the oracle's reference-counting set; after
//!   every full collection a cycle collector holds exactly the reachable
//!   set (plus what pending finalizers keep, for marksweep).
//! - [`check_text`] (target `trace_text`): raw bytes as a gctrace: the
//!   parser and a replay on every strategy end cleanly or with a `line N:`
//!   error, never a panic; a short trace that replays cleanly is checked
//!   against the oracle too (it reaches what the generator never writes:
//!   `gc debug saveall`, `gc garbage clear`, `expect`, large registers).
//! - [`check_embed`] (target `embed`): arbitrary bytes as a sequence of
//!   embedding-API operations (scopes, child scopes, locals, roots, weak
//!   roots, finalizers, collections), run on every strategy by `gc-core`'s
//!   model-based driver ([`gc_core::tooling::embed_model::run`]), which
//!   checks every operation against its model.

#![forbid(unsafe_code)]

use gc_core::tooling::oracle::check_trace;
use gc_core::tooling::replay::replay;
use gc_core::tooling::testing::{Profile, RawOp, build_trace};
use gc_core::tooling::trace::{Op, Trace, Value};
use gc_core::{Collector, Control, Inspect, NullCollector};
use gc_core::tooling::embed_model;
use gc_generational::{Generational, GenerationalConfig};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};
use gc_refcount::RefCount;

/// Bytes per encoded operation: an opcode byte and three little-endian
/// `u32`s, the generator's raw choice [`RawOp`].
pub const OP_BYTES: usize = 13;

/// Splits `data` into raw choices, [`OP_BYTES`] each (a short tail is
/// padded with zeros).
pub fn decode(data: &[u8]) -> Vec<RawOp> {
    data.chunks(OP_BYTES)
        .map(|c| {
            let mut b = [0u8; OP_BYTES];
            b[..c.len()].copy_from_slice(c);
            let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            (b[0], word(1), word(5), word(9))
        })
        .collect()
}

/// The inverse of [`decode`].
pub fn encode(raw: &[RawOp]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() * OP_BYTES);
    for &(code, a, b, c) in raw {
        out.push(code);
        for w in [a, b, c] {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    out
}

/// A raw choice from which [`build_trace`] makes `op` again when the
/// shadow registers allow it (registers are taken modulo 8, so traces
/// with more registers come out different, still valid): how the `ops`
/// corpus is seeded from real traces. Operations the generator has no
/// choice for (`expect`, most `gc` controls) are left out.
pub fn raw_for(op: &Op) -> Option<RawOp> {
    let reg = |v: &Value| match v {
        Value::Reg(r) => r.0,
        Value::Nil => 0,
    };
    Some(match op {
        Op::NewNode {
            dst,
            slots,
            payload,
        } => (0, dst.0, *slots, *payload),
        Op::NewAtom { dst, payload } => (20, dst.0, 0, *payload),
        Op::NewTuple { dst, members } => (
            25,
            dst.0,
            members.len() as u32,
            members.first().map_or(0, reg),
        ),
        Op::Set {
            object,
            slot,
            value,
        } => {
            // The generator takes the slot as `c` modulo the node's slot
            // count (at most 4) and stores nil when `c % 7 == 0`: `c` is
            // the slot plus a multiple of 12, chosen by the value.
            let nil = matches!(value, Value::Nil);
            let c = (0..7)
                .map(|k| slot.saturating_add(12 * k))
                .find(|c| (c % 7 == 0) == nil)
                .unwrap_or(*slot);
            (30, object.0, reg(value), c)
        }
        Op::Get { dst, object, slot } => (50, object.0, dst.0, *slot),
        Op::Mov { dst, src } => (58, dst.0, src.0, 0),
        Op::Del(r) => (64, r.0, 0, 0),
        Op::Collect(g) => (72, 0, g.map_or(3, u32::from), 0),
        Op::Fin { object, resurrect } => (75, object.0, u32::from(!resurrect), 0),
        Op::Unsave => (80, 0, 0, 0),
        Op::Weak {
            dst,
            object,
            callback,
        } => (82, object.0, dst.0, u32::from(!callback)),
        Op::Wget { dst, src } => (86, dst.0, src.0, 0),
        Op::Wdel(w) => (89, 0, w.0, 0),
        Op::Gc(Control::Disable) => (91, 0, 0, 0),
        Op::Gc(Control::Enable) => (91, 0, 1, 0),
        Op::Gc(Control::Threshold(t0, _, _)) => {
            (91, 0, 2, u32::try_from(t0.saturating_sub(1)).unwrap_or(0))
        }
        Op::Gc(_) | Op::Expect { .. } => return None,
    })
}

/// The marksweep configurations every input runs on: PyPy's defaults
/// (collections only when the trace asks), a small nursery with small
/// incremental steps and large objects with cards (automatic minor and
/// major steps between the operations, the heap checked after each), and
/// zeal (a minor collection at every allocation).
pub fn marksweep_configs() -> [MarkSweepConfig; 3] {
    [
        MarkSweepConfig::pypy(),
        MarkSweepConfig {
            nursery: 512,
            large_object: 40,
            increment_step: 128,
            min_heap: 1024,
            debug: true,
            ..MarkSweepConfig::pypy()
        },
        MarkSweepConfig::zeal(96),
    ]
}

fn new<C: Collector>(config: C::Config) -> C {
    C::with_config(config).expect("the fuzz configurations are valid")
}

/// Runs `check_trace` on every strategy; the first discrepancy, named.
pub fn check_all(trace: &Trace) -> Result<(), String> {
    let named = |name: &str, r: Result<(), String>| r.map_err(|e| format!("{name}: {e}"));
    named(
        "null",
        check_trace(new::<NullCollector>(Default::default()), trace),
    )?;
    named(
        "refcount",
        check_trace(new::<RefCount>(Default::default()), trace),
    )?;
    named(
        "generational",
        check_trace(new::<Generational>(Default::default()), trace),
    )?;
    for (i, config) in marksweep_configs().into_iter().enumerate() {
        named(
            &format!("marksweep config {i}"),
            check_trace(new::<IncMiniMark>(config), trace),
        )?;
    }
    Ok(())
}

/// Target `ops`: panics (with the trace) on the first discrepancy.
pub fn check_ops(data: &[u8]) {
    let trace = build_trace(&decode(data), Profile::WithControls);
    if let Err(e) = check_all(&trace) {
        panic!("{e}\n{}", trace.to_text());
    }
}

/// Target `embed`: runs the embedding-API operations `data` encodes on
/// every strategy (generational also with a collection every few
/// allocations, marksweep in each of [`marksweep_configs`]); panics on the
/// first disagreement with the model.
pub fn check_embed(data: &[u8]) {
    fn on<C: Collector + 'static>(name: &str, config: C::Config, data: &[u8]) {
        if let Err(e) = embed_model::run(&mut new::<C>(config), data) {
            panic!("{name}: {e}");
        }
    }
    on::<NullCollector>("null", Default::default(), data);
    on::<RefCount>("refcount", Default::default(), data);
    on::<Generational>("generational", Default::default(), data);
    let eager = GenerationalConfig {
        threshold0: 3,
        threshold1: 2,
        threshold2: 2,
        ..Default::default()
    };
    on::<Generational>("generational threshold 3", eager, data);
    for (i, config) in marksweep_configs().into_iter().enumerate() {
        on::<IncMiniMark>(&format!("marksweep config {i}"), config, data);
    }
}

/// Bytes a trace asks for in all (headers, slots, payloads), counting
/// every allocation: the `null` collector keeps them all.
pub fn requested_bytes(trace: &Trace) -> u64 {
    trace
        .lines
        .iter()
        .map(|l| match &l.op {
            Op::NewNode { slots, payload, .. } => 16 + 8 * u64::from(*slots) + u64::from(*payload),
            Op::NewAtom { payload, .. } => 16 + u64::from(*payload),
            Op::NewTuple { members, .. } => 16 + 8 * members.len() as u64,
            _ => 0,
        })
        .sum()
}

/// Traces asking for more are parsed but not replayed (the fuzzer's
/// memory is bounded; a heap limit is the collectors' business, tested
/// apart).
pub const MAX_REQUESTED_BYTES: u64 = 64 << 20;

/// Traces of at most this many operations that replay cleanly are
/// checked against the oracle too (its check is quadratic)...
pub const MAX_ORACLE_OPS: usize = 400;

/// ... when they ask for at most this many bytes (the oracle check runs
/// zeal, which traces the whole heap at every allocation).
pub const MAX_ORACLE_BYTES: u64 = 1 << 20;

/// `true` when `message` is a `line N: …` error with N ≥ 1 and at most
/// `lines`.
fn is_line_error(message: &str, lines: usize) -> bool {
    let Some(rest) = message.strip_prefix("line ") else {
        return false;
    };
    let Some((n, what)) = rest.split_once(": ") else {
        return false;
    };
    matches!(n.parse::<usize>(), Ok(n) if (1..=lines.max(1)).contains(&n)) && !what.is_empty()
}

fn replay_on<C: Inspect>(name: &str, config: C::Config, trace: &Trace, lines: usize) -> bool {
    let outcome = replay(trace, new::<C>(config), |_| {});
    match outcome.error {
        None => true,
        Some(e) => {
            let message = e.to_string();
            assert!(
                is_line_error(&message, lines),
                "{name}: replay error is not a `line N:` error: {message:?}"
            );
            false
        }
    }
}

/// Target `trace_text`: parses `data` as a gctrace and replays it on every
/// strategy; panics if an error is not a `line N:` error, or if a short
/// trace that replayed cleanly disagrees with the oracle.
pub fn check_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count();
    let trace = match Trace::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let message = e.to_string();
            assert!(
                is_line_error(&message, lines),
                "parse error is not a `line N:` error: {message:?}"
            );
            return;
        }
    };
    if requested_bytes(&trace) > MAX_REQUESTED_BYTES {
        return;
    }
    let mut clean = replay_on::<NullCollector>("null", Default::default(), &trace, lines);
    clean &= replay_on::<RefCount>("refcount", Default::default(), &trace, lines);
    clean &= replay_on::<Generational>("generational", Default::default(), &trace, lines);
    // Not zeal here: a minor collection at every allocation, each checking
    // the heap, over the nodes of up to 2^24 slots a text may hold, takes
    // seconds an input (the `ops` target runs zeal on small nodes).
    for config in &marksweep_configs()[..2] {
        clean &= replay_on::<IncMiniMark>("marksweep", config.clone(), &trace, lines);
    }
    // `gc freeze` moves objects out of the collector's reach, which the
    // oracle does not model: such traces are only replayed.
    let frozen = trace
        .lines
        .iter()
        .any(|l| matches!(l.op, Op::Gc(Control::Freeze)));
    let small = trace.lines.len() <= MAX_ORACLE_OPS && requested_bytes(&trace) <= MAX_ORACLE_BYTES;
    if clean && !frozen && small {
        check_all(&trace).unwrap_or_else(|e| panic!("{e}\n{}", trace.to_text()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_inverts_encode() {
        let raw = vec![(7, 1, u32::MAX, 3), (99, 0, 5, 1 << 31)];
        assert_eq!(decode(&encode(&raw)), raw);
        assert_eq!(decode(&[1, 2]), vec![(1, 2, 0, 0)]);
    }

    #[test]
    fn raw_for_rebuilds_a_simple_trace() {
        let text = "gctrace 1\nnew r0 node 2 8\nnew r1 atom 4\nset r0.1 r1\nset r0.0 nil\nget r2 r0.1\nmov r3 r2\nweak w1 r0 cb\nwget r4 w1\nfin r3 resurrect\ndel r1\ncollect\ncollect 1\nwdel w1\nunsave\ngc disable\ngc enable\n";
        let trace = Trace::parse(text).unwrap();
        let raw: Vec<RawOp> = trace.lines.iter().filter_map(|l| raw_for(&l.op)).collect();
        let rebuilt = build_trace(&raw, Profile::WithControls);
        let ops = |t: &Trace| t.lines.iter().map(|l| l.op.clone()).collect::<Vec<_>>();
        assert_eq!(ops(&rebuilt), ops(&trace));
    }

    #[test]
    fn line_errors_are_recognised() {
        assert!(is_line_error("line 3: bad", 3));
        assert!(!is_line_error("line 4: bad", 3));
        assert!(!is_line_error("line 0: bad", 3));
        assert!(!is_line_error("bad", 3));
        assert!(!is_line_error("line 2:", 3));
    }

    #[test]
    fn the_embed_corpus_passes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/embed");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            check_embed(&std::fs::read(entry.unwrap().path()).unwrap());
            seen += 1;
        }
        assert!(seen >= 5, "{seen} inputs");
        check_embed(&[]);
    }

    #[test]
    fn the_bundled_traces_pass_both_checks() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces");
        let mut seen = 0;
        for sub in ["", "cpython"] {
            for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "gctrace") {
                    let text = std::fs::read(&path).unwrap();
                    check_text(&text);
                    let trace = Trace::parse(std::str::from_utf8(&text).unwrap()).unwrap();
                    let raw: Vec<RawOp> =
                        trace.lines.iter().filter_map(|l| raw_for(&l.op)).collect();
                    check_ops(&encode(&raw));
                    seen += 1;
                }
            }
        }
        assert!(seen >= 19, "{seen} traces");
    }
}
