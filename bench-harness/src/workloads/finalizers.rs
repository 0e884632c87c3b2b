//! `finalizers` — cycles with finalizers, some of them resurrecting.
//!
//! **Stresses:** the finalization machinery: PEP 442 (a finalizer runs at
//! most once, even on a cycle), resurrection (the object is saved and must
//! survive, with everything it reaches), and the cost of finalizable
//! objects to a collector that must order or defer them (PyPy runs at most
//! one finalizer per strongly connected component per major collection).
//! Pure reference counting runs the finalizers of the acyclic groups and
//! leaks the cyclic ones without running theirs.
//!
//! **Models:** `groups` groups of 1–4 nodes (one slot, 32 payload bytes),
//! linked in a chain, and closed into a ring half of the time. Each node
//! gets a finalizer with probability 1/2, and a finalizer resurrects with
//! probability 1/10. The group is dropped as soon as it is made. Every 64
//! groups the program empties the saved list (it "handles" the resurrected
//! objects and lets them go); every 4,096 groups it asks for a full
//! collection, as a long-running program calls `gc.collect()`.
//!
//! **Source:** PEP 442 (Safe object finalization) and PyPy's
//! `pypy/doc/discussion/finalizer-order.rst`; the mix is this project's.
//!
//! **Scale:** `groups = round(100,000 × scale)`, at least 1, at most 10^9.

use rand::RngExt;

use super::workload::{Emit, Workload, count_for, rng};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "finalizers",
    summary: "small chains and rings of nodes with finalizers (1 in 10 resurrects), dropped at once",
    parameter: |s| groups(s).map(|n| format!("groups={n}")),
    generate,
    matrix_scale: 1.0,
};

/// Groups for a scale.
pub fn groups(scale: f64) -> Result<u64, String> {
    count_for(scale, 100_000.0, 1, 1_000_000_000)
}

const FIRST: u32 = 0;
const LAST: u32 = 1;
const NEW: u32 = 2;

fn generate(scale: f64, seed: u64, e: &mut Emit<'_>) {
    let mut r = rng(seed);
    for g in 0..groups(scale).expect("checked scale") {
        let len = r.random_range(1..=4u32);
        for i in 0..len {
            e.node(NEW, 1, 32);
            if r.random_ratio(1, 2) {
                e.fin(NEW, r.random_ratio(1, 10));
            }
            if i == 0 {
                e.mov(FIRST, NEW);
            } else {
                e.set(LAST, 0, Some(NEW));
            }
            e.mov(LAST, NEW);
        }
        if r.random_ratio(1, 2) {
            e.set(LAST, 0, Some(FIRST));
        }
        e.del(NEW);
        e.del(FIRST);
        e.del(LAST);
        if g % 64 == 63 {
            e.unsave();
        }
        if g % 4096 == 4095 {
            e.collect(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::oracle::{Mode, Oracle};

    #[test]
    fn refcount_finalizes_the_chains_and_leaks_the_rings() {
        let ops = WORKLOAD.ops(0.0008, 9); // 80 groups
        let c = Census::of(&ops);
        assert!(c.fins > 0 && c.fins < c.nodes);
        let mut o = Oracle::new(Mode::RefCount);
        for op in &ops {
            o.apply(op, None).unwrap();
        }
        assert!(o.reachable().is_empty());
        let leaked = o.rc_live().len() as u64;
        assert!(leaked > 0 && leaked < c.nodes, "{leaked} of {}", c.nodes);
        assert!(o.finalized > 0);
    }
}
