//! Full collections of a large live heap, sequential against
//! `parallel_mark=N` marking (issue #13): the whole collection's time and
//! its marking's (`MarkSweepStats::mark_time_ns`: visiting the greys; the
//! minor collection, the finalizer ordering and the sweep are the rest).
//!
//! ```text
//! cargo run --release -p gc-marksweep --example parmark
//! GC_PERF_TREES=4096 GC_PARMARK_RUNS=7 GC_PARMARK_THREADS=2,4 cargo run --release -p gc-marksweep --example parmark
//! ```
//!
//! Three shapes of the same live size: binary trees (`GC_PERF_TREES` trees
//! of 2,047 nodes under one root: 4,096 ≈ 255 MiB, as in `perf.rs`), the
//! same nodes as one linked list (no parallelism to find: the threads can
//! only lose), and wide nodes (16,384 slots each, pointing at small
//! leaves). Each collection is timed on its own heap state (nothing dies
//! between them, so every one marks the same objects); the median and the
//! spread of `GC_PARMARK_RUNS` runs are printed. `GC_PARMARK_FINALIZER=1`
//! gives the root a finalizer: a parallel step then blackens with a
//! compare-and-swap, to count exactly what the finalizer ordering needs.

use std::time::Instant;

use gc_core::{Collector, CollectorExt, Finalizer, Handle};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};

fn tree<C: Collector>(h: &mut C, depth: u32) -> Handle {
    let node = h.alloc_node(2, 0).unwrap();
    if depth > 0 {
        for i in 0..2 {
            let child = tree(h, depth - 1);
            h.set_slot(node, i, Some(child)).unwrap();
            h.release(child).unwrap();
        }
    }
    node
}

/// `n` nodes of two slots in one list, its head returned.
fn chain<C: Collector>(h: &mut C, n: usize) -> Handle {
    let mut head = h.alloc_node(2, 0).unwrap();
    for _ in 1..n {
        let node = h.alloc_node(2, 0).unwrap();
        h.set_slot(node, 0, Some(head)).unwrap();
        h.release(head).unwrap();
        head = node;
    }
    head
}

/// Wide nodes of `WIDE` slots, each slot a leaf of two slots, about `n`
/// objects in all, under one root.
fn wide<C: Collector>(h: &mut C, n: usize) -> Handle {
    const WIDE: usize = 16_384;
    let count = n.div_ceil(WIDE + 1);
    let root = h.alloc_node(count, 0).unwrap();
    for i in 0..count {
        let node = h.alloc_node(WIDE, 0).unwrap();
        for j in 0..WIDE {
            let leaf = h.alloc_node(2, 0).unwrap();
            h.set_slot(node, j, Some(leaf)).unwrap();
            h.release(leaf).unwrap();
        }
        h.set_slot(root, i, Some(node)).unwrap();
        h.release(node).unwrap();
    }
    root
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let trees: usize = env("GC_PERF_TREES", 2048);
    let runs: usize = env("GC_PARMARK_RUNS", 5).max(1);
    let threads: Vec<usize> = std::env::var("GC_PARMARK_THREADS")
        .unwrap_or_else(|_| "2".into())
        .split(',')
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    let finalizer = env("GC_PARMARK_FINALIZER", 0) != 0;
    let nodes = trees * 2047;
    println!(
        "{} cores available; {runs} full collections per row; median [min–max] ms",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    type Build = fn(&mut IncMiniMark, usize) -> Handle;
    let shapes: [(&str, Build); 3] = [
        ("binary trees", |h, nodes| {
            let trees = nodes / 2047;
            let keep = h.alloc_node(trees, 0).unwrap();
            for i in 0..trees {
                let t = tree(h, 10);
                h.set_slot(keep, i, Some(t)).unwrap();
                h.release(t).unwrap();
            }
            keep
        }),
        ("one linked list", chain),
        ("wide nodes", wide),
    ];
    for (shape, build) in shapes {
        let mut baseline = None;
        for n in std::iter::once(1).chain(threads.iter().copied()) {
            let mut h = IncMiniMark::with_config(MarkSweepConfig {
                nursery: 4 << 20,
                parallel_mark: n,
                ..MarkSweepConfig::default()
            })
            .unwrap();
            let root = build(&mut h, nodes);
            if finalizer {
                h.set_finalizer(root, Finalizer::Notify).unwrap();
            }
            // Everything old and swept once before the timed runs.
            h.collect_full().unwrap();
            let before = h.gc_stats();
            let (mut full, mut marking) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                let mark_before = h.gc_stats().mark_time_ns;
                let started = Instant::now();
                h.collect_full().unwrap();
                full.push(started.elapsed().as_secs_f64() * 1e3);
                marking.push((h.gc_stats().mark_time_ns - mark_before) as f64 / 1e6);
            }
            let after = h.gc_stats();
            let parallel = after.parallel_mark_steps - before.parallel_mark_steps;
            let spread = |v: &[f64]| {
                (
                    v.iter().copied().fold(f64::MAX, f64::min),
                    v.iter().copied().fold(0.0, f64::max),
                )
            };
            let ((fmin, fmax), (mmin, mmax)) = (spread(&full), spread(&marking));
            let (f, m) = (median(&mut full), median(&mut marking));
            let ratio = match baseline {
                None => {
                    baseline = Some((f, m));
                    String::new()
                }
                Some((bf, bm)) => {
                    format!("; speed-up: full {:.2}x, marking {:.2}x", bf / f, bm / m)
                }
            };
            println!(
                "{shape:15} {:4} MiB, parallel_mark={n}: full {f:7.1} [{fmin:.1}-{fmax:.1}] ms, marking {m:7.1} [{mmin:.1}-{mmax:.1}] ms{ratio} ({parallel} parallel steps)",
                after.old_bytes >> 20,
            );
            h.release(root).unwrap();
        }
    }
}
