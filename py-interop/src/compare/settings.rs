//! Running both sides with the same settings: our collector's effective
//! configuration, said the way the other runtime understands it, and what
//! cannot be made the same.
//!
//! - `marksweep` on PyPy: the sizes and factors PyPy reads from its
//!   `PYPY_GC_*` variables are set for the child from our collector's
//!   effective configuration (so the nursery is the same size on both
//!   sides, whatever the cache-size guesses say).
//! - `generational` on CPython: thresholds and `enabled` that differ from
//!   CPython's defaults become `gc threshold` / `gc disable` lines at the
//!   top of the trace, which both sides then run.

use gc_core::Config;
use gc_generational::GenerationalConfig;
use gc_marksweep::MarkSweepConfig;

use gc_any::Strategy as CollectorName;
use gc_core::Control;
use gc_core::tooling::trace::Op;

/// What both sides run with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// Environment of the other runtime: set (`Some`) or removed (`None`).
    pub env: Vec<(String, Option<String>)>,
    /// Operations run first on both sides.
    pub prelude: Vec<Op>,
    /// The nursery, in bytes, when the collector has one.
    pub nursery: Option<usize>,
    /// What cannot be made the same, one sentence each.
    pub notes: Vec<String>,
}

impl Settings {
    /// The settings as shown to the user: `K=V` for each variable set, and
    /// the prelude lines.
    pub fn shown(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .env
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        out.extend(self.prelude.iter().map(|op| format!("`{op}`")));
        out
    }
}

fn configured<C: Config + Default>(pairs: &[(String, String)]) -> Result<C, String> {
    let mut c = C::default();
    for (k, v) in pairs {
        c.set(k, v).map_err(|e| e.to_string())?;
    }
    Ok(c)
}

/// The settings for `collector` configured by `pairs` beside a runtime
/// whose `sys.implementation.name` is `implementation`.
pub fn for_pair(
    collector: CollectorName,
    pairs: &[(String, String)],
    implementation: &str,
    python: &str,
) -> Result<Settings, String> {
    let mut s = Settings::default();
    match (collector, implementation) {
        (CollectorName::Marksweep, _) => {
            let c: MarkSweepConfig = configured(pairs)?;
            s.nursery = Some(c.nursery);
            if implementation == "pypy" {
                s.env = c
                    .pypy_env()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                if c.zeal || c.debug {
                    s.notes.push(
                        "our collector runs with zeal or debug checks on: its times are not comparable"
                            .into(),
                    );
                }
                if c.parallel_mark_threads() > 1 {
                    s.notes.push(format!(
                        "parallel_mark={} has no PyPy variable: PyPy marks with one thread",
                        c.parallel_mark
                    ));
                }
                if c.large_object != gc_marksweep::LARGE_OBJECT {
                    s.notes.push(format!(
                        "large_object={} has no PyPy variable: PyPy keeps its own ({})",
                        c.large_object,
                        gc_marksweep::LARGE_OBJECT
                    ));
                }
            } else {
                s.notes.push(format!(
                    "marksweep models PyPy, and this runtime is {implementation}: its collections are of other kinds, so the rows do not line up (--runtime pypy3)"
                ));
            }
        }
        (CollectorName::Generational, "cpython") => {
            let c: GenerationalConfig = configured(pairs)?;
            let d = GenerationalConfig::default();
            if (c.threshold0, c.threshold1, c.threshold2) != (d.threshold0, d.threshold1, d.threshold2)
            {
                s.prelude.push(Op::Gc(Control::Threshold(
                    c.threshold0,
                    Some(c.threshold1),
                    Some(c.threshold2),
                )));
            }
            if !c.enabled {
                s.prelude.push(Op::Gc(Control::Disable));
            }
            if c.debug != 0 {
                s.notes.push(format!(
                    "debug flags {:#x} are not passed to CPython",
                    c.debug
                ));
            }
            if python != "3.11" {
                s.notes.push(format!(
                    "generational models CPython 3.11 and this is Python {python}: automatic collections may come at other times"
                ));
            }
        }
        (CollectorName::Generational, _) => {
            configured::<GenerationalConfig>(pairs)?;
            s.notes.push(format!(
                "generational models CPython, and this runtime is {implementation}: the rows do not line up (--runtime python3)"
            ));
        }
        (CollectorName::Refcount, _) => s.notes.push(
            "refcount has no cycle collector: the runtime's automatic collections have no counterpart here"
                .into(),
        ),
        (CollectorName::Null, _) => s.notes.push(
            "null never frees: the runtime's collections have no counterpart here".into(),
        ),
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pypy_gets_our_nursery_and_factors() {
        let s = for_pair(
            CollectorName::Marksweep,
            &pairs(&[("nursery", "1MB"), ("min_heap", "8MB")]),
            "pypy",
            "3.9",
        )
        .unwrap();
        assert_eq!(s.nursery, Some(1 << 20));
        let shown = s.shown();
        assert!(
            shown.contains(&"PYPY_GC_NURSERY=1048576".to_owned()),
            "{shown:?}"
        );
        assert!(
            shown.contains(&"PYPY_GC_MIN=8388608".to_owned()),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|v| v.starts_with("PYPY_GC_MAJOR_COLLECT="))
        );
        assert!(
            s.env.contains(&("PYPY_GC_MAX".to_owned(), None)),
            "unset settings are removed from the child's environment"
        );
        assert!(s.notes.is_empty(), "{:?}", s.notes);
    }

    #[test]
    fn cpython_gets_our_thresholds_as_trace_lines() {
        let s = for_pair(
            CollectorName::Generational,
            &pairs(&[("threshold0", "100"), ("enabled", "false")]),
            "cpython",
            "3.11",
        )
        .unwrap();
        let prelude: Vec<String> = s.prelude.iter().map(Op::to_string).collect();
        assert_eq!(prelude, ["gc threshold 100 10 10", "gc disable"]);
        assert!(s.env.is_empty() && s.notes.is_empty());
        let s = for_pair(CollectorName::Generational, &[], "cpython", "3.12").unwrap();
        assert!(s.prelude.is_empty());
        assert!(s.notes[0].contains("3.12"));
    }

    #[test]
    fn pairs_that_do_not_line_up_say_so_and_bad_keys_are_errors() {
        for (c, imp) in [
            (CollectorName::Marksweep, "cpython"),
            (CollectorName::Generational, "pypy"),
            (CollectorName::Refcount, "cpython"),
            (CollectorName::Null, "pypy"),
        ] {
            let s = for_pair(c, &[], imp, "3.11").unwrap();
            assert_eq!(s.notes.len(), 1, "{c:?} on {imp}");
        }
        assert!(
            for_pair(
                CollectorName::Marksweep,
                &pairs(&[("bogus", "1")]),
                "pypy",
                "3.9"
            )
            .is_err()
        );
    }
}
