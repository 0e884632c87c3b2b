//! Choosing a collector by name, once, at the edge — with `gc-any`'s
//! mechanism, the one an embedder uses.
//!
//! Everything that runs a collector is generic over `C: Collector` and so
//! monomorphised per strategy; [`dispatch`] is the one place that turns a
//! name into a type.

pub use gc_any::{Strategy as CollectorName, WithCollector, WithEachCollector, for_each_collector};
use gc_core::{Collector, NullCollector, NullConfig};
use gc_generational::{Generational, GenerationalConfig};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};
use gc_refcount::{RefCount, RefCountConfig};

/// `gc_any::configured` with its error as one line.
fn configured<C: Collector>(pairs: &[(String, String)]) -> Result<C::Config, String> {
    gc_any::configured::<C>(pairs).map_err(|e| match e {
        gc_core::GcError::Config(message) => message,
        other => other.to_string(),
    })
}

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

/// A configuration's every key with its value in use, resolved (sizes in
/// bytes, "0 = derived" settings as the numbers they stand for).
pub trait Describe {
    /// `(key, value)` for every key.
    fn describe(&self) -> Vec<(String, String)>;
}

impl Describe for NullConfig {
    fn describe(&self) -> Vec<(String, String)> {
        vec![("max_heap".into(), self.max_heap.to_string())]
    }
}

impl Describe for RefCountConfig {
    fn describe(&self) -> Vec<(String, String)> {
        vec![("max_heap".into(), self.max_heap.to_string())]
    }
}

impl Describe for GenerationalConfig {
    fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("threshold0".into(), self.threshold0.to_string()),
            ("threshold1".into(), self.threshold1.to_string()),
            ("threshold2".into(), self.threshold2.to_string()),
            ("enabled".into(), self.enabled.to_string()),
            ("debug".into(), self.debug.to_string()),
            (
                "untrack_new_tuples".into(),
                self.untrack_new_tuples.to_string(),
            ),
            ("max_heap".into(), self.max_heap.to_string()),
        ]
    }
}

impl Describe for MarkSweepConfig {
    fn describe(&self) -> Vec<(String, String)> {
        self.resolved()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }
}

/// The effective settings of collector `name` configured from `pairs`:
/// every key of its configuration, resolved ([`Describe`]).
pub fn effective_settings(
    name: CollectorName,
    pairs: &[(String, String)],
) -> Result<Vec<(String, String)>, String> {
    Ok(match name {
        CollectorName::Null => configured::<NullCollector>(pairs)?.describe(),
        CollectorName::Refcount => configured::<RefCount>(pairs)?.describe(),
        CollectorName::Generational => configured::<Generational>(pairs)?.describe(),
        CollectorName::Marksweep => configured::<IncMiniMark>(pairs)?.describe(),
    })
}

/// Checks `--config` for collector `name`, given every pair (a key it
/// does not take is an error), before anything runs.
pub fn check_config(name: CollectorName, pairs: &[(String, String)]) -> Result<(), String> {
    struct Check;
    impl WithCollector for Check {
        type Output = ();
        fn run<C: Collector>(self, _config: C::Config) {}
    }
    dispatch(name, pairs, Check)
}

/// Checks that every key of `pairs` is taken by one of `collectors` (a
/// command that gives each collector only the keys it takes).
pub fn check_keys(collectors: &[CollectorName], pairs: &[(String, String)]) -> Result<(), String> {
    match pairs
        .iter()
        .find(|(key, _)| !collectors.iter().any(|c| c.takes(key)))
    {
        Some((key, _)) => Err(format!(
            "no collector in this run takes the setting `{key}` (gc-bench list shows each collector's keys)"
        )),
        None => Ok(()),
    }
}

/// Parses `KEY=VALUE`.
pub fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use gc_core::Config;

    #[test]
    fn effective_settings_list_every_key_resolved() {
        let ms = effective_settings(CollectorName::Marksweep, &[]).unwrap();
        let keys: Vec<&str> = ms.iter().map(|(k, _)| k.as_str()).collect();
        for (k, _) in MarkSweepConfig::KEYS.iter().filter(|(k, _)| *k != "preset") {
            assert!(keys.contains(k), "{k} missing from {keys:?}");
        }
        assert!(ms.contains(&("nursery".into(), (512u64 << 10).to_string())));
        let pairs = [("nursery".to_owned(), "1MB".to_owned())];
        let ms = effective_settings(CollectorName::Marksweep, &pairs).unwrap();
        assert!(ms.contains(&("min_heap".into(), (8u64 << 20).to_string())));
        let g = effective_settings(CollectorName::Generational, &[]).unwrap();
        assert_eq!(g[0], ("threshold0".into(), "700".into()));
        assert_eq!(g.len(), GenerationalConfig::KEYS.len());
        // Every collector takes the heap limit, unlimited by default.
        for c in CollectorName::ALL {
            let settings = effective_settings(c, &[]).unwrap();
            assert!(settings.contains(&("max_heap".into(), "0".into())), "{c}");
        }
    }
}
