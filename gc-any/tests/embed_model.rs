//! The embedding API against a model, on every strategy: seeded random
//! sequences of scope operations (nested and child scopes, child scopes
//! making tuples, allocations,
//! slot writes and reads, roots, weak roots, finalizers, collections,
//! heaps swapped under live scopes), each checked by
//! `gc_core::tooling::embed_model` (the driver the `embed` fuzz target
//! runs too). Under Miri one short sequence per configuration
//! (`cargo +nightly miri test -p gc-any --test embed_model`: under two
//! minutes after the build; not in CI's Miri step).

use gc_any::{AnyCollector, Strategy};
use gc_core::tooling::embed_model::{Summary, run};
use gc_core::{Collector, NullCollector};
use gc_generational::{Generational, GenerationalConfig};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};
use gc_refcount::RefCount;

/// Sequences per configuration, and bytes per sequence.
const SEQUENCES: u64 = if cfg!(miri) { 1 } else { 300 };
const BYTES: usize = if cfg!(miri) { 250 } else { 900 };

/// `len` bytes from `seed` (splitmix64).
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Runs the sequences on `strategy` configured by `pairs`; what they did.
fn run_all(strategy: Strategy, pairs: &[(&str, &str)]) -> Summary {
    let mut total = Summary::default();
    // `EMBED_SEED=N`: that sequence only (to reproduce a failure).
    let seeds = match std::env::var("EMBED_SEED") {
        Ok(seed) => {
            let seed = seed.parse().expect("EMBED_SEED is a number");
            seed..seed + 1
        }
        Err(_) => 0..SEQUENCES,
    };
    for seed in seeds {
        let data = bytes(seed, BYTES);
        let mut heap = AnyCollector::new(strategy, pairs).unwrap();
        let summary = run(&mut heap, &data)
            .unwrap_or_else(|e| panic!("{strategy} {pairs:?}, seed {seed}: {e}"));
        total.add(&summary);
    }
    eprintln!("{strategy} {pairs:?}: {total:?}");
    total
}

/// The sequences reach every kind of operation and outcome (not the few
/// that Miri runs).
fn assert_reached(strategy: Strategy, s: &Summary) {
    if cfg!(miri) {
        return;
    }
    assert!(
        s.escapes > 0
            && s.child_errors > 0
            && s.child_tuples > 0
            && s.child_tuples_taken > 0
            && s.child_tuple_errors > 0
            && s.refused > 0
            && s.upgrades_live > 0
            && s.stale > 0
            && s.foreign > 0,
        "{strategy}: {s:?}"
    );
    assert!(s.max_depth >= 4, "{strategy}: {s:?}");
    // Heaps swapped under live scopes: refused operations, locals left
    // rooted, children answering locals that never resolve.
    assert!(
        s.swaps > 0 && s.refused_swapped > 0 && s.stuck > 0 && s.ghosts > 0 && s.slot_orders > 0,
        "{strategy}: {s:?}"
    );
    if strategy.traits().frees_objects {
        assert!(
            s.freed > 0 && s.finalized > 0 && s.resurrected > 0 && s.upgrades_dead > 0,
            "{strategy}: {s:?}"
        );
    } else {
        assert_eq!(
            (s.freed, s.finalized, s.upgrades_dead),
            (0, 0, 0),
            "{strategy}"
        );
    }
}

/// The same on a strategy's own type (no `AnyCollector` between): the
/// hook may then be the strategy's own (`on_finalize_with`, its records
/// lent), which `AnyCollector` refuses.
fn run_concrete<C: Collector + 'static>(config: C::Config) -> Summary {
    let mut total = Summary::default();
    for seed in 0..SEQUENCES.div_ceil(2) {
        let data = bytes(seed ^ 0x5eed, BYTES);
        let mut heap = C::with_config(config.clone()).unwrap();
        let summary = run(&mut heap, &data)
            .unwrap_or_else(|e| panic!("{} (its own type), seed {seed}: {e}", C::TRAITS.name));
        total.add(&summary);
    }
    eprintln!("{} (its own type): {total:?}", C::TRAITS.name);
    total
}

#[test]
fn own_types_match_the_model() {
    let s = run_concrete::<NullCollector>(Default::default());
    assert_reached(Strategy::Null, &s);
    let s = run_concrete::<RefCount>(Default::default());
    assert_reached(Strategy::Refcount, &s);
    assert!(
        cfg!(miri) || s.finalized_lent > 0 && s.nested > 0 && s.hook_swaps > 0,
        "{s:?}"
    );
    let s = run_concrete::<Generational>(Default::default());
    assert_reached(Strategy::Generational, &s);
    assert!(cfg!(miri) || s.finalized_lent > 0, "{s:?}");
    let s = run_concrete::<IncMiniMark>(Default::default());
    assert_reached(Strategy::Marksweep, &s);
    assert!(cfg!(miri) || s.finalized_lent > 0, "{s:?}");
}

/// Own types that collect inside allocations (a generation 0 every few
/// objects, a minor collection at each): the hook then runs in the middle
/// of making a local, and may swap heaps there.
#[test]
fn own_types_collecting_in_allocations_match_the_model() {
    let eager = GenerationalConfig {
        threshold0: 3,
        threshold1: 2,
        threshold2: 2,
        ..Default::default()
    };
    let s = run_concrete::<Generational>(eager);
    assert_reached(Strategy::Generational, &s);
    assert!(cfg!(miri) || s.hook_swaps > 0, "{s:?}");
    let s = run_concrete::<IncMiniMark>(MarkSweepConfig::zeal(96));
    assert_reached(Strategy::Marksweep, &s);
    assert!(cfg!(miri) || s.hook_swaps > 0, "{s:?}");
}

#[test]
fn null_matches_the_model() {
    let s = run_all(Strategy::Null, &[]);
    assert_reached(Strategy::Null, &s);
}

#[test]
fn refcount_matches_the_model() {
    let s = run_all(Strategy::Refcount, &[]);
    assert_reached(Strategy::Refcount, &s);
}

#[test]
fn generational_matches_the_model() {
    let s = run_all(Strategy::Generational, &[]);
    assert_reached(Strategy::Generational, &s);
    // Automatic collections between the operations too.
    let s = run_all(Strategy::Generational, &[("threshold0", "5")]);
    assert_reached(Strategy::Generational, &s);
    // CPython 3.14.1's tuple rule: tuples of untracked members untracked.
    let s = run_all(
        Strategy::Generational,
        &[("threshold0", "5"), ("untrack_new_tuples", "true")],
    );
    assert_reached(Strategy::Generational, &s);
}

#[test]
fn marksweep_matches_the_model() {
    let s = run_all(Strategy::Marksweep, &[]);
    assert_reached(Strategy::Marksweep, &s);
    // A small nursery and small steps: minor collections (which move
    // objects) and major steps between the operations, the heap checked.
    let small = [
        ("nursery", "512"),
        ("large_object", "40"),
        ("increment_step", "128"),
        ("min_heap", "1024"),
        ("debug", "true"),
    ];
    let s = run_all(Strategy::Marksweep, &small);
    assert_reached(Strategy::Marksweep, &s);
}

/// Inputs the `embed` fuzz target or the model once failed on
/// (`tests/embed_regressions/`, each named for what it taught), run on
/// every strategy: on `generational`, a finalizer due while the hook runs
/// waits behind a root, so what its object holds goes one full collection
/// later; `child_tuple_hook_swaps_in_settle`: the hook, run by the release
/// of a root a `Scope::child_tuple` body dropped last, swaps heaps before
/// the tuple is made (fixed in 27caea5: the tuple is refused, where it
/// took the other heap's top locals).
#[test]
fn the_fuzzers_past_failures_pass() {
    run_inputs(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/embed_regressions"
    ));
}

fn run_inputs(dir: &str) {
    let mut inputs: Vec<_> = std::fs::read_dir(dir)
        .expect("the regressions folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    for path in inputs {
        let data = std::fs::read(&path).expect("an input");
        for strategy in Strategy::ALL {
            let none: &[(&str, &str)] = &[];
            let mut heap = AnyCollector::new(strategy, none).unwrap();
            if let Err(e) = run(&mut heap, &data) {
                panic!("{} on {strategy}: {e}", path.display());
            }
        }
        let mut heap = Generational::new(&GenerationalConfig::default()).unwrap();
        if let Err(e) = run(&mut heap, &data) {
            panic!("{} on Generational: {e}", path.display());
        }
    }
}
