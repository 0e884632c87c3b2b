//! The processes `gc-bench` starts for its runs (`gc-bench cell`) die with
//! it: however it ends (SIGINT, SIGTERM, even SIGKILL), none runs on as an
//! orphan.
//!
//! The parent passes its process id ([`PARENT_FLAG`]); the child asks the
//! kernel for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`, Linux), then
//! checks that its parent is still the one that started it: a parent that
//! died before the request leaves the child with another parent, and the
//! child stops there. The signal comes when the *thread* that started the
//! child ends, so children are started from threads that outlive them (the
//! main thread, or a worker pool that lives until every run is over).
//!
//! Outside Linux there is no such request: only the parent check at start
//! is made (on Unix), and a child whose parent dies later runs to its end.

/// The hidden option of `gc-bench cell` that names the parent's process id.
pub const PARENT_FLAG: &str = "--parent-pid";

/// This process's id, as `--parent-pid` takes it.
pub fn parent_arg() -> String {
    std::process::id().to_string()
}

/// Makes this process die with `parent`, the process that started it; an
/// error when `parent` has already ended (or the kernel refuses).
pub fn die_with_parent(parent: u32) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .map_err(|e| format!("cannot ask to end with the parent process: {e}"))?;
    #[cfg(unix)]
    if std::os::unix::process::parent_id() != parent {
        return Err(format!(
            "the gc-bench that started this run (process {parent}) has ended"
        ));
    }
    #[cfg(not(unix))]
    let _ = parent;
    Ok(())
}

/// Runs `cmd` to its end, as [`std::process::Command::output`]. A child
/// that an interrupt ended (SIGINT, SIGTERM, SIGHUP) was most likely sent
/// it with this process, as one process group (Ctrl-C): this process's
/// own handler is then about to exit with `128 + signal`, and a second is
/// left for it before the child's end is reported as a failed run (a
/// WARN line about a "crash" that was the user's interrupt).
pub fn output(cmd: &mut std::process::Command) -> std::io::Result<std::process::Output> {
    let out = cmd.output()?;
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::ExitStatusExt;
        const INTERRUPTS: [i32; 3] = [nix::libc::SIGINT, nix::libc::SIGTERM, nix::libc::SIGHUP];
        if out.status.signal().is_some_and(|s| INTERRUPTS.contains(&s)) {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    Ok(out)
}
