//! `gc_traversal` — pyperformance's `gc_traversal`.
//!
//! **Stresses:** the cost of *tracing live data*: a full collection that
//! finds nothing to free but must visit every object and every reference.
//! Reference counting pays nothing here; a cycle collector or a tracing
//! collector pays per edge on every collection.
//!
//! **Models:** `create_recursive_containers(n_levels)`: list `n` (for `n` in
//! `0..n_levels`) has `n` slots, each pointing at list `n − 1`, so the
//! structure holds `n_levels` lists and `n_levels·(n_levels − 1)/2`
//! references (a pyramid, not a cycle: pyperformance calls it
//! `all_cycles` but every edge points down). Then, `loops` times:
//! `gc.collect()` twice (the benchmark times the second). A list is a node
//! with one slot per element and no payload.
//!
//! **Source:** pyperformance, `benchmarks/bm_gc_traversal/run_benchmark.py`
//! (`N_LEVELS = 1000`).
//!
//! **Scale:** `n_levels` stays 1000 (pyperformance's constant);
//! `loops = round(20 × scale)`, at least 1, at most 100,000.

use super::workload::{Emit, Workload, count_for};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "gc_traversal",
    summary: "pyperformance gc_traversal: a live pyramid of 1000 lists (500k references) collected repeatedly",
    parameter: |s| loops(s).map(|l| format!("levels={N_LEVELS},loops={l}")),
    generate,
    matrix_scale: 1.0,
};

/// pyperformance's `N_LEVELS`.
pub const N_LEVELS: u32 = 1000;

/// The number of timed loops for a scale.
pub fn loops(scale: f64) -> Result<u64, String> {
    count_for(scale, 20.0, 1, 100_000)
}

const ALL_CYCLES: u32 = 0;
const NEW_LIST: u32 = 1;

/// `create_recursive_containers(n_levels)` into r0.
pub fn create_recursive_containers(e: &mut Emit<'_>, n_levels: u32) {
    e.node(ALL_CYCLES, 0, 0);
    for n in 0..n_levels {
        e.node(NEW_LIST, n, 0);
        for index in 0..n {
            e.set(NEW_LIST, index, Some(ALL_CYCLES));
        }
        e.mov(ALL_CYCLES, NEW_LIST);
    }
    e.del(NEW_LIST);
}

fn generate(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    let loops = loops(scale).expect("checked scale");
    create_recursive_containers(e, N_LEVELS);
    for _ in 0..loops {
        e.collect(None);
        e.collect(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::oracle::{Mode, Oracle};

    #[test]
    fn the_pyramid_has_the_lists_and_references_the_definition_says() {
        let mut ops = Vec::new();
        let mut sink = |op| ops.push(op);
        let mut e = Emit::new(&mut sink);
        create_recursive_containers(&mut e, 50);
        drop(e);
        let c = Census::of(&ops);
        assert_eq!(c.nodes, 51, "the initial empty list and one per level");
        assert_eq!(c.sets, 50 * 49 / 2);
        let mut o = Oracle::new(Mode::Observed);
        for op in &ops {
            o.apply(op, None).unwrap();
        }
        // Only lists 0..50 stay reachable (the first `[]` is dropped by the
        // first `current_list = new_list`… and list 0 is `[None] * 0`).
        assert_eq!(o.reachable().len(), 50);
    }

    #[test]
    fn collects_twice_per_loop() {
        let c = Census::of(&WORKLOAD.ops(1.0, 0));
        assert_eq!(c.collects, 2 * 20);
        assert_eq!(c.sets, u64::from(N_LEVELS) * u64::from(N_LEVELS - 1) / 2);
    }
}
