//! The behaviour tests: card marking on a 100,000-slot node,
//! finalizer order on a chain and a cycle (compared with `pypy3`),
//! `OutOfMemory` with the heap still usable, `gc disable`, incremental
//! marking under mutation, and the event stream's consistency.

use gc_core::{
    Collector, CollectorExt, Control, Event, Finalizer, GcError, Generation, Handle, ObjectId,
};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};

fn small(nursery: usize) -> MarkSweepConfig {
    MarkSweepConfig {
        nursery,
        ..MarkSweepConfig::pypy()
    }
}

fn events(h: &mut IncMiniMark) -> Vec<Event> {
    let mut v = Vec::new();
    h.drain_events(&mut v).unwrap();
    v
}

#[test]
fn card_marked_100_000_slot_node() {
    let mut h = IncMiniMark::with_config(small(64 * 1024)).unwrap();
    h.record_events(true);
    let big = h.alloc_node(100_000, 0).unwrap(); // born old, with cards
    let indices = [5usize, 50_000, 99_999];
    let mut ids = Vec::new();
    for (k, &i) in indices.iter().enumerate() {
        let young = h.alloc_atom(1).unwrap();
        h.payload_mut(young).unwrap()[0] = k as u8;
        ids.push(h.object_id(young).unwrap());
        h.set_slot(big, i, Some(young)).unwrap();
        h.release(young).unwrap();
    }
    let before = h.gc_stats().card_slots_scanned;
    h.collect(Generation::YOUNGEST).unwrap();
    h.check_heap().unwrap();
    let scanned = h.gc_stats().card_slots_scanned - before;
    // Two full cards and the last, partial one (99,968..100,000).
    assert_eq!(
        scanned,
        128 + 128 + 32,
        "only the dirty cards are rescanned"
    );
    for (k, &i) in indices.iter().enumerate() {
        let o = h
            .slot(big, i)
            .unwrap()
            .expect("kept alive through its card");
        assert_eq!(h.object_id(o).unwrap(), ids[k]);
        assert_eq!(h.payload(o).unwrap(), &[k as u8]);
        h.release(o).unwrap();
    }
    // No write since: the next minor collection scans no card.
    let before = h.gc_stats().card_slots_scanned;
    h.collect(Generation::YOUNGEST).unwrap();
    assert_eq!(h.gc_stats().card_slots_scanned, before);
    // Old-to-old writes through cards, then a full collection.
    let other = h.alloc_node(0, 0).unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    h.set_slot(big, 77_777, Some(other)).unwrap();
    h.set_slot(big, 5, None).unwrap();
    h.release(other).unwrap();
    h.collect_full().unwrap();
    h.check_heap().unwrap();
    assert_eq!(h.stats().live_objects, 4, "big, two atoms, other");
    assert!(h.slot(big, 77_777).unwrap().is_some());
    assert_eq!(h.slot(big, 5).unwrap(), None);
}

/// The Python program that `finalizer_order` mirrors, as pypy3 runs it.
fn pypy3_finalized_per_collect(program: &str) -> Option<Vec<String>> {
    let out = std::process::Command::new("pypy3")
        .arg("-c")
        .arg(program)
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    })
}

const PY_PRELUDE: &str = "import gc\nlog = []\nclass N:\n    def __init__(self, name):\n        self.name = name; self.other = None\n    def __del__(self):\n        log.append(self.name)\n";

fn finalized_names(h: &mut IncMiniMark, names: &[(ObjectId, char)], seen: &mut String) {
    for e in events(h) {
        if let Event::Finalize { object } = e {
            let (_, n) = names.iter().find(|(id, _)| *id == object).expect("known");
            seen.push(*n);
        }
    }
}

/// Allocates `N(name)` objects with finalizers (registered at allocation,
/// as PyPy registers `__del__`), links them, drops them, and records what
/// each full collection finalized.
fn run_ours(names: &str, links: &[(usize, usize)], collects: usize) -> Vec<String> {
    let mut h = IncMiniMark::with_config(small(64 * 1024)).unwrap();
    h.record_events(true);
    let mut handles: Vec<Handle> = Vec::new();
    let mut ids = Vec::new();
    for c in names.chars() {
        let o = h.alloc_node(1, 0).unwrap();
        h.set_finalizer(o, Finalizer::Notify).unwrap();
        ids.push((h.object_id(o).unwrap(), c));
        handles.push(o);
    }
    for &(from, to) in links {
        h.set_slot(handles[from], 0, Some(handles[to])).unwrap();
    }
    for o in handles {
        h.release(o).unwrap();
    }
    let mut seen = String::new();
    (0..collects)
        .map(|_| {
            h.collect_full().unwrap();
            h.check_heap().unwrap();
            finalized_names(&mut h, &ids, &mut seen);
            seen.clone()
        })
        .collect()
}

#[test]
fn finalizer_order_on_a_chain_of_three_matches_pypy3() {
    // c = N("C"); b = N("B"); b.other = c; a = N("A"); a.other = b
    let ours = run_ours("CBA", &[(1, 0), (2, 1)], 5);
    let expected = ["A", "AB", "ABC", "ABC", "ABC"]; // pypy3 7.3.11, observed
    assert_eq!(ours, expected);
    let program = format!(
        "{PY_PRELUDE}def make():\n    c = N('C'); b = N('B'); b.other = c; a = N('A'); a.other = b\nmake()\nfor i in range(5):\n    gc.collect(); print(''.join(log))\n"
    );
    match pypy3_finalized_per_collect(&program) {
        Some(pypy) => assert_eq!(ours, pypy, "pypy3 disagrees"),
        None => eprintln!("pypy3 not available: compared with its recorded output only"),
    }
}

#[test]
fn finalizer_order_on_a_two_cycle_matches_pypy3() {
    // a = N("A"); b = N("B"); a.other = b; b.other = a
    let ours = run_ours("AB", &[(0, 1), (1, 0)], 3);
    let expected = ["A", "AB", "AB"]; // pypy3 7.3.11, observed
    assert_eq!(ours, expected);
    let program = format!(
        "{PY_PRELUDE}def make():\n    a = N('A'); b = N('B'); a.other = b; b.other = a\nmake()\nfor i in range(3):\n    gc.collect(); print(''.join(log))\n"
    );
    match pypy3_finalized_per_collect(&program) {
        Some(pypy) => assert_eq!(ours, pypy, "pypy3 disagrees"),
        None => eprintln!("pypy3 not available: compared with its recorded output only"),
    }
}

#[test]
fn out_of_memory_leaves_the_heap_usable() {
    let limit = 64 * 1024;
    let config = MarkSweepConfig {
        nursery: 4096,
        max_heap: limit,
        ..MarkSweepConfig::pypy()
    };
    let mut h = IncMiniMark::with_config(config).unwrap();
    h.record_events(true);
    // An ever-growing list, as PyPy's `lst.append([0]*10)` loop.
    let mut head = h.alloc_node(1, 64).unwrap();
    let mut length = 1u64;
    let err = loop {
        match h.alloc_node(1, 64) {
            Ok(next) => {
                h.set_slot(next, 0, Some(head)).unwrap();
                h.release(head).unwrap();
                head = next;
                length += 1;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(
        err,
        GcError::OutOfMemory {
            limit: limit as u64
        }
    );
    assert!(length > 100, "the list grew to {length} before the limit");
    h.check_heap().unwrap();
    assert_eq!(h.stats().live_objects, length, "nothing reachable was lost");
    // A large object over the limit is refused too, without harm.
    assert!(matches!(
        h.alloc_atom(2 * limit),
        Err(GcError::OutOfMemory { .. })
    ));
    h.check_heap().unwrap();
    // Drop the list: the heap works again.
    h.release(head).unwrap();
    let a = h.alloc_node(1, 64).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 1);
    for _ in 0..1000 {
        let b = h.alloc_node(1, 64).unwrap();
        h.set_slot(a, 0, Some(b)).unwrap();
        h.release(b).unwrap();
    }
    h.check_heap().unwrap();
    assert!(h.gc_stats().old_bytes <= limit as u64);
}

#[test]
fn gc_disable_stops_major_collections_not_minor_ones() {
    let config = MarkSweepConfig {
        nursery: 4096,
        min_heap: 16 * 1024,
        ..MarkSweepConfig::pypy()
    };
    let mut h = IncMiniMark::with_config(config).unwrap();
    h.record_events(true);
    let keep = h.alloc_node(1, 0).unwrap();
    assert_eq!(
        h.control(Control::Disable).unwrap(),
        gc_core::ControlOutcome::Applied
    );
    assert_eq!(
        h.control(Control::Threshold(1, None, None)).unwrap(),
        gc_core::ControlOutcome::Ignored
    );
    let grow = |h: &mut IncMiniMark, n: usize| {
        for _ in 0..n {
            let x = h.alloc_node(1, 48).unwrap();
            let prev = h.slot(keep, 0).unwrap();
            h.set_slot(x, 0, prev).unwrap();
            h.set_slot(keep, 0, Some(x)).unwrap();
            h.release(x).unwrap();
            if let Some(p) = prev {
                h.release(p).unwrap();
            }
        }
    };
    grow(&mut h, 5000);
    let s = h.gc_stats();
    assert!(s.minors > 10);
    assert_eq!(s.major_steps, 0, "no major step while disabled");
    assert!(s.old_bytes > 16 * 1024, "past the threshold");
    h.control(Control::Enable).unwrap();
    grow(&mut h, 2000);
    assert!(h.gc_stats().major_steps > 0, "majors resume");
    h.check_heap().unwrap();
}

/// A real incremental cycle: many steps, the mutator rewiring black and
/// white objects between them, the heap check after every operation.
#[test]
fn incremental_marking_survives_mutation_between_steps() {
    let config = MarkSweepConfig {
        nursery: 2048,
        increment_step: 512,
        min_heap: 8 * 1024,
        debug: true,
        ..MarkSweepConfig::pypy()
    };
    let mut h = IncMiniMark::with_config(config).unwrap();
    h.record_events(true);
    let n = 400;
    let table = h.alloc_node(n, 0).unwrap();
    for i in 0..n {
        let x = h.alloc_node(2, 8).unwrap();
        h.payload_mut(x).unwrap()[0] = i as u8;
        h.set_slot(table, i, Some(x)).unwrap();
        h.release(x).unwrap();
    }
    let mut phases = std::collections::BTreeSet::new();
    let mut step = 0usize;
    for round in 0..40 {
        for i in 0..n {
            step += 1;
            // Move references around: unlink an object from the table and
            // hide it in another's slot, re-link it later.
            let a = h.slot(table, i).unwrap();
            let j = (i * 7 + round) % n;
            if let (Some(a), Some(b)) = (a, h.slot(table, j).unwrap()) {
                if i != j {
                    h.set_slot(b, step % 2, Some(a)).unwrap();
                    h.set_slot(table, i, None).unwrap();
                    let garbage = h.alloc_node(1, 24).unwrap();
                    h.set_slot(garbage, 0, Some(b)).unwrap();
                    h.release(garbage).unwrap();
                    h.set_slot(table, i, Some(a)).unwrap();
                    h.set_slot(b, step % 2, None).unwrap();
                }
                h.release(b).unwrap();
                h.release(a).unwrap();
            }
            phases.insert(h.phase());
        }
    }
    assert!(
        phases.contains("marking") && phases.contains("sweeping"),
        "{phases:?}"
    );
    let s = h.gc_stats();
    assert!(s.majors >= 2, "{s:?}");
    assert!(
        s.major_steps > 4 * s.majors,
        "cycles took several steps: {s:?}"
    );
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, n as u64 + 1);
    for i in 0..n {
        let x = h.slot(table, i).unwrap().expect("every entry is back");
        assert_eq!(h.payload(x).unwrap()[0], i as u8);
        h.release(x).unwrap();
    }
}

#[test]
fn events_match_the_statistics() {
    let config = MarkSweepConfig {
        nursery: 2048,
        min_heap: 4096,
        ..MarkSweepConfig::pypy()
    };
    let mut h = IncMiniMark::with_config(config).unwrap();
    h.record_events(true);
    let root = h.alloc_node(1, 0).unwrap();
    for i in 0..20_000 {
        let x = h.alloc_node(1, 16).unwrap();
        if i % 10 == 0 {
            let prev = h.slot(root, 0).unwrap();
            h.set_slot(x, 0, prev).unwrap();
            h.set_slot(root, 0, Some(x)).unwrap();
            if let Some(p) = prev {
                h.release(p).unwrap();
            }
        }
        if i % 5000 == 0 {
            h.set_slot(root, 0, None).unwrap();
        }
        h.release(x).unwrap();
    }
    h.collect(Generation::MIDDLE).unwrap();
    h.collect_full().unwrap();
    let evs = events(&mut h);
    let mut per_gen = [0u64; 3];
    let mut kinds = std::collections::BTreeMap::new();
    let mut collected = 0;
    for e in &evs {
        if let Event::Collect(c) = e {
            per_gen[c.generation.index()] += 1;
            *kinds.entry(c.kind.name()).or_insert(0) += 1;
            collected += c.collected;
            let minor = c.kind == IncMiniMark::MINOR;
            assert_eq!(c.generation.number(), if minor { 0 } else { 2 });
        }
    }
    let s = h.stats();
    assert_eq!(per_gen, s.collections);
    assert_eq!(collected, s.freed, "every free is in exactly one event");
    assert!(
        kinds["minor"] > 10 && kinds["major-step"] > 0 && kinds["major"] >= 2,
        "{kinds:?}"
    );
    assert_eq!(s.allocated - s.freed, s.live_objects);
}

#[test]
fn weak_references_to_young_objects_are_cleared_by_the_minor_collection() {
    let mut h = IncMiniMark::with_config(small(4096)).unwrap();
    h.record_events(true);
    let a = h.alloc_node(0, 0).unwrap();
    let b = h.alloc_node(0, 0).unwrap();
    let wa = h.weak(a, true).unwrap();
    let wb = h.weak(b, false).unwrap();
    h.release(a).unwrap();
    h.collect(Generation::YOUNGEST).unwrap();
    assert_eq!(h.upgrade(wa).unwrap(), None, "cleared by the minor");
    assert_eq!(h.stats().weak_callbacks, 0, "callbacks wait for a major");
    let b2 = h.upgrade(wb).unwrap().expect("b moved and is alive");
    assert!(h.same_object(b, b2).unwrap());
    h.collect_full().unwrap();
    assert_eq!(h.stats().weak_callbacks, 1);
}

/// The next threshold after a major collection is PyPy's:
/// `min(1.82 × in use, in use + max_delta)`, at most 1.4 × the previous
/// threshold, never below 8 nurseries.
#[test]
fn thresholds_follow_pypy() {
    for max_delta in [0usize, 20_000] {
        let config = MarkSweepConfig {
            nursery: 4096,
            max_delta,
            ..MarkSweepConfig::pypy()
        };
        let mut h = IncMiniMark::with_config(config).unwrap();
        h.record_events(true);
        let floor = 8.0 * 4096.0;
        assert_eq!(h.gc_stats().next_major_threshold, floor);
        let keep = h.alloc_node(1, 0).unwrap();
        // Automatic majors off while growing: each explicit collection is
        // then exactly one cycle, from the previous threshold.
        h.control(Control::Disable).unwrap();
        let mut capped = false;
        for _ in 0..6 {
            for _ in 0..2000 {
                let x = h.alloc_node(1, 40).unwrap();
                let prev = h.slot(keep, 0).unwrap();
                h.set_slot(x, 0, prev).unwrap();
                h.set_slot(keep, 0, Some(x)).unwrap();
                h.release(x).unwrap();
                if let Some(p) = prev {
                    h.release(p).unwrap();
                }
            }
            assert_eq!(h.phase(), "scanning");
            let before = h.gc_stats().next_major_threshold;
            h.collect_full().unwrap();
            let used = h.gc_stats().old_bytes as f64;
            let delta = if max_delta > 0 {
                max_delta as f64
            } else {
                f64::INFINITY
            };
            let wanted = (used * 1.82).min(used + delta);
            let expected = wanted.min(before * 1.4).max(floor);
            capped |= wanted > before * 1.4;
            assert_eq!(h.gc_stats().next_major_threshold, expected);
        }
        assert!(capped, "the growth cap was exercised");
        h.control(Control::Enable).unwrap();
        let majors = h.gc_stats().majors;
        for _ in 0..20_000 {
            let x = h.alloc_node(1, 40).unwrap();
            let prev = h.slot(keep, 0).unwrap();
            h.set_slot(x, 0, prev).unwrap();
            h.set_slot(keep, 0, Some(x)).unwrap();
            h.release(x).unwrap();
            if let Some(p) = prev {
                h.release(p).unwrap();
            }
        }
        assert!(h.gc_stats().majors > majors, "automatic majors follow");
    }
}

/// Random writes into a 1,000-slot node (8 cards) across minor collections
/// and incremental major cycles, against a model of its slots; the heap
/// check (on) verifies after every collection that each old-to-young
/// reference sits in a dirty card.
#[test]
fn card_marking_under_random_writes() {
    let config = MarkSweepConfig {
        nursery: 2048,
        increment_step: 256,
        min_heap: 8192,
        debug: true,
        ..MarkSweepConfig::pypy()
    };
    let mut h = IncMiniMark::with_config(config).unwrap();
    h.record_events(true);
    let n = 1000;
    let big = h.alloc_node(n, 0).unwrap();
    let mut model: Vec<Option<ObjectId>> = vec![None; n];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for step in 0..20_000 {
        let r = next();
        let i = (r % n as u64) as usize;
        match (r >> 20) % 10 {
            0..=5 => {
                let x = h.alloc_node(1, 8).unwrap();
                model[i] = Some(h.object_id(x).unwrap());
                h.set_slot(big, i, Some(x)).unwrap();
                h.release(x).unwrap();
            }
            6 => {
                h.set_slot(big, i, None).unwrap();
                model[i] = None;
            }
            7 => {
                // Copy another slot's referent (old or young) here.
                let j = ((r >> 32) % n as u64) as usize;
                let v = h.slot(big, j).unwrap();
                h.set_slot(big, i, v).unwrap();
                model[i] = model[j];
                if let Some(v) = v {
                    h.release(v).unwrap();
                }
            }
            8 if step % 50 == 0 => {
                h.collect(Generation::YOUNGEST).unwrap();
            }
            _ => {
                let v = h.slot(big, i).unwrap();
                assert_eq!(v.map(|v| h.object_id(v).unwrap()), model[i], "slot {i}");
                if let Some(v) = v {
                    h.release(v).unwrap();
                }
            }
        }
    }
    h.collect_full().unwrap();
    let live = model
        .iter()
        .flatten()
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(h.stats().live_objects, live.len() as u64 + 1);
    for (i, want) in model.iter().enumerate() {
        let v = h.slot(big, i).unwrap();
        assert_eq!(v.map(|v| h.object_id(v).unwrap()), *want, "slot {i}");
    }
    assert!(h.gc_stats().majors > 0 && h.gc_stats().card_slots_scanned > 0);
}

/// A black large node written during marking: its next minor collection
/// traces the dirty card without greying its referents and makes the node
/// grey again (PyPy's `collect_cardrefs_to_nursery` rule), so marking
/// traces it whole later. What was written into it survives the cycle,
/// with everything else it refers to; the heap check after every
/// collection finds no black object referring to a white one.
#[test]
fn black_card_node_written_during_marking_is_traced_again() {
    let config = MarkSweepConfig {
        nursery: 64 * 1024,
        increment_step: 1,
        debug: true,
        ..MarkSweepConfig::pypy()
    };
    let mut h = IncMiniMark::with_config(config).unwrap();
    let n = 20_000;
    let big = h.alloc_node(n, 0).unwrap(); // born old, with cards
    let mut old = Vec::new();
    for i in (0..n).step_by(100) {
        let x = h.alloc_node(0, 8).unwrap();
        old.push((i, h.object_id(x).unwrap()));
        h.set_slot(big, i, Some(x)).unwrap();
        h.release(x).unwrap();
    }
    h.collect(Generation::YOUNGEST).unwrap();
    // Start a cycle (the roots become grey), then one marking step of
    // the smallest budget: it visits the last grey pushed, the only root
    // `big`, which turns black with its 200 referents grey.
    h.collect_step().unwrap();
    h.collect_step().unwrap();
    assert_eq!(h.phase(), "marking");
    // Written while black: the only reference to a young node.
    let young = h.alloc_node(0, 8).unwrap();
    let young_id = h.object_id(young).unwrap();
    h.set_slot(big, 12_345, Some(young)).unwrap();
    h.release(young).unwrap();
    let scanned = h.gc_stats().card_slots_scanned;
    while h.phase() != "scanning" {
        h.collect_step().unwrap();
    }
    assert_eq!(
        h.gc_stats().card_slots_scanned - scanned,
        128,
        "one dirty card"
    );
    let got = h.slot(big, 12_345).unwrap().expect("kept through the card");
    assert_eq!(h.object_id(got).unwrap(), young_id);
    h.release(got).unwrap();
    for (i, id) in old {
        let got = h.slot(big, i).unwrap().expect("kept by the node");
        assert_eq!(h.object_id(got).unwrap(), id);
        h.release(got).unwrap();
    }
    assert_eq!(h.stats().live_objects, 1 + 200 + 1);
    h.check_heap().unwrap();
}

#[test]
fn an_impossible_nursery_is_a_configuration_error() {
    let config = MarkSweepConfig {
        nursery: usize::MAX / 2,
        ..MarkSweepConfig::pypy()
    };
    assert!(matches!(
        IncMiniMark::with_config(config),
        Err(GcError::Config(_))
    ));
    let mut c = MarkSweepConfig::pypy();
    gc_core::Config::set(&mut c, "PYPY_GC_NURSERY", "64KB").unwrap();
    let h = IncMiniMark::with_config(c).unwrap();
    assert_eq!(h.config().nursery, 65_536);
}

/// PyPy clears the weak references to the objects finalized now and to
/// what only they reach (state 2 once the ordering has walked every
/// finalizable object, in registration order); a resurrecting finalizer
/// keeps them here, and `take_spared_weaks` names them — not those to what
/// a finalizable object that waits for a later collection keeps, when the
/// ordering found it from an earlier-registered one (pypy3 7.3.11 agrees,
/// `gc-py/examples/weak_kept_by_finalizer.py`).
#[test]
fn weak_references_pypy_clears_but_a_resurrecting_finalizer_keeps_are_named() {
    use gc_core::Inspect;
    for b_first in [true, false] {
        let mut h = IncMiniMark::with_config(small(4096)).unwrap();
        // a -> b, each holding a plain object p.
        let a = h.alloc_node(2, 0).unwrap();
        let b = h.alloc_node(2, 0).unwrap();
        let ap = h.alloc_node(0, 0).unwrap();
        let bp = h.alloc_node(0, 0).unwrap();
        h.set_slot(a, 0, Some(b)).unwrap();
        h.set_slot(a, 1, Some(ap)).unwrap();
        h.set_slot(b, 1, Some(bp)).unwrap();
        let order = if b_first { [b, a] } else { [a, b] };
        for o in order {
            h.set_finalizer(o, Finalizer::Resurrect).unwrap();
        }
        let weaks: Vec<_> = [a, ap, b, bp]
            .iter()
            .map(|&o| h.weak(o, false).unwrap())
            .collect();
        let ids: Vec<_> = weaks.iter().map(|&w| h.weak_id(w).unwrap()).collect();
        for o in [a, b, ap, bp] {
            h.release(o).unwrap();
        }
        assert_eq!(h.take_spared_weaks().unwrap(), []);
        h.collect_full().unwrap();
        // a is finalized now. Registered first, b was walked before a
        // reached it, and is alive for a; registered after, it was in a's
        // closure when its turn came (as in PyPy).
        let want = if b_first { &ids[..2] } else { &ids[..] };
        assert_eq!(h.take_spared_weaks().unwrap(), want, "b first: {b_first}");
        assert_eq!(h.take_spared_weaks().unwrap(), [], "taken once");
        for &w in &weaks {
            assert!(h.upgrade(w).unwrap().is_some(), "kept by the collector");
        }
    }
}
