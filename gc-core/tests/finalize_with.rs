//! `Embedding::on_finalize_with` and `embed::lend`: a finalizer that runs
//! with the embedder's own state, at the moment the strategy prescribes
//! when the state is lent, and later (rooted meanwhile) when it is not.

use gc_core::embed::lend;
use gc_core::prelude::*;
use gc_generational::Generational;
use gc_marksweep::IncMiniMark;
use gc_refcount::RefCount;

/// The embedder's state: what its finalizers print, and what they save.
#[derive(Default)]
struct Runtime {
    log: Vec<String>,
    saved: Vec<Root>,
    /// Names whose finalizer stores the object (resurrects it).
    keep: Vec<u8>,
}

fn install<C: Collector>(heap: &mut C) {
    heap.on_finalize_with(|rt: &mut Runtime, s: &mut Scope<'_, C>, obj| {
        let name = s.view(obj).and_then(|v| v.payload_as::<u8>()).unwrap_or(0);
        rt.log.push(format!("del {}", name as char));
        if rt.keep.contains(&name) {
            rt.saved.extend(s.root(obj));
        }
    })
    .expect("a strategy runs its own hook");
}

/// A node named `name` with a finalizer, as a root.
fn named<C: Collector>(s: &mut Scope<'_, C>, name: u8) -> Result<Root, GcError> {
    let n = s.node(1, 1)?;
    s.set_payload_as(n, name)?;
    s.set_finalizer(n, Finalizer::Run)?;
    s.root(n)
}

#[test]
fn reference_counting_finalizes_at_count_zero_inside_the_call_that_lends() {
    let mut heap = RefCount::new_default().unwrap();
    install(&mut heap);
    let mut rt = Runtime::default();
    // A chain a -> b -> c: releasing a finalizes all three, in order,
    // before `unroot` returns.
    let a = heap
        .scope(|s| {
            let a = named(s, b'a')?;
            let b = named(s, b'b')?;
            let c = named(s, b'c')?;
            let (la, lb, lc) = (s.local(&a)?, s.local(&b)?, s.local(&c)?);
            s.set(la, 0, Some(lb))?;
            s.set(lb, 0, Some(lc))?;
            Ok::<_, GcError>(a)
        })
        .unwrap();
    heap.flush();
    assert_eq!(heap.stats().live_objects, 3);
    lend(&mut rt, || heap.scope(|s| s.unroot(a))).unwrap();
    assert_eq!(rt.log, ["del a", "del b", "del c"]);
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(heap.outstanding_roots(), 0);
}

#[test]
fn a_finalizer_due_while_nothing_is_lent_waits_rooted_for_the_next_loan() {
    let mut heap = RefCount::new_default().unwrap();
    install(&mut heap);
    let mut rt = Runtime::default();
    let a = heap.scope(|s| named(s, b'a')).unwrap();
    heap.scope(|s| s.unroot(a)).unwrap();
    // Not lent: the object waits, held by the embedding layer (not by the
    // embedder).
    assert!(rt.log.is_empty());
    assert_eq!(heap.stats().live_objects, 1);
    assert_eq!(heap.outstanding_roots(), 0);
    assert_eq!(heap.waiting_finalizers(), 1);
    heap.flush();
    assert_eq!(heap.stats().live_objects, 1);
    lend(&mut rt, || heap.flush());
    assert_eq!(rt.log, ["del a"]);
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(heap.waiting_finalizers(), 0);
}

#[test]
fn generational_runs_them_inside_the_collection_and_counts_what_stays_unreachable() {
    let mut heap = Generational::new_default().unwrap();
    install(&mut heap);
    let mut rt = Runtime {
        keep: vec![b'b'],
        ..Runtime::default()
    };
    heap.scope(|s| {
        // a <-> b (b saves itself, and so a); c alone in a cycle.
        let a = named(s, b'a')?;
        let b = named(s, b'b')?;
        let c = named(s, b'c')?;
        let (la, lb, lc) = (s.local(&a)?, s.local(&b)?, s.local(&c)?);
        s.set(la, 0, Some(lb))?;
        s.set(lb, 0, Some(la))?;
        s.set(lc, 0, Some(lc))?;
        Ok::<_, GcError>(())
    })
    .unwrap();
    // One collection: three finalizers, c collected (CPython 3.9+: 1).
    assert_eq!(lend(&mut rt, || heap.collect_full()).unwrap(), 1);
    assert_eq!(rt.log, ["del a", "del b", "del c"]);
    assert_eq!(heap.stats().live_objects, 2);
    rt.saved.clear();
    // Finalized once: the next collection frees them without a call.
    assert_eq!(lend(&mut rt, || heap.collect_full()).unwrap(), 2);
    assert_eq!(rt.log.len(), 3);
    assert_eq!(heap.stats().live_objects, 0);
}

#[test]
fn generational_without_a_loan_keeps_the_objects_for_later() {
    let mut heap = Generational::new_default().unwrap();
    install(&mut heap);
    let mut rt = Runtime::default();
    heap.scope(|s| {
        let a = named(s, b'a')?;
        let la = s.local(&a)?;
        s.set(la, 0, Some(la))?;
        Ok::<_, GcError>(())
    })
    .unwrap();
    // Nothing lent: the finalizer cannot run, so the object survives this
    // collection, rooted until a loan; then the next collection frees it.
    assert_eq!(heap.collect_full().unwrap(), 0);
    assert!(rt.log.is_empty());
    lend(&mut rt, || heap.flush());
    assert_eq!(rt.log, ["del a"]);
    assert_eq!(heap.collect_full().unwrap(), 1);
    assert_eq!(heap.stats().live_objects, 0);
}

/// A hook removed while objects wait for it stays removed: they are
/// released as `Notify` finalizers' objects, and the next collection frees
/// them (it once left the hook marked running, so they waited forever).
fn removing_the_hook_releases_what_waits<C: Collector>(mut heap: C) {
    install(&mut heap);
    // Dropped while nothing is lent: freed by count (refcount) or found by
    // the collection, they wait for a loan.
    heap.scope(|s| {
        named(s, b'a')?;
        named(s, b'b')?;
        Ok::<_, GcError>(())
    })
    .unwrap();
    heap.flush();
    heap.collect_full().unwrap();
    assert!(heap.waiting_finalizers() > 0, "nothing lent: they wait");
    heap.clear_on_finalize();
    heap.flush();
    assert!(!heap.has_finalize_hook());
    assert_eq!(heap.waiting_finalizers(), 0);
    for _ in 0..4 {
        heap.collect_full().unwrap();
        heap.flush();
    }
    assert_eq!(heap.stats().live_objects, 0);
    // A later `Run` object with no hook is freed as a `Notify` one is.
    heap.scope(|s| named(s, b'c').map(drop)).unwrap();
    for _ in 0..4 {
        heap.flush();
        heap.collect_full().unwrap();
    }
    assert_eq!(heap.waiting_finalizers(), 0);
    assert_eq!(heap.stats().live_objects, 0, "{}", C::TRAITS.name);
}

#[test]
fn removing_the_hook_releases_what_waits_on_every_strategy() {
    removing_the_hook_releases_what_waits(RefCount::new_default().unwrap());
    removing_the_hook_releases_what_waits(Generational::new_default().unwrap());
    removing_the_hook_releases_what_waits(IncMiniMark::new_default().unwrap());
}

/// A hook that removes itself while it runs is not reinstalled: what
/// becomes due after it is released without it.
#[test]
fn a_hook_that_removes_itself_stays_removed() {
    let mut heap = RefCount::new_default().unwrap();
    heap.on_finalize_with(|rt: &mut Runtime, s: &mut Scope<'_, RefCount>, _| {
        rt.log.push("del".into());
        s.heap().clear_on_finalize();
    })
    .unwrap();
    let mut rt = Runtime::default();
    let (a, b) = heap
        .scope(|s| Ok::<_, GcError>((named(s, b'a')?, named(s, b'b')?)))
        .unwrap();
    lend(&mut rt, || heap.scope(|s| s.unroot(a))).unwrap();
    assert!(!heap.has_finalize_hook());
    lend(&mut rt, || heap.scope(|s| s.unroot(b))).unwrap();
    heap.flush();
    assert_eq!(rt.log, ["del"]);
    assert_eq!(heap.waiting_finalizers(), 0);
    assert_eq!(heap.stats().live_objects, 0);
}

#[test]
fn marksweep_runs_them_after_the_major_collection() {
    let mut heap = IncMiniMark::new_default().unwrap();
    install(&mut heap);
    let mut rt = Runtime::default();
    let a = heap.scope(|s| named(s, b'a')).unwrap();
    drop(a);
    heap.flush();
    lend(&mut rt, || heap.collect_full()).unwrap();
    assert_eq!(rt.log, ["del a"]);
    lend(&mut rt, || heap.collect_full()).unwrap();
    assert_eq!(heap.stats().live_objects, 0);
}

#[test]
fn a_finalizer_may_run_a_nested_operation_that_finalizes_after_it() {
    // The hook drops a root to another finalizable object: its finalizer
    // waits for the hook to return, then runs in the same lent call.
    let mut heap = RefCount::new_default().unwrap();
    heap.on_finalize_with(|rt: &mut Runtime, s: &mut Scope<'_, RefCount>, obj| {
        let name = s.view(obj).and_then(|v| v.payload_as::<u8>()).unwrap_or(0);
        rt.log.push(format!("del {}", name as char));
        if let Some(r) = rt.saved.pop() {
            s.unroot(r).unwrap();
            rt.log.push("released".into());
        }
    })
    .unwrap();
    let mut rt = Runtime::default();
    let (a, b) = heap
        .scope(|s| Ok::<_, GcError>((named(s, b'a')?, named(s, b'b')?)))
        .unwrap();
    rt.saved.push(b);
    lend(&mut rt, || heap.scope(|s| s.unroot(a))).unwrap();
    assert_eq!(rt.log, ["del a", "released", "del b"]);
    assert_eq!(heap.stats().live_objects, 0);
}

/// A nested hook: logs its start and end, and releases (with the state
/// lent again, as the embedder lends around its own operations) a root
/// it saved.
fn nested(rt: &mut Runtime, s: &mut Scope<'_, RefCount>, obj: Local<'_>) {
    let name = s.view(obj).and_then(|v| v.payload_as::<u8>()).unwrap_or(0) as char;
    rt.log.push(format!("start {name}"));
    if let Some(r) = rt.saved.pop() {
        lend(rt, || s.unroot(r)).unwrap();
    }
    rt.log.push(format!("end {name}"));
}

#[test]
fn a_nested_hook_runs_a_finalizer_its_operation_makes_due_inside_it() {
    // CPython: a `__del__` that drops the last reference to another
    // object runs that object's `__del__` inside it.
    let mut heap = RefCount::new_default().unwrap();
    heap.on_finalize_nested_with(nested).unwrap();
    let mut rt = Runtime::default();
    let (a, b) = heap
        .scope(|s| Ok::<_, GcError>((named(s, b'a')?, named(s, b'b')?)))
        .unwrap();
    rt.saved.push(b);
    lend(&mut rt, || heap.scope(|s| s.unroot(a))).unwrap();
    assert_eq!(rt.log, ["start a", "start b", "end b", "end a"]);
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(heap.outstanding_roots(), 0);
}

#[test]
fn with_a_nested_hook_what_an_object_held_is_finalized_before_the_next_one() {
    // A container holding a (which holds x) and b: CPython finalizes a,
    // frees it, which finalizes x, then finalizes b. Objects queued
    // before a hook starts wait for it and for what it leaves queued.
    for (nested_hook, want) in [
        (
            true,
            ["start a", "end a", "start x", "end x", "start b", "end b"],
        ),
        (
            false,
            ["start a", "end a", "start b", "end b", "start x", "end x"],
        ),
    ] {
        let mut heap = RefCount::new_default().unwrap();
        if nested_hook {
            heap.on_finalize_nested_with(nested).unwrap();
        } else {
            heap.on_finalize_with(nested).unwrap();
        }
        let mut rt = Runtime::default();
        let list = heap
            .scope(|s| {
                let list = s.node(2, 0)?;
                let a = named(s, b'a')?;
                let b = named(s, b'b')?;
                let x = named(s, b'x')?;
                let (la, lb, lx) = (s.local(&a)?, s.local(&b)?, s.local(&x)?);
                s.set(la, 0, Some(lx))?;
                s.set(list, 0, Some(la))?;
                s.set(list, 1, Some(lb))?;
                drop((a, b, x));
                s.root(list)
            })
            .unwrap();
        lend(&mut rt, || heap.scope(|s| s.unroot(list))).unwrap();
        assert_eq!(rt.log, want, "nested: {nested_hook}");
        assert_eq!(heap.stats().live_objects, 0);
    }
}
