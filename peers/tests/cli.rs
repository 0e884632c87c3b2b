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
    for (args, says) in [
        (&["--workload", "nope"][..], "invalid value 'nope'"),
        (&["--bogus"][..], "unexpected argument '--bogus'"),
        (&["--config", "generational"][..], "STRATEGY:KEY=VALUE"),
        (
            &["--config", "generational:untrack_new_tuples=maybe"][..],
            "`untrack_new_tuples`: got `maybe`",
        ),
        (&["--config", "generational:nope=1"][..], "nope"),
        (&["--config", "rc:x=1"][..], "unknown strategy"),
        (&["--config", "generational:=1"][..], "STRATEGY:KEY=VALUE"),
        (
            &["--contender", "rc", "--config", "generational:threshold0=5"][..],
            "generational is not among the contenders run",
        ),
    ] {
        let out = peers(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("peers: "), "{err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// `--config` reaches the strategy, and the row's note says what was set.
#[test]
fn a_setting_reaches_the_strategy_and_is_noted() {
    let out = peers(&[
        "--quick",
        "--runs",
        "1",
        "--format",
        "json",
        "--workload",
        "binary_trees",
        "--contender",
        "generational",
        "--config",
        "generational:untrack_new_tuples=true",
        "--config",
        "generational:threshold0=100",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &rows.as_array().unwrap()[0];
    assert_eq!(
        row["note"], "config: untrack_new_tuples=true threshold0=100",
        "{row}"
    );
    assert_eq!(row["status"], "ok");
}
