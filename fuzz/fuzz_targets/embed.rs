//! Arbitrary bytes → embedding-API operations (scopes, locals, roots, weak
//! roots, finalizers), run on every strategy beside a model (see
//! `gc_fuzz::check_embed`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gc_fuzz::check_embed(data));
