//! Choosing a collector by name, once, at the edge.
//!
//! Everything that runs a collector is generic over `C: Collector` and so
//! monomorphised per strategy; [`dispatch`] is the one place that turns a
//! name into a type.

use gc_core::{Collector, Config, NullCollector, Traits};
use gc_generational::Generational;
use gc_marksweep::IncMiniMark;
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
