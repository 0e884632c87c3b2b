//! The typed configuration, its `KEY=VALUE` form and PyPy's `PYPY_GC_*`
//! environment variables (with PyPy's units and meanings).

use std::sync::OnceLock;

use gc_core::config::{self, Accepts, Key, MAX_HEAP};
use gc_core::{Config, GcError};

/// PyPy's nursery when the cache size is unknown or small (`env.py`,
/// `NURSERY_SIZE_UNKNOWN_CACHE`, in its recent sources; older ones had
/// 1 MiB). The nursery of [`MarkSweepConfig::pypy`] on such machines.
pub const NURSERY_SIZE_UNKNOWN_CACHE: usize = 4 * 1024 * 1024;
/// The portable default nursery: 512 KiB on every machine (why: see
/// [`MarkSweepConfig`]).
pub const PORTABLE_NURSERY: usize = 512 * 1024;
/// PyPy's `nonlarge_max + 1`: objects of this many bytes or more are born
/// in the large-object space ((16384 + 512) words).
pub const LARGE_OBJECT: usize = (16384 + 512) * 8;

/// The configuration of [`IncMiniMark`](crate::IncMiniMark).
///
/// Byte sizes take PyPy's units when set from strings: `4MB`, `4M`, `4m`,
/// `512KB`, `1.5M`, `1GB`, `4096B`, binary multiples (see
/// [`parse_bytes`]).
///
/// # Two sets of defaults: portable and PyPy's
///
/// [`Default`] is **portable**: the same numbers on every machine and in
/// every environment, so that a result measured here means the same thing
/// on another machine. Its nursery is fixed at 512 KiB
/// ([`PORTABLE_NURSERY`]):
///
/// - it is PyPy's own heuristic, "about half of the L2 cache"
///   (`best_nursery_size_for_L2cache` in `env.py`), applied to the 1 MiB
///   of L2 per core common on current x86 and Arm server cores, instead of
///   to whatever cache a machine reports (PyPy reads `/proc/cpuinfo`'s
///   `cache size`, which on this project's VMs is a 260–480 MiB L3);
/// - it keeps minor pauses short: with it every workload of `gc-bench
///   run`'s default matrix has a minor-pause p99 of at most 0.74 ms
///   (median of five runs; the largest single run 1.12 ms, `large_arrays`)
///   on this project's 2-core VMs, where at 1 MiB `large_arrays` and
///   `random_graph` reach 0.9–1.2 ms and at 4 MiB (the default before)
///   `large_arrays`' minors took 2.5–3 ms: a minor collection copies what
///   survives, and on `large_arrays` nearly everything the nursery holds
///   survives (it is stored in long-lived arrays).
///
/// The price is more minor collections (each pays for rescanning roots
/// and dirty cards) and, through the pacing below, earlier and smaller
/// major collections. `max_delta` is fixed at 1 GiB
/// ([`PORTABLE_MAX_DELTA`]: an eighth of 8 GiB, the RAM this crate assumes
/// when it cannot read it) instead of an eighth of this machine's RAM.
/// `Default` reads no `PYPY_GC_*` variable.
///
/// [`MarkSweepConfig::pypy`] is **PyPy's rules**, as PyPy applies them at
/// start-up: the nursery from the last-level cache the machine reports
/// (half of it when that is over 8 MiB, else 4 MiB:
/// [`nursery_for_cache`]), `max_delta` an eighth of the RAM, then the
/// `PYPY_GC_*` environment variables. From strings: `preset=pypy` (all of
/// that) or `nursery=auto` (only the cache rule for the nursery), e.g.
/// `gc-bench run --config nursery=auto`.
///
/// # The nursery sets the scale of everything
///
/// The pacing is in nurseries too: by default a major step marks at least
/// `4 × nursery` bytes ([`MarkSweepConfig::increment_step`]) and no major
/// collection starts below `8 × nursery` of old generation
/// ([`MarkSweepConfig::min_heap`]). Some virtual machines report a huge
/// cache: this project's CI machines report 480 MiB, so PyPy's rule gives
/// a 240 MiB nursery there (what pypy3 itself picks), a step marks
/// 960 MiB, no major collection starts automatically below 1.875 GiB of
/// old generation, and 12 of the 15 workloads of `gc-bench run`'s default
/// matrix never collected at all. That is why the default is no longer
/// the cache rule. The crate's longest-step figure (3.3 ms on a 1 GiB old
/// generation) is measured with a 4 MiB nursery, which the example sets:
/// `GC_PERF_TREES=16384 cargo run --release -p gc-marksweep --example perf`.
/// To choose the nursery: `nursery` here (`--config nursery=16MB` for
/// `gc-bench run` and `replay`). The other sizes then follow from it
/// unless set themselves.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkSweepConfig {
    /// Nursery size in bytes (`nursery`, `PYPY_GC_NURSERY`). Default:
    /// 512 KiB on every machine; [`MarkSweepConfig::pypy`] and `nursery=auto`
    /// take PyPy's cache rule instead (see [above](Self)).
    pub nursery: usize,
    /// Start a major collection when the old generation reaches this
    /// factor × what survived the last one (`major_collection_threshold`,
    /// `PYPY_GC_MAJOR_COLLECT`; default 1.82).
    pub major_collection_threshold: f64,
    /// The threshold grows by at most this factor per cycle (`growth`,
    /// `PYPY_GC_GROWTH`; default 1.4).
    pub growth_rate_max: f64,
    /// Never start a major collection below this many bytes (`min_heap`,
    /// `PYPY_GC_MIN`; 0 = 8 × nursery: 1.875 GiB with a 240 MiB nursery).
    pub min_heap: usize,
    /// Refuse allocation with `OutOfMemory` beyond this many bytes of old
    /// generation (`max_heap`, `PYPY_GC_MAX`; 0 = unlimited): the heap
    /// limit every collector takes, see [`gc_core::config`]. The nursery
    /// comes on top, and the limit is checked where PyPy checks it: after
    /// each minor collection and before each large allocation. So a heap
    /// whose limit is under its nursery still fills the nursery first.
    pub max_heap: usize,
    /// The threshold is at most this much above what is in use
    /// (`max_delta`, `PYPY_GC_MAX_DELTA`; 0 = RAM / 8). Default: 1 GiB
    /// ([`PORTABLE_MAX_DELTA`]); [`MarkSweepConfig::pypy`]: 0, RAM / 8.
    pub max_delta: usize,
    /// Bytes marked per major step (`increment_step`,
    /// `PYPY_GC_INCREMENT_STEP`; 0 = 4 × nursery: 16 MiB with a 4 MiB
    /// nursery, 960 MiB with a 240 MiB one). A step marks the larger of
    /// this and 2 × the bytes the last minor collection promoted.
    pub increment_step: usize,
    /// Objects of this many bytes or more go straight to the large-object
    /// space (`large_object`; default PyPy's 135168).
    pub large_object: usize,
    /// Zeal: a minor collection before every allocation, a major step after
    /// every minor (starting a new cycle at once when none runs), minimal
    /// step budgets, and the consistency check after every collection
    /// (`zeal`; pair it with a nursery of a few objects).
    pub zeal: bool,
    /// Run the heap consistency check after every minor collection and
    /// major step, panicking on a violation (`debug`, `PYPY_GC_DEBUG`).
    pub debug: bool,
    /// Threads that mark (`parallel_mark`; not a PyPy setting). 1, the
    /// default, is the sequential marking; 0 means the cores available
    /// (`std::thread::available_parallelism`). With more than one, a
    /// marking step whose budget exceeds the whole old generation (every
    /// step of a full collection, and an incremental step while the old
    /// generation fits its budget) marks with that many threads when the
    /// old generation is at least
    /// [`parallel_mark_min`](Self::parallel_mark_min): the same objects
    /// are marked and the step reports the same (see `mark.rs`); whether
    /// sooner depends on the machine (on 2 cores it is slower: README).
    /// Other steps stay sequential.
    pub parallel_mark: usize,
    /// The least old generation, in bytes, for which `parallel_mark`
    /// starts threads (`parallel_mark_min`; default
    /// 4 MiB: below that, starting and joining the threads costs about
    /// what they save; 0 = whenever the budget allows, for tests).
    pub parallel_mark_min: usize,
}

/// The portable default's `max_delta`: 1 GiB, an eighth of 8 GiB (the RAM
/// this crate assumes when it cannot read it), on every machine.
pub const PORTABLE_MAX_DELTA: usize = 1 << 30;

/// The portable defaults: the same on every machine, in every environment
/// (see [`MarkSweepConfig`]).
impl Default for MarkSweepConfig {
    fn default() -> Self {
        MarkSweepConfig {
            nursery: portable_nursery_size(),
            major_collection_threshold: 1.82,
            growth_rate_max: 1.4,
            min_heap: 0,
            max_heap: 0,
            max_delta: PORTABLE_MAX_DELTA,
            increment_step: 0,
            large_object: LARGE_OBJECT,
            zeal: false,
            debug: false,
            parallel_mark: 1,
            parallel_mark_min: PARALLEL_MARK_MIN,
        }
    }
}

/// The default [`MarkSweepConfig::parallel_mark_min`]: 4 MiB.
pub const PARALLEL_MARK_MIN: usize = 4 << 20;

impl MarkSweepConfig {
    /// PyPy's rules, as PyPy applies them at start-up: the nursery from
    /// the last-level cache this machine reports ([`nursery_for_cache`]),
    /// `max_delta` an eighth of its RAM, then the `PYPY_GC_*` environment
    /// variables. Machine- and environment-dependent by design; the
    /// portable defaults are [`Default`].
    pub fn pypy() -> Self {
        let mut c = Self::pypy_rules();
        c.apply_env(|k| std::env::var(k).ok());
        c
    }

    /// PyPy's machine-dependent defaults, without the environment.
    pub fn pypy_rules() -> Self {
        MarkSweepConfig {
            nursery: cache_nursery_size(),
            max_delta: 0,
            ..Self::default()
        }
    }

    /// Every key with the value in use, resolved: sizes in bytes, and the
    /// derived ones (`min_heap` 0 = 8 × nursery, `max_delta` 0 = RAM / 8,
    /// `increment_step` 0 = 4 × nursery) as the numbers they stand for.
    pub fn resolved(&self) -> Vec<(&'static str, String)> {
        vec![
            ("nursery", self.nursery_bytes().to_string()),
            (
                "major_collection_threshold",
                self.major_collection_threshold.to_string(),
            ),
            ("growth", self.growth_rate_max.to_string()),
            ("min_heap", (self.min_heap_bytes() as u64).to_string()),
            ("max_heap", self.max_heap.to_string()),
            ("max_delta", (self.max_delta_bytes() as u64).to_string()),
            ("increment_step", self.increment_step_bytes().to_string()),
            ("large_object", self.large_object.to_string()),
            ("zeal", self.zeal.to_string()),
            ("debug", self.debug.to_string()),
            ("parallel_mark", self.parallel_mark_threads().to_string()),
            ("parallel_mark_min", self.parallel_mark_min.to_string()),
        ]
    }

    /// The threads that mark: `parallel_mark`, 0 resolved to the cores
    /// available (1 when that cannot be told).
    pub fn parallel_mark_threads(&self) -> usize {
        match self.parallel_mark {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
}

impl MarkSweepConfig {
    /// A zeal configuration: a nursery of `nursery` bytes (a few objects),
    /// a minor collection at every allocation, a major step at every minor.
    pub fn zeal(nursery: usize) -> Self {
        MarkSweepConfig {
            nursery,
            zeal: true,
            debug: true,
            ..Self::default()
        }
    }

    /// PyPy's rules with the environment checked: `preset=pypy`. Each
    /// `PYPY_GC_*` variable that is set and not empty is read as its key
    /// (`PYPY_GC_NURSERY=4MB` as `nursery=4MB`), and a value the key
    /// refuses is an error naming the variable, where PyPy (and
    /// [`MarkSweepConfig::pypy`]) would ignore it.
    pub fn pypy_checked() -> Result<Self, GcError> {
        let mut c = Self::pypy_rules();
        for key in &KEY_TABLE {
            for &variable in key.aliases {
                let Ok(value) = std::env::var(variable) else {
                    continue;
                };
                if value.trim().is_empty() {
                    continue;
                }
                c.set(variable, &value).map_err(|e| {
                    let message = match e {
                        GcError::Config(m) => m,
                        other => other.to_string(),
                    };
                    GcError::Config(format!("environment variable {variable}: {message}"))
                })?;
            }
        }
        Ok(c)
    }

    /// Applies the `PYPY_GC_*` variables that `get` returns, with PyPy's
    /// rules: an unset, empty, unparsable or non-positive value keeps the
    /// default; the float factors are used only when above 1.0 and never
    /// take a unit suffix. ([`MarkSweepConfig::pypy_checked`] refuses a
    /// bad value instead.)
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        let bytes = |k: &str| get(k).and_then(|v| parse_bytes(&v)).filter(|&n| n > 0);
        let factor = |k: &str| {
            get(k)
                .and_then(|v| parse_factor_env(&v))
                .filter(|&f| f > 1.0)
        };
        if let Some(n) = bytes("PYPY_GC_NURSERY") {
            self.nursery = n;
        }
        if let Some(f) = factor("PYPY_GC_MAJOR_COLLECT") {
            self.major_collection_threshold = f;
        }
        if let Some(f) = factor("PYPY_GC_GROWTH") {
            self.growth_rate_max = f;
        }
        if let Some(n) = bytes("PYPY_GC_MIN") {
            self.min_heap = n;
        }
        if let Some(n) = bytes("PYPY_GC_MAX") {
            self.max_heap = n;
        }
        if let Some(n) = bytes("PYPY_GC_MAX_DELTA") {
            self.max_delta = n;
        }
        if let Some(n) = bytes("PYPY_GC_INCREMENT_STEP") {
            self.increment_step = n;
        }
        if get("PYPY_GC_DEBUG")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0)
            > 0
        {
            self.debug = true;
        }
    }

    /// The `PYPY_GC_*` environment under which PyPy runs with this
    /// configuration, the inverse of [`apply_env`](Self::apply_env): every
    /// size and factor PyPy reads, as PyPy writes it; a size left at
    /// "computed" (0) is `None`, for the variable to be removed so that
    /// PyPy computes it by the same rule. `PYPY_GC_DEBUG` is left out (a
    /// check, not a setting), as are `large_object` and `zeal` (PyPy has no
    /// variable for them).
    pub fn pypy_env(&self) -> Vec<(&'static str, Option<String>)> {
        let size = |n: usize| (n > 0).then(|| n.to_string());
        vec![
            ("PYPY_GC_NURSERY", size(self.nursery)),
            (
                "PYPY_GC_MAJOR_COLLECT",
                Some(self.major_collection_threshold.to_string()),
            ),
            ("PYPY_GC_GROWTH", Some(self.growth_rate_max.to_string())),
            ("PYPY_GC_MIN", size(self.min_heap)),
            ("PYPY_GC_MAX", size(self.max_heap)),
            ("PYPY_GC_MAX_DELTA", size(self.max_delta)),
            ("PYPY_GC_INCREMENT_STEP", size(self.increment_step)),
        ]
    }

    /// The nursery size actually used (at least two words).
    pub(crate) fn nursery_bytes(&self) -> usize {
        self.nursery.max(16)
    }

    /// The marking budget of a step, before the survivors rule.
    pub(crate) fn increment_step_bytes(&self) -> usize {
        if self.zeal {
            64
        } else if self.increment_step > 0 {
            self.increment_step
        } else {
            4 * self.nursery_bytes()
        }
    }

    /// `min_heap_size`: max(PYPY_GC_MIN or 8 × nursery, 1.82 × nursery).
    pub(crate) fn min_heap_bytes(&self) -> f64 {
        let n = self.nursery_bytes() as f64;
        let base = if self.min_heap > 0 {
            self.min_heap as f64
        } else {
            8.0 * n
        };
        base.max(n * self.major_collection_threshold)
    }

    /// `max_delta`: as set, else RAM / 8.
    pub(crate) fn max_delta_bytes(&self) -> f64 {
        if self.max_delta > 0 {
            self.max_delta as f64
        } else {
            0.125 * total_memory() as f64
        }
    }
}

/// Parses a byte size the way PyPy's `env.py` does
/// ([`gc_core::config::parse_bytes`]). `None` when it does not parse or
/// does not fit a `usize`.
pub fn parse_bytes(value: &str) -> Option<usize> {
    config::parse_bytes(value).and_then(|n| usize::try_from(n).ok())
}

/// PyPy's `read_float_from_env`: like [`parse_bytes`], but a value with a
/// `k`/`m`/`g` unit is refused (a trailing `b` is dropped).
fn parse_factor_env(value: &str) -> Option<f64> {
    let mut v = value.trim();
    if v.len() > 1 && v.ends_with(['b', 'B']) {
        v = &v[..v.len() - 1];
    }
    if v.ends_with(['k', 'K', 'm', 'M', 'g', 'G']) {
        return None;
    }
    v.parse().ok()
}

/// PyPy's `best_nursery_size_for_L2cache`: half the cache when it is over
/// 8 MiB, else 4 MiB.
pub fn nursery_for_cache(cache: Option<usize>) -> usize {
    match cache {
        Some(c) if c > 8 * 1024 * 1024 => c / 2,
        _ => NURSERY_SIZE_UNKNOWN_CACHE,
    }
}

/// The portable nursery: [`PORTABLE_NURSERY`] everywhere.
fn portable_nursery_size() -> usize {
    if cfg!(miri) {
        // Miri interprets every byte: keep it small.
        return 64 * 1024;
    }
    PORTABLE_NURSERY
}

/// PyPy's rule for this machine's cache (computed once).
fn cache_nursery_size() -> usize {
    if cfg!(miri) {
        // Miri cannot read /proc, and interprets every byte: keep it small.
        return 64 * 1024;
    }
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| nursery_for_cache(last_level_cache()))
}

/// The cache size the machine reports: on Linux, the smallest `cache size`
/// of `/proc/cpuinfo` (what PyPy reads on x86), else the largest-level
/// cache of cpu0 in sysfs.
pub fn last_level_cache() -> Option<usize> {
    if let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") {
        let sizes = info
            .lines()
            .filter(|l| l.starts_with("cache size"))
            .filter_map(|l| {
                let v = l.split(':').nth(1)?.trim();
                let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
                let unit = v[digits.len()..].trim_start().chars().next()?;
                matches!(unit, 'k' | 'K').then(|| digits.parse::<usize>().ok().map(|n| n * 1024))?
            });
        if let Some(min) = sizes.min() {
            return Some(min);
        }
    }
    let mut best: Option<(u32, usize)> = None;
    for i in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let (Ok(level), Ok(size)) = (
            std::fs::read_to_string(format!("{dir}/level")),
            std::fs::read_to_string(format!("{dir}/size")),
        ) else {
            continue;
        };
        let (Ok(level), Some(size)) = (level.trim().parse::<u32>(), parse_bytes(size.trim()))
        else {
            continue;
        };
        if best.is_none_or(|(l, _)| level > l) {
            best = Some((level, size));
        }
    }
    best.map(|(_, s)| s)
}

fn total_memory() -> usize {
    static MEM: OnceLock<usize> = OnceLock::new();
    *MEM.get_or_init(|| {
        if cfg!(miri) {
            return 1 << 32;
        }
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(kb * 1024)
            })
            .unwrap_or(8 << 30)
    })
}

/// A byte size from `min` to the address space's limit.
const fn size(name: &'static str, min: u64, help: &'static str) -> Key {
    Key::new(
        name,
        Accepts::Bytes {
            min,
            max: usize::MAX as u64,
        },
        help,
    )
}

/// A factor above 1.0.
const fn factor(name: &'static str, help: &'static str) -> Key {
    Key::new(name, Accepts::Factor { above: 1.0 }, help)
}

/// The keys, with PyPy's variable names as aliases. The nursery's upper
/// bound is this machine's memory, checked in `set`.
const KEY_TABLE: [Key; 13] = [
    Key::new(
        "preset",
        Accepts::Described("portable or pypy"),
        "portable (the default: 512KB nursery everywhere) or pypy (PyPy's cache rule and RAM / 8, then PYPY_GC_* from the environment); later keys override",
    ),
    size(
        "nursery",
        16,
        "nursery size in bytes, PyPy units (4MB, 512KB; default 512KB), or auto: PyPy's rule, half the last-level cache if over 8MB; PYPY_GC_NURSERY",
    )
    .alias(&["PYPY_GC_NURSERY"]),
    factor(
        "major_collection_threshold",
        "start a major at this factor x the last survivors (1.82); PYPY_GC_MAJOR_COLLECT",
    )
    .alias(&["PYPY_GC_MAJOR_COLLECT"]),
    factor(
        "growth",
        "the threshold grows at most by this factor per cycle (1.4); PYPY_GC_GROWTH",
    )
    .alias(&["PYPY_GC_GROWTH"]),
    size(
        "min_heap",
        0,
        "no major below this many bytes (0 = 8 x nursery); PYPY_GC_MIN",
    )
    .alias(&["PYPY_GC_MIN"]),
    Key::new(
        MAX_HEAP.name,
        Accepts::Bytes {
            min: 0,
            max: usize::MAX as u64,
        },
        "OutOfMemory beyond this many bytes of old generation after a collection (0 = none; the nursery comes on top); PYPY_GC_MAX",
    )
    .alias(MAX_HEAP.aliases),
    size(
        "max_delta",
        0,
        "threshold at most this far above the live bytes (default 1GB; 0 = RAM/8); PYPY_GC_MAX_DELTA",
    )
    .alias(&["PYPY_GC_MAX_DELTA"]),
    size(
        "increment_step",
        0,
        "bytes marked per major step (0 = 4 x nursery); PYPY_GC_INCREMENT_STEP",
    )
    .alias(&["PYPY_GC_INCREMENT_STEP"]),
    size(
        "large_object",
        16,
        "objects of this many bytes or more are born in the large-object space (135168)",
    ),
    Key::new(
        "zeal",
        Accepts::Bool,
        "true: minor at every allocation, major step at every minor, checks on",
    ),
    Key::new(
        "debug",
        Accepts::Described("0, 1 or 2 (PyPy's levels), or true or false"),
        "true: check the heap's consistency after every collection; PYPY_GC_DEBUG",
    )
    .alias(&["PYPY_GC_DEBUG"]),
    Key::new(
        "parallel_mark",
        Accepts::Whole {
            min: 0,
            max: MAX_MARK_THREADS as u64,
        },
        "threads that mark a step whose budget exceeds the old generation (1 = sequential, the default; 0 = the cores available); same result",
    ),
    size(
        "parallel_mark_min",
        0,
        "mark with parallel_mark threads only from this many bytes of old generation (4MB)",
    ),
];

/// The most threads `parallel_mark` takes.
pub const MAX_MARK_THREADS: usize = 256;

impl Config for MarkSweepConfig {
    const KEYS: &'static [(&'static str, &'static str)] = &config::pairs(&KEY_TABLE);

    fn takes(key: &str) -> bool {
        KEY_TABLE.iter().any(|k| k.answers_to(key))
    }

    /// Sets one key. PyPy's variable names are accepted as keys too
    /// (`PYPY_GC_NURSERY=4MB` is `nursery=4MB`).
    fn set(&mut self, key: &str, value: &str) -> Result<(), GcError> {
        let key = config::find(&KEY_TABLE, key)?;
        match key.name {
            "preset" => {
                *self = match value.trim() {
                    "portable" => Self::default(),
                    "pypy" => Self::pypy_checked()?,
                    _ => return Err(key.refuse(value)),
                }
            }
            "nursery" if value.trim() == "auto" => self.nursery = cache_nursery_size(),
            "nursery" => {
                // At most this machine's memory: a nursery is allocated
                // whole when the heap is made.
                let ram = Key {
                    accepts: Accepts::Bytes {
                        min: 16,
                        max: total_memory() as u64,
                    },
                    ..*key
                };
                self.nursery = ram.size(value)?;
            }
            "major_collection_threshold" => self.major_collection_threshold = key.factor(value)?,
            "growth" => self.growth_rate_max = key.factor(value)?,
            "min_heap" => self.min_heap = key.size(value)?,
            "max_heap" => self.max_heap = key.size(value)?,
            "max_delta" => self.max_delta = key.size(value)?,
            "increment_step" => self.increment_step = key.size(value)?,
            "large_object" => self.large_object = key.size(value)?,
            "zeal" => self.zeal = key.boolean(value)?,
            "parallel_mark" => self.parallel_mark = key.whole(value)? as usize,
            "parallel_mark_min" => self.parallel_mark_min = key.size(value)?,
            "debug" => {
                // PyPy's levels (0, 1, 2) or a boolean.
                self.debug = match value.trim().parse::<u8>() {
                    Ok(level @ 0..=2) => level > 0,
                    Ok(_) => return Err(key.refuse(value)),
                    Err(_) => key.boolean(value).map_err(|_| key.refuse(value))?,
                }
            }
            _ => return Err(key.refuse(value)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Configuration arithmetic, no unsafe code: under Miri the nursery is
    // made small on purpose (every byte is interpreted), so these figures
    // do not hold there.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "Miri runs a 64 KiB nursery; the figures here are the real ones"
    )]
    fn the_default_is_portable_and_pypy_is_explicit() {
        let d = MarkSweepConfig::default();
        assert_eq!(d.nursery, PORTABLE_NURSERY);
        assert_eq!(PORTABLE_NURSERY, 512 << 10);
        assert_eq!(d.max_delta, PORTABLE_MAX_DELTA);
        assert_eq!(d, MarkSweepConfig::default());
        let p = MarkSweepConfig::pypy_rules();
        assert_eq!(p.nursery, nursery_for_cache(last_level_cache()));
        assert_eq!(p.max_delta, 0);
        let mut c = MarkSweepConfig::default();
        c.set("nursery", "auto").unwrap();
        assert_eq!(c.nursery, p.nursery);
        c.set("preset", "portable").unwrap();
        assert_eq!(c, MarkSweepConfig::default());
        c.set("preset", "pypy").unwrap();
        assert_eq!(c.max_delta_bytes(), p.max_delta_bytes());
        assert!(c.set("preset", "fast").is_err());
        let r = MarkSweepConfig::default().resolved();
        let get = |k: &str| r.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(r.len(), MarkSweepConfig::KEYS.len() - 1); // all but preset
        assert_eq!(get("nursery"), (512u64 << 10).to_string());
        assert_eq!(get("min_heap"), (4u64 << 20).to_string());
        assert_eq!(get("increment_step"), (2u64 << 20).to_string());
        assert_eq!(get("max_delta"), (1u64 << 30).to_string());
    }

    #[test]
    fn pypy_units() {
        assert_eq!(parse_bytes("4MB"), Some(4 << 20));
        assert_eq!(parse_bytes("4m"), Some(4 << 20));
        assert_eq!(parse_bytes("512KB"), Some(524_288));
        assert_eq!(parse_bytes("1.5M"), Some(1_572_864));
        assert_eq!(parse_bytes("4096B"), Some(4096));
        assert_eq!(
            parse_bytes("1.6GB"),
            Some((1.6 * (1u64 << 30) as f64) as usize)
        );
        assert_eq!(parse_bytes("garbage"), None);
    }

    #[test]
    fn nursery_rule() {
        assert_eq!(nursery_for_cache(None), 4 << 20);
        assert_eq!(nursery_for_cache(Some(8 << 20)), 4 << 20);
        assert_eq!(nursery_for_cache(Some(503_316_480)), 251_658_240);
    }

    #[test]
    fn environment_follows_pypy() {
        let mut c = MarkSweepConfig::pypy_rules();
        c.apply_env(|k| match k {
            "PYPY_GC_NURSERY" => Some("512KB".into()),
            "PYPY_GC_MAJOR_COLLECT" => Some("2.5b".into()),
            "PYPY_GC_GROWTH" => Some("1.5M".into()), // a unit: ignored
            "PYPY_GC_MAX" => Some("1GB".into()),
            "PYPY_GC_INCREMENT_STEP" => Some("garbage".into()),
            _ => None,
        });
        assert_eq!(c.nursery, 524_288);
        assert_eq!(c.major_collection_threshold, 2.5);
        assert_eq!(c.growth_rate_max, 1.4);
        assert_eq!(c.max_heap, 1 << 30);
        assert_eq!(c.increment_step_bytes(), 4 * 524_288);
        assert_eq!(c.min_heap_bytes(), 8.0 * 524_288.0);
    }

    #[test]
    fn pypy_env_round_trips_through_apply_env() {
        let set = MarkSweepConfig {
            nursery: 512 << 10,
            major_collection_threshold: 2.5,
            growth_rate_max: 1.75,
            min_heap: 8 << 20,
            max_heap: 1 << 30,
            max_delta: 64 << 20,
            increment_step: 3 << 20,
            ..MarkSweepConfig::pypy_rules()
        };
        let unset = MarkSweepConfig {
            min_heap: 0,
            max_heap: 0,
            max_delta: 0,
            increment_step: 0,
            ..set.clone()
        };
        for c in [set, unset] {
            let env = c.pypy_env();
            let mut back = MarkSweepConfig::pypy_rules();
            back.apply_env(|k| env.iter().find(|(v, _)| *v == k)?.1.clone());
            assert_eq!(back, c, "{env:?}");
            // Each variable is also a key of `set`.
            for (k, v) in env.iter().filter_map(|(k, v)| Some((k, v.as_ref()?))) {
                MarkSweepConfig::pypy_rules().set(k, v).unwrap();
            }
        }
    }

    #[test]
    fn keys() {
        let mut c = MarkSweepConfig::default();
        c.set("nursery", "1k").unwrap();
        c.set("zeal", "true").unwrap();
        assert_eq!((c.nursery, c.zeal), (1024, true));
        c.set("PYPY_GC_MAX", "1.5M").unwrap();
        assert_eq!(c.max_heap, 1_572_864);
        assert!(c.set("growth", "0.5").is_err());
        assert!(c.set("bogus", "1").is_err());
    }

    /// Every value is checked when it is set: one line naming the key,
    /// the value and what the key accepts; nothing clamped or saturated.
    #[test]
    fn values_are_checked_with_their_ranges() {
        let mut c = MarkSweepConfig::default();
        let refuse = |c: &mut MarkSweepConfig, key: &str, value: &str| {
            let e = c.set(key, value).unwrap_err().to_string();
            assert!(!e.contains('\n'), "{e}");
            e
        };
        let e = refuse(&mut c, "nursery", "0");
        assert!(
            e.contains("`nursery`: got `0`, expected a byte size") && e.contains("from 16 to"),
            "{e}"
        );
        assert!(refuse(&mut c, "nursery", "8").contains("from 16 to"));
        assert!(
            refuse(&mut c, "nursery", "99999999999999999999").contains("`99999999999999999999`")
        );
        let e = refuse(&mut c, "PYPY_GC_NURSERY", "garbage");
        assert!(e.contains("`nursery`: got `garbage`"), "{e}");
        // No more than this machine's memory: the nursery is allocated
        // whole when the heap is made.
        let e = refuse(&mut c, "nursery", &format!("{}", total_memory() as u64 + 1));
        assert!(e.contains(&format!("to {} bytes", total_memory())), "{e}");
        assert!(refuse(&mut c, "large_object", "8").contains("from 16 to"));
        assert!(refuse(&mut c, "debug", "99999999999").contains("0, 1 or 2"));
        assert!(refuse(&mut c, "debug", "3").contains("0, 1 or 2"));
        assert!(refuse(&mut c, "growth", "1").contains("above 1.0"));
        assert!(refuse(&mut c, "major_collection_threshold", "inf").contains("above 1.0"));
        assert!(refuse(&mut c, "zeal", "maybe").contains("true or false"));
        assert!(refuse(&mut c, "preset", "fast").contains("portable or pypy"));
        assert_eq!(
            c,
            MarkSweepConfig::default(),
            "a refused value changes nothing"
        );
        c.set("debug", "2").unwrap();
        c.set("nursery", "16").unwrap();
        c.set("max_heap", "0").unwrap();
        assert_eq!((c.debug, c.nursery, c.max_heap), (true, 16, 0));
        // Every key of the table is handled by `set`.
        for key in &KEY_TABLE {
            let value = match key.accepts {
                Accepts::Bytes { min, .. } => min.max(16).to_string(),
                Accepts::Factor { .. } => "1.5".to_owned(),
                Accepts::Bool => "true".to_owned(),
                Accepts::Whole { .. } => "1".to_owned(),
                Accepts::Described(_) if key.name == "preset" => "portable".to_owned(),
                Accepts::Described(_) => "1".to_owned(),
            };
            c.set(key.name, &value).unwrap();
        }
    }
}
