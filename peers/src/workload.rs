//! The four workloads: their sizes, and what every contender must compute.

use std::fmt;

/// A workload of the bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Workload {
    /// The Benchmarks Game's binary-trees.
    BinaryTrees,
    /// Doubly linked rings built and dropped.
    ListChurn,
    /// Random edge updates on an object graph.
    Graph,
    /// pyperformance `gc_traversal`'s pyramid, collected repeatedly.
    Traversal,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 4] = [
        Workload::BinaryTrees,
        Workload::ListChurn,
        Workload::Graph,
        Workload::Traversal,
    ];

    /// The name on the command line and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Workload::BinaryTrees => "binary_trees",
            Workload::ListChurn => "list_churn",
            Workload::Graph => "graph",
            Workload::Traversal => "traversal",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The sizes of one run of the bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// binary_trees: `n` (the maximum depth; the stretch tree is one deeper).
    pub tree_depth: u32,
    /// list_churn: nodes in a ring.
    pub ring_len: usize,
    /// list_churn: rings built and dropped.
    pub rings: usize,
    /// graph: nodes in the root table.
    pub graph_nodes: usize,
    /// graph: random updates.
    pub graph_steps: usize,
    /// traversal: lists in the pyramid (pyperformance: 1000).
    pub levels: usize,
    /// traversal: loops of two full collections (pyperformance: 20 at `gc-bench`'s scale 1).
    pub loops: usize,
}

/// Contenders whose collections are only ever explicit (gcmodule,
/// bacon-rajan-cc) and gc-arena (which collects between `mutate` calls)
/// collect after every batch of about this many allocations or updates.
pub const BATCH: usize = 10_000;

impl Sizes {
    /// The full bench.
    pub const FULL: Sizes = Sizes {
        tree_depth: 16,
        ring_len: 1000,
        rings: 2000,
        graph_nodes: 10_000,
        graph_steps: 1_000_000,
        levels: 1000,
        loops: 20,
    };

    /// `--quick`: for CI.
    pub const QUICK: Sizes = Sizes {
        tree_depth: 10,
        ring_len: 1000,
        rings: 100,
        graph_nodes: 2000,
        graph_steps: 50_000,
        levels: 300,
        loops: 5,
    };

    /// Rings per batch (see [`BATCH`]).
    pub fn rings_per_batch(&self) -> usize {
        (BATCH / self.ring_len.max(1)).max(1)
    }

    /// The check every contender must compute, where it is known in closed
    /// form (the graph's comes from running it).
    pub fn expected_check(&self, w: Workload) -> Option<u64> {
        match w {
            Workload::BinaryTrees => Some(binary_trees_nodes(self.tree_depth)),
            Workload::ListChurn => Some(2 * (self.ring_len * self.rings) as u64),
            Workload::Graph => None,
            Workload::Traversal => {
                let l = self.levels as u64;
                Some(l + l * l.saturating_sub(1) / 2)
            }
        }
    }

    /// What the size is, for the table's header.
    pub fn describe(&self, w: Workload) -> String {
        match w {
            Workload::BinaryTrees => format!(
                "depth {} ({} tuples)",
                self.tree_depth,
                binary_trees_nodes(self.tree_depth)
            ),
            Workload::ListChurn => {
                format!("{} rings of {} nodes", self.rings, self.ring_len)
            }
            Workload::Graph => format!("{} nodes, {} updates", self.graph_nodes, self.graph_steps),
            Workload::Traversal => format!("{} lists, {} collections", self.levels, 2 * self.loops),
        }
    }
}

/// binary_trees' minimum depth.
pub const MIN_DEPTH: u32 = 4;

/// The depths binary_trees uses for `n`: (stretch, long-lived, and each
/// iterated depth with its number of trees).
pub fn tree_plan(n: u32) -> (u32, u32, Vec<(u32, u64)>) {
    let max_depth = n.max(MIN_DEPTH + 2);
    let stretch = max_depth + 1;
    let rounds = (MIN_DEPTH..stretch)
        .step_by(2)
        .map(|d| (d, 1u64 << (max_depth - d + MIN_DEPTH)))
        .collect();
    (stretch, max_depth, rounds)
}

/// Nodes in a complete binary tree of `depth`.
pub fn tree_nodes(depth: u32) -> u64 {
    (1u64 << (depth + 1)) - 1
}

/// Every node binary_trees builds for `n` (14,985,902 at 16).
pub fn binary_trees_nodes(n: u32) -> u64 {
    let (stretch, long_lived, rounds) = tree_plan(n);
    tree_nodes(stretch)
        + tree_nodes(long_lived)
        + rounds.iter().map(|&(d, k)| k * tree_nodes(d)).sum::<u64>()
}

/// One graph update. `code` 0: `table[i] = Node(value, edges = [table[j]])`;
/// 1..=4: `table[i].edges[code - 1] = table[j]`; 5..=8:
/// `table[i].edges[code - 5] = None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// The table entry updated.
    pub i: u32,
    /// The table entry read.
    pub j: u32,
    /// What to do.
    pub code: u32,
}

/// The graph's updates: a quarter new nodes, the rest edge writes (a
/// quarter of them clearing the edge). Generated once from SplitMix64
/// seeded with 13, so that every contender, the Python ones included (they
/// read them on standard input), runs the identical graph and must print
/// the same check.
pub fn graph_ops(nodes: usize, steps: usize) -> Vec<Op> {
    let mut rng = SplitMix64(13);
    let n = nodes as u64;
    (0..steps)
        .map(|_| {
            let a = rng.next_u64();
            let b = rng.next_u64();
            let i = (a % n) as u32;
            let j = (b % n) as u32;
            let code = if (a >> 40) % 4 == 0 {
                0
            } else {
                let v = (b >> 40) % 16;
                let edge = (v & 3) as u32;
                if v >> 2 == 0 { 5 + edge } else { 1 + edge }
            };
            Op { i, j, code }
        })
        .collect()
}

/// The ops as little-endian `u32` triples, for the Python programs.
pub fn ops_bytes(ops: &[Op]) -> Vec<u8> {
    ops.iter()
        .flat_map(|o| [o.i, o.j, o.code])
        .flat_map(u32::to_le_bytes)
        .collect()
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, deterministic.
#[derive(Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_trees_at_16_builds_the_issues_count() {
        assert_eq!(binary_trees_nodes(16), 14_985_902);
    }

    #[test]
    fn the_graph_ops_are_deterministic_and_mixed() {
        let a = graph_ops(100, 10_000);
        assert_eq!(a, graph_ops(100, 10_000));
        let news = a.iter().filter(|o| o.code == 0).count();
        let clears = a.iter().filter(|o| o.code >= 5).count();
        assert!((2000..3000).contains(&news), "{news}");
        assert!((1500..2300).contains(&clears), "{clears}");
    }
}
