//! `gc_collect` — pyperformance's `gc_collect` ("GC link benchmark").
//!
//! **Stresses:** reclaiming *cyclic garbage*: rings of small doubly linked
//! nodes made unreachable all at once, then one full collection. Reference
//! counting cannot free any of it (every node is on a cycle); a cycle
//! collector or a tracing collector must.
//!
//! **Models:** `CYCLES = 100`, `LINKS = 20`; each loop: `gc.collect()`, then
//! `create_gc_cycles(CYCLES, LINKS)` — a list of `CYCLES` heads, each the
//! start of a ring of `LINKS + 1` nodes linked by `link_next` (`a.next = b;
//! b.prev = a`) — then `del all_cycles` and the timed `gc.collect()`. A
//! `Node` has two slots (`next`, `prev`) and no payload; the list is a node
//! with `CYCLES` slots.
//!
//! **Source:** pyperformance, `benchmarks/bm_gc_collect/run_benchmark.py`.
//!
//! **Scale:** the constants stay; `loops = round(100 × scale)`, at least 1,
//! at most 1,000,000.

use super::workload::{Emit, Workload, count_for};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "gc_collect",
    summary: "pyperformance gc_collect: 100 doubly linked rings of 21 nodes made garbage, then collected",
    parameter: |s| loops(s).map(|l| format!("cycles={CYCLES},links={LINKS},loops={l}")),
    generate,
    matrix_scale: 1.0,
};

/// pyperformance's `CYCLES`.
pub const CYCLES: u32 = 100;
/// pyperformance's `LINKS`.
pub const LINKS: u32 = 20;

/// The number of loops for a scale.
pub fn loops(scale: f64) -> Result<u64, String> {
    count_for(scale, 100.0, 1, 1_000_000)
}

const ALL: u32 = 0;
const NODE: u32 = 1;
const CURRENT: u32 = 2;
const NEXT: u32 = 3;
const NEXT_SLOT: u32 = 0;
const PREV_SLOT: u32 = 1;

/// `current.link_next(next)`.
fn link_next(e: &mut Emit<'_>, current: u32, next: u32) {
    e.set(current, NEXT_SLOT, Some(next));
    e.set(next, PREV_SLOT, Some(current));
}

/// `create_gc_cycles(n_cycles, n_links)` into r0.
pub fn create_gc_cycles(e: &mut Emit<'_>, n_cycles: u32, n_links: u32) {
    e.node(ALL, n_cycles, 0);
    for i in 0..n_cycles {
        e.node(NODE, 2, 0);
        e.set(ALL, i, Some(NODE));
        if n_links > 0 {
            e.mov(CURRENT, NODE);
            for _ in 0..n_links {
                e.node(NEXT, 2, 0);
                link_next(e, CURRENT, NEXT);
                e.mov(CURRENT, NEXT);
            }
            link_next(e, CURRENT, NODE);
        }
    }
    e.del(NODE);
    e.del(CURRENT);
    e.del(NEXT);
}

fn generate(scale: f64, _seed: u64, e: &mut Emit<'_>) {
    for _ in 0..loops(scale).expect("checked scale") {
        e.collect(None);
        create_gc_cycles(e, CYCLES, LINKS);
        e.del(ALL);
        e.collect(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::oracle::{Mode, Oracle};

    #[test]
    fn makes_rings_of_links_plus_one_nodes_then_garbage() {
        let mut ops = Vec::new();
        let mut sink = |op| ops.push(op);
        let mut e = Emit::new(&mut sink);
        create_gc_cycles(&mut e, 3, 4);
        drop(e);
        let c = Census::of(&ops);
        assert_eq!(c.nodes, 1 + 3 * 5);
        let mut o = Oracle::new(Mode::RefCount);
        for op in &ops {
            o.apply(op, None).unwrap();
        }
        assert_eq!(o.reachable().len(), 16, "list + 3 rings of 5");
        o.apply(
            &gc_core::tooling::trace::Op::Del(gc_core::tooling::trace::Reg(ALL)),
            None,
        )
        .unwrap();
        assert!(o.reachable().is_empty());
        assert_eq!(o.rc_live().len(), 15, "every ring leaks under refcount");
    }

    #[test]
    fn each_loop_collects_before_and_after() {
        let c = Census::of(&WORKLOAD.ops(0.02, 0));
        assert_eq!(c.collects, 2 * 2);
        assert_eq!(c.nodes, 2 * (1 + u64::from(CYCLES * (LINKS + 1))));
    }
}
