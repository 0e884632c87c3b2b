//! Runs `embed-check` on every strategy, and holds the README's embedding
//! snippet to what it claims.

use std::process::Command;

fn embed_check(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_embed-check"))
        .args(args)
        .output()
        .expect("run embed-check");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_strategy_runs_the_three_programs() {
    // Each strategy runs once (the programs take seconds in a test
    // build); its output is checked for what every strategy prints, then
    // for what only it prints.
    for strategy in ["refcount", "generational", "marksweep", "null"] {
        let (ok, out, err) = embed_check(&[strategy]);
        assert!(ok, "{strategy}: {err}\n{out}");
        assert!(
            out.contains("long lived tree of depth 10\t check: 2047"),
            "{out}"
        );
        assert!(out.contains("lru: "), "{out}");
        match strategy {
            "generational" => assert!(
                out.contains("Node('A') deleted\nNode('B') deleted\ngc.collect() -> 2"),
                "{out}"
            ),
            "refcount" => {
                assert!(!out.contains("deleted"), "{out}");
                assert!(out.contains("4 objects leaked in a cycle"), "{out}");
            }
            _ => {}
        }
    }
    let (_, out, _) = embed_check(&["marksweep", "nursery=64KB"]);
    assert!(out.contains("Node('A') deleted"), "{out}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let (ok, _, err) = embed_check(&["copying"]);
    assert!(!ok);
    assert_eq!(
        err,
        "embed-check: bad configuration: unknown collector `copying`: expected one of null, refcount, generational, marksweep\n"
    );
    let (ok, _, err) = embed_check(&["marksweep", "nursery"]);
    assert!(!ok);
    assert_eq!(err, "embed-check: expected KEY=VALUE, got `nursery`\n");
}

#[test]
fn the_program_and_the_readme_snippet_release_nothing_by_hand() {
    for file in ["src/main.rs", "examples/readme.rs"] {
        let text =
            std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for call in [".release(", ".release_weak(", ".unroot("] {
            assert!(!text.contains(call), "{file} calls {call}");
        }
    }
}

#[test]
fn the_readme_shows_the_snippet_this_crate_runs() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{dir}/../../README.md")).unwrap();
    let snippet = std::fs::read_to_string(format!("{dir}/examples/readme.rs")).unwrap();
    assert!(
        readme.contains(&format!("```rust\n{snippet}```")),
        "README.md's embedding snippet differs from tests/embed/examples/readme.rs"
    );
    // The snippet itself asserts that it leaks nothing; run it.
    let status = Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "embed-check", "--example", "readme"])
        .current_dir(dir)
        .status()
        .expect("cargo run --example readme");
    assert!(status.success());
}
