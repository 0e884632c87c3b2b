//! The parallel marking of a step that marks everything left
//! (`parallel_mark=N`): see the [`mark` module docs](super) for when it
//! runs, why it marks exactly what the sequential marking does, and why it
//! has no data race.
//!
//! Each thread marks from its own stack; one shared stack under a mutex
//! holds the step's greys at the start and whatever a busy thread hands
//! over when another one is waiting for work (half of its stack, the
//! oldest half: closest to the roots, the largest subgraphs). A thread out
//! of work takes a chunk from the shared stack, or waits; the marking ends
//! when every thread waits and the shared stack is empty.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use gc_core::GcError;

use crate::header::{Access, ObjPtr, SharedRef};
use crate::system;

/// A thread with at least this many greys hands half of them over when
/// another thread waits for work.
const SHARE_AT: usize = 32;
/// The most greys a thread out of work takes from the shared stack.
const CHUNK: usize = 256;

/// What one thread did: the objects and bytes it blackened (exact only
/// when it counted exactly; otherwise an upper bound of its share: two
/// threads may blacken one object at once, see `SharedRef::blacken`), and
/// the greys it still holds (none unless the step was refused memory).
pub(super) struct Outcome {
    pub(super) blackened: usize,
    pub(super) bytes: usize,
    pub(super) left: Greys,
}

/// Grey objects moved between threads.
pub(super) struct Greys(pub(super) Vec<ObjPtr>);

// SAFETY: an `ObjPtr` is an address that reads nothing until it is opened
// (`unsafe`, with the heap's `Access`); the parallel marking opens them
// only as `SharedRef`s, whose contract makes that sound on any thread.
unsafe impl Send for Greys {}

/// The shared stack and the threads' bookkeeping, under the mutex.
struct Pool {
    stack: Vec<ObjPtr>,
    /// Threads taking part (one fewer for each that could not be started).
    workers: usize,
    /// Threads waiting for work.
    idle: usize,
    /// No grey left anywhere, or the step was refused: every thread stops.
    done: bool,
    /// The refusal that stopped the step.
    failed: Option<GcError>,
}

/// What the threads share.
pub(super) struct Shared {
    pool: Mutex<Pool>,
    wake: Condvar,
    /// Some thread waits and the shared stack is empty: a busy thread
    /// with greys to spare hands half over (read without the lock; a stale
    /// value only delays or wastes one hand-over).
    wanted: AtomicBool,
    /// Set with `done` on a refusal: busy threads stop at their next grey.
    stop: AtomicBool,
}

// SAFETY: the `Vec<ObjPtr>` inside is only touched under the mutex, and an
// `ObjPtr` may move between threads (see `Greys`).
unsafe impl Send for Pool {}

impl Shared {
    /// `workers` threads will mark from `stack`.
    pub(super) fn new(stack: Vec<ObjPtr>, workers: usize) -> Self {
        Shared {
            pool: Mutex::new(Pool {
                stack,
                workers,
                idle: 0,
                done: false,
                failed: None,
            }),
            wake: Condvar::new(),
            wanted: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        // No thread panics holding the lock (nothing in it panics); if one
        // did, the panic is resumed by the caller after the join anyway.
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A thread that was to take part could not be started.
    pub(super) fn leave(&self) {
        let mut pool = self.lock();
        pool.workers -= 1;
        if pool.idle == pool.workers && pool.stack.is_empty() {
            pool.done = true;
            self.wake.notify_all();
        }
    }

    /// The shared stack (whatever is left) and the refusal, if any.
    pub(super) fn finish(self) -> (Vec<ObjPtr>, Option<GcError>) {
        let pool = self
            .pool
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        (pool.stack, pool.failed)
    }

    /// Stops the step on a refusal.
    fn fail(&self, pool: &mut Pool, e: GcError) {
        if pool.failed.is_none() {
            pool.failed = Some(e);
        }
        pool.done = true;
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_all();
    }

    /// Refills an empty `local` from the shared stack, waiting while other
    /// threads may still hand greys over. False when the marking is over
    /// (no grey left anywhere, or refused).
    fn refill(&self, local: &mut Vec<ObjPtr>) -> bool {
        let mut pool = self.lock();
        loop {
            if pool.done {
                return false;
            }
            if !pool.stack.is_empty() {
                let n = pool.stack.len().min(CHUNK);
                if let Err(e) = system::reserve(local, n) {
                    // The greys stay on the shared stack.
                    self.fail(&mut pool, e);
                    return false;
                }
                let at = pool.stack.len() - n;
                local.extend(pool.stack.drain(at..));
                if pool.idle > 0 && pool.stack.is_empty() {
                    self.wanted.store(true, Ordering::Relaxed);
                }
                return true;
            }
            pool.idle += 1;
            if pool.idle == pool.workers {
                // Every thread waits with nothing in hand and the shared
                // stack is empty: no grey is left.
                pool.done = true;
                self.wake.notify_all();
                return false;
            }
            self.wanted.store(true, Ordering::Relaxed);
            pool = self.wake.wait(pool).unwrap_or_else(PoisonError::into_inner);
            pool.idle -= 1;
        }
    }

    /// Hands the older half of `local` to the waiting threads (if the
    /// shared stack is still empty; kept when the system refuses room).
    fn share(&self, local: &mut Vec<ObjPtr>) {
        let mut pool = self.lock();
        self.wanted.store(false, Ordering::Relaxed);
        if pool.done || !pool.stack.is_empty() || pool.idle == 0 {
            return;
        }
        let half = local.len() / 2;
        if system::reserve(&mut pool.stack, half).is_err() {
            return;
        }
        pool.stack.extend(local.drain(..half));
        self.wake.notify_all();
    }
}

/// One thread's marking: until no grey is left anywhere or the step is
/// refused memory. `EXACT`: blacken with a compare-and-swap, so that the
/// threads' counts add up to the objects blackened.
///
/// # Safety
///
/// The greys on `shared`'s stack are live old objects of the heap
/// `access` guards, and while any thread runs this, no thread accesses
/// that heap's objects other than through it (the `open_shared` contract).
pub(super) unsafe fn work<const EXACT: bool>(shared: &Shared, access: &Access) -> Outcome {
    let mut local: Vec<ObjPtr> = Vec::new();
    let (mut blackened, mut bytes) = (0, 0);
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let Some(ptr) = local.pop() else {
            if shared.refill(&mut local) {
                continue;
            }
            break;
        };
        // SAFETY: a grey: one of the step's (live old objects: the
        // caller's guarantee) or a child of an object this step blackened
        // (live: slots of live objects are, and old: the nursery is empty);
        // the caller rules out every other access meanwhile.
        let obj = unsafe { ptr.open_shared(access) };
        if obj.is_black() {
            continue;
        }
        // Room for its children before it turns black (as the sequential
        // marking does); refused, it stays grey on this thread's stack.
        if let Err(e) = reserve_children(&mut local, obj) {
            // Its place was just freed by the pop.
            local.push(ptr);
            let mut pool = shared.lock();
            shared.fail(&mut pool, e);
            break;
        }
        // SAFETY: the marking blackens a grey object (live, above).
        if !unsafe { obj.blacken::<EXACT>() } {
            // Another thread blackened it since: its children are that
            // thread's to push.
            continue;
        }
        blackened += 1;
        bytes += obj.size_bytes();
        for child in obj.children() {
            if !child.is_black() {
                local.push(child.ptr());
            }
        }
        if local.len() >= SHARE_AT && shared.wanted.load(Ordering::Relaxed) {
            shared.share(&mut local);
        }
    }
    Outcome {
        blackened,
        bytes,
        left: Greys(local),
    }
}

/// Room on `local` for what blackening `obj` pushes, or `OutOfMemory`: as
/// `GreyStacks::reserve_children`. The white children are counted only
/// when the spare room might not do; a child counted white may turn black
/// before the push (one fewer push), never the other way round.
fn reserve_children(local: &mut Vec<ObjPtr>, obj: SharedRef<'_>) -> Result<(), GcError> {
    let spare = local.capacity() - local.len();
    if obj.slot_count() <= spare {
        return Ok(());
    }
    let white = obj.children().filter(|child| !child.is_black()).count();
    system::reserve(local, white)
}
