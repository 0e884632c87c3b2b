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

/// Two generational heaps; the first's finalizer hook swaps the heap it
/// runs on with the one lent to it.
fn heaps_whose_finalizer_swaps_them()
-> (gc_generational::Generational, gc_generational::Generational) {
    use gc_core::{CollectorExt, Scope};
    use gc_generational::Generational;
    let mut x = Generational::new_default().unwrap();
    let y = Generational::new_default().unwrap();
    x.on_finalize_with(
        |spare: &mut Generational, s: &mut Scope<'_, Generational>, _| {
            std::mem::swap(s.heap(), spare);
        },
    )
    .unwrap();
    (x, y)
}

/// Two reference-counting heaps; the first's finalizer hook swaps the heap
/// it runs on with the one lent to it.
fn refcount_heaps_whose_finalizer_swaps_them() -> (gc_refcount::RefCount, gc_refcount::RefCount) {
    use gc_core::{CollectorExt, Scope};
    use gc_refcount::RefCount;
    let mut x = RefCount::new_default().unwrap();
    let y = RefCount::new_default().unwrap();
    x.on_finalize_with(|spare: &mut RefCount, s: &mut Scope<'_, RefCount>, _| {
        std::mem::swap(s.heap(), spare);
    })
    .unwrap();
    (x, y)
}

/// A dropped self-cycle whose finalizer runs the hook.
fn finalizable_garbage_cycle<C: Collector>(s: &mut gc_core::Scope<'_, C>) {
    s.scope(|i| -> Result<(), GcError> {
        let a = i.node(1, 0)?;
        i.set(a, 0, Some(a))?;
        i.set_finalizer(a, gc_core::Finalizer::Run)
    })
    .unwrap();
}

/// A finalizer hook that swaps heaps at the end of an allocation (the
/// allocation collected, found the finalizer due, and ran it last): the
/// new local was pushed on the first heap's stack, so it must not name a
/// place on the heap swapped in.
#[test]
fn a_local_made_while_a_finalizer_swaps_heaps_is_foreign_to_the_other_heap() {
    use gc_core::Control;
    use gc_core::embed::lend;

    let (mut x, mut y) = heaps_whose_finalizer_swaps_them();
    x.scope(|s| {
        finalizable_garbage_cycle(s);
        // The next container collects generation 0, which finds the
        // cycle; its finalizer runs inside that collection (a strategy
        // that runs it when the allocation ends has pushed the local
        // first). Either the allocation fails, or its local is foreign.
        s.control(Control::Threshold(1, None, None)).unwrap();
        match lend(&mut y, || s.node(0, 0)) {
            Ok(made) => {
                assert_eq!(s.handle(made), Err(GcError::ForeignHandle));
                assert_eq!(s.view(made).map(|_| ()), Err(GcError::ForeignHandle));
            }
            Err(e) => assert_eq!(e, GcError::ForeignHandle),
        }
    });
}

/// A finalizer hook that swaps heaps in the middle of an allocation, before
/// the new local is pushed (generational runs finalizers inside the
/// collection the allocation starts): the local is pushed on the heap
/// swapped in, at a place that the first heap's stack also has. Named with
/// the first stack's stamp, it would name that stack's local there (`keep`)
/// once the heaps are swapped back: it must never resolve to it.
#[test]
fn a_local_pushed_on_the_heap_a_finalizer_swapped_in_never_names_the_first_heaps_local() {
    use gc_core::embed::lend;
    use gc_core::{Control, Kind};

    let (mut x, mut y) = heaps_whose_finalizer_swaps_them();
    x.scope(|s| {
        // Place 0 of x's stack; y's stack is empty.
        let keep = s.atom(&[42]).unwrap();
        finalizable_garbage_cycle(s);
        s.control(Control::Threshold(1, None, None)).unwrap();
        // Collects, finds the cycle, runs its finalizer (the swap), then
        // makes the node on y's heap, where it would go to place 0 of y's
        // stack: the allocation must fail, or its local never resolve.
        let made = lend(&mut y, || s.node(0, 0));
        // Back on x's heap.
        std::mem::swap(s.heap(), &mut y);
        let made = match made {
            Ok(made) => made,
            Err(e) => {
                assert_eq!(e, GcError::ForeignHandle);
                assert_eq!(s.view(keep).unwrap().payload(), &[42]);
                return;
            }
        };
        match s.view(made) {
            Ok(v) => assert_eq!(
                (v.kind(), v.payload().len()),
                (Kind::Node, 0),
                "the new node's local names `keep`"
            ),
            Err(e) => assert!(
                matches!(e, GcError::ForeignHandle | GcError::StaleHandle),
                "{e:?}"
            ),
        }
        assert_eq!(s.view(keep).unwrap().payload(), &[42]);
    });
}

/// The same through a pair on reference counting: a finalizer due from
/// before (nothing was lent when its object died) runs at the start of the
/// next tuple, swaps heaps, and the tuple's members would be read at their
/// places on the other heap's stack (its locals), the tuple pushed there,
/// and named as a place of the first heap's stack (`c`).
#[test]
fn a_pair_made_after_a_finalizer_swapped_heaps_takes_no_local_of_the_other_heap() {
    use gc_core::embed::lend;
    use gc_core::{Finalizer, Kind};

    let (mut x, mut y) = refcount_heaps_whose_finalizer_swaps_them();
    x.scope(|s| {
        let a = s.atom(&[1]).unwrap();
        let b = s.atom(&[2]).unwrap();
        let c = s.atom(&[3]).unwrap();
        // Dies with its scope while nothing is lent: its finalizer waits.
        s.scope(|i| -> Result<(), GcError> {
            let f = i.node(0, 0)?;
            i.set_finalizer(f, Finalizer::Run)
        })
        .unwrap();
        y.scope(|sy| {
            let _ya = sy.atom(&[10]).unwrap();
            let _yb = sy.atom(&[20]).unwrap();
            let made = lend(sy.heap(), || s.tuple(&[Some(a), Some(b)]));
            std::mem::swap(s.heap(), sy.heap());
            match made {
                Ok(t) => match s.view(t) {
                    Ok(v) => {
                        assert_eq!(v.kind(), Kind::Tuple, "the pair's local names `c`");
                        assert_eq!(v.slot(0).unwrap().unwrap().payload(), &[1]);
                        assert_eq!(v.slot(1).unwrap().unwrap().payload(), &[2]);
                    }
                    Err(e) => assert!(
                        matches!(e, GcError::ForeignHandle | GcError::StaleHandle),
                        "{e:?}"
                    ),
                },
                Err(e) => assert!(
                    matches!(e, GcError::ForeignHandle | GcError::StaleHandle),
                    "{e:?}"
                ),
            }
        });
        for (l, v) in [(a, 1), (b, 2), (c, 3)] {
            assert_eq!(s.view(l).unwrap().payload(), &[v]);
        }
    });
}

/// A child scope run while the parent's heap is swapped for another (the
/// parent is not on that heap's stack): the local that escapes goes to the
/// place where the child began on the other heap's stack, which no scope of
/// the parent holds (the other heap's own scope pops it when it ends). It
/// must never resolve to what takes that place later.
#[test]
fn a_local_escaping_a_child_run_on_a_swapped_heap_never_names_a_later_local() {
    for s in Strategy::ALL {
        let mut x = heap(s);
        let mut y = heap(s);
        x.scope(|sx| {
            let e = y.scope(|sy| {
                std::mem::swap(sx.heap(), sy.heap());
                // The child runs on y's stack, at its place 0.
                let e = sx.child(|i| i.atom(&[1])).unwrap();
                std::mem::swap(sx.heap(), sy.heap());
                e
                // `sy` ends on y's heap and pops its stack down to 0.
            });
            y.scope(|sy| {
                let z = sy.atom(&[99]).unwrap();
                std::mem::swap(sx.heap(), sy.heap());
                match sx.view(e) {
                    Ok(v) => assert_eq!(v.payload(), &[1], "{s:?}: `e` names `z`"),
                    Err(e) => assert!(
                        matches!(e, GcError::ForeignHandle | GcError::StaleHandle),
                        "{s:?}: {e:?}"
                    ),
                }
                std::mem::swap(sx.heap(), sy.heap());
                assert_eq!(sy.view(z).unwrap().payload(), &[99]);
            });
        });
    }
}

/// The same on the parent's own stack, where a later scope is the innermost
/// (heaps swapped under both): the child's local, kept above that scope's
/// base, is popped when that scope ends, and the parent must not name what
/// it pushes there next.
#[test]
fn a_local_escaping_a_child_above_a_later_scope_never_names_a_later_local() {
    for s in Strategy::ALL {
        let mut x = heap(s);
        let mut y = heap(s);
        x.scope(|sa| {
            let a0 = sa.atom(&[1]).unwrap();
            let e = y.scope(|sb| {
                std::mem::swap(sa.heap(), sb.heap());
                let e = sb.scope(|t| {
                    // `t` is the innermost scope on x's stack.
                    let _t1 = t.atom(&[2]).unwrap();
                    std::mem::swap(sa.heap(), t.heap());
                    let e = sa.child(|i| i.atom(&[3])).unwrap();
                    std::mem::swap(sa.heap(), t.heap());
                    e
                    // `t` ends on x's heap and pops its stack down to 1.
                });
                std::mem::swap(sa.heap(), sb.heap());
                e
            });
            let n1 = sa.atom(&[4]).unwrap();
            let n2 = sa.atom(&[5]).unwrap();
            match sa.view(e) {
                Ok(v) => assert_eq!(v.payload(), &[3], "{s:?}: `e` names a later local"),
                Err(e) => assert!(
                    matches!(e, GcError::ForeignHandle | GcError::StaleHandle),
                    "{s:?}: {e:?}"
                ),
            }
            for (l, v) in [(a0, 1), (n1, 4), (n2, 5)] {
                assert_eq!(sa.view(l).unwrap().payload(), &[v], "{s:?}");
            }
        });
    }
}

/// `Scope::child_tuple` whose body drops the last root of an object with a
/// finalizer: the release waits for the next operation, which is the tuple
/// itself; the finalizer hook it runs swaps heaps. The tuple must then not
/// take the other heap's top locals (`ya`, `yb`) for its members: it is
/// refused, and both heaps' locals still name their own objects.
#[test]
fn a_child_tuple_whose_settling_swaps_heaps_takes_no_local_of_the_other_heap() {
    use gc_core::Finalizer;
    use gc_core::embed::lend;

    let (mut x, mut y) = refcount_heaps_whose_finalizer_swaps_them();
    x.scope(|s| {
        let keep = s.atom(&[3]).unwrap();
        y.scope(|sy| {
            let ya = sy.atom(&[10]).unwrap();
            let yb = sy.atom(&[20]).unwrap();
            let made = lend(sy.heap(), || {
                s.child_tuple(|i| {
                    // Only the root holds the finalizable node.
                    let root = i.scope(|j| -> Result<_, GcError> {
                        let f = j.node(0, 0)?;
                        j.set_finalizer(f, Finalizer::Run)?;
                        j.root(f)
                    })?;
                    let a = i.atom(&[1])?;
                    let b = i.atom(&[2])?;
                    drop(root);
                    Ok::<_, GcError>([Some(a), Some(b)])
                })
            });
            // The hook swapped: `s` holds y's heap now; swap back.
            std::mem::swap(s.heap(), sy.heap());
            assert_eq!(made.map(|_| ()), Err(GcError::ForeignHandle));
            assert_eq!(sy.view(ya).unwrap().payload(), &[10]);
            assert_eq!(sy.view(yb).unwrap().payload(), &[20]);
        });
        assert_eq!(s.view(keep).unwrap().payload(), &[3]);
    });
}

/// `Scope::child_tuple` whose tuple allocation collects, and the finalizer
/// hook run in that collection leaves a local of its own above the body's
/// (a scope of the hook's ended while its heap was swapped out, then the
/// heap came back): the members are no longer the stack's top, and the
/// tuple must not take them over (popping the stack down to them would
/// drop that local without its count). It is refused.
#[test]
fn a_child_tuple_whose_hook_leaves_a_local_above_its_members_takes_nothing() {
    use gc_core::{Control, Finalize, Local, Scope};
    use gc_generational::Generational;

    struct LeaveALocal;
    impl Finalize for LeaveALocal {
        fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, _: Local<'_>) {
            let mut other = C::with_config(Default::default()).unwrap();
            s.scope(|t| {
                t.atom(b"left").unwrap();
                std::mem::swap(t.heap(), &mut other);
            });
            std::mem::swap(s.heap(), &mut other);
        }
    }
    let mut x = Generational::new_default().unwrap();
    x.on_finalize(LeaveALocal);
    x.scope(|s| {
        finalizable_garbage_cycle(s);
        // The tuple is the next container: it collects generation 0,
        // which finds the cycle and runs the hook.
        s.control(Control::Threshold(1, None, None)).unwrap();
        let made = s.child_tuple(|i| Ok::<_, GcError>([Some(i.atom(&[1])?), Some(i.atom(&[2])?)]));
        assert_eq!(made.map(|_| ()), Err(GcError::ForeignHandle));
    });
}
