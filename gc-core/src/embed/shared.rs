//! A shared pointer whose allocation may be refused: what a heap and the
//! [`Root`](super::Root)s it hands out share (the release queue). It is
//! `std::sync::Arc` without weak counts, made with `try_new`, which
//! `Arc` has only on nightly: memory the system refuses is
//! [`GcError::OutOfMemory`] for the heap being made, not an abort. (No
//! crate does this on stable: `fallible_collections`' `FallibleArc` goes
//! through a `Box` and `Arc::from`, which allocates again and may abort,
//! and is deprecated for it.)

#![allow(unsafe_code)]

use std::alloc::{Layout, alloc, dealloc};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use crate::GcError;

struct Inner<T> {
    count: AtomicUsize,
    value: T,
}

/// One owner of a `T` shared by all its clones, dropped with the last.
pub(super) struct Shared<T> {
    /// Initialized and live while any clone exists (`count` of them).
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<Inner<T>>,
}

// SAFETY: as for `Arc<T>`: clones on several threads reach one `T` by
// shared reference only (`Sync`) and the last one, on any thread, drops it
// (`Send`); the count is atomic.
unsafe impl<T: Send + Sync> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// `value` in a new allocation, or `OutOfMemory` if the system refuses
    /// it.
    pub(super) fn try_new(value: T) -> Result<Self, GcError> {
        let layout = Layout::new::<Inner<T>>();
        // SAFETY: the layout is not zero-sized (it holds the count).
        let raw = unsafe { alloc(layout) }.cast::<Inner<T>>();
        let Some(ptr) = NonNull::new(raw) else {
            return Err(crate::config::refused());
        };
        // SAFETY: `ptr` is a fresh allocation of `Inner<T>`'s layout:
        // valid for writes and aligned; nothing else has it yet.
        unsafe {
            ptr.as_ptr().write(Inner {
                count: AtomicUsize::new(1),
                value,
            });
        }
        Ok(Shared {
            ptr,
            _owns: PhantomData,
        })
    }

    /// Are both clones of one `Shared`?
    pub(super) fn same(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: this clone counts in `count`, so the allocation is live
        // and initialized until it is dropped; it is only ever reached by
        // shared reference.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        let before = self.inner().count.fetch_add(1, Ordering::Relaxed);
        // As `Arc`: a count past `isize::MAX` cannot be reached by clones
        // that each take memory (every clone is held by a heap or a root,
        // and a root holds an entry of the heap's root table); one leaked
        // that many times is stopped before the count wraps.
        if before > isize::MAX as usize {
            std::process::abort();
        }
        Shared {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if self.inner().count.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // Every other clone's use of the value happens before this.
        fence(Ordering::Acquire);
        // SAFETY: this was the last clone: nothing else can reach the
        // allocation, which holds an initialized `Inner<T>` allocated
        // with this layout in `try_new`.
        unsafe {
            std::ptr::drop_in_place(self.ptr.as_ptr());
            dealloc(self.ptr.as_ptr().cast(), Layout::new::<Inner<T>>());
        }
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::Shared;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static DROPS: AtomicUsize = AtomicUsize::new(0);

    struct Counted(u32);
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The value lives while any clone does, on any thread, and is dropped
    /// once, with the last.
    #[test]
    fn the_last_clone_drops_the_value_once() {
        let a = Shared::try_new(Counted(7)).unwrap();
        let b = a.clone();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let c = b.clone();
                std::thread::spawn(move || {
                    let d = c.clone();
                    assert_eq!(d.0, 7);
                })
            })
            .collect();
        drop(a);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(b.0, 7);
        assert_eq!(DROPS.load(Ordering::Relaxed), 0);
        drop(b);
        assert_eq!(DROPS.load(Ordering::Relaxed), 1);
    }
}
