//! `weak_cache` — a weak-valued cache under churn.
//!
//! **Stresses:** weak references: creating them, looking them up, clearing
//! them when their referent dies, and running their callbacks, while the
//! values themselves churn. Values sometimes point at each other, so some
//! die only in a cycle collection (never, under pure reference counting,
//! whose weak references to them stay set).
//!
//! **Models:** `weakref.WeakValueDictionary` as a memo table: `KEYS` = 1,024
//! keys, each a weak register holding a weak reference (with a callback,
//! as the dictionary's removal callback) to its value. The program keeps
//! the last `RECENT` = 128 values it used in a ring of strong registers.
//! Each of `lookups` lookups picks a key (uniformly), reads its weak
//! reference (`wget`; a key never used has none yet), and — when the program cannot know the value to be
//! alive, i.e. it is not in the ring — makes a new value (a node of one
//! slot and 48 payload bytes; 1 time in 4 pointing at another recent value,
//! 1 time in 8 at itself), stores a new weak reference to it, and puts it
//! in the ring, dropping the oldest strong reference.
//!
//! A lookup's `wget` may return the value or nil depending on the
//! collector (a dead value may not have been collected yet); the trace is
//! correct either way, because what follows never reads a slot of it.
//!
//! **Source:** CPython `Lib/weakref.py` (`WeakValueDictionary`) and the
//! memoisation pattern of its documentation; the mix is this project's.
//!
//! **Scale:** `lookups = round(150,000 × scale)`, at least 10, at most 10^9.

use rand::RngExt;

use super::workload::{Emit, Workload, count_for, rng};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "weak_cache",
    summary: "a WeakValueDictionary of 1024 keys under churn: wget, weak refs with callbacks, some cyclic values",
    parameter: |s| lookups(s).map(|n| format!("lookups={n},keys={KEYS}")),
    generate,
    matrix_scale: 1.0,
};

/// Keys in the cache.
pub const KEYS: u32 = 1024;
/// Strong references the program keeps to recent values.
pub const RECENT: u32 = 128;

/// Lookups for a scale.
pub fn lookups(scale: f64) -> Result<u64, String> {
    count_for(scale, 150_000.0, 10, 1_000_000_000)
}

const GOT: u32 = 0;
const RING: u32 = 1;

fn generate(scale: f64, seed: u64, e: &mut Emit<'_>) {
    let mut r = rng(seed);
    // For each key, the ring position holding its value (if the program
    // still holds it strongly), and for each ring position, its key.
    let mut held_at: Vec<Option<u32>> = vec![None; KEYS as usize];
    let mut ring_key: Vec<Option<u32>> = vec![None; RECENT as usize];
    let mut made = vec![false; KEYS as usize];
    let mut next = 0u32;
    for _ in 0..lookups(scale).expect("checked scale") {
        let key = r.random_range(0..KEYS);
        if std::mem::replace(&mut made[key as usize], true) {
            e.wget(GOT, key);
        }
        if held_at[key as usize].is_some() {
            continue; // a hit the program can count on
        }
        let slot = RING + next;
        e.node(slot, 1, 48);
        if r.random_ratio(1, 4) {
            let other = RING + r.random_range(0..RECENT);
            e.set(slot, 0, Some(other));
        } else if r.random_ratio(1, 8) {
            e.set(slot, 0, Some(slot));
        }
        e.weak(key, slot, true);
        if let Some(old) = ring_key[next as usize] {
            held_at[old as usize] = None;
        }
        ring_key[next as usize] = Some(key);
        held_at[key as usize] = Some(next);
        next = (next + 1) % RECENT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;

    #[test]
    fn a_value_is_made_only_when_the_program_does_not_hold_one() {
        let c = Census::of(&WORKLOAD.ops(0.1, 6));
        // Every key is used (coupon collector: ~7,100 lookups); its first
        // lookup has no weak reference to read yet.
        assert_eq!(c.wgets, 15_000 - u64::from(KEYS));
        assert_eq!(c.weaks, c.nodes);
        // With 128 of 1024 keys held, about 7 lookups in 8 miss.
        assert!((12_000..14_500).contains(&c.nodes), "{}", c.nodes);
    }
}
