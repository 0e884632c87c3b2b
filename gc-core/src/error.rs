//! The one error type of the safe API.

use crate::Kind;

/// Everything a safe call can get wrong. None of these is undefined
/// behaviour: the heap is unchanged by the call that returns one (except
/// [`GcError::OutOfMemory`], after which the heap is still consistent).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GcError {
    /// The handle was released (or its object freed) earlier.
    #[error("stale handle: it was released earlier")]
    StaleHandle,
    /// The handle belongs to another heap.
    #[error("foreign handle: it belongs to another heap")]
    ForeignHandle,
    /// A slot index at or past the object's slot count.
    #[error("slot index {index} out of range: the {kind} has {len} slots")]
    SlotOutOfRange {
        /// The index asked for.
        index: usize,
        /// The object's slot count.
        len: usize,
        /// The object's kind name.
        kind: &'static str,
    },
    /// A slot write to a tuple or an atom.
    #[error("cannot set a slot of {}: only nodes are mutable", .0.with_article())]
    Immutable(Kind),
    /// An allocation bigger than the object model allows.
    #[error("too many {what}: {requested} requested, at most {limit}")]
    TooLarge {
        /// "slots" or "payload bytes".
        what: &'static str,
        /// What was asked.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// The heap's configured maximum (`max_heap`, see
    /// [`config`](crate::config)) would be exceeded, or (`limit` 0) the
    /// system refused the memory.
    #[error("{}", out_of_memory(*.limit))]
    OutOfMemory {
        /// The configured limit in bytes; 0 when the system refused the
        /// memory.
        limit: u64,
    },
    /// The heap's object table (or slot space, or id space) is full, or
    /// the process has made as many heaps (or local stacks) as it can
    /// tell apart.
    #[error("too many {what}: at most {limit}")]
    TooMany {
        /// What ran out: "objects", "slots", "object ids", "heaps" or
        /// "local stacks".
        what: &'static str,
        /// How many there can be.
        limit: u64,
    },
    /// A typed payload read or write larger than the payload.
    #[error("payload too short: {needed} bytes needed, the object has {len}")]
    PayloadTooShort {
        /// `size_of` the type read or written.
        needed: usize,
        /// The payload's length.
        len: usize,
    },
    /// A generation outside 0..=2.
    #[error("invalid generation {0}: expected 0, 1 or 2")]
    InvalidGeneration(u64),
    /// A configuration key the collector does not know, or a bad value.
    #[error("bad configuration: {0}")]
    Config(String),
    /// An operation this strategy does not offer (its docs say which and
    /// why), such as resizing an object in place.
    #[error("not supported by the {strategy} collector: {what}")]
    Unsupported {
        /// The strategy's name.
        strategy: &'static str,
        /// The operation.
        what: &'static str,
    },
}

fn out_of_memory(limit: u64) -> String {
    if limit == 0 {
        "out of memory: the system refused the allocation".to_owned()
    } else {
        format!("out of memory: the heap limit of {limit} bytes would be exceeded")
    }
}

#[cfg(test)]
mod tests {
    use super::GcError;
    use crate::Kind;

    /// Every variant's message, word for word: each names its unit.
    #[test]
    fn every_message_names_its_unit() {
        let cases = [
            (
                GcError::StaleHandle,
                "stale handle: it was released earlier",
            ),
            (
                GcError::ForeignHandle,
                "foreign handle: it belongs to another heap",
            ),
            (
                GcError::SlotOutOfRange {
                    index: 3,
                    len: 2,
                    kind: "node",
                },
                "slot index 3 out of range: the node has 2 slots",
            ),
            (
                GcError::Immutable(Kind::Tuple),
                "cannot set a slot of a tuple: only nodes are mutable",
            ),
            (
                GcError::Immutable(Kind::Atom),
                "cannot set a slot of an atom: only nodes are mutable",
            ),
            (
                GcError::TooLarge {
                    what: "payload bytes",
                    requested: 5,
                    limit: 4,
                },
                "too many payload bytes: 5 requested, at most 4",
            ),
            (
                GcError::OutOfMemory { limit: 1 << 20 },
                "out of memory: the heap limit of 1048576 bytes would be exceeded",
            ),
            (
                GcError::OutOfMemory { limit: 0 },
                "out of memory: the system refused the allocation",
            ),
            (
                GcError::TooMany {
                    what: "objects",
                    limit: u64::from(u32::MAX),
                },
                "too many objects: at most 4294967295",
            ),
            (
                GcError::PayloadTooShort { needed: 8, len: 3 },
                "payload too short: 8 bytes needed, the object has 3",
            ),
            (
                GcError::InvalidGeneration(7),
                "invalid generation 7: expected 0, 1 or 2",
            ),
            (
                GcError::Config("unknown key `x`".into()),
                "bad configuration: unknown key `x`",
            ),
            (
                GcError::Unsupported {
                    strategy: "marksweep",
                    what: "resizing an object in place",
                },
                "not supported by the marksweep collector: resizing an object in place",
            ),
        ];
        for (error, message) in cases {
            // A new variant fails to compile here until it has a case.
            match error {
                GcError::StaleHandle
                | GcError::ForeignHandle
                | GcError::SlotOutOfRange { .. }
                | GcError::Immutable(_)
                | GcError::TooLarge { .. }
                | GcError::OutOfMemory { .. }
                | GcError::TooMany { .. }
                | GcError::PayloadTooShort { .. }
                | GcError::InvalidGeneration(_)
                | GcError::Config(_)
                | GcError::Unsupported { .. } => {}
            }
            assert_eq!(error.to_string(), message);
        }
    }
}
