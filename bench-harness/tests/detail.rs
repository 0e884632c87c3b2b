//! The memory counters beyond the spec: `replay --detail` and the
//! old-generation totals of `run`. Without `--detail` the event stream is
//! the spec's, byte for byte, for every collector.

#[path = "support/gc_bench.rs"]
mod support;

use support::{gc_bench, text, untimed};

/// A node and a large atom promoted by a minor collection; then the atom
/// dies and a full collection frees it (and a young node).
const TRACE: &str = "gctrace 1
new r0 node 2 16
new r1 atom 300
set r0.0 r1
collect 0
new r2 node 0 8
del r2
del r1
set r0.0 nil
collect
";

/// The collect lines, exactly as the spec writes them (times zeroed).
const SPEC_LINES: [&str; 2] = [
    r#"{"event":"collect","line":5,"trigger":"explicit","generation":0,"kind":"minor","collected":0,"uncollectable":0,"live_objects":2,"live_bytes":316,"pause_ns":0}"#,
    r#"{"event":"collect","line":10,"trigger":"explicit","generation":2,"kind":"major","collected":2,"uncollectable":0,"live_objects":1,"live_bytes":16,"pause_ns":0}"#,
];

/// Node: 2 header words + 2 slots + 16 payload bytes = 48 bytes, in a
/// page; atom: 2 header words + 304 bytes = 320, over 280: on its own.
const DETAILS: [&str; 2] = [
    r#","detail":{"promoted_objects":2,"promoted_bytes":368,"old_bytes":368,"peak_old_bytes":368,"pages_reserved_bytes":524288,"pages_used_bytes":48,"large_bytes":320}}"#,
    r#","detail":{"promoted_objects":0,"promoted_bytes":0,"old_bytes":48,"peak_old_bytes":368,"pages_reserved_bytes":524288,"pages_used_bytes":48,"large_bytes":0}}"#,
];

fn replay(collector: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "replay",
        "-",
        "--collector",
        collector,
        "--events",
        "jsonl",
        "--config",
    ];
    // A small nursery for marksweep; the others take no setting.
    if collector == "marksweep" {
        args.push("nursery=4KB");
    } else {
        args.pop();
    }
    args.extend(extra);
    let out = gc_bench(&args, Some(TRACE));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(untimed).collect()
}

#[test]
fn marksweep_events_are_the_spec_s_by_default_and_carry_detail_when_asked() {
    let plain = replay("marksweep", &[]);
    assert_eq!(plain.len(), 3, "{plain:?}");
    assert_eq!(plain[..2], SPEC_LINES);
    assert!(plain.iter().all(|l| !l.contains("detail")));

    let detailed = replay("marksweep", &["--detail"]);
    assert_eq!(detailed.len(), 3, "{detailed:?}");
    for i in 0..2 {
        let want = format!("{}{}", SPEC_LINES[i].strip_suffix('}').unwrap(), DETAILS[i]);
        assert_eq!(detailed[i], want);
    }
    assert_eq!(
        detailed[2], plain[2],
        "the summary is the spec's either way"
    );
}

#[test]
fn detail_leaves_collectors_without_counters_unchanged() {
    for collector in ["null", "refcount", "generational"] {
        let plain = replay(collector, &[]);
        assert!(plain.iter().any(|l| l.contains(r#""event":"collect""#)));
        assert_eq!(replay(collector, &["--detail"]), plain, "{collector}");
        assert!(plain.iter().all(|l| !l.contains("detail")));
    }
}

#[test]
fn detail_needs_jsonl_events() {
    let out = gc_bench(
        &["replay", "-", "--collector", "marksweep", "--detail"],
        Some(TRACE),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--events"), "{err}");
}

#[test]
fn run_reports_old_generation_totals_for_marksweep_only() {
    let dir = std::env::temp_dir().join(format!("gc-bench-detail-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = gc_bench(
        &[
            "run",
            "--scale",
            "0.01",
            "--workload",
            "binary_trees",
            "--collector",
            "refcount",
            "--collector",
            "marksweep",
            "--config",
            "nursery=64KB",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        let old = &r["metrics"]["old_generation"];
        if r["collector"] == "marksweep" {
            let n = |k: &str| old[k].as_u64().unwrap_or_else(|| panic!("{k}: {old}"));
            assert!(
                n("promoted_bytes") > 0 && n("promoted_objects") > 0,
                "{old}"
            );
            assert!(n("peak_old_bytes") > 0);
            assert!(n("pages_used_at_peak_bytes") <= n("peak_pages_reserved_bytes"));
            assert_eq!(n("peak_pages_reserved_bytes") % (512 * 1024), 0);
        } else {
            assert!(old.is_null(), "absent for {}: {old}", r["collector"]);
        }
    }

    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let columns = [
        "promoted_objects",
        "promoted_bytes",
        "peak_old_bytes",
        "peak_pages_reserved_bytes",
        "pages_used_at_peak_bytes",
        "page_fragmentation",
    ];
    let at = rows[0].iter().position(|c| *c == columns[0]).unwrap();
    assert_eq!(rows[0][at..at + 6], columns);
    for row in &rows[1..] {
        assert_eq!(row.len(), rows[0].len(), "{row:?}");
        let tail = &row[at..at + 6];
        if row[1] == "marksweep" {
            assert!(tail.iter().all(|v| !v.is_empty()), "{row:?}");
            let f: f64 = tail[5].parse().unwrap();
            assert!((0.0..1.0).contains(&f), "{f}");
        } else {
            assert!(tail.iter().all(|v| v.is_empty()), "{row:?}");
        }
    }

    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let section = md.split("## Old generation").nth(1).expect("the section");
    let section = section.split("\n## ").next().unwrap();
    assert!(
        section.contains("| binary_trees | marksweep |"),
        "{section}"
    );
    assert!(!section.contains("refcount"), "{section}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `run` takes marksweep's nursery from `--config nursery=…`; the
/// environment's `PYPY_GC_NURSERY` counts only with `--config preset=pypy`
/// (PyPy's rules, which its per-run child processes then read), never by
/// default: the default is portable.
#[test]
fn run_takes_the_nursery_from_config_and_pypy_gc_nursery_only_with_the_pypy_preset() {
    let minors = |config: &[&str], env: Option<&str>| {
        let dir = std::env::temp_dir().join(format!(
            "gc-bench-nursery-{}-{}-{}",
            std::process::id(),
            env.is_some(),
            config.len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gc-bench"));
        cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args(["run", "--scale", "0.01", "--workload", "binary_trees"])
            .args(["--collector", "marksweep", "--out", dir.to_str().unwrap()])
            .env_remove("PYPY_GC_NURSERY");
        for c in config {
            cmd.args(["--config", c]);
        }
        if let Some(e) = env {
            cmd.env("PYPY_GC_NURSERY", e);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
                .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let nursery = json["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["collector"] == "marksweep")
            .and_then(|c| {
                c["settings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|kv| kv[0] == "nursery")
                    .map(|kv| kv[1].as_str().unwrap().to_owned())
            })
            .unwrap();
        let minors = json["runs"][0]["metrics"]["collections"]["minor"]
            .as_u64()
            .unwrap_or(0);
        (minors, nursery)
    };
    let by_config = minors(&["nursery=16KB"], None);
    assert!(by_config.0 > 5, "{by_config:?} minor collections");
    assert_eq!(by_config.1, "16384");
    assert_eq!(minors(&["preset=pypy"], Some("16KB")), by_config);
    let portable = minors(&[], Some("16KB"));
    assert_eq!(portable.1, (512 << 10).to_string());
    assert!(portable.0 < by_config.0, "{portable:?}");
}
