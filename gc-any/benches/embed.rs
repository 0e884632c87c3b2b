//! Binary trees (one tree of depth 16: 131,071 tuples) through the
//! embedding API, beside `std::rc::Rc<RefCell<_>>` and beside the raw
//! handle API it replaces, on every strategy; and the same code through
//! `AnyCollector`, to measure the run-time choice's indirection.
//!
//! `cargo bench -p gc-any --bench embed` — ids read
//! `embed/{build,walk}/{contender}`. `build` makes the tree and drops it;
//! `walk` counts the nodes of a tree made beforehand (views: no roots).

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gc_any::AnyCollector;
use gc_core::prelude::*;
use gc_core::{Handle, NullCollector};
use gc_generational::Generational;
use gc_marksweep::IncMiniMark;
use gc_refcount::RefCount;

const DEPTH: u32 = 16;
const NODES: u64 = (1 << (DEPTH + 1)) - 1;

struct RcNode {
    left: Option<Rc<RefCell<RcNode>>>,
    right: Option<Rc<RefCell<RcNode>>>,
}

fn rc_tree(depth: u32) -> Rc<RefCell<RcNode>> {
    let (left, right) = if depth == 0 {
        (None, None)
    } else {
        (Some(rc_tree(depth - 1)), Some(rc_tree(depth - 1)))
    };
    Rc::new(RefCell::new(RcNode { left, right }))
}

fn rc_count(node: &Rc<RefCell<RcNode>>) -> u64 {
    let n = node.borrow();
    1 + n.left.as_ref().map_or(0, rc_count) + n.right.as_ref().map_or(0, rc_count)
}

/// The raw handle API: every handle released by hand.
fn handle_tree<C: Collector>(h: &mut C, depth: u32) -> Handle {
    if depth == 0 {
        return h.alloc_tuple(&[None, None]).unwrap();
    }
    let left = handle_tree(h, depth - 1);
    let right = handle_tree(h, depth - 1);
    let t = h.alloc_tuple(&[Some(left), Some(right)]).unwrap();
    h.release(left).unwrap();
    h.release(right).unwrap();
    t
}

/// The embedding API: a child scope per node, nothing to release.
fn scope_tree<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Local<'s> {
    s.child(|s| {
        if depth == 0 {
            return s.tuple(&[None, None]);
        }
        let left = scope_tree(s, depth - 1);
        let right = scope_tree(s, depth - 1);
        s.tuple(&[Some(left), Some(right)])
    })
    .unwrap()
}

fn view_count<'a, V: ObjectView<'a>>(v: V) -> u64 {
    match (v.slot(0).unwrap(), v.slot(1).unwrap()) {
        (Some(l), Some(r)) => 1 + view_count(l) + view_count(r),
        _ => 1,
    }
}

fn build<C: Collector>(c: &mut Criterion, name: &str, make: impl Fn() -> C) {
    let mut g = c.benchmark_group("embed/build");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.bench_function(format!("handles-{name}"), |b| {
        let mut heap = make();
        b.iter(|| {
            let t = handle_tree(&mut heap, DEPTH);
            heap.release(t).unwrap();
            heap.collect(Generation::FULL).unwrap();
        })
    });
    g.bench_function(format!("scope-{name}"), |b| {
        let mut heap = make();
        b.iter(|| {
            heap.scope(|s| {
                black_box(scope_tree(s, DEPTH));
            });
            heap.collect(Generation::FULL).unwrap();
        })
    });
    g.finish();
}

fn walk<C: Collector>(c: &mut Criterion, name: &str, make: impl Fn() -> C) {
    let mut g = c.benchmark_group("embed/walk");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    let mut heap = make();
    heap.scope(|s| {
        let t = scope_tree(s, DEPTH);
        g.bench_function(format!("views-{name}"), |b| {
            b.iter(|| assert_eq!(view_count(s.view(t).unwrap()), NODES))
        });
    });
    g.finish();
}

fn any(strategy: &'static str) -> impl Fn() -> AnyCollector {
    move || AnyCollector::from_name(strategy, &[] as &[(&str, &str)]).unwrap()
}

fn benches(c: &mut Criterion) {
    {
        let mut g = c.benchmark_group("embed/build");
        g.sample_size(10).measurement_time(Duration::from_secs(3));
        g.bench_function("rc", |b| b.iter(|| drop(black_box(rc_tree(DEPTH)))));
        g.finish();
        let mut g = c.benchmark_group("embed/walk");
        g.sample_size(10).measurement_time(Duration::from_secs(3));
        let t = rc_tree(DEPTH);
        g.bench_function("rc", |b| b.iter(|| assert_eq!(rc_count(&t), NODES)));
        g.finish();
    }
    build(c, "null", || NullCollector::new_default().unwrap());
    build(c, "refcount", || RefCount::new_default().unwrap());
    build(c, "generational", || Generational::new_default().unwrap());
    build(c, "marksweep", || IncMiniMark::new_default().unwrap());
    build(c, "any-refcount", any("refcount"));
    build(c, "any-generational", any("generational"));
    build(c, "any-marksweep", any("marksweep"));
    walk(c, "refcount", || RefCount::new_default().unwrap());
    walk(c, "generational", || Generational::new_default().unwrap());
    walk(c, "marksweep", || IncMiniMark::new_default().unwrap());
    walk(c, "any-refcount", any("refcount"));
    walk(c, "any-generational", any("generational"));
    walk(c, "any-marksweep", any("marksweep"));
}

criterion_group!(embed, benches);
criterion_main!(embed);
