//! Raw text → the gctrace parser and a replay on every strategy: a clean
//! result or a `line N:` error, never a panic (see `gc_fuzz::check_text`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gc_fuzz::check_text(data));
