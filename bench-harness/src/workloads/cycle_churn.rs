//! `cycle_churn` — the project's seed scenario at volume.
//!
//! **Stresses:** a steady rate of small cyclic garbage: the case pure
//! reference counting leaks and a cycle collector exists for. With a
//! window of live pairs, collections always find some live cycles among
//! the dead ones.
//!
//! **Models:** the seed trace (`traces/seed_cycle.gctrace`): two nodes of
//! one slot and 16 payload bytes pointing at each other (`a.other = b;
//! b.other = a`). `pairs` such cycles are made, one after the other; each
//! is kept in a ring of `WINDOW` = 64 register pairs and dropped when the
//! ring comes round, so at any moment at most 64 cycles are alive and every
//! older one is garbage.
//!
//! **Source:** this project's seed (`shared/spec/gctrace.md`, "Example");
//! the steady-state churn shape is the classic test of Bacon and Rajan,
//! "Concurrent Cycle Collection in Reference Counted Systems" (ECOOP 2001).
//!
//! **Scale:** `pairs = round(300,000 × scale)`, at least 1, at most 10^9.

use super::workload::{Emit, Workload, count_for};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "cycle_churn",
    summary: "the seed's two-node cycles, made and dropped at a steady rate (64 alive at once)",
    parameter: |s| pairs(s).map(|p| format!("pairs={p}")),
    generate,
    matrix_scale: 1.0,
};

/// Live pairs at any moment.
pub const WINDOW: u32 = 64;

/// Cycles made for a scale.
pub fn pairs(scale: f64) -> Result<u64, String> {
    count_for(scale, 300_000.0, 1, 1_000_000_000)
}

fn generate(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    for i in 0..pairs(scale).expect("checked scale") {
        let slot = (i % u64::from(WINDOW)) as u32;
        let (a, b) = (2 * slot, 2 * slot + 1);
        e.node(a, 1, 16);
        e.node(b, 1, 16);
        e.set(a, 0, Some(b));
        e.set(b, 0, Some(a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::oracle::{Mode, Oracle};

    #[test]
    fn makes_pairs_cycles_and_keeps_a_window_of_them() {
        let ops = WORKLOAD.ops(0.01 / 3.0, 0);
        let c = Census::of(&ops);
        assert_eq!(c.nodes, 2 * 1000);
        assert_eq!(c.sets, 2 * 1000);
        // Just before the end, exactly the window is reachable.
        let body = ops.len() - (2 * WINDOW as usize + 1);
        let mut o = Oracle::new(Mode::Observed);
        for op in &ops[..body] {
            o.apply(op, None).unwrap();
        }
        assert_eq!(o.reachable().len(), 2 * WINDOW as usize);
    }
}
