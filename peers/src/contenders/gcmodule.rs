//! `gcmodule`: `gcmodule::Cc`, reference counting with a CPython-style
//! cycle collector over the tracked objects of the thread, run only when
//! called (`collect_thread_cycles`): here after every batch of about
//! [`BATCH`](crate::workload::BATCH) allocations or updates. The node types
//! are recursive, so `Trace` is written by hand with `is_type_tracked`
//! true, as gcmodule's docs prescribe (the derive would recurse forever).

use std::cell::RefCell;
use std::collections::HashSet;

use gcmodule::{Cc, Trace, Tracer, collect_thread_cycles};

use super::{Outcome, pyramid_total};

fn same<T: Trace>(a: &Cc<T>, b: &Cc<T>) -> bool {
    std::ptr::eq::<T>(&**a, &**b)
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
    fn is_type_tracked() -> bool {
        true
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
    fn is_type_tracked() -> bool {
        true
    }
}

struct GraphNode {
    edges: RefCell<[Option<Cc<GraphNode>>; 4]>,
    value: u64,
}

impl Trace for GraphNode {
    fn trace(&self, t: &mut Tracer) {
        // Skipped if borrowed, as gcmodule's own RefCell impl does.
        if let Ok(edges) = self.edges.try_borrow() {
            for e in edges.iter() {
                e.trace(t);
            }
        }
    }
    fn is_type_tracked() -> bool {
        true
    }
}

struct List(Vec<Cc<List>>);

impl Trace for List {
    fn trace(&self, t: &mut Tracer) {
        self.0.trace(t);
    }
    fn is_type_tracked() -> bool {
        true
    }
}

cc_workloads!(collect_thread_cycles, batched: true, None::<&str>);
