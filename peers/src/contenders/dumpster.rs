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
use crate::workload::{Op, Sizes, Workload, tree_plan};

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

pub(crate) fn run(w: Workload, s: &Sizes, ops: &[Op]) -> Result<Outcome, String> {
    match w {
        Workload::BinaryTrees => {
            let (stretch, long_lived, rounds) = tree_plan(s.tree_depth);
            let mut total = check(&make(stretch));
            let long = make(long_lived);
            for (d, k) in rounds {
                for _ in 0..k {
                    total += check(&make(d));
                }
            }
            total += check(&long);
            drop(long);
            Ok(Outcome::check(total))
        }
        Workload::ListChurn => {
            let mut total = 0;
            for _ in 0..s.rings {
                let first = Cc::new(RingNode {
                    prev: RefCell::new(None),
                    next: RefCell::new(None),
                });
                let mut last = first.clone();
                for _ in 1..s.ring_len {
                    let node = Cc::new(RingNode {
                        prev: RefCell::new(Some(last.clone())),
                        next: RefCell::new(None),
                    });
                    *last.next.borrow_mut() = Some(node.clone());
                    last = node;
                }
                *last.next.borrow_mut() = Some(first.clone());
                *first.prev.borrow_mut() = Some(last.clone());
                let mut node = first.clone();
                loop {
                    total += 1;
                    let next = node.next.borrow().clone().expect("a ring");
                    node = next;
                    if same(&node, &first) {
                        break;
                    }
                }
                loop {
                    total += 1;
                    let prev = node.prev.borrow().clone().expect("a ring");
                    node = prev;
                    if same(&node, &first) {
                        break;
                    }
                }
                drop((first, last, node));
            }
            collect();
            Ok(Outcome::check(total))
        }
        Workload::Graph => {
            let mut table: Vec<Cc<GraphNode>> = (0..s.graph_nodes)
                .map(|k| {
                    Cc::new(GraphNode {
                        edges: RefCell::new(Default::default()),
                        value: k as u64,
                    })
                })
                .collect();
            let mut value = s.graph_nodes as u64;
            for op in ops {
                let (i, j) = (op.i as usize, op.j as usize);
                match op.code {
                    0 => {
                        let mut edges: [Option<Cc<GraphNode>>; 4] = Default::default();
                        edges[0] = Some(table[j].clone());
                        table[i] = Cc::new(GraphNode {
                            edges: RefCell::new(edges),
                            value,
                        });
                        value += 1;
                    }
                    c @ 1..=4 => {
                        let target = table[j].clone();
                        table[i].edges.borrow_mut()[c as usize - 1] = Some(target);
                    }
                    c => table[i].edges.borrow_mut()[c as usize - 5] = None,
                }
            }
            let mut seen = HashSet::new();
            let mut stack: Vec<Cc<GraphNode>> = table.clone();
            let mut total = 0u64;
            while let Some(n) = stack.pop() {
                if !seen.insert(Cc::as_ptr(&n) as usize) {
                    continue;
                }
                total = total.wrapping_add(1 + n.value);
                stack.extend(n.edges.borrow().iter().flatten().cloned());
            }
            drop(table);
            collect();
            Ok(Outcome::check(total))
        }
        Workload::Traversal => {
            let mut top = Cc::new(List(Vec::new()));
            for n in 0..s.levels {
                top = Cc::new(List(vec![top; n]));
            }
            for _ in 0..2 * s.loops {
                collect();
            }
            let total = pyramid_total(top.clone(), |l| l.0.len(), |l, k| l.0[k].clone(), same);
            Ok(Outcome::check(total).note("collect scans pointers dropped since the last only"))
        }
    }
}
