//! `Scope::child_tuple` when the finalizer hook swaps heaps through
//! `Scope::heap` before the tuple is made: the answer must be
//! `ForeignHandle`, and no local of either heap may name another object.
//!
//! Fails at ff80c76: on the path that takes the body's locals over,
//! `child_tuple` releases the dropped roots (`settle`, which may run the
//! hook) and then asks the heap for a tuple of the top locals of its stack
//! without checking that its scope still owns that stack. After the swap
//! the heap's stack is the other heap's, and the reference counter takes
//! *its* top locals into the tuple, so a live local of the other heap's
//! scope then names the tuple (`x` reads as an empty `Tuple`) and the
//! answer is `Ok` (a local that never resolves). With the check after
//! `settle` (return `ForeignHandle` when the scope no longer owns its
//! stack, as the general path's `Scope::tuple` does) it passes. Ignored
//! until the library checks:
//! `cargo test -p gc-core --test child_tuple_swap -- --include-ignored`.

use gc_core::embed::lend;
use gc_core::prelude::*;
use gc_refcount::RefCount;

#[test]
#[ignore = "bug in Scope::child_tuple at ff80c76: no owns_top check after settle on the taking path"]
fn a_hook_swapping_heaps_before_the_tuple_leaves_the_other_heaps_locals_alone() {
    let mut a = RefCount::new_default().unwrap();
    // The strategy's own hook, with the other heap lent: swaps it in.
    a.on_finalize_with(|other: &mut RefCount, s: &mut Scope<'_, RefCount>, _| {
        std::mem::swap(s.heap(), other);
    })
    .unwrap();
    // The only root of an object with a finalizer: dropped inside the
    // body, released by the child_tuple's settle just before the tuple.
    let root = a
        .scope(|s| {
            let f = s.node(0, 0)?;
            s.set_finalizer(f, Finalizer::Run)?;
            s.root(f)
        })
        .unwrap();
    let mut e = RefCount::new_default().unwrap();
    e.scope(|se| -> Result<(), GcError> {
        // Two locals of the other heap, on top of its stack.
        let x = se.atom(b"x")?;
        let y = se.atom(b"y")?;
        let answer = lend(se.heap(), || {
            a.scope(|sa| {
                sa.child_tuple(|si| {
                    let p = si.atom(b"p")?;
                    let q = si.atom(b"q")?;
                    drop(root);
                    Ok::<_, GcError>([Some(p), Some(q)])
                })
                .map(drop)
            })
        });
        // The hook swapped the heaps: swap them back.
        std::mem::swap(se.heap(), &mut a);
        // The other heap's locals name what they named.
        let read = |l| se.view(l).map(|v| (v.kind(), v.payload().to_vec()));
        assert_eq!(read(x), Ok((Kind::Atom, b"x".to_vec())));
        assert_eq!(read(y), Ok((Kind::Atom, b"y".to_vec())));
        assert_eq!(answer, Err(GcError::ForeignHandle));
        Ok(())
    })
    .unwrap();
}
