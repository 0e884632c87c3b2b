//! `dumpster`: `dumpster::unsync::Gc`, reference counting that remembers
//! every pointer dropped to a nonzero count and, when its own condition
//! says so (the default: more drops since the last collection than live
//! `Gc`s), searches those for unreachable cycles. `Trace` is derived.
//! Collections are automatic; the traversal calls `unsync::collect`.

use std::cell::RefCell;
use std::collections::HashSet;

use dumpster::Trace;
use dumpster::unsync::{Gc as Cc, collect};

use super::{Outcome, pyramid_total};

fn same<T: Trace>(a: &Cc<T>, b: &Cc<T>) -> bool {
    Cc::ptr_eq(a, b)
}
use crate::workload::{BATCH, Op, Sizes, Workload, tree_plan};

#[derive(Trace)]
struct Tree {
    left: Option<Cc<Tree>>,
    right: Option<Cc<Tree>>,
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

#[derive(Trace)]
struct RingNode {
    prev: RefCell<Option<Cc<RingNode>>>,
    next: RefCell<Option<Cc<RingNode>>>,
}

#[derive(Trace)]
struct GraphNode {
    edges: RefCell<[Option<Cc<GraphNode>>; 4]>,
    value: u64,
}

#[derive(Trace)]
struct List(Vec<Cc<List>>);

cc_workloads!(
    collect,
    batched: false,
    Some("collect scans pointers dropped since the last only")
);
