//! Dropping an [`AnyCollector`] does what dropping the strategy it holds
//! does: roots dropped just before it are not released then, so no
//! finalizer hook runs from its `drop` (a hook that panicked there while
//! the program unwinds would abort the process).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gc_any::{AnyCollector, Strategy};
use gc_core::prelude::*;

/// Counts its runs; panics on each when `panics`.
struct Hook {
    runs: Arc<AtomicUsize>,
    panics: bool,
}

impl Finalize for Hook {
    fn finalize<C: Collector>(&mut self, _: &mut Scope<'_, C>, _: Local<'_>) {
        self.runs.fetch_add(1, Ordering::SeqCst);
        assert!(!self.panics, "the hook panics");
    }
}

/// A heap of `strategy` with the hook installed, and a root of an object
/// whose finalizer is due when its last reference goes.
fn heap_with_finalizable_root(strategy: Strategy, hook: Hook) -> (AnyCollector, Root) {
    let mut heap = AnyCollector::from_name_default(strategy.name()).unwrap();
    heap.on_finalize(hook);
    let root = heap
        .scope(|s| {
            let x = s.node(0, 0)?;
            s.set_finalizer(x, Finalizer::Run)?;
            s.root(x)
        })
        .unwrap();
    (heap, root)
}

#[test]
fn a_root_dropped_before_the_heap_runs_no_hook() {
    for strategy in Strategy::ALL {
        let runs = Arc::new(AtomicUsize::new(0));
        let hook = Hook {
            runs: runs.clone(),
            panics: false,
        };
        let (heap, root) = heap_with_finalizable_root(strategy, hook);
        drop(root);
        drop(heap);
        assert_eq!(runs.load(Ordering::SeqCst), 0, "{strategy}");
    }
}

#[test]
fn a_panicking_hook_cannot_abort_a_program_that_drops_its_heap_while_unwinding() {
    for strategy in Strategy::ALL {
        let runs = Arc::new(AtomicUsize::new(0));
        let hook = Hook {
            runs: runs.clone(),
            panics: true,
        };
        let (heap, root) = heap_with_finalizable_root(strategy, hook);
        let caught = catch_unwind(AssertUnwindSafe(move || {
            // Dropped in reverse order while unwinding: the root, then
            // the heap.
            let _heap = heap;
            let _root = root;
            panic!("the program panics");
        }));
        assert!(caught.is_err(), "{strategy}");
        assert_eq!(runs.load(Ordering::SeqCst), 0, "{strategy}");
    }
}

#[test]
fn the_hook_still_runs_at_the_next_operation_while_the_heap_lives() {
    for strategy in [Strategy::Refcount, Strategy::Generational] {
        let runs = Arc::new(AtomicUsize::new(0));
        let hook = Hook {
            runs: runs.clone(),
            panics: false,
        };
        let (mut heap, root) = heap_with_finalizable_root(strategy, hook);
        drop(root);
        heap.flush();
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{strategy}");
    }
}
