//! `src/cpython_names.rs` (the names CPython 3.11 has, for `Did you mean`
//! and for telling a name gc-py lacks from a wrong one) against CPython
//! itself, when it is installed.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Each list the script prints, as `NAME name name …` on a line.
const SCRIPT: &str = r#"
import builtins, gc, sys, weakref
lists = {
    "BUILTINS": list(builtins.__dict__),
    "MODULE_GLOBALS": list(globals())[:9],
    "OBJECT": dir(object()),
}
class C: pass
lists["CLASS_EXTRA"] = [n for n in dir(C) if n not in dir(object())]
for name, v in [("LIST", []), ("DICT", {}), ("STR", ""), ("INT", 0), ("BOOL", True),
                ("TUPLE", ()), ("NONE", None), ("RANGE", range(1))]:
    lists[name] = dir(v)
def f(): pass
class A:
    def m(self): pass
for name, v in [("FUNCTION", f), ("METHOD", A().m), ("BUILTIN_FUNCTION", len)]:
    lists[name] = dir(v)
for name, m in [("GC", gc), ("SYS", sys), ("WEAKREF", weakref)]:
    lists[name + "_MODULE"] = dir(m)
for name, names in lists.items():
    print(name, *names)
"#;

/// The string literals of `pub const NAME: &[&str] = &[…];` in `source`.
fn rust_list(source: &str, name: &str) -> Vec<String> {
    let start = source
        .find(&format!("pub const {name}: &[&str] = &["))
        .unwrap_or_else(|| panic!("no list {name}"));
    let body = &source[start..];
    let body = &body[body.find("= &[").expect("a list") + 4..body.find("];").expect("its end")];
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_names_are_cpythons() {
    let python = match find_cpython_311() {
        Ok(p) => p,
        Err(why) => {
            skip("the_names_are_cpythons", &why);
            return;
        }
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let script = dir.path().join("names.py");
    std::fs::write(&script, SCRIPT).expect("write the script");
    let out = Command::new(&python)
        .arg(&script)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cpython_names.rs"))
            .expect("src/cpython_names.rs");
    let mut checked = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut words = line.split(' ');
        let name = words.next().expect("a name");
        let theirs: Vec<String> = words.map(str::to_owned).collect();
        assert_eq!(rust_list(&source, name), theirs, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 18);
}
