//! What embedding costs, on binary trees of depth 16 (131,071 tuples):
//! building one and dropping it through the raw handle API and through
//! scopes (a `Scope::child` per node, or a `Scope::child_tuple` per
//! node), and counting its nodes through views, on every strategy, beside
//! `std::rc::Rc<RefCell<_>>`; and the same through `AnyCollector`.
//!
//! `cargo run --release -p gc-any --example tree_costs` prints one table:
//! the median of 15 runs of each cell (a build includes a full collection,
//! so that collectors that free late pay for it), cells interleaved round
//! by round so that drift falls on all alike.

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use gc_any::AnyCollector;
use gc_core::prelude::*;
use gc_core::{Handle, NullCollector};

const DEPTH: u32 = 16;
const NODES: u64 = (1 << (DEPTH + 1)) - 1;
const ROUNDS: usize = 15;

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

fn taking_tree<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Local<'s> {
    if depth == 0 {
        return s.tuple(&[None, None]).unwrap();
    }
    s.child_tuple(|s| {
        Ok::<_, GcError>([
            Some(taking_tree(s, depth - 1)),
            Some(taking_tree(s, depth - 1)),
        ])
    })
    .unwrap()
}

fn view_count<'a, V: ObjectView<'a>>(v: V) -> u64 {
    match (v.slot(0).unwrap(), v.slot(1).unwrap()) {
        (Some(l), Some(r)) => 1 + view_count(l) + view_count(r),
        _ => 1,
    }
}

fn time(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e3
}

/// One round of a strategy's cells: handle build, scope builds (`child`,
/// `child_tuple`), walk.
fn round<C: Collector>(h: &mut C) -> [f64; 4] {
    let handles = time(|| {
        let t = handle_tree(h, DEPTH);
        h.release(t).unwrap();
        h.collect(Generation::FULL).unwrap();
    });
    let scope = time(|| {
        h.scope(|s| {
            black_box(scope_tree(s, DEPTH));
        });
        h.collect(Generation::FULL).unwrap();
    });
    let taking = time(|| {
        h.scope(|s| {
            black_box(taking_tree(s, DEPTH));
        });
        h.collect(Generation::FULL).unwrap();
    });
    let walk = h.scope(|s| {
        let t = scope_tree(s, DEPTH);
        let view = s.view(t).unwrap();
        time(|| assert_eq!(view_count(view), NODES))
    });
    [handles, scope, taking, walk]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let names = ["null", "refcount", "generational", "marksweep"];
    let mut concrete: (NullCollector, gc_refcount::RefCount, _, _) = (
        NullCollector::new_default().unwrap(),
        gc_refcount::RefCount::new_default().unwrap(),
        gc_generational::Generational::new_default().unwrap(),
        gc_marksweep::IncMiniMark::new_default().unwrap(),
    );
    let mut any: Vec<AnyCollector> = names[1..]
        .iter()
        .map(|n| AnyCollector::from_name_default(n).unwrap())
        .collect();
    let (mut rc_build, mut rc_walk) = (Vec::new(), Vec::new());
    let mut cells: Vec<Vec<[f64; 4]>> = vec![Vec::new(); names.len() + any.len()];
    for _ in 0..ROUNDS {
        rc_build.push(time(|| drop(black_box(rc_tree(DEPTH)))));
        // Each walk counts a tree made just before it, as in `round`.
        let rc = rc_tree(DEPTH);
        rc_walk.push(time(|| assert_eq!(rc_count(&rc), NODES)));
        cells[0].push(round(&mut concrete.0));
        cells[1].push(round(&mut concrete.1));
        cells[2].push(round(&mut concrete.2));
        cells[3].push(round(&mut concrete.3));
        for (i, h) in any.iter_mut().enumerate() {
            cells[4 + i].push(round(h));
        }
    }
    let (rb, rw) = (median(rc_build), median(rc_walk));
    println!(
        "binary tree of depth {DEPTH} ({NODES} tuples), median of {ROUNDS} interleaved rounds"
    );
    println!(
        "{:<24} {:>10} {:>10} {:>8} {:>10} {:>8} {:>10} {:>8}",
        "contender",
        "handles ms",
        "child ms",
        "÷handles",
        "taking ms",
        "÷handles",
        "walk ms",
        "÷Rc walk"
    );
    println!(
        "{:<24} {:>10.2} {:>10} {:>8} {:>10} {:>8} {:>10.3} {:>8.2}",
        "Rc<RefCell<_>>", rb, "", "", "", "", rw, 1.0
    );
    let labels = names
        .iter()
        .map(|n| n.to_string())
        .chain(names[1..].iter().map(|n| format!("AnyCollector({n})")));
    for (label, runs) in labels.zip(cells) {
        let m = |k: usize| median(runs.iter().map(|r| r[k]).collect());
        let (h, s, t, w) = (m(0), m(1), m(2), m(3));
        println!(
            "{label:<24} {h:>10.2} {s:>10.2} {:>8.2} {t:>10.2} {:>8.2} {w:>10.3} {:>8.2}",
            s / h,
            t / h,
            w / rw
        );
    }
}
