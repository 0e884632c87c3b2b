//! The object model every strategy shares.
//!
//! An object is a kind, a fixed number of reference *slots* and an opaque
//! *payload* of bytes. Collectors trace the slots and never look inside the
//! payload. That is enough for a runtime to map its own objects onto:
//!
//! | runtime object | maps to |
//! | --- | --- |
//! | an instance with fields (a Python object with `__slots__`, a Lua table's array part, a graph vertex) | [`Kind::Node`]: one slot per reference field, scalars in the payload |
//! | an immutable aggregate (a tuple, a frozen record) | [`Kind::Tuple`]: members fixed at creation |
//! | a leaf (a string, a number, a byte buffer) | [`Kind::Atom`]: payload only, never traced |
//! | a growable container (a list, a dict) | a node whose slots hold the elements; grow it by allocating a larger node and copying, as CPython reallocates `ob_item` |
//!
//! The runtime keeps everything else (type pointers, hash caches) in the
//! payload bytes, or in its own tables keyed by [`ObjectId`].

use std::fmt;

/// The largest number of slots a node may have (2^24), as in gctrace.
pub const MAX_SLOTS: usize = 1 << 24;
/// The largest payload in bytes (2^30), as in gctrace.
pub const MAX_PAYLOAD: usize = 1 << 30;

/// What an object is, for the collector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A mutable container: slots may be written at any time.
    Node,
    /// An immutable container: members are given at creation.
    Tuple,
    /// A leaf: payload bytes only, never tracked by a cycle collector.
    Atom,
}

impl Kind {
    /// The gctrace name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Tuple => "tuple",
            Kind::Atom => "atom",
        }
    }

    /// The name with its indefinite article, for messages ("an atom").
    pub(crate) fn with_article(self) -> &'static str {
        match self {
            Kind::Node => "a node",
            Kind::Tuple => "a tuple",
            Kind::Atom => "an atom",
        }
    }
}

/// The shape of an object to allocate (tuples are made with
/// [`Collector::alloc_tuple`](crate::Collector::alloc_tuple)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A node with `slots` nil slots and `payload` zeroed bytes.
    Node {
        /// Number of reference slots, at most [`MAX_SLOTS`].
        slots: usize,
        /// Payload bytes, at most [`MAX_PAYLOAD`].
        payload: usize,
    },
    /// An atom with `payload` zeroed bytes.
    Atom {
        /// Payload bytes, at most [`MAX_PAYLOAD`].
        payload: usize,
    },
}

impl Shape {
    /// The kind of object this shape makes.
    pub fn kind(self) -> Kind {
        match self {
            Shape::Node { .. } => Kind::Node,
            Shape::Atom { .. } => Kind::Atom,
        }
    }
    /// Number of slots.
    pub fn slots(self) -> usize {
        match self {
            Shape::Node { slots, .. } => slots,
            Shape::Atom { .. } => 0,
        }
    }
    /// Payload bytes.
    pub fn payload(self) -> usize {
        match self {
            Shape::Node { payload, .. } | Shape::Atom { payload } => payload,
        }
    }
    /// Checks the limits; every collector calls this before allocating.
    pub fn check(self) -> Result<(), crate::GcError> {
        if self.slots() > MAX_SLOTS {
            return Err(crate::GcError::TooLarge {
                what: "slots",
                requested: self.slots(),
                limit: MAX_SLOTS,
            });
        }
        if self.payload() > MAX_PAYLOAD {
            return Err(crate::GcError::TooLarge {
                what: "payload bytes",
                requested: self.payload(),
                limit: MAX_PAYLOAD,
            });
        }
        Ok(())
    }
}

/// The identity of an object: the number of objects the heap allocated
/// before it (the gctrace id). For events and tests; never a storage key on a
/// hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub u64);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The identity of a weak reference object (numbered apart from objects:
/// weak references are not gctrace objects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeakId(pub u64);

/// What a finalizer does when the collector decides its object is garbage.
///
/// A finalizer runs at most once per object (PEP 442), and every run is
/// reported as an [`Event::Finalize`](crate::Event::Finalize).
///
/// - [`Finalizer::Run`] is what an embedding runtime wants: the heap calls
///   its finalizer hook ([`Collector::on_finalize`](crate::Collector::on_finalize))
///   with the object, intact and readable, in the order the strategy
///   prescribes; the hook may store the object somewhere to resurrect it,
///   and whatever is still unreachable afterwards is freed as the strategy
///   frees finalized objects. Without a hook it acts as `Notify`.
/// - [`Finalizer::Notify`] and [`Finalizer::Resurrect`] are the trace
///   format's two finalizers: report only, or report and append the object
///   to the *saved list* (a root the runtime drains with
///   [`Collector::take_saved`](crate::Collector::take_saved): PyPy's
///   finalizer-queue model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Finalizer {
    /// Report the finalization; the object is freed if still unreachable.
    Notify,
    /// Report it and append the object to the saved list.
    Resurrect,
    /// Report it and call the heap's finalizer hook with the object.
    Run,
}

/// The order in which a node's slots are dropped when it is freed, cleared
/// when a collection breaks a cycle, and traversed
/// ([`Collector::set_slot_order`](crate::Collector::set_slot_order)).
/// CPython drops an instance's or a dict's references first to last and
/// a list's (like a tuple's, always) last to first, and the order decides
/// the order of finalizers and weak-reference callbacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SlotOrder {
    /// Slot 0 first: every node's order unless said otherwise.
    #[default]
    FirstToLast,
    /// The last slot first, as a tuple's (CPython's lists).
    LastToFirst,
}
