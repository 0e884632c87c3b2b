//! Lending the embedder's own state to its finalizers for the length of a
//! call: what lets a runtime run its own code — its frames, class table,
//! output — as the finalizer, in the middle of a collection or at the
//! moment a count reaches zero.
//!
//! A finalizer is called from inside a heap operation, so it cannot own
//! the runtime's state (the runtime is using it) nor borrow it (the hook is
//! stored in the heap, `'static`). The runtime lends it instead, around the
//! operations that may finalize: [`lend`]`(&mut state, || heap_op())`. For
//! that call, a hook installed with
//! [`Embedding::on_finalize_with`](super::Embedding::on_finalize_with)
//! (or any code, through [`with_lent`]) gets `&mut state` — the runtime gave
//! up its own borrow to make the call, so there is exactly one. A
//! finalizer due while nothing is lent waits, its object rooted, until the
//! next operation that lends.
//!
//! The loan is a stack per thread (a heap moved to another thread finds
//! nothing lent there), keyed by type; it ends when `lend` returns or
//! unwinds. While a hook holds the state, it is not lent again
//! ([`with_lent`] returns `None`), so a finalizer due during a finalizer
//! waits its turn — unless the hook is a nested one
//! ([`Embedding::on_finalize_nested_with`](super::Embedding::on_finalize_nested_with))
//! and the embedder lends again around its operations inside the hook:
//! then it runs inside, as CPython runs the `__del__` of an object a
//! running `__del__` drops.

#![allow(unsafe_code)]

use std::any::TypeId;
use std::cell::RefCell;

/// One loan: the address of a `&mut X` the lender holds for the length of
/// its [`lend`] call.
struct Loan {
    ty: TypeId,
    ptr: *mut (),
    /// Handed out by [`with_lent`] right now.
    busy: bool,
}

thread_local! {
    static LOANS: RefCell<Vec<Loan>> = const { RefCell::new(Vec::new()) };
}

/// Lends `cx` to the finalizers (and any [`with_lent`] caller) that run on
/// this thread while `f` runs, and returns what `f` returns. Loans nest:
/// the innermost loan of a type is the one handed out.
///
/// ```
/// use gc_core::embed::{lend, with_lent};
///
/// let mut output = Vec::<String>::new();
/// lend(&mut output, || {
///     // Deep inside a heap operation, a finalizer reaches it:
///     with_lent(|out: &mut Vec<String>| out.push("deleted".into()));
///     // Only one borrower at a time:
///     with_lent(|_: &mut Vec<String>| assert!(with_lent(|_: &mut Vec<String>| ()).is_none()));
/// });
/// assert_eq!(output, ["deleted"]);
/// assert!(with_lent(|_: &mut Vec<String>| ()).is_none()); // the loan is over
/// ```
///
/// If the system refuses the memory for the loan (the thread's stack of
/// loans must grow), `f` runs with nothing lent: a finalizer due meanwhile
/// waits, its object rooted, as when nothing is lent.
pub fn lend<X: 'static, R>(cx: &mut X, f: impl FnOnce() -> R) -> R {
    let ptr = (cx as *mut X).cast::<()>();
    let depth = LOANS.with(|l| {
        let mut l = l.borrow_mut();
        l.try_reserve(1).ok()?;
        l.push(Loan {
            ty: TypeId::of::<X>(),
            ptr,
            busy: false,
        });
        Some(l.len())
    });
    let Some(depth) = depth else {
        return f();
    };
    /// Ends the loan when `lend` returns or unwinds.
    struct End(usize);
    impl Drop for End {
        fn drop(&mut self) {
            LOANS.with(|l| l.borrow_mut().truncate(self.0 - 1));
        }
    }
    let _end = End(depth);
    f()
}

/// Runs `f` with the innermost value of type `X` lent on this thread
/// ([`lend`]); `None` (without calling `f`) when none is lent or it is
/// already handed out (to the code that called this, further up).
pub fn with_lent<X: 'static, R>(f: impl FnOnce(&mut X) -> R) -> Option<R> {
    let (index, ptr) = LOANS.with(|l| {
        let mut l = l.borrow_mut();
        let i = l.iter().rposition(|e| e.ty == TypeId::of::<X>())?;
        if l[i].busy {
            return None;
        }
        l[i].busy = true;
        Some((i, l[i].ptr))
    })?;
    /// Gives the loan back when `f` returns or unwinds.
    struct Back(usize);
    impl Drop for Back {
        fn drop(&mut self) {
            LOANS.with(|l| {
                if let Some(e) = l.borrow_mut().get_mut(self.0) {
                    e.busy = false;
                }
            });
        }
    }
    let _back = Back(index);
    // SAFETY: `ptr` came from a `&mut X` (the type id says `X`) that the
    // `lend` call which pushed this loan holds, unused, until it returns;
    // that call is further up this thread's stack (its `End` guard pops the
    // loan before the borrow ends, on return and on unwind, and loans above
    // it are popped first), so the pointee is live and nothing else uses
    // it. `busy` makes this the only `&mut X` made from the loan until
    // `Back` clears it, and the reference cannot leave `f` (`R` does not
    // depend on its lifetime).
    let cx = unsafe { &mut *ptr.cast::<X>() };
    Some(f(cx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loan_is_handed_out_once_at_a_time_and_ends_with_the_call() {
        let mut n = 0u32;
        lend(&mut n, || {
            assert_eq!(with_lent(|n: &mut u32| *n += 1), Some(()));
            with_lent(|n: &mut u32| {
                *n += 1;
                assert!(with_lent(|_: &mut u32| ()).is_none());
                assert!(with_lent(|_: &mut i64| ()).is_none());
            });
        });
        assert_eq!(n, 2);
        assert!(with_lent(|_: &mut u32| ()).is_none());
    }

    #[test]
    fn loans_nest_and_the_innermost_is_handed_out() {
        let mut outer = 1u8;
        lend(&mut outer, || {
            with_lent(|o: &mut u8| {
                let mut inner = 10u8;
                lend(&mut inner, || with_lent(|i: &mut u8| *i += 1));
                assert_eq!(inner, 11);
                *o += 1;
            });
            assert_eq!(with_lent(|o: &mut u8| *o), Some(2));
        });
        assert_eq!(outer, 2);
    }

    #[test]
    fn a_panic_ends_the_loan_and_frees_it() {
        let mut n = 0u32;
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lend(&mut n, || {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    with_lent(|_: &mut u32| panic!("in a finalizer"))
                }));
                // Given back by the unwind:
                assert_eq!(with_lent(|n: &mut u32| *n += 5), Some(()));
                panic!("in the operation");
            })
        }));
        assert!(r.is_err());
        assert_eq!(n, 5);
        assert!(with_lent(|_: &mut u32| ()).is_none());
    }

    #[test]
    fn another_thread_sees_nothing_lent() {
        let mut n = 0u32;
        lend(&mut n, || {
            std::thread::scope(|s| {
                s.spawn(|| assert!(with_lent(|_: &mut u32| ()).is_none()));
            });
        });
    }
}
