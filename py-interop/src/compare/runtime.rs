//! The other runtime: finding a Python interpreter (a name on `PATH` or a
//! path), asking what it is, and running an exported program on it.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use gc_core::tooling::threads;
use serde::Serialize;
use wait_timeout::ChildExt;

/// A Python interpreter that answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Runtime {
    /// As given on the command line (`pypy3`, `/opt/py/bin/python3`).
    pub name: String,
    /// The file that runs.
    pub path: PathBuf,
    /// `sys.implementation.name`: `cpython` or `pypy`.
    pub implementation: String,
    /// Its version: `3.11.7`, or `7.3.11 (Python 3.9.16)` for PyPy.
    pub version: String,
    /// The Python language version, `major.minor`.
    pub python: String,
}

/// The program that tells what an interpreter is (three lines).
const PROBE: &str = "import sys\n\
i = sys.implementation\n\
print(i.name)\n\
print('%d.%d' % sys.version_info[:2])\n\
v = getattr(sys, 'pypy_version_info', None) or sys.version_info\n\
print('%d.%d.%d' % tuple(v[:3]))\n";

impl Runtime {
    /// Finds `name` (a path when it contains `/`, else a name on `PATH`)
    /// and asks it what it is, waiting at most `timeout` for the answer.
    pub fn find(name: &str, timeout: Duration) -> Result<Runtime, String> {
        let path = locate(name, std::env::var_os("PATH"))?;
        let mut cmd = Command::new(&path);
        cmd.args(["-c", PROBE]);
        let mut lines: Vec<String> = Vec::new();
        let done = run_child(cmd, timeout, name, &mut |l| {
            lines.push(l.to_owned());
            Ok(())
        })?;
        if !done.status.success() || lines.len() != 3 {
            return Err(format!(
                "{} does not run Python 3 programs ({})",
                path.display(),
                last_line(&done.stderr_tail, done.status)
            ));
        }
        let implementation = lines[0].clone();
        let version = if implementation == "pypy" {
            format!("{} (Python {})", lines[2], lines[1])
        } else {
            lines[2].clone()
        };
        Ok(Runtime {
            name: name.to_owned(),
            path,
            implementation,
            version,
            python: lines[1].clone(),
        })
    }

    /// `PyPy 7.3.11 (Python 3.9.16)` or `CPython 3.11.7`.
    pub fn describe(&self) -> String {
        let name = match self.implementation.as_str() {
            "pypy" => "PyPy",
            "cpython" => "CPython",
            other => other,
        };
        format!("{name} {}", self.version)
    }

    /// Runs `program` with `env` set (`None` removes the variable), passing
    /// each line of its standard output to `on_line` as it comes. A status
    /// other than 0 is an error that quotes the last line the program wrote
    /// on standard error; so is running longer than `timeout` (the program
    /// is killed); then the first error of `on_line`.
    pub fn run(
        &self,
        program: &Path,
        env: &[(String, Option<String>)],
        timeout: Duration,
        on_line: &mut dyn FnMut(&str) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut cmd = Command::new(&self.path);
        cmd.arg(program);
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let mut first_error = None;
        let done = run_child(cmd, timeout, &self.name, &mut |line| {
            if first_error.is_none()
                && let Err(e) = on_line(line)
            {
                first_error = Some(e);
            }
            Ok(())
        })?;
        if !done.status.success() {
            return Err(format!(
                "{} failed on the exported program: {}",
                self.name,
                last_line(&done.stderr_tail, done.status)
            ));
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// How a child ended: its status and the end of what it wrote on standard
/// error.
struct Finished {
    status: ExitStatus,
    stderr_tail: String,
}

/// What the threads watching a child report.
enum Report {
    Line(std::io::Result<String>),
    StdoutClosed,
    Exited(std::io::Result<Option<ExitStatus>>),
}

/// Standard error kept: its last this many bytes.
const STDERR_TAIL: usize = 64 * 1024;

/// The stack of each thread that watches a child.
const WATCHER_STACK: usize = 256 << 10;

/// Runs `cmd` (standard input empty) and passes each line of its standard
/// output to `on_line`; kills it after `timeout`. `name` names it in the
/// messages. Memory: a line of output at a time, and the last
/// [`STDERR_TAIL`] bytes of standard error.
fn run_child(
    mut cmd: Command,
    timeout: Duration,
    name: &str,
    on_line: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<Finished, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Killed, with what it started (a wrapper script's program), if
    // `gc-bench` is interrupted (SIGINT, SIGTERM, SIGHUP) while it runs
    // or when it overruns the timeout.
    let (mut child, guard) = interrupt_cleanup::spawn_group(&mut cmd)
        .map_err(|e| format!("cannot run {}: {e}", cmd.get_program().to_string_lossy()))?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let (Some(stdout), Some(mut stderr)) = (stdout, stderr) else {
        let _ = child.kill();
        return Err(format!("cannot read the output of {name}"));
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Report>(1024);
    let lines = tx.clone();
    // Every watcher started before the child is handed over: a thread the
    // system refuses leaves the child here, to be killed.
    let readers = threads::spawn("compare-stdout", WATCHER_STACK, move || {
        for line in BufReader::new(stdout).lines() {
            let failed = line.is_err();
            if lines.send(Report::Line(line)).is_err() || failed {
                return;
            }
        }
        let _ = lines.send(Report::StdoutClosed);
    })
    .and_then(|_| {
        threads::spawn("compare-stderr", WATCHER_STACK, move || {
            let mut tail: Vec<u8> = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 2 * STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
            String::from_utf8_lossy(&tail).into_owned()
        })
    });
    let (hand_over, handed) =
        std::sync::mpsc::sync_channel::<(std::process::Child, interrupt_cleanup::ChildGuard)>(1);
    let waiter = readers.and_then(|stderr_thread| {
        threads::spawn("compare-wait", WATCHER_STACK, move || {
            let Ok((mut child, guard)) = handed.recv() else {
                return;
            };
            let exited = match child.wait_timeout(timeout) {
                Ok(None) => {
                    // Its whole process group, before the wait.
                    guard.kill();
                    let _ = child.kill();
                    let _ = child.wait();
                    Ok(None)
                }
                other => other,
            };
            // Waited for: its id is no longer its own.
            drop(guard);
            let _ = tx.send(Report::Exited(exited));
        })
        .map(|_| stderr_thread)
    });
    let stderr_thread = match waiter {
        Ok(stderr_thread) => {
            let _ = hand_over.send((child, guard));
            stderr_thread
        }
        Err(e) => {
            guard.kill();
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("cannot start a thread to watch {name}: {e}"));
        }
    };
    let mut status = None;
    let mut stdout_open = true;
    let mut not_utf8 = false;
    while stdout_open || status.is_none() {
        let Ok(report) = rx.recv() else { break };
        match report {
            Report::Line(Ok(line)) => on_line(&line)?,
            Report::Line(Err(_)) => {
                not_utf8 = true;
                stdout_open = false;
            }
            Report::StdoutClosed => stdout_open = false,
            Report::Exited(Ok(Some(s))) => status = Some(s),
            Report::Exited(Ok(None)) => {
                // Not joined: a process it started may hold its pipes.
                return Err(format!(
                    "{name} did not finish within {} s and was stopped (--timeout SECONDS to allow more)",
                    timeout.as_secs_f64()
                ));
            }
            Report::Exited(Err(e)) => return Err(format!("cannot wait for {name}: {e}")),
        }
    }
    let status = status.ok_or_else(|| format!("lost track of {name}"))?;
    let stderr_tail = stderr_thread.join().unwrap_or_default();
    if not_utf8 && status.success() {
        return Err(format!("{name} wrote something that is not UTF-8"));
    }
    Ok(Finished {
        status,
        stderr_tail,
    })
}

/// The file `name` names: a path as given when it contains `/`, else the
/// first executable file of that name in `path_var`'s folders.
fn locate(name: &str, path_var: Option<OsString>) -> Result<PathBuf, String> {
    if name.is_empty() {
        return Err("--runtime needs a name or a path".into());
    }
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if is_executable(&p) {
            Ok(p)
        } else if p.exists() {
            Err(format!("runtime {name} is not an executable program"))
        } else {
            Err(format!("runtime {name} not found: no such file"))
        };
    }
    path_var
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| {
            format!("runtime `{name}` not found on PATH (install it, or give --runtime PATH)")
        })
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// The last non-empty line of `stderr`, or the exit status.
fn last_line(stderr: &str, status: ExitStatus) -> String {
    let line = stderr.lines().rev().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(l) => format!("{l} ({status})"),
        None => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_runtime_is_one_line() {
        let e = locate("no-such-python-here", Some("/nonexistent:/also/not".into())).unwrap_err();
        assert_eq!(
            e,
            "runtime `no-such-python-here` not found on PATH (install it, or give --runtime PATH)"
        );
        let e = locate("/no/such/python3", None).unwrap_err();
        assert!(e.contains("no such file"), "{e}");
        // There, but not a program (found by a bad-input trial: it said
        // "no such file").
        let e = locate("/dev/null", None).unwrap_err();
        assert_eq!(e, "runtime /dev/null is not an executable program");
        let e = locate("/", None).unwrap_err();
        assert!(e.contains("not an executable program"), "{e}");
        assert!(locate("", None).is_err());
    }

    #[test]
    fn a_name_is_found_on_path() {
        let sh = locate("sh", std::env::var_os("PATH"));
        assert!(sh.is_ok_and(|p| p.ends_with("sh")));
    }

    #[test]
    fn a_program_that_is_not_python_is_refused() {
        let e = Runtime::find("sh", Duration::from_secs(60)).unwrap_err();
        assert!(e.contains("does not run Python 3 programs"), "{e}");
        assert_eq!(e.lines().count(), 1);
    }

    /// A runtime that never answers is stopped after the timeout, with one
    /// line that says so.
    #[test]
    fn a_runtime_that_hangs_is_stopped_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let hangs = dir.path().join("hangs.sh");
        std::fs::write(&hangs, "#!/bin/sh\nexec sleep 1000\n").unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hangs, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let name = hangs.to_str().unwrap();
        let e = Runtime::find(name, Duration::from_millis(200)).unwrap_err();
        assert!(e.contains("did not finish within 0.2 s"), "{e}");
        assert_eq!(e.lines().count(), 1);
        let rt = Runtime {
            name: name.to_owned(),
            path: hangs.clone(),
            implementation: "cpython".into(),
            version: "3.11.7".into(),
            python: "3.11".into(),
        };
        let e = rt
            .run(&hangs, &[], Duration::from_millis(200), &mut |_| Ok(()))
            .unwrap_err();
        assert!(e.contains("was stopped"), "{e}");
    }

    /// A runtime stopped after the timeout takes what it started with it
    /// (a wrapper script whose program hangs).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_runtime_stopped_after_the_timeout_takes_its_children_along() {
        let dir = tempfile::tempdir().unwrap();
        let wrapper = dir.path().join("wrapper.sh");
        let pid_file = dir.path().join("child.pid");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nsleep 1000 &\necho $! > {}\nwait\n",
                pid_file.display()
            ),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let name = wrapper.to_str().unwrap();
        let rt = Runtime {
            name: name.to_owned(),
            path: wrapper.clone(),
            implementation: "cpython".into(),
            version: "3.11.7".into(),
            python: "3.11".into(),
        };
        // Long enough for the wrapper to start its child and write the pid
        // even on a loaded machine (at 500 ms it could be stopped first).
        let e = rt
            .run(&wrapper, &[], Duration::from_secs(3), &mut |_| Ok(()))
            .unwrap_err();
        assert!(e.contains("was stopped"), "{e}");
        let pid = std::fs::read_to_string(&pid_file).expect("the wrapper started its child");
        let stat = format!("/proc/{}/stat", pid.trim());
        // Gone, or a zombie waiting for init to reap it.
        let alive = || {
            std::fs::read_to_string(&stat).is_ok_and(|s| {
                let state = s
                    .rsplit(')')
                    .next()
                    .and_then(|r| r.split_whitespace().next());
                !matches!(state, Some("Z" | "X"))
            })
        };
        let until = std::time::Instant::now() + Duration::from_secs(60);
        while alive() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(), "the wrapper's child outlived the timeout");
    }
}
