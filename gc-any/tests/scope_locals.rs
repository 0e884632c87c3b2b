//! The scopes' locals through `AnyCollector` (the held strategy's own
//! stack): a local or a local's handle of another heap is foreign, a
//! stale one is stale, and heaps swapped under live scopes never make a
//! local name another object, on every strategy.

use gc_any::{AnyCollector, Strategy};
use gc_core::{Collector, Embedding, GcError, Generation};

fn heap(s: Strategy) -> AnyCollector {
    let none: &[(&str, &str)] = &[];
    AnyCollector::from_name(s.name(), none).unwrap()
}

#[test]
fn locals_of_another_heap_or_stale_are_errors_on_every_strategy() {
    for s in Strategy::ALL {
        let mut x = heap(s);
        let mut y = heap(s);
        let stale = x.scope(|sx| {
            let a = sx.atom(&[1]).unwrap();
            let ha = sx.handle(a).unwrap();
            y.scope(|sy| {
                let _b = sy.atom(&[2]).unwrap();
                assert_eq!(sy.handle(a), Err(GcError::ForeignHandle), "{s:?}");
                assert_eq!(
                    sy.heap().payload_mut(ha).map(|p| p[0]),
                    Err(GcError::ForeignHandle)
                );
            });
            ha
        });
        x.scope(|sx| {
            let b = sx.atom(&[3]).unwrap();
            let hb = sx.handle(b).unwrap();
            // A table handle released with its scope, or a local's place
            // reused: stale either way, never `b`.
            assert_eq!(
                sx.heap().payload_mut(stale).map(|p| p[0]),
                Err(GcError::StaleHandle),
                "{s:?}"
            );
            assert_eq!(sx.heap().payload_mut(hb).map(|p| p[0]), Ok(3));
        });
    }
}

#[test]
fn heaps_swapped_under_live_scopes_on_every_strategy() {
    for s in Strategy::ALL {
        let mut x = heap(s);
        let mut y = heap(s);
        x.scope(|sx| {
            let a = sx.atom(&[1]).unwrap();
            y.scope(|sy| {
                std::mem::swap(sy.heap(), sx.heap());
            });
            std::mem::swap(sx.heap(), &mut y);
            let b = sx.atom(&[2]).unwrap();
            sx.collect(Generation::FULL).unwrap();
            let ha = sx.handle(a).unwrap();
            assert_eq!(sx.heap().payload_mut(ha).map(|p| p[0]), Ok(1), "{s:?}");
            let hb = sx.handle(b).unwrap();
            assert_eq!(sx.heap().payload_mut(hb).map(|p| p[0]), Ok(2), "{s:?}");
        });
    }
}
