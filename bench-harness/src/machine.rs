//! What a result was measured on: the machine (CPU model, cores, caches,
//! memory, operating system), the toolchain that built `gc-bench`, the
//! project's git commit and the command line. Recorded in every
//! `results.json` and `report.md`, read once per `gc-bench` invocation
//! (never inside a run).
//!
//! Everything is read from Linux's `/proc` and `/sys`; what cannot be read
//! is `"unknown"` (or empty), never an error.

use serde::{Deserialize, Serialize};

/// One cache level as sysfs describes it (cpu0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    /// 1, 2, 3…
    pub level: u32,
    /// `Data`, `Instruction` or `Unified`.
    pub kind: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The machine and build a set of results was measured with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Logical CPUs available to the process.
    pub logical_cpus: usize,
    /// Distinct (physical id, core id) pairs of `/proc/cpuinfo` (0 when it
    /// does not say).
    pub physical_cores: usize,
    /// The caches of cpu0 (sysfs), smallest level first.
    pub caches: Vec<Cache>,
    /// The `cache size` line of `/proc/cpuinfo` in bytes (what PyPy's
    /// nursery rule reads on x86), if any.
    pub cpuinfo_cache_bytes: Option<u64>,
    /// `MemTotal` of `/proc/meminfo`, in bytes.
    pub memory_bytes: Option<u64>,
    /// `PRETTY_NAME` of `/etc/os-release` and the kernel release.
    pub os: String,
    /// `rustc --version` of the compiler that built `gc-bench`.
    pub rustc: String,
    /// `git rev-parse HEAD` of the sources `gc-bench` was built from, with
    /// `-dirty` when they had uncommitted changes then (recorded by the
    /// build: running `gc-bench` reads no repository).
    pub git_commit: String,
    /// `gc-bench`'s command line.
    pub command: String,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Parses sysfs's cache size (`32K`, `1024K`, `32M`).
fn sysfs_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1024),
        'M' | 'm' => (&s[..s.len() - 1], 1024 * 1024),
        'G' | 'g' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    num.trim().parse::<u64>().ok().map(|n| n * mult)
}

/// `(model name, physical cores, cache size)` from `/proc/cpuinfo` text.
pub fn parse_cpuinfo(info: &str) -> (String, usize, Option<u64>) {
    let value = |l: &str| l.split_once(':').map(|x| x.1.trim().to_owned());
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(value)
        .unwrap_or_else(|| "unknown".into());
    let mut cores = std::collections::BTreeSet::new();
    let mut physical = String::new();
    for l in info.lines() {
        if l.starts_with("physical id") {
            physical = value(l).unwrap_or_default();
        } else if l.starts_with("core id") {
            cores.insert((physical.clone(), value(l).unwrap_or_default()));
        }
    }
    let cache = info
        .lines()
        .find(|l| l.starts_with("cache size"))
        .and_then(value)
        .and_then(|v| {
            let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
            let n: u64 = digits.parse().ok()?;
            Some(if v.contains('K') || v.contains('k') {
                n * 1024
            } else {
                n
            })
        });
    (model, cores.len(), cache)
}

fn caches() -> Vec<Cache> {
    let mut v = Vec::new();
    for i in 0..16 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let (Some(level), Some(kind), Some(size)) = (
            read(&format!("{dir}/level")),
            read(&format!("{dir}/type")),
            read(&format!("{dir}/size")),
        ) else {
            continue;
        };
        if let (Ok(level), Some(bytes)) = (level.trim().parse(), sysfs_size(&size)) {
            v.push(Cache {
                level,
                kind: kind.trim().to_owned(),
                bytes,
            });
        }
    }
    v.sort_by_key(|c| c.level);
    v
}

fn os() -> String {
    let name = read("/etc/os-release")
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    match read("/proc/sys/kernel/osrelease") {
        Some(k) => format!("{name}, Linux {}", k.trim()),
        None => name,
    }
}

impl Machine {
    /// This machine, now, for a run started with `command`.
    pub fn detect(command: &str) -> Machine {
        let (cpu_model, physical_cores, cpuinfo_cache_bytes) =
            parse_cpuinfo(&read("/proc/cpuinfo").unwrap_or_default());
        let memory_bytes = read("/proc/meminfo").and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        });
        Machine {
            cpu_model,
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            physical_cores,
            caches: caches(),
            cpuinfo_cache_bytes,
            memory_bytes,
            os: os(),
            rustc: env!("GC_BENCH_RUSTC_VERSION").to_owned(),
            git_commit: env!("GC_BENCH_GIT_COMMIT").to_owned(),
            command: command.to_owned(),
        }
    }

    /// One line per fact, `name: value`, for reports.
    pub fn lines(&self) -> Vec<(String, String)> {
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0));
        let kib = |b: u64| {
            if b >= 1 << 20 {
                mib(b)
            } else {
                format!("{} KiB", b / 1024)
            }
        };
        let caches: Vec<String> = self
            .caches
            .iter()
            .map(|c| format!("L{} {} {}", c.level, c.kind.to_lowercase(), kib(c.bytes)))
            .collect();
        vec![
            ("CPU".into(), self.cpu_model.clone()),
            (
                "cores".into(),
                format!(
                    "{} logical, {} physical",
                    self.logical_cpus,
                    if self.physical_cores == 0 {
                        "?".to_owned()
                    } else {
                        self.physical_cores.to_string()
                    }
                ),
            ),
            (
                "caches (cpu0)".into(),
                if caches.is_empty() {
                    "unknown".into()
                } else {
                    caches.join(", ")
                },
            ),
            (
                "cpuinfo cache size".into(),
                self.cpuinfo_cache_bytes.map_or("-".into(), kib),
            ),
            (
                "memory".into(),
                self.memory_bytes.map_or("unknown".into(), mib),
            ),
            ("OS".into(), self.os.clone()),
            ("rustc".into(), self.rustc.clone()),
            ("git commit".into(), self.git_commit.clone()),
            ("command".into(), self.command.clone()),
        ]
    }
}

/// The command line that is running, for the record in a report: its
/// arguments joined by spaces, each read lossily (a path that is not
/// UTF-8 is still a path clap accepted; `std::env::args` would panic).
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_gives_model_cores_and_cache() {
        let info = "processor\t: 0\nmodel name\t: Test CPU 9000\ncache size\t: 1024 KB\nphysical id\t: 0\ncore id\t\t: 0\n\nprocessor\t: 1\nmodel name\t: Test CPU 9000\nphysical id\t: 0\ncore id\t\t: 1\n\nprocessor\t: 2\nphysical id\t: 0\ncore id\t\t: 1\n";
        assert_eq!(
            parse_cpuinfo(info),
            ("Test CPU 9000".into(), 2, Some(1024 * 1024))
        );
        assert_eq!(parse_cpuinfo(""), ("unknown".into(), 0, None));
    }

    #[test]
    fn sysfs_sizes() {
        assert_eq!(sysfs_size("32K\n"), Some(32 * 1024));
        assert_eq!(sysfs_size("16M"), Some(16 << 20));
        assert_eq!(sysfs_size("x"), None);
    }

    #[test]
    fn this_machine_is_described() {
        let m = Machine::detect("gc-bench run");
        assert!(m.logical_cpus >= 1);
        assert!(m.rustc.starts_with("rustc "), "{}", m.rustc);
        assert_eq!(m.lines().len(), 9);
    }
}
