//! `embed-check STRATEGY [KEY=VALUE]…` — a program that embeds a collector
//! the way a runtime would, written only against the documented API
//! (`gc_core::prelude`, `gc_any`), with not one `release` call. It runs
//! three programs on the strategy named on its command line and checks
//! their results, exiting 1 on a wrong one:
//!
//! - binary trees (the benchmarks game's, at a small depth): the stretch
//!   tree's temporaries in child scopes, the others' nodes made by
//!   [`Scope::child_tuple`], a long-lived tree held by a [`Root`], checks
//!   through views;
//! - an LRU cache whose keys are string atoms and whose entries are held by
//!   roots in a Rust map, evicted by dropping them;
//! - the seed's `Node('A')`/`Node('B')` cycle whose `__del__` reads
//!   `self.name`.
//!
//! Every program is generic over `C: Collector`; `main` picks the strategy
//! once with `gc_any::AnyCollector::from_name`.

#![forbid(unsafe_code)]

use std::collections::{HashMap, VecDeque};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use gc_any::AnyCollector;
use gc_core::prelude::*;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        eprintln!("usage: embed-check null|refcount|generational|marksweep [KEY=VALUE]…");
        return ExitCode::from(2);
    };
    let mut pairs = Vec::new();
    for a in args {
        match a.split_once('=') {
            Some((k, v)) => pairs.push((k.to_owned(), v.to_owned())),
            None => {
                eprintln!("embed-check: expected KEY=VALUE, got `{a}`");
                return ExitCode::from(2);
            }
        }
    }
    let mut heap = match AnyCollector::from_name(&name, &pairs) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("embed-check: {e}");
            return ExitCode::from(2);
        }
    };
    match run_all(&mut heap) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("embed-check ({name}): {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_all<C: Collector>(heap: &mut C) -> Result<(), String> {
    binary_trees(heap, 10).map_err(|e| format!("binary trees: {e}"))?;
    lru_cache(heap).map_err(|e| format!("LRU cache: {e}"))?;
    node_cycle(heap).map_err(|e| format!("node cycle: {e}"))?;
    if heap.outstanding_roots() != 0 {
        return Err(format!("{} roots still held", heap.outstanding_roots()));
    }
    Ok(())
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// A complete tree of tuples; only the result survives the child scope.
fn tree<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Result<Local<'s>, GcError> {
    s.child(|s| {
        if depth == 0 {
            return s.tuple(&[None, None]);
        }
        let left = tree(s, depth - 1)?;
        let right = tree(s, depth - 1)?;
        s.tuple(&[Some(left), Some(right)])
    })
}

/// The same tree, each node taking over the two subtrees its child scope
/// returns.
fn tree_taking<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Result<Local<'s>, GcError> {
    if depth == 0 {
        return s.tuple(&[None, None]);
    }
    s.child_tuple(|s| {
        Ok([
            Some(tree_taking(s, depth - 1)?),
            Some(tree_taking(s, depth - 1)?),
        ])
    })
}

/// Counts a tree's nodes through views: no roots.
fn count<'a, V: ObjectView<'a>>(node: V) -> Result<u64, GcError> {
    let mut n = 0;
    let mut stack = vec![node];
    while let Some(v) = stack.pop() {
        n += 1;
        for i in 0..v.slot_count() {
            stack.extend(v.slot(i)?);
        }
    }
    Ok(n)
}

fn binary_trees<C: Collector>(heap: &mut C, max_depth: u32) -> Result<(), String> {
    let nodes = |d: u32| (1u64 << (d + 1)) - 1;
    let long_lived: Root = heap
        .scope(|s| {
            let stretch = tree(s, max_depth + 1)?;
            let n = count(s.view(stretch)?)?;
            println!("stretch tree of depth {}\t check: {n}", max_depth + 1);
            let t = tree_taking(s, max_depth)?;
            s.root(t)
        })
        .map_err(|e| e.to_string())?;
    for depth in (4..=max_depth).step_by(2) {
        let iterations = 1u64 << (max_depth - depth + 4);
        let mut total = 0;
        for _ in 0..iterations {
            total += heap
                .scope(|s| {
                    let t = tree_taking(s, depth)?;
                    count(s.view(t)?)
                })
                .map_err(|e| e.to_string())?;
        }
        check(total == iterations * nodes(depth), || {
            format!("depth {depth}: {total} nodes")
        })?;
        println!("{iterations}\t trees of depth {depth}\t check: {total}");
    }
    let n = heap
        .scope(|s| {
            let t = s.local(&long_lived)?;
            count(s.view(t)?)
        })
        .map_err(|e| e.to_string())?;
    println!("long lived tree of depth {max_depth}\t check: {n}");
    check(n == nodes(max_depth), || {
        format!("long-lived tree has {n} nodes")
    })
}

/// An LRU cache: key → entry node `[key atom, value atom]`, held by roots
/// in a Rust map; the least recently used entry is evicted by dropping its
/// root.
struct Lru {
    capacity: usize,
    entries: HashMap<String, Root>,
    order: VecDeque<String>,
}

impl Lru {
    fn get<C: Collector>(
        &mut self,
        s: &mut Scope<'_, C>,
        key: &str,
    ) -> Result<Option<u64>, GcError> {
        let Some(root) = self.entries.get(key) else {
            return Ok(None);
        };
        let entry = s.local(root)?;
        let value = s
            .view(entry)?
            .slot(1)?
            .expect("set at insert")
            .payload_as::<u64>()?;
        let stored_key = s
            .view(entry)?
            .slot(0)?
            .expect("set at insert")
            .payload()
            .to_vec();
        assert_eq!(stored_key, key.as_bytes(), "the entry's key atom");
        self.order.retain(|k| k != key);
        self.order.push_back(key.to_owned());
        Ok(Some(value))
    }

    fn put<C: Collector>(
        &mut self,
        s: &mut Scope<'_, C>,
        key: &str,
        value: u64,
    ) -> Result<(), GcError> {
        let entry = s.node(2, 0)?;
        let k = s.atom(key.as_bytes())?;
        let v = s.atom(&value.to_le_bytes())?;
        s.set(entry, 0, Some(k))?;
        s.set(entry, 1, Some(v))?;
        if self
            .entries
            .insert(key.to_owned(), s.root(entry)?)
            .is_none()
        {
            self.order.push_back(key.to_owned());
        }
        while self.entries.len() > self.capacity {
            let oldest = self.order.pop_front().expect("as many keys as entries");
            self.entries.remove(&oldest); // the root goes: the entry may die
        }
        Ok(())
    }
}

fn lru_cache<C: Collector>(heap: &mut C) -> Result<(), String> {
    let mut cache = Lru {
        capacity: 64,
        entries: HashMap::new(),
        order: VecDeque::new(),
    };
    let (mut hits, mut misses) = (0u64, 0u64);
    // A deterministic stream of keys over a range four times the capacity.
    let mut x: u64 = 12345;
    for round in 0..20_000u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let key = format!("key-{}", (x >> 33) % 256);
        heap.scope(|s| -> Result<(), GcError> {
            match cache.get(s, &key)? {
                Some(v) => {
                    hits += 1;
                    assert_eq!(format!("key-{}", v % 1000), key, "the value stored for it");
                }
                None => {
                    misses += 1;
                    let id: u64 = key[4..].parse().expect("a number");
                    cache.put(s, &key, round * 1000 + id)?;
                }
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        if round % 5_000 == 0 {
            heap.collect(Generation::FULL).map_err(|e| e.to_string())?;
        }
    }
    heap.flush();
    heap.collect(Generation::FULL).map_err(|e| e.to_string())?;
    println!(
        "lru: {hits} hits, {misses} misses, {} entries",
        cache.entries.len()
    );
    check(hits + misses == 20_000 && cache.entries.len() == 64, || {
        format!(
            "{hits} hits + {misses} misses, {} entries",
            cache.entries.len()
        )
    })?;
    check(heap.outstanding_roots() == 64, || {
        format!("{} roots for 64 entries", heap.outstanding_roots())
    })?;
    let live = heap.stats().live_objects;
    if heap.traits().frees_objects {
        // Each entry is three objects: the node and two atoms.
        check(live == 3 * 64, || {
            format!("{live} objects live for 64 entries")
        })?;
    }
    drop(cache);
    heap.flush();
    Ok(())
}

/// `def __del__(self): print(f"Node({self.name!r}) deleted")`: reads the
/// object's `name` slot.
#[derive(Clone, Default)]
struct Del(Arc<Mutex<Vec<String>>>);

impl Finalize for Del {
    fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, node: Local<'_>) {
        let name = s
            .view(node)
            .and_then(|n| n.slot(1))
            .ok()
            .flatten()
            .map(|n| String::from_utf8_lossy(n.payload()).into_owned())
            .unwrap_or_default();
        let line = format!("Node('{name}') deleted");
        println!("{line}");
        self.0.lock().unwrap().push(line);
    }
}

fn node_cycle<C: Collector>(heap: &mut C) -> Result<(), String> {
    let del = Del::default();
    let printed = Arc::clone(&del.0);
    heap.on_finalize(del);
    for _ in 0..4 {
        // What earlier programs dropped goes first (PyPy frees late).
        heap.collect(Generation::FULL).map_err(|e| e.to_string())?;
    }
    let before = heap.stats().live_objects;
    heap.scope(|s| -> Result<(), GcError> {
        // class Node: def __init__(self, name): self.name = name; self.other = None
        let a = s.node(2, 0)?;
        let b = s.node(2, 0)?;
        for (node, name) in [(a, "A"), (b, "B")] {
            let n = s.atom(name.as_bytes())?;
            s.set(node, 1, Some(n))?;
            s.set_finalizer(node, Finalizer::Run)?;
        }
        s.set(a, 0, Some(b))?; // a.other = b
        s.set(b, 0, Some(a))?; // b.other = a
        Ok(())
    }) // del a, b
    .map_err(|e| e.to_string())?;
    let collected = heap.collect(Generation::FULL).map_err(|e| e.to_string())?;
    for _ in 0..3 {
        // PyPy frees finalized objects at the next major collection.
        heap.collect(Generation::FULL).map_err(|e| e.to_string())?;
    }
    let lines = printed.lock().unwrap().clone();
    let traits = heap.traits();
    let left = heap.stats().live_objects - before;
    println!("gc.collect() -> {collected}; {left} objects left");
    if traits.collects_cycles {
        let mut sorted = lines.clone();
        sorted.sort();
        check(sorted == ["Node('A') deleted", "Node('B') deleted"], || {
            format!("finalizers printed {lines:?}")
        })?;
        check(left == 0, || format!("{left} objects of the cycle left"))?;
        if traits.name == "generational" {
            check(collected == 2, || {
                format!("gc.collect() returned {collected}")
            })?;
        }
    } else {
        check(lines.is_empty(), || format!("finalizers ran: {lines:?}"))?;
        if traits.frees_objects {
            println!("{left} objects leaked in a cycle (no cycle collector)");
            check(left == 4, || format!("{left} objects leaked, not 4"))?;
        }
    }
    heap.clear_on_finalize();
    Ok(())
}
