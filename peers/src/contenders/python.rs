//! `cpython` and `pypy`: the same four programs written in Python
//! (`peers/python/peers.py`, built into the binary), one process per run.
//! The time is the program's own measurement of the workload (start-up and
//! reading the graph's operations excluded); the GC time is what the
//! runtime reports (`gc.callbacks` on CPython, `gc.hooks` on PyPy).

use std::io::Write;
use std::process::{Command, Stdio};

use super::{Outcome, Sample};
use crate::workload::{Op, Sizes, Workload, ops_bytes};

/// The Python program.
pub const PROGRAM: &str = include_str!("../../python/peers.py");

/// A Python runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// CPython.
    Cpython,
    /// PyPy.
    Pypy,
}

impl Runtime {
    /// The command looked up on `PATH`.
    pub fn command(self) -> &'static str {
        match self {
            Runtime::Cpython => "python3",
            Runtime::Pypy => "pypy3",
        }
    }

    fn implementation(self) -> &'static str {
        match self {
            Runtime::Cpython => "cpython",
            Runtime::Pypy => "pypy",
        }
    }
}

/// The runtime's command if it runs and is what its name says, with its
/// version; else why not.
pub fn find_runtime(rt: Runtime) -> Result<(String, String), String> {
    let cmd = rt.command();
    let out = Command::new(cmd)
        .args([
            "-c",
            "import sys; print(sys.implementation.name, sys.version.split()[0])",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd} not found ({e})"))?;
    if !out.status.success() {
        return Err(format!("{cmd} does not run ({})", out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let name = words.next().unwrap_or("");
    let version = words.next().unwrap_or("?").to_owned();
    if name != rt.implementation() {
        return Err(format!("{cmd} is {name}, not {}", rt.implementation()));
    }
    Ok((cmd.to_owned(), version))
}

/// One run of `w` on the runtime at `path`.
pub(crate) fn run(path: &str, w: Workload, s: &Sizes, ops: &[Op]) -> Result<Sample, String> {
    let args: Vec<String> = match w {
        Workload::BinaryTrees => vec![s.tree_depth.to_string()],
        Workload::ListChurn => vec![s.ring_len.to_string(), s.rings.to_string()],
        Workload::Graph => vec![s.graph_nodes.to_string()],
        Workload::Traversal => vec![s.levels.to_string(), s.loops.to_string()],
    };
    let mut child = Command::new(path)
        .arg("-c")
        .arg(PROGRAM)
        .arg(w.name())
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{path}: {e}"))?;
    let input = if w == Workload::Graph {
        ops_bytes(ops)
    } else {
        Vec::new()
    };
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{path}: {e}"))?;
    writer
        .join()
        .map_err(|_| "the writer panicked".to_owned())?
        .map_err(|e| format!("{path}: writing the operations: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim();
        return Err(format!("{path} failed ({}): {last}", out.status));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("{path}: unreadable result {:?}: {e}", line.trim()))?;
    let num = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| format!("{path}: no {k} in {}", line.trim()))
    };
    let check = v
        .get("check")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("{path}: no check in {}", line.trim()))?;
    let gc_ms = num("gc_ms")?;
    let events = num("gc_events")?;
    Ok(Sample {
        ms: num("ms")?,
        outcome: Outcome {
            check,
            gc_ms: Some(gc_ms),
            minor_p99_ms: None,
            note: Some(format!("{events:.0} GC events")),
        },
    })
}
