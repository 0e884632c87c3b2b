//! Replacing the strategy inside an [`AnyCollector`] (through
//! [`AnyCollector::inner_mut`]) takes the release queue along: roots made
//! and dropped afterwards are released on the strategy now held, and the
//! strategy taken out keeps releasing its own.

use gc_any::{AnyCollector, Inner};
use gc_core::NullCollector;
use gc_core::prelude::*;

fn inner(strategy: &str) -> Inner {
    let mut any = AnyCollector::from_name(strategy, &[] as &[(&str, &str)]).unwrap();
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
        let mut any = AnyCollector::from_name(first, &[] as &[(&str, &str)]).unwrap();
        let old_root = any.scope(|s| {
            let a = s.node(0, 0).unwrap();
            s.root(a).unwrap()
        });
        let mut old = std::mem::replace(&mut *any.inner_mut(), inner(second));
        let new_roots: Vec<Root> = any.scope(|s| {
            (0..3)
                .map(|_| {
                    let a = s.node(0, 0).unwrap();
                    s.root(a).unwrap()
                })
                .collect()
        });
        assert_eq!(any.outstanding_roots(), 3, "{first} then {second}");
        // Both dropped before either heap drains: each drain must take
        // only its own heap's roots.
        drop(old_root);
        drop(new_roots);
        any.flush();
        assert_eq!(
            any.outstanding_roots(),
            0,
            "{first} then {second}: new roots"
        );
        assert_eq!(outstanding(&mut old), 0, "{first} then {second}: old root");
    }
}
