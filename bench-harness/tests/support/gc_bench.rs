//! Running the `gc-bench` binary from an integration test.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `gc-bench ARGS` from the repository root, feeding `stdin` if given.
pub fn gc_bench(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gc-bench"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gc-bench runs");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        // gc-bench may refuse its arguments and exit before reading.
        if let Err(e) = pipe.write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
