//! Helpers shared by this crate's integration tests (each test binary uses
//! some of them).
#![allow(dead_code)]

use gc_core::{Collector, CollectorExt, Handle};
use gc_generational::{GcModule, Generational, GenerationalConfig};

/// A heap with automatic collection off, as the scripts run
/// (`gc.disable()`), recording events.
pub fn heap() -> Generational {
    let mut h = Generational::with_config(GenerationalConfig {
        enabled: false,
        ..GenerationalConfig::default()
    })
    .unwrap();
    h.record_events(true);
    h
}

/// A node with `slots` nil slots and no payload.
pub fn node(h: &mut Generational, slots: usize) -> Handle {
    h.alloc_node(slots, 0).unwrap()
}

/// `o.slot = o`.
pub fn self_loop(h: &mut Generational, slots: usize) -> Handle {
    let n = node(h, slots);
    h.set_slot(n, 0, Some(n)).unwrap();
    n
}

/// `gc.collect(g)`.
pub fn collect(h: &mut Generational, g: u64) -> u64 {
    h.gc().collect(g).unwrap()
}
