//! The settings of [`RefCount`](crate::RefCount): only the heap limit.

use gc_core::config::{self, Key, MAX_HEAP};
use gc_core::{Config, GcError};

/// The configuration of [`RefCount`](crate::RefCount): only the heap limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefCountConfig {
    /// `max_heap`: the most bytes of objects (canonical layout; 0 = no
    /// limit). See [`gc_core::config`]. Reference counting has nothing to
    /// collect when it is reached: the allocation is refused at once.
    pub max_heap: usize,
}

const KEYS: [Key; 1] = [MAX_HEAP];

impl Config for RefCountConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &config::pairs(&KEYS);

    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError> {
        let key = config::find(&KEYS, key)?;
        self.max_heap = key.size(value)?;
        Ok(())
    }
}
