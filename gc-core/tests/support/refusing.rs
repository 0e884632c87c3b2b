//! Refused memory, simulated: a global allocator that forwards to the
//! system's and refuses the allocations of one thread once the budget that
//! thread set is spent, and a collector wrapper that sets the budget around
//! each call into the collector (so the test's own code, the harness and
//! the mutator are never refused).
//!
//! Shared by the fallible-allocation tests of gc-core, gc-refcount and
//! gc-generational (`#[path]`-included; each test binary declares
//! `#[global_allocator] static A: Refusing = Refusing;`). A refused
//! allocation the collector does not handle aborts the test binary
//! ("memory allocation of N bytes failed"), which is what the tests are
//! for.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use gc_core::embed::EmbedState;
use gc_core::tooling::line_error::LineErrorKind;
use gc_core::tooling::mutator::Mutator;
use gc_core::tooling::trace::Trace;
use gc_core::{
    Collector, Control, ControlOutcome, Event, Finalizer, GcError, Generation, Handle, Inspect,
    ObjectId, RootList, Shape, Stats, Traits, WeakHandle, WeakId,
};

/// The allocator: the system's, refusing on request.
#[derive(Debug)]
pub struct Refusing;

#[derive(Clone, Copy, Debug)]
struct Budget {
    allocations: u64,
    bytes: u64,
}

thread_local! {
    // `const` and without `Drop`: reading them never allocates.
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
    static REFUSED: Cell<u64> = const { Cell::new(0) };
}

/// May this thread allocate `bytes` more? Spends the budget when it may.
fn grant(bytes: usize) -> bool {
    BUDGET
        .try_with(|cell| match cell.get() {
            None => true,
            Some(b) if b.allocations == 0 || b.bytes < bytes as u64 => {
                let _ = REFUSED.try_with(|r| r.set(r.get() + 1));
                false
            }
            Some(b) => {
                cell.set(Some(Budget {
                    allocations: b.allocations - 1,
                    bytes: b.bytes - bytes as u64,
                }));
                true
            }
        })
        .unwrap_or(true)
}

// SAFETY: every call forwards to `System` with the caller's arguments, or
// returns null (a refusal, which `GlobalAlloc` allows) without touching
// memory.
unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grant(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `layout` is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !grant(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout` (every allocation
        // here is `System`'s).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !grant(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` came from `System` with `layout`; the caller's
        // contract for `new_size` is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// From now on this thread may make `allocations` more allocations of
/// `bytes` bytes in all; every later one is refused.
pub fn refuse_after(allocations: u64, bytes: u64) {
    BUDGET.with(|b| b.set(Some(Budget { allocations, bytes })));
}

/// No more refusals on this thread.
pub fn allow_all() {
    BUDGET.with(|b| b.set(None));
}

/// Allocations refused on this thread so far.
pub fn refused() -> u64 {
    REFUSED.with(Cell::get)
}

/// Runs `f` with a budget of `allocations` allocations and `bytes` bytes,
/// then allows everything again. Returns what `f` returned and how many
/// allocations were refused meanwhile.
pub fn with_budget<R>(allocations: u64, bytes: u64, f: impl FnOnce() -> R) -> (R, u64) {
    let before = refused();
    refuse_after(allocations, bytes);
    let r = f();
    allow_all();
    (r, refused() - before)
}

/// Runs `f` with every allocation refused: `f` must allocate nothing.
pub fn refusing_all<R>(f: impl FnOnce() -> R) -> R {
    let (r, refused) = with_budget(0, 0, f);
    assert_eq!(refused, 0, "an operation that must not allocate did");
    r
}

/// A collector whose every call runs under the budget the test sets in
/// [`Armed::budget`] (refusing the `k`-th allocation of the call and every
/// later one), everything else allowed. `take_saved` runs unarmed: its
/// signature has no error, so it degrades instead (hands out nothing).
#[derive(Debug)]
pub struct Armed<C: Collector> {
    pub inner: C,
    embed: EmbedState<Armed<C>>,
    /// Allocations each call may make before refusals start; `None`: all.
    pub budget: Option<u64>,
    /// Whether `record_events(true)` reaches the heap (off: a replay that
    /// retries refused lines must not see events lost by lines that ran).
    pub record: bool,
    /// Calls that returned `OutOfMemory` so far.
    pub refused_calls: u64,
}

impl<C: Collector> Armed<C> {
    pub fn new(inner: C) -> Self {
        let embed = EmbedState::layered_over(inner.embed_state_ref()).expect("a stamp");
        Armed {
            inner,
            embed,
            budget: None,
            record: false,
            refused_calls: 0,
        }
    }

    fn run<R>(&mut self, f: impl FnOnce(&mut C) -> Result<R, GcError>) -> Result<R, GcError> {
        let r = match self.budget {
            None => f(&mut self.inner),
            Some(k) => {
                let inner = &mut self.inner;
                with_budget(k, u64::MAX, || f(inner)).0
            }
        };
        if matches!(r, Err(GcError::OutOfMemory { .. })) {
            self.refused_calls += 1;
        }
        r
    }
}

impl<C: Collector> Collector for Armed<C> {
    const TRAITS: Traits = C::TRAITS;
    type Config = C::Config;
    type View<'a>
        = C::View<'a>
    where
        Self: 'a;

    fn with_config(config: C::Config) -> Result<Self, GcError> {
        C::with_config(config).map(Armed::new)
    }
    fn alloc(&mut self, shape: Shape) -> Result<Handle, GcError> {
        self.run(|c| c.alloc(shape))
    }
    fn alloc_tuple(&mut self, members: &[Option<Handle>]) -> Result<Handle, GcError> {
        self.run(|c| c.alloc_tuple(members))
    }
    fn clone_handle(&mut self, handle: Handle) -> Result<Handle, GcError> {
        self.run(|c| c.clone_handle(handle))
    }
    fn release(&mut self, handle: Handle) -> Result<(), GcError> {
        self.run(|c| c.release(handle))
    }
    fn slot(&mut self, object: Handle, index: usize) -> Result<Option<Handle>, GcError> {
        self.run(|c| c.slot(object, index))
    }
    fn set_slot(
        &mut self,
        object: Handle,
        index: usize,
        value: Option<Handle>,
    ) -> Result<(), GcError> {
        self.run(|c| c.set_slot(object, index, value))
    }
    fn resize(&mut self, object: Handle, slots: usize) -> Result<(), GcError> {
        self.run(|c| c.resize(object, slots))
    }
    fn view(&self, object: Handle) -> Result<C::View<'_>, GcError> {
        self.inner.view(object)
    }
    fn payload_mut(&mut self, object: Handle) -> Result<&mut [u8], GcError> {
        self.inner.payload_mut(object)
    }
    fn set_finalizer(&mut self, object: Handle, finalizer: Finalizer) -> Result<(), GcError> {
        self.run(|c| c.set_finalizer(object, finalizer))
    }
    fn weak(&mut self, object: Handle, callback: bool) -> Result<WeakHandle, GcError> {
        self.run(|c| c.weak(object, callback))
    }
    fn upgrade(&mut self, weak: WeakHandle) -> Result<Option<Handle>, GcError> {
        self.run(|c| c.upgrade(weak))
    }
    fn release_weak(&mut self, weak: WeakHandle) -> Result<(), GcError> {
        self.run(|c| c.release_weak(weak))
    }
    fn take_saved(&mut self) -> Vec<Handle> {
        self.inner.take_saved()
    }
    fn collect(&mut self, generation: Generation) -> Result<u64, GcError> {
        self.run(|c| c.collect(generation))
    }
    fn control(&mut self, control: Control) -> Result<ControlOutcome, GcError> {
        self.run(|c| c.control(control))
    }
    fn stats(&self) -> Stats {
        self.inner.stats()
    }
    /// On only with [`Armed::record`].
    fn record_events(&mut self, on: bool) {
        self.inner.record_events(on && self.record);
    }
    fn drain_events(&mut self, out: &mut Vec<Event>) -> Result<(), GcError> {
        self.inner.drain_events(out)
    }
    fn root_count(&self) -> usize {
        self.inner.root_count()
    }
    fn embed_state(&mut self) -> &mut EmbedState<Self> {
        &mut self.embed
    }
    fn embed_state_ref(&self) -> &EmbedState<Self> {
        &self.embed
    }
}

impl<C: Inspect> Inspect for Armed<C> {
    fn weak_id(&self, weak: WeakHandle) -> Result<WeakId, GcError> {
        self.inner.weak_id(weak)
    }
    fn live_objects(&self) -> Result<Vec<ObjectId>, GcError> {
        self.inner.live_objects()
    }
    fn root_list(&self, list: RootList) -> Result<Vec<ObjectId>, GcError> {
        self.inner.root_list(list)
    }
}

/// What a heap shows after an operation: its live set, its root lists and
/// the counters a refused operation must not move.
fn observed<C: Inspect>(c: &C) -> (Vec<ObjectId>, Vec<ObjectId>, Vec<ObjectId>, [u64; 6]) {
    let s = c.stats();
    let mut live = c.live_objects().unwrap();
    live.sort();
    (
        live,
        c.root_list(RootList::Saved).unwrap(),
        c.root_list(RootList::Garbage).unwrap(),
        [
            s.allocated,
            s.live_objects,
            s.live_bytes,
            s.finalized,
            s.weak_callbacks,
            s.collections.iter().sum(),
        ],
    )
}

/// Replays `trace` twice, on a heap that always gets its memory and on one
/// whose calls are refused memory from their `k`-th allocation on (`k`
/// from `budgets`, line after line). A refused operation must fail with
/// `OutOfMemory` and change nothing: retried with memory, it succeeds, and
/// after every line the two heaps agree on the live set, the saved and
/// garbage lists and the counters. Returns how many operations were
/// refused. (Automatic collections must not depend on the failed attempt:
/// give collectors that trigger on allocation counts a configuration
/// without them.)
pub fn replay_with_refusals<C: Inspect>(
    clean: C,
    faulty: C,
    trace: &Trace,
    budgets: &[u64],
) -> Result<u64, String> {
    let mut clean = Mutator::new(clean);
    let mut faulty = Mutator::new(Armed::new(faulty));
    let mut refusals = 0;
    for (i, line) in trace.lines.iter().enumerate() {
        let fail = |m: String| {
            format!(
                "line {}: {} ({})\n{}",
                line.number,
                m,
                line.op,
                trace.to_text()
            )
        };
        clean
            .step(line)
            .map_err(|e| fail(format!("clean run: {e}")))?;
        faulty.collector.budget = Some(budgets[i % budgets.len()]);
        let first = faulty.step(line);
        faulty.collector.budget = None;
        if let Err(e) = first {
            let message = e.to_string();
            if !message.contains(&GcError::OutOfMemory { limit: 0 }.to_string()) {
                return Err(fail(format!("refused memory gave `{message}`")));
            }
            refusals += 1;
            faulty
                .step(line)
                .map_err(|e| fail(format!("retried with memory: {e}")))?;
        }
        let (a, b) = (
            observed(&clean.collector),
            observed(&faulty.collector.inner),
        );
        if a != b {
            return Err(fail(format!("clean {a:?}\nfaulty {b:?}")));
        }
    }
    Ok(refusals)
}

/// An event without its time (which differs from run to run).
fn timeless(events: impl IntoIterator<Item = Event>) -> Vec<Event> {
    events
        .into_iter()
        .map(|e| match e {
            Event::Collect(mut c) => {
                c.pause_ns = 0;
                Event::Collect(c)
            }
            e => e,
        })
        .collect()
}

/// [`replay_with_refusals`] with events recorded: after every line the
/// heap that was refused memory reported the same events as the one that
/// never was, or (the line ran, but the memory to record some of its events
/// was refused) said it lost them, and reported nothing; a refused
/// operation reported nothing either. Returns how many operations were
/// refused and how many lines lost their events.
pub fn replay_events_with_refusals<C: Inspect>(
    clean: C,
    faulty: C,
    trace: &Trace,
    budgets: &[u64],
) -> Result<(u64, u64), String> {
    let mut clean = Mutator::new(clean);
    let mut armed = Armed::new(faulty);
    armed.record = true;
    let mut faulty = Mutator::new(armed);
    let (mut refusals, mut losses) = (0, 0);
    let lost = LineErrorKind::EventsLost(GcError::OutOfMemory { limit: 0 });
    for (i, line) in trace.lines.iter().enumerate() {
        let fail = |m: String| format!("line {}: {} ({})", line.number, m, line.op);
        clean
            .step(line)
            .map_err(|e| fail(format!("clean run: {e}")))?;
        let want = timeless(clean.events.drain(..));
        faulty.collector.budget = Some(budgets[i % budgets.len()]);
        let refused_before = faulty.collector.refused_calls;
        let first = faulty.step(line);
        faulty.collector.budget = None;
        let got = timeless(faulty.events.drain(..));
        match first {
            Ok(()) if got == want => {}
            Ok(()) => return Err(fail(format!("events {got:?}, never refused {want:?}"))),
            Err(e) if faulty.collector.refused_calls > refused_before => {
                if !e
                    .to_string()
                    .contains(&GcError::OutOfMemory { limit: 0 }.to_string())
                {
                    return Err(fail(format!("refused memory gave `{e}`")));
                }
                if !got.is_empty() {
                    return Err(fail(format!("a refused operation reported {got:?}")));
                }
                refusals += 1;
                faulty
                    .step(line)
                    .map_err(|e| fail(format!("retried with memory: {e}")))?;
                let again = timeless(faulty.events.drain(..));
                if again != want {
                    return Err(fail(format!("events {again:?}, never refused {want:?}")));
                }
            }
            Err(e) if e.kind == lost && got.is_empty() => losses += 1,
            Err(e) => return Err(fail(format!("`{e}`, events {got:?}"))),
        }
        let (a, b) = (
            observed(&clean.collector),
            observed(&faulty.collector.inner),
        );
        if a != b {
            return Err(fail(format!("clean {a:?}\nfaulty {b:?}")));
        }
    }
    Ok((refusals, losses))
}
