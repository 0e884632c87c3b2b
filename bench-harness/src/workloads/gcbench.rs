//! `gcbench` — Hans Boehm's GCBench (John Ellis and Pete Kovac's Java
//! original, as adapted by Boehm).
//!
//! **Stresses:** a mix the collector must not be fooled by: a large
//! long-lived tree and a large pointer-free array alive throughout, while
//! many short-lived trees of growing depth are built both top-down (the
//! parent first, then children written into it: old-to-young stores) and
//! bottom-up (children first).
//!
//! **Models:** GCBench's `main`, with `Node { left, right, i, j }` a node of
//! two slots and 8 payload bytes (the two ints):
//!
//! 1. *stretch*: `MakeTree(stretch_depth)` built and dropped;
//! 2. *long-lived tree*: `new Node()` then `Populate(long_lived_depth, …)`;
//! 3. *long-lived array*: `double[array_size]`, an atom of
//!    `8 × array_size` bytes (no pointers);
//! 4. for `d` = 4, 6, …, `max_depth`: `TimeConstruction(d)` — `NumIters(d)`
//!    trees built top-down (`new Node()` + `Populate(d, …)`), then as many
//!    bottom-up (`MakeTree(d)`), each dropped at once;
//!
//! where `TreeSize(i) = 2^(i+1) − 1` and
//! `NumIters(i) = 2 × TreeSize(stretch_depth) / TreeSize(i)`. GCBench's
//! constants are stretch 18, long-lived 16, array 500,000, max 16; this
//! workload keeps their proportions: long-lived = max = stretch − 2 and
//! array = 500,000 × 2^(stretch − 18).
//!
//! **Source:** <https://hboehm.info/gc/gc_bench/> (`GCBench.java`).
//!
//! **Scale:** `stretch_depth = round(14 + log2(scale))`, at least 8, at most
//! 26; the work doubles with each step.

use super::workload::{Emit, Workload, depth_for};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "gcbench",
    summary: "Boehm's GCBench: long-lived tree and array; trees built top-down and bottom-up",
    parameter: |s| stretch_depth(s).map(|d| format!("stretch={d}")),
    generate,
    matrix_scale: 1.0,
};

/// GCBench's `kMinTreeDepth`.
pub const MIN_TREE_DEPTH: u32 = 4;

/// Slots and payload of GCBench's `Node`.
const SLOTS: u32 = 2;
const PAYLOAD: u32 = 8;

/// `kStretchTreeDepth` for a scale.
pub fn stretch_depth(scale: f64) -> Result<u32, String> {
    depth_for(scale, 14.0, 8, 26)
}

/// GCBench's `TreeSize(i)`.
pub fn tree_size(i: u32) -> u64 {
    (1u64 << (i + 1)) - 1
}

/// GCBench's `NumIters(i)`.
pub fn num_iters(stretch: u32, i: u32) -> u64 {
    2 * tree_size(stretch) / tree_size(i)
}

/// The long-lived array's length.
pub fn array_size(stretch: u32) -> u64 {
    if stretch >= 18 {
        500_000u64 << (stretch - 18)
    } else {
        500_000u64 >> (18 - stretch)
    }
}

const LONG_LIVED_TREE: u32 = 0;
const ARRAY: u32 = 1;
const TEMP: u32 = 2;
const SCRATCH: u32 = 3;

/// `Populate(depth, this)`: `this.left = new Node(); this.right = new
/// Node(); Populate(depth-1, this.left); Populate(depth-1, this.right)`.
fn populate(e: &mut Emit<'_>, depth: u32, this: u32, scratch: u32) {
    if depth == 0 {
        return;
    }
    e.node(scratch, SLOTS, PAYLOAD);
    e.set(this, 0, Some(scratch));
    e.node(scratch, SLOTS, PAYLOAD);
    e.set(this, 1, Some(scratch));
    e.get(scratch, this, 0);
    populate(e, depth - 1, scratch, scratch + 1);
    e.get(scratch, this, 1);
    populate(e, depth - 1, scratch, scratch + 1);
    e.del(scratch);
}

/// `MakeTree(depth)` into `dst`: `new Node(MakeTree(d-1), MakeTree(d-1))`.
fn make_tree(e: &mut Emit<'_>, depth: u32, dst: u32, scratch: u32) {
    if depth == 0 {
        e.node(dst, SLOTS, PAYLOAD);
        return;
    }
    let (l, r) = (scratch, scratch + 1);
    make_tree(e, depth - 1, l, scratch + 2);
    make_tree(e, depth - 1, r, scratch + 2);
    e.node(dst, SLOTS, PAYLOAD);
    e.set(dst, 0, Some(l));
    e.set(dst, 1, Some(r));
    e.del(l);
    e.del(r);
}

fn generate(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    let stretch = stretch_depth(scale).expect("checked scale");
    let long_lived = stretch - 2;
    let max = long_lived;

    make_tree(e, stretch, TEMP, SCRATCH);
    e.del(TEMP);

    e.node(LONG_LIVED_TREE, SLOTS, PAYLOAD);
    populate(e, long_lived, LONG_LIVED_TREE, SCRATCH);

    let bytes = (array_size(stretch) * 8).min(gc_core::MAX_PAYLOAD as u64);
    e.atom(ARRAY, bytes as u32);

    let mut d = MIN_TREE_DEPTH;
    while d <= max {
        let iters = num_iters(stretch, d);
        for _ in 0..iters {
            e.node(TEMP, SLOTS, PAYLOAD);
            populate(e, d, TEMP, SCRATCH);
            e.del(TEMP);
        }
        for _ in 0..iters {
            make_tree(e, d, TEMP, SCRATCH);
            e.del(TEMP);
        }
        d += 2;
    }
    // GCBench checks the long-lived objects are still there.
    e.get(TEMP, LONG_LIVED_TREE, 0);
    e.del(TEMP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::trace::Op;

    #[test]
    fn builds_the_trees_the_definition_says() {
        let stretch = 8;
        let scale = 2f64.powi(stretch as i32 - 14);
        assert_eq!(stretch_depth(scale).unwrap(), stretch);
        let ops = WORKLOAD.ops(scale, 0);
        let c = Census::of(&ops);
        // Stretch tree, long-lived tree, then per depth NumIters trees
        // top-down and as many bottom-up, all of TreeSize nodes.
        let mut want = tree_size(stretch) + tree_size(stretch - 2);
        let mut d = 4;
        while d <= stretch - 2 {
            want += 2 * num_iters(stretch, d) * tree_size(d);
            d += 2;
        }
        assert_eq!(c.nodes, want);
        assert_eq!(c.atoms, 1, "the long-lived array");
        let array = ops
            .iter()
            .find_map(|op| match op {
                Op::NewAtom { payload, .. } => Some(*payload),
                _ => None,
            })
            .unwrap();
        assert_eq!(u64::from(array), 8 * (500_000 >> 10));
        // GCBench's own numbers: NumIters(4) at stretch 18 is 2^14 + ….
        assert_eq!(num_iters(18, 4), 2 * 524_287 / 31);
        assert_eq!(tree_size(16), 131_071);
    }

    #[test]
    fn every_node_is_two_slots_and_two_ints() {
        for op in WORKLOAD.ops(2f64.powi(-6), 0) {
            if let Op::NewNode { slots, payload, .. } = op {
                assert_eq!((slots, payload), (2, 8));
            }
        }
    }
}
