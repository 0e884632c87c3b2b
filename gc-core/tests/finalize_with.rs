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
