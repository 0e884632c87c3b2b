//! `rings-2`, `rings-100` — one full collection of a million unreachable
//! nodes in doubly linked rings.
//!
//! **Stresses:** the cost per object of *freeing cyclic garbage* in one
//! collection: every node is on a ring (two references in, two out), so
//! reference counting frees none of it and a cycle collector must find it
//! all unreachable. Small rings (2) are the most cycles per node; large
//! rings (100) the fewest.
//!
//! **Models:** `gc.disable()`; `n / R` times: `R` nodes with two slots
//! (`next`, `prev`) and no payload, linked into a ring (`ring[i].next =
//! ring[i + 1]`, `ring[i].prev = ring[i − 1]`, both modulo `R`), then
//! dropped; then the timed `gc.collect()`, and `gc.enable()`. Automatic
//! collection is off while the rings are built, so that the one explicit
//! collection finds all `n` nodes, as in the benchmark.
//!
//! **Source:** the generational collector's performance cases ("a full
//! collection of 1,000,000 unreachable nodes in 2-rings and in 100-rings,
//! doubly linked"); the same shapes as `gc-generational/benches/collect.rs`
//! (`collect/generational/rings-2`, `rings-100`), which CPython runs as
//! `benches/cpython_collect.py`.
//!
//! **Scale:** `n = round(1,000,000 × scale)` nodes, in whole rings (at
//! least one), at most 100,000,000. The default matrix runs it at a quarter
//! of the scale it is given.

use gc_core::Control;

use super::workload::{Emit, Workload, count_for};

/// Nodes at scale 1.
pub const NODES: f64 = 1_000_000.0;

/// The largest number of nodes.
const MAX_NODES: u64 = 100_000_000;

/// `rings-2`.
pub const RINGS_2: Workload = Workload {
    name: "rings-2",
    summary: "one full collection of 1,000,000 unreachable nodes in doubly linked rings of 2",
    parameter: parameter::<2>,
    generate: generate::<2>,
    matrix_scale: 0.25,
};

/// `rings-100`.
pub const RINGS_100: Workload = Workload {
    name: "rings-100",
    summary: "one full collection of 1,000,000 unreachable nodes in doubly linked rings of 100",
    parameter: parameter::<100>,
    generate: generate::<100>,
    matrix_scale: 0.25,
};

const NEXT_SLOT: u32 = 0;
const PREV_SLOT: u32 = 1;

/// The number of rings of `ring` nodes for a scale.
pub fn rings(scale: f64, ring: u32) -> Result<u64, String> {
    let r = f64::from(ring);
    count_for(scale, NODES / r, 1, MAX_NODES / u64::from(ring))
}

fn parameter<const RING: u32>(scale: f64) -> Result<String, String> {
    rings(scale, RING).map(|n| format!("nodes={},ring={RING}", n * u64::from(RING)))
}

/// One ring of `ring` nodes in registers `0..ring`, linked both ways.
pub fn ring(e: &mut Emit<'_>, ring: u32) {
    for i in 0..ring {
        e.node(i, 2, 0);
    }
    for i in 0..ring {
        e.set(i, NEXT_SLOT, Some((i + 1) % ring));
        e.set(i, PREV_SLOT, Some((i + ring - 1) % ring));
    }
}

fn generate<const RING: u32>(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    let n = rings(scale, RING).expect("checked scale");
    e.gc(Control::Disable);
    for _ in 0..n {
        // `new` into a register releases the previous ring's node there.
        ring(e, RING);
    }
    for i in 0..RING {
        e.del(i);
    }
    e.collect(None);
    e.gc(Control::Enable);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::oracle::{Mode, Oracle};

    #[test]
    fn a_million_nodes_at_scale_1_in_whole_rings() {
        assert_eq!((RINGS_2.parameter)(1.0).unwrap(), "nodes=1000000,ring=2");
        assert_eq!(
            (RINGS_100.parameter)(1.0).unwrap(),
            "nodes=1000000,ring=100"
        );
        assert_eq!(rings(0.000_001, 100).unwrap(), 1, "at least one ring");
        let c = Census::of(&RINGS_100.ops(0.01, 1));
        assert_eq!(c.nodes, 10_000);
        assert_eq!(c.sets, 20_000);
        assert_eq!(c.collects, 1);
    }

    #[test]
    fn everything_is_cyclic_garbage_at_the_collection() {
        let ops = RINGS_2.ops(0.001, 1);
        let at = ops
            .iter()
            .position(|op| matches!(op, gc_core::tooling::trace::Op::Collect(None)))
            .unwrap();
        let mut o = Oracle::new(Mode::RefCount);
        for op in &ops[..at] {
            o.apply(op, None).unwrap();
        }
        assert!(o.reachable().is_empty(), "nothing is reachable");
        assert_eq!(o.rc_live().len(), 1000, "every node is kept by its ring");
    }
}
