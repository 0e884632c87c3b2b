//! Reads without roots: a borrowed view of one object.

use std::fmt::Debug;

use crate::{GcError, Kind, ObjectId};

/// A view of one object, borrowed from its heap for `'a`: read its kind,
/// identity, slots and payload without making a root.
///
/// Every strategy has its own view type ([`Collector::View`]); a view is a
/// plain copyable reference (the heap and the object), so a walk through a
/// structure costs what reading the strategy's memory costs and nothing
/// else. It is valid while the heap is borrowed: anything that may
/// allocate, collect, move or free needs `&mut` to the heap, so the borrow
/// checker refuses a view held across one. That is what makes reading a
/// moving collector's objects this way safe.
///
/// [`Collector::View`]: crate::Collector::View
pub trait ObjectView<'a>: Copy + Debug {
    /// The object's kind.
    fn kind(self) -> Kind;
    /// The object's identity.
    fn id(self) -> ObjectId;
    /// Its number of slots.
    fn slot_count(self) -> usize;
    /// What slot `index` holds (`None`: nil), as another view.
    fn slot(self, index: usize) -> Result<Option<Self>, GcError>;
    /// Its payload.
    fn payload(self) -> &'a [u8];
    /// Are both views of the same object?
    fn same(self, other: Self) -> bool;

    /// The first `size_of::<T>()` bytes of the payload as a `T` (any bit
    /// pattern must be a valid `T`: integers, floats, arrays and
    /// `#[repr(C)]` structs of them). The bytes are copied, so the
    /// payload's alignment does not matter.
    fn payload_as<T: bytemuck::AnyBitPattern>(self) -> Result<T, GcError> {
        let bytes = self.payload();
        let needed = std::mem::size_of::<T>();
        match bytes.get(..needed) {
            Some(prefix) => Ok(bytemuck::pod_read_unaligned(prefix)),
            None => Err(GcError::PayloadTooShort {
                needed,
                len: bytes.len(),
            }),
        }
    }
}
