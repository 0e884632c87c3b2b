//! `binary_trees` — the Computer Language Benchmarks Game's binary-trees.
//!
//! **Stresses:** allocation rate and the collection of short-lived,
//! perfectly balanced trees, with one long-lived tree alive throughout.
//! Nearly everything dies young: the best case for a nursery, and a steady
//! stream of frees for reference counting.
//!
//! **Models:** the Benchmarks Game program as its Python version writes it:
//! a tree node is a 2-tuple `(left, right)` made *after* its children, a leaf
//! is `(None, None)`, and `check` walks the tree reading both members of
//! every inner node. With `n` the maximum depth (`min_depth` = 4):
//!
//! 1. a *stretch* tree of depth `n + 1` is built, walked and dropped;
//! 2. a *long-lived* tree of depth `n` is built and kept;
//! 3. for `d` = 4, 6, …, `n`: `2^(n − d + 4)` trees of depth `d` are built,
//!    walked and dropped, one at a time;
//! 4. the long-lived tree is walked.
//!
//! A tree of depth `d` has `2^(d+1) − 1` nodes.
//!
//! **Source:** <https://benchmarksgame-team.pages.debian.net/benchmarksgame/description/binarytrees.html>
//! (itself after Hans Boehm's GCBench).
//!
//! **Scale:** `n = round(12 + log2(scale))`, at least 6, at most 24 (about
//! 4 × 10^9 nodes); the work doubles with each step of `n`.

use super::workload::{Emit, Workload, depth_for};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "binary_trees",
    summary: "Benchmarks Game binary-trees: balanced tuple trees built, walked and dropped; one long-lived tree",
    parameter: |s| max_depth(s).map(|n| format!("depth={n}")),
    generate,
    matrix_scale: 1.0,
};

/// The smallest depth of the iterated trees.
pub const MIN_DEPTH: u32 = 4;

/// The maximum depth `n` for a scale.
pub fn max_depth(scale: f64) -> Result<u32, String> {
    depth_for(scale, 12.0, MIN_DEPTH + 2, 24)
}

/// Register layout: the long-lived tree in r0; the tree under work in r1;
/// building and walking use r2 + 2·level upwards.
const LONG_LIVED: u32 = 0;
const TREE: u32 = 1;
const SCRATCH: u32 = 2;

/// Builds a tree of `depth` into `dst`, children first (bottom-up, as
/// `make_tree` returns `(make_tree(d-1), make_tree(d-1))`).
fn build(e: &mut Emit<'_>, depth: u32, dst: u32, scratch: u32) {
    if depth == 0 {
        e.tuple(dst, &[None, None]);
        return;
    }
    let (l, r) = (scratch, scratch + 1);
    build(e, depth - 1, l, scratch + 2);
    build(e, depth - 1, r, scratch + 2);
    e.tuple(dst, &[Some(l), Some(r)]);
    e.del(l);
    e.del(r);
}

/// Walks a tree of `depth` held in `tree` (`check_tree`: read both members
/// of every inner node).
fn walk(e: &mut Emit<'_>, depth: u32, tree: u32, scratch: u32) {
    if depth == 0 {
        return;
    }
    for side in 0..2 {
        e.get(scratch, tree, side);
        walk(e, depth - 1, scratch, scratch + 1);
    }
    e.del(scratch);
}

fn generate(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    let n = max_depth(scale).expect("checked scale");
    let stretch = n + 1;
    build(e, stretch, TREE, SCRATCH);
    walk(e, stretch, TREE, SCRATCH);
    e.del(TREE);

    build(e, n, LONG_LIVED, SCRATCH);
    let mut d = MIN_DEPTH;
    while d <= n {
        for _ in 0..iterations(n, d) {
            build(e, d, TREE, SCRATCH);
            walk(e, d, TREE, SCRATCH);
            e.del(TREE);
        }
        d += 2;
    }
    walk(e, n, LONG_LIVED, SCRATCH);
}

/// Trees of depth `d` built when the maximum depth is `n`.
pub fn iterations(n: u32, d: u32) -> u64 {
    1u64 << (n - d + MIN_DEPTH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;

    fn nodes(d: u32) -> u64 {
        (1u64 << (d + 1)) - 1
    }

    #[test]
    fn allocates_exactly_the_nodes_the_definition_says() {
        for n in [6u32, 7, 8] {
            let scale = 2f64.powi(n as i32 - 12);
            assert_eq!(max_depth(scale).unwrap(), n);
            let c = Census::of(&WORKLOAD.ops(scale, 0));
            let mut want = nodes(n + 1) + nodes(n);
            let mut d = 4;
            while d <= n {
                want += (1u64 << (n - d + 4)) * nodes(d);
                d += 2;
            }
            assert_eq!(c.tuples, want, "n = {n}");
            assert_eq!(c.allocations(), want);
            // Every inner node of every tree is walked: two reads each.
            let mut walks = 2 * (nodes(n + 1) / 2) + 2 * (nodes(n) / 2);
            let mut d = 4;
            while d <= n {
                walks += (1u64 << (n - d + 4)) * 2 * (nodes(d) / 2);
                d += 2;
            }
            assert_eq!(c.gets, walks);
        }
    }

    #[test]
    fn depth_follows_the_scale() {
        assert_eq!(max_depth(1.0).unwrap(), 12);
        assert_eq!(max_depth(4.0).unwrap(), 14);
        assert_eq!(max_depth(0.001).unwrap(), 6);
        assert!(max_depth(1e6).is_err());
    }

    #[test]
    fn a_tree_is_reachable_while_held_and_garbage_after() {
        use gc_core::tooling::oracle::{Mode, Oracle};
        let mut ops = Vec::new();
        let mut sink = |op| ops.push(op);
        let mut e = Emit::new(&mut sink);
        build(&mut e, 3, TREE, SCRATCH);
        drop(e);
        let mut o = Oracle::new(Mode::Observed);
        for op in &ops {
            o.apply(op, None).unwrap();
        }
        assert_eq!(o.reachable().len() as u64, nodes(3));
    }
}
