//! `gc-arena`: a safe, incremental mark-and-sweep arena (Lua 5.4's
//! collector): `Gc<'gc, T>` pointers are plain pointers branded with the
//! arena's lifetime, mutation happens inside `Arena::mutate`, and the
//! collector runs only between mutations — here `collect_debt` (the
//! allocation debt decides how much work) after every tree, every ring
//! and every batch of [`BATCH`] graph updates; the traversal runs
//! `finish_cycle` (a full collection) twice per loop. `Collect` derived.

use std::collections::HashSet;

use gc_arena::lock::RefLock;
use gc_arena::{Arena, Collect, Gc, Mutation, Rootable};

use super::{Outcome, pyramid_total};
use crate::workload::{BATCH, Op, Sizes, Workload, tree_plan};

#[derive(Collect)]
#[collect(no_drop)]
struct Tree<'gc> {
    left: Option<Gc<'gc, Tree<'gc>>>,
    right: Option<Gc<'gc, Tree<'gc>>>,
}

fn make<'gc>(mc: &Mutation<'gc>, depth: u32) -> Gc<'gc, Tree<'gc>> {
    if depth == 0 {
        return Gc::new(
            mc,
            Tree {
                left: None,
                right: None,
            },
        );
    }
    let left = make(mc, depth - 1);
    let right = make(mc, depth - 1);
    Gc::new(
        mc,
        Tree {
            left: Some(left),
            right: Some(right),
        },
    )
}

fn check(t: &Tree<'_>) -> u64 {
    match (t.left, t.right) {
        (Some(l), Some(r)) => 1 + check(&l) + check(&r),
        _ => 1,
    }
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct RingNode<'gc> {
    prev: Option<RingRef<'gc>>,
    next: Option<RingRef<'gc>>,
}

type RingRef<'gc> = Gc<'gc, RefLock<RingNode<'gc>>>;

#[derive(Collect)]
#[collect(no_drop)]
struct GraphNode<'gc> {
    edges: [Option<GraphRef<'gc>>; 4],
    value: u64,
}

type GraphRef<'gc> = Gc<'gc, RefLock<GraphNode<'gc>>>;

#[derive(Collect)]
#[collect(no_drop)]
struct List<'gc>(Vec<Gc<'gc, List<'gc>>>);

pub(crate) fn run(w: Workload, s: &Sizes, ops: &[Op]) -> Result<Outcome, String> {
    match w {
        Workload::BinaryTrees => {
            let (stretch, long_lived, rounds) = tree_plan(s.tree_depth);
            let mut arena = Arena::<Rootable![Option<Gc<'_, Tree<'_>>>]>::new(|_| None);
            let mut total = arena.mutate(|mc, _| check(&make(mc, stretch)));
            arena.collect_debt();
            arena.mutate_root(|mc, root| *root = Some(make(mc, long_lived)));
            arena.collect_debt();
            for (d, k) in rounds {
                for _ in 0..k {
                    total += arena.mutate(|mc, _| check(&make(mc, d)));
                    arena.collect_debt();
                }
            }
            total += arena.mutate(|_, root| check(&root.expect("made above")));
            Ok(Outcome::check(total).note("collect_debt after every tree"))
        }
        Workload::ListChurn => {
            let mut total = 0;
            let mut arena = Arena::<Rootable![()]>::new(|_| ());
            for _ in 0..s.rings {
                total += arena.mutate(|mc, _| {
                    let new = |prev| Gc::new(mc, RefLock::new(RingNode { prev, next: None }));
                    let first: RingRef<'_> = new(None);
                    let mut last = first;
                    for _ in 1..s.ring_len {
                        let node = new(Some(last));
                        last.borrow_mut(mc).next = Some(node);
                        last = node;
                    }
                    last.borrow_mut(mc).next = Some(first);
                    first.borrow_mut(mc).prev = Some(last);
                    let mut count = 0;
                    let mut node = first;
                    loop {
                        count += 1;
                        node = node.borrow().next.expect("a ring");
                        if Gc::ptr_eq(node, first) {
                            break;
                        }
                    }
                    loop {
                        count += 1;
                        node = node.borrow().prev.expect("a ring");
                        if Gc::ptr_eq(node, first) {
                            break;
                        }
                    }
                    count
                });
                arena.collect_debt();
            }
            Ok(Outcome::check(total).note("collect_debt after every ring"))
        }
        Workload::Graph => {
            let nodes = s.graph_nodes;
            let mut arena = Arena::<Rootable![Vec<GraphRef<'_>>]>::new(|mc| {
                (0..nodes as u64)
                    .map(|value| {
                        Gc::new(
                            mc,
                            RefLock::new(GraphNode {
                                edges: [None; 4],
                                value,
                            }),
                        )
                    })
                    .collect()
            });
            let mut value = nodes as u64;
            for batch in ops.chunks(BATCH) {
                arena.mutate_root(|mc, table| {
                    for op in batch {
                        let (i, j) = (op.i as usize, op.j as usize);
                        match op.code {
                            0 => {
                                let mut edges = [None; 4];
                                edges[0] = Some(table[j]);
                                table[i] = Gc::new(mc, RefLock::new(GraphNode { edges, value }));
                                value += 1;
                            }
                            c @ 1..=4 => {
                                table[i].borrow_mut(mc).edges[c as usize - 1] = Some(table[j]);
                            }
                            c => table[i].borrow_mut(mc).edges[c as usize - 5] = None,
                        }
                    }
                });
                arena.collect_debt();
            }
            let total = arena.mutate(|_, table| {
                let mut seen = HashSet::new();
                let mut stack = table.clone();
                let mut total = 0u64;
                while let Some(n) = stack.pop() {
                    if !seen.insert(Gc::as_ptr(n) as usize) {
                        continue;
                    }
                    let n = n.borrow();
                    total = total.wrapping_add(1 + n.value);
                    stack.extend(n.edges.iter().flatten().copied());
                }
                total
            });
            Ok(Outcome::check(total).note("collect_debt every 10,000 updates"))
        }
        Workload::Traversal => {
            let levels = s.levels;
            let mut arena = Arena::<Rootable![Gc<'_, List<'_>>]>::new(|mc| {
                let mut top = Gc::new(mc, List(Vec::new()));
                for n in 0..levels {
                    top = Gc::new(mc, List(vec![top; n]));
                }
                top
            });
            for _ in 0..2 * s.loops {
                arena.finish_cycle();
            }
            let total = arena.mutate(|_, top| {
                pyramid_total(
                    *top,
                    |l| l.0.len(),
                    |l, k| l.0[k],
                    |a, b| Gc::ptr_eq(*a, *b),
                )
            });
            Ok(Outcome::check(total))
        }
    }
}
