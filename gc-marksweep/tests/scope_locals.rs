//! Adversarial tests of the scopes' local stack on marksweep (a heap that
//! roots its scopes' locals itself): a stale local or a local's handle is
//! an error, never another object, whatever safe code does.

use gc_core::{Collector, Embedding, GcError, Generation, Handle};
use gc_marksweep::IncMiniMark;

fn heap() -> IncMiniMark {
    IncMiniMark::with_config(Default::default()).unwrap()
}

fn byte<C: Collector>(h: &mut C, handle: Handle) -> Result<u8, GcError> {
    Ok(h.payload_mut(handle)?[0])
}

/// Two heaps swapped under two live scopes (`Scope::heap` lends `&mut C`):
/// the inner scope, ending on the outer scope's heap, must not drop the
/// outer scope's locals, so that an outer local never names another
/// object later.
#[test]
fn swapping_heaps_under_live_scopes_leaves_no_local_naming_another_object() {
    let mut x = heap();
    let mut y = heap();
    x.scope(|sx| {
        let a = sx.atom(&[1]).unwrap();
        y.scope(|sy| {
            std::mem::swap(sy.heap(), sx.heap());
            // sy now works on x's heap, whose stack holds `a`.
        });
        // Back: sx works on its own heap again.
        std::mem::swap(sx.heap(), &mut y);
        // Made on the same heap after the inner scope ended.
        let b = sx.atom(&[2]).unwrap();
        sx.collect(Generation::FULL).unwrap();
        match sx.handle(a) {
            Ok(h) => assert_eq!(byte(sx.heap(), h), Ok(1), "`a` is another object"),
            Err(e) => assert!(matches!(e, GcError::StaleHandle | GcError::ForeignHandle)),
        }
        let hb = sx.handle(b).unwrap();
        assert_eq!(byte(sx.heap(), hb), Ok(2));
    });
}

/// A scope whose stack a later scope took (heaps swapped under both)
/// pushes nothing there while that scope lives: the later scope's end
/// would pop it.
#[test]
fn a_scope_does_not_push_above_a_later_scope_on_its_stack() {
    let mut x = heap();
    let mut other = heap();
    x.scope(|sa| {
        let a0 = sa.atom(&[1]).unwrap();
        std::mem::swap(sa.heap(), &mut other);
        other.scope(|b| {
            let b1 = b.atom(&[2]).unwrap();
            std::mem::swap(b.heap(), sa.heap());
            // `sa` holds its own stack again, but `b` is the innermost
            // scope there.
            assert_eq!(sa.atom(&[3]).map(|_| ()), Err(GcError::ForeignHandle));
            assert_eq!(sa.get(a0, 0).map(|_| ()), Err(GcError::ForeignHandle));
            std::mem::swap(b.heap(), sa.heap());
            let h = b.handle(b1).unwrap();
            assert_eq!(byte(b.heap(), h), Ok(2));
        });
        std::mem::swap(sa.heap(), &mut other);
        let a1 = sa.atom(&[4]).unwrap();
        let a2 = sa.atom(&[5]).unwrap();
        sa.collect(Generation::FULL).unwrap();
        for (l, v) in [(a0, 1), (a1, 4), (a2, 5)] {
            let h = sa.handle(l).unwrap();
            assert_eq!(byte(sa.heap(), h), Ok(v));
        }
    });
    assert_eq!(x.outstanding_roots(), 0);
}

/// A local's raw handle, kept past its scope, is stale even when a new
/// local takes its place.
#[test]
fn a_local_handle_past_its_scope_is_stale_when_the_place_is_reused() {
    let mut x = heap();
    let old = x.scope(|s| {
        let a = s.atom(&[7]).unwrap();
        s.handle(a).unwrap()
    });
    x.scope(|s| {
        let b = s.atom(&[9]).unwrap();
        let hb = s.handle(b).unwrap();
        assert_ne!(old, hb);
        assert_eq!(
            s.heap().payload_mut(old).map(|p| p[0]),
            Err(GcError::StaleHandle)
        );
        assert_eq!(s.heap().release(old), Err(GcError::StaleHandle));
        assert_eq!(byte(s.heap(), hb), Ok(9));
    });
}

/// A local's handle used on another marksweep heap is foreign, even at a
/// place and serial that exist there.
#[test]
fn a_local_handle_on_another_heap_is_foreign() {
    let mut x = heap();
    let mut y = heap();
    x.scope(|sx| {
        let a = sx.atom(&[1]).unwrap();
        let ha = sx.handle(a).unwrap();
        y.scope(|sy| {
            let _b = sy.atom(&[2]).unwrap();
            assert_eq!(
                sy.heap().payload_mut(ha).map(|p| p[0]),
                Err(GcError::ForeignHandle)
            );
            assert_eq!(sy.handle(a), Err(GcError::ForeignHandle));
            assert_eq!(
                sy.tuple(&[Some(a), None]).map(|_| ()),
                Err(GcError::ForeignHandle)
            );
        });
    });
}

/// An escaped local keeps its object through minor and major collections
/// and many moves; the handles of the child's other locals are stale.
#[test]
fn an_escaped_local_is_forwarded_and_the_rest_are_stale() {
    let mut x = heap();
    x.scope(|s| {
        let mut inner_handles = Vec::new();
        let kept = s
            .child(|c| {
                let junk = c.atom(&[3]).unwrap();
                inner_handles.push(c.handle(junk).unwrap());
                let k = c.atom(&[5]).unwrap();
                let t = c.tuple(&[Some(k), Some(junk)]).unwrap();
                inner_handles.push(c.handle(t).unwrap());
                Ok::<_, GcError>(t)
            })
            .unwrap();
        for _ in 0..3 {
            s.scope(|t| {
                for _ in 0..50_000 {
                    t.atom(&[0; 16]).unwrap();
                }
            });
            s.collect(Generation::YOUNGEST).unwrap();
        }
        s.collect(Generation::FULL).unwrap();
        let first = s.get(kept, 0).unwrap().unwrap();
        let h = s.handle(first).unwrap();
        assert_eq!(byte(s.heap(), h), Ok(5));
        // A new local at the places the child used.
        let _n = s.atom(&[8]).unwrap();
        let _m = s.atom(&[8]).unwrap();
        for old in inner_handles {
            assert_eq!(
                s.heap().payload_mut(old).map(|p| p[0]),
                Err(GcError::StaleHandle)
            );
        }
        s.heap().check_heap().unwrap();
    });
}

/// A panic in the middle of a scope leaves no local on the stack.
#[test]
fn a_panic_in_a_scope_pops_its_locals() {
    let mut x = heap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        x.scope(|s| {
            s.atom(&[1]).unwrap();
            s.child(|c| {
                c.atom(&[2]).unwrap();
                panic!("in the child");
                #[allow(unreachable_code)]
                Ok::<_, GcError>(c.atom(&[3]).unwrap())
            })
            .unwrap();
        })
    }));
    assert!(r.is_err());
    assert_eq!(x.outstanding_roots(), 0);
    x.collect(Generation::FULL).unwrap();
    x.check_heap().unwrap();
    x.scope(|s| {
        let a = s.atom(&[4]).unwrap();
        let h = s.handle(a).unwrap();
        assert_eq!(byte(s.heap(), h), Ok(4));
    });
}
