//! `rc`: `std::rc::Rc` (+ `RefCell` where a field changes, `Weak` for the
//! back edges of the rings). Frees at count zero; cycles leak.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::{Rc, Weak};

use super::{Outcome, pyramid_total};
use crate::workload::{Op, Sizes, Workload, tree_plan};

/// A binary-trees tuple.
struct Tree {
    left: Option<Rc<Tree>>,
    right: Option<Rc<Tree>>,
}

fn make(depth: u32) -> Rc<Tree> {
    if depth == 0 {
        return Rc::new(Tree {
            left: None,
            right: None,
        });
    }
    Rc::new(Tree {
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

/// A ring node: `next` strong, `prev` weak.
struct RingNode {
    prev: RefCell<Weak<RingNode>>,
    next: RefCell<Option<Rc<RingNode>>>,
}

/// A graph node.
struct GraphNode {
    edges: RefCell<[Option<Rc<GraphNode>>; 4]>,
    value: u64,
}

/// A pyramid list, with a mark for the traversal (a collection's mark bit).
struct List {
    items: Vec<Rc<List>>,
    mark: Cell<u32>,
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
            Ok(Outcome::check(total))
        }
        Workload::ListChurn => {
            let mut total = 0;
            for _ in 0..s.rings {
                let first = Rc::new(RingNode {
                    prev: RefCell::new(Weak::new()),
                    next: RefCell::new(None),
                });
                let mut last = Rc::clone(&first);
                for _ in 1..s.ring_len {
                    let node = Rc::new(RingNode {
                        prev: RefCell::new(Rc::downgrade(&last)),
                        next: RefCell::new(None),
                    });
                    *last.next.borrow_mut() = Some(Rc::clone(&node));
                    last = node;
                }
                *last.next.borrow_mut() = Some(Rc::clone(&first));
                *first.prev.borrow_mut() = Rc::downgrade(&last);
                let mut node = Rc::clone(&first);
                loop {
                    total += 1;
                    let next = node.next.borrow().clone().expect("a ring");
                    node = next;
                    if Rc::ptr_eq(&node, &first) {
                        break;
                    }
                }
                loop {
                    total += 1;
                    let prev = node.prev.borrow().upgrade().expect("a ring");
                    node = prev;
                    if Rc::ptr_eq(&node, &first) {
                        break;
                    }
                }
                // The closing edge is the one strong cycle: break it by hand.
                last.next.borrow_mut().take();
            }
            Ok(Outcome::check(total).note("Weak prev; the ring's closing link cut by hand"))
        }
        Workload::Graph => {
            let mut table: Vec<Rc<GraphNode>> = (0..s.graph_nodes)
                .map(|k| {
                    Rc::new(GraphNode {
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
                        let mut edges: [Option<Rc<GraphNode>>; 4] = Default::default();
                        edges[0] = Some(Rc::clone(&table[j]));
                        table[i] = Rc::new(GraphNode {
                            edges: RefCell::new(edges),
                            value,
                        });
                        value += 1;
                    }
                    c @ 1..=4 => {
                        let target = Rc::clone(&table[j]);
                        table[i].edges.borrow_mut()[c as usize - 1] = Some(target);
                    }
                    c => table[i].edges.borrow_mut()[c as usize - 5] = None,
                }
            }
            let mut seen = HashSet::new();
            let mut stack: Vec<Rc<GraphNode>> = table.clone();
            let mut total = 0u64;
            while let Some(n) = stack.pop() {
                if !seen.insert(Rc::as_ptr(&n) as usize) {
                    continue;
                }
                total = total.wrapping_add(1 + n.value);
                stack.extend(n.edges.borrow().iter().flatten().cloned());
            }
            Ok(Outcome::check(total).note("leaks the garbage cycles"))
        }
        Workload::Traversal => {
            let mut top = Rc::new(List {
                items: Vec::new(),
                mark: Cell::new(0),
            });
            for n in 0..s.levels {
                top = Rc::new(List {
                    items: vec![top; n],
                    mark: Cell::new(0),
                });
            }
            // No collector: each "collection" is a marking walk.
            for epoch in 1..=2 * s.loops as u32 {
                let mut stack = vec![&top];
                while let Some(l) = stack.pop() {
                    if l.mark.replace(epoch) == epoch {
                        continue;
                    }
                    stack.extend(l.items.iter());
                }
            }
            let total = pyramid_total(
                Rc::clone(&top),
                |l| l.items.len(),
                |l, k| Rc::clone(&l.items[k]),
                Rc::ptr_eq,
            );
            Ok(Outcome::check(total).note("no collector: 2 marking walks per loop"))
        }
    }
}
