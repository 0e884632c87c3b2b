//! Seeds the fuzz corpora from gctrace files:
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus -- FILE...
//! ```
//!
//! writes `fuzz/corpus/trace_text/NAME.gctrace` (the text, cut after
//! [`MAX_LINES`] lines) and `fuzz/corpus/ops/NAME` (the operations as raw
//! choices, [`gc_fuzz::raw_for`], at most [`MAX_OPS`]), NAME being the
//! file's stem. The README's "Fuzzing" section says which files.

#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;

use gc_core::tooling::trace::Trace;

/// Lines kept of a text seed: short seeds keep the fuzzer fast, and the
/// first lines of a recorded workload already hold all its operation kinds.
const MAX_LINES: usize = 1000;
/// Operations kept of an `ops` seed.
const MAX_OPS: usize = 300;

fn seed(file: &Path, corpus: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let trace = Trace::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let name = file
        .file_stem()
        .ok_or_else(|| format!("{}: no file name", file.display()))?
        .to_string_lossy();
    let mut cut: String = text.lines().take(MAX_LINES).collect::<Vec<_>>().join("\n");
    cut.push('\n');
    let raw: Vec<_> = trace
        .lines
        .iter()
        .filter_map(|l| gc_fuzz::raw_for(&l.op))
        .take(MAX_OPS)
        .collect();
    let write = |path: std::path::PathBuf, bytes: &[u8]| {
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(
        corpus.join("trace_text").join(format!("{name}.gctrace")),
        cut.as_bytes(),
    )?;
    write(corpus.join("ops").join(&*name), &gc_fuzz::encode(&raw))
}

fn main() -> ExitCode {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for dir in ["trace_text", "ops"] {
        if let Err(e) = std::fs::create_dir_all(corpus.join(dir)) {
            eprintln!("cannot create {}: {e}", corpus.join(dir).display());
            return ExitCode::from(2);
        }
    }
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: seed_corpus FILE...");
        return ExitCode::from(2);
    }
    for f in &files {
        if let Err(e) = seed(Path::new(f), &corpus) {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    println!("seeded {} files into {}", files.len(), corpus.display());
    ExitCode::SUCCESS
}
