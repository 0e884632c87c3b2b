//! CPython's `gc.set_debug(DEBUG_STATS | DEBUG_COLLECTABLE)` lines, sent to
//! `tracing`. A test binary of its own: a `tracing` subscriber set for one
//! thread can miss events while other tests run in the same process
//! (callsite interest is cached process-wide), which made this test fail
//! once in a loaded CI run when it lived in `test_gc.rs`.

mod common;
use common::{collect, heap, node, self_loop};
use gc_core::Collector;
use gc_generational::GcModule;

#[test]
fn debug_stats_and_collectable_lines_go_to_tracing() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let mut h = heap();
        let keep = node(&mut h, 0);
        let n = self_loop(&mut h, 1);
        h.release(n).unwrap();
        h.gc()
            .set_debug(gc_generational::DEBUG_STATS | gc_generational::DEBUG_COLLECTABLE);
        assert_eq!(collect(&mut h, 0), 1);
        h.release(keep).unwrap();
    });
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    for want in [
        "gc: collecting generation 0...",
        "gc: objects in each generation: 2 0 0",
        "gc: objects in permanent generation: 0",
        "gc: collectable <node #1>",
        "gc: done, 1 unreachable, 0 uncollectable,",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
}
