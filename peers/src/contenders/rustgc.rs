//! `gc`: the `gc` crate (rust-gc), `Gc` and `GcCell`: a thread-local
//! mark-and-sweep collector over every `Gc` allocation; a pointer counts
//! the roots it is (a `Gc` on the stack is a root, one inside a `Gc` is
//! not), so there are no scans of the stack. Collections are automatic
//! (when allocated bytes pass a threshold that grows with the heap);
//! the traversal calls `force_collect`. `Trace` is implemented with the
//! crate's `custom_trace!` rather than its derive, which would bring
//! `syn` 1 into the workspace's build.

use std::collections::HashSet;

use gc::{Finalize, Gc as Cc, GcCell as RefCell, Trace, custom_trace, force_collect as collect};

use super::{Outcome, pyramid_total};
use crate::workload::{Op, Sizes, Workload, tree_plan};

fn same<T: Trace>(a: &Cc<T>, b: &Cc<T>) -> bool {
    Cc::ptr_eq(a, b)
}

struct Tree {
    left: Option<Cc<Tree>>,
    right: Option<Cc<Tree>>,
}

impl Finalize for Tree {}

// SAFETY: the four methods visit every `Gc` a `Tree` owns (both children).
unsafe impl Trace for Tree {
    custom_trace!(this, {
        // SAFETY: `mark` is called as `custom_trace!` means it to be, inside
        // the `Trace` method it is defined for.
        unsafe {
            mark(&this.left);
            mark(&this.right);
        }
    });
}

struct RingNode {
    prev: RefCell<Option<Cc<RingNode>>>,
    next: RefCell<Option<Cc<RingNode>>>,
}

impl Finalize for RingNode {}

// SAFETY: the four methods visit every `Gc` a `RingNode` owns (both links).
unsafe impl Trace for RingNode {
    custom_trace!(this, {
        // SAFETY: `mark` is called as `custom_trace!` means it to be, inside
        // the `Trace` method it is defined for.
        unsafe {
            mark(&this.prev);
            mark(&this.next);
        }
    });
}

struct GraphNode {
    edges: RefCell<[Option<Cc<GraphNode>>; 4]>,
    value: u64,
}

impl Finalize for GraphNode {}

// SAFETY: the four methods visit every `Gc` a `GraphNode` owns (its edges;
// `value` holds none).
unsafe impl Trace for GraphNode {
    custom_trace!(this, {
        // SAFETY: `mark` is called as `custom_trace!` means it to be, inside
        // the `Trace` method it is defined for.
        unsafe {
            mark(&this.edges);
        }
    });
}

struct List(Vec<Cc<List>>);

impl Finalize for List {}

// SAFETY: the four methods visit every `Gc` a `List` owns (its items).
unsafe impl Trace for List {
    custom_trace!(this, {
        // SAFETY: `mark` is called as `custom_trace!` means it to be, inside
        // the `Trace` method it is defined for.
        unsafe {
            mark(&this.0);
        }
    });
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
                    let next = Option::clone(&node.next.borrow()).expect("a ring");
                    node = next;
                    if same(&node, &first) {
                        break;
                    }
                }
                loop {
                    total += 1;
                    let prev = Option::clone(&node.prev.borrow()).expect("a ring");
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
                if !seen.insert(&*n as *const GraphNode as usize) {
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
            Ok(Outcome::check(total))
        }
    }
}
