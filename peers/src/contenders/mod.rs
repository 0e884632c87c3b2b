//! The contenders: one module per Rust peer, our three strategies through
//! the embedding API, and the Python runtimes.

/// The workloads over a `Cc<T>` whose cycles are reclaimed by a call,
/// `$collect()` (gcmodule, bacon-rajan-cc and dumpster have the same
/// shape): expands to the module's `run`, using the module's own `Cc`,
/// node types, `make`, `check` and `same`. With `batched: true` the
/// workloads call `$collect()` after every batch of allocations or
/// updates (the crate collects only when called); with `false` only at the
/// end (the crate collects by itself).
macro_rules! cc_workloads {
    ($collect:ident, batched: $batched:expr, $traversal_note:expr) => {
        pub(crate) fn run(w: Workload, s: &Sizes, ops: &[Op]) -> Result<Outcome, String> {
            match w {
                Workload::BinaryTrees => {
                    let (stretch, long_lived, rounds) = tree_plan(s.tree_depth);
                    let mut total = check(&make(stretch));
                    let long = make(long_lived);
                    for (d, k) in rounds {
                        for _ in 0..k {
                            total += check(&make(d));
                        }
                    }
                    total += check(&long);
                    drop(long);
                    Ok(Outcome::check(total).note("trees are freed by counting"))
                }
                Workload::ListChurn => {
                    let mut total = 0;
                    for r in 1..=s.rings {
                        let first = Cc::new(RingNode {
                            prev: RefCell::new(None),
                            next: RefCell::new(None),
                        });
                        let mut last = first.clone();
                        for _ in 1..s.ring_len {
                            let node = Cc::new(RingNode {
                                prev: RefCell::new(Some(last.clone())),
                                next: RefCell::new(None),
                            });
                            *last.next.borrow_mut() = Some(node.clone());
                            last = node;
                        }
                        *last.next.borrow_mut() = Some(first.clone());
                        *first.prev.borrow_mut() = Some(last.clone());
                        let mut node = first.clone();
                        loop {
                            total += 1;
                            let next = node.next.borrow().clone().expect("a ring");
                            node = next;
                            if same(&node, &first) {
                                break;
                            }
                        }
                        loop {
                            total += 1;
                            let prev = node.prev.borrow().clone().expect("a ring");
                            node = prev;
                            if same(&node, &first) {
                                break;
                            }
                        }
                        drop((first, last, node));
                        if $batched && r % s.rings_per_batch() == 0 {
                            $collect();
                        }
                    }
                    $collect();
                    Ok(Outcome::check(total).note(&if $batched {
                        format!(
                            "{} every {} rings",
                            stringify!($collect),
                            s.rings_per_batch()
                        )
                    } else {
                        format!(
                            "automatic collections, {}() at the end",
                            stringify!($collect)
                        )
                    }))
                }
                Workload::Graph => {
                    let mut table: Vec<Cc<GraphNode>> = (0..s.graph_nodes)
                        .map(|k| {
                            Cc::new(GraphNode {
                                edges: RefCell::new(Default::default()),
                                value: k as u64,
                            })
                        })
                        .collect();
                    let mut value = s.graph_nodes as u64;
                    for (step, op) in ops.iter().enumerate() {
                        let (i, j) = (op.i as usize, op.j as usize);
                        match op.code {
                            0 => {
                                let mut edges: [Option<Cc<GraphNode>>; 4] = Default::default();
                                edges[0] = Some(table[j].clone());
                                table[i] = Cc::new(GraphNode {
                                    edges: RefCell::new(edges),
                                    value,
                                });
                                value += 1;
                            }
                            c @ 1..=4 => {
                                let target = table[j].clone();
                                table[i].edges.borrow_mut()[c as usize - 1] = Some(target);
                            }
                            c => table[i].edges.borrow_mut()[c as usize - 5] = None,
                        }
                        if $batched && (step + 1) % BATCH == 0 {
                            $collect();
                        }
                    }
                    let mut seen = HashSet::new();
                    let mut stack: Vec<Cc<GraphNode>> = table.clone();
                    let mut total = 0u64;
                    while let Some(n) = stack.pop() {
                        if !seen.insert(&*n as *const GraphNode as usize) {
                            continue;
                        }
                        total = total.wrapping_add(1 + n.value);
                        stack.extend(n.edges.borrow().iter().flatten().cloned());
                    }
                    drop(table);
                    $collect();
                    Ok(Outcome::check(total).note(if $batched {
                        concat!(stringify!($collect), " every 10,000 updates")
                    } else {
                        concat!(
                            "automatic collections, ",
                            stringify!($collect),
                            "() at the end"
                        )
                    }))
                }
                Workload::Traversal => {
                    let mut top = Cc::new(List(Vec::new()));
                    for n in 0..s.levels {
                        top = Cc::new(List(vec![top; n]));
                    }
                    for _ in 0..2 * s.loops {
                        $collect();
                    }
                    let total =
                        pyramid_total(top.clone(), |l| l.0.len(), |l, k| l.0[k].clone(), same);
                    let outcome = Outcome::check(total);
                    Ok(match $traversal_note {
                        Some(note) => outcome.note(note),
                        None => outcome,
                    })
                }
            }
        }
    };
}

mod arena;
mod bacon;
mod bump;
mod dumpster;
mod gcmodule;
mod ours;
mod python;
mod rc;
mod rustgc;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use gc_core::CollectorExt;

use crate::workload::{Op, Sizes, Workload};

pub use python::{Runtime, find_runtime};

/// A contender of the bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Contender {
    /// `std::rc::Rc`.
    Rc,
    /// `bumpalo::Bump`.
    Bumpalo,
    /// `gcmodule::Cc`.
    Gcmodule,
    /// `bacon_rajan_cc::Cc`.
    BaconRajanCc,
    /// `dumpster::unsync::Gc`.
    Dumpster,
    /// The `gc` crate.
    Gc,
    /// `gc_arena::Arena`.
    GcArena,
    /// `gc_refcount::RefCount`.
    Refcount,
    /// `gc_generational::Generational`.
    Generational,
    /// `gc_marksweep::IncMiniMark`.
    Marksweep,
    /// `python3`.
    Cpython,
    /// `pypy3`.
    Pypy,
}

impl Contender {
    /// Every contender, in table order.
    pub const ALL: [Contender; 12] = [
        Contender::Rc,
        Contender::Bumpalo,
        Contender::Gcmodule,
        Contender::BaconRajanCc,
        Contender::Dumpster,
        Contender::Gc,
        Contender::GcArena,
        Contender::Refcount,
        Contender::Generational,
        Contender::Marksweep,
        Contender::Cpython,
        Contender::Pypy,
    ];

    /// The name in the table and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Rc => "rc",
            Contender::Bumpalo => "bumpalo",
            Contender::Gcmodule => "gcmodule",
            Contender::BaconRajanCc => "bacon-rajan-cc",
            Contender::Dumpster => "dumpster",
            Contender::Gc => "gc",
            Contender::GcArena => "gc-arena",
            Contender::Refcount => "refcount",
            Contender::Generational => "generational",
            Contender::Marksweep => "marksweep",
            Contender::Cpython => "cpython",
            Contender::Pypy => "pypy",
        }
    }

    /// The Python runtime this contender runs on, if it is one.
    pub fn runtime(self) -> Option<Runtime> {
        match self {
            Contender::Cpython => Some(Runtime::Cpython),
            Contender::Pypy => Some(Runtime::Pypy),
            _ => None,
        }
    }

    /// Bytes each object carries for memory management, beyond its fields
    /// (for a 64-bit target). Where each figure comes from:
    ///
    /// - `rc`: 16 — std's `RcInner`: `strong` and `weak`, two `Cell<usize>`
    ///   (a `RefCell` field adds its 8-byte borrow flag).
    /// - `bumpalo`: 0 — objects are laid end to end.
    /// - `gcmodule`: 32 — a tracked type's `GcHeader` (`next`, `prev`, the
    ///   `CcDyn` vtable pointer: 24, `src/collect.rs`) plus `RawCcBox`'s
    ///   `ref_count` (8, `src/cc.rs`).
    /// - `bacon-rajan-cc`: 24 — `CcBoxData`: `strong`, `weak` (`usize`),
    ///   `buffered`, `color` (a byte each), padded (`src/lib.rs`); possible
    ///   roots are buffered in a separate vector.
    /// - `dumpster`: 8 — `unsync::GcBox`'s `ref_count` (`src/unsync/mod.rs`);
    ///   pointers dropped to a nonzero count go into a separate hash map.
    /// - `gc`: 24 — `GcBoxHeader`: `roots` (`usize`, high bit the mark) and
    ///   `next` (a fat `dyn Trace` pointer, 16) (`src/gc.rs`).
    /// - `gc-arena`: 16 — `GcHeader`: `next` and a tagged vtable pointer
    ///   (`src/types.rs`).
    /// - `refcount`, `generational`: `size_of` of `gc_core::rc::Header`
    ///   (count, flags, slot range; `generational` adds CPython's two links
    ///   and `gc_refs` as `u32`s) plus the cold tables' entries (`COLD_BYTES`: id, payload box)
    ///   every object has; computed, not typed in.
    /// - `marksweep`: 16 — two header words, PyPy's `tid` plus a length word
    ///   (`gc-marksweep/src/header.rs`).
    /// - `cpython`: 32 — `PyGC_Head` (16, two links) in front of every
    ///   container, plus `PyObject`'s `ob_refcnt` and `ob_type` (16),
    ///   CPython 3.11 `Include/internal/pycore_gc.h`, `Include/object.h`.
    /// - `pypy`: 8 — incminimark's one-word GC header (`tid`: type id and
    ///   flags), `rpython/memory/gc/incminimark.py`; instances also have a
    ///   `typeptr` word, which this figure leaves out as CPython's leaves out
    ///   nothing — read the two Python figures as a lower bound for PyPy.
    pub fn header_bytes(self) -> usize {
        use gc_core::rc::{COLD_BYTES, Header};
        match self {
            Contender::Rc => 16,
            Contender::Bumpalo => 0,
            Contender::Gcmodule => 32,
            Contender::BaconRajanCc => 24,
            Contender::Dumpster => 8,
            Contender::Gc => 24,
            Contender::GcArena => 16,
            Contender::Refcount => size_of::<Header<()>>() + COLD_BYTES,
            Contender::Generational => {
                size_of::<Header<gc_generational::header::GcHead>>() + COLD_BYTES
            }
            Contender::Marksweep => 16,
            Contender::Cpython => 32,
            Contender::Pypy => 8,
        }
    }
}

impl fmt::Display for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one run computed, besides its time.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The workload's check value (the same for every contender).
    pub check: u64,
    /// Time in collections: as the runtime reported it (Python runtimes),
    /// or the heap's [`Stats::gc_time_ns`](gc_core::Stats) (ours).
    pub gc_ms: Option<f64>,
    /// The 99th percentile (nearest rank) of the run's minor-collection
    /// pauses (`marksweep`, from its events).
    pub minor_p99_ms: Option<f64>,
    /// A remark for the table.
    pub note: Option<String>,
}

impl Outcome {
    fn check(check: u64) -> Outcome {
        Outcome {
            check,
            gc_ms: None,
            minor_p99_ms: None,
            note: None,
        }
    }

    fn note(mut self, note: &str) -> Outcome {
        self.note = Some(note.to_owned());
        self
    }
}

/// One timed run.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Wall time of the workload, in milliseconds.
    pub ms: f64,
    /// What it computed.
    pub outcome: Outcome,
}

/// Stack for the thread each Rust run gets: recursive drops and marks of
/// the peers go as deep as the structures (reserved, not touched).
const STACK: usize = 1 << 30;

/// Runs `w` once on `c` (a fresh thread for the Rust contenders, so that
/// the peers' thread-local collectors start empty; a fresh process for the
/// Python ones).
pub fn run_once(
    c: Contender,
    w: Workload,
    sizes: Sizes,
    ops: &Arc<Vec<Op>>,
    runtime_path: Option<&str>,
    settings: &Settings,
) -> Result<Sample, String> {
    if let Some(rt) = c.runtime() {
        let path = runtime_path.ok_or_else(|| format!("{} not found", rt.command()))?;
        return python::run(path, w, &sizes, ops);
    }
    let ops = Arc::clone(ops);
    let settings = settings.clone();
    let worker = std::thread::Builder::new()
        .name(format!("{c}-{w}"))
        .stack_size(STACK)
        .spawn(move || {
            let started = Instant::now();
            let outcome =
                run_rust(c, w, &sizes, &ops, &settings).map(|o| noting_settings(o, &settings));
            let ms = started.elapsed().as_secs_f64() * 1e3;
            outcome.map(|outcome| Sample { ms, outcome })
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    worker.join().map_err(|p| match p.downcast_ref::<&str>() {
        Some(m) => format!("panicked: {m}"),
        None => match p.downcast_ref::<String>() {
            Some(m) => format!("panicked: {m}"),
            None => "panicked".to_owned(),
        },
    })?
}

/// `KEY=VALUE` settings for one of our strategies (`--config`), applied
/// over its library defaults.
pub type Settings = Vec<(String, String)>;

/// Checks `settings` for our strategy `c` by making a heap with them: the
/// error a run would meet, before any run. A contender that is not ours
/// takes none.
pub fn check_settings(c: Contender, settings: &Settings) -> Result<(), String> {
    let made = match c {
        Contender::Refcount => gc_refcount::RefCount::from_pairs(settings).map(drop),
        Contender::Generational => gc_generational::Generational::from_pairs(settings).map(drop),
        Contender::Marksweep => gc_marksweep::IncMiniMark::from_pairs(settings).map(drop),
        _ if settings.is_empty() => Ok(()),
        _ => return Err(format!("{c} takes no settings (only our strategies do)")),
    };
    made.map_err(|e| e.to_string())
}

/// `outcome`, its note saying which `settings` were applied (if any).
fn noting_settings(mut outcome: Outcome, settings: &Settings) -> Outcome {
    if !settings.is_empty() {
        let pairs: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let said = format!("config: {}", pairs.join(" "));
        outcome.note = Some(match outcome.note {
            Some(note) => format!("{said}; {note}"),
            None => said,
        });
    }
    outcome
}

fn run_rust(
    c: Contender,
    w: Workload,
    s: &Sizes,
    ops: &[Op],
    settings: &Settings,
) -> Result<Outcome, String> {
    let gc_err = |e: gc_core::GcError| e.to_string();
    match c {
        Contender::Rc => rc::run(w, s, ops),
        Contender::Bumpalo => bump::run(w, s, ops),
        Contender::Gcmodule => gcmodule::run(w, s, ops),
        Contender::BaconRajanCc => bacon::run(w, s, ops),
        Contender::Dumpster => dumpster::run(w, s, ops),
        Contender::Gc => rustgc::run(w, s, ops),
        Contender::GcArena => arena::run(w, s, ops),
        Contender::Refcount => {
            let mut heap = gc_refcount::RefCount::from_pairs(settings).map_err(gc_err)?;
            let outcome = ours::run(&mut heap, w, s, ops, true).map_err(gc_err)?;
            Ok(with_gc_time(&heap, outcome))
        }
        Contender::Generational => {
            let mut heap = gc_generational::Generational::from_pairs(settings).map_err(gc_err)?;
            let outcome = ours::run(&mut heap, w, s, ops, false).map_err(gc_err)?;
            Ok(with_gc_time(&heap, outcome))
        }
        Contender::Marksweep => {
            let mut heap = gc_marksweep::IncMiniMark::from_pairs(settings).map_err(gc_err)?;
            // Events on, for the minor pauses: one per collection.
            gc_core::Collector::record_events(&mut heap, true);
            let mut outcome = ours::run(&mut heap, w, s, ops, false).map_err(gc_err)?;
            let mut events = Vec::new();
            gc_core::Collector::drain_events(&mut heap, &mut events).map_err(|e| e.to_string())?;
            outcome.minor_p99_ms = minor_p99_ms(&events);
            Ok(with_gc_time(&heap, outcome))
        }
        Contender::Cpython | Contender::Pypy => unreachable!("run as a process"),
    }
}

/// `outcome` with the heap's time in collections (the sum of their
/// pauses: minor collections and major steps, or CPython-style
/// collections; reference counting's freeing is the mutator's, not GC
/// time).
fn with_gc_time<C: gc_core::Collector>(heap: &C, mut outcome: Outcome) -> Outcome {
    outcome.gc_ms = Some(heap.stats().gc_time_ns as f64 / 1e6);
    outcome
}

/// The nearest-rank 99th percentile of the minor collections' pauses among
/// `events`, in milliseconds (`None` without any).
fn minor_p99_ms(events: &[gc_core::Event]) -> Option<f64> {
    let mut pauses: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            gc_core::Event::Collect(c) if c.kind == gc_marksweep::IncMiniMark::MINOR => {
                Some(c.pause_ns)
            }
            _ => None,
        })
        .collect();
    if pauses.is_empty() {
        return None;
    }
    pauses.sort_unstable();
    let rank = (pauses.len() * 99).div_ceil(100);
    Some(pauses[rank - 1] as f64 / 1e6)
}

/// The traversal's check: lists and references met walking down the
/// pyramid's first slots (`levels + levels·(levels − 1)/2`). Every slot of
/// a list must hold the same list; if one does not, the check is 0, which
/// no run expects.
fn pyramid_total<N>(
    top: N,
    len: impl Fn(&N) -> usize,
    item: impl Fn(&N, usize) -> N,
    same: impl Fn(&N, &N) -> bool,
) -> u64 {
    let mut total = 0u64;
    let mut node = Some(top);
    while let Some(n) = node {
        let count = len(&n);
        total += 1 + count as u64;
        let next = (count > 0).then(|| item(&n, 0));
        if let Some(first) = &next {
            for k in 1..count {
                if !same(first, &item(&n, k)) {
                    return 0;
                }
            }
        }
        node = next;
    }
    total
}
