//! Rough numbers for the issue's performance targets (the harness owns the
//! real benchmarks): allocation throughput against the null collector,
//! minor-collection pauses on binary trees, the longest major step and
//! peak heap / live on a growing old generation.
//!
//! ```text
//! cargo run --release -p gc-marksweep --example perf
//! GC_PERF_TREES=16384 cargo run --release -p gc-marksweep --example perf  # a 1 GiB old generation
//! ```

use std::time::Instant;

use gc_core::{Collector, CollectorExt, Handle, NullCollector};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};

fn alloc_and_drop<C: Collector>(heap: &mut C, n: usize) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        let h = heap.alloc_node(2, 16).unwrap();
        heap.release(h).unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

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

fn main() {
    let n = 20_000_000;
    let null = alloc_and_drop(&mut NullCollector::new_default().unwrap(), n);
    let mut ms = IncMiniMark::with_config(MarkSweepConfig::pypy()).unwrap();
    let ours = alloc_and_drop(&mut ms, n);
    println!(
        "allocate-and-drop: null {:.1} M/s, marksweep {:.1} M/s, ratio {:.2} (nursery {} bytes, {} minors)",
        null / 1e6,
        ours / 1e6,
        ours / null,
        ms.config().nursery,
        ms.gc_stats().minors
    );

    // Binary trees (the GC benchmark's shape): a long-lived tree, many
    // short-lived ones.
    for nursery in [4 << 20, ms.config().nursery] {
        let mut h = IncMiniMark::with_config(MarkSweepConfig {
            nursery,
            ..MarkSweepConfig::pypy()
        })
        .unwrap();
        let long_lived = tree(&mut h, 18);
        h.collect(gc_core::Generation::YOUNGEST).unwrap();
        h.drain_events(&mut Vec::new()).unwrap();
        let started = Instant::now();
        for _ in 0..2000 {
            let t = tree(&mut h, 12);
            h.release(t).unwrap();
        }
        let mut pauses = Vec::new();
        let mut events = Vec::new();
        h.drain_events(&mut events).unwrap();
        for e in &events {
            if let gc_core::Event::Collect(c) = e {
                if c.kind == IncMiniMark::MINOR {
                    pauses.push(c.pause_ns);
                }
            }
        }
        pauses.sort_unstable();
        let p99 = pauses
            .get(pauses.len().saturating_sub(1) * 99 / 100)
            .copied()
            .unwrap_or(0);
        let s = h.gc_stats();
        println!(
            "binary trees, nursery {nursery}: {:.2} s, {} minors (p99 {:.3} ms, max {:.3} ms), {} majors, {} steps (max {:.3} ms)",
            started.elapsed().as_secs_f64(),
            s.minors,
            p99 as f64 / 1e6,
            s.max_minor_pause_ns as f64 / 1e6,
            s.majors,
            s.major_steps,
            s.max_step_pause_ns as f64 / 1e6
        );
        h.release(long_lived).unwrap();
    }

    // A growing old generation: peak heap / live and the longest step.
    // GC_PERF_TREES sets its size: 4096 trees ≈ 255 MiB, 16384 ≈ 1 GiB.
    let trees: usize = std::env::var("GC_PERF_TREES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4096);
    let mut h = IncMiniMark::with_config(MarkSweepConfig {
        nursery: 4 << 20,
        ..MarkSweepConfig::pypy()
    })
    .unwrap();
    let keep = h.alloc_node(trees, 0).unwrap();
    let mut peak: u64 = 0;
    for i in 0..trees {
        let t = tree(&mut h, 10);
        h.set_slot(keep, i, Some(t)).unwrap();
        h.release(t).unwrap();
        for _ in 0..4 {
            let g = tree(&mut h, 9);
            h.release(g).unwrap();
        }
        let s = h.gc_stats();
        peak = peak.max(s.arena_bytes + s.large_bytes);
    }
    let s = h.gc_stats();
    h.collect_full().unwrap();
    let live = h.gc_stats().old_bytes;
    println!(
        "growing old generation to {} MiB live: {} majors, {} steps, longest step {:.3} ms, peak heap (arenas + large) / live {:.2}",
        live >> 20,
        s.majors,
        s.major_steps,
        s.max_step_pause_ns as f64 / 1e6,
        peak as f64 / live as f64
    );
}
