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
            Ok(Outcome::check(total).note("trees are freed by counting"))
        }
        Workload::ListChurn => {
            let mut total = 0;
            for r in 1..=s.rings {
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
                if r % s.rings_per_batch() == 0 {
                    collect_thread_cycles();
                }
            }
            collect_thread_cycles();
            Ok(Outcome::check(total).note(&format!(
                "collect_thread_cycles every {} rings",
                s.rings_per_batch()
            )))
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
            for (step, op) in ops.iter().enumerate() {
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
                if (step + 1) % BATCH == 0 {
                    collect_thread_cycles();
                }
            }
            let mut seen = HashSet::new();
            let mut stack: Vec<Cc<GraphNode>> = table.clone();
            let mut total = 0u64;
            while let Some(n) = stack.pop() {
                if !seen.insert(&*n as *const GraphNode as usize) {
                    continue;
                }
                total = total.wrapping_add(1 + n.value);
                stack.extend(n.edges.borrow().iter().flatten().cloned());
            }
            drop(table);
            collect_thread_cycles();
            Ok(Outcome::check(total).note("collect_thread_cycles every 10,000 updates"))
        }
        Workload::Traversal => {
            let mut top = Cc::new(List(Vec::new()));
            for n in 0..s.levels {
                top = Cc::new(List(vec![top; n]));
            }
            for _ in 0..2 * s.loops {
                collect_thread_cycles();
            }
            let total = pyramid_total(top.clone(), |l| l.0.len(), |l, k| l.0[k].clone(), same);
            Ok(Outcome::check(total))
        }
    }
}
