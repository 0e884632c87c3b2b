//! The soak test (`gc-bench soak`): a long run of churn on one collector,
//! its resident set sampled, to show that memory stays flat once warmed up
//! (nothing grows with the run's length: no leak, no unbounded table, no
//! creeping fragmentation).
//!
//! The churn is [`MIX`]: rounds of small runs of eight workloads (cyclic
//! garbage, finalizers with resurrection, weak references with callbacks,
//! an LRU cache's old-to-young stores, trees, rings, a long-lived tree and
//! array, large arrays), each round with its own seed. Every workload drops
//! all its roots at its end, so the live set is bounded by the largest of
//! them and a collector that reclaims what dies keeps a flat resident set;
//! one that never frees (`null`), or leaks cycles (`refcount`), grows.
//!
//! One sample a round: the round's peak resident set (`VmHWM` from
//! `/proc/self/status`, reset at the start of every round), so that every
//! sample is taken at the same point of the same kind of work and a flat
//! series means flat memory, not a lucky phase; where the kernel refuses
//! the reset, the resident set at the end of the round (`VmRSS`). [`Band`]
//! is how far the samples after the warm-up strayed from the first of
//! them.

use std::time::Instant;

use gc_core::Collector;
use gc_core::tooling::mutator::Mutator;
use serde::{Deserialize, Serialize};

use crate::workloads;

/// The workloads of one round of churn, each at [`MIX_SCALE`] (about
/// 550,000 operations a round).
pub const MIX: [&str; 8] = [
    "cycle_churn",
    "finalizers",
    "weak_cache",
    "lru_cache",
    "binary_trees",
    "gc_collect",
    "gcbench",
    "large_arrays",
];

/// The scale of each workload of a round.
pub const MIX_SCALE: f64 = 0.05;

/// What a soak run does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Operations to run, at least: whole rounds run until there are this
    /// many.
    pub ops: u64,
    /// A run whose resident set passes this many bytes stops there (a
    /// collector that never frees would otherwise take the machine).
    pub max_rss: u64,
}

/// What each sample measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// The peak resident set of the round (`VmHWM`, reset at the start of
    /// every round through `/proc/self/clear_refs`).
    RoundPeak,
    /// The resident set at the end of the round (`VmRSS`), where the
    /// kernel does not let the peak be reset.
    RoundEnd,
}

impl Measure {
    /// How the reports name it.
    pub fn describe(self) -> &'static str {
        match self {
            Measure::RoundPeak => "peak RSS of each round",
            Measure::RoundEnd => "RSS at the end of each round",
        }
    }
}

/// One sample: operations run so far and the resident set, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Operations executed when it was taken (the end of a round).
    pub ops: u64,
    /// The resident set, bytes ([`SoakRun::measure`] says which).
    pub rss: u64,
}

/// The outcome of one soak run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoakRun {
    /// The collector's name.
    pub collector: String,
    /// Operations executed.
    pub ops: u64,
    /// Wall time of the run, nanoseconds.
    pub wall_ns: u64,
    /// What the samples measure.
    pub measure: Measure,
    /// One sample per round, in order.
    pub samples: Vec<Sample>,
    /// Why the run stopped before its operations were done (the resident
    /// set passed the limit).
    pub stopped: Option<String>,
}

/// How far the resident set strayed after the warm-up, relative to its
/// first sample after it (the reference).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// The first sample after the warm-up, bytes.
    pub reference: u64,
    /// The smallest sample after it, bytes.
    pub min: u64,
    /// The largest, bytes.
    pub max: u64,
    /// How many samples after the warm-up there were.
    pub samples: usize,
}

impl Band {
    /// `min / reference − 1` (≤ 0).
    pub fn low(&self) -> f64 {
        self.min as f64 / self.reference as f64 - 1.0
    }

    /// `max / reference − 1` (≥ 0).
    pub fn high(&self) -> f64 {
        self.max as f64 / self.reference as f64 - 1.0
    }

    /// Every sample within `± tolerance` (a fraction) of the reference.
    pub fn within(&self, tolerance: f64) -> bool {
        self.low() >= -tolerance && self.high() <= tolerance
    }
}

impl SoakRun {
    /// The band of the samples taken after `warmup_ops` operations; `None`
    /// when there are fewer than two such samples.
    pub fn band(&self, warmup_ops: u64) -> Option<Band> {
        let after: Vec<u64> = self
            .samples
            .iter()
            .filter(|s| s.ops > warmup_ops)
            .map(|s| s.rss)
            .collect();
        let (&reference, _) = after.split_first()?;
        if after.len() < 2 || reference == 0 {
            return None;
        }
        Some(Band {
            reference,
            min: *after.iter().min()?,
            max: *after.iter().max()?,
            samples: after.len(),
        })
    }
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The process's resident set now (`VmRSS`), in bytes.
pub fn current_rss() -> Option<u64> {
    status_kb("VmRSS:")
}

/// Resets the peak resident set (`VmHWM`) to the current one; false when
/// the kernel refuses (Linux ≥ 4.0 allows it).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs the churn on a new collector of type `C` in this process (whose
/// resident set is the run's own only if nothing else ran in it), one
/// sample at the end of every round. `Err` is a collector or trace error,
/// or an unreadable resident set.
pub fn soak<C: Collector>(config: C::Config, options: Options) -> Result<SoakRun, String> {
    let mut m = Mutator::new(C::with_config(config).map_err(|e| e.to_string())?);
    // Nothing reads the events: recording them would only fill a vector.
    m.collector.record_events(false);
    let measure = if reset_peak() {
        Measure::RoundPeak
    } else {
        Measure::RoundEnd
    };
    let read = || {
        match measure {
            Measure::RoundPeak => status_kb("VmHWM:"),
            Measure::RoundEnd => current_rss(),
        }
        .ok_or("cannot read the resident set from /proc/self/status")
    };
    let mut samples = vec![Sample {
        ops: 0,
        rss: read()?,
    }];
    let mut ops = 0u64;
    let mut stopped = None;
    let start = Instant::now();
    let mut round = 0u64;
    while ops < options.ops {
        if measure == Measure::RoundPeak && !reset_peak() {
            return Err("cannot reset the peak resident set any more".into());
        }
        let mut failure = None;
        for name in MIX {
            let w = workloads::find(name)?;
            w.emit(MIX_SCALE, round, &mut |op| {
                if failure.is_some() {
                    return;
                }
                match m.execute(&op) {
                    Ok(()) => ops += 1,
                    Err(e) => failure = Some(format!("{name}, round {round}: {op}: {e}")),
                }
            });
            if let Some(e) = failure {
                return Err(e);
            }
        }
        let rss = read()?;
        samples.push(Sample { ops, rss });
        round += 1;
        if rss > options.max_rss {
            stopped = Some(format!(
                "resident set {} MiB passed the limit of {} MiB",
                rss >> 20,
                options.max_rss >> 20
            ));
            break;
        }
    }
    Ok(SoakRun {
        collector: C::TRAITS.name.to_owned(),
        ops,
        wall_ns: start.elapsed().as_nanos() as u64,
        measure,
        samples,
        stopped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gc_generational::Generational;

    fn run(rss: &[u64]) -> SoakRun {
        SoakRun {
            collector: "x".into(),
            ops: 10 * rss.len() as u64,
            wall_ns: 1,
            samples: rss
                .iter()
                .enumerate()
                .map(|(i, &rss)| Sample {
                    ops: 10 * i as u64,
                    rss,
                })
                .collect(),
            measure: Measure::RoundPeak,
            stopped: None,
        }
    }

    #[test]
    fn the_band_starts_after_the_warmup() {
        let r = run(&[10, 50, 100, 104, 97, 103]);
        // The sample at 20 operations ends the warm-up's last round.
        let b = r.band(10).unwrap();
        assert_eq!((b.reference, b.min, b.max, b.samples), (100, 97, 104, 4));
        assert!(b.within(0.05));
        assert!(!b.within(0.03));
        assert!((b.low() + 0.03).abs() < 1e-9 && (b.high() - 0.04).abs() < 1e-9);
        assert!(!r.band(0).unwrap().within(0.05));
        assert_eq!(r.band(40), None, "one sample is no band");
    }

    #[test]
    fn growth_leaves_the_band() {
        let b = run(&[100, 102, 104, 106, 108]).band(0).unwrap();
        assert!(!b.within(0.05));
    }

    #[test]
    fn a_short_soak_runs_whole_rounds_of_the_mix() {
        let options = Options {
            ops: 600_000,
            max_rss: u64::MAX,
        };
        let r = soak::<Generational>(Default::default(), options).unwrap();
        assert_eq!(r.stopped, None);
        // Two rounds: the first ends short of 600,000 operations.
        assert_eq!(r.samples.len(), 3);
        assert!(r.samples[1].ops < 600_000 && r.samples[2].ops >= 600_000);
        assert_eq!(r.samples[2].ops, r.ops);
        assert!(r.samples.iter().all(|s| s.rss > 0));
        // Every workload of the mix ran in a round: ops of round 0 alone.
        let one_round: usize = MIX
            .iter()
            .map(|n| workloads::find(n).unwrap().ops(MIX_SCALE, 0).len())
            .sum();
        assert_eq!(r.samples[1].ops, one_round as u64);
    }

    #[test]
    fn a_run_stops_at_the_resident_set_limit() {
        let options = Options {
            ops: 10_000_000,
            max_rss: 1,
        };
        let r = soak::<Generational>(Default::default(), options).unwrap();
        assert_eq!(r.samples.len(), 2, "stopped after one round");
        assert!(r.stopped.unwrap().contains("passed the limit"));
    }
}
