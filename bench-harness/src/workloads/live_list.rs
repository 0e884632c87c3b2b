//! `live_collect`, `build_live` — a long doubly linked list that stays
//! alive: one full collection of it, and the collections that run while it
//! is built.
//!
//! **Stresses:** the cost of *live data* to a collector. `live_collect` is
//! one full collection that must visit a million live nodes and frees
//! nothing (a cycle collector's or a tracer's cost per live object;
//! reference counting pays nothing). `build_live` builds three million live
//! nodes with automatic collection on: the amortised cost of the
//! collections the collector's own policy triggers (CPython's thresholds
//! and its `long_lived_pending < long_lived_total / 4` gate; PyPy's
//! nursery and major-collection threshold) while nothing dies.
//!
//! **Models:** `head = Node()`, then `n − 1` times `node = Node(); last.next
//! = node; node.prev = last; last = node`, the head held by one root (every
//! neighbour pair is a cycle, so reference counting never frees the list).
//! `live_collect`: `gc.disable()`, build a million, the timed
//! `gc.collect()`, `gc.enable()`. `build_live`: build three million with
//! automatic collection on. Nodes have two slots and no payload.
//!
//! **Source:** the generational collector's performance cases ("a full
//! collection of 1,000,000 live nodes; and the amortised cost of automatic
//! collection while building 3,000,000 live nodes"); the same shapes as
//! `gc-generational/benches/collect.rs` (`collect/generational/live`,
//! `build/generational/3000000-live`).
//!
//! **Scale:** `live_collect`: `round(1,000,000 × scale)` nodes;
//! `build_live`: `round(3,000,000 × scale)` nodes; at least 2, at most
//! 100,000,000. The default matrix runs them at a quarter and a tenth of
//! the scale it is given.

use gc_core::Control;

use super::workload::{Emit, Workload, count_for};

/// `live_collect`.
pub const LIVE_COLLECT: Workload = Workload {
    name: "live_collect",
    summary: "one full collection of a live doubly linked list of 1,000,000 nodes",
    parameter: |s| live_nodes(s).map(|n| format!("nodes={n}")),
    generate: generate_live_collect,
    matrix_scale: 0.25,
};

/// `build_live`.
pub const BUILD_LIVE: Workload = Workload {
    name: "build_live",
    summary: "automatic collection while a live doubly linked list grows to 3,000,000 nodes",
    parameter: |s| build_nodes(s).map(|n| format!("nodes={n}")),
    generate: generate_build_live,
    matrix_scale: 0.1,
};

/// The largest list.
const MAX_NODES: u64 = 100_000_000;

/// Nodes of `live_collect` for a scale.
pub fn live_nodes(scale: f64) -> Result<u64, String> {
    count_for(scale, 1_000_000.0, 2, MAX_NODES)
}

/// Nodes of `build_live` for a scale.
pub fn build_nodes(scale: f64) -> Result<u64, String> {
    count_for(scale, 3_000_000.0, 2, MAX_NODES)
}

const HEAD: u32 = 0;
const LAST: u32 = 1;
const NODE: u32 = 2;
const NEXT_SLOT: u32 = 0;
const PREV_SLOT: u32 = 1;

/// A doubly linked list of `n` nodes whose head is in r0 (the other
/// registers are dropped).
pub fn build_list(e: &mut Emit<'_>, n: u64) {
    e.node(HEAD, 2, 0);
    e.mov(LAST, HEAD);
    for _ in 1..n {
        e.node(NODE, 2, 0);
        e.set(LAST, NEXT_SLOT, Some(NODE));
        e.set(NODE, PREV_SLOT, Some(LAST));
        e.mov(LAST, NODE);
    }
    e.del(LAST);
    e.del(NODE);
}

fn generate_live_collect(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    let n = live_nodes(scale).expect("checked scale");
    e.gc(Control::Disable);
    build_list(e, n);
    e.collect(None);
    e.gc(Control::Enable);
}

fn generate_build_live(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    build_list(e, build_nodes(scale).expect("checked scale"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::oracle::{Mode, Oracle};
    use gc_core::tooling::trace::Op;

    #[test]
    fn scale_1_is_the_issue_s_sizes() {
        assert_eq!((LIVE_COLLECT.parameter)(1.0).unwrap(), "nodes=1000000");
        assert_eq!((BUILD_LIVE.parameter)(1.0).unwrap(), "nodes=3000000");
        let c = Census::of(&BUILD_LIVE.ops(0.001, 1));
        assert_eq!((c.nodes, c.sets, c.collects), (3000, 2 * 2999, 0));
        let c = Census::of(&LIVE_COLLECT.ops(0.001, 1));
        assert_eq!((c.nodes, c.collects), (1000, 1));
    }

    #[test]
    fn the_whole_list_is_live_at_the_collection() {
        let ops = LIVE_COLLECT.ops(0.001, 1);
        let at = ops
            .iter()
            .position(|op| matches!(op, Op::Collect(None)))
            .unwrap();
        let mut o = Oracle::new(Mode::RefCount);
        for op in &ops[..at] {
            o.apply(op, None).unwrap();
        }
        assert_eq!(o.reachable().len(), 1000, "every node, from the head");
    }
}
