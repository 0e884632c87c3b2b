//! Packaging: every library crate of the workspace's default members (the
//! crates a user builds; `peers` and `tests/embed` are benches and checks)
//! carries the metadata the embedding-API issue asks of them (a
//! description, the inherited repository, a readme, keywords and
//! categories), so that `cargo package --list -p CRATE` lists it without
//! warnings.

use std::path::Path;

#[test]
fn every_library_crate_carries_its_package_metadata() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).expect("root manifest");
    let members_line = workspace
        .lines()
        .find(|l| l.trim_start().starts_with("default-members"))
        .expect("a default-members line");
    let members: Vec<&str> = members_line.split('"').skip(1).step_by(2).collect();
    assert!(members.contains(&"gc-py"), "{members:?}");
    let mut libraries = 0;
    for member in members {
        let dir = root.join(member);
        if !dir.join("src/lib.rs").exists() {
            continue;
        }
        libraries += 1;
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
        let package = manifest
            .split("\n[")
            .next()
            .expect("a [package] table first");
        for key in [
            "description",
            "repository.workspace = true",
            "readme",
            "keywords",
            "categories",
            "license.workspace = true",
        ] {
            assert!(
                package.lines().any(|l| l.trim_start().starts_with(key)),
                "{member}/Cargo.toml has no `{key}` in [package]"
            );
        }
    }
    assert!(libraries >= 8, "only {libraries} library crates found");
}
