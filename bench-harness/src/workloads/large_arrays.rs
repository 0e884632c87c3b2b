//! `large_arrays` — huge pointer arrays, written sparsely.
//!
//! **Stresses:** card marking. A few very large, long-lived arrays of
//! references receive scattered writes of freshly allocated objects: a
//! collector that rescans a whole remembered array at every minor
//! collection pays for the array's length; one that marks cards pays only
//! for the dirty ones. Reference counting pays for each overwritten
//! element's release.
//!
//! **Models:** `ARRAYS` = 4 arrays of `SLOTS` = 65,536 references (nodes with
//! no payload), made first and kept. Each of `writes` steps allocates a
//! small object (an atom of 24 bytes, or 1 time in 8 a node of 2 slots
//! pointing at an element read from another array) and stores it at a
//! random index of a random array, replacing — and usually killing — what
//! was there. 1 step in 64 clears a random element instead.
//!
//! **Source:** the card-marking workloads of Hosking, Moss and Stefanović,
//! "A comparative performance evaluation of write barrier implementations"
//! (OOPSLA 1992); PyPy's incminimark marks cards of 128 slots on such
//! arrays. The sizes are this project's.
//!
//! **Scale:** `writes = round(300,000 × scale)`, at least 10, at most 10^9.

use rand::RngExt;

use super::workload::{Emit, Workload, count_for, rng};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "large_arrays",
    summary: "4 long-lived arrays of 65536 references, written sparsely with young objects (card marking)",
    parameter: |s| writes(s).map(|n| format!("writes={n},arrays={ARRAYS}x{SLOTS}")),
    generate,
    matrix_scale: 1.0,
};

/// Arrays.
pub const ARRAYS: u32 = 4;
/// References per array.
pub const SLOTS: u32 = 65_536;

/// Writes for a scale.
pub fn writes(scale: f64) -> Result<u64, String> {
    count_for(scale, 300_000.0, 10, 1_000_000_000)
}

const ARRAY0: u32 = 0;
const OBJ: u32 = ARRAYS;
const OTHER: u32 = ARRAYS + 1;

fn generate(scale: f64, seed: u64, e: &mut Emit<'_>) {
    let mut r = rng(seed);
    for a in 0..ARRAYS {
        e.node(ARRAY0 + a, SLOTS, 0);
    }
    for _ in 0..writes(scale).expect("checked scale") {
        let a = ARRAY0 + r.random_range(0..ARRAYS);
        let i = r.random_range(0..SLOTS);
        if r.random_ratio(1, 64) {
            e.set(a, i, None);
            continue;
        }
        if r.random_ratio(1, 8) {
            let b = ARRAY0 + r.random_range(0..ARRAYS);
            e.get(OTHER, b, r.random_range(0..SLOTS));
            e.node(OBJ, 2, 0);
            e.set(OBJ, 0, Some(OTHER));
            e.del(OTHER);
        } else {
            e.atom(OBJ, 24);
        }
        e.set(a, i, Some(OBJ));
    }
    e.del(OBJ);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;

    #[test]
    fn four_huge_arrays_then_one_allocation_per_write() {
        let ops = WORKLOAD.ops(0.01, 4);
        let c = Census::of(&ops);
        let big = ops
            .iter()
            .filter(|op| matches!(op, gc_core::tooling::trace::Op::NewNode { slots, .. } if *slots == SLOTS))
            .count();
        assert_eq!(big, ARRAYS as usize);
        let clears = ops
            .iter()
            .filter(|op| {
                matches!(
                    op,
                    gc_core::tooling::trace::Op::Set {
                        value: gc_core::tooling::trace::Value::Nil,
                        ..
                    }
                )
            })
            .count() as u64;
        assert_eq!(c.allocations() - u64::from(ARRAYS) + clears, 3000);
    }
}
