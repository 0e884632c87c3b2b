//! Memory the system refuses (simulated by this binary's allocator, see
//! `gc-core/tests/support/refusing.rs`) is `OutOfMemory`, never an abort,
//! inside a collection too: a collection allocates nothing once it has
//! started (finalizers that resurrect or run the hook, weak callbacks, the
//! release cascades of `delete_garbage`), and under DEBUG_SAVEALL, whose
//! `gc.garbage` grows, it is refused before anything changes — explicit,
//! automatic (inside an allocation) or run to make room under `max_heap`.
//! DEBUG_STATS / DEBUG_COLLECTABLE output allocates nothing; the `gc`
//! facade's lists are `OutOfMemory` when refused.

#[path = "../../gc-core/tests/support/refusing.rs"]
mod refusing;

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use gc_core::tooling::testing::{Profile, arb_trace};
use gc_core::{
    Collector, CollectorExt, Control, Finalize, Finalizer, GcError, Handle, Inspect, Local,
    ObjectId, RootList, Scope,
};
use gc_generational::{
    DEBUG_COLLECTABLE, DEBUG_STATS, GcModule, Generational, GenerationalConfig, callback,
};
use proptest::prelude::*;
use refusing::{Refusing, refusing_all, replay_with_refusals, with_budget};

#[global_allocator]
static ALLOCATOR: Refusing = Refusing;

const REFUSED: GcError = GcError::OutOfMemory { limit: 0 };

/// Automatic collection off: collections happen where the trace says, so
/// a refused and retried allocation cannot move one.
fn explicit_only() -> Generational {
    Generational::from_pairs([("threshold0", "0")]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 200 },
        max_shrink_iters: 1000,
        ..ProptestConfig::default()
    })]

    /// Every operation of random traces (collections among them), refused
    /// memory from its first, second, … allocation on: `OutOfMemory`, and
    /// the same heap as a run that was never refused once it is retried.
    #[test]
    fn a_refused_operation_changes_nothing(
        trace in arb_trace(if cfg!(miri) { 30 } else { 300 }, Profile::Mutator)
    ) {
        let budgets = [0, 1, 2, 3, 5, 8];
        match replay_with_refusals(explicit_only(), explicit_only(), &trace, &budgets) {
            Ok(refusals) => prop_assert!(refusals > 0, "nothing was refused"),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

/// Counts its runs without allocating.
#[derive(Clone, Default)]
struct Count(Arc<AtomicUsize>);

impl Finalize for Count {
    fn finalize<C: Collector>(&mut self, _: &mut Scope<'_, C>, _: Local<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// An unreachable two-node cycle; returns its ids.
fn garbage_cycle(h: &mut Generational, finalizer: Option<Finalizer>) -> [ObjectId; 2] {
    let a = h.alloc_node(1, 8).unwrap();
    let b = h.alloc_node(1, 8).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    h.set_slot(b, 0, Some(a)).unwrap();
    if let Some(f) = finalizer {
        h.set_finalizer(a, f).unwrap();
    }
    let ids = [h.object_id(a).unwrap(), h.object_id(b).unwrap()];
    h.release(a).unwrap();
    h.release(b).unwrap();
    ids
}

/// Garbage with every kind of finalizer and weak references with
/// callbacks, collected with every allocation refused: the collection
/// needs nothing, finds what it finds with memory, and keeps exactly what
/// was resurrected.
#[test]
fn a_collection_allocates_nothing() {
    let mut h = explicit_only();
    let count = Count::default();
    h.on_finalize(count.clone());
    // Warm the hook up once, so that its scope's local stack has room (the
    // embedding layer's, not the heap's).
    let warm = h.alloc_atom(0).unwrap();
    h.set_finalizer(warm, Finalizer::Run).unwrap();
    h.release(warm).unwrap();
    assert_eq!(count.0.load(Ordering::Relaxed), 1);

    let mut resurrected = Vec::new();
    let mut weaks = Vec::new();
    let mut garbage = 0;
    for i in 0..300 {
        let f = match i % 4 {
            0 => None,
            1 => Some(Finalizer::Notify),
            2 => Some(Finalizer::Run),
            _ => Some(Finalizer::Resurrect),
        };
        let ids = garbage_cycle(&mut h, f);
        if i % 4 == 3 {
            resurrected.extend(ids);
        } else {
            garbage += 2;
        }
        if i % 5 == 0 {
            // A weak reference with a callback to a cycle's member (the
            // member made last is still in no register: make a new one).
            let x = h.alloc_node(1, 0).unwrap();
            h.set_slot(x, 0, Some(x)).unwrap();
            weaks.push(h.weak(x, true).unwrap());
            h.release(x).unwrap();
            garbage += 1;
        }
    }
    let collected = refusing_all(|| h.collect_full()).unwrap();
    assert_eq!(
        collected, garbage,
        "what a finalizer resurrected is not collected"
    );
    assert_eq!(count.0.load(Ordering::Relaxed), 1 + 75);
    assert_eq!(h.stats().finalized, 1 + 3 * 75);
    assert_eq!(h.stats().weak_callbacks, weaks.len() as u64);
    let live: Vec<ObjectId> = h.live_set().unwrap().into_iter().collect();
    resurrected.sort();
    assert_eq!(live, resurrected, "the resurrected cycles alone survive");
    let saved = h.root_list(RootList::Saved).unwrap();
    assert_eq!(saved.len(), 75);
    // Later operations: the saved objects come back as roots, and once
    // dropped nothing is left (their finalizers ran already).
    h.unsave().unwrap();
    assert_eq!(h.collect_full().unwrap(), resurrected.len() as u64);
    assert_eq!(h.stats().live_objects, 0);
    for w in weaks {
        assert_eq!(h.upgrade(w).unwrap(), None);
        h.release_weak(w).unwrap();
    }
}

/// Under DEBUG_SAVEALL a collection may put every object in `gc.garbage`:
/// refused that room, it is `OutOfMemory` before anything changed (no
/// callback, no finalizer, no count, no object moved or freed), and with
/// memory it runs as if never refused.
#[test]
fn a_collection_refused_its_room_changes_nothing() {
    let mut h = explicit_only();
    h.control(Control::DebugSaveAll).unwrap();
    let kept = h.alloc_node(1, 0).unwrap();
    let mut cycles = Vec::new();
    for i in 0..20 {
        let f = (i % 2 == 0).then_some(Finalizer::Notify);
        cycles.extend(garbage_cycle(&mut h, f));
    }
    let before = (
        h.live_set().unwrap(),
        h.stats(),
        h.gc().get_count(),
        h.gc().get_stats(),
    );
    let (result, refused) = with_budget(0, 0, || h.collect_full());
    assert_eq!(result, Err(REFUSED));
    assert!(refused > 0);
    assert_eq!(
        (
            h.live_set().unwrap(),
            h.stats(),
            h.gc().get_count(),
            h.gc().get_stats()
        ),
        before
    );
    assert!(h.gc().garbage().unwrap().is_empty());
    // With memory: all of it in `gc.garbage`, finalizers run once.
    assert_eq!(h.collect_full().unwrap(), cycles.len() as u64);
    let mut garbage = h.gc().garbage().unwrap();
    garbage.sort();
    cycles.sort();
    assert_eq!(garbage, cycles);
    assert_eq!(h.stats().finalized, 10);
    h.control(Control::DebugOff).unwrap();
    h.control(Control::GarbageClear).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.live_set().unwrap().len(), 1);
    h.release(kept).unwrap();
}

/// The automatic collection inside an allocation, refused its room: the
/// allocation is `OutOfMemory`, generation 0's count is as it was, and the
/// next allocation with memory collects.
#[test]
fn an_automatic_collection_refused_refuses_the_allocation() {
    let mut h = Generational::from_pairs([("threshold0", "10")]).unwrap();
    h.control(Control::DebugSaveAll).unwrap();
    let cycle = garbage_cycle(&mut h, None);
    let mut held: Vec<Handle> = Vec::new();
    while h.gc().get_count().0 < 10 {
        held.push(h.alloc_atom(0).unwrap());
        held.push(h.alloc_node(0, 0).unwrap());
    }
    let before = (
        h.live_set().unwrap(),
        h.gc().get_count(),
        h.stats().collections,
    );
    let (result, _) = with_budget(0, 0, || h.alloc_node(0, 0));
    assert_eq!(result, Err(REFUSED));
    assert_eq!(
        (
            h.live_set().unwrap(),
            h.gc().get_count(),
            h.stats().collections
        ),
        before
    );
    held.push(h.alloc_node(0, 0).unwrap());
    assert_eq!(
        h.stats().collections[0],
        1,
        "collected inside the allocation"
    );
    let mut garbage = h.gc().garbage().unwrap();
    garbage.sort();
    assert_eq!(garbage, cycle);
    for x in held {
        h.release(x).unwrap();
    }
    h.control(Control::DebugOff).unwrap();
    h.control(Control::GarbageClear).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}

/// Past `max_heap` a full collection makes room first; refused the memory
/// it needs (DEBUG_SAVEALL), the allocation is `OutOfMemory` for the
/// system, not the limit, and nothing changed.
#[test]
fn the_collection_that_makes_room_refused_refuses_the_allocation() {
    let mut h = Generational::with_config(GenerationalConfig {
        max_heap: 4 * 32,
        ..GenerationalConfig::default()
    })
    .unwrap();
    h.control(Control::DebugSaveAll).unwrap();
    let kept = h.alloc_node(1, 8).unwrap();
    let cycle = garbage_cycle(&mut h, None);
    let live = h.alloc_node(1, 8).unwrap();
    let before = (h.live_set().unwrap(), h.stats().collections);
    let (result, _) = with_budget(0, 0, || h.alloc_node(1, 8));
    assert_eq!(result, Err(REFUSED));
    assert_eq!((h.live_set().unwrap(), h.stats().collections), before);
    // With memory the collection runs; the cycle is saved, not freed, so
    // the limit refuses.
    assert_eq!(
        h.alloc_node(1, 8),
        Err(GcError::OutOfMemory { limit: 4 * 32 })
    );
    let mut garbage = h.gc().garbage().unwrap();
    garbage.sort();
    assert_eq!(garbage, cycle);
    h.control(Control::DebugOff).unwrap();
    h.control(Control::GarbageClear).unwrap();
    let again = h.alloc_node(1, 8).unwrap();
    for x in [kept, live, again] {
        h.release(x).unwrap();
    }
    assert_eq!(h.stats().live_objects, 0);
}

/// One line of debug output, in fixed room (longer lines are cut).
#[derive(Clone, Copy)]
struct Line {
    text: [u8; 96],
    len: usize,
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.text.len() - self.len);
        self.text[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self, "{value:?}");
        }
    }
}

/// The lines `gc_generational` printed, kept without allocating (room
/// for 64).
struct Lines {
    lines: [Line; 64],
    n: usize,
}

impl Lines {
    fn take(&mut self) -> Vec<String> {
        let out = self.lines[..self.n.min(64)]
            .iter()
            .map(|l| String::from_utf8(l.text[..l.len].to_vec()).unwrap())
            .collect();
        self.n = 0;
        out
    }
}

/// A subscriber that never allocates: each line goes into [`Lines`].
struct Capture(Arc<Mutex<Lines>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() != "gc_generational" {
            return;
        }
        let mut line = Line {
            text: [0; 96],
            len: 0,
        };
        event.record(&mut line);
        let mut lines = self.0.lock().unwrap();
        let n = lines.n;
        if n < 64 {
            lines.lines[n] = line;
        }
        lines.n += 1;
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// DEBUG_STATS and DEBUG_COLLECTABLE print every line of a collection
/// that is refused every allocation: the collection allocates nothing,
/// prints everything, and collects.
#[test]
fn debug_output_allocates_nothing() {
    let lines = Arc::new(Mutex::new(Lines {
        lines: [Line {
            text: [0; 96],
            len: 0,
        }; 64],
        n: 0,
    }));
    tracing::subscriber::with_default(Capture(lines.clone()), || {
        let mut h = explicit_only();
        h.gc().set_debug(DEBUG_STATS | DEBUG_COLLECTABLE);
        // Once with memory: `tracing` registers each line's call site.
        garbage_cycle(&mut h, None);
        assert_eq!(h.collect_full().unwrap(), 2);
        assert_eq!(lines.lock().unwrap().take().len(), 6);
        let mut ids = Vec::new();
        ids.extend(garbage_cycle(&mut h, Some(Finalizer::Notify)));
        ids.extend(garbage_cycle(&mut h, None));
        assert_eq!(refusing_all(|| h.collect_full()).unwrap(), 4);
        let got = lines.lock().unwrap().take();
        assert_eq!(got.len(), 8, "{got:?}");
        assert_eq!(got[0], "gc: collecting generation 2...");
        assert_eq!(got[1], "gc: objects in each generation: 4 0 0");
        assert_eq!(got[2], "gc: objects in permanent generation: 0");
        let mut collectable = got[3..7].to_vec();
        collectable.sort();
        let mut want: Vec<String> = ids
            .iter()
            .map(|id| format!("gc: collectable <node #{}>", id.0))
            .collect();
        want.sort();
        assert_eq!(collectable, want);
        assert!(
            got[7].starts_with("gc: done, 4 unreachable, 0 uncollectable, "),
            "{}",
            got[7]
        );
        assert_eq!(h.stats().live_objects, 0);
    });
}

/// The `gc` module's lists, refused their memory: `OutOfMemory`, nothing
/// changed (no root left behind by `get_referents`); with memory, the
/// answers.
#[test]
fn the_gc_modules_lists_refused_are_out_of_memory() {
    let mut h = explicit_only();
    let a = h.alloc_node(2, 0).unwrap();
    let b = h.alloc_node(0, 0).unwrap();
    h.set_slot(a, 0, Some(b)).unwrap();
    h.set_slot(a, 1, Some(b)).unwrap();
    let (ai, bi) = (h.object_id(a).unwrap(), h.object_id(b).unwrap());
    h.control(Control::DebugSaveAll).unwrap();
    let mut cycle = garbage_cycle(&mut h, None).to_vec();
    assert_eq!(h.collect(gc_core::Generation::YOUNGEST).unwrap(), 2);
    let roots = h.root_count();

    let refused_all = |h: &mut Generational| {
        let cb = callback(|_, _, _| {});
        let gc = &mut h.gc();
        [
            with_budget(0, 0, || gc.get_objects(None).map(drop)),
            with_budget(0, 0, || gc.get_objects(Some(1)).map(drop)),
            with_budget(0, 0, || gc.get_referrers(&[b]).map(drop)),
            with_budget(0, 0, || gc.garbage().map(drop)),
            with_budget(0, 0, || gc.get_referents(&[a]).map(drop)),
            with_budget(0, 0, || gc.add_callback(cb)),
        ]
    };
    for (i, (result, refused)) in refused_all(&mut h).into_iter().enumerate() {
        assert_eq!(result, Err(REFUSED), "list {i}");
        assert!(refused > 0, "list {i}");
    }
    assert_eq!(h.root_count(), roots);
    assert!(h.gc().callbacks().is_empty());
    // `get_referents` refused a root after its list: the roots it made
    // are released.
    for budget in 1..4 {
        let (result, _) = with_budget(budget, u64::MAX, || h.gc().get_referents(&[a]));
        match result {
            Ok(got) => {
                assert_eq!(got.len(), 2);
                for r in got {
                    h.release(r).unwrap();
                }
            }
            Err(e) => assert_eq!(e, REFUSED),
        }
        assert_eq!(h.root_count(), roots, "budget {budget}");
    }
    // Walks without a list allocate nothing.
    assert_eq!(refusing_all(|| h.gc().generation_of(a)).unwrap(), Some(1));

    // With memory, the answers.
    let mut objects = h.gc().get_objects(None).unwrap();
    objects.sort();
    let mut want = vec![ai, bi];
    want.extend(&cycle);
    want.sort();
    assert_eq!(objects, want, "the cycle is in gc.garbage, still tracked");
    assert_eq!(h.gc().get_referrers(&[b]).unwrap(), vec![ai]);
    let mut garbage = h.gc().garbage().unwrap();
    garbage.sort();
    cycle.sort();
    assert_eq!(garbage, cycle);
    let referents = h.gc().get_referents(&[a]).unwrap();
    assert_eq!(referents.len(), 2);
    for r in referents {
        assert_eq!(h.object_id(r).unwrap(), bi);
        h.release(r).unwrap();
    }
    h.gc().add_callback(callback(|_, _, _| {})).unwrap();
    assert_eq!(h.gc().callbacks().len(), 1);
    h.gc().callbacks().clear();
    h.control(Control::DebugOff).unwrap();
    h.control(Control::GarbageClear).unwrap();
    h.release(a).unwrap();
    h.release(b).unwrap();
    h.collect_full().unwrap();
    assert_eq!(h.stats().live_objects, 0);
}
