//! The modules stay layered: no two files of `src/` import each other,
//! directly or in a circle (the order is in `lib.rs`).

#[test]
fn no_two_modules_import_each_other() {
    gc_core::tooling::layers::assert_no_cycle(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
}
