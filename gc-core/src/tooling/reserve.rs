//! A global allocator with memory put aside for the way out: when the
//! system refuses a small allocation, the reserve goes back to the system
//! and the allocation is tried again, so a program near its memory limit
//! can still parse one more line, format its error and exit cleanly,
//! instead of the standard library's abort ("memory allocation of N bytes
//! failed"). The program then asks [`Reserve::spent`] at its safe points
//! and stops with an out-of-memory error.
//!
//! A program's large allocations that may fail (the collectors' heaps, a
//! trace's line table) ask with `try_reserve` and report the refusal
//! themselves; the reserve is for the small ones nothing can check: a
//! token vector, a message, a line buffer. Emacs keeps such a spare
//! (`memory_full`), as does the JVM for its `OutOfMemoryError`.
//!
//! ```no_run
//! use gc_core::tooling::reserve::Reserve;
//!
//! #[global_allocator]
//! static ALLOC: Reserve = Reserve::system();
//!
//! fn main() {
//!     ALLOC.fill();
//!     // … at each safe point:
//!     if ALLOC.spent() {
//!         eprintln!("out of memory: the system refused the allocation");
//!         std::process::exit(2);
//!     }
//! }
//! ```

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// Whether a reserve of this process gave its memory back (any instance:
/// the installed allocator is the one that matters).
static GIVEN_BACK: AtomicBool = AtomicBool::new(false);

/// Whether the system refused memory that a [`Reserve`] then served: a
/// program that cannot reach its allocator (a library's loop) asks this
/// at its safe points.
pub fn given_back() -> bool {
    GIVEN_BACK.load(Ordering::Relaxed)
}

/// [`given_back`], answered once: `true` for the first caller after a
/// refusal (a program that raises an error for it, once).
pub fn take_given_back() -> bool {
    given_back() && GIVEN_BACK.swap(false, Ordering::Relaxed)
}

/// The memory put aside, in bytes.
pub const RESERVE_BYTES: usize = 8 << 20;

/// The largest request the reserve is given back for: a line of a trace
/// (1 MiB) and then some. A larger refused request is the caller's to
/// handle (it asked with `try_reserve`), or an abort the reserve would
/// not have prevented.
pub const SMALL_BYTES: usize = 2 << 20;

const RESERVE_LAYOUT: Layout = match Layout::from_size_align(RESERVE_BYTES, 4096) {
    Ok(layout) => layout,
    Err(_) => panic!("a valid layout"),
};

/// `A` (the system's allocator by default) with [`RESERVE_BYTES`] put
/// aside by [`Reserve::fill`] and given back the first time a small
/// request is refused.
#[derive(Debug)]
pub struct Reserve<A: GlobalAlloc = System> {
    inner: A,
    spare: AtomicPtr<u8>,
    spent: AtomicBool,
}

impl Reserve<System> {
    /// Over the system's allocator, empty until [`Reserve::fill`].
    pub const fn system() -> Self {
        Reserve::new(System)
    }
}

impl<A: GlobalAlloc> Reserve<A> {
    /// Over `inner`, empty until [`Reserve::fill`].
    pub const fn new(inner: A) -> Self {
        Reserve {
            inner,
            spare: AtomicPtr::new(ptr::null_mut()),
            spent: AtomicBool::new(false),
        }
    }

    /// Puts the reserve aside (once; later calls do nothing). `false`
    /// when the system refused it: the program runs without one.
    pub fn fill(&self) -> bool {
        if !self.spare.load(Ordering::Acquire).is_null() {
            return true;
        }
        // SAFETY: RESERVE_LAYOUT has a non-zero size.
        let p = unsafe { self.inner.alloc(RESERVE_LAYOUT) };
        if p.is_null() {
            return false;
        }
        if self
            .spare
            .compare_exchange(ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Another thread filled it first.
            // SAFETY: `p` was just allocated by `inner` with this layout,
            // and nothing else has it.
            unsafe { self.inner.dealloc(p, RESERVE_LAYOUT) };
        }
        true
    }

    /// Whether the reserve was given back: the system refused memory, and
    /// the program should stop at its next safe point.
    pub fn spent(&self) -> bool {
        self.spent.load(Ordering::Relaxed)
    }

    /// Gives the reserve back to `inner` (once): whether there was one.
    fn give_back(&self) -> bool {
        let p = self.spare.swap(ptr::null_mut(), Ordering::AcqRel);
        if p.is_null() {
            return false;
        }
        self.spent.store(true, Ordering::Relaxed);
        GIVEN_BACK.store(true, Ordering::Relaxed);
        // SAFETY: `p` came from `inner` with RESERVE_LAYOUT (`fill`), and
        // the swap took it out of `spare`: only this call has it.
        unsafe { self.inner.dealloc(p, RESERVE_LAYOUT) };
        true
    }
}

impl<A: GlobalAlloc> Drop for Reserve<A> {
    fn drop(&mut self) {
        let p = *self.spare.get_mut();
        if !p.is_null() {
            // SAFETY: `p` came from `inner` with RESERVE_LAYOUT (`fill`),
            // and the reserve is going: nothing else has it.
            unsafe { self.inner.dealloc(p, RESERVE_LAYOUT) };
        }
    }
}

// SAFETY: every method forwards to `inner` with the caller's arguments,
// whose contract is the same; a retry after `give_back` is another call
// of the same method with the same arguments.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Reserve<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`.
        let p = unsafe { self.inner.alloc(layout) };
        if p.is_null() && layout.size() <= SMALL_BYTES && self.give_back() {
            // SAFETY: as above.
            return unsafe { self.inner.alloc(layout) };
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed`.
        let p = unsafe { self.inner.alloc_zeroed(layout) };
        if p.is_null() && layout.size() <= SMALL_BYTES && self.give_back() {
            // SAFETY: as above.
            return unsafe { self.inner.alloc_zeroed(layout) };
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`: `ptr` came from
        // this allocator, that is from `inner`, with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`; on failure `ptr`
        // is left as it was, so it may be passed again.
        let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if p.is_null() && new_size <= SMALL_BYTES && self.give_back() {
            // SAFETY: as above.
            return unsafe { self.inner.realloc(ptr, layout, new_size) };
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// The system's allocator, refusing every request while `refuse` is
    /// above zero (each refusal counts it down).
    struct Stingy {
        refuse: AtomicUsize,
    }

    // SAFETY: forwards to `System`, or answers null (a refusal).
    unsafe impl GlobalAlloc for Stingy {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if self.refuse.load(Ordering::Relaxed) > 0 {
                self.refuse.fetch_sub(1, Ordering::Relaxed);
                return ptr::null_mut();
            }
            // SAFETY: the caller's contract.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: the caller's contract; every pointer came from System.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    fn stingy() -> Reserve<Stingy> {
        Reserve::new(Stingy {
            refuse: AtomicUsize::new(0),
        })
    }

    #[test]
    fn a_refused_small_request_spends_the_reserve_and_is_served() {
        let a = stingy();
        assert!(a.fill() && a.fill(), "filled once, then already full");
        assert!(!a.spent());
        a.inner.refuse.store(1, Ordering::Relaxed);
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a non-zero size; freed below with the same layout.
        let p = unsafe { a.alloc(layout) };
        assert!(!p.is_null(), "served after the reserve went back");
        assert!(a.spent());
        // SAFETY: allocated above with `layout`.
        unsafe { a.dealloc(p, layout) };
        // Spent: a second refusal is passed on.
        a.inner.refuse.store(1, Ordering::Relaxed);
        // SAFETY: as above.
        assert!(unsafe { a.alloc(layout) }.is_null());
    }

    #[test]
    fn a_refused_growth_is_retried_and_keeps_the_contents() {
        let a = stingy();
        assert!(a.fill());
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a non-zero size; every pointer below is freed once,
        // with the layout it has then.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(7, 64);
            a.inner.refuse.store(1, Ordering::Relaxed);
            let q = a.realloc(p, layout, 128);
            assert!(!q.is_null(), "served after the reserve went back");
            assert!(a.spent());
            assert!((0..64).all(|i| *q.add(i) == 7), "the contents moved");
            a.dealloc(q, Layout::from_size_align(128, 8).unwrap());
        }
    }

    #[test]
    fn a_refused_large_request_is_passed_on_and_keeps_the_reserve() {
        let a = stingy();
        assert!(a.fill());
        a.inner.refuse.store(1, Ordering::Relaxed);
        let layout = Layout::from_size_align(SMALL_BYTES + 1, 8).unwrap();
        // SAFETY: a non-zero size.
        assert!(unsafe { a.alloc(layout) }.is_null());
        assert!(!a.spent());
        assert!(a.give_back(), "the reserve is still there");
    }

    #[test]
    fn without_a_reserve_a_refusal_is_passed_on() {
        let a = stingy();
        a.inner.refuse.store(1, Ordering::Relaxed);
        let layout = Layout::from_size_align(16, 8).unwrap();
        // SAFETY: a non-zero size.
        assert!(unsafe { a.alloc(layout) }.is_null());
        assert!(!a.spent());
    }
}
