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

/// Zeroes the fields that may differ between runs (times), keeping the
/// line otherwise byte for byte.
#[allow(dead_code)] // not every test file compares event lines
pub fn untimed(line: &str) -> String {
    let mut out = line.to_owned();
    for key in [
        "\"pause_ns\":",
        "\"gc_time_ns\":",
        "\"max_pause_ns\":",
        "\"wall_ns\":",
    ] {
        if let Some(at) = out.find(key) {
            let start = at + key.len();
            let end = start + out[start..].bytes().take_while(u8::is_ascii_digit).count();
            out.replace_range(start..end, "0");
        }
    }
    out
}
