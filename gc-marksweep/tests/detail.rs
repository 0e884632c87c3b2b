//! The memory counters reported after every collect event
//! ([`CollectDetail`]): promoted objects and bytes, the old generation and
//! its peak, the page allocator's reserved and used bytes, large objects.
//! Object sizes are computed here from the documented layout (two header
//! words, one word per slot, the payload rounded up to a word), not with
//! the collector's own function.

use gc_core::tooling::replay::{Record, Replayer, replay_with};
use gc_core::tooling::trace::Trace;
use gc_core::{
    CollectDetail, CollectEvent, CollectKind, Collector, CollectorExt, Event, Finalizer, Generation,
};
use gc_marksweep::{ARENA_SIZE, IncMiniMark, MarkSweepConfig};

/// Bytes of an object with `slots` slots and `payload` payload bytes.
fn size(slots: u64, payload: u64) -> u64 {
    16 + 8 * slots + payload.next_multiple_of(8)
}

fn heap(nursery: usize) -> IncMiniMark {
    let mut h = IncMiniMark::with_config(MarkSweepConfig {
        nursery,
        ..MarkSweepConfig::pypy()
    })
    .unwrap();
    h.record_events(true);
    h
}

/// Every collect event with its detail; checks that each one has one.
fn collections(h: &mut IncMiniMark) -> Vec<(CollectEvent, CollectDetail)> {
    let mut events = Vec::new();
    h.drain_events(&mut events).unwrap();
    events
        .iter()
        .filter_map(|e| match e {
            Event::Collect(c) => {
                let d = c.detail.unwrap_or_else(|| panic!("{c:?} has no detail"));
                Some((*c, d))
            }
            _ => None,
        })
        .collect()
}

/// (a) A minor collection's `promoted_*` are exactly the survivors it
/// copied: what the roots reach, directly or through slots, and young
/// objects with a finalizer (they survive their first minor collection);
/// small ones go to pages, one over 280 bytes is allocated on its own.
#[test]
fn promoted_bytes_are_the_sizes_of_the_survivors() {
    let mut h = heap(64 * 1024);
    let node = h.alloc_node(2, 10).unwrap(); // rooted
    let child = h.alloc_node(0, 100).unwrap(); // reached through `node`
    h.set_slot(node, 0, Some(child)).unwrap();
    h.release(child).unwrap();
    let atom = h.alloc_atom(5).unwrap(); // rooted
    let tuple = h.alloc_tuple(&[Some(atom), None, Some(node)]).unwrap();
    let doomed = h.alloc_atom(0).unwrap(); // unreachable, but has a finalizer
    h.set_finalizer(doomed, Finalizer::Notify).unwrap();
    h.release(doomed).unwrap();
    let big = h.alloc_node(1, 300).unwrap(); // 328 bytes: not a page block
    for _ in 0..50 {
        let g = h.alloc_node(3, 40).unwrap(); // garbage
        h.release(g).unwrap();
    }
    h.collect(Generation::YOUNGEST).unwrap();

    let small = size(2, 10) + size(0, 100) + size(0, 5) + size(3, 0) + size(0, 0);
    let large = size(1, 300);
    let c = collections(&mut h);
    assert_eq!(c.len(), 1);
    let (event, d) = c[0];
    assert_eq!(event.kind, IncMiniMark::MINOR);
    assert_eq!(event.collected, 50);
    assert_eq!(
        d,
        CollectDetail {
            promoted_objects: 6,
            promoted_bytes: small + large,
            old_bytes: small + large,
            peak_old_bytes: small + large,
            pages_reserved_bytes: ARENA_SIZE as u64,
            pages_used_bytes: small,
            large_bytes: large,
        }
    );

    // Nothing young: nothing promoted, the old generation as it was.
    h.collect(Generation::YOUNGEST).unwrap();
    let (_, d2) = collections(&mut h)[0];
    assert_eq!((d2.promoted_objects, d2.promoted_bytes), (0, 0));
    assert_eq!(d2.old_bytes, d.old_bytes);

    // A full collection is one `major` event: its promotions are those of
    // the minor collection inside it. The finalizable atom is finalized
    // (and freed by a later major collection).
    let young = h.alloc_node(1, 1).unwrap();
    h.set_slot(big, 0, Some(young)).unwrap();
    h.collect_full().unwrap();
    let c = collections(&mut h);
    assert_eq!(c.len(), 1);
    let (event, d3) = c[0];
    assert_eq!(event.kind, IncMiniMark::MAJOR);
    assert_eq!((d3.promoted_objects, d3.promoted_bytes), (1, size(1, 1)));
    assert_eq!(d3.old_bytes, small + large + size(1, 1));
    let s = h.gc_stats();
    assert_eq!(s.bytes_promoted, small + large + size(1, 1));
    assert_eq!(s.objects_promoted, 7);
    for handle in [node, atom, tuple, big, young] {
        h.release(handle).unwrap();
    }
}

/// (b) Under churn with a small nursery (many minors, incremental majors
/// that free most of the old generation): `peak_old_bytes` never decreases
/// and is never below `old_bytes`; `old_bytes` is pages plus large objects;
/// the page allocator never uses more than it reserves; the promotions add
/// up to the running totals.
#[test]
fn peak_old_bytes_is_monotone_and_bounds_old_bytes() {
    let mut h = heap(16 * 1024);
    let keep = h.alloc_node(64, 0).unwrap();
    let mut all = Vec::new();
    for i in 0..60_000usize {
        let x = h.alloc_node(2, i % 200).unwrap();
        if i % 7 == 0 {
            h.set_slot(keep, i % 64, Some(x)).unwrap();
        }
        if i % 5000 == 0 {
            let big = h.alloc_node(20_000, 0).unwrap(); // large, born old
            h.set_slot(keep, 63, Some(big)).unwrap();
            h.release(big).unwrap();
        }
        h.release(x).unwrap();
        if i % 1000 == 0 {
            all.extend(collections(&mut h));
        }
    }
    h.collect_full().unwrap();
    all.extend(collections(&mut h));

    let kinds = |k: CollectKind| all.iter().filter(|(c, _)| c.kind == k).count();
    let (minor, step, major) = (
        kinds(IncMiniMark::MINOR),
        kinds(IncMiniMark::MAJOR_STEP),
        kinds(IncMiniMark::MAJOR),
    );
    assert!(
        minor > 100 && step > 10 && major > 2,
        "minor {minor}, major-step {step}, major {major}"
    );
    let mut peak = 0;
    let (mut objects, mut bytes) = (0, 0);
    for (c, d) in &all {
        assert!(d.peak_old_bytes >= peak, "{c:?} {d:?}: the peak went down");
        assert!(d.peak_old_bytes >= d.old_bytes, "{d:?}");
        assert_eq!(d.old_bytes, d.pages_used_bytes + d.large_bytes, "{d:?}");
        assert!(d.pages_used_bytes <= d.pages_reserved_bytes, "{d:?}");
        assert_eq!(d.pages_reserved_bytes % ARENA_SIZE as u64, 0);
        if c.kind == IncMiniMark::MAJOR_STEP {
            assert_eq!(d.promoted_bytes, 0, "a step promotes nothing");
        }
        peak = d.peak_old_bytes;
        objects += d.promoted_objects;
        bytes += d.promoted_bytes;
    }
    let last = all.last().unwrap().1;
    assert!(last.old_bytes < last.peak_old_bytes, "majors freed memory");
    let s = h.gc_stats();
    assert_eq!((objects, bytes), (s.objects_promoted, s.bytes_promoted));
    assert_eq!(last.peak_old_bytes, s.peak_old_bytes);
    assert_eq!(last.old_bytes, s.old_bytes);
    assert_eq!(
        (last.pages_reserved_bytes, last.pages_used_bytes),
        (s.arena_bytes, s.page_bytes_used)
    );
    h.release(keep).unwrap();
}

/// (c) Freeing most objects but one on every page: the used bytes drop,
/// the reserved bytes stay (no page, so no arena, is empty) — that
/// difference is the fragmentation. Freeing the rest returns the arenas.
#[test]
fn a_sparse_survivor_set_shows_page_fragmentation() {
    let n = 100_000u64;
    let mut h = heap(4 << 20);
    let handles: Vec<_> = (0..n).map(|_| h.alloc_node(1, 0).unwrap()).collect();
    h.collect(Generation::YOUNGEST).unwrap();
    let (_, full) = collections(&mut h)[0];
    assert_eq!(full.promoted_objects, n);
    assert_eq!(full.pages_used_bytes, n * size(1, 0));
    // 341 blocks of 24 bytes per 8 KiB page: 294 pages, 5 arenas.
    assert_eq!(full.pages_reserved_bytes, 5 * ARENA_SIZE as u64);
    assert!(full.pages_used_bytes <= full.pages_reserved_bytes);

    // Keep every 100th object: at least three on every page.
    let mut kept = Vec::new();
    for (i, handle) in handles.into_iter().enumerate() {
        if i % 100 == 0 {
            kept.push(handle);
        } else {
            h.release(handle).unwrap();
        }
    }
    h.collect_full().unwrap();
    let (_, sparse) = collections(&mut h)[0];
    assert_eq!(sparse.pages_used_bytes, (n / 100) * size(1, 0));
    assert_eq!(
        sparse.pages_reserved_bytes, full.pages_reserved_bytes,
        "every page keeps a survivor: no arena can go back"
    );
    let fragmentation = sparse.pages_reserved_bytes - sparse.pages_used_bytes;
    assert!(fragmentation > 99 * sparse.pages_used_bytes / 10);
    assert_eq!(sparse.peak_old_bytes, full.pages_used_bytes);

    for handle in kept {
        h.release(handle).unwrap();
    }
    h.collect_full().unwrap();
    let (_, empty) = collections(&mut h)[0];
    assert_eq!(empty.pages_used_bytes, 0);
    assert!(
        empty.pages_reserved_bytes <= ARENA_SIZE as u64,
        "empty arenas go back (the current one may stay): {empty:?}"
    );
}

/// The replayer writes the detail only when asked (`replay --detail`), as
/// the last field of the collect line; by default the lines are the spec's.
#[test]
fn the_replayer_attaches_detail_only_when_asked() {
    let trace = Trace::parse(
        "gctrace 1\nnew r0 node 1 16\nnew r1 atom 8\nset r0.0 r1\ncollect 0\ndel r1\ncollect\n",
    )
    .unwrap();
    let lines = |detail: bool| {
        let mut lines = Vec::new();
        let replayer = Replayer::new(heap(4096)).with_detail(detail);
        let outcome = replay_with(&trace, replayer, |r| {
            if let Record::Collect { collect, .. } = r {
                assert_eq!(collect.detail.is_some(), detail);
            }
            lines.push(r.to_json());
        });
        assert_eq!(outcome.exit_code(), 0);
        lines
    };
    let plain = lines(false);
    let detailed = lines(true);
    assert_eq!(plain.len(), 3, "{plain:?}");
    assert!(plain.iter().all(|l| !l.contains("detail")));
    let minor = &detailed[0];
    let want = format!(
        r#","detail":{{"promoted_objects":2,"promoted_bytes":{b},"old_bytes":{b},"peak_old_bytes":{b},"pages_reserved_bytes":{ARENA_SIZE},"pages_used_bytes":{b},"large_bytes":0}}}}"#,
        b = size(1, 16) + size(0, 8)
    );
    assert!(minor.ends_with(&want), "{minor}");
    // Apart from the detail (and the times), the same collect lines.
    let untimed = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.starts_with(r#"{"event":"collect","#))
            .map(|l| l[..l.find(r#""pause_ns":"#).unwrap()].to_owned())
            .collect()
    };
    assert_eq!(untimed(&plain).len(), 2);
    assert_eq!(untimed(&plain), untimed(&detailed));
}
