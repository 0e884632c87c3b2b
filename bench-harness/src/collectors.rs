//! Choosing a collector by name, once, at the edge.
//!
//! Everything that runs a collector is generic over `C: Collector` and so
//! monomorphised per strategy; [`dispatch`] is the one place that turns a
//! name into a type.

use gc_core::{Collector, Config, NoConfig, NullCollector, Traits};
use gc_generational::{Generational, GenerationalConfig};
use gc_marksweep::{IncMiniMark, MarkSweepConfig};
use gc_refcount::RefCount;

/// The collectors `gc-bench` knows, by their command-line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CollectorName {
    /// Allocates, never frees: the baseline.
    Null,
    /// Pure reference counting.
    Refcount,
    /// Reference counting plus CPython's generational cycle collector.
    Generational,
    /// PyPy's incminimark: nursery, minor collections, incremental major.
    Marksweep,
}

impl CollectorName {
    /// Every collector, in report order (the baseline first).
    pub const ALL: [CollectorName; 4] = [
        CollectorName::Null,
        CollectorName::Refcount,
        CollectorName::Generational,
        CollectorName::Marksweep,
    ];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectorName::Null => "null",
            CollectorName::Refcount => "refcount",
            CollectorName::Generational => "generational",
            CollectorName::Marksweep => "marksweep",
        }
    }

    /// What the strategy is, or `None` while it is not implemented.
    pub fn traits(self) -> Option<(Traits, &'static [(&'static str, &'static str)])> {
        struct GetTraits;
        impl WithCollector for GetTraits {
            type Output = (Traits, &'static [(&'static str, &'static str)]);
            fn run<C: Collector>(self, _config: C::Config) -> Self::Output {
                (C::TRAITS, <C::Config as Config>::KEYS)
            }
        }
        dispatch(self, &[], GetTraits).ok()
    }

    /// Implemented collectors.
    pub fn available() -> impl Iterator<Item = CollectorName> {
        Self::ALL.into_iter().filter(|c| c.traits().is_some())
    }
}

/// Work to do with a collector type chosen at run time.
pub trait WithCollector {
    /// What the work produces.
    type Output;
    /// Runs the work with collector type `C` and its parsed configuration.
    fn run<C: Collector>(self, config: C::Config) -> Self::Output;
}

fn configured<C: Collector>(pairs: &[(String, String)]) -> Result<C::Config, String> {
    let mut config = C::Config::default();
    for (key, value) in pairs {
        config
            .set(key, value)
            .map_err(|e| format!("collector `{}`: {e}", C::TRAITS.name))?;
    }
    Ok(config)
}

/// Runs `work` with the collector named `name`, configured from `pairs`.
pub fn dispatch<W: WithCollector>(
    name: CollectorName,
    pairs: &[(String, String)],
    work: W,
) -> Result<W::Output, String> {
    match name {
        CollectorName::Null => Ok(work.run::<NullCollector>(configured::<NullCollector>(pairs)?)),
        CollectorName::Refcount => Ok(work.run::<RefCount>(configured::<RefCount>(pairs)?)),
        CollectorName::Marksweep => Ok(work.run::<IncMiniMark>(configured::<IncMiniMark>(pairs)?)),
        CollectorName::Generational => {
            Ok(work.run::<Generational>(configured::<Generational>(pairs)?))
        }
    }
}

/// A configuration's every key with its value in use, resolved (sizes in
/// bytes, "0 = derived" settings as the numbers they stand for).
pub trait Describe {
    /// `(key, value)` for every key.
    fn describe(&self) -> Vec<(String, String)>;
}

impl Describe for NoConfig {
    fn describe(&self) -> Vec<(String, String)> {
        Vec::new()
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

/// Parses `KEY=VALUE`.
pub fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Work to do once per implemented collector (benches, sweeps).
pub trait WithEachCollector {
    /// Runs the work with collector type `C` and its default configuration.
    fn run<C: Collector>(&mut self, config: C::Config);
}

/// Runs `work` with every implemented collector, in report order (the
/// baseline first). A collector added to [`dispatch`] is picked up here,
/// and so by the criterion benches, with no other change.
pub fn for_each_collector(work: &mut impl WithEachCollector) {
    struct Once<'a, W>(&'a mut W);
    impl<W: WithEachCollector> WithCollector for Once<'_, W> {
        type Output = ();
        fn run<C: Collector>(self, config: C::Config) {
            self.0.run::<C>(config);
        }
    }
    for name in CollectorName::available() {
        let _ = dispatch(name, &[], Once(work));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_settings_list_every_key_resolved() {
        let ms = effective_settings(CollectorName::Marksweep, &[]).unwrap();
        let keys: Vec<&str> = ms.iter().map(|(k, _)| k.as_str()).collect();
        for (k, _) in MarkSweepConfig::KEYS.iter().filter(|(k, _)| *k != "preset") {
            assert!(keys.contains(k), "{k} missing from {keys:?}");
        }
        assert!(ms.contains(&("nursery".into(), (4u64 << 20).to_string())));
        let pairs = [("nursery".to_owned(), "1MB".to_owned())];
        let ms = effective_settings(CollectorName::Marksweep, &pairs).unwrap();
        assert!(ms.contains(&("min_heap".into(), (8u64 << 20).to_string())));
        let g = effective_settings(CollectorName::Generational, &[]).unwrap();
        assert_eq!(g[0], ("threshold0".into(), "700".into()));
        assert_eq!(g.len(), GenerationalConfig::KEYS.len());
        assert!(
            effective_settings(CollectorName::Null, &[])
                .unwrap()
                .is_empty()
        );
    }
}
