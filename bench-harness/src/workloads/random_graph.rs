//! `random_graph` — an object graph rewired at random.
//!
//! **Stresses:** cycles of every size and shape, made and broken all the
//! time, with no structure a collector could exploit: the general case for
//! a cycle collector's trial deletion and for a tracer's mark stack.
//!
//! **Models:** `VERTICES` = 2,048 vertices (nodes of 4 slots and 16 payload
//! bytes) held in a table (a node with one slot per vertex). Each of
//! `steps` steps picks two vertices `u`, `v` uniformly and, with
//! probability 6/10 adds the edge `u → v` (into a random slot of `u`,
//! replacing what it held), 3/10 removes a random edge of `u`, and 1/10
//! replaces `u` in the table by a fresh vertex (the old one becomes garbage
//! unless other vertices still point at it, possibly through cycles).
//!
//! **Not a steady state: the reachable set grows with `steps`.** Only the
//! table's vertices are ever rewired; a replaced vertex keeps its edges
//! (about 2.7 of 4 slots filled) for good. The replaced vertices thus form
//! a random graph of out-degree above 1, with a giant component that the
//! table keeps reaching, so about 55 % of them stay reachable forever:
//! measured (`gc-bench run --workload random_graph --out DIR`, the
//! verifier's live-size samples), about 34,000 reachable objects and
//! 2.2 MB in the canonical layout per unit of scale (600,000 steps),
//! linearly: 0.13 M objects and 8.5 MB at scale 4, 0.53 M and 34 MB at
//! scale 16, some 3.5 GB at scale 1,666. The garbage it makes (the other
//! replaced vertices, with their cycles) comes at a steady rate; the heap a
//! collector traces does not stay the same size.
//!
//! **Source:** this project's: the random mutator of the oracle's property
//! tests (`gc-core`'s `testing` module) turned into a benchmark over a
//! table of a fixed number of vertices.
//!
//! **Scale:** `steps = round(600,000 × scale)`, at least 10, at most 10^9.

use rand::RngExt;

use super::workload::{Emit, Workload, count_for, rng};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "random_graph",
    summary: "2048 vertices, random edges added and removed, vertices replaced: cycles of all sizes",
    parameter: |s| steps(s).map(|n| format!("steps={n},vertices={VERTICES}")),
    generate,
    matrix_scale: 1.0,
};

/// Vertices in the table.
pub const VERTICES: u32 = 2048;
/// Out-edges per vertex.
pub const DEGREE: u32 = 4;

/// Steps for a scale.
pub fn steps(scale: f64) -> Result<u64, String> {
    count_for(scale, 600_000.0, 10, 1_000_000_000)
}

const TABLE: u32 = 0;
const U: u32 = 1;
const V: u32 = 2;

fn generate(scale: f64, seed: u64, e: &mut Emit<'_>) {
    let mut r = rng(seed);
    e.node(TABLE, VERTICES, 0);
    for i in 0..VERTICES {
        e.node(U, DEGREE, 16);
        e.set(TABLE, i, Some(U));
    }
    for _ in 0..steps(scale).expect("checked scale") {
        let u = r.random_range(0..VERTICES);
        let roll = r.random_range(0..10);
        if roll < 6 {
            let v = r.random_range(0..VERTICES);
            e.get(U, TABLE, u);
            e.get(V, TABLE, v);
            e.set(U, r.random_range(0..DEGREE), Some(V));
        } else if roll < 9 {
            e.get(U, TABLE, u);
            e.set(U, r.random_range(0..DEGREE), None);
        } else {
            e.node(U, DEGREE, 16);
            e.set(TABLE, u, Some(U));
        }
    }
    e.del(U);
    e.del(V);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;

    #[test]
    fn about_one_step_in_ten_replaces_a_vertex() {
        let c = Census::of(&WORKLOAD.ops(0.05 / 3.0, 2));
        let replaced = c.nodes - 1 - u64::from(VERTICES);
        assert!((800..1200).contains(&replaced), "{replaced}");
    }
}
