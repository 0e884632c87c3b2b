//! Process hygiene: `gc-bench`'s child processes die with it (its runs
//! however it ends, `compare`'s runtime when interrupted), and its
//! temporary files do not outlive an interrupt (SIGINT, SIGTERM).
//!
//! No test here measures time: each waits for a condition (a process or a
//! file appearing or going away) with a generous bound, and fails if the
//! bound passes. Linux only (they read `/proc`).
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How long a condition may take to come true (very generous: the machine
/// is shared).
const BOUND: Duration = Duration::from_secs(120);

/// Polls `cond` every 20 ms until it holds or [`BOUND`] passes.
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + BOUND;
    while Instant::now() < until {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Polls `cond` as [`eventually`] does while `child` runs: false as soon
/// as it has ended.
fn while_running(child: &mut Child, mut cond: impl FnMut() -> bool) -> bool {
    eventually(|| cond() || child.try_wait().unwrap().is_some()) && cond()
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gc-bench-interrupts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Starts `gc-bench ARGS` with its temporary folder at `tmp`.
fn start(args: &[&str], tmp: &Path, stdin: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gc-bench"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("TMPDIR", tmp)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gc-bench runs")
}

/// `(parent pid, state)` of process `pid`, from `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(u32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut rest = text[text.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    Some((rest.next()?.parse().ok()?, state))
}

/// A `gc-bench cell` process whose parent is `parent`.
fn cell_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let (ppid, _) = stat(pid)?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        (ppid == parent && cmdline.split(|b| *b == 0).any(|a| a == b"cell")).then_some(pid)
    })
}

/// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
fn ended(pid: u32) -> bool {
    stat(pid).is_none_or(|(_, state)| state == 'Z' || state == 'X')
}

fn signal(child: &Child, sig: Signal) {
    kill(Pid::from_raw(child.id() as i32), sig).unwrap();
}

/// Entries of `dir` whose names start with `prefix`.
fn entries(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[test]
fn a_run_child_dies_with_its_parent_however_the_parent_ends() {
    let tmp = scratch("parent");
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGKILL] {
        // A cell that would run for many minutes.
        let mut run = start(
            &[
                "run",
                "--workload",
                "cycle_churn",
                "--collector",
                "generational",
                "--scale",
                "3000",
                "--no-verify",
            ],
            &tmp,
            Stdio::null(),
        );
        let mut cell = None;
        let id = run.id();
        assert!(
            while_running(&mut run, || {
                cell = cell_of(id);
                cell.is_some()
            }),
            "no `gc-bench cell` started"
        );
        let cell = cell.unwrap();
        signal(&run, sig);
        run.wait().unwrap();
        let died = eventually(|| ended(cell));
        if !died {
            let _ = kill(Pid::from_raw(cell as i32), Signal::SIGKILL);
        }
        assert!(died, "the cell ran on after its parent got {sig}");
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A trace of `record WORKLOAD --scale X` in `dir`.
fn recorded(dir: &Path, workload: &str, scale: &str) -> PathBuf {
    let path = dir.join(format!("{workload}.gctrace"));
    let out = Command::new(env!("CARGO_BIN_EXE_gc-bench"))
        .args(["record", workload, "--scale", scale, "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn run_removes_its_copy_of_standard_input_when_interrupted() {
    let traces = scratch("stdin-traces");
    let trace = recorded(&traces, "cycle_churn", "2");
    for (sig, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let tmp = scratch("stdin");
        let mut run = start(
            &[
                "run",
                "--trace",
                "-",
                "--collector",
                "refcount",
                "--repeat",
                "100",
            ],
            &tmp,
            Stdio::from(std::fs::File::open(&trace).unwrap()),
        );
        assert!(
            while_running(&mut run, || !entries(&tmp, "gc-bench-stdin-").is_empty()),
            "no copy of standard input appeared"
        );
        signal(&run, sig);
        let status = run.wait().unwrap();
        assert_eq!(status.code(), Some(code), "after {sig}: {status}");
        assert_eq!(entries(&tmp, ""), Vec::<String>::new(), "after {sig}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
    std::fs::remove_dir_all(&traces).unwrap();
}

#[test]
fn record_removes_its_temporary_file_when_interrupted() {
    for (sig, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let dir = scratch("record");
        let out = dir.join("big.gctrace");
        // Gigabytes of trace: still being written when the signal comes.
        let mut record = start(
            &[
                "record",
                "cycle_churn",
                "--scale",
                "3000",
                "--out",
                out.to_str().unwrap(),
            ],
            &dir,
            Stdio::null(),
        );
        assert!(
            while_running(&mut record, || !entries(&dir, ".big.gctrace").is_empty()),
            "no temporary file appeared"
        );
        signal(&record, sig);
        let status = record.wait().unwrap();
        assert_eq!(status.code(), Some(code), "after {sig}: {status}");
        assert_eq!(entries(&dir, ""), Vec::<String>::new(), "after {sig}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// `compare` interrupted (the signal sent to it alone, not to its process
/// group): its folder is removed and the runtime it started is killed.
#[test]
fn compare_removes_its_folder_and_kills_its_runtime_when_interrupted() {
    for (sig, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let tmp = scratch("compare");
        // A runtime that says it is CPython, then runs "the program"
        // forever.
        let runtime = tmp.join("hangs.sh");
        let pid_file = tmp.join("runtime.pid");
        std::fs::write(
            &runtime,
            format!(
                "#!/bin/sh\nif [ \"$1\" = -c ]; then printf 'cpython\\n3.11\\n3.11.7\\n'; exit 0; fi\necho $$ > {}\nexec sleep 600\n",
                pid_file.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let mut compare = start(
            &[
                "compare",
                "--workload",
                "cycle_churn",
                "--collector",
                "generational",
                "--scale",
                "0.01",
                "--runtime",
                runtime.to_str().unwrap(),
            ],
            &tmp,
            Stdio::null(),
        );
        let runtime_pid = || {
            std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|p| p.trim().parse::<u32>().ok())
        };
        let running = while_running(&mut compare, || runtime_pid().is_some());
        let stop_runtime = || {
            if let Some(pid) = runtime_pid() {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            }
        };
        if !running {
            let _ = compare.kill();
            panic!("the runtime never started the program");
        }
        let pid = runtime_pid().unwrap();
        assert_eq!(entries(&tmp, "gc-bench-compare-").len(), 1);
        signal(&compare, sig);
        let status = compare.wait().unwrap();
        let died = eventually(|| ended(pid));
        stop_runtime();
        assert!(died, "the runtime ran on after compare got {sig}");
        assert_eq!(status.code(), Some(code), "after {sig}: {status}");
        assert_eq!(entries(&tmp, "gc-bench-compare-"), Vec::<String>::new());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

/// An output folder `run --out` made leaves with the interrupted run (one
/// that was there before stays).
#[test]
fn run_removes_the_output_folder_it_made_when_interrupted() {
    let tmp = scratch("out-made");
    let out = tmp.join("o1");
    let mut run = start(
        &[
            "run",
            "--workload",
            "cycle_churn",
            "--collector",
            "refcount",
            "--repeat",
            "100",
            "--out",
            out.to_str().unwrap(),
        ],
        &tmp,
        Stdio::null(),
    );
    // The folder is made before the first cell starts.
    let pid = run.id();
    assert!(
        while_running(&mut run, || out.is_dir() && cell_of(pid).is_some()),
        "no output folder and cell appeared"
    );
    signal(&run, Signal::SIGTERM);
    assert_eq!(run.wait().unwrap().code(), Some(143));
    assert!(!out.exists(), "the output folder it made is still there");
    // A folder that was there already is left.
    std::fs::create_dir_all(&out).unwrap();
    let mut run = start(
        &[
            "run",
            "--workload",
            "cycle_churn",
            "--collector",
            "refcount",
            "--repeat",
            "100",
            "--out",
            out.to_str().unwrap(),
        ],
        &tmp,
        Stdio::null(),
    );
    let pid = run.id();
    assert!(
        while_running(&mut run, || cell_of(pid).is_some()),
        "no cell appeared"
    );
    signal(&run, Signal::SIGTERM);
    // Ended by the signal (no handler: nothing of its own to remove).
    assert!(!run.wait().unwrap().success());
    assert!(out.is_dir(), "a folder that was there before is gone");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// `--out NEW/..` names a folder that was there (once NEW is made): an
/// interrupt leaves it and what is in it.
#[test]
fn an_interrupted_run_leaves_a_folder_it_did_not_make() {
    let tmp = scratch("out-dotdot");
    let keep = tmp.join("keep");
    std::fs::write(&keep, b"").unwrap();
    let out = tmp.join("new").join("..");
    let mut run = start(
        &[
            "run",
            "--workload",
            "cycle_churn",
            "--collector",
            "refcount",
            "--repeat",
            "100",
            "--out",
            out.to_str().unwrap(),
        ],
        &tmp,
        Stdio::null(),
    );
    let pid = run.id();
    assert!(
        while_running(&mut run, || cell_of(pid).is_some()),
        "no cell appeared"
    );
    signal(&run, Signal::SIGTERM);
    assert!(!run.wait().unwrap().success());
    assert!(
        keep.is_file(),
        "the folder --out named, there before, was emptied"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// Ctrl-C reaches `run --out` and its child together (one process
/// group): the interrupt ends `run` with 130, and its log says nothing of a crashed
/// run (it said "the run crashed (signal: 2)" when the child's end was
/// seen before `run`'s own handler).
#[test]
fn an_interrupt_of_the_group_is_not_logged_as_a_crash() {
    use std::os::unix::process::CommandExt;
    let tmp = scratch("group");
    for _ in 0..3 {
        let mut run = Command::new(env!("CARGO_BIN_EXE_gc-bench"))
            .args([
                "run",
                "--workload",
                "cycle_churn",
                "--collector",
                "refcount",
                "--repeat",
                "100",
                "--out",
            ])
            .arg(tmp.join("o"))
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("gc-bench runs");
        let pid = run.id();
        assert!(
            while_running(&mut run, || cell_of(pid).is_some()),
            "no cell appeared"
        );
        nix::sys::signal::killpg(Pid::from_raw(pid as i32), Signal::SIGINT).unwrap();
        let out = run.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{stderr}");
        assert!(
            !stderr.contains("crashed") && !stderr.contains("FAILED"),
            "{stderr}"
        );
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}
