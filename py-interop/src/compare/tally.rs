//! What one event stream adds up to: collections of each kind with their
//! time, and the summary's totals. Both sides of a comparison are read
//! from the same JSONL (`gc-bench replay --events jsonl` and the exported
//! Python program print the same records), so one reader serves both.

use serde::Serialize;
use serde_json::Value;

/// The kinds of collection in report order: CPython's generations, then
/// PyPy's minor collection, major step and completed major collection.
/// Other kinds follow in the order they first appear.
pub const KIND_ORDER: [&str; 6] = [
    "generation-0",
    "generation-1",
    "generation-2",
    "minor",
    "major-step",
    "major",
];

/// Collections of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindTally {
    /// How many.
    pub count: u64,
    /// The sum of their `pause_ns`.
    pub gc_time_ns: u64,
    /// The longest `pause_ns`.
    pub max_pause_ns: u64,
}

/// One event stream, added up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// The summary's `collector` (`marksweep`, `cpython`, `pypy`, …).
    pub collector: String,
    /// Collections by kind, in the order of [`KIND_ORDER`] where listed.
    pub kinds: Vec<(String, KindTally)>,
    /// The sum of `collected` over the collect events.
    pub collected: u64,
    /// The summary's `ops`.
    pub ops: u64,
    /// The summary's `allocated`.
    pub allocated: u64,
    /// The summary's `max_pause_ns` (at least the longest event's pause:
    /// PyPy's hooks report the longest of merged collections there).
    pub max_pause_ns: u64,
    /// The summary's `wall_ns`.
    pub wall_ns: u64,
    /// `finalize` events.
    pub finalized: u64,
    /// `expect_failed` events.
    pub expect_failures: u64,
}

impl Tally {
    /// Adds up a whole JSONL stream; it must end with a summary.
    pub fn from_jsonl(text: &str, source: &str) -> Result<Tally, String> {
        let mut tally = Tally::default();
        let mut summary = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            summary = tally
                .add_line(line)
                .map_err(|e| format!("{source}, line {}: {e}", i + 1))?;
        }
        if !summary {
            return Err(format!("{source}: no summary event at the end"));
        }
        Ok(tally)
    }

    /// Adds one event line; `Ok(true)` when it was the summary.
    pub fn add_line(&mut self, line: &str) -> Result<bool, String> {
        let event: Value =
            serde_json::from_str(line).map_err(|e| format!("not a JSON event ({e})"))?;
        let field = |name: &str| -> Result<u64, String> {
            event[name]
                .as_u64()
                .ok_or_else(|| format!("`{name}` is not a whole number"))
        };
        match event["event"].as_str() {
            Some("collect") => {
                let kind = event["kind"]
                    .as_str()
                    .ok_or("`kind` is not a string")?
                    .to_owned();
                let pause = field("pause_ns")?;
                self.collected += field("collected")?;
                let k = self.kind_mut(&kind);
                k.count += 1;
                k.gc_time_ns += pause;
                k.max_pause_ns = k.max_pause_ns.max(pause);
                self.max_pause_ns = self.max_pause_ns.max(pause);
                Ok(false)
            }
            Some("finalize") => {
                self.finalized += 1;
                Ok(false)
            }
            Some("expect_failed") => {
                self.expect_failures += 1;
                Ok(false)
            }
            Some("summary") => {
                self.collector = event["collector"]
                    .as_str()
                    .ok_or("`collector` is not a string")?
                    .to_owned();
                self.ops = field("ops")?;
                self.allocated = field("allocated")?;
                self.wall_ns = field("wall_ns")?;
                self.max_pause_ns = self.max_pause_ns.max(field("max_pause_ns")?);
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err("no `event` field".into()),
        }
    }

    fn kind_mut(&mut self, kind: &str) -> &mut KindTally {
        let i = match self.kinds.iter().position(|(k, _)| k == kind) {
            Some(i) => i,
            None => {
                self.kinds.push((kind.to_owned(), KindTally::default()));
                self.kinds.sort_by_key(|(k, _)| kind_rank(k));
                self.kinds
                    .iter()
                    .position(|(k, _)| k == kind)
                    .expect("just added")
            }
        };
        &mut self.kinds[i].1
    }

    /// Collections of `kind` (zero when there were none).
    pub fn kind(&self, kind: &str) -> KindTally {
        self.kinds
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }

    /// Every collection.
    pub fn collections(&self) -> u64 {
        self.kinds.iter().map(|(_, t)| t.count).sum()
    }

    /// The sum of every collection's pause.
    pub fn gc_time_ns(&self) -> u64 {
        self.kinds.iter().map(|(_, t)| t.gc_time_ns).sum()
    }
}

/// Where a kind sorts: its place in [`KIND_ORDER`], unknown kinds after
/// (stable sorting keeps them in the order they appeared).
fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// The kinds of both tallies, in report order.
pub fn union_of_kinds(a: &Tally, b: &Tally) -> Vec<String> {
    let mut kinds: Vec<String> = a.kinds.iter().map(|(k, _)| k.clone()).collect();
    for (k, _) in &b.kinds {
        if !kinds.contains(k) {
            kinds.push(k.clone());
        }
    }
    kinds.sort_by_key(|k| kind_rank(k));
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = r#"{"event":"collect","line":5,"trigger":"auto","generation":2,"kind":"major","collected":3,"uncollectable":0,"live_objects":1,"live_bytes":0,"pause_ns":40}
{"event":"collect","line":6,"trigger":"auto","generation":0,"kind":"minor","collected":7,"uncollectable":0,"live_objects":1,"live_bytes":0,"pause_ns":10}
{"event":"finalize","line":6,"object":4}
{"event":"collect","line":9,"trigger":"explicit","generation":0,"kind":"minor","collected":0,"uncollectable":0,"live_objects":1,"live_bytes":0,"pause_ns":25}
{"event":"collect","line":9,"trigger":"auto","generation":0,"kind":"odd","collected":0,"uncollectable":0,"live_objects":1,"live_bytes":0,"pause_ns":1}
{"event":"summary","collector":"pypy","ops":12,"allocated":9,"freed":0,"live_objects":0,"live_bytes":0,"peak_live_bytes":0,"collections":{"0":2,"1":0,"2":1},"gc_time_ns":75,"max_pause_ns":60,"wall_ns":900,"ignored_controls":0}
"#;

    #[test]
    fn a_stream_adds_up_by_kind_in_report_order() {
        let t = Tally::from_jsonl(STREAM, "test").unwrap();
        let kinds: Vec<&str> = t.kinds.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["minor", "major", "odd"]);
        assert_eq!(
            t.kind("minor"),
            KindTally {
                count: 2,
                gc_time_ns: 35,
                max_pause_ns: 25
            }
        );
        assert_eq!(t.kind("generation-0"), KindTally::default());
        assert_eq!((t.collections(), t.gc_time_ns()), (4, 76));
        assert_eq!(
            (t.collected, t.finalized, t.ops, t.allocated),
            (10, 1, 12, 9)
        );
        assert_eq!(
            (t.max_pause_ns, t.wall_ns),
            (60, 900),
            "the summary's longer max"
        );
        assert_eq!(t.collector, "pypy");
    }

    #[test]
    fn a_stream_without_summary_or_with_garbage_is_refused() {
        let cut: String = STREAM.lines().take(2).collect::<Vec<_>>().join("\n");
        assert!(
            Tally::from_jsonl(&cut, "theirs")
                .unwrap_err()
                .contains("no summary")
        );
        let e = Tally::from_jsonl("{\"event\":\"collect\"}\n", "theirs").unwrap_err();
        assert!(e.starts_with("theirs, line 1: "), "{e}");
        assert!(Tally::from_jsonl("Traceback\n", "x").is_err());
    }

    #[test]
    fn kinds_of_both_sides_merge_in_report_order() {
        let mut a = Tally::default();
        a.kind_mut("major");
        let mut b = Tally::default();
        b.kind_mut("generation-1");
        b.kind_mut("minor");
        assert_eq!(union_of_kinds(&a, &b), ["generation-1", "minor", "major"]);
    }
}
