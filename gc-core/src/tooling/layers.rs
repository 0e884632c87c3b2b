//! Which modules of a crate import which, for a test that keeps them
//! layered: no two files may import each other, directly or in a circle.
//!
//! ```no_run
//! // tests/layers.rs of a crate:
//! gc_core::tooling::layers::assert_no_cycle(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
//! ```
//!
//! Each crate root under `src` — `lib.rs`, `main.rs`, every `bin/*.rs` —
//! is a graph of its own: its files are those it reaches through `mod
//! name;` declarations (`name.rs` or `name/mod.rs` beside a root or a
//! `mod.rs`, under `a/` for a file `a.rs`), so a binary's modules are not
//! mixed with the library's. A file is a node (the root is `crate`,
//! `a.rs` and `a/mod.rs` are `crate::a`, `a/b.rs` is `crate::a::b`; a
//! module written inline belongs to its file). An edge goes from a file to
//! the file of the module a path names: `use` trees and paths in code that
//! start with `crate::`, `super::`, `self::` or the name of a child
//! module, resolved to the deepest module they reach. Comments, string
//! and character literals and `$crate` are skipped. `mod` declarations
//! are not imports; `#[path]` attributes are not followed.
//!
//! This reads the source text, not the compiler's name resolution: a glob
//! or a re-export counts as an import of the module that holds it, which
//! is what a reader follows too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The import graph of one crate's files.
#[derive(Debug, Clone, Default)]
pub struct ImportGraph {
    /// Module path of each file (`crate`, `crate::a`, …).
    modules: Vec<String>,
    /// `edges[i]`: the files file `i` imports from.
    edges: Vec<BTreeSet<usize>>,
}

impl ImportGraph {
    /// The graph of each crate root under `src` (a crate's source
    /// directory), named by its root file (`lib.rs`, `main.rs`,
    /// `bin/NAME.rs`).
    pub fn crates_in_dir(src: impl AsRef<Path>) -> std::io::Result<Vec<(String, ImportGraph)>> {
        let src = src.as_ref();
        let mut files = Vec::new();
        collect_files(src, src, &mut files)?;
        let files: BTreeMap<&str, &str> = files
            .iter()
            .map(|(p, s)| (p.as_str(), s.as_str()))
            .collect();
        Ok(files
            .keys()
            .filter(|p| is_crate_root(p))
            .map(|root| (root.to_string(), ImportGraph::of_crate(&files, root)))
            .collect())
    }

    /// The graph of the crate whose root is `lib.rs` (or `main.rs` when
    /// there is no `lib.rs`) among `(path relative to src, source text)`
    /// pairs, paths with `/` separators (`lib.rs`, `a/mod.rs`, `a/b.rs`).
    pub fn from_sources<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> ImportGraph {
        let files: BTreeMap<&str, &str> = files.into_iter().collect();
        let root = if files.contains_key("lib.rs") {
            "lib.rs"
        } else {
            "main.rs"
        };
        ImportGraph::of_crate(&files, root)
    }

    /// The graph of the files `root` reaches through `mod` declarations.
    fn of_crate(files: &BTreeMap<&str, &str>, root: &str) -> ImportGraph {
        let members = crate_files(files, root);
        let index: BTreeMap<Vec<String>, usize> = members
            .iter()
            .enumerate()
            .map(|(i, (m, _))| (m.clone(), i))
            .collect();
        let mut graph = ImportGraph {
            modules: members.iter().map(|(m, _)| m.join("::")).collect(),
            edges: vec![BTreeSet::new(); members.len()],
        };
        for (i, (module, text)) in members.iter().enumerate() {
            for (scope, path) in paths_in(&strip(text), module) {
                match resolve(&index, &scope, &path) {
                    Some(j) if j != i => {
                        graph.edges[i].insert(j);
                    }
                    _ => {}
                }
            }
        }
        graph
    }

    /// The modules, one per file.
    pub fn modules(&self) -> &[String] {
        &self.modules
    }

    /// The modules that `module` imports from.
    pub fn imports_of(&self, module: &str) -> Vec<&str> {
        let Some(i) = self.modules.iter().position(|m| m == module) else {
            return Vec::new();
        };
        self.edges[i]
            .iter()
            .map(|&j| self.modules[j].as_str())
            .collect()
    }

    /// A circle of imports, if there is one: `[a, b, …, a]`.
    pub fn cycle(&self) -> Option<Vec<&str>> {
        // Depth-first search with an explicit stack; 1 = on the path, 2 = done.
        let mut state = vec![0u8; self.modules.len()];
        for start in 0..self.modules.len() {
            if state[start] != 0 {
                continue;
            }
            let mut path: Vec<(usize, Vec<usize>)> = vec![(start, self.edge_list(start))];
            state[start] = 1;
            while let Some((node, pending)) = path.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(next) if state[next] == 1 => {
                        let from = path.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut circle: Vec<&str> = path[from..]
                            .iter()
                            .map(|(n, _)| self.modules[*n].as_str())
                            .collect();
                        circle.push(&self.modules[next]);
                        return Some(circle);
                    }
                    Some(next) if state[next] == 0 => {
                        state[next] = 1;
                        path.push((next, self.edge_list(next)));
                    }
                    Some(_) => {}
                    None => {
                        state[node] = 2;
                        path.pop();
                    }
                }
            }
        }
        None
    }

    fn edge_list(&self, i: usize) -> Vec<usize> {
        self.edges[i].iter().rev().copied().collect()
    }
}

/// Panics, naming the circle, when the files of a crate under `src`
/// import each other in a circle (or when `src` cannot be read or holds
/// no crate root).
pub fn assert_no_cycle(src: impl AsRef<Path>) {
    let src = src.as_ref();
    let crates = ImportGraph::crates_in_dir(src)
        .unwrap_or_else(|e| panic!("cannot read the sources under {}: {e}", src.display()));
    assert!(!crates.is_empty(), "no crate root under {}", src.display());
    for (root, graph) in &crates {
        if let Some(circle) = graph.cycle() {
            panic!(
                "modules of {}/{root} import each other in a circle: {}",
                src.display(),
                circle.join(" -> ")
            );
        }
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((relative, std::fs::read_to_string(&path)?));
        }
    }
    Ok(())
}

fn is_crate_root(path: &str) -> bool {
    path == "lib.rs"
        || path == "main.rs"
        || path
            .strip_prefix("bin/")
            .is_some_and(|name| !name.contains('/'))
}

/// The module path and text of each file `root` reaches through `mod
/// name;` declarations, the root first, then in declaration order.
fn crate_files<'a>(files: &BTreeMap<&str, &'a str>, root: &str) -> Vec<(Vec<String>, &'a str)> {
    let mut out = Vec::new();
    let mut pending = vec![(root.to_string(), vec!["crate".to_string()])];
    while let Some((path, module)) = pending.pop() {
        let Some(&text) = files.get(path.as_str()) else {
            continue;
        };
        // A root or a `mod.rs` holds its children beside it; `a.rs` holds
        // them under `a/`.
        let dir = if path == root || path.ends_with("/mod.rs") {
            path.rsplit_once('/')
                .map_or(String::new(), |(d, _)| format!("{d}/"))
        } else {
            format!("{}/", path.trim_end_matches(".rs"))
        };
        let children = declared_modules(&strip(text));
        for name in children.into_iter().rev() {
            let flat = format!("{dir}{name}.rs");
            let child = if files.contains_key(flat.as_str()) {
                flat
            } else {
                format!("{dir}{name}/mod.rs")
            };
            let mut child_module = module.clone();
            child_module.push(name);
            pending.push((child, child_module));
        }
        out.push((module, text));
    }
    out
}

/// The names of the `mod name;` declarations (not inline modules) in a
/// stripped source.
fn declared_modules(text: &str) -> Vec<String> {
    let tokens = tokenize(text);
    tokens
        .windows(3)
        .filter(|w| w[0] == "mod" && is_ident(&w[1]) && w[2] == ";")
        .map(|w| w[1].clone())
        .collect()
}

/// The source with comments, string and character literals blanked out
/// (newlines kept).
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"') | Some('#'))
            && !b[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < b.len() {
                if b[j] == '"' && (1..=hashes).all(|h| b.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                if b[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && (next == Some('\\') || b.get(i + 2) == Some(&'\'')) {
            // A character literal (a lifetime has no closing quote).
            i += 1;
            while i < b.len() && b[i] != '\'' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            out.push_str("' '");
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Every path the text names, with the (inline) module it appears in.
fn paths_in(text: &str, file_module: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let tokens = tokenize(text);
    let mut out = Vec::new();
    // Inline modules: (name, brace depth at which it closes).
    let mut scope: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut children: BTreeSet<String> = BTreeSet::new();
    for w in tokens.windows(2) {
        if w[0] == "mod" && is_ident(&w[1]) {
            children.insert(w[1].clone());
        }
    }
    let current = |scope: &[(String, usize)]| {
        let mut m = file_module.to_vec();
        m.extend(scope.iter().map(|(n, _)| n.clone()));
        m
    };
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        match t {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if scope.last().is_some_and(|(_, d)| *d == depth) {
                    scope.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                scope.push((tokens[i + 1].clone(), depth));
                depth += 1;
                i += 3;
                continue;
            }
            "in" if i > 0 && tokens[i - 1] == "(" => {
                // `pub(in crate::a)`: a visibility, not an import.
                while i < tokens.len() && tokens[i] != ")" {
                    i += 1;
                }
            }
            "use" => {
                let end = tokens[i..]
                    .iter()
                    .position(|t| t == ";")
                    .map_or(tokens.len(), |k| i + k);
                let mut trees = Vec::new();
                expand_use(&tokens[i + 1..end], Vec::new(), &mut trees);
                for path in trees {
                    if starts_locally(&path, &children) {
                        out.push((current(&scope), path));
                    }
                }
                i = end + 1;
                continue;
            }
            _ if (t == "crate" || t == "super" || t == "self" || children.contains(t))
                && tokens.get(i + 1).is_some_and(|n| n == "::")
                && !(i > 0 && (tokens[i - 1] == "$" || tokens[i - 1] == "::")) =>
            {
                let mut path = vec![t.to_string()];
                let mut j = i + 1;
                while tokens.get(j).is_some_and(|n| n == "::")
                    && tokens.get(j + 1).is_some_and(|n| is_ident(n))
                {
                    path.push(tokens[j + 1].clone());
                    j += 2;
                }
                out.push((current(&scope), path));
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn starts_locally(path: &[String], children: &BTreeSet<String>) -> bool {
    path.first().is_some_and(|s| {
        s == "crate" || s == "super" || s == "self" || children.contains(s.as_str())
    })
}

/// Expands a use tree (`a::{b, c::{d, e}}`) into its paths.
fn expand_use(tokens: &[String], prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "::" => {}
            "{" => {
                // Split the group's top level at commas.
                let mut depth = 0;
                let mut start = i + 1;
                let mut k = i + 1;
                while k < tokens.len() {
                    match tokens[k].as_str() {
                        "{" => depth += 1,
                        "}" if depth == 0 => break,
                        "}" => depth -= 1,
                        "," if depth == 0 => {
                            expand_use(&tokens[start..k], path.clone(), out);
                            start = k + 1;
                        }
                        _ => {}
                    }
                    k += 1;
                }
                expand_use(&tokens[start..k.min(tokens.len())], path.clone(), out);
                return;
            }
            "as" => break,
            t if is_ident(t) => path.push(t.to_string()),
            _ => {}
        }
        i += 1;
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// Identifiers, `::`, and every other character on its own.
fn tokenize(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_string());
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The file holding the deepest module `path` names from `scope`.
fn resolve(
    index: &BTreeMap<Vec<String>, usize>,
    scope: &[String],
    path: &[String],
) -> Option<usize> {
    let mut module: Vec<String> = scope.to_vec();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            module = vec!["crate".to_string()];
            rest = &path[1..];
        }
        Some("self") => rest = &path[1..],
        _ => {}
    }
    while rest.first().is_some_and(|s| s == "super") {
        module.pop();
        rest = &rest[1..];
    }
    for segment in rest {
        module.push(segment.clone());
        if !index.contains_key(&module) && !is_inline_prefix(index, &module) {
            module.pop();
            break;
        }
    }
    // An inline module belongs to its file: the longest prefix that is one.
    while !module.is_empty() {
        if let Some(&i) = index.get(&module) {
            return Some(i);
        }
        module.pop();
    }
    None
}

fn is_inline_prefix(index: &BTreeMap<Vec<String>, usize>, module: &[String]) -> bool {
    index.keys().any(|k| k.starts_with(module))
}

#[cfg(test)]
mod tests {
    use super::ImportGraph;

    fn graph(files: &[(&str, &str)]) -> ImportGraph {
        ImportGraph::from_sources(files.iter().copied())
    }

    #[test]
    fn a_mutual_import_is_a_cycle() {
        let g = graph(&[
            ("lib.rs", "mod a;\nmod b;\npub use a::A;"),
            ("a.rs", "use crate::b::B;\npub struct A;"),
            ("b.rs", "pub struct B;\nfn f() { crate::a::A; }"),
        ]);
        assert_eq!(g.imports_of("crate"), ["crate::a"]);
        assert_eq!(g.imports_of("crate::a"), ["crate::b"]);
        assert_eq!(g.imports_of("crate::b"), ["crate::a"]);
        assert_eq!(
            g.cycle(),
            Some(vec!["crate::a", "crate::b", "crate::a"]),
            "{g:?}"
        );
    }

    #[test]
    fn a_circle_through_the_root_and_groups_is_found() {
        let g = graph(&[
            ("lib.rs", "mod a;\nmod b;\npub use b::{x::{Y, Z}, W};"),
            ("a.rs", "use crate::{Y as Q, b};"),
            ("b/mod.rs", "pub mod x;\nuse super::a;"),
            ("b/x.rs", ""),
        ]);
        assert_eq!(g.imports_of("crate"), ["crate::b", "crate::b::x"]);
        assert_eq!(g.imports_of("crate::a"), ["crate", "crate::b"]);
        assert!(g.cycle().is_some());
    }

    #[test]
    fn layers_have_no_cycle_and_comments_strings_and_tests_do_not_count() {
        let g = graph(&[
            ("lib.rs", "mod low;\nmod high;\npub use high::H;"),
            (
                "low.rs",
                "//! See [`crate::high`].\n/* crate::high::H */\n\
                 const S: &str = \"crate::high::H\";\nconst R: &str = r#\"crate::high\"#;\n\
                 const C: char = '\"'; fn f<'a>(x: &'a u8) {}\n\
                 #[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
            ),
            ("high.rs", "use crate::low;\npub(in crate::high) struct H;"),
            ("bin/tool.rs", "use crate::whatever;"),
        ]);
        assert_eq!(g.modules(), ["crate", "crate::low", "crate::high"]);
        assert_eq!(g.imports_of("crate::low"), Vec::<&str>::new());
        assert_eq!(g.imports_of("crate::high"), ["crate::low"]);
        assert_eq!(g.cycle(), None);
    }

    #[test]
    fn a_binary_and_its_library_are_separate_graphs() {
        let files = [
            ("lib.rs", "pub mod report;\npub mod run;"),
            ("report.rs", "use crate::run::Run;"),
            ("run.rs", "pub struct Run;"),
            ("main.rs", "mod cmd;\nuse crate::cmd::go;"),
            ("cmd/mod.rs", "pub mod run;\npub fn go() {}"),
            ("cmd/run.rs", "use super::go;\nuse crate::cmd;"),
            ("bin/extra.rs", "mod util;\nuse util::U;"),
            ("bin/util.rs", "pub struct U;"),
            ("stray.rs", "use crate::report;"),
        ];
        let lib = graph(&files);
        assert_eq!(lib.modules(), ["crate", "crate::report", "crate::run"]);
        assert_eq!(lib.imports_of("crate::report"), ["crate::run"]);
        let bin = ImportGraph::of_crate(&files.iter().copied().collect(), "main.rs");
        assert_eq!(bin.modules(), ["crate", "crate::cmd", "crate::cmd::run"]);
        assert_eq!(bin.imports_of("crate::cmd::run"), ["crate::cmd"]);
        assert_eq!(bin.imports_of("crate"), ["crate::cmd"]);
        let extra = ImportGraph::of_crate(&files.iter().copied().collect(), "bin/extra.rs");
        assert_eq!(extra.modules(), ["crate", "crate::util"]);
        assert_eq!(extra.imports_of("crate"), ["crate::util"]);
    }
}
