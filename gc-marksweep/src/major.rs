//! The incremental major collector: an explicit state machine (PyPy's
//! `major_collection_step`), its pacing and its grey stacks.
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
//!   (see `minor.rs`, `mark.rs`). So a black object stays black for the rest of the
//!   cycle, and the objects promoted during marking are marked as the
//!   cycle goes, not all at its end. The exception is a large node with
//!   cards: greying the referents of its dirty cards would make the minor
//!   collection read the header of every one of them (most are old: a
//!   4 × 65,536-slot `large_arrays` took 2.5–7 ms per minor during
//!   marking), so the minor collection traces its dirty cards as a white
//!   object's and puts the node itself back on the grey stack, which the
//!   next step visits whole (PyPy's rule, without PyPy's deferral). (PyPy re-greys the written object and
//!   visits the re-greyed ones only once the other greys run out; on a
//!   1 GiB heap with a 4 MiB nursery that deferred everything the cycle
//!   promoted through a re-greyed 16,384-slot node, and the last 2–3 steps
//!   of each cycle took 2–3 normal budgets: the longest step.) The roots
//!   greyed by minor collections still wait on the roots' grey stack
//!   until the other greys run out. Termination: every object is marked at
//!   most once per cycle (a large node with cards once more per minor
//!   collection that found it black and written), and every step that ends with work left after the
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

use std::time::Instant;

use gc_core::{GcError, ObjectId, WeakId};

use crate::config::MarkSweepConfig;
use crate::finalizers::Finalizers;
use crate::header::ObjPtr;
use crate::mark::GreyStacks;
use crate::old::Swept;
use crate::pages::{PAGE_SIZE, SMALL_REQUEST_THRESHOLD};
use crate::roots::Roots;
use crate::space::Space;
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
    /// The cycle is done; the next step runs the weak callbacks.
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

/// PyPy's counters for the major-collection pacing.
#[derive(Debug, Default)]
pub(crate) struct Pacing {
    pub(crate) next_major_threshold: f64,
    next_major_initial: f64,
    min_heap: f64,
    max_heap: f64,
    max_delta: f64,
    size_objects_made_old: usize,
    threshold_objects_made_old: usize,
    kept_alive_by_finalizer: usize,
    /// Marking steps of this cycle that ended with work left once the
    /// mutator was outpacing the marking (each adds one normal budget).
    chasing_steps: u32,
    /// Old-generation bytes when this cycle's marking started.
    used_at_cycle_start: usize,
    /// Bytes this cycle's marking has marked so far.
    marked_in_cycle: usize,
    /// Bytes the last minor collection promoted (`nursery_surviving_size`).
    last_surviving: usize,
}

/// The incremental major collector: its phase, pacing and grey stacks.
#[derive(Debug)]
pub(crate) struct MajorCollector {
    state: State,
    pacing: Pacing,
    grey: GreyStacks,
    nursery: usize,
    /// `parallel_mark`, resolved once (0: the cores available).
    mark_threads: usize,
    /// Marking steps that ran with `parallel_mark` threads.
    parallel_steps: u64,
    /// Time in `GreyStacks::mark` and `mark_parallel`.
    mark_time_ns: u64,
}

/// What one major step did.
#[derive(Debug, Default)]
pub(crate) struct StepReport {
    /// The step completed a cycle's sweep.
    pub(crate) completed: bool,
    /// Objects freed.
    pub(crate) freed: Swept,
    /// Objects whose finalizer runs now (decided by the end of marking).
    pub(crate) finalized: Vec<ObjPtr>,
    /// Weak-reference callbacks due (Finalizing).
    pub(crate) weak_callbacks: Vec<(WeakId, ObjectId)>,
}

/// Everything a major step reads or updates besides its own state: the
/// parts of the same heap ([`MajorCollector::step`] relies on it).
pub(crate) struct StepScope<'a> {
    /// The heap's memory and its token.
    pub(crate) space: &'a mut Space,
    pub(crate) config: &'a MarkSweepConfig,
    /// The handles and the saved list.
    pub(crate) roots: &'a Roots,
    pub(crate) finalizers: &'a mut Finalizers,
    pub(crate) weaks: &'a mut WeakTable,
    /// Objects in the old generation (all there are: the nursery is
    /// empty).
    pub(crate) old_objects: usize,
}

impl MajorCollector {
    /// A collector for a heap with a nursery of `nursery` bytes.
    pub(crate) fn new(config: &MarkSweepConfig, nursery: usize) -> Self {
        let min_heap = config.min_heap_bytes();
        let pacing = Pacing {
            next_major_threshold: min_heap,
            next_major_initial: min_heap,
            min_heap,
            max_heap: config.max_heap as f64,
            max_delta: config.max_delta_bytes(),
            threshold_objects_made_old: nursery / 2,
            ..Pacing::default()
        };
        MajorCollector {
            state: State::Scanning,
            pacing,
            grey: GreyStacks::default(),
            nursery,
            mark_threads: config.parallel_mark_threads(),
            parallel_steps: 0,
            mark_time_ns: 0,
        }
    }

    /// The phase.
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The next cycle starts at this many bytes of old generation.
    pub(crate) fn next_threshold(&self) -> f64 {
        self.pacing.next_major_threshold
    }

    /// The grey stacks while marking (minor collections grey into them).
    pub(crate) fn marking(&mut self) -> Option<&mut GreyStacks> {
        (self.state == State::Marking).then_some(&mut self.grey)
    }

    /// Marking steps that ran with `parallel_mark` threads, and the time
    /// spent marking (visiting greys).
    pub(crate) fn mark_counters(&self) -> (u64, u64) {
        (self.parallel_steps, self.mark_time_ns)
    }

    /// The grey stacks (for the consistency check).
    pub(crate) fn grey(&self) -> &GreyStacks {
        &self.grey
    }

    /// A minor collection promoted `bytes`.
    pub(crate) fn note_promoted(&mut self, bytes: usize) {
        self.pacing.last_surviving = bytes;
        self.pacing.size_objects_made_old += bytes;
    }

    /// PyPy's `threshold_reached`: the old generation (`used` bytes) plus
    /// `extra` passes the threshold.
    pub(crate) fn threshold_reached(&self, used: usize, extra: f64) -> bool {
        self.pacing.next_major_threshold - (used as f64) < extra
    }

    /// During a cycle, the minors since its start promoted more than the
    /// pacing allows before the next step (PyPy's loop in
    /// `minor_collection_with_major_progress`).
    pub(crate) fn behind(&self, extra: usize) -> bool {
        let threshold = self.pacing.threshold_objects_made_old;
        threshold < extra || self.pacing.size_objects_made_old > threshold - extra
    }

    /// One major step; see the [module docs](self). `unlimited` finishes
    /// the phase in one go (full collections).
    ///
    /// # Safety
    ///
    /// Every part of `scope` belongs to the heap this collector belongs
    /// to, and a minor collection of that heap ran right before: its
    /// nursery and remembered set are empty, so no young object or
    /// unscanned old one refers to what the sweep frees.
    ///
    /// `OutOfMemory` when the system refuses what the step needs (room on
    /// the grey stack, for the sweep's lists, for the finalizer
    /// ordering's lists, for the weak callbacks due): the step stops where
    /// it was, consistent, and the next one resumes there.
    pub(crate) unsafe fn step(
        &mut self,
        scope: StepScope<'_>,
        reserving: f64,
        unlimited: bool,
    ) -> Result<StepReport, GcError> {
        self.pacing.threshold_objects_made_old += self.nursery / 2;
        match self.state {
            State::Scanning => {
                // SAFETY: the scope is this heap's (the caller's guarantee).
                unsafe { self.scan(&scope)? };
                Ok(StepReport::default())
            }
            // SAFETY: the caller's guarantee.
            State::Marking => unsafe { self.mark_step(scope, unlimited) },
            // SAFETY: the caller's guarantee; this collector enters
            // Sweeping only at the end of a complete marking
            // (`finish_marking`).
            State::Sweeping => Ok(unsafe { self.sweep_step(scope, reserving, unlimited) }),
            State::Finalizing => {
                // Refused, the callbacks stay queued for the next step.
                let weak_callbacks = scope.weaks.take_callbacks()?;
                self.state = State::Scanning;
                Ok(StepReport {
                    weak_callbacks,
                    ..StepReport::default()
                })
            }
        }
    }

    /// Scanning: the roots and the saved list become grey.
    ///
    /// # Safety
    ///
    /// The roots of `scope` belong to the heap this collector (and its
    /// grey stacks) belongs to.
    unsafe fn scan(&mut self, scope: &StepScope<'_>) -> Result<(), GcError> {
        // SAFETY: this heap's roots (the caller's guarantee): live objects.
        unsafe { self.grey.start(scope.roots.len(), scope.roots.iter())? };
        self.pacing.size_objects_made_old = 0;
        self.pacing.threshold_objects_made_old = self.nursery / 2;
        self.pacing.used_at_cycle_start = scope.space.old().total_used();
        self.pacing.marked_in_cycle = 0;
        self.state = State::Marking;
        Ok(())
    }

    /// Marking: one bounded step, then the end of marking if no grey
    /// object is left.
    ///
    /// # Safety
    ///
    /// As for [`step`](Self::step).
    unsafe fn mark_step(
        &mut self,
        scope: StepScope<'_>,
        unlimited: bool,
    ) -> Result<StepReport, GcError> {
        let budget = if unlimited {
            usize::MAX
        } else {
            scope
                .config
                .increment_step_bytes()
                .max(2 * self.pacing.last_surviving)
        };
        // Once the greys of the cycle ran out (or the mutator outpaces the
        // marking), each step that still has work left grows the budget by
        // one more normal budget (see the module docs: bounded steps,
        // guaranteed termination).
        let budget = budget.saturating_mul(1 + self.pacing.chasing_steps as usize);
        // With `parallel_mark` threads when the budget covers the whole
        // old generation (so the step marks everything left, as the
        // sequential marking would: the same result, see `mark.rs`) and
        // that is enough work to be worth the threads. (Not the old
        // generation minus what this cycle marked: a large node re-greyed
        // by a minor collection is counted in `marked_in_cycle` again.)
        let threads = self.mark_threads;
        let old = scope.space.old().total_used();
        let parallel = threads > 1 && budget > old && old >= scope.config.parallel_mark_min;
        let access = scope.space.access();
        let started = Instant::now();
        let marked = if parallel {
            self.parallel_steps += 1;
            // Counted exactly (a compare-and-swap per object) only when
            // the end of marking will need the white objects' number.
            let count = scope.finalizers.old_len() > 0;
            // SAFETY: as below, and `old` bounds the bytes a step can
            // blacken: every old object's bytes are in `total_used` (page
            // blocks and large objects are allocated at their objects'
            // size), and the sequential marking blackens no object twice
            // in one step (no minor collection runs in it to re-grey one).
            unsafe { self.grey.mark_parallel(access, budget, threads, count) }
        } else {
            // SAFETY: the scope is this heap's and its nursery is empty
            // (the caller's guarantee).
            unsafe { self.grey.mark(access, budget) }
        };
        self.mark_time_ns += started.elapsed().as_nanos() as u64;
        let (mut remaining, chased) = marked?;
        if parallel {
            // Its threads' byte counts are an upper bound (an object two
            // of them blackened at once is in both): capped at the old
            // generation, which bounds what the sequential step marks.
            remaining = remaining.max(budget - old);
        }
        let p = &mut self.pacing;
        p.marked_in_cycle = p
            .marked_in_cycle
            .saturating_add(budget.saturating_sub(remaining));
        // Only written large nodes are re-greyed once black, so a cycle
        // marks each other object at most once; more than twice the heap at the cycle's
        // start means the mutator outpaces the marking.
        let outpaced = p.marked_in_cycle > 2 * p.used_at_cycle_start;
        if self.grey.is_empty() {
            self.pacing.chasing_steps = 0;
            // SAFETY: the caller's guarantee, and no grey object is left.
            return unsafe { self.finish_marking(scope) };
        }
        if chased || outpaced || self.pacing.chasing_steps > 0 {
            self.pacing.chasing_steps += 1;
        }
        Ok(StepReport::default())
    }

    /// No grey object is left: every reachable object is black. The
    /// finalizers are decided (and run by the caller right after this
    /// step: PyPy runs them one state later, but here the mutator runs in
    /// between, and it could revive a finalizable object through a weak
    /// reference kept for a resurrecting finalizer — a finalizer must
    /// never run on an object the mutator can reach), weak references to
    /// dead objects cleared, everything handed to the sweeper.
    ///
    /// # Safety
    ///
    /// As for [`step`](Self::step), and the marking is complete: no grey
    /// object is left (the sweep that follows frees every unmarked
    /// object).
    unsafe fn finish_marking(&mut self, scope: StepScope<'_>) -> Result<StepReport, GcError> {
        // First what the sweep needs, so that it never allocates: on a
        // refusal nothing changed and the next step ends the marking.
        scope.space.reserve_sweep()?;
        // And what the finalizer ordering needs: every old object that was
        // not blackened this cycle is white. A parallel step counts what it
        // blackens only when some old object has a finalizer; if one ran
        // without and an old object got a finalizer before marking ended
        // (possible only after the system refused memory), the count is
        // lost and every old object is taken as white.
        let white = match self.grey.blackened() {
            Some(black) => scope.old_objects.saturating_sub(black),
            None => scope.old_objects,
        };
        scope.finalizers.reserve_ordering(white)?;
        // SAFETY: the caller's guarantee (as for `GreyStacks::mark`).
        let ordered = unsafe { scope.finalizers.order(scope.space.access(), scope.weaks) };
        self.pacing.kept_alive_by_finalizer = ordered.kept_alive;
        scope.space.prepare_sweep();
        self.state = State::Sweeping;
        Ok(StepReport {
            finalized: ordered.finalized,
            ..StepReport::default()
        })
    }

    /// Sweeping: large objects first, then pages, one kind per step
    /// (PyPy); at the end, the next threshold.
    ///
    /// # Safety
    ///
    /// As for [`step`](Self::step), in the Sweeping state (which only
    /// [`finish_marking`](Self::finish_marking) enters): the marking of
    /// `scope`'s heap is complete, so nothing live refers to an unmarked
    /// object and weak references to them were cleared.
    unsafe fn sweep_step(
        &mut self,
        scope: StepScope<'_>,
        reserving: f64,
        unlimited: bool,
    ) -> StepReport {
        let nursery = self.nursery;
        let (large_limit, page_limit) = if unlimited {
            (usize::MAX, usize::MAX)
        } else if scope.config.zeal {
            (1, 1)
        } else {
            (
                (3 * nursery / SMALL_REQUEST_THRESHOLD).max(1),
                (3 * nursery / PAGE_SIZE).max(1),
            )
        };
        let mut report = StepReport::default();
        let swept_large = scope.space.sweeping_large();
        if swept_large {
            // SAFETY: marking is complete (the caller's guarantee), so
            // nothing live refers to an unmarked object, and weak
            // references to them were cleared.
            report.freed = unsafe { scope.space.sweep_large(large_limit) };
        }
        if !scope.space.sweeping_large() && (unlimited || !swept_large) {
            // SAFETY: as above; objects promoted since are on pages not
            // handed to the sweeper.
            let (swept, done) = unsafe { scope.space.sweep_pages(page_limit) };
            report.freed.objects += swept.objects;
            report.freed.payload += swept.payload;
            if done {
                let used = scope.space.old().total_used();
                self.finish_sweeping(scope.config, used, reserving);
                report.completed = true;
            }
        }
        report
    }

    /// PyPy's end of sweeping: the next threshold, from what survived.
    fn finish_sweeping(&mut self, config: &MarkSweepConfig, used: usize, reserving: f64) {
        let p = &mut self.pacing;
        let used = (used as f64 - p.kept_alive_by_finalizer as f64).max(0.0);
        let wanted = (used * config.major_collection_threshold).min(used + p.max_delta);
        let mut threshold = wanted.min(p.next_major_initial * config.growth_rate_max);
        threshold += reserving;
        threshold = threshold.max(p.min_heap);
        if p.max_heap > 0.0 && threshold > p.max_heap {
            threshold = p.max_heap;
        }
        p.next_major_initial = threshold;
        p.next_major_threshold = threshold;
        self.state = State::Finalizing;
    }
}
