//! The embedding API's cases: scopes, roots, views, the finalizer hook.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use super::{collect_until_settled, heap, live, traits};
use crate::{
    Collector, CollectorExt, Control, Embedding, Finalize, Finalizer, GcError, Generation, Inspect,
    Kind, Local, ObjectView, Root, Scope,
};

/// Every local of a scope is released when it ends; nothing is left
/// rooted.
pub fn scope_releases_its_locals<C: Inspect>() {
    let mut h = heap::<C>();
    h.scope(|s| {
        let a = s.node(2, 0).unwrap();
        let b = s.atom(b"leaf").unwrap();
        s.set(a, 0, Some(b)).unwrap();
        let _ = s.get(a, 0).unwrap();
        assert_eq!(s.heap_ref().outstanding_roots(), 3);
    });
    assert_eq!(h.outstanding_roots(), 0);
    collect_until_settled(&mut h);
    assert_eq!(live(&h), if traits::<C>().frees_objects { 0 } else { 2 });
}

/// A root outlives its scope, keeps its object, and is released once
/// dropped.
pub fn root_outlives_its_scope_and_releases_when_dropped<C: Inspect>() {
    let mut h = heap::<C>();
    let root: Root = h.scope(|s| {
        let a = s.node(1, 8).unwrap();
        s.set_payload_as(a, 7u64).unwrap();
        s.root(a).unwrap()
    });
    assert_eq!(h.outstanding_roots(), 1);
    collect_until_settled(&mut h);
    assert_eq!(live(&h), 1);
    h.scope(|s| {
        let a = s.local(&root).unwrap();
        assert_eq!(s.view(a).unwrap().payload_as::<u64>(), Ok(7));
    });
    drop(root);
    assert_eq!(
        h.outstanding_roots(),
        0,
        "a dropped root is not outstanding"
    );
    h.flush();
    collect_until_settled(&mut h);
    assert_eq!(live(&h), if traits::<C>().frees_objects { 0 } else { 1 });
}

/// Roots dropped on other threads while the heap goes on making roots:
/// each is released once, at the heap's next operations, and its object
/// dies.
pub fn roots_dropped_on_other_threads_are_released<C: Inspect>() {
    let mut h = heap::<C>();
    let n = if cfg!(miri) { 8 } else { 400 };
    let mut roots: Vec<Root> = h.scope(|s| {
        (0..n)
            .map(|i| {
                let a = s.node(0, 8).unwrap();
                s.set_payload_as(a, i as u64).unwrap();
                s.root(a).unwrap()
            })
            .collect()
    });
    assert_eq!(h.outstanding_roots(), n);
    std::thread::scope(|t| {
        for _ in 0..4 {
            let batch = roots.split_off(roots.len() - n / 4);
            t.spawn(move || drop(batch));
        }
        // Meanwhile the heap makes and drops roots of its own, releasing
        // what the threads dropped so far.
        for _ in 0..4 {
            h.scope(|s| {
                let a = s.node(0, 0).unwrap();
                drop(s.root(a).unwrap());
            });
        }
    });
    assert_eq!(h.outstanding_roots(), 0);
    h.flush();
    collect_until_settled(&mut h);
    let made = n as u64 + 4;
    assert_eq!(live(&h), if traits::<C>().frees_objects { 0 } else { made });
}

/// Clones of a root share it: the object lives until the last clone is
/// dropped or unrooted; unrooting one with clones left only drops it; a
/// root of another heap is `ForeignHandle`.
pub fn root_clones_share_one_root<C: Inspect>() {
    let frees = traits::<C>().frees_objects;
    let mut h = heap::<C>();
    let root = h.scope(|s| {
        let a = s.node(0, 0).unwrap();
        s.root(a).unwrap()
    });
    let (a, b) = (root.clone(), root.clone());
    drop(root);
    h.scope(|s| s.unroot(a).unwrap());
    assert_eq!(h.outstanding_roots(), 1, "one root for the three clones");
    h.flush();
    collect_until_settled(&mut h);
    assert_eq!(live(&h), 1, "a clone keeps the object");
    let c = b.clone();
    drop(b);
    h.scope(|s| s.unroot(c).unwrap());
    assert_eq!(h.outstanding_roots(), 0);
    collect_until_settled(&mut h);
    assert_eq!(live(&h), if frees { 0 } else { 1 });
    let mut other = heap::<C>();
    let foreign = other.scope(|s| {
        let x = s.node(0, 0).unwrap();
        s.root(x).unwrap()
    });
    h.scope(|s| assert_eq!(s.unroot(foreign), Err(GcError::ForeignHandle)));
    assert_eq!(
        other.outstanding_roots(),
        0,
        "dropped, queued on its own heap"
    );
    other.flush();
    collect_until_settled(&mut other);
    assert_eq!(live(&other), if frees { 0 } else { 1 });
}

/// A child scope hands one local to its parent and releases the rest.
pub fn child_scope_keeps_only_what_it_returns<C: Inspect>() {
    let mut h = heap::<C>();
    h.scope(|s| {
        let kept = s
            .child(|inner| {
                let _temp = inner.node(0, 0)?;
                let _temp2 = inner.atom(b"x")?;
                let keep = inner.node(0, 4)?;
                Ok::<_, GcError>(keep)
            })
            .unwrap();
        assert_eq!(s.heap_ref().outstanding_roots(), 1);
        assert_eq!(s.view(kept).unwrap().payload().len(), 4);
    });
    assert_eq!(h.outstanding_roots(), 0);
}

/// A tree of depth `depth` built with [`Scope::child_tuple`], each leaf
/// `(nil, nil)`.
fn child_tuple_tree<'s, C: Collector>(
    s: &mut Scope<'s, C>,
    depth: u32,
) -> Result<Local<'s>, GcError> {
    if depth == 0 {
        return s.tuple(&[None, None]);
    }
    s.child_tuple(|s| {
        Ok([
            Some(child_tuple_tree(s, depth - 1)?),
            Some(child_tuple_tree(s, depth - 1)?),
        ])
    })
}

/// The tuples under (and with) `t`, checked to be `(nil, nil)` leaves at
/// `depth` 0 and pairs above it.
fn tuples_in<'a, V: ObjectView<'a>>(t: V, depth: u32) -> u64 {
    assert_eq!((t.kind(), t.slot_count()), (Kind::Tuple, 2));
    match (t.slot(0).unwrap(), t.slot(1).unwrap()) {
        (None, None) if depth == 0 => 1,
        (Some(l), Some(r)) if depth > 0 => 1 + tuples_in(l, depth - 1) + tuples_in(r, depth - 1),
        _ => panic!("a tree of the wrong shape at depth {depth}"),
    }
}

/// [`Scope::child_tuple`] makes a tuple of the locals its body returns and
/// releases the rest: taken over in place when they are the last ones
/// made, in order (a tree builder), and by the general path otherwise
/// (members out of order or nil, a local adopted from a raw root). Afterwards nothing is rooted but the tuples'
/// locals, and everything is freed once they go; a body's error releases
/// its locals and makes nothing.
pub fn child_tuple_takes_what_it_returns<C: Inspect>() {
    let mut h = heap::<C>();
    h.scope(|s| {
        let tree = child_tuple_tree(s, 4).unwrap();
        assert_eq!(tuples_in(s.view(tree).unwrap(), 4), 31);
        assert_eq!(s.heap_ref().outstanding_roots(), 1, "the tree's local");

        let picked = s
            .child_tuple(|inner| {
                let a = inner.atom(b"a")?;
                let _dropped = inner.atom(b"b")?;
                let c = inner.atom(b"c")?;
                Ok::<_, GcError>([Some(c), None, Some(a)])
            })
            .unwrap();
        let v = s.view(picked).unwrap();
        let payload = |k| v.slot(k).unwrap().map(|m| m.payload().to_vec());
        assert_eq!(payload(0).as_deref(), Some(&b"c"[..]));
        assert_eq!(payload(1), None);
        assert_eq!(payload(2).as_deref(), Some(&b"a"[..]));
        assert_eq!(s.heap_ref().outstanding_roots(), 2);

        let adopted = s
            .child_tuple(|inner| {
                let raw = inner.heap().alloc_atom(3)?;
                let a = inner.adopt(raw)?;
                let b = inner.atom(b"made")?;
                Ok::<_, GcError>([Some(a), Some(b)])
            })
            .unwrap();
        let v = s.view(adopted).unwrap();
        assert_eq!(v.slot(0).unwrap().unwrap().payload().len(), 3);
        assert_eq!(v.slot(1).unwrap().unwrap().payload(), b"made");
        assert_eq!(s.heap_ref().outstanding_roots(), 3);

        let failed = s.child_tuple(|inner| {
            inner.atom(b"temp")?;
            Err::<[Option<Local<'_>>; 1], _>(GcError::StaleHandle)
        });
        assert_eq!(failed, Err(GcError::StaleHandle));
        let empty = s.child_tuple(|_| Ok::<_, GcError>([])).unwrap();
        assert_eq!(s.view(empty).unwrap().slot_count(), 0);
        assert_eq!(s.heap_ref().outstanding_roots(), 4);
    });
    assert_eq!(h.outstanding_roots(), 0);
    collect_until_settled(&mut h);
    if traits::<C>().frees_objects {
        assert_eq!(live(&h), 0, "every tuple, member and temporary freed");
    }

    // Again with collections during the build (a low threshold, where the
    // strategy has one: the members are taken after the collection) and
    // a finalizer hook installed (it never runs: no object asks for it).
    let mut h = heap::<C>();
    let count = Count::default();
    h.on_finalize(count.clone());
    h.scope(|s| {
        s.control(Control::Threshold(3, None, None)).unwrap();
        let tree = child_tuple_tree(s, 6).unwrap();
        assert_eq!(tuples_in(s.view(tree).unwrap(), 6), 127);
        assert_eq!(s.heap_ref().outstanding_roots(), 1);
    });
    collect_until_settled(&mut h);
    assert_eq!(*count.0.lock().unwrap(), 0);
    if traits::<C>().frees_objects {
        assert_eq!(live(&h), 0);
    }

    // Against heap limits that a tree of 511 tuples passes (marksweep's
    // limit is its old generation's, and the tree stays in the nursery):
    // a refusal part-way is `OutOfMemory`, and what was made goes with
    // the scope. On the reference counters, where nothing is freed before
    // the refusal and a pair counts 32 bytes, no tuple is made past the
    // limit: a shortcut that skipped the limit would make a pair there
    // (four limits, so that one of them falls just before a pair).
    for max in [4000u64, 4032, 4064, 4096] {
        let mut small = C::from_pairs([("max_heap", max.to_string())]).unwrap();
        let built =
            small.scope(|s| child_tuple_tree(s, 8).map(|t| tuples_in(s.view(t).unwrap(), 8)));
        match &built {
            Ok(n) => assert_eq!(*n, 511),
            Err(e) => assert!(
                matches!(e, GcError::OutOfMemory { limit } if *limit == max),
                "{e:?}"
            ),
        }
        if traits::<C>().reference_counting {
            assert!(built.is_err(), "511 counted tuples are over {max} bytes");
            assert!(
                small.stats().allocated <= max / 32,
                "{max}: {:?}",
                small.stats()
            );
        }
        assert_eq!(small.outstanding_roots(), 0);
        collect_until_settled(&mut small);
        if traits::<C>().frees_objects {
            assert_eq!(live(&small), 0, "the refused build's tuples freed");
        }
    }
}

/// Views read kinds, identities, slots and payloads and make no roots.
pub fn views_read_without_roots<C: Inspect>() {
    let mut h = heap::<C>();
    h.scope(|s| {
        let name = s.atom(b"A").unwrap();
        let a = s.node(2, 0).unwrap();
        let t = s.tuple(&[Some(name), None]).unwrap();
        s.set(a, 0, Some(t)).unwrap();
        s.set(a, 1, Some(a)).unwrap();
        let roots = s.heap_ref().root_count();
        let v = s.view(a).unwrap();
        assert_eq!((v.kind(), v.slot_count()), (Kind::Node, 2));
        let tv = v.slot(0).unwrap().expect("the tuple");
        assert_eq!(tv.kind(), Kind::Tuple);
        assert_eq!(tv.slot(0).unwrap().unwrap().payload(), b"A");
        assert!(tv.slot(1).unwrap().is_none());
        assert!(v.slot(1).unwrap().unwrap().same(v), "a's slot 1 is a");
        assert!(!tv.same(v));
        assert_eq!(tv.id(), s.id(t).unwrap());
        assert!(matches!(v.slot(2), Err(GcError::SlotOutOfRange { .. })));
        assert_eq!(
            tv.slot(0).unwrap().unwrap().payload_as::<u32>(),
            Err(GcError::PayloadTooShort { needed: 4, len: 1 })
        );
        assert_eq!(s.heap_ref().root_count(), roots, "views make no roots");
    });
}

/// Records the payload of each finalized object's slot 1 (its "name").
#[derive(Clone, Default)]
struct RecordName(Arc<Mutex<Vec<Vec<u8>>>>);

impl Finalize for RecordName {
    fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, obj: Local<'_>) {
        let name = s.view(obj).unwrap().slot(1).unwrap().unwrap().payload();
        self.0.lock().unwrap().push(name.to_vec());
    }
}

/// Counts its runs.
#[derive(Clone, Default)]
struct Count(Arc<Mutex<u32>>);

impl Finalize for Count {
    fn finalize<C: Collector>(&mut self, _: &mut Scope<'_, C>, _: Local<'_>) {
        *self.0.lock().unwrap() += 1;
    }
}

/// Stores a root to each object it finalizes: resurrection.
#[derive(Clone, Default)]
struct Keep(Arc<Mutex<Vec<Root>>>);

impl Finalize for Keep {
    fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, obj: Local<'_>) {
        self.0.lock().unwrap().push(s.root(obj).unwrap());
    }
}

/// Panics.
struct Fail;

impl Finalize for Fail {
    fn finalize<C: Collector>(&mut self, _: &mut Scope<'_, C>, _: Local<'_>) {
        panic!("finalizer failed");
    }
}

/// The seed's `Node('A')`/`Node('B')` cycle, each node named by an atom in
/// slot 1 and with a finalizer that runs the hook, dropped and collected;
/// returns the heap and the names the hook read.
fn dropped_named_cycle<C: Inspect>() -> (C, Vec<Vec<u8>>) {
    let mut h = heap::<C>();
    let record = RecordName::default();
    let names = Arc::clone(&record.0);
    h.on_finalize(record);
    h.scope(|s| {
        let a = s.node(2, 0).unwrap();
        let b = s.node(2, 0).unwrap();
        for (node, name) in [(a, b"A"), (b, b"B")] {
            let n = s.atom(name).unwrap();
            s.set(node, 1, Some(n)).unwrap();
            s.set_finalizer(node, Finalizer::Run).unwrap();
        }
        s.set(a, 0, Some(b)).unwrap();
        s.set(b, 0, Some(a)).unwrap();
    });
    assert!(names.lock().unwrap().is_empty(), "alive until collected");
    collect_until_settled(&mut h);
    let mut got = names.lock().unwrap().clone();
    got.sort();
    (h, got)
}

/// The seed's cycle whose `__del__` reads `self.name`: the hook gets each
/// object intact, and the cycle is freed afterwards.
pub fn finalizer_hook_reads_its_object<C: Inspect>() {
    let (h, names) = dropped_named_cycle::<C>();
    assert_eq!(names, vec![b"A".to_vec(), b"B".to_vec()]);
    assert_eq!(live(&h), 0, "the cycle and its names are freed");
    assert_eq!(h.stats().finalized, 2);
}

/// Limitation: without cycle collection the seed's cycle leaks, names and
/// all, and its finalizers never run.
pub fn finalizer_hook_never_runs_on_a_leaked_cycle<C: Inspect>() {
    let (h, names) = dropped_named_cycle::<C>();
    assert!(names.is_empty(), "{names:?}");
    assert_eq!((live(&h), h.stats().finalized), (4, 0));
}

/// An object with a finalizer, rooted and unrooted inside a scope, with a
/// counting hook installed; returns the heap and the hook's count.
fn dropped_finalizable<C: Inspect>() -> (C, Arc<Mutex<u32>>) {
    let mut h = heap::<C>();
    let count = Count::default();
    let runs = Arc::clone(&count.0);
    h.on_finalize(count);
    h.scope(|s| {
        let a = s.node(0, 0).unwrap();
        s.set_finalizer(a, Finalizer::Run).unwrap();
        let root = s.root(a).unwrap();
        s.unroot(root).unwrap();
    });
    (h, runs)
}

/// On a reference counter the hook runs the moment the count reaches zero,
/// before the call that dropped it returns.
pub fn finalizer_hook_runs_at_count_zero<C: Inspect>() {
    let (h, runs) = dropped_finalizable::<C>();
    assert_eq!(*runs.lock().unwrap(), 1, "ran when the scope released it");
    assert_eq!(live(&h), 0);
}

/// Limitation: a strategy without reference counts finds a dead object
/// only by collecting, so the hook waits for a collection.
pub fn finalizer_hook_waits_for_a_collection<C: Inspect>() {
    let (mut h, runs) = dropped_finalizable::<C>();
    assert_eq!(*runs.lock().unwrap(), 0, "nothing ran before a collection");
    assert_eq!(live(&h), 1);
    collect_until_settled(&mut h);
    assert_eq!(*runs.lock().unwrap(), 1);
    assert_eq!(live(&h), 0);
}

/// A hook that stores its object resurrects it; the finalizer never runs
/// again, and the object is freed once the stored root is dropped.
pub fn finalizer_hook_can_resurrect<C: Inspect>() {
    let mut h = heap::<C>();
    let keep = Keep::default();
    let kept = Arc::clone(&keep.0);
    h.on_finalize(keep);
    h.scope(|s| {
        let a = s.node(1, 0).unwrap();
        let child = s.atom(b"kept with it").unwrap();
        s.set(a, 0, Some(child)).unwrap();
        s.set_finalizer(a, Finalizer::Run).unwrap();
    });
    collect_until_settled(&mut h);
    assert_eq!(kept.lock().unwrap().len(), 1);
    assert_eq!(live(&h), 2, "the object and what it refers to live on");
    h.scope(|s| {
        let a = s.local(&kept.lock().unwrap()[0]).unwrap();
        let child = s.view(a).unwrap().slot(0).unwrap().unwrap();
        assert_eq!(child.payload(), b"kept with it");
    });
    kept.lock().unwrap().clear();
    h.flush();
    collect_until_settled(&mut h);
    assert_eq!(live(&h), 0);
    assert_eq!(h.stats().finalized, 1, "at most once per object");
}

/// A panicking hook: the operation completes, the heap stays consistent,
/// and the panic reaches the caller afterwards.
pub fn finalizer_hook_panic_is_resumed_after_the_operation<C: Inspect>() {
    let mut h = heap::<C>();
    h.on_finalize(Fail);
    // A reference counter finalizes as the scope ends; the others in the
    // collection.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        h.scope(|s| {
            for _ in 0..2 {
                let a = s.node(0, 0).unwrap();
                s.set_finalizer(a, Finalizer::Run).unwrap();
            }
        });
        collect_until_settled(&mut h);
    }));
    let message = outcome.expect_err("the panic is resumed");
    assert_eq!(message.downcast_ref::<&str>(), Some(&"finalizer failed"));
    // Both objects were finalized once and the heap still works.
    h.clear_on_finalize();
    collect_until_settled(&mut h);
    assert_eq!(h.stats().finalized, 2);
    assert_eq!(live(&h), 0);
    h.scope(|s| {
        let a = s.node(1, 0).unwrap();
        s.set(a, 0, Some(a)).unwrap();
    });
    h.collect(Generation::FULL).unwrap();
    assert_eq!(h.outstanding_roots(), 0);
}

/// A hook that panics while the heap releases dropped roots (a reference
/// counter finalizes the first one's object there) loses none of the
/// others: the panic is resumed, and the next operation releases them.
pub fn finalizer_hook_panic_while_releasing_roots_loses_none<C: Inspect>() {
    let mut h = heap::<C>();
    h.on_finalize(FailOnce(false));
    let roots: Vec<Root> = h.scope(|s| {
        (0..3)
            .map(|_| {
                let a = s.node(0, 0).unwrap();
                s.set_finalizer(a, Finalizer::Run).unwrap();
                s.root(a).unwrap()
            })
            .collect()
    });
    drop(roots);
    // A reference counter releases (and finalizes) at the next
    // operation; the others in the collection.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        h.scope(|s| {
            s.node(0, 0).unwrap();
        });
        collect_until_settled(&mut h);
    }));
    let message = outcome.expect_err("the panic is resumed");
    assert_eq!(message.downcast_ref::<&str>(), Some(&"finalizer failed"));
    h.flush();
    assert_eq!(h.outstanding_roots(), 0);
    collect_until_settled(&mut h);
    assert_eq!(h.stats().finalized, 3);
    assert_eq!(live(&h), 0);
}

/// A hook that panics only the first time it runs.
struct FailOnce(bool);

impl Finalize for FailOnce {
    fn finalize<C: Collector>(&mut self, _: &mut Scope<'_, C>, _: Local<'_>) {
        if !std::mem::replace(&mut self.0, true) {
            panic!("finalizer failed");
        }
    }
}

/// A hook that panics inside a collection (garbage in a cycle is
/// finalized there, not at count zero) has its panic resumed when the
/// operation returns, and the collector goes on collecting: the cycle it
/// finalized and later garbage cycles are freed.
pub fn finalizer_hook_panic_in_a_collection_leaves_it_collecting<C: Inspect>() {
    let mut h = heap::<C>();
    h.on_finalize(FailOnce(false));
    h.scope(|s| {
        let a = s.node(1, 0).unwrap();
        s.set_finalizer(a, Finalizer::Run).unwrap();
        s.set(a, 0, Some(a)).unwrap();
    });
    let outcome = catch_unwind(AssertUnwindSafe(|| collect_until_settled(&mut h)));
    let message = outcome.expect_err("the panic is resumed");
    assert_eq!(message.downcast_ref::<&str>(), Some(&"finalizer failed"));
    h.scope(|s| {
        let b = s.node(1, 0).unwrap();
        s.set(b, 0, Some(b)).unwrap();
    });
    collect_until_settled(&mut h);
    collect_until_settled(&mut h);
    assert_eq!(h.stats().finalized, 1);
    assert_eq!(live(&h), 0, "both cycles are freed");
    assert_eq!(h.outstanding_roots(), 0);
}

/// Raw handles count as outstanding until released.
pub fn outstanding_roots_count_raw_handles<C: Inspect>() {
    let mut h = heap::<C>();
    let a = h
        .alloc(crate::Shape::Node {
            slots: 0,
            payload: 0,
        })
        .unwrap();
    let b = h.clone_handle(a).unwrap();
    assert_eq!(h.outstanding_roots(), 2);
    h.release(a).unwrap();
    h.release(b).unwrap();
    assert_eq!(h.outstanding_roots(), 0);
}

/// A heap records no events until asked: an embedder who never drains
/// them keeps none.
pub fn events_are_recorded_only_when_asked<C: Inspect>() {
    let mut h = C::with_config(super::configured::<C>()).expect("the suite's configuration");
    h.scope(|s| {
        let a = s.node(1, 0).unwrap();
        s.set(a, 0, Some(a)).unwrap();
        s.set_finalizer(a, Finalizer::Notify).unwrap();
    });
    collect_until_settled(&mut h);
    let mut events = Vec::new();
    h.drain_events(&mut events).unwrap();
    assert!(events.is_empty(), "{events:?}");
    h.record_events(true);
    h.collect(Generation::FULL).unwrap();
    h.drain_events(&mut events).unwrap();
    assert!(!events.is_empty(), "recorded once asked");
}

/// A local names a place on its own heap's local stack: another heap's
/// scope refuses it, and its raw handle is the object's.
pub fn locals_of_another_heap_are_refused<C: Inspect>() {
    let mut h1 = heap::<C>();
    let mut h2 = heap::<C>();
    h1.scope(|s1| {
        let a = s1.node(0, 3).unwrap();
        let raw = s1.handle(a).unwrap();
        assert_eq!(s1.heap_ref().view(raw).unwrap().id(), s1.id(a).unwrap());
        h2.scope(|s2| {
            let b = s2.node(0, 0).unwrap();
            assert_eq!(s2.kind(a), Err(GcError::ForeignHandle));
            assert_eq!(s2.handle(a), Err(GcError::ForeignHandle));
            assert!(matches!(s2.view(a), Err(GcError::ForeignHandle)));
            assert_eq!(s2.tuple(&[Some(a)]), Err(GcError::ForeignHandle));
            assert_eq!(s2.kind(b), Ok(Kind::Node));
        });
        assert_eq!(s1.view(a).unwrap().payload().len(), 3);
    });
    assert_eq!(h1.outstanding_roots(), 0);
    assert_eq!(h2.outstanding_roots(), 0);
}

/// A child scope keeps the local it returns, the last one made or an
/// earlier one, also while releasing its others runs the finalizer hook;
/// a hook that panics there leaves the kept local with the parent scope
/// (released when the parent ends), not leaked.
pub fn child_scope_keeps_its_local_while_hooks_run<C: Inspect>() {
    let mut h = heap::<C>();
    let count = Count::default();
    h.on_finalize(count.clone());
    h.scope(|s| {
        for keep_last in [true, false] {
            let kept = s
                .child(|inner| {
                    let first = inner.node(0, 1)?;
                    inner.set_finalizer(first, Finalizer::Run)?;
                    let middle = inner.node(0, 2)?;
                    let last = inner.node(0, 3)?;
                    inner.set_finalizer(last, Finalizer::Run)?;
                    Ok::<_, GcError>(if keep_last { last } else { middle })
                })
                .unwrap();
            let len = if keep_last { 3 } else { 2 };
            assert_eq!(s.view(kept).unwrap().payload().len(), len);
        }
        assert_eq!(s.heap_ref().outstanding_roots(), 2);
    });
    assert_eq!(h.outstanding_roots(), 0);
    collect_until_settled(&mut h);
    assert_eq!(
        *count.0.lock().unwrap(),
        if traits::<C>().frees_objects { 4 } else { 0 }
    );
    assert_eq!(live(&h), if traits::<C>().frees_objects { 0 } else { 6 });

    let mut h = heap::<C>();
    h.on_finalize(Fail);
    h.scope(|s| {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            s.child(|inner| {
                let temp = inner.node(0, 0)?;
                inner.set_finalizer(temp, Finalizer::Run)?;
                inner.node(0, 5)
            })
        }));
        // A reference counter runs the hook as the child scope ends.
        assert_eq!(outcome.is_err(), traits::<C>().reference_counting);
        assert_eq!(s.heap_ref().outstanding_roots(), 1, "the kept local");
    });
    assert_eq!(h.outstanding_roots(), 0);
    h.clear_on_finalize();
    collect_until_settled(&mut h);
    assert_eq!(live(&h), if traits::<C>().frees_objects { 0 } else { 2 });
}
