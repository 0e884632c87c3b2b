//! `bacon-rajan-cc`: `bacon_rajan_cc::Cc`, reference counting with Bacon
//! and Rajan's synchronous cycle collector: every decrement that leaves a
//! count above zero buffers the object as a possible cycle root, and
//! `collect_cycles` (only when called: here after every batch of about
//! [`BATCH`](crate::workload::BATCH) allocations or updates) scans from the
//! buffered roots. `Trace` is written by hand (the crate has no derive).

use std::cell::RefCell;
use std::collections::HashSet;

use bacon_rajan_cc::{Cc, Trace, Tracer, collect_cycles};

use super::{Outcome, pyramid_total};

fn same<T: Trace>(a: &Cc<T>, b: &Cc<T>) -> bool {
    Cc::ptr_eq(a, b)
}
use crate::workload::{BATCH, Op, Sizes, Workload, tree_plan};

struct Tree {
    left: Option<Cc<Tree>>,
    right: Option<Cc<Tree>>,
}

impl Trace for Tree {
    fn trace(&self, t: &mut Tracer) {
        self.left.trace(t);
        self.right.trace(t);
    }
}

fn make(depth: u32) -> Cc<Tree> {
    if depth == 0 {
        return Cc::new(Tree {
            left: None,
            right: None,
        });
    }
    Cc::new(Tree {
        left: Some(make(depth - 1)),
        right: Some(make(depth - 1)),
    })
}

fn check(t: &Tree) -> u64 {
    match (&t.left, &t.right) {
        (Some(l), Some(r)) => 1 + check(l) + check(r),
        _ => 1,
    }
}

struct RingNode {
    prev: RefCell<Option<Cc<RingNode>>>,
    next: RefCell<Option<Cc<RingNode>>>,
}

impl Trace for RingNode {
    fn trace(&self, t: &mut Tracer) {
        self.prev.trace(t);
        self.next.trace(t);
    }
}

struct GraphNode {
    edges: RefCell<[Option<Cc<GraphNode>>; 4]>,
    value: u64,
}

impl Trace for GraphNode {
    fn trace(&self, t: &mut Tracer) {
        self.edges.borrow()[..].trace(t);
    }
}

struct List(Vec<Cc<List>>);

impl Trace for List {
    fn trace(&self, t: &mut Tracer) {
        self.0.trace(t);
    }
}

cc_workloads!(
    collect_cycles,
    batched: true,
    Some("collect_cycles scans buffered roots only")
);
