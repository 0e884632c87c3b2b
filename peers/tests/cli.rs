//! The command line: JSON rows, bad flags.

use std::process::Command;

fn peers(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_peers"))
        .args(args)
        .output()
        .expect("the peers binary runs")
}

#[test]
fn json_rows_have_the_issues_fields() {
    let out = peers(&[
        "--quick",
        "--runs",
        "2",
        "--format",
        "json",
        "--workload",
        "list_churn",
        "--contender",
        "rc",
        "--contender",
        "generational",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        for key in [
            "workload",
            "contender",
            "median_ms",
            "spread_pct",
            "runs",
            "header_bytes",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
        assert_eq!(row["runs"], 2);
        assert_eq!(row["status"], "ok");
    }
}

#[test]
fn a_bad_flag_is_one_error_line_and_status_2() {
    let out = peers(&["--workload", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap_or("");
    assert!(first.starts_with("error: invalid value 'nope'"), "{err}");
    assert!(first.contains("binary_trees"), "{first}");
}
