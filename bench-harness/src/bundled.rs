//! The scenario traces of the repository's `traces/` folder, built into the
//! binary so that `gc-bench run` works from anywhere.

/// `(file name, text)` of every bundled trace.
pub const TRACES: &[(&str, &str)] = &[
    (
        "seed_cycle.gctrace",
        include_str!("../../traces/seed_cycle.gctrace"),
    ),
    (
        "self_cycle.gctrace",
        include_str!("../../traces/self_cycle.gctrace"),
    ),
    (
        "tuple_in_cycle.gctrace",
        include_str!("../../traces/tuple_in_cycle.gctrace"),
    ),
    (
        "chain_dropped.gctrace",
        include_str!("../../traces/chain_dropped.gctrace"),
    ),
    (
        "resurrection.gctrace",
        include_str!("../../traces/resurrection.gctrace"),
    ),
    (
        "weak_callback.gctrace",
        include_str!("../../traces/weak_callback.gctrace"),
    ),
    (
        "saveall.gctrace",
        include_str!("../../traces/saveall.gctrace"),
    ),
    (
        "finalizer_chain.gctrace",
        include_str!("../../traces/finalizer_chain.gctrace"),
    ),
];
