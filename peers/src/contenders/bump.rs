//! `bumpalo`: every object bump-allocated in an arena, freed all at once by
//! `Bump::reset` (per tree, per ring) or when the arena is dropped. No
//! header, no count, no tracing: the allocation limit.

use std::cell::Cell;
use std::collections::HashSet;

use bumpalo::Bump;

use super::{Outcome, pyramid_total};
use crate::workload::{Op, Sizes, Workload, tree_plan};

struct Tree<'a> {
    left: Option<&'a Tree<'a>>,
    right: Option<&'a Tree<'a>>,
}

fn make<'a>(b: &'a Bump, depth: u32) -> &'a Tree<'a> {
    if depth == 0 {
        return b.alloc(Tree {
            left: None,
            right: None,
        });
    }
    let left = make(b, depth - 1);
    let right = make(b, depth - 1);
    b.alloc(Tree {
        left: Some(left),
        right: Some(right),
    })
}

fn check(t: &Tree<'_>) -> u64 {
    match (t.left, t.right) {
        (Some(l), Some(r)) => 1 + check(l) + check(r),
        _ => 1,
    }
}

struct RingNode<'a> {
    prev: Cell<Option<&'a RingNode<'a>>>,
    next: Cell<Option<&'a RingNode<'a>>>,
}

struct GraphNode<'a> {
    edges: [Cell<Option<&'a GraphNode<'a>>>; 4],
    value: u64,
}

struct List<'a> {
    items: &'a [&'a List<'a>],
    mark: Cell<u32>,
}

pub(crate) fn run(w: Workload, s: &Sizes, ops: &[Op]) -> Result<Outcome, String> {
    match w {
        Workload::BinaryTrees => {
            let (stretch, long_lived, rounds) = tree_plan(s.tree_depth);
            let mut scratch = Bump::new();
            let mut total = check(make(&scratch, stretch));
            scratch.reset();
            let keep = Bump::new();
            let long = make(&keep, long_lived);
            for (d, k) in rounds {
                for _ in 0..k {
                    total += check(make(&scratch, d));
                    scratch.reset();
                }
            }
            total += check(long);
            Ok(Outcome::check(total))
        }
        Workload::ListChurn => {
            let mut total = 0;
            let mut arena = Bump::new();
            for _ in 0..s.rings {
                let b = &arena;
                let first = b.alloc(RingNode {
                    prev: Cell::new(None),
                    next: Cell::new(None),
                });
                let mut last: &RingNode<'_> = first;
                for _ in 1..s.ring_len {
                    let node = b.alloc(RingNode {
                        prev: Cell::new(Some(last)),
                        next: Cell::new(None),
                    });
                    last.next.set(Some(node));
                    last = node;
                }
                last.next.set(Some(first));
                first.prev.set(Some(last));
                let mut node: &RingNode<'_> = first;
                loop {
                    total += 1;
                    node = node.next.get().expect("a ring");
                    if std::ptr::eq(node, first) {
                        break;
                    }
                }
                loop {
                    total += 1;
                    node = node.prev.get().expect("a ring");
                    if std::ptr::eq(node, first) {
                        break;
                    }
                }
                arena.reset();
            }
            Ok(Outcome::check(total))
        }
        Workload::Graph => {
            let b = Bump::new();
            let new = |value: u64| {
                &*b.alloc(GraphNode {
                    edges: Default::default(),
                    value,
                })
            };
            let mut table: Vec<&GraphNode<'_>> = (0..s.graph_nodes as u64).map(new).collect();
            let mut value = s.graph_nodes as u64;
            for op in ops {
                let (i, j) = (op.i as usize, op.j as usize);
                match op.code {
                    0 => {
                        let n = new(value);
                        value += 1;
                        n.edges[0].set(Some(table[j]));
                        table[i] = n;
                    }
                    c @ 1..=4 => table[i].edges[c as usize - 1].set(Some(table[j])),
                    c => table[i].edges[c as usize - 5].set(None),
                }
            }
            let mut seen = HashSet::new();
            let mut stack = table.clone();
            let mut total = 0u64;
            while let Some(n) = stack.pop() {
                if !seen.insert(n as *const GraphNode<'_> as usize) {
                    continue;
                }
                total = total.wrapping_add(1 + n.value);
                stack.extend(n.edges.iter().filter_map(Cell::get));
            }
            Ok(Outcome::check(total).note("never frees until the end"))
        }
        Workload::Traversal => {
            let b = Bump::new();
            let mut top: &List<'_> = b.alloc(List {
                items: &[],
                mark: Cell::new(0),
            });
            for n in 0..s.levels {
                let items = b.alloc_slice_fill_copy(n, top);
                top = b.alloc(List {
                    items,
                    mark: Cell::new(0),
                });
            }
            for epoch in 1..=2 * s.loops as u32 {
                let mut stack = vec![top];
                while let Some(l) = stack.pop() {
                    if l.mark.replace(epoch) == epoch {
                        continue;
                    }
                    stack.extend(l.items.iter().copied());
                }
            }
            let total = pyramid_total(
                top,
                |l| l.items.len(),
                |l, k| l.items[k],
                |a, b| std::ptr::eq(*a, *b),
            );
            Ok(Outcome::check(total).note("no collector: 2 marking walks per loop"))
        }
    }
}
