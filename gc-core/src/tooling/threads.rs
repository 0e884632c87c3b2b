//! Starting a thread the system may refuse: an error, never an abort.
//!
//! `std::thread::Builder::spawn` maps the new thread's stack and reports a
//! refusal as an error. But the standard library also gives each new
//! thread a signal stack (for its stack-overflow message), and it maps that
//! one *inside* the new thread, before the thread's closure runs; a refusal
//! there is a panic no one can catch, and the process aborts. Under an
//! address-space cap (`ulimit -v`) a start lands there whenever the room
//! left is between one stack and one stack plus a signal stack.
//!
//! So [`spawn`] and [`spawn_scoped`] first ask the system for the room of
//! both, plus a margin, and give it back at once; then they start the
//! thread and wait until its closure runs, so that nothing this thread
//! does can take that room in between. A refusal is then the `Err` of the
//! ask, or of the stack's own mapping.
//!
//! What the room is not kept from: other threads already running, which
//! may allocate between the ask and the start. A thread started here has
//! made its first allocation (and so has its malloc arena) before its
//! starter goes on, and the margin covers small allocations after that.
//!
//! ```
//! let handle = gc_core::tooling::threads::spawn("worker", 256 << 10, || 6 * 7)?;
//! assert_eq!(handle.join().unwrap(), 42);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::{Builder, JoinHandle, Scope, ScopedJoinHandle};

/// Room asked for beyond the stack: the signal stack (one `SIGSTKSZ` or
/// the kernel's `AT_MINSIGSTKSZ`, a few KiB, and a guard page), the
/// thread's own records, and the allocations of threads already running.
const MARGIN: usize = 1 << 20;

/// Threads started here that are still running: a new one starts only
/// where each of them keeps its [`MARGIN`] too. (A worker's first log line
/// asks glibc for a thread-local destructor's record, whose refusal is an
/// abort; a second thread started into the last megabyte left it none.)
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Starts `f` on a new thread named `name` with a stack of `stack` bytes,
/// once the system has shown room for it; returns when `f` has begun.
pub fn spawn<F, T>(name: &str, stack: usize, f: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    room_for(stack)?;
    let (body, started) = announcing(f);
    let handle = builder(name, stack).spawn(body)?;
    let _ = started.recv();
    Ok(handle)
}

/// [`spawn`] within `scope`.
pub fn spawn_scoped<'scope, F, T>(
    scope: &'scope Scope<'scope, '_>,
    name: &str,
    stack: usize,
    f: F,
) -> io::Result<ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    room_for(stack)?;
    let (body, started) = announcing(f);
    let handle = builder(name, stack).spawn_scoped(scope, body)?;
    let _ = started.recv();
    Ok(handle)
}

fn builder(name: &str, stack: usize) -> Builder {
    Builder::new().name(name.to_owned()).stack_size(stack)
}

/// `f`, preceded by [`settle`] and a word to the receiver returned (which
/// also wakes if the thread ends before it: the sender is dropped).
fn announcing<F: FnOnce() -> T, T>(f: F) -> (impl FnOnce() -> T, mpsc::Receiver<()>) {
    /// Counts the thread in [`RUNNING`] while it runs.
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let (started, wait) = mpsc::sync_channel(1);
    RUNNING.fetch_add(1, Ordering::Relaxed);
    let running = Running;
    let body = move || {
        let _running = running;
        settle();
        let _ = started.send(());
        f()
    };
    (body, wait)
}

/// What a new thread takes from the system at its first allocation, taken
/// before its starter goes on: glibc's malloc gives each thread an arena
/// of its own then (64 MiB of address space on 64-bit systems).
fn settle() {
    drop(std::hint::black_box(Box::new(0_u8)));
}

/// Makes glibc's malloc serve every thread from its main arena, for a
/// program whose work runs on one thread started here (gc-py's
/// evaluator). A new thread's first allocation otherwise asks for an
/// arena of its own: a 64 MiB-aligned reservation of address space. Under
/// a cap (`ulimit -v`) that leaves no room for it, glibc then serves each
/// of the thread's allocations with a mapping of its own, unmapped when
/// freed: two system calls per allocation, 7 s (6 of them in the kernel)
/// to read a 1.2 MB program that takes 0.16 s in the main arena. Does
/// nothing elsewhere than glibc.
pub fn share_main_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
    #[allow(unsafe_code)]
    // SAFETY: `mallopt` only changes a setting of glibc's allocator, under
    // the allocator's own lock; it reads and writes no memory of ours.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Asks the system for `stack` + [`MARGIN`] bytes of address space, and
/// a [`MARGIN`] more for each thread started here and still running, and
/// gives them back.
fn room_for(stack: usize) -> io::Result<()> {
    let running = RUNNING.load(Ordering::Relaxed);
    let bytes = running
        .checked_add(1)
        .and_then(|n| n.checked_mul(MARGIN))
        .and_then(|margins| margins.checked_add(stack))
        .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
    address_space(bytes)
}

/// Asks the system for `bytes` of address space (a mapping nothing can
/// touch, which commits no memory) and gives it back: `Err` when a cap on
/// the address space (`ulimit -v`) leaves no room for that much. For work
/// whose allocations cannot fail softly (a thread's start, a library's
/// parser) and whose peak is known ahead.
#[cfg(all(unix, not(miri)))]
#[allow(unsafe_code)]
pub fn address_space(bytes: usize) -> io::Result<()> {
    use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
    use std::num::NonZeroUsize;
    let Some(bytes) = NonZeroUsize::new(bytes) else {
        return Ok(());
    };
    // SAFETY: a new private mapping, at an address the system picks and
    // with no access: it cannot overlap or change any memory in use.
    let mapped = unsafe {
        mmap_anonymous(
            None,
            bytes,
            ProtFlags::PROT_NONE,
            MapFlags::MAP_PRIVATE | MapFlags::MAP_NORESERVE,
        )
    }
    .map_err(io::Error::from)?;
    // SAFETY: `mapped` is the mapping of `bytes` made above, which nothing
    // else knows of.
    unsafe { munmap(mapped, bytes.get()) }.map_err(io::Error::from)
}

/// Elsewhere (and under Miri, which caps nothing) only the allocation
/// itself can refuse.
#[cfg(any(not(unix), miri))]
pub fn address_space(_bytes: usize) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_thread_runs_and_borrows() {
        let mut seen = 0;
        std::thread::scope(|s| {
            let h = spawn_scoped(s, "t", 128 << 10, || seen += 1).unwrap();
            h.join().unwrap();
        });
        assert_eq!(seen, 1);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri caps no address space")]
    fn a_stack_no_system_has_is_an_error() {
        // More than the address space: the room is refused.
        assert!(spawn("t", 1 << 60, || ()).is_err());
        // More than a `usize` can count.
        assert!(spawn("t", usize::MAX - MARGIN / 2, || ()).is_err());
    }
}
