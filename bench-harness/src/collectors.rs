//! Choosing a collector by name, once, at the edge — with `gc-any`'s
//! mechanism, the one an embedder uses.
//!
//! Everything that runs a collector is generic over `C: Collector` and so
//! monomorphised per strategy; [`dispatch`] is the one place that turns a
//! name into a type.

pub use gc_any::{Strategy as CollectorName, WithCollector, WithEachCollector, for_each_collector};

/// Runs `work` with the collector named `name`, configured from `pairs`
/// (the error as the one line `gc-bench` prints).
pub fn dispatch<W: WithCollector>(
    name: CollectorName,
    pairs: &[(String, String)],
    work: W,
) -> Result<W::Output, String> {
    gc_any::dispatch(name, pairs, work).map_err(|e| match e {
        gc_core::GcError::Config(message) => message,
        other => other.to_string(),
    })
}

/// Parses `KEY=VALUE`.
pub fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}
