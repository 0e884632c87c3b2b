//! The typed configuration (`gc-bench --config KEY=VALUE`): CPython's
//! `gc.set_threshold`, `gc.enable`/`gc.disable` and `gc.set_debug` before
//! the first allocation.

use gc_core::config::{self, Accepts, Key, MAX_HEAP};
use gc_core::{Config, GcError};

use crate::debug;
use crate::generations::DEFAULT_THRESHOLDS;

/// The typed configuration (`gc-bench --config KEY=VALUE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerationalConfig {
    /// `gc.set_threshold`'s first value (default 700; 0 disables automatic
    /// collection).
    pub threshold0: u64,
    /// Second value (default 10).
    pub threshold1: u64,
    /// Third value (default 10).
    pub threshold2: u64,
    /// Automatic collection on (default true).
    pub enabled: bool,
    /// `gc.set_debug` flags (default 0).
    pub debug: u32,
    /// `untrack_new_tuples` (default false, CPython 3.11): make a new tuple
    /// none of whose members may be tracked (nil, atoms, untracked tuples)
    /// untracked, and leave it out of generation 0's count, as CPython
    /// 3.14.1 does (gh-139951). 3.11 tracks and counts every tuple and
    /// untracks such tuples only when a collection finds them.
    pub untrack_new_tuples: bool,
    /// `max_heap`: the most bytes of objects (canonical layout; 0, the
    /// default: no limit). See [`gc_core::config`]. When an allocation
    /// would pass it, a full collection runs first (even under
    /// `gc.disable()`); the allocation is refused only if it still would.
    pub max_heap: usize,
}

impl Default for GenerationalConfig {
    fn default() -> Self {
        GenerationalConfig {
            threshold0: DEFAULT_THRESHOLDS[0],
            threshold1: DEFAULT_THRESHOLDS[1],
            threshold2: DEFAULT_THRESHOLDS[2],
            enabled: true,
            debug: 0,
            untrack_new_tuples: false,
            max_heap: 0,
        }
    }
}

impl GenerationalConfig {
    /// The three thresholds, generation 0 first.
    pub(crate) fn thresholds(&self) -> [u64; 3] {
        [self.threshold0, self.threshold1, self.threshold2]
    }
}

/// A `gc.set_threshold` value: any whole number CPython takes.
const fn threshold(name: &'static str, help: &'static str) -> Key {
    Key::new(
        name,
        Accepts::Whole {
            min: 0,
            max: u64::MAX,
        },
        help,
    )
}

const KEYS: [Key; 7] = [
    threshold(
        "threshold0",
        "generation-0 threshold (CPython default 700; 0 disables automatic collection)",
    ),
    threshold("threshold1", "generation-1 threshold (default 10)"),
    threshold("threshold2", "generation-2 threshold (default 10)"),
    Key::new(
        "enabled",
        Accepts::Bool,
        "automatic collection on: true or false (default true)",
    ),
    Key::new(
        "debug",
        Accepts::Described(debug::FLAGS_ACCEPTED),
        "gc.set_debug flags: a number, or names joined by `|`: stats, collectable, uncollectable, saveall, leak",
    ),
    Key::new(
        "untrack_new_tuples",
        Accepts::Bool,
        "a new tuple of untracked members is not tracked or counted, as in CPython 3.14.1: true or false (default false, 3.11)",
    ),
    MAX_HEAP,
];

impl Config for GenerationalConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &config::pairs(&KEYS);

    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError> {
        let key = config::find(&KEYS, key)?;
        match key.name {
            "threshold0" => self.threshold0 = key.whole(value)?,
            "threshold1" => self.threshold1 = key.whole(value)?,
            "threshold2" => self.threshold2 = key.whole(value)?,
            "enabled" => self.enabled = key.boolean(value)?,
            "debug" => self.debug = debug::parse_flags(value).map_err(|_| key.refuse(value))?,
            "untrack_new_tuples" => self.untrack_new_tuples = key.boolean(value)?,
            _ => self.max_heap = key.size(value)?,
        }
        Ok(())
    }
}
