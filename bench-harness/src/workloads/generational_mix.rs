//! `generational_mix` — the weak generational hypothesis, made explicit.
//!
//! **Stresses:** what generational collectors bet on: most objects die
//! young, a few survive and then live long, and the long-lived set grows
//! through the run (so full collections get dearer and a nursery earns its
//! keep). Old objects are also written to point at young ones.
//!
//! **Models:** `steps` allocations of small nodes (2 slots, 16–64 payload
//! bytes, uniformly). Each new object points at a random recent young
//! object. It is kept in a ring of 16 young registers (so it dies about 16
//! allocations later) except that with probability 1/50 it is promoted:
//! appended to the long-lived set, a chain of segments of 256 slots held
//! from r0. With probability 1/20 an allocation also writes a random
//! long-lived object's second slot to point at the new one (an old-to-young
//! store; the previous young referent becomes garbage).
//!
//! **Source:** Ungar, "Generation Scavenging" (1984) and the allocation
//! profiles of Blackburn et al., "Myths and realities: the performance
//! impact of garbage collection" (SIGMETRICS 2004); the parameters are this
//! project's.
//!
//! **Scale:** `steps = round(300,000 × scale)`, at least 100, at most 10^9.

use rand::RngExt;

use super::workload::{Emit, Workload, count_for, rng};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "generational_mix",
    summary: "most objects die young, 1 in 50 joins a growing long-lived set; old-to-young stores",
    parameter: |s| steps(s).map(|n| format!("steps={n}")),
    generate,
    matrix_scale: 1.0,
};

/// Young registers: an object dies about this many allocations after birth.
pub const YOUNG: u32 = 16;
/// Slots per long-lived segment (the last slot links the previous segment).
pub const SEGMENT: u32 = 256;

/// Allocations for a scale.
pub fn steps(scale: f64) -> Result<u64, String> {
    count_for(scale, 300_000.0, 100, 1_000_000_000)
}

const SEGMENTS: u32 = 0;
const NEW_SEGMENT: u32 = 1;
const OLD: u32 = 2;
const SCRATCH: u32 = 3;
const YOUNG_BASE: u32 = 8;

fn generate(scale: f64, seed: u64, e: &mut Emit<'_>) {
    let mut r = rng(seed);
    let steps = steps(scale).expect("checked scale");
    // Long-lived objects: (segment index, slot) of each, for the generator.
    let mut old: Vec<(u32, u32)> = Vec::new();
    let mut segments = 0u32;
    let mut used = SEGMENT - 1; // the current segment is full: make one first
    for i in 0..steps {
        let me = YOUNG_BASE + (i % u64::from(YOUNG)) as u32;
        let neighbour = YOUNG_BASE + r.random_range(0..YOUNG);
        e.node(SCRATCH, 2, r.random_range(16..=64));
        if i > 0 {
            e.set(SCRATCH, 0, Some(neighbour));
        }
        e.mov(me, SCRATCH);
        if r.random_ratio(1, 50) {
            if used == SEGMENT - 1 {
                e.node(NEW_SEGMENT, SEGMENT, 0);
                if segments > 0 {
                    e.set(NEW_SEGMENT, SEGMENT - 1, Some(SEGMENTS));
                }
                e.mov(SEGMENTS, NEW_SEGMENT);
                e.del(NEW_SEGMENT);
                segments += 1;
                used = 0;
            }
            e.set(SEGMENTS, used, Some(me));
            old.push((segments - 1, used));
            used += 1;
        }
        if !old.is_empty() && r.random_ratio(1, 20) {
            let (segment, slot) = old[r.random_range(0..old.len())];
            // Walk from the newest segment back to the object's segment.
            e.mov(OLD, SEGMENTS);
            for _ in segment..segments - 1 {
                e.get(OLD, OLD, SEGMENT - 1);
            }
            e.get(OLD, OLD, slot);
            e.set(OLD, 1, Some(me));
            e.del(OLD);
        }
    }
    e.del(SCRATCH);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;

    #[test]
    fn one_allocation_per_step_about_one_in_fifty_promoted() {
        let ops = WORKLOAD.ops(0.1, 1);
        let c = Census::of(&ops);
        let segments = ops
            .iter()
            .filter(
                |op| matches!(op, gc_core::tooling::trace::Op::NewNode { slots, .. } if *slots == SEGMENT),
            )
            .count() as u64;
        assert_eq!(c.nodes - segments, 30_000);
        // 30,000 / 50 = 600 promoted, in segments of 255.
        assert!((2..=5).contains(&segments), "{segments}");
    }
}
