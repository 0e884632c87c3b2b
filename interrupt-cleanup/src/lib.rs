//! Temporary files and folders, and child processes, that do not outlive
//! an interrupted process.
//!
//! [`file_in`] and [`dir_in`] create them with `tempfile` (removed when
//! dropped, as usual) and also record their paths; [`new_dir`] makes an
//! output folder that goes only if an interrupt comes first; [`spawn`]
//! starts a process and records its id until its guard is dropped
//! ([`spawn_group`]: in a process group of its own, killed as a group).
//! The first of them installs a handler (`signal-hook`) for SIGINT,
//! SIGTERM and SIGHUP: on any of these, every recorded process (or
//! group) is killed (SIGKILL), every
//! recorded path still present is removed, and the process exits with
//! status 128 + the signal's number (130, 143, 129). Creation and removal
//! hold one lock, so a signal never falls between a file's creation (a
//! process's start) and its recording. Persisting a file (renaming it into
//! place) forgets it.
//!
//! Limits: SIGKILL cannot be caught (what it interrupts stays, and the
//! processes run on); outside Unix no handler is installed, and only
//! dropping removes the temporaries.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The paths to remove and the processes to kill on an interrupt, each
/// under the id of its guard.
#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    paths: Vec<(u64, PathBuf)>,
    /// Guard id, process id, and whether it leads a process group of its
    /// own (killed as a group).
    children: Vec<(u64, u32, bool)>,
    handler_installed: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 0,
    paths: Vec::new(),
    children: Vec::new(),
    handler_installed: false,
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes `path`, a file or a folder, if it is there.
fn remove(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// Kills every recorded process, then removes every recorded path (under
/// the lock, which it keeps: nothing is created or started after), and
/// exits with `128 + signal`.
#[cfg(unix)]
fn clean_up_and_exit(signal: i32) -> ! {
    let registry = registry();
    for &(_, pid, group) in &registry.children {
        // Gone already (a zombie not yet reaped keeps its id): nothing to
        // do.
        kill_child(pid, group);
    }
    for (_, path) in &registry.paths {
        remove(path);
    }
    std::process::exit(128 + signal)
}

#[cfg(unix)]
fn install_handler(registry: &mut Registry) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    if registry.handler_installed {
        return Ok(());
    }
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    gc_core::tooling::threads::spawn("interrupt-cleanup", 256 << 10, move || {
        if let Some(signal) = signals.forever().next() {
            clean_up_and_exit(signal);
        }
    })?;
    registry.handler_installed = true;
    Ok(())
}

#[cfg(not(unix))]
fn install_handler(_registry: &mut Registry) -> io::Result<()> {
    Ok(())
}

/// Runs `create` under the lock and records the path of what it made.
fn recorded<T>(
    create: impl FnOnce() -> io::Result<T>,
    path: impl FnOnce(&T) -> &Path,
) -> io::Result<(T, Guard)> {
    let mut registry = registry();
    install_handler(&mut registry)?;
    let made = create()?;
    let id = registry.next_id;
    registry.next_id += 1;
    registry.paths.push((id, path(&made).to_path_buf()));
    Ok((made, Guard { id }))
}

/// Forgets its path (or process) when dropped.
#[derive(Debug)]
struct Guard {
    id: u64,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut registry = registry();
        registry.paths.retain(|(id, _)| *id != self.id);
        registry.children.retain(|(id, _, _)| *id != self.id);
    }
}

/// SIGKILL to process `pid`, or to the process group it leads.
#[cfg(unix)]
fn kill_child(pid: u32, group: bool) {
    use nix::sys::signal::{Signal, kill, killpg};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(pid) {
        let pid = Pid::from_raw(pid);
        let _ = if group {
            killpg(pid, Signal::SIGKILL)
        } else {
            kill(pid, Signal::SIGKILL)
        };
    }
}

#[cfg(not(unix))]
fn kill_child(_pid: u32, _group: bool) {}

/// A process started by [`spawn`] or [`spawn_group`]: an interrupt kills
/// it while this lives.
#[derive(Debug)]
pub struct ChildGuard {
    _guard: Guard,
    pid: u32,
    group: bool,
}

impl ChildGuard {
    /// Kills the process at once (SIGKILL) and, when it was started by
    /// [`spawn_group`], every process of its group: what it started too.
    /// Call it before the child is waited for (a group outlives its
    /// leader while a member runs, so its id names nobody else).
    pub fn kill(&self) {
        kill_child(self.pid, self.group);
    }
}

/// Starts `cmd` (as [`Command::spawn`]) and records the process, so that
/// an interrupt kills it (SIGKILL) before this process exits, until the
/// returned guard is dropped. Drop the guard as soon as the child has been
/// waited for: its id may then name another process. (A child that ended
/// keeps its id until it is waited for, so an interrupt between its end
/// and the wait signals nobody else.)
pub fn spawn(cmd: &mut Command) -> io::Result<(Child, ChildGuard)> {
    spawn_as(cmd, false)
}

/// As [`spawn`], with the child leading a process group of its own: an
/// interrupt, or [`ChildGuard::kill`], kills the whole group, so that
/// what the child started (a wrapper script's program) does not outlive
/// it. (Outside Unix, as [`spawn`].)
pub fn spawn_group(cmd: &mut Command) -> io::Result<(Child, ChildGuard)> {
    #[cfg(unix)]
    {
        std::os::unix::process::CommandExt::process_group(cmd, 0);
        spawn_as(cmd, true)
    }
    #[cfg(not(unix))]
    spawn_as(cmd, false)
}

fn spawn_as(cmd: &mut Command, group: bool) -> io::Result<(Child, ChildGuard)> {
    let mut registry = registry();
    install_handler(&mut registry)?;
    let child = cmd.spawn()?;
    let id = registry.next_id;
    registry.next_id += 1;
    let pid = child.id();
    registry.children.push((id, pid, group));
    Ok((
        child,
        ChildGuard {
            _guard: Guard { id },
            pid,
            group,
        },
    ))
}

/// A temporary file, removed when dropped or on an interrupt, unless
/// [`persist`](TempFile::persist)ed first.
#[derive(Debug)]
pub struct TempFile {
    // Removed before its path is forgotten (fields drop in order): an
    // interrupt in between removes a path that is already gone.
    file: tempfile::NamedTempFile,
    _guard: Guard,
}

/// Creates a temporary file in `dir`, named by `builder` (its prefix,
/// suffix and permissions).
pub fn file_in(builder: &tempfile::Builder<'_, '_>, dir: &Path) -> io::Result<TempFile> {
    let (file, guard) = recorded(|| builder.tempfile_in(dir), |f| f.path())?;
    Ok(TempFile {
        file,
        _guard: guard,
    })
}

impl TempFile {
    /// Its path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The open file.
    pub fn as_file(&self) -> &File {
        self.file.as_file()
    }

    /// Renames it to `path` (replacing any file there) and forgets it.
    pub fn persist(self, path: &Path) -> io::Result<File> {
        self.file.persist(path).map_err(|e| e.error)
    }
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// An output folder this process made: removed, with what is in it, on an
/// interrupt while this lives (an interrupted command leaves no output
/// folder behind it); kept when dropped. One that was there already is
/// neither recorded nor removed.
#[derive(Debug)]
pub struct NewDir {
    _guard: Option<Guard>,
}

impl NewDir {
    /// Whether this call made the folder (see [`new_dir`]): only then is
    /// it the caller's to remove.
    pub fn made(&self) -> bool {
        self._guard.is_some()
    }
}

/// Creates the folder `path` (and its parents) if it is not there, and
/// records it when it was made here (see [`NewDir`]).
///
/// "Made here" means this call's `mkdir` of `path` itself succeeded: a
/// folder another process made meanwhile, or a path such as `new/..`
/// that names a folder already there once its parents are made, fails
/// that `mkdir` and is not recorded. (Parents it makes are kept.)
pub fn new_dir(path: &Path) -> io::Result<NewDir> {
    let kept = Ok(NewDir { _guard: None });
    if path.as_os_str().is_empty() || path.is_dir() {
        return kept;
    }
    let mut registry = registry();
    install_handler(&mut registry)?;
    // As `create_dir_all`, except that only a `mkdir` of `path` that
    // succeeds counts as making it.
    let made = match std::fs::create_dir(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::create_dir(path)
        }
        other => other,
    };
    match made {
        Ok(()) => {}
        Err(_) if path.is_dir() => return kept,
        Err(e) => return Err(e),
    }
    let id = registry.next_id;
    registry.next_id += 1;
    registry.paths.push((id, path.to_path_buf()));
    Ok(NewDir {
        _guard: Some(Guard { id }),
    })
}

/// A temporary folder, removed with its contents when dropped or on an
/// interrupt.
#[derive(Debug)]
pub struct TempDir {
    // As in `TempFile`: removed first, forgotten second.
    dir: tempfile::TempDir,
    _guard: Guard,
}

/// Creates a temporary folder in `dir`, named by `builder`.
pub fn dir_in(builder: &tempfile::Builder<'_, '_>, dir: &Path) -> io::Result<TempDir> {
    let (dir, guard) = recorded(|| builder.tempdir_in(dir), |d| d.path())?;
    Ok(TempDir { dir, _guard: guard })
}

impl TempDir {
    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded_paths() -> Vec<PathBuf> {
        registry().paths.iter().map(|(_, p)| p.clone()).collect()
    }

    #[test]
    fn a_new_output_folder_is_recorded_while_its_guard_lives_and_kept() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let guard = new_dir(&out).unwrap();
        assert!(out.is_dir());
        assert!(guard.made());
        assert!(recorded_paths().contains(&out));
        drop(guard);
        assert!(out.is_dir(), "kept when dropped");
        assert!(!recorded_paths().contains(&out));
        // There already: not recorded.
        let again = new_dir(&out).unwrap();
        assert!(!again.made());
        assert!(!recorded_paths().contains(&out));
        drop(again);
    }

    #[test]
    fn a_path_that_names_a_folder_already_there_is_not_recorded() {
        // `sub/..` is not there until `sub` is made, then names the
        // parent, which was there before: removing it on an interrupt
        // would take the parent with everything in it.
        let parent = tempfile::tempdir().unwrap();
        std::fs::write(parent.path().join("keep"), b"").unwrap();
        let out = parent.path().join("sub").join("..");
        let guard = new_dir(&out).unwrap();
        assert!(out.is_dir());
        assert!(
            !recorded_paths().contains(&out),
            "a folder that was there is recorded for removal"
        );
        drop(guard);
        assert!(parent.path().join("keep").is_file());
    }

    #[test]
    fn temporaries_are_recorded_while_they_live() {
        let parent = tempfile::tempdir().unwrap();
        let dir = dir_in(tempfile::Builder::new().prefix("d-"), parent.path()).unwrap();
        let mut file = file_in(tempfile::Builder::new().prefix("f-"), dir.path()).unwrap();
        file.write_all(b"x").unwrap();
        let (d, f) = (dir.path().to_path_buf(), file.path().to_path_buf());
        assert!(recorded_paths().contains(&d) && recorded_paths().contains(&f));
        let kept = parent.path().join("kept");
        file.persist(&kept).unwrap();
        assert!(!recorded_paths().contains(&f));
        assert_eq!(std::fs::read(&kept).unwrap(), b"x");
        drop(dir);
        assert!(!d.exists());
        assert!(!recorded_paths().contains(&d));
    }

    #[test]
    fn a_child_is_recorded_until_its_guard_is_dropped() {
        let recorded = || {
            registry()
                .children
                .iter()
                .map(|&(_, p, _)| p)
                .collect::<Vec<_>>()
        };
        let (mut child, guard) = spawn(&mut Command::new("true")).unwrap();
        assert!(recorded().contains(&child.id()));
        child.wait().unwrap();
        drop(guard);
        assert!(!recorded().contains(&child.id()));
        assert!(spawn(&mut Command::new("/nonexistent/interrupt-cleanup")).is_err());
    }

    #[test]
    fn a_failed_creation_records_nothing() {
        let missing = Path::new("/nonexistent/interrupt-cleanup");
        assert!(file_in(&tempfile::Builder::new(), missing).is_err());
        assert!(dir_in(&tempfile::Builder::new(), missing).is_err());
        assert!(!recorded_paths().iter().any(|p| p.starts_with(missing)));
    }
}
