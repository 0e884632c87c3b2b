//! Faithfulness against CPython itself: random traces replayed here and by
//! `python3` (3.11) on real objects must give the same collections (each
//! with its line, generation, trigger, collected and uncollectable), the
//! same finalizations and the same weak callbacks, in the same order.
//!
//! `tests/cpython/differential.py` generates the traces and runs them on
//! CPython (its docstring lists the CPython facts it relies on). Ignored by
//! default (it needs `python3` and takes a minute); run it with
//! `cargo test --release -p gc-generational --test differential -- --ignored`.
//! `GC_DIFF_COUNT`, `GC_DIFF_LEN` and `GC_DIFF_SEED` change its size.

use std::process::Command;

use gc_core::CollectorExt;
use gc_core::replay::{Record, replay};
use gc_core::trace::Trace;
use gc_generational::Generational;

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The collector's events in the checker's line format.
fn ours(trace: &Trace) -> Vec<String> {
    let mut out = Vec::new();
    replay(trace, Generational::new_default().unwrap(), |r| match r {
        Record::Collect {
            line,
            generation,
            trigger,
            collected,
            uncollectable,
            ..
        } => out.push(format!(
            "C {line} {generation} {trigger} {collected} {uncollectable}"
        )),
        Record::Finalize { line, object } => out.push(format!("F {line} {object}")),
        Record::WeakCallback { line, weak, object } => {
            out.push(format!("W {line} {weak} {object}"))
        }
        _ => {}
    });
    out
}

#[test]
#[ignore = "needs python3 (CPython 3.11); run with --ignored"]
fn random_traces_give_cpythons_events() {
    let python = Command::new("python3").arg("--version").output();
    let Ok(version) = python else {
        eprintln!("differential: python3 not found, skipped");
        return;
    };
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    if !version.contains("3.11") {
        eprintln!("differential: {version} is not CPython 3.11, skipped");
        return;
    }
    let (seed, count, len) = (
        env_or("GC_DIFF_SEED", 1),
        env_or("GC_DIFF_COUNT", 100),
        env_or("GC_DIFF_LEN", 500),
    );
    let dir = std::env::temp_dir().join(format!("gc-generational-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cpython/differential.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(&dir)
        .args([seed, count, len].map(|n| n.to_string()))
        .status()
        .unwrap();
    assert!(status.success(), "differential.py failed");
    let mut checked = 0;
    let mut events = 0;
    for k in 0..count {
        let path = dir.join(format!("{k:03}.gctrace"));
        let text = std::fs::read_to_string(&path).unwrap();
        let want: Vec<String> = std::fs::read_to_string(dir.join(format!("{k:03}.cpython")))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let got = ours(&Trace::parse(&text).unwrap());
        if got != want {
            let i = (0..)
                .find(|&i| got.get(i) != want.get(i))
                .expect("they differ");
            panic!(
                "{}: first difference at event {i}: ours {:?}, CPython {:?}",
                path.display(),
                &got[i.min(got.len())..(i + 3).min(got.len())],
                &want[i.min(want.len())..(i + 3).min(want.len())]
            );
        }
        checked += 1;
        events += got.len();
    }
    std::fs::remove_dir_all(&dir).ok();
    eprintln!("differential: {checked} traces, {events} events, identical to CPython");
}
