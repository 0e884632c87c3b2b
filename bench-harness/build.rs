//! Records, for `results.json`'s `machine`, the compiler's version
//! (`rustc`) and the git commit of the sources this build compiled
//! (`git_commit`, with `-dirty` when they had uncommitted changes; `unknown`
//! outside a git checkout or without git). Both are the build's, not the
//! tree's when `gc-bench` later runs.

use std::process::Command;

/// The crates whose sources `gc-bench` is built from, relative to this
/// crate: a change under any of them reruns this script.
const SOURCES: &[&str] = &[
    ".",
    "../gc-core",
    "../gc-any",
    "../gc-refcount",
    "../gc-generational",
    "../gc-marksweep",
    "../gc-py",
    "../Cargo.toml",
    "../Cargo.lock",
];

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

fn git(args: &[&str]) -> Option<String> {
    // No optional locks: reading the status must not write the index.
    output(
        Command::new("git")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .args(args)
            .stderr(std::process::Stdio::null()),
    )
}

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = output(Command::new(rustc).arg("--version")).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GC_BENCH_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");
    println!("cargo:rerun-if-changed=build.rs");

    let commit = match git(&["rev-parse", "HEAD"]) {
        Some(head) if !head.is_empty() => {
            let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
            status.extend(SOURCES.iter().filter(|s| **s != "."));
            status.push(".");
            let dirty = git(&status).is_some_and(|s| !s.is_empty());
            if dirty { format!("{head}-dirty") } else { head }
        }
        _ => "unknown".into(),
    };
    println!("cargo:rustc-env=GC_BENCH_GIT_COMMIT={commit}");
    // A new commit, a checkout or a change to the sources makes another
    // build and so another record.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        println!("cargo:rerun-if-changed={git_dir}/index");
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={git_dir}/{branch}");
        }
    }
    for s in SOURCES {
        println!("cargo:rerun-if-changed={s}");
    }
}
