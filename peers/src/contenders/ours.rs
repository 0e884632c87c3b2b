//! `refcount`, `generational`, `marksweep`: this workspace's strategies,
//! through the embedding API only (`gc_core::prelude`): every workload runs
//! in [`Embedding::scope`], trees are built with [`Scope::child_tuple`]
//! (a node's two subtrees made in a nested scope, taken over by the
//! node), and every check walks views
//! ([`ObjectView`]), which make no roots. Each heap is made with its
//! library defaults, or the `--config` settings given for it, and collects
//! on its own; the traversal calls `collect(Generation::FULL)`.
//!
//! `refcount` cannot collect cycles: list_churn clears every ring's `prev`
//! links and its closing `next` link before dropping it (as `rc` breaks its
//! one strong cycle by hand), and graph reports the objects it leaks.

use std::collections::HashSet;

use gc_core::prelude::*;

use super::{Outcome, pyramid_total};
use crate::workload::{Op, Sizes, Workload, tree_plan};

const PREV: usize = 0;
const NEXT: usize = 1;

fn tree<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Result<Local<'s>, GcError> {
    if depth == 0 {
        return s.tuple(&[None, None]);
    }
    s.child_tuple(|s| Ok([Some(tree(s, depth - 1)?), Some(tree(s, depth - 1)?)]))
}

fn check<'a, V: ObjectView<'a>>(t: V) -> Result<u64, GcError> {
    Ok(match (t.slot(0)?, t.slot(1)?) {
        (Some(l), Some(r)) => 1 + check(l)? + check(r)?,
        _ => 1,
    })
}

/// One built tree, checked and released.
fn tree_check<C: Collector>(s: &mut Scope<'_, C>, depth: u32) -> Result<u64, GcError> {
    s.scope(|s| {
        let t = tree(s, depth)?;
        check(s.view(t)?)
    })
}

/// Runs `w` on a fresh heap of `C`; `breaks_cycles`: clear the rings'
/// back links by hand (a pure reference counter).
pub(crate) fn run<C: Collector>(
    heap: &mut C,
    w: Workload,
    s: &Sizes,
    ops: &[Op],
    breaks_cycles: bool,
) -> Result<Outcome, GcError> {
    let outcome = heap.scope(|sc| -> Result<Outcome, GcError> {
        match w {
            Workload::BinaryTrees => {
                let (stretch, long_lived, rounds) = tree_plan(s.tree_depth);
                let mut total = tree_check(sc, stretch)?;
                let long = tree(sc, long_lived)?;
                for (d, k) in rounds {
                    for _ in 0..k {
                        total += tree_check(sc, d)?;
                    }
                }
                total += check(sc.view(long)?)?;
                Ok(Outcome::check(total))
            }
            Workload::ListChurn => {
                let mut total = 0;
                for _ in 0..s.rings {
                    total += sc.scope(|sc| -> Result<u64, GcError> {
                        let first = sc.node(2, 0)?;
                        let mut last = first;
                        for _ in 1..s.ring_len {
                            let node = sc.node(2, 0)?;
                            sc.set(node, PREV, Some(last))?;
                            sc.set(last, NEXT, Some(node))?;
                            last = node;
                        }
                        sc.set(last, NEXT, Some(first))?;
                        sc.set(first, PREV, Some(last))?;
                        let mut count = 0;
                        for direction in [NEXT, PREV] {
                            let start = sc.view(first)?;
                            let mut node = start;
                            loop {
                                count += 1;
                                node = node.slot(direction)?.ok_or(GcError::StaleHandle)?;
                                if node.same(start) {
                                    break;
                                }
                            }
                        }
                        if breaks_cycles {
                            sc.set(last, NEXT, None)?;
                            // Walk forward with a local per step, clearing `prev`.
                            let mut node = Some(first);
                            while let Some(n) = node {
                                sc.set(n, PREV, None)?;
                                node = sc.get(n, NEXT)?;
                            }
                        }
                        Ok(count)
                    })?;
                }
                Ok(Outcome::check(total))
            }
            Workload::Graph => {
                let table = sc.node(s.graph_nodes, 0)?;
                for k in 0..s.graph_nodes {
                    sc.scope(|sc| -> Result<(), GcError> {
                        let n = sc.node(4, 8)?;
                        sc.set_payload_as(n, k as u64)?;
                        sc.set(table, k, Some(n))
                    })?;
                }
                let mut value = s.graph_nodes as u64;
                for op in ops {
                    let (i, j) = (op.i as usize, op.j as usize);
                    sc.scope(|sc| -> Result<(), GcError> {
                        let target = sc.get(table, j)?;
                        match op.code {
                            0 => {
                                let n = sc.node(4, 8)?;
                                sc.set_payload_as(n, value)?;
                                value += 1;
                                sc.set(n, 0, target)?;
                                sc.set(table, i, Some(n))
                            }
                            c => {
                                let from = sc.get(table, i)?.ok_or(GcError::StaleHandle)?;
                                let (edge, to) = if c <= 4 {
                                    (c as usize - 1, target)
                                } else {
                                    (c as usize - 5, None)
                                };
                                sc.set(from, edge, to)
                            }
                        }
                    })?;
                }
                let view = sc.view(table)?;
                let mut seen = HashSet::new();
                let mut stack = Vec::new();
                for k in 0..s.graph_nodes {
                    stack.extend(view.slot(k)?);
                }
                let mut total = 0u64;
                while let Some(n) = stack.pop() {
                    if !seen.insert(n.id()) {
                        continue;
                    }
                    total = total.wrapping_add(1 + n.payload_as::<u64>()?);
                    for e in 0..4 {
                        stack.extend(n.slot(e)?);
                    }
                }
                Ok(Outcome::check(total))
            }
            Workload::Traversal => {
                let mut top = sc.node(0, 0)?;
                for n in 0..s.levels {
                    top = sc.child(|sc| {
                        let list = sc.node(n, 0)?;
                        for k in 0..n {
                            sc.set(list, k, Some(top))?;
                        }
                        Ok::<_, GcError>(list)
                    })?;
                }
                for _ in 0..2 * s.loops {
                    sc.collect(Generation::FULL)?;
                }
                let view = sc.view(top)?;
                let total = pyramid_total(
                    view,
                    |l| l.slot_count(),
                    |l, k| l.slot(k).ok().flatten().expect("a full list"),
                    |a, b| a.same(*b),
                );
                Ok(Outcome::check(total))
            }
        }
    })?;
    Ok(match (breaks_cycles, w) {
        (true, Workload::Graph) => {
            let leaked = heap.stats().live_objects;
            outcome.note(&format!("leaks {leaked} objects in cycles"))
        }
        (true, Workload::ListChurn) => outcome.note("rings' links cleared by hand"),
        (true, Workload::Traversal) => {
            outcome.note("no cycle collector: collect has nothing to do")
        }
        _ => outcome,
    })
}
