//! The incremental major collection as an explicit state machine (PyPy's
//! `major_collection_step`), and the finalizer ordering
//! (`deal_with_objects_with_finalizers`).
//!
//! ```text
//!   Scanning ──► Marking ──(no grey left)──► Sweeping ──(all swept)──► Finalizing ──► Scanning
//!                 ▲    │ bounded steps           bounded steps            run finalizers,
//!                 └────┘                                                   weak callbacks
//! ```
//!
//! Every step runs right after a minor collection, so the nursery is empty.
//!
//! - **Scanning** (one step): the roots and the saved list become grey.
//! - **Marking**: visits grey objects until `max(increment_step, 2 × the
//!   bytes the last minor promoted)` bytes are marked. A black object
//!   written since the last minor collection is not re-greyed: the
//!   minor collection, which reads its slots (or its dirty cards) anyway,
//!   greys the white objects it now refers to, on the ordinary grey stack
//!   (see `minor.rs`). So a black object stays black for the rest of the
//!   cycle, and the objects promoted during marking are marked as the
//!   cycle goes, not all at its end. (PyPy re-greys the written object and
//!   visits the re-greyed ones only once the other greys run out; on a
//!   1 GiB heap with a 4 MiB nursery that deferred everything the cycle
//!   promoted through a re-greyed 16,384-slot node, and the last 2–3 steps
//!   of each cycle took 2–3 normal budgets: the longest step.) The roots
//!   greyed by minor collections still wait on `more_objects_to_trace`
//!   until the other greys run out. Termination: every object is marked at
//!   most once per cycle, and every step that ends with work left after the
//!   cycle's greys ran out, or after more than twice the heap at the
//!   cycle's start was marked (the mutator outpacing the marking), grows
//!   the budget by one normal budget: after `k` such steps it is `k + 1`
//!   normal budgets, so it eventually covers the whole heap, and a step
//!   that starts with the budget to mark everything ends with no grey left
//!   (the mutator writes only between steps). (Doubling instead of adding
//!   made the last steps about twice as long in the 1 GiB experiment.)
//!   When no grey object is left: finalizer ordering (and the finalizers),
//!   weak references to dead objects cleared, every page and large object
//!   handed to the sweeper.
//! - **Sweeping**: first the large objects (`3 × nursery / 280` per step),
//!   then the pages (`3 × nursery / 8 KiB` per step, the next page
//!   prefetched while one is swept); unmarked objects are freed, marks
//!   cleared. At the end the next threshold is set (PyPy's
//!   `set_major_threshold_from`).
//! - **Finalizing** (one step): back to Scanning, then the callbacks of weak
//!   references cleared since the last major collection. (The finalizers
//!   ran in the step that ended marking: see `finish_marking`.)

use std::time::Instant;

use gc_core::{Event, Trigger, WeakId};

use crate::collector::{IncMiniMark, OldGen};
use crate::header::{
    Access, Block, FIN_HOOK, FIN_RESURRECT, FINALIZATION_ORDERING, FINALIZED, HAS_FINALIZER,
    MORE_PENDING, ObjPtr, ObjRef, Slot, TRACK_YOUNG_PTRS, VISITED,
};
use crate::pages::{self, PAGE_SIZE, SMALL_REQUEST_THRESHOLD};
use crate::weak::WeakTable;

/// The major collection's phase (PyPy's `gc_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// No cycle in progress; the next step starts one.
    Scanning,
    /// Tri-colour marking in bounded steps.
    Marking,
    /// Freeing unmarked objects in bounded steps.
    Sweeping,
    /// The cycle is done; the next step runs the finalizers.
    Finalizing,
}

impl State {
    pub(crate) fn name(self) -> &'static str {
        match self {
            State::Scanning => "scanning",
            State::Marking => "marking",
            State::Sweeping => "sweeping",
            State::Finalizing => "finalizing",
        }
    }
}

impl OldGen {
    /// PyPy's `visit`: blacken `obj` (and put it back on the barrier's
    /// slow path), grey its white children; returns the bytes marked.
    #[inline]
    fn visit(&mut self, obj: ObjRef<'_>) -> usize {
        let tid = obj.tid();
        if tid & VISITED != 0 {
            return 0;
        }
        obj.set_tid((tid | VISITED | TRACK_YOUNG_PTRS) & !MORE_PENDING);
        for slot in obj.slots() {
            if let Some(child) = slot.get() {
                if !child.has(VISITED) {
                    self.objects_to_trace.push(child.ptr());
                }
            }
        }
        obj.size_bytes()
    }

    /// Visits grey objects until `budget` bytes are marked or none is left;
    /// returns what is left of the budget.
    fn mark(&mut self, access: &Access, budget: usize) -> usize {
        let mut remaining = budget;
        while remaining > 0 {
            let Some(obj) = self.objects_to_trace.pop() else {
                break;
            };
            // SAFETY: grey objects are live (invariant in `header.rs`).
            remaining = remaining.saturating_sub(self.visit(unsafe { obj.open(access) }));
        }
        remaining
    }

    fn mark_all(&mut self, access: &Access) {
        while let Some(obj) = self.objects_to_trace.pop() {
            // SAFETY: as in `mark`.
            self.visit(unsafe { obj.open(access) });
        }
    }
}

/// The finalization state of an old object during
/// `deal_with_objects_with_finalizers` (PyPy's four states; the invariant
/// is that if x refers to y then `state(y) >= state(x)`).
fn fin_state(obj: Block<'_>) -> u8 {
    match (obj.has(VISITED), obj.has(FINALIZATION_ORDERING)) {
        (false, false) => 0, // unreachable
        (false, true) => 1,  // temporary
        (true, true) => 2,   // reachable only from a finalizer (maybe itself)
        (true, false) => 3,  // alive
    }
}

impl IncMiniMark {
    /// One major step; see the [module docs](self). `unlimited` finishes
    /// the phase in one go (full collections).
    pub(crate) fn major_collection_step(
        &mut self,
        reserving: f64,
        unlimited: bool,
        trigger: Trigger,
    ) {
        let started = Instant::now();
        let freed_before = self.stats.freed;
        let nursery = self.nursery.capacity();
        self.pacing.threshold_objects_made_old += nursery / 2;
        let mut completed = false;
        match self.state {
            State::Scanning => {
                self.pacing.size_objects_made_old = 0;
                self.pacing.threshold_objects_made_old = nursery / 2;
                self.old.objects_to_trace.clear();
                self.old.more_objects_to_trace.clear();
                self.old.objects_to_trace.extend(self.roots.iter());
                self.old.objects_to_trace.extend(self.saved.iter().copied());
                self.pacing.used_at_cycle_start = self.old.total_used();
                self.pacing.marked_in_cycle = 0;
                self.state = State::Marking;
            }
            State::Marking => {
                let budget = if unlimited {
                    usize::MAX
                } else {
                    self.config
                        .increment_step_bytes()
                        .max(2 * self.pacing.last_surviving)
                };
                // Once the greys of the cycle ran out (or the mutator
                // outpaces the marking), each step that still has work left
                // grows the budget by one more normal budget (see the module
                // docs: bounded steps, guaranteed termination).
                let budget = budget.saturating_mul(1 + self.pacing.chasing_steps as usize);
                let old = &mut self.old;
                let mut remaining = old.mark(&self.access, budget);
                let mut chased = false;
                if old.objects_to_trace.is_empty() && !old.more_objects_to_trace.is_empty() {
                    std::mem::swap(&mut old.objects_to_trace, &mut old.more_objects_to_trace);
                    remaining = old.mark(&self.access, remaining.max(1));
                    chased = true;
                }
                let p = &mut self.pacing;
                p.marked_in_cycle = p
                    .marked_in_cycle
                    .saturating_add(budget.saturating_sub(remaining));
                // Objects are never re-greyed once black, so a cycle marks
                // each object at most once; more than twice the heap at the
                // cycle's start means the mutator outpaces the marking.
                let outpaced = p.marked_in_cycle > 2 * p.used_at_cycle_start;
                if old.objects_to_trace.is_empty() && old.more_objects_to_trace.is_empty() {
                    self.pacing.chasing_steps = 0;
                    self.finish_marking();
                } else if chased || outpaced || self.pacing.chasing_steps > 0 {
                    self.pacing.chasing_steps += 1;
                }
            }
            State::Sweeping => {
                let (large_limit, page_limit) = if unlimited {
                    (usize::MAX, usize::MAX)
                } else if self.config.zeal {
                    (1, 1)
                } else {
                    (
                        (3 * nursery / SMALL_REQUEST_THRESHOLD).max(1),
                        (3 * nursery / PAGE_SIZE).max(1),
                    )
                };
                // Large objects first, then pages, one kind per step (PyPy).
                let swept_large = !self.old.sweep_large.is_empty();
                if swept_large {
                    self.sweep_large(large_limit);
                }
                if self.old.sweep_large.is_empty() && (unlimited || !swept_large) {
                    // SAFETY: marking is complete (Sweeping follows it), so
                    // nothing live refers to an unmarked object, and weak
                    // references to them were cleared; objects promoted
                    // since are on pages not handed to the sweeper.
                    let (count, done) = unsafe {
                        self.old.pages.sweep(page_limit, &mut self.access, |o| {
                            let live = o.has(VISITED);
                            o.remove(VISITED);
                            live
                        })
                    };
                    self.stats.freed += count.objects;
                    self.stats.live_objects -= count.objects;
                    self.stats.live_bytes -= count.payload;
                    if done {
                        self.finish_sweeping(reserving);
                        completed = true;
                    }
                }
            }
            State::Finalizing => {
                self.state = State::Scanning;
                self.run_weak_callbacks();
            }
        }
        let pause = started.elapsed().as_nanos() as u64;
        self.gc.major_steps += 1;
        self.gc.major_time_ns += pause;
        self.gc.max_step_pause_ns = self.gc.max_step_pause_ns.max(pause);
        if !self.quiet {
            let kind = if completed {
                Self::MAJOR
            } else {
                Self::MAJOR_STEP
            };
            let freed = self.stats.freed - freed_before;
            self.record_event(trigger, kind, freed, pause);
        }
        if self.config.debug || self.config.zeal {
            if let Err(e) = self.check() {
                panic!("heap check after a major step ({}): {e}", self.state.name());
            }
        }
    }

    fn sweep_large(&mut self, limit: usize) {
        let mut n = 0;
        while n < limit {
            let Some(ptr) = self.old.sweep_large.pop() else {
                break;
            };
            n += 1;
            // SAFETY: a large object waiting for the sweeper is not freed.
            let obj = unsafe { ptr.open_block(&self.access) };
            if obj.has(VISITED) {
                obj.remove(VISITED);
                self.old.large.push(ptr);
            } else {
                let bytes = obj.size_bytes();
                let payload = obj.payload_len() as u64;
                // SAFETY: unmarked after a complete marking, so nothing live
                // refers to it (weak references to it were cleared); it was
                // on `sweep_large` only, and is off it now.
                unsafe { pages::free_large(ptr, &mut self.access) };
                self.old.large_bytes -= bytes;
                self.stats.freed += 1;
                self.stats.live_objects -= 1;
                self.stats.live_bytes -= payload;
            }
        }
    }

    /// No grey object is left: every reachable object is black.
    fn finish_marking(&mut self) {
        self.pacing.kept_alive_by_finalizer = 0;
        if !self.old_with_finalizers.is_empty() {
            self.deal_with_objects_with_finalizers();
        } else {
            invalidate_old_weakrefs(&mut self.weaks, &self.access);
        }
        // The finalizers run now, in the step that decided them: PyPy runs
        // them one state later (Finalizing), but here the mutator runs in
        // between, and it could revive a finalizable object through a weak
        // reference kept for a resurrecting finalizer (see
        // `deal_with_objects_with_finalizers`) — a finalizer must never run
        // on an object the mutator can reach.
        self.execute_finalizers();
        self.old.pages.prepare_sweep();
        debug_assert!(self.old.sweep_large.is_empty());
        self.old.sweep_large = std::mem::take(&mut self.old.large);
        self.state = State::Sweeping;
    }

    /// PyPy's ordering: for each unreachable object with a finalizer (in
    /// registration order), everything it reaches is kept alive for this
    /// cycle; only an object that no other dying finalizable object reaches
    /// is finalized now (one per strongly connected component); the rest
    /// stay registered for the next major collection.
    fn deal_with_objects_with_finalizers(&mut self) {
        let access = &self.access;
        // SAFETY: the finalizer lists hold live objects (invariant in
        // `header.rs`); nothing is freed during this function.
        let open = |p: ObjPtr| unsafe { p.open(access) };
        let mut still_registered = std::collections::VecDeque::new();
        let mut marked = Vec::new();
        let mut pending = Vec::new();
        while let Some(x) = self.old_with_finalizers.pop_front() {
            let x = open(x);
            if x.has(VISITED) {
                still_registered.push_back(x);
                continue;
            }
            marked.push(x);
            pending.push(x);
            while let Some(y) = pending.pop() {
                match fin_state(*y) {
                    0 => {
                        y.add(FINALIZATION_ORDERING);
                        self.pacing.kept_alive_by_finalizer += y.size_bytes();
                        pending.extend(y.slots().iter().filter_map(Slot::get));
                    }
                    2 => bump_2_to_3(y),
                    _ => {}
                }
            }
            // 1 -> 2 over x's closure: mark it.
            self.old.objects_to_trace.push(x.ptr());
            self.old.mark_all(access);
        }
        // Decide first: `x` is finalized now iff it is still in state 2
        // (no later finalizable object reached it). Deciding before any
        // clean-up gives PyPy's answers: a state-2 `x` is never in the
        // closure of another state-2 `x'` processed after it.
        let decided: Vec<(ObjRef<'_>, bool)> = marked
            .into_iter()
            .map(|x| (x, fin_state(*x) == 2))
            .collect();
        // What a resurrecting finalizer keeps (now or at a later major
        // collection) can become strongly reachable again, from the saved
        // list: its weak references stay, so that a weak reference never
        // reads nil while its referent is reachable. Everything else kept
        // only for a finalizer loses its weak references, as in PyPy.
        let resurrecting = |x: &ObjRef<'_>| x.has(HAS_FINALIZER) && x.has(FIN_RESURRECT);
        for &x in decided
            .iter()
            .map(|(x, _)| x)
            .chain(&still_registered)
            .filter(|x| resurrecting(x))
        {
            bump_2_to_3(x);
        }
        invalidate_old_weakrefs(&mut self.weaks, access);
        for (x, now) in decided {
            if now {
                self.finalizers_to_run.push(x.ptr());
                bump_2_to_3(x);
            } else {
                still_registered.push_back(x);
            }
        }
        self.old_with_finalizers = still_registered.into_iter().map(|x| x.ptr()).collect();
    }

    /// PyPy's end of sweeping: the next threshold, from what survived.
    fn finish_sweeping(&mut self, reserving: f64) {
        self.gc.majors += 1;
        let p = &mut self.pacing;
        let used = (self.old.total_used() as f64 - p.kept_alive_by_finalizer as f64).max(0.0);
        let wanted = (used * self.config.major_collection_threshold).min(used + p.max_delta);
        let mut threshold = wanted.min(p.next_major_initial * self.config.growth_rate_max);
        threshold += reserving;
        threshold = threshold.max(p.min_heap);
        if p.max_heap > 0.0 && threshold > p.max_heap {
            threshold = p.max_heap;
        }
        p.next_major_initial = threshold;
        p.next_major_threshold = threshold;
        self.gc.next_major_threshold = threshold;
        self.state = State::Finalizing;
    }

    /// Runs the finalizers decided by the marking that just ended.
    fn execute_finalizers(&mut self) {
        for ptr in std::mem::take(&mut self.finalizers_to_run) {
            // SAFETY: decided at the end of this marking: live (kept for
            // this cycle by the ordering).
            let obj = unsafe { ptr.open(&self.access) };
            obj.remove(HAS_FINALIZER);
            obj.add(FINALIZED);
            self.stats.finalized += 1;
            self.events.push(Event::Finalize { object: obj.id() });
            if obj.has(FIN_HOOK) && self.embed.has_hook() {
                // The hook runs once the operation is over; the root keeps
                // the object (and what it reaches) until then.
                let root = self.roots.insert(ptr);
                self.embed.queue(root);
            } else if obj.has(FIN_RESURRECT) && !obj.has(FIN_HOOK) {
                self.saved.push(ptr);
                self.stats.saved += 1;
            }
        }
    }

    /// Reports the callbacks of the weak references cleared since the last
    /// major collection (if they still live).
    fn run_weak_callbacks(&mut self) {
        for weak in self.weaks.iter_mut() {
            if let Some(object) = weak.pending.take() {
                self.stats.weak_callbacks += 1;
                self.events.push(Event::WeakCallback {
                    weak: WeakId(weak.id),
                    object,
                });
            }
        }
    }
}

/// Weak references to objects that are not really alive (dead, or kept
/// only for a finalizer) are cleared; callbacks are queued.
fn invalidate_old_weakrefs(weaks: &mut WeakTable, access: &Access) {
    for weak in weaks.iter_mut() {
        if let Some(target) = weak.target {
            // SAFETY: at the end of marking nothing was swept yet: every
            // weak target is allocated (maybe dead: only its header is read).
            let target = unsafe { target.open_block(access) };
            if fin_state(target) != 3 {
                weak.target = None;
                if weak.callback {
                    weak.pending = Some(target.id());
                }
            }
        }
    }
}

/// Clears the ordering bit over the state-2 objects reachable from `obj`.
fn bump_2_to_3(obj: ObjRef<'_>) {
    let mut stack = vec![obj];
    while let Some(y) = stack.pop() {
        if fin_state(*y) == 2 {
            y.remove(FINALIZATION_ORDERING);
            stack.extend(y.slots().iter().filter_map(Slot::get));
        }
    }
}
