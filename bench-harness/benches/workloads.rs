//! criterion benches: every workload on every collector at a small scale
//! (ids `workload/collector/parameter`), and micro-benches of the hot
//! paths: allocation, a slot write (through the strategy's barrier), and a
//! full collection of N objects, live or garbage.
//!
//! Collectors come from `collectors::for_each_collector`, which follows
//! `collectors::dispatch`: a strategy added there is benched here.
//!
//! `cargo bench -p bench-harness` runs them all (about two minutes);
//! `cargo bench -p bench-harness -- binary_trees` one group.

#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::Duration;

use bench_harness::collectors::{WithEachCollector, for_each_collector};
use bench_harness::exec::FIRST_LINE;
use bench_harness::workloads;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use gc_core::tooling::mutator::Mutator;
use gc_core::tooling::trace::{Line, Trace};
use gc_core::{Collector, CollectorExt, Generation, Handle, Inspect};

/// The scale of the workload benches: small, so a sample is a few ms.
const SCALE: f64 = 0.05;

struct Workloads<'a> {
    c: &'a mut Criterion,
    traces: Vec<(&'static str, String, Trace)>,
}

impl WithEachCollector for Workloads<'_> {
    fn run<C: Inspect>(&mut self, config: C::Config) {
        for (name, parameter, trace) in &self.traces {
            let id = format!("{name}/{}/{parameter}", C::TRAITS.name);
            self.c.bench_function(&id, |b| {
                b.iter_batched(
                    || Mutator::new(C::with_config(config.clone()).expect("collector")),
                    |mut m| {
                        for line in &trace.lines {
                            m.step(line).expect("the workload is a valid trace");
                            m.events.clear();
                        }
                        m // dropped outside the measurement
                    },
                    BatchSize::PerIteration,
                )
            });
        }
    }
}

fn workload_benches(c: &mut Criterion) {
    let traces = workloads::ALL
        .iter()
        .map(|w| {
            let parameter = w.check(SCALE).expect("bench scale");
            let lines = w
                .ops(SCALE, 1)
                .into_iter()
                .zip(FIRST_LINE..)
                .map(|(op, number)| Line { number, op })
                .collect();
            (w.name, parameter, Trace { lines })
        })
        .collect();
    for_each_collector(&mut Workloads { c, traces });
}

struct Micro<'a> {
    c: &'a mut Criterion,
}

/// Objects in the full-collection benches.
const N: usize = 100_000;

fn heap<C: Collector>(config: &C::Config) -> C {
    C::with_config(config.clone()).expect("collector")
}

impl WithEachCollector for Micro<'_> {
    fn run<C: Inspect>(&mut self, config: C::Config) {
        let name = C::TRAITS.name;
        // Allocation: 1,000 nodes of 2 slots and 16 bytes into a fresh
        // heap, the roots kept (their release is not timed).
        self.c
            .bench_function(&format!("alloc/{name}/node2x16"), |b| {
                b.iter_batched(
                    || (heap::<C>(&config), Vec::with_capacity(1000)),
                    |(mut h, mut roots): (C, Vec<Handle>)| {
                        for _ in 0..1000 {
                            roots.push(h.alloc_node(2, 16).expect("alloc"));
                        }
                        (h, roots)
                    },
                    BatchSize::SmallInput,
                )
            });
        // A slot write through the strategy (and its barrier, if any): an
        // old object made to point at a young one and back to nil.
        self.c
            .bench_function(&format!("set_slot/{name}/old-to-young"), |b| {
                let mut h = heap::<C>(&config);
                let old = h.alloc_node(1, 0).expect("alloc");
                for _ in 0..1000 {
                    let t = h.alloc_node(0, 0).expect("alloc");
                    h.release(t).expect("release");
                }
                let _ = h.collect(Generation::FULL);
                let young = h.alloc_node(0, 0).expect("alloc");
                b.iter(|| {
                    h.set_slot(old, 0, Some(black_box(young))).expect("set");
                    h.set_slot(old, 0, None).expect("set");
                })
            });
        // A full collection of N live objects (a linked list held by one
        // root): the tracing cost.
        self.c
            .bench_function(&format!("collect_full/{name}/live-{N}"), |b| {
                b.iter_batched(
                    || {
                        let mut h = heap::<C>(&config);
                        let head = h.alloc_node(1, 0).expect("alloc");
                        let mut tail = h.clone_handle(head).expect("clone");
                        for _ in 1..N {
                            let n = h.alloc_node(1, 0).expect("alloc");
                            h.set_slot(tail, 0, Some(n)).expect("set");
                            h.release(tail).expect("release");
                            tail = n;
                        }
                        h.release(tail).expect("release");
                        (h, head)
                    },
                    |(mut h, head)| {
                        black_box(h.collect(Generation::FULL).expect("collect"));
                        (h, head)
                    },
                    BatchSize::PerIteration,
                )
            });
        // A full collection of N objects of garbage in two-node cycles.
        self.c
            .bench_function(&format!("collect_full/{name}/cycles-{N}"), |b| {
                b.iter_batched(
                    || {
                        let mut h = heap::<C>(&config);
                        for _ in 0..N / 2 {
                            let a = h.alloc_node(1, 0).expect("alloc");
                            let b = h.alloc_node(1, 0).expect("alloc");
                            h.set_slot(a, 0, Some(b)).expect("set");
                            h.set_slot(b, 0, Some(a)).expect("set");
                            h.release(a).expect("release");
                            h.release(b).expect("release");
                        }
                        h
                    },
                    |mut h| {
                        black_box(h.collect(Generation::FULL).expect("collect"));
                        h
                    },
                    BatchSize::PerIteration,
                )
            });
    }
}

fn micro_benches(c: &mut Criterion) {
    for_each_collector(&mut Micro { c });
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = workload_benches, micro_benches
}
criterion_main!(benches);
