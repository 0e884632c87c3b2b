//! `gc-bench merge` refuses what it cannot combine: shards of different
//! matrices, results that contradict themselves, missing inputs; all
//! before `--out` is created. Failed runs merge, and make the exit status 1.

#[path = "support/gc_bench.rs"]
mod support;

use std::path::{Path, PathBuf};

use support::{gc_bench, text};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gc-bench-merge-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `run --shard K/2 --out DIR` over two tiny workloads on two collectors,
/// with `extra` arguments.
fn shard(dir: &Path, k: u32, extra: &[&str]) {
    let shard = format!("{k}/2");
    let mut args = vec![
        "run",
        "--workload",
        "gc_collect",
        "--collector",
        "null",
        "--collector",
        "refcount",
        "--shard",
        &shard,
        "--out",
        dir.to_str().unwrap(),
    ];
    if !extra.contains(&"--workload") {
        args.extend(["--workload", "cycle_churn"]);
    }
    if !extra.contains(&"--scale") {
        args.extend(["--scale", "0.01"]);
    }
    args.extend(extra);
    let out = gc_bench(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Merges `dirs` into `out`: exit status, standard error.
fn merge(dirs: &[&Path], out: &Path) -> (Option<i32>, String) {
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    let o = gc_bench(&args, None);
    (o.status.code(), text(&o.stderr))
}

/// Asserts a refusal: exit 2, one line naming `why`, no `out` created.
fn refused(dirs: &[&Path], out: &Path, why: &str) {
    let (code, stderr) = merge(dirs, out);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(why), "expected `{why}` in: {stderr}");
    assert!(!out.exists(), "{} created", out.display());
}

#[test]
fn shards_of_different_matrices_are_refused() {
    let base = scratch("base");
    shard(&base.join("1"), 1, &[]);
    shard(&base.join("2"), 2, &[]);
    let out = base.join("merged");
    // The matching pair merges.
    let (code, stderr) = merge(&[&base.join("1"), &base.join("2")], &out);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.join("results.json").exists());

    let other = |name: &str, extra: &[&str]| {
        let d = base.join(name);
        shard(&d, 2, extra);
        d
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (other("scale", &["--scale", "0.02"]), "different matrices"),
        (
            other(
                "workloads",
                &["--workload", "gc_collect", "--workload", "lru_cache"],
            ),
            "different matrices: cell #",
        ),
        (
            other("seeds", &["--seed", "2"]),
            "different matrices: cell #",
        ),
        (other("repeat", &["--repeat", "2"]), "--repeat 1 and 2"),
        (
            other("config", &["--config", "max_heap=1GB"]),
            "different matrices: null settings",
        ),
    ];
    for (dir, why) in &cases {
        refused(&[&base.join("1"), dir], &base.join("refused"), why);
    }
    // Slices of different counts.
    let three = base.join("three");
    let out3 = gc_bench(
        &[
            "run",
            "--scale",
            "0.01",
            "--workload",
            "gc_collect",
            "--collector",
            "null",
            "--shard",
            "2/3",
            "--out",
            three.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out3.status.code(), Some(0), "{}", text(&out3.stderr));
    refused(
        &[&base.join("1"), &three],
        &base.join("refused"),
        "slices of 2 and of 3",
    );
    // A whole run is not a shard.
    let whole = base.join("whole");
    let o = gc_bench(
        &[
            "run",
            "--scale",
            "0.01",
            "--workload",
            "gc_collect",
            "--collector",
            "null",
            "--out",
            whole.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    refused(
        &[&base.join("1"), &whole],
        &base.join("refused"),
        "not shards",
    );
    std::fs::remove_dir_all(&base).unwrap();
}

/// Rewrites the first run of `dir`'s results.json with `edit`.
fn edit_first_run(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("results.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut json["runs"][0]);
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
}

#[test]
fn failed_runs_merge_with_exit_1_and_bad_inputs_create_nothing() {
    let base = scratch("failed");
    let (one, two) = (base.join("1"), base.join("2"));
    shard(&one, 1, &[]);
    shard(&two, 2, &[]);

    // A failed run: merged, written, exit 1.
    edit_first_run(&one, |run| {
        run["status"] = "failed".into();
        run["error"] = "boom".into();
        run["metrics"] = serde_json::Value::Null;
    });
    let out = base.join("with-failed");
    let (code, stderr) = merge(&[&one, &two], &out);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(out.join("results.json").exists());

    // An `ok` run without metrics contradicts itself: refused.
    edit_first_run(&one, |run| {
        run["status"] = "ok".into();
        run["error"] = serde_json::Value::Null;
    });
    refused(
        &[&one, &two],
        &base.join("no-metrics"),
        "is ok but has no metrics",
    );
    refused(
        &[&one],
        &base.join("no-metrics"),
        "is ok but has no metrics",
    );

    // A missing input: nothing created.
    refused(
        &[&two, &base.join("no-such-dir")],
        &base.join("missing"),
        "cannot read",
    );
    std::fs::remove_dir_all(&base).unwrap();
}

/// Found by a bad-input trial: `--out` naming one of the inputs
/// overwrote its results.json.
#[test]
fn out_naming_an_input_is_refused_and_writes_nothing() {
    let base = scratch("input-as-out");
    let (one, two) = (base.join("1"), base.join("2"));
    shard(&one, 1, &[]);
    shard(&two, 2, &[]);
    let before = std::fs::read(one.join("results.json")).unwrap();
    let names = |d: &Path| std::fs::read_dir(d).unwrap().count();
    let files = names(&one);
    let dotted = one.join(".");
    let json = two.join("results.json");
    for (inputs, out) in [
        (vec![&one, &two], &one),
        (vec![&one, &two], &dotted),
        (vec![&one, &json], &two),
    ] {
        let (code, stderr) = merge(&inputs.iter().map(|p| p.as_path()).collect::<Vec<_>>(), out);
        assert_eq!(code, Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("would be overwritten"), "{stderr}");
    }
    assert_eq!(std::fs::read(one.join("results.json")).unwrap(), before);
    assert_eq!(names(&one), files);
    // A results file beside `--out`'s own is not overwritten: accepted
    // (found by a review: refused for sharing `--out`'s folder).
    let copy = base.join("two.json");
    std::fs::copy(&json, &copy).unwrap();
    let copied = std::fs::read(&copy).unwrap();
    let (code, stderr) = merge(&[&one.join("results.json"), &copy], &base);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(std::fs::read(&copy).unwrap(), copied);
    assert!(base.join("results.json").exists());
    std::fs::remove_dir_all(&base).unwrap();
}
