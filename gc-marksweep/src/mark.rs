//! Colours and the grey stacks of the incremental marking (PyPy's
//! `objects_to_trace` and `more_objects_to_trace`).
//!
//! An old object is *white* (unmarked), *grey* (on a stack, `MORE_PENDING`
//! when a minor collection pushed it) or *black* ([`VISITED`]). Visiting a
//! grey object blackens it and greys its white children. Blackening also
//! sets [`TRACK_YOUNG_PTRS`], so that a write into a black object takes the
//! barrier's slow path and the next minor collection greys what was
//! written (see `barrier.rs` for the marking invariant this keeps).
//!
//! # Parallel marking (`parallel_mark=N`)
//!
//! **When.** A marking step runs with `N` threads
//! ([`GreyStacks::mark_parallel`]) only when its byte budget is more than
//! the whole old generation (`total_used`, which bounds what one step can
//! blacken: see `major.rs`), so the sequential marking would certainly
//! mark everything left in this step too, and when the old generation is
//! at least `parallel_mark_min` (4 MiB by default: below it, starting and
//! joining the threads is not repaid). That is every marking step of a
//! full (non-incremental) collection, whose budget is unlimited, and an
//! incremental step while the old generation fits its budget. A step that might
//! stop half-way stays sequential: which objects a partial step blackens
//! depends on the visiting order, and the mutator runs before the next
//! step, so a different order could keep different floating garbage.
//!
//! **Why it marks exactly what the sequential marking marks.** Both blacken
//! exactly the objects reachable from the step's greys through objects that
//! were not black when the step started: an object is blackened only when
//! popped from a stack, and a popped object is either black already
//! (skipped) or blackened by the thread that finds it white and stores
//! [`VISITED`] in its header (the header's
//! [`SharedRef::blacken`](crate::header::SharedRef::blacken): an atomic
//! load and an atomic store, no locked instruction, or a compare-and-swap
//! when the step counts); that thread then pushes the children that are not
//! black on its own stack. Without the compare-and-swap, two threads that
//! both read an object's header before either writes it both find it white:
//! both store the same word (only markers write headers during the step,
//! all the same bits) and both push its children, so the object is visited
//! twice, which is work, not a different result. So the step marks nothing
//! the sequential one would not. It cannot miss an object either — the
//! invariant: *every child of an object blackened in this step is black, or
//! on some thread's stack or the shared stack, or about to be pushed by a
//! thread that blackened its parent* (the pushes follow the blackening). A
//! grey leaves a stack only by being popped and visited, or handed to the
//! shared stack; a thread waits for work only with an empty stack and
//! nothing in hand; and the marking ends only when every thread waits and
//! the shared stack is empty (checked under its mutex, which every
//! hand-over also takes, so no wake-up is lost). Then no grey is left
//! anywhere, so every child of a black object is black: the black set
//! contains everything reachable from the greys (each of which was on the
//! shared stack at the start). The same set is blackened, with the same
//! flags (`VISITED | TRACK_YOUNG_PTRS`, `MORE_PENDING` cleared), so the
//! roots' chase, the finalizer ordering, the sweep and every event that
//! follows are the sequential step's. (The order objects are visited in is
//! not, which nothing observes.) Without a compare-and-swap the threads'
//! counts are not exact (an object blackened twice is counted twice). Only
//! the finalizer ordering needs the count (the number of white objects), so
//! when some old object has a finalizer the threads blacken with a
//! compare-and-swap and each object is counted once (about as slow again
//! per object, which the threads still repay on branching heaps). Otherwise
//! [`GreyStacks::blackened`] answers `None` and the end of marking takes
//! every old object as white, which costs nothing while no old object has a
//! finalizer (the ordering then reserves nothing). The bytes, capped at the
//! old generation, only add to the cycle's total, which decides nothing
//! once marking is over. Marking is over after every parallel step but one
//! the system refused memory: then (a refusal part-way, or at the end of
//! marking) the steps that follow may differ from the sequential ones,
//! since where the threads stopped and how many bytes they counted depend
//! on their timing.
//!
//! **Why there is no data race.** While the threads run, the mutator does
//! not (a step is inside a collection) and the calling thread is one of the
//! markers. The markers read objects only as
//! [`SharedRef`](crate::header::SharedRef)s: header words only through an
//! `AtomicU64` (load, store, or compare-and-swap when counting), never a
//! plain access, and lengths and slots only by plain reads of words nobody
//! writes during the step. The grey stacks are each one thread's, except
//! the shared one, under a mutex. Everything written before the step
//! happens-before the threads start (spawn), and everything they write
//! happens-before the caller reads it again (join): atomic and plain
//! accesses to a header never overlap.
//!
//! **Refused memory.** As in the sequential marking, a thread reserves
//! room for an object's children on its stack before it blackens the
//! object. A refusal stops every thread at its next grey; each thread's
//! stack (with the refused object still grey on it) is kept as a *parked*
//! grey stack — room for one per thread was reserved before the threads
//! started — and the shared stack becomes the grey stack again: every
//! grey is still on a stack, the heap is consistent (the check sees the
//! parked stacks), and the next step resumes there, sequentially or not.
//! The threads themselves (their start, their names, the join results)
//! take small allocations that are not fallible; a thread the system
//! refuses to start only means one fewer.
//!
//! **Threads.** Scoped threads (`std::thread::scope`) started for the
//! step and joined before it returns, not a persistent pool (rayon):
//! nothing outlives the step, no pool spins between collections on the
//! mutator's cores, and starting and joining one thread costs 40–120 µs
//! on the 2-core machine (loaded), a tenth or less of marking
//! `parallel_mark_min` bytes (4 MiB: about 1.4 ms sequentially). Each
//! start goes through `gc_core::tooling::threads` (room asked for first,
//! then a wait until the thread runs: a refused thread is one fewer, not
//! an abort); in one run of 200 full collections of an 8 MiB heap at
//! `parallel_mark=2` that cost about 60 µs a step (254 ms against 242,
//! within the runs' spread of 240–280).
//!
//! **Cost.** On a heap laid out in allocation order the sequential
//! marking is bound by the work per object. A compare-and-swap per object
//! (a locked instruction on x86), still used when some old object has a
//! finalizer so that exactly one thread counts each object, costs about as
//! much again; with a load and a store, two threads mark binary trees
//! about 2× as fast as the sequential marking on the 2-core machine. A
//! single list gives one thread all the work; it marks at the sequential
//! speed or at half of it, depending on whether the hardware prefetcher
//! hides the miss per node, which changed with where the compiler placed
//! the loop (README, "Parallel marking").

use gc_core::GcError;
use gc_core::tooling::threads;

use crate::header::{
    Access, Block, FINALIZATION_ORDERING, MORE_PENDING, ObjPtr, ObjRef, Slot, TRACK_YOUNG_PTRS,
    VISITED,
};
use crate::system;

/// The stack of each marking thread (the standard library's default).
const MARK_STACK: usize = 2 << 20;

mod parallel;

/// The finalization state of an old object during the finalizer ordering
/// (PyPy's four states; if x refers to y then `state(y) >= state(x)`).
pub(crate) fn fin_state(obj: Block<'_>) -> u8 {
    match (obj.has(VISITED), obj.has(FINALIZATION_ORDERING)) {
        (false, false) => 0, // unreachable
        (false, true) => 1,  // temporary
        (true, true) => 2,   // reachable only from a finalizer (maybe itself)
        (true, false) => 3,  // alive
    }
}

/// Whether a marked heap keeps `obj` for the mutator: black, and not only
/// for a finalizer.
pub(crate) fn survives(obj: Block<'_>) -> bool {
    fin_state(obj) == 3
}

/// The grey objects of the current cycle.
#[derive(Debug, Default)]
pub(crate) struct GreyStacks {
    /// Grey objects (pushed, not yet visited), including the white
    /// referents of black objects written since the last minor collection.
    objects: Vec<ObjPtr>,
    /// Roots' referents greyed by minor collections during marking: visited
    /// once the other greys run out.
    roots: Vec<ObjPtr>,
    /// Objects blackened since the cycle started: at the end of marking
    /// every other old object is white (only a visit sets [`VISITED`], and
    /// the sweep clears it on every object), which bounds what the
    /// finalizer ordering walks. Not kept by a parallel step without
    /// `count` (see `uncounted`).
    blackened: usize,
    /// A parallel step without `count` ran in this cycle, so `blackened`
    /// is not the count (its threads may blacken an object twice).
    uncounted: bool,
    /// Grey stacks of a parallel step's threads that the system refused
    /// to grow ([`mark_parallel`](Self::mark_parallel)): greys like the
    /// others, visited once `objects` runs out. Always empty with
    /// `parallel_mark=1`.
    parked: Vec<Vec<ObjPtr>>,
}

impl GreyStacks {
    /// A new cycle: the roots are the only greys. `OutOfMemory` (nothing
    /// changed) when the stack cannot grow to hold them.
    ///
    /// # Safety
    ///
    /// `roots` are live objects of the heap these stacks belong to.
    /// `n` is how many `roots` yields.
    pub(crate) unsafe fn start(
        &mut self,
        n: usize,
        roots: impl Iterator<Item = ObjPtr>,
    ) -> Result<(), GcError> {
        self.objects.clear();
        system::reserve(&mut self.objects, n)?;
        self.roots.clear();
        self.parked.clear();
        self.objects.extend(roots);
        self.blackened = 0;
        self.uncounted = false;
        Ok(())
    }

    /// Objects blackened since the cycle started, or `None` after a
    /// parallel step that did not count them.
    pub(crate) fn blackened(&self) -> Option<usize> {
        (!self.uncounted).then_some(self.blackened)
    }

    /// No grey object is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.roots.is_empty() && self.parked.is_empty()
    }

    /// Every grey object (for the consistency check).
    pub(crate) fn all(&self) -> impl Iterator<Item = ObjPtr> + '_ {
        self.lists().flat_map(|(_, list)| list).copied()
    }

    /// The stacks, named (for the consistency check).
    pub(crate) fn lists(&self) -> impl Iterator<Item = (&'static str, &[ObjPtr])> {
        [
            ("the grey stack", &self.objects[..]),
            ("the roots' grey stack", &self.roots[..]),
        ]
        .into_iter()
        .chain(
            self.parked
                .iter()
                .map(|list| ("a parked grey stack", &list[..])),
        )
    }

    /// Before a minor collection during marking: room for `roots` more
    /// roots' greys and `referents` more greys, or `OutOfMemory`.
    pub(crate) fn reserve_minor(&mut self, roots: usize, referents: usize) -> Result<(), GcError> {
        system::reserve(&mut self.roots, roots)?;
        system::reserve(&mut self.objects, referents)
    }

    /// A minor collection found a root referring to `obj`: grey it (once:
    /// `MORE_PENDING` says it is on a stack already) unless it is black.
    ///
    /// # Safety
    ///
    /// `obj` is a live old object of the heap these stacks belong to.
    #[inline]
    pub(crate) unsafe fn grey_root(&mut self, obj: ObjRef<'_>) {
        if !obj.has(VISITED | MORE_PENDING) {
            // SAFETY: it goes on a grey stack right here.
            unsafe { obj.add(MORE_PENDING) };
            self.roots.push(obj.ptr());
        }
    }

    /// A minor collection traced the dirty cards of `obj`, a black large
    /// node, without greying their referents: make it grey again (off
    /// [`VISITED`], on the grey stack), so that the next marking step
    /// traces it whole — PyPy's `collect_cardrefs_to_nursery` during
    /// marking, except that PyPy defers it to the end of marking (as the
    /// roots' greys here). Room on the stack was reserved by
    /// [`reserve_minor`](Self::reserve_minor).
    ///
    /// # Safety
    ///
    /// `obj` is a live, black old object of the heap these stacks belong
    /// to, blackened in this cycle.
    pub(crate) unsafe fn regrey(&mut self, obj: ObjRef<'_>) {
        let tid = obj.tid();
        debug_assert!(tid & VISITED != 0 && tid & MORE_PENDING == 0);
        // SAFETY: it goes on a grey stack right here; no longer black, so
        // no black object refers to a white one through it.
        unsafe { obj.set_tid((tid & !VISITED) | MORE_PENDING) };
        // Blackened again when it is visited (not counted after a
        // parallel step that stopped on a refusal).
        if !self.uncounted {
            self.blackened -= 1;
        }
        debug_assert!(self.objects.len() < self.objects.capacity());
        self.objects.push(obj.ptr());
    }

    /// A minor collection found a black object referring to `obj`: grey it
    /// unless it is black or grey already.
    ///
    /// # Safety
    ///
    /// As for [`grey_root`](Self::grey_root).
    #[inline]
    pub(crate) unsafe fn grey_referent(&mut self, obj: ObjRef<'_>) {
        let tid = obj.tid();
        if tid & (VISITED | MORE_PENDING) == 0 {
            // SAFETY: it goes on a grey stack right here.
            unsafe { obj.set_tid(tid | MORE_PENDING) };
            self.objects.push(obj.ptr());
        }
    }

    /// PyPy's `visit`: blacken `obj` (and put it back on the barrier's
    /// slow path), grey its white children; returns the bytes marked.
    ///
    /// # Safety
    ///
    /// As for [`mark`](Self::mark): `obj` is a live old object of the heap
    /// these stacks belong to, whose nursery is empty.
    #[inline]
    unsafe fn visit(&mut self, obj: ObjRef<'_>) -> usize {
        let tid = obj.tid();
        if tid & VISITED != 0 {
            return 0;
        }
        // SAFETY: the marking blackens a grey object (off its stack now)
        // and puts it on the barrier's slow path (see `barrier.rs`).
        unsafe { obj.set_tid((tid | VISITED | TRACK_YOUNG_PTRS) & !MORE_PENDING) };
        self.blackened += 1;
        for slot in obj.slots() {
            if let Some(child) = slot.get() {
                if !child.has(VISITED) {
                    self.objects.push(child.ptr());
                }
            }
        }
        obj.size_bytes()
    }

    /// Visits grey objects until `budget` bytes are marked or none is left;
    /// once the ordinary greys run out (and `chase`), the roots' greys too.
    /// Returns what is left of the budget and whether it chased, or
    /// `OutOfMemory` when the grey stack cannot grow: the object being
    /// visited stays grey, so marking resumes where it stopped.
    ///
    /// # Safety
    ///
    /// These stacks belong to the heap `access` guards, and its nursery is
    /// empty: every object marking reaches is old (blackening sets the
    /// barrier bit, never set on a nursery object).
    pub(crate) unsafe fn mark(
        &mut self,
        access: &Access,
        budget: usize,
    ) -> Result<(usize, bool), GcError> {
        // SAFETY: the caller's guarantee.
        let mut remaining = unsafe { self.mark_objects(access, budget)? };
        let mut chased = false;
        if self.objects.is_empty() && self.parked.is_empty() && !self.roots.is_empty() {
            std::mem::swap(&mut self.objects, &mut self.roots);
            // SAFETY: as above.
            remaining = unsafe { self.mark_objects(access, remaining.max(1))? };
            chased = true;
        }
        Ok((remaining, chased))
    }

    /// Marks everything reachable from the grey objects with `threads`
    /// threads (this one and `threads - 1` scoped ones): what
    /// [`mark`](Self::mark) does with a budget it cannot run out of, with
    /// the same result (see the [module docs](self)). Returns what is left
    /// of `budget` and whether there were roots' greys to chase, as `mark`
    /// would (without `count` the bytes are an upper bound, so less may be
    /// left; the caller caps them), or `OutOfMemory` when the system
    /// refuses room (nothing changed, or the marking stopped with every
    /// grey still on a stack: the threads' stacks are kept as `parked`,
    /// and the next step resumes there).
    ///
    /// `count`: the objects blackened must be counted (some old object
    /// has a finalizer, so the end of marking needs the white ones): the
    /// threads blacken with a compare-and-swap. Otherwise with a load and
    /// a store, and the count is lost for this cycle
    /// ([`blackened`](Self::blackened) answers `None`).
    ///
    /// # Safety
    ///
    /// As for [`mark`](Self::mark), and `budget` is more than the bytes of
    /// the old objects not yet black (what the caller's bound says), so
    /// that the sequential marking would not run out of it either.
    pub(crate) unsafe fn mark_parallel(
        &mut self,
        access: &Access,
        budget: usize,
        threads: usize,
        count: bool,
    ) -> Result<(usize, bool), GcError> {
        debug_assert!(threads > 1);
        // The sequential marking would visit the roots' greys once the
        // others ran out, in the same step: all of them go on one stack.
        let chased = !self.roots.is_empty();
        // Every reservation first: on a refusal nothing has changed.
        let parked: usize = self.parked.iter().map(Vec::len).sum();
        system::reserve(&mut self.objects, self.roots.len() + parked)?;
        system::reserve(&mut self.parked, threads)?;
        self.objects.append(&mut self.roots);
        for mut list in self.parked.drain(..) {
            self.objects.append(&mut list);
        }
        let shared = parallel::Shared::new(std::mem::take(&mut self.objects), threads);
        let work = if count {
            parallel::work::<true>
        } else {
            parallel::work::<false>
        };
        let outcomes = std::thread::scope(|s| {
            let helpers: Vec<_> = (1..threads)
                .filter_map(|i| {
                    let shared = &shared;
                    let name = format!("gc-mark-{i}");
                    // SAFETY: the caller's guarantee: the greys are live
                    // old objects of this heap; while the threads run,
                    // this thread only runs `work` too and joins them
                    // before it touches an object again.
                    let started = threads::spawn_scoped(s, &name, MARK_STACK, move || unsafe {
                        work(shared, access)
                    });
                    match started {
                        Ok(handle) => Some(handle),
                        Err(_) => {
                            // One thread fewer: the marking is the same.
                            shared.leave();
                            None
                        }
                    }
                })
                .collect();
            // SAFETY: as above.
            let mine = unsafe { work(&shared, access) };
            let mut outcomes = Vec::with_capacity(threads);
            outcomes.push(mine);
            for handle in helpers {
                match handle.join() {
                    Ok(outcome) => outcomes.push(outcome),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            outcomes
        });
        let (stack, failed) = shared.finish();
        self.objects = stack;
        // Without `count` the counts are upper bounds (an object blackened
        // by two threads at once is in both): the caller caps the bytes at
        // the old generation before it adds them to the cycle's total.
        self.uncounted |= !count;
        let mut marked = 0usize;
        for outcome in outcomes {
            self.blackened += outcome.blackened;
            marked += outcome.bytes;
            if !outcome.left.0.is_empty() {
                // Room reserved above: one per thread.
                self.parked.push(outcome.left.0);
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        debug_assert!(self.is_empty(), "a parallel step marks everything");
        Ok((budget.saturating_sub(marked), chased))
    }

    /// Room on the grey stack for what visiting `obj` pushes (its white
    /// children), or `OutOfMemory`. Counts them only when the stack's
    /// spare room might not do.
    #[inline]
    fn reserve_children(&mut self, obj: ObjRef<'_>) -> Result<(), GcError> {
        let spare = self.objects.capacity() - self.objects.len();
        if obj.slot_count() <= spare || obj.has(VISITED) {
            return Ok(());
        }
        let white = obj
            .slots()
            .iter()
            .filter(|slot| slot.get().is_some_and(|child| !child.has(VISITED)))
            .count();
        system::reserve(&mut self.objects, white)
    }

    /// # Safety
    ///
    /// As for [`mark`](Self::mark).
    unsafe fn mark_objects(&mut self, access: &Access, budget: usize) -> Result<usize, GcError> {
        let mut remaining = budget;
        while remaining > 0 {
            let Some(ptr) = self.objects.pop() else {
                // A parked stack (only after a refused parallel step) is
                // the next ordinary one.
                match self.parked.pop() {
                    Some(parked) => {
                        self.objects = parked;
                        continue;
                    }
                    None => break,
                }
            };
            // SAFETY: grey objects are live (invariant in `header.rs`).
            let obj = unsafe { ptr.open(access) };
            // Room for its children before it turns black.
            if let Err(e) = self.reserve_children(obj) {
                // Still grey; its place on the stack was just freed.
                self.objects.push(ptr);
                return Err(e);
            }
            // SAFETY: a live object of this heap, old (the nursery is
            // empty: the caller's guarantee).
            remaining = remaining.saturating_sub(unsafe { self.visit(obj) });
        }
        Ok(remaining)
    }
}

/// Marks everything reachable from `obj` (the finalizer ordering, at the
/// end of marking: no grey object is left). An object is blackened as it
/// goes on `stack`, so it goes there at most once: with room for every
/// object that was white when the marking ended, this allocates nothing.
///
/// # Safety
///
/// As for [`GreyStacks::mark`]: `obj` is a live old object of the heap
/// `access` guards, whose nursery is empty.
pub(crate) unsafe fn mark_from(access: &Access, obj: ObjRef<'_>, stack: &mut Vec<ObjPtr>) {
    // SAFETY: the caller's guarantee.
    unsafe { blacken(obj, stack) };
    while let Some(ptr) = stack.pop() {
        // SAFETY: pushed above or below: a live object of this heap (its
        // children are live: the invariant in `header.rs`).
        let obj = unsafe { ptr.open(access) };
        for child in obj.slots().iter().filter_map(Slot::get) {
            // SAFETY: as above.
            unsafe { blacken(child, stack) };
        }
    }
}

/// Blackens `obj` (as a visit does) and pushes it, unless it is black.
///
/// # Safety
///
/// As for [`mark_from`].
#[inline]
unsafe fn blacken(obj: ObjRef<'_>, stack: &mut Vec<ObjPtr>) {
    let tid = obj.tid();
    if tid & VISITED == 0 {
        // SAFETY: as in `GreyStacks::visit` (the caller's guarantee); it
        // goes on the stack right here, so its children are greyed.
        unsafe { obj.set_tid((tid | VISITED | TRACK_YOUNG_PTRS) & !MORE_PENDING) };
        debug_assert!(stack.len() < stack.capacity(), "reserved by the ordering");
        stack.push(obj.ptr());
    }
}
