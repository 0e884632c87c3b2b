//! Memory from the system, fallibly (issue #14): every arena, large object
//! and growable internal list of the collector gets its memory here or
//! through [`reserve`], and a refusal becomes
//! [`GcError::OutOfMemory`](gc_core::GcError::OutOfMemory) with limit 0
//! ([`gc_core::config::refused`]), never an abort. (The nursery is one
//! `bumpalo` chunk taken with `try_with_min_align_and_capacity` when the
//! heap is made: a refusal there is the configuration error `nursery:
//! cannot allocate N bytes`.)
//!
//! Refusal inside a collection is avoided by reserving first: a minor
//! collection reserves the pages, the individual blocks and the work-list
//! capacity that promoting every nursery object could need before it
//! copies anything (`minor.rs`); a marking step reserves the grey stack's
//! room for an object's children before it blackens the object
//! (`mark.rs`); the end of marking reserves what the sweep's lists can
//! grow to before it hands anything to the sweeper, so the sweep never
//! allocates (`pages.rs`, `old.rs`), and what the finalizer ordering
//! uses — its lists, and a stack as long as the objects still white —
//! before it decides anything (`finalizers.rs`); before each marking step
//! the saved list, the handle table and the hook's queue get room for
//! every finalizer the step may decide to run (`collector.rs`); the step
//! that reports the weak callbacks makes their list before it takes them
//! (`weak.rs`); an operation that makes a handle reserves its room in the
//! handle table first (`roots.rs`), and `take_saved` refused hands out
//! nothing. When a reservation fails the operation returns
//! `OutOfMemory` having changed nothing the heap relies on, and it can be
//! retried. Pre-faulting spare arenas between minor collections
//! (`pages.rs`) is best effort: a refusal only stops it.
//!
//! Tests simulate refusal with a refusing global allocator in the test
//! binary (`tests/limit.rs`), so the real paths (null from
//! `std::alloc`, `Err` from `try_reserve`) are the ones exercised.

use std::alloc::Layout;
use std::collections::VecDeque;
use std::ptr::NonNull;

use gc_core::GcError;
use gc_core::config::refused;

/// `layout.size()` zeroed bytes from the system, or `OutOfMemory`.
///
/// # Panics
///
/// When the layout's size is zero.
pub(crate) fn alloc_zeroed(layout: Layout) -> Result<NonNull<u8>, GcError> {
    assert!(layout.size() > 0, "zero-sized system allocation");
    // SAFETY: the layout's size is non-zero (asserted).
    NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) }).ok_or_else(refused)
}

/// `layout.size()` uninitialised bytes from the system, or `OutOfMemory`.
///
/// # Panics
///
/// When the layout's size is zero.
pub(crate) fn alloc(layout: Layout) -> Result<NonNull<u8>, GcError> {
    assert!(layout.size() > 0, "zero-sized system allocation");
    // SAFETY: the layout's size is non-zero (asserted).
    NonNull::new(unsafe { std::alloc::alloc(layout) }).ok_or_else(refused)
}

/// Returns memory to the system.
///
/// # Safety
///
/// `ptr` came from [`alloc`] or [`alloc_zeroed`] with this `layout` and is
/// not used again.
pub(crate) unsafe fn dealloc(ptr: NonNull<u8>, layout: Layout) {
    // SAFETY: the caller's guarantee.
    unsafe { std::alloc::dealloc(ptr.as_ptr(), layout) }
}

/// Room for `additional` more elements in `v` (so that that many pushes
/// do not allocate), or `OutOfMemory`.
#[inline]
pub(crate) fn reserve<T>(v: &mut Vec<T>, additional: usize) -> Result<(), GcError> {
    if v.capacity() - v.len() >= additional {
        return Ok(());
    }
    v.try_reserve(additional).map_err(|_| refused())
}

/// As [`reserve`], for a `VecDeque`.
#[inline]
pub(crate) fn reserve_deque<T>(v: &mut VecDeque<T>, additional: usize) -> Result<(), GcError> {
    if v.capacity() - v.len() >= additional {
        return Ok(());
    }
    v.try_reserve(additional).map_err(|_| refused())
}
