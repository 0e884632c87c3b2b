//! The other runtime: finding a Python interpreter (a name on `PATH` or a
//! path), asking what it is, and running an exported program on it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

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
    /// and asks it what it is.
    pub fn find(name: &str) -> Result<Runtime, String> {
        let path = locate(name, std::env::var_os("PATH"))?;
        let out = Command::new(&path)
            .args(["-c", PROBE])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        if !out.status.success() || lines.len() != 3 {
            return Err(format!(
                "{} does not run Python 3 programs ({})",
                path.display(),
                last_line(&String::from_utf8_lossy(&out.stderr), out.status)
            ));
        }
        let implementation = lines[0].to_owned();
        let version = if implementation == "pypy" {
            format!("{} (Python {})", lines[2], lines[1])
        } else {
            lines[2].to_owned()
        };
        Ok(Runtime {
            name: name.to_owned(),
            path,
            implementation,
            version,
            python: lines[1].to_owned(),
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

    /// Runs `program` with `env` set (`None` removes the variable) and
    /// returns its standard output. A status other than 0 is an error that
    /// quotes the last line the program wrote on standard error.
    pub fn run(&self, program: &Path, env: &[(String, Option<String>)]) -> Result<String, String> {
        let mut cmd = Command::new(&self.path);
        cmd.arg(program).stdin(Stdio::null());
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed on the exported program: {}",
                self.name,
                last_line(&String::from_utf8_lossy(&out.stderr), out.status)
            ));
        }
        String::from_utf8(out.stdout)
            .map_err(|_| format!("{} wrote something that is not UTF-8", self.name))
    }
}

/// The file `name` names: a path as given when it contains `/`, else the
/// first executable file of that name in `path_var`'s folders.
fn locate(name: &str, path_var: Option<OsString>) -> Result<PathBuf, String> {
    if name.is_empty() {
        return Err("--runtime needs a name or a path".into());
    }
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if p.is_file() {
            Ok(p)
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
fn last_line(stderr: &str, status: std::process::ExitStatus) -> String {
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
        assert!(locate("", None).is_err());
    }

    #[test]
    fn a_name_is_found_on_path() {
        let sh = locate("sh", std::env::var_os("PATH"));
        assert!(sh.is_ok_and(|p| p.ends_with("sh")));
    }

    #[test]
    fn a_program_that_is_not_python_is_refused() {
        let e = Runtime::find("sh").unwrap_err();
        assert!(e.contains("does not run Python 3 programs"), "{e}");
        assert_eq!(e.lines().count(), 1);
    }
}
