//! The scopes' locals through `AnyCollector` (the held strategy's own
//! stack): a local or a local's handle of another heap is foreign, a
//! stale one is stale, and heaps swapped under live scopes never make a
//! local name another object, on every strategy.

use gc_any::{AnyCollector, Strategy};
use gc_core::{Collector, CollectorExt, Embedding, GcError, Generation, ObjectView};

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

/// `Scope::adopt` refuses what is not a live root of its own heap, and
/// changes nothing: the stack and the root count are as they were.
#[test]
fn adopting_a_stale_or_foreign_handle_is_refused() {
    for s in Strategy::ALL {
        let mut x = heap(s);
        let mut y = heap(s);
        let released = x.alloc_node(0, 0).unwrap();
        x.release(released).unwrap();
        let theirs = y.alloc_node(0, 0).unwrap();
        x.scope(|sx| {
            let before = sx.heap().root_count();
            assert_eq!(sx.adopt(released), Err(GcError::StaleHandle), "{s:?}");
            assert_eq!(sx.adopt(theirs), Err(GcError::ForeignHandle), "{s:?}");
            assert_eq!(sx.heap().root_count(), before, "{s:?}");
            let mine = sx.heap().alloc_node(0, 0).unwrap();
            let local = sx.adopt(mine).unwrap();
            assert_eq!(sx.handle(local), Ok(mine), "{s:?}");
        });
        assert_eq!(x.outstanding_roots(), 0, "{s:?}");
        y.release(theirs).unwrap();
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

/// On the reference-counting strategies a local holds a count of its
/// object, not a root of the table: the counts must still add up.
#[test]
fn locals_keep_their_objects_alive_and_are_counted_as_roots() {
    for s in Strategy::ALL {
        let mut x = heap(s);
        let before = x.outstanding_roots();
        x.scope(|sx| {
            // A two-node cycle held only by a local survives a full
            // collection (the cyclic collector sees the local's count as
            // a reference from outside the heap).
            let a = sx.node(1, 0).unwrap();
            sx.scope(|si| {
                let b = si.node(1, 0).unwrap();
                si.set(a, 0, Some(b)).unwrap();
                si.set(b, 0, Some(a)).unwrap();
            });
            assert_eq!(sx.heap_ref().outstanding_roots(), before + 1, "{s:?}");
            sx.collect(Generation::FULL).unwrap();
            let v = sx.view(a).unwrap();
            let b = v.slot(0).unwrap().expect("b is alive");
            assert!(b.slot(0).unwrap().expect("a is alive").same(v), "{s:?}");
            // A local read from a slot holds its own count: the slot
            // cleared, the object lives on while the local does.
            let b = sx.get(a, 0).unwrap().expect("b");
            sx.set(a, 0, None).unwrap();
            sx.collect(Generation::FULL).unwrap();
            assert!(sx.view(b).unwrap().slot(0).unwrap().is_some(), "{s:?}");
            // A local's raw handle released by hand: the local is stale,
            // and its object goes with its last reference.
            let atom = sx.atom(&[7]).unwrap();
            let h = sx.handle(atom).unwrap();
            sx.heap().release(h).unwrap();
            assert_eq!(sx.view(atom).map(|_| ()), Err(GcError::StaleHandle));
            assert_eq!(sx.heap().release(h), Err(GcError::StaleHandle));
        });
        assert_eq!(x.outstanding_roots(), before, "{s:?}");
        // Everything made above is unreachable now.
        x.collect(Generation::FULL).unwrap();
        if s.name() != "null" {
            assert_eq!(x.stats().live_objects, 0, "{s:?}: {:?}", x.stats());
        }
    }
}

/// A finalizer hook that swaps heaps at the end of an allocation (the
/// allocation collected, found the finalizer due, and ran it last): the
/// new local was pushed on the first heap's stack, so it must not name a
/// place on the heap swapped in.
#[test]
fn a_local_made_while_a_finalizer_swaps_heaps_is_foreign_to_the_other_heap() {
    use gc_core::embed::lend;
    use gc_core::{CollectorExt, Control, Finalizer, Scope};
    use gc_generational::Generational;

    let mut x = Generational::new_default().unwrap();
    let mut y = Generational::new_default().unwrap();
    x.on_finalize_with(
        |spare: &mut Generational, s: &mut Scope<'_, Generational>, _| {
            std::mem::swap(s.heap(), spare);
        },
    )
    .unwrap();
    x.scope(|s| {
        s.scope(|i| -> Result<(), GcError> {
            let a = i.node(1, 0)?;
            i.set(a, 0, Some(a))?;
            i.set_finalizer(a, Finalizer::Run)
        })
        .unwrap();
        // The next container collects generation 0, which finds the
        // cycle; its finalizer runs when the allocation ends.
        s.control(Control::Threshold(1, None, None)).unwrap();
        let made = lend(&mut y, || s.node(0, 0)).unwrap();
        assert_eq!(s.handle(made), Err(GcError::ForeignHandle));
        assert_eq!(s.view(made).map(|_| ()), Err(GcError::ForeignHandle));
    });
}
