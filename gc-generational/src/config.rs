//! The typed configuration (`gc-bench --config KEY=VALUE`): CPython's
//! `gc.set_threshold`, `gc.enable`/`gc.disable` and `gc.set_debug` before
//! the first allocation.

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
}

impl Default for GenerationalConfig {
    fn default() -> Self {
        GenerationalConfig {
            threshold0: DEFAULT_THRESHOLDS[0],
            threshold1: DEFAULT_THRESHOLDS[1],
            threshold2: DEFAULT_THRESHOLDS[2],
            enabled: true,
            debug: 0,
        }
    }
}

fn parse_u64(key: &str, value: &str) -> Result<u64, GcError> {
    value
        .parse()
        .map_err(|_| GcError::Config(format!("`{key}` takes a whole number, got `{value}`")))
}

impl GenerationalConfig {
    /// The three thresholds, generation 0 first.
    pub(crate) fn thresholds(&self) -> [u64; 3] {
        [self.threshold0, self.threshold1, self.threshold2]
    }
}

impl Config for GenerationalConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &[
        (
            "threshold0",
            "generation-0 threshold (CPython default 700; 0 disables automatic collection)",
        ),
        ("threshold1", "generation-1 threshold (default 10)"),
        ("threshold2", "generation-2 threshold (default 10)"),
        (
            "enabled",
            "automatic collection on: true or false (default true)",
        ),
        (
            "debug",
            "gc.set_debug flags: a number, or names joined by `|`: stats, collectable, uncollectable, saveall, leak",
        ),
    ];

    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError> {
        match key {
            "threshold0" => self.threshold0 = parse_u64(key, value)?,
            "threshold1" => self.threshold1 = parse_u64(key, value)?,
            "threshold2" => self.threshold2 = parse_u64(key, value)?,
            "enabled" => {
                self.enabled = match value {
                    "true" | "1" | "yes" | "on" => true,
                    "false" | "0" | "no" | "off" => false,
                    _ => {
                        return Err(GcError::Config(format!(
                            "`enabled` takes true or false, got `{value}`"
                        )));
                    }
                }
            }
            "debug" => self.debug = debug::parse_flags(value)?,
            _ => {
                let known: Vec<&str> = Self::KEYS.iter().map(|(k, _)| *k).collect();
                return Err(GcError::Config(format!(
                    "unknown key `{key}`: expected one of {}",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }
}
