//! A global allocator with memory put aside for the way out: when the
//! system refuses a small allocation, the reserve goes back to the system
//! and the allocation is tried again, so a program near its memory limit
//! can still parse one more line, format its error and exit cleanly,
//! instead of the standard library's abort ("memory allocation of N bytes
//! failed"). The program then asks [`Reserve::spent`] at its safe points
//! and stops with an out-of-memory error.
//!
//! Below the reserve, a last resort: [`LAST_RESORT_BYTES`] in the
//! program's own image, never freed, for small requests refused when the
//! reserve is gone or was never had (a request before `main`, a second
//! refusal on the way out). [`Reserve::fill`] answers `false` when the
//! system refused the reserve; a program then stops at once.
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
//!     if !ALLOC.fill() {
//!         eprintln!("out of memory: no room for the reserve");
//!         std::process::exit(2);
//!     }
//!     // … at each safe point:
//!     if ALLOC.spent() {
//!         eprintln!("out of memory: the system refused the allocation");
//!         std::process::exit(2);
//!     }
//! }
//! ```

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

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

/// The last resort's size, in bytes.
pub const LAST_RESORT_BYTES: usize = 64 << 10;

/// The last resort: zeroed bytes of the program's image handed out from
/// the front, never taken back (so never written before they are handed
/// out: still zero, as `alloc_zeroed` needs).
#[repr(C, align(4096))]
struct LastResort {
    bytes: UnsafeCell<[u8; LAST_RESORT_BYTES]>,
    used: AtomicUsize,
}

// SAFETY: `used` hands each byte out once (a compare-exchange), so no two
// threads are ever given the same bytes.
unsafe impl Sync for LastResort {}

static LAST_RESORT: LastResort = LastResort {
    bytes: UnsafeCell::new([0; LAST_RESORT_BYTES]),
    used: AtomicUsize::new(0),
};

impl LastResort {
    /// Bytes for `layout` never handed out before (so still zero), or
    /// null when too few are left.
    fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.bytes.get().cast::<u8>();
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let start = (base.addr() + used).next_multiple_of(layout.align()) - base.addr();
            let Some(end) = start
                .checked_add(layout.size())
                .filter(|&end| end <= LAST_RESORT_BYTES)
            else {
                return ptr::null_mut();
            };
            match self
                .used
                .compare_exchange_weak(used, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                // SAFETY: `start..end` lies within `bytes`.
                Ok(_) => return unsafe { base.add(start) },
                Err(now) => used = now,
            }
        }
    }

    /// Whether `p` was handed out by the last resort.
    fn holds(&self, p: *mut u8) -> bool {
        let base = self.bytes.get().cast::<u8>().addr();
        (base..base + LAST_RESORT_BYTES).contains(&p.addr())
    }
}

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

    /// What is left for a small request `inner` refused: the reserve
    /// given back and `retry` again, or else the last resort. Null for a
    /// large one.
    fn refused(&self, layout: Layout, retry: impl FnOnce() -> *mut u8) -> *mut u8 {
        if layout.size() > SMALL_BYTES {
            return ptr::null_mut();
        }
        let p = if self.give_back() {
            retry()
        } else {
            ptr::null_mut()
        };
        if !p.is_null() {
            return p;
        }
        self.spent.store(true, Ordering::Relaxed);
        GIVEN_BACK.store(true, Ordering::Relaxed);
        LAST_RESORT.alloc(layout)
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

// SAFETY: a request `inner` serves is forwarded with the caller's
// arguments, whose contract is the same, and a retry after `give_back` is
// another such call. A request `inner` refused may be served by the last
// resort instead: bytes of a static that no one else is given (see
// `LastResort::alloc`), aligned to `layout`, zero until handed out. A
// pointer is told apart by its address (`LastResort::holds`): the last
// resort's are never passed to `inner`, and freeing one does nothing
// (its bytes are never handed out again); a `realloc` into or out of it
// copies the old size or the new, whichever is less, and frees `inner`'s
// old block only after that copy.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Reserve<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`.
        let p = unsafe { self.inner.alloc(layout) };
        if p.is_null() {
            // SAFETY: as above.
            return self.refused(layout, || unsafe { self.inner.alloc(layout) });
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed`.
        let p = unsafe { self.inner.alloc_zeroed(layout) };
        if p.is_null() {
            // SAFETY: as above.
            return self.refused(layout, || unsafe { self.inner.alloc_zeroed(layout) });
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if LAST_RESORT.holds(ptr) {
            return;
        }
        // SAFETY: the caller's contract for `dealloc`: `ptr` came from
        // this allocator and not from the last resort, so from `inner`,
        // with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`: `new_size`, rounded
        // up to `layout.align()`, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if LAST_RESORT.holds(ptr) {
            // SAFETY: as above, for `alloc`.
            let p = unsafe { self.alloc(new_layout) };
            if !p.is_null() {
                // SAFETY: `ptr` has `layout.size()` bytes, `p` has
                // `new_size`, and they are distinct allocations.
                unsafe { ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size)) };
            }
            return p;
        }
        // SAFETY: the caller's contract for `realloc`; on failure `ptr`
        // is left as it was, so it may be passed again.
        let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            return p;
        }
        // SAFETY: as above.
        let p = self.refused(new_layout, || unsafe {
            self.inner.realloc(ptr, layout, new_size)
        });
        if !p.is_null() && LAST_RESORT.holds(p) {
            // SAFETY: `ptr` is still `inner`'s with `layout` (both tries
            // failed); the last resort's `p` has `new_size` bytes.
            unsafe {
                ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                self.inner.dealloc(ptr, layout);
            }
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
        // Spent: a second refusal is served by the last resort, and
        // freeing it does nothing.
        a.inner.refuse.store(1, Ordering::Relaxed);
        // SAFETY: as above.
        let q = unsafe { a.alloc(layout) };
        assert!(LAST_RESORT.holds(q));
        // SAFETY: allocated above with `layout`.
        unsafe { a.dealloc(q, layout) };
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
    fn without_a_reserve_the_last_resort_serves_and_grows() {
        let a = stingy();
        a.inner.refuse.store(1, Ordering::Relaxed);
        let layout = Layout::from_size_align(16, 8).unwrap();
        // SAFETY: a non-zero size; every pointer below is freed once, with
        // the layout it has then.
        unsafe {
            let p = a.alloc(layout);
            assert!(LAST_RESORT.holds(p) && p.addr() % 8 == 0);
            assert!(a.spent());
            p.write_bytes(9, 16);
            // Grown out of the last resort (the system serves again).
            let q = a.realloc(p, layout, 4096);
            assert!(!q.is_null() && !LAST_RESORT.holds(q));
            assert!((0..16).all(|i| *q.add(i) == 9), "the contents moved");
            // Grown into it (refused).
            a.inner.refuse.store(2, Ordering::Relaxed);
            let big = Layout::from_size_align(4096, 8).unwrap();
            let r = a.realloc(q, big, 8192);
            assert!(LAST_RESORT.holds(r));
            assert!((0..16).all(|i| *r.add(i) == 9), "the contents moved");
            a.dealloc(r, Layout::from_size_align(8192, 8).unwrap());
            // Zeroed, as asked.
            a.inner.refuse.store(1, Ordering::Relaxed);
            let z = a.alloc_zeroed(layout);
            assert!(LAST_RESORT.holds(z));
            assert!((0..16).all(|i| *z.add(i) == 0));
            a.dealloc(z, layout);
            // More than is left: passed on.
            a.inner.refuse.store(1, Ordering::Relaxed);
            let most = Layout::from_size_align(LAST_RESORT_BYTES, 8).unwrap();
            assert!(a.alloc(most).is_null());
        }
    }
}
