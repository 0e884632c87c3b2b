//! Configuration values, read and checked in one place for every
//! collector: a table of [`Key`]s (name, accepted values, description)
//! that a [`Config`](crate::Config)'s `set` looks keys up in and reads
//! values through, and the one key every collector shares, `max_heap`
//! ([`MAX_HEAP`], with [`HeapLimit`], what it counts).
//!
//! Every value is checked when it is set, before a heap is made: a value
//! outside a key's range is refused with one line naming the key, the
//! value given and what the key accepts, never clamped or saturated.
//! (`gc_any::AnyConfig` keeps a strategy's pairs until the heap is made,
//! since its `collector` key may come last: they are checked then.)
//!
//! # The heap limit: `max_heap`
//!
//! Every collector takes `max_heap` (PyPy's `PYPY_GC_MAX`): the most bytes
//! of objects the heap may hold, `0` (the default) for no limit. An
//! allocation that would take the heap past it, even after the collection
//! the collector runs to make room, fails with
//! [`GcError::OutOfMemory`]; nothing is
//! allocated, nothing reachable is freed, and the heap goes on working. An
//! allocation the system refuses is `OutOfMemory` too, with a `limit` of
//! 0 whatever the limit in force ([`refused`]): its message says the
//! system refused the allocation, where the limit's names it in bytes.
//!
//! What counts is every object allocated and not yet freed, outside a
//! nursery (a fixed space, allocated when the heap is made, that comes on
//! top), each at its size in the collector's own layout:
//!
//! - `null`, `refcount`, `generational`: the canonical layout of the
//!   workbench's live-size figures, [`canonical_size`]: a 16-byte header,
//!   8 bytes per slot, then the payload (a weak-reference object of the
//!   reference-counting heap counts as a header);
//! - `marksweep`: its old generation's blocks and large objects (header,
//!   slots, payload, each rounded to a word), checked after each minor
//!   collection and before each large allocation, as in PyPy.

use crate::GcError;

/// What a key accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Accepts {
    /// A byte size in PyPy's units (`4MB`, `512KB`, `1.5M`, `4096`), from
    /// `min` to `max` bytes.
    Bytes {
        /// The smallest accepted.
        min: u64,
        /// The largest accepted.
        max: u64,
    },
    /// A whole number from `min` to `max`.
    Whole {
        /// The smallest accepted.
        min: u64,
        /// The largest accepted.
        max: u64,
    },
    /// A finite number above `above`.
    Factor {
        /// The bound, excluded.
        above: f64,
    },
    /// `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// Something the collector reads itself, described in words.
    Described(&'static str),
}

/// One configuration key: its name, other names it answers to, what it
/// accepts and a one-line description (what `gc-bench list` prints).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Key {
    /// The key.
    pub name: &'static str,
    /// Other names for it (PyPy's `PYPY_GC_*` variables).
    pub aliases: &'static [&'static str],
    /// What it accepts.
    pub accepts: Accepts,
    /// One line: what it does and its default.
    pub help: &'static str,
}

/// The heap limit every collector takes (see the [module docs](self)).
pub const MAX_HEAP: Key = Key::new(
    "max_heap",
    Accepts::Bytes {
        min: 0,
        max: u64::MAX,
    },
    "OutOfMemory beyond this many bytes of objects (0 = no limit; see gc_core::config); PYPY_GC_MAX",
)
.alias(&["PYPY_GC_MAX"]);

impl Key {
    /// A key without aliases.
    pub const fn new(name: &'static str, accepts: Accepts, help: &'static str) -> Key {
        Key {
            name,
            aliases: &[],
            accepts,
            help,
        }
    }

    /// The same key, also answering to `aliases`.
    pub const fn alias(self, aliases: &'static [&'static str]) -> Key {
        Key { aliases, ..self }
    }

    /// Is `key` this key's name or one of its aliases?
    pub fn answers_to(&self, key: &str) -> bool {
        self.name == key || self.aliases.contains(&key)
    }

    /// What the key accepts, in words.
    pub fn expected(&self) -> String {
        match self.accepts {
            Accepts::Bytes { min, max } => {
                format!("a byte size (such as 4MB, 512KB or 4096) from {min} to {max} bytes")
            }
            Accepts::Whole { min, max } => format!("a whole number from {min} to {max}"),
            Accepts::Factor { above } => format!("a finite number above {above:.1}"),
            Accepts::Bool => "true or false".to_owned(),
            Accepts::Described(what) => what.to_owned(),
        }
    }

    /// The error for `value`: one line naming the key, the value and what
    /// the key accepts. Values are cut at 40 characters.
    pub fn refuse(&self, value: &str) -> GcError {
        let shown: String = value.chars().take(40).collect();
        let cut = if shown.len() < value.len() { "…" } else { "" };
        GcError::Config(format!(
            "`{}`: got `{shown}{cut}`, expected {}",
            self.name,
            self.expected()
        ))
    }

    /// Reads a byte size, checked against the key's range.
    pub fn bytes(&self, value: &str) -> Result<u64, GcError> {
        let Accepts::Bytes { min, max } = self.accepts else {
            return Err(self.misread("a byte size"));
        };
        parse_bytes(value)
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| self.refuse(value))
    }

    /// Reads a byte size that must fit the address space.
    pub fn size(&self, value: &str) -> Result<usize, GcError> {
        let n = self.bytes(value)?;
        usize::try_from(n).map_err(|_| self.refuse(value))
    }

    /// Reads a whole number, checked against the key's range.
    pub fn whole(&self, value: &str) -> Result<u64, GcError> {
        let Accepts::Whole { min, max } = self.accepts else {
            return Err(self.misread("a whole number"));
        };
        value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| self.refuse(value))
    }

    /// Reads a factor, checked against the key's bound.
    pub fn factor(&self, value: &str) -> Result<f64, GcError> {
        let Accepts::Factor { above } = self.accepts else {
            return Err(self.misread("a factor"));
        };
        value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f > above)
            .ok_or_else(|| self.refuse(value))
    }

    /// Reads a boolean: `true` or `false`, as [`expected`](Key::expected)
    /// says (and nothing else, so the help and the parser agree).
    pub fn boolean(&self, value: &str) -> Result<bool, GcError> {
        match value.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.refuse(value)),
        }
    }

    /// A key read as what its table says it is not: a mistake in the
    /// collector's table, reported rather than panicking.
    fn misread(&self, as_what: &str) -> GcError {
        GcError::Config(format!(
            "`{}`: read as {as_what}, but its table says it takes {}",
            self.name,
            self.expected()
        ))
    }
}

/// The key of `keys` that `key` names (by name or alias), or an error
/// listing the known keys.
pub fn find<'a>(keys: &'a [Key], key: &str) -> Result<&'a Key, GcError> {
    keys.iter().find(|k| k.answers_to(key)).ok_or_else(|| {
        let known: Vec<&str> = keys.iter().map(|k| k.name).collect();
        GcError::Config(if known.is_empty() {
            format!("unknown key `{key}`: this collector takes no configuration")
        } else {
            format!("unknown key `{key}`: expected one of {}", known.join(", "))
        })
    })
}

/// The `(name, description)` pairs of a table, for
/// [`Config::KEYS`](crate::Config::KEYS).
pub const fn pairs<const N: usize>(keys: &[Key; N]) -> [(&'static str, &'static str); N] {
    let mut out = [("", ""); N];
    let mut i = 0;
    while i < N {
        out[i] = (keys[i].name, keys[i].help);
        i += 1;
    }
    out
}

/// Parses a byte size the way PyPy's `env.py` does: an optional trailing
/// `b`/`B`, then an optional `k`/`m`/`g` (any case, binary multiples;
/// `KiB`, `MiB` and `GiB` are read as the same), after a number that may
/// have a fraction. `None` when it does not parse, is over `u64::MAX`
/// bytes, or is a positive size under one byte (PyPy truncates that to 0,
/// which `max_heap` and others read as "none": `max_heap=0.4` would be no
/// limit at all); whole numbers are exact, other fractions are truncated
/// to a byte.
pub fn parse_bytes(value: &str) -> Option<u64> {
    let mut v = value.trim();
    if v.len() > 1 && v.ends_with(['b', 'B']) {
        v = &v[..v.len() - 1];
        if let Some(unit) = v.strip_suffix(['i', 'I'])
            && unit.ends_with(['k', 'K', 'm', 'M', 'g', 'G'])
        {
            v = unit;
        }
    }
    let (number, factor): (&str, u64) = match v.chars().last()? {
        'k' | 'K' => (&v[..v.len() - 1], 1 << 10),
        'm' | 'M' => (&v[..v.len() - 1], 1 << 20),
        'g' | 'G' => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    let number = number.trim();
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        return number.parse::<u64>().ok()?.checked_mul(factor);
    }
    let n: f64 = number.parse().ok()?;
    let bytes = n * factor as f64;
    // 2^64 is the first value out of range (u64::MAX rounds up to it).
    ((bytes == 0.0 || bytes >= 1.0) && bytes < 18_446_744_073_709_551_616.0).then_some(bytes as u64)
}

/// The error for an allocation the system refused: `OutOfMemory` with a
/// limit of 0 (no configured limit was reached).
#[cold]
pub fn refused() -> GcError {
    GcError::OutOfMemory { limit: 0 }
}

/// `items` in a new vector, allocated fallibly (for answers such as
/// [`Inspect`](crate::Inspect)'s): room for `len` is reserved first, and
/// the vector grows if there are more. [`GcError::OutOfMemory`] if the
/// system refuses the memory.
pub fn try_collect<T>(len: usize, items: impl IntoIterator<Item = T>) -> Result<Vec<T>, GcError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| refused())?;
    for item in items {
        if v.len() == v.capacity() {
            v.try_reserve(1).map_err(|_| refused())?;
        }
        v.push(item);
    }
    Ok(v)
}

/// An object's size in the canonical layout: a 16-byte header, 8 bytes per
/// slot, then the payload.
#[inline]
pub const fn canonical_size(slots: usize, payload: usize) -> u64 {
    16 + 8 * slots as u64 + payload as u64
}

/// The bytes a heap holds against its `max_heap` (see the
/// [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapLimit {
    max: u64,
    held: u64,
}

impl HeapLimit {
    /// A limit of `max` bytes (0: none).
    pub const fn new(max: u64) -> Self {
        HeapLimit { max, held: 0 }
    }

    /// The limit (0: none).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The bytes counted now.
    pub fn held(&self) -> u64 {
        self.held
    }

    /// Would `bytes` more take the heap past the limit?
    #[inline]
    pub fn would_exceed(&self, bytes: u64) -> bool {
        self.max != 0 && self.held.saturating_add(bytes) > self.max
    }

    /// `OutOfMemory` when `bytes` more would take the heap past the limit.
    #[inline]
    pub fn check(&self, bytes: u64) -> Result<(), GcError> {
        if self.would_exceed(bytes) {
            Err(self.out_of_memory())
        } else {
            Ok(())
        }
    }

    /// The error for an allocation the limit refuses.
    pub fn out_of_memory(&self) -> GcError {
        GcError::OutOfMemory { limit: self.max }
    }

    /// Counts `bytes` allocated.
    #[inline]
    pub fn add(&mut self, bytes: u64) {
        self.held += bytes;
    }

    /// Counts `bytes` freed.
    #[inline]
    pub fn remove(&mut self, bytes: u64) {
        self.held -= bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NURSERY: Key = Key::new(
        "nursery",
        Accepts::Bytes {
            min: 16,
            max: 1 << 40,
        },
        "",
    )
    .alias(&["PYPY_GC_NURSERY"]);

    #[test]
    fn pypy_units_exactly() {
        assert_eq!(parse_bytes("4MB"), Some(4 << 20));
        assert_eq!(parse_bytes("4m"), Some(4 << 20));
        assert_eq!(parse_bytes("512KB"), Some(524_288));
        assert_eq!(parse_bytes("1.5M"), Some(1_572_864));
        assert_eq!(parse_bytes("4096B"), Some(4096));
        assert_eq!(parse_bytes("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_bytes("18446744073709551616"), None);
        assert_eq!(parse_bytes("99999999999999999999"), None);
        assert_eq!(parse_bytes("1e30"), None);
        assert_eq!(parse_bytes("1GiB"), Some(1 << 30));
        assert_eq!(parse_bytes("512kib"), Some(524_288));
        assert_eq!(parse_bytes("0.5MiB"), Some(524_288));
        assert_eq!(parse_bytes("1iB"), None);
        assert_eq!(parse_bytes("0.4"), None, "under a byte: not 0 (no limit)");
        assert_eq!(parse_bytes("1e-9"), None);
        assert_eq!(parse_bytes("0.0"), Some(0));
        assert_eq!(parse_bytes("1.9"), Some(1));
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(parse_bytes("inf"), None);
        assert_eq!(parse_bytes("garbage"), None);
        assert_eq!(parse_bytes(""), None);
    }

    #[test]
    fn values_out_of_range_are_refused_with_the_key_value_and_range() {
        assert_eq!(NURSERY.bytes("4MB"), Ok(4 << 20));
        assert_eq!(find(&[NURSERY], "PYPY_GC_NURSERY").unwrap().name, "nursery");
        for bad in ["0", "8", "99999999999999999999", "2TB", "garbage", "2048GB"] {
            let message = NURSERY.bytes(bad).unwrap_err().to_string();
            assert_eq!(
                message,
                format!(
                    "bad configuration: `nursery`: got `{bad}`, expected a byte size (such as 4MB, 512KB or 4096) from 16 to 1099511627776 bytes"
                ),
            );
        }
        let whole = Key::new("t", Accepts::Whole { min: 0, max: 10 }, "");
        assert_eq!(whole.whole("10"), Ok(10));
        assert!(
            whole
                .whole("11")
                .unwrap_err()
                .to_string()
                .contains("from 0 to 10")
        );
        let factor = Key::new("f", Accepts::Factor { above: 1.0 }, "");
        assert_eq!(factor.factor("1.5"), Ok(1.5));
        assert!(factor.factor("1").is_err() && factor.factor("NaN").is_err());
        // A long value is cut in the message.
        let long = "9".repeat(10_000);
        assert!(NURSERY.bytes(&long).unwrap_err().to_string().len() < 200);
        // Read as the wrong type: an error, not a panic.
        assert!(whole.bytes("1").is_err());
        assert!(
            find(&[NURSERY], "bogus")
                .unwrap_err()
                .to_string()
                .contains("nursery")
        );
        assert_eq!(pairs(&[NURSERY, whole]), [("nursery", ""), ("t", "")]);
    }

    #[test]
    fn the_limit_counts_and_refuses() {
        let mut l = HeapLimit::new(100);
        l.add(canonical_size(2, 10)); // 42
        assert!(l.check(58).is_ok());
        assert_eq!(l.check(59), Err(GcError::OutOfMemory { limit: 100 }));
        l.remove(42);
        assert_eq!(l.held(), 0);
        assert!(!HeapLimit::new(0).would_exceed(u64::MAX));
    }
}
