//! `lru_cache` — a long-lived structure mutated constantly.
//!
//! **Stresses:** the write barrier and the remembered set: the cache lives
//! for the whole run (old), and every miss links a freshly allocated entry
//! into it (old-to-young stores), every hit relinks old entries, every
//! eviction makes an old entry garbage. It is also a doubly linked list,
//! so it is cyclic throughout: pure reference counting frees evicted
//! entries (their neighbours let go of them) but leaks the whole cache
//! when the program drops it.
//!
//! **Models:** `functools.lru_cache`'s structure: a table from key to entry
//! (a node with one slot per key, `KEYS` = 4 × `CAPACITY`) and a circular
//! doubly linked list of entries through a sentinel (`root` in CPython's
//! `_lru_cache_wrapper`), most recent first. An entry is a node
//! `[prev, next, value]` with 8 payload bytes (the key); a value is a node
//! with no slots and 64 payload bytes. `requests` lookups of keys drawn
//! from a skewed distribution (`key = KEYS × u²`, `u` uniform: a few hot
//! keys, a long tail): a hit moves the entry to the front; a miss makes an
//! entry and a value, links it at the front and, when the cache holds
//! `CAPACITY` entries, evicts the least recently used one.
//!
//! **Source:** CPython `Lib/functools.py` (`_lru_cache_wrapper`, the
//! pure-Python version) — the shape; the request mix is this project's.
//!
//! **Scale:** `requests = round(200,000 × scale)`, at least 10, at most
//! 10^9; `CAPACITY` = 2,048.

use rand::RngExt;

use super::workload::{Emit, Workload, count_for, rng};

/// The catalogue entry.
pub const WORKLOAD: Workload = Workload {
    name: "lru_cache",
    summary: "functools.lru_cache under skewed requests: old-to-young stores into a long-lived cyclic list",
    parameter: |s| requests(s).map(|n| format!("requests={n},capacity={CAPACITY}")),
    generate,
    matrix_scale: 1.0,
};

/// Entries the cache holds at most.
pub const CAPACITY: u32 = 2048;
/// Distinct keys.
pub const KEYS: u32 = 4 * CAPACITY;

/// Lookups for a scale.
pub fn requests(scale: f64) -> Result<u64, String> {
    count_for(scale, 200_000.0, 10, 1_000_000_000)
}

const TABLE: u32 = 0;
const ROOT: u32 = 1;
const ENTRY: u32 = 2;
const PREV: u32 = 3;
const NEXT: u32 = 4;
const VALUE: u32 = 5;
const P: u32 = 0;
const N: u32 = 1;
const V: u32 = 2;

/// Unlinks the entry in ENTRY (`prev.next = next; next.prev = prev`).
fn unlink(e: &mut Emit<'_>) {
    e.get(PREV, ENTRY, P);
    e.get(NEXT, ENTRY, N);
    e.set(PREV, N, Some(NEXT));
    e.set(NEXT, P, Some(PREV));
}

/// Links the entry in ENTRY just after the sentinel.
fn link_front(e: &mut Emit<'_>) {
    e.get(NEXT, ROOT, N);
    e.set(ENTRY, N, Some(NEXT));
    e.set(ENTRY, P, Some(ROOT));
    e.set(NEXT, P, Some(ENTRY));
    e.set(ROOT, N, Some(ENTRY));
}

/// The generator's mirror of the list: prev/next by key, `KEYS` = sentinel.
struct Mirror {
    prev: Vec<u32>,
    next: Vec<u32>,
    present: Vec<bool>,
    len: u32,
}

impl Mirror {
    fn unlink(&mut self, k: u32) {
        let (p, n) = (self.prev[k as usize], self.next[k as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }
    fn link_front(&mut self, k: u32) {
        let f = self.next[KEYS as usize];
        self.next[k as usize] = f;
        self.prev[k as usize] = KEYS;
        self.prev[f as usize] = k;
        self.next[KEYS as usize] = k;
    }
}

fn generate(scale: f64, seed: u64, e: &mut Emit<'_>) {
    let mut r = rng(seed);
    let n = requests(scale).expect("checked scale");
    let size = KEYS as usize + 1;
    let mut m = Mirror {
        prev: vec![KEYS; size],
        next: vec![KEYS; size],
        present: vec![false; size],
        len: 0,
    };
    e.node(TABLE, KEYS, 0);
    e.node(ROOT, 3, 0);
    e.set(ROOT, P, Some(ROOT));
    e.set(ROOT, N, Some(ROOT));
    for _ in 0..n {
        let u: f64 = r.random();
        let key = ((u * u * f64::from(KEYS)) as u32).min(KEYS - 1);
        if m.present[key as usize] {
            e.get(ENTRY, TABLE, key);
            unlink(e);
            link_front(e);
            e.get(VALUE, ENTRY, V);
            m.unlink(key);
            m.link_front(key);
        } else {
            if m.len == CAPACITY {
                let lru = m.prev[KEYS as usize];
                e.get(ENTRY, ROOT, P);
                unlink(e);
                e.set(TABLE, lru, None);
                m.unlink(lru);
                m.present[lru as usize] = false;
                m.len -= 1;
            }
            e.node(ENTRY, 3, 8);
            e.node(VALUE, 0, 64);
            e.set(ENTRY, V, Some(VALUE));
            e.set(TABLE, key, Some(ENTRY));
            link_front(e);
            m.link_front(key);
            m.present[key as usize] = true;
            m.len += 1;
        }
        e.del(ENTRY);
        e.del(PREV);
        e.del(NEXT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::workload::Census;
    use gc_core::tooling::oracle::{Mode, Oracle};

    #[test]
    fn the_cache_never_holds_more_than_its_capacity() {
        let ops = WORKLOAD.ops(0.1, 5);
        let c = Census::of(&ops);
        let entries = (c.nodes - 2) / 2;
        assert!(entries > u64::from(CAPACITY), "evictions happen");
        let mut o = Oracle::new(Mode::Observed);
        let body = ops.len() - 4; // before the final drops (3 registers, unsave)
        for op in &ops[..body] {
            o.apply(op, None).unwrap();
        }
        // Table, sentinel, CAPACITY entries and their values; the last
        // value is still in VALUE (it is in the cache too).
        assert_eq!(o.reachable().len() as u32, 2 + 2 * CAPACITY);
    }
}
