//! Arbitrary bytes → a valid operation sequence, replayed on every
//! strategy beside the oracle (see `gc_fuzz::check_ops`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gc_fuzz::check_ops(data));
