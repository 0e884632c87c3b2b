//! `gc.set_debug` flags and what they print (through `tracing`, target
//! `gc_generational`, at level INFO; CPython prints the same lines to
//! standard error).
//!
//! Printing allocates nothing of the collector's (issue #14): the lists
//! are walked in place and each line goes to `tracing` as format
//! arguments, so DEBUG_STATS and DEBUG_COLLECTABLE add no way for a
//! collection to be refused memory, and no line is skipped or cut. What
//! the installed subscriber does to write a line is its own:
//! `tracing-subscriber`'s fmt layer (gc-bench's) formats into a per-thread
//! buffer that grows to the longest line so far, and aborts if the system
//! refuses that growth — a subscriber that must never abort formats into
//! fixed room (as the one in `tests/fallible.rs` does).

use gc_core::GcError;
use gc_core::rc::flags;

use crate::header::{List, members, size};
use crate::state::Heap;

/// Print statistics at the start and end of each collection.
pub const DEBUG_STATS: u32 = 1;
/// Print each collectable object found.
pub const DEBUG_COLLECTABLE: u32 = 2;
/// Print each uncollectable object found (never any here: the object model
/// has no legacy `tp_del` finalizers).
pub const DEBUG_UNCOLLECTABLE: u32 = 4;
/// Append unreachable objects to `gc.garbage` instead of freeing them.
pub const DEBUG_SAVEALL: u32 = 32;
/// `DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL`.
pub const DEBUG_LEAK: u32 = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;

/// Every flag this collector knows (`DEBUG_STATS | DEBUG_LEAK`).
pub const DEBUG_ALL: u32 = DEBUG_STATS | DEBUG_LEAK;

/// What [`parse_flags`] accepts, in words.
pub const FLAGS_ACCEPTED: &str = "a number made of the flags 1 (stats), 2 (collectable), 4 (uncollectable) and 32 (saveall), from 0 to 39, or their names joined by `|` (leak = collectable|uncollectable|saveall)";

/// Parses a number made of known flags, or flag names joined by `|`
/// (`stats|saveall`).
pub fn parse_flags(value: &str) -> Result<u32, GcError> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<u32>() {
            Ok(n) if n & !DEBUG_ALL == 0 => Ok(n),
            _ => Err(GcError::Config(format!(
                "`debug`: got `{value}`, expected {FLAGS_ACCEPTED}"
            ))),
        };
    }
    let mut bits = 0;
    for name in value.split('|').map(str::trim) {
        bits |= match name.to_ascii_lowercase().trim_start_matches("debug_") {
            "stats" => DEBUG_STATS,
            "collectable" => DEBUG_COLLECTABLE,
            "uncollectable" => DEBUG_UNCOLLECTABLE,
            "saveall" => DEBUG_SAVEALL,
            "leak" => DEBUG_LEAK,
            "" | "off" | "0" => 0,
            _ => {
                return Err(GcError::Config(format!(
                    "unknown debug flag `{name}`: expected stats, collectable, uncollectable, saveall or leak"
                )));
            }
        };
    }
    Ok(bits)
}

/// DEBUG_STATS at the start: the generation and the list sizes (before
/// the younger generations are merged in).
pub(crate) fn log_start(heap: &Heap, generation: usize) {
    let sizes = [List::Gen0, List::Gen1, List::Gen2].map(|l| size(heap, l));
    tracing::info!(target: "gc_generational", "gc: collecting generation {generation}...");
    tracing::info!(
        target: "gc_generational",
        "gc: objects in each generation: {} {} {}",
        sizes[0],
        sizes[1],
        sizes[2]
    );
    tracing::info!(
        target: "gc_generational",
        "gc: objects in permanent generation: {}",
        size(heap, List::Permanent)
    );
}

/// DEBUG_COLLECTABLE: one line per object of `unreachable`.
pub(crate) fn log_collectables(heap: &Heap, unreachable: List) {
    for x in members(heap, unreachable) {
        log_collectable(heap, x);
    }
}

/// One DEBUG_COLLECTABLE line.
fn log_collectable(heap: &Heap, x: u32) {
    let Some(r) = gc_core::rc::ObjRef::from_index(x as usize) else {
        return;
    };
    let kind = match heap.header(r).flags & flags::KIND_MASK {
        flags::NODE => "node",
        flags::TUPLE => "tuple",
        flags::ATOM => "atom",
        _ => "weakref",
    };
    tracing::info!(target: "gc_generational", "gc: collectable <{kind} #{}>", heap.id(r));
}

/// DEBUG_STATS at the end.
pub(crate) fn log_done(unreachable: u64, uncollectable: u64, secs: f64) {
    tracing::info!(
        target: "gc_generational",
        "gc: done, {unreachable} unreachable, {uncollectable} uncollectable, {secs:.4}s elapsed"
    );
}
