//! `gc_collect`: what one collection costs per object, and what automatic
//! collection costs while a program builds a large live structure.
//!
//! Workloads (after pyperformance's `gc_collect` and `gc_traversal`, and the
//! issue's performance section):
//!
//! - `collect/generational/rings-2`: a full collection of 1,000,000
//!   unreachable nodes in doubly linked rings of 2;
//! - `collect/generational/rings-100`: the same in rings of 100;
//! - `collect/generational/live`: a full collection of 1,000,000 live nodes
//!   (a doubly linked list held by one root);
//! - `build/generational/3000000-live`: building a 3,000,000-node doubly
//!   linked list with automatic collection on (the amortised cost of the
//!   collections CPython's thresholds trigger).
//!
//! Setup is excluded (`iter_batched`, one fresh heap per iteration). The
//! bench prints ns per object; when `python3` is on the path it also runs
//! the same workloads on CPython (`benches/cpython_collect.py`) and prints
//! the ratio.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group};
use gc_core::{Collector, CollectorExt, Handle};
use gc_generational::{Generational, GenerationalConfig};

const N: usize = 1_000_000;
const BUILD: usize = 3_000_000;

fn heap(enabled: bool) -> Generational {
    Generational::with_config(GenerationalConfig {
        enabled,
        ..GenerationalConfig::default()
    })
    .unwrap()
}

/// `n` nodes in doubly linked rings of `ring` nodes, all dropped.
fn rings(n: usize, ring: usize) -> Generational {
    let mut h = heap(false);
    let mut members: Vec<Handle> = Vec::with_capacity(ring);
    for _ in 0..n / ring {
        members.clear();
        members.extend((0..ring).map(|_| h.alloc_node(2, 0).unwrap()));
        for i in 0..ring {
            let next = members[(i + 1) % ring];
            let prev = members[(i + ring - 1) % ring];
            h.set_slot(members[i], 0, Some(next)).unwrap();
            h.set_slot(members[i], 1, Some(prev)).unwrap();
        }
        for &m in &members {
            h.release(m).unwrap();
        }
    }
    h
}

/// A doubly linked list of `n` nodes held by one root.
fn live_list(n: usize, enabled: bool) -> (Generational, Handle) {
    let mut h = heap(enabled);
    let head = h.alloc_node(2, 0).unwrap();
    let mut last = h.clone_handle(head).unwrap();
    for _ in 1..n {
        let node = h.alloc_node(2, 0).unwrap();
        h.set_slot(last, 0, Some(node)).unwrap();
        h.set_slot(node, 1, Some(last)).unwrap();
        h.release(last).unwrap();
        last = node;
    }
    h.release(last).unwrap();
    (h, head)
}

fn collect_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("collect");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    for ring in [2, 100] {
        g.bench_function(format!("generational/rings-{ring}"), |b| {
            b.iter_batched(
                || rings(N, ring),
                |mut h| {
                    assert_eq!(h.collect_full().unwrap(), N as u64);
                    h
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.bench_function("generational/live", |b| {
        b.iter_batched(
            || live_list(N, false),
            |(mut h, head)| {
                assert_eq!(h.collect_full().unwrap(), 0);
                (h, head)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function(format!("generational/{BUILD}-live"), |b| {
        b.iter_batched(
            || (),
            |()| black_box(live_list(BUILD, true)),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// One timed run of each workload, in ns per object, as the ratio report
/// needs it (criterion's own report has the distributions).
fn ns_per_object() -> Vec<(&'static str, f64)> {
    let time =
        |f: &mut dyn FnMut() -> Duration| (0..3).map(|_| f()).min().unwrap().as_nanos() as f64;
    let mut out = Vec::new();
    for (name, ring) in [("rings-2", 2), ("rings-100", 100)] {
        let t = time(&mut || {
            let mut h = rings(N, ring);
            let s = std::time::Instant::now();
            h.collect_full().unwrap();
            let d = s.elapsed();
            drop(black_box(h));
            d
        });
        out.push((name, t / N as f64));
    }
    let t = time(&mut || {
        let (mut h, head) = live_list(N, false);
        let s = std::time::Instant::now();
        h.collect_full().unwrap();
        let d = s.elapsed();
        drop(black_box((h, head)));
        d
    });
    out.push(("live", t / N as f64));
    let t = time(&mut || {
        let s = std::time::Instant::now();
        let (h, _) = live_list(BUILD, true);
        let d = s.elapsed();
        let gc = Duration::from_nanos(h.stats().gc_time_ns);
        drop(black_box(h));
        let _ = d;
        gc
    });
    out.push(("build-3000000 (gc time)", t / BUILD as f64));
    out
}

/// Runs `cpython_collect.py` and reads `name ns_per_object` lines.
fn cpython() -> Option<Vec<(String, f64)>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/cpython_collect.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(
        text.lines()
            .filter_map(|l| {
                let (name, ns) = l.rsplit_once(' ')?;
                Some((name.to_owned(), ns.parse().ok()?))
            })
            .collect(),
    )
}

fn ratio_report() {
    let ours = ns_per_object();
    let theirs = cpython();
    println!(
        "\nCPython runs benches/cpython_collect.py, a tight loop (its best case); \
         `gc-bench compare --workload rings-2 --collector generational --scale 1` \
         runs the exported program instead"
    );
    println!("ns per object (best of 3)       generational   CPython   ratio");
    for (name, ns) in ours {
        let py = theirs
            .as_ref()
            .and_then(|t| t.iter().find(|(n, _)| n == name).map(|p| p.1));
        match py {
            Some(py) => println!("{name:30} {ns:12.1} {py:9.1} {:6.1}x", py / ns),
            None => println!("{name:30} {ns:12.1}         –"),
        }
    }
}

criterion_group!(benches, collect_benches);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    ratio_report();
}
