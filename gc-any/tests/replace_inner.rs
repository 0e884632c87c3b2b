//! Replacing the strategy inside an [`AnyCollector`] (through
//! [`AnyCollector::inner_mut`]) takes the release queue along: roots made
//! and dropped afterwards are released on the strategy now held, and the
//! strategy taken out keeps releasing its own.

use gc_any::{AnyCollector, Inner};
use gc_core::NullCollector;
use gc_core::prelude::*;

fn inner(strategy: &str) -> Inner {
    let mut any = AnyCollector::from_name_default(strategy).unwrap();
    std::mem::replace(
        &mut *any.inner_mut(),
        Inner::Null(NullCollector::new_default().unwrap()),
    )
}

/// Flushes the strategy taken out and counts its roots still held.
fn outstanding(inner: &mut Inner) -> usize {
    match inner {
        Inner::Null(c) => {
            c.flush();
            c.outstanding_roots()
        }
        Inner::Refcount(c) => {
            c.flush();
            c.outstanding_roots()
        }
        Inner::Generational(c) => {
            c.flush();
            c.outstanding_roots()
        }
        Inner::Marksweep(c) => {
            c.flush();
            c.outstanding_roots()
        }
    }
}

#[test]
fn roots_after_a_replacement_are_released_on_the_new_strategy() {
    for (first, second) in [("refcount", "marksweep"), ("generational", "refcount")] {
        let mut any = AnyCollector::from_name_default(first).unwrap();
        let (old_root, old_weak, old_unrooted) = any.scope(|s| {
            let a = s.node(0, 0).unwrap();
            (
                s.root(a).unwrap(),
                s.weak(a, false).unwrap(),
                s.root(a).unwrap(),
            )
        });
        let mut old = std::mem::replace(&mut *any.inner_mut(), inner(second));
        let (new_roots, new_weak) = any.scope(|s| {
            let roots: Vec<Root> = (0..3)
                .map(|_| {
                    let a = s.node(0, 0).unwrap();
                    s.root(a).unwrap()
                })
                .collect();
            let first_local = s.local(&roots[0]).unwrap();
            let weak = s.weak(first_local, false).unwrap();
            // The old strategy's root is another heap's now: refused, and
            // still queued on its own heap when dropped.
            assert_eq!(s.unroot(old_unrooted), Err(GcError::ForeignHandle));
            (roots, weak)
        });
        assert_eq!(any.outstanding_roots(), 3, "{first} then {second}");
        // All dropped before either heap drains: each drain must take
        // only its own heap's roots.
        drop((old_root, old_weak));
        drop((new_roots, new_weak));
        any.flush();
        assert_eq!(
            any.outstanding_roots(),
            0,
            "{first} then {second}: new roots"
        );
        assert_eq!(outstanding(&mut old), 0, "{first} then {second}: old root");
    }
}
