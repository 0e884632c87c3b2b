//! A sweep's table, CSV and `report.md`.

use std::fmt::Write as _;

use super::{Point, SweepResults, WorkloadSweep};
use crate::table::Table;

fn mib(b: f64) -> String {
    format!("{:.2}", b / (1024.0 * 1024.0))
}

fn ms(ns: f64) -> String {
    let v = ns / 1e6;
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn ci(e: &crate::estimate::Estimate) -> String {
    if e.has_interval() {
        format!(" ±{:.0}%", 100.0 * e.relative_half_width())
    } else {
        String::new()
    }
}

/// The table of every point of every workload.
pub fn table(s: &SweepResults) -> Table {
    let mut t = Table::new(&[
        "workload",
        "collector",
        "setting",
        "wall ms",
        "gc ms",
        "ns/op (harness)",
        "footprint MiB (×live)",
        "LBO",
        "Pareto",
        "collections",
    ]);
    for w in &s.workloads {
        for p in &w.points {
            t.row(row(w, p));
        }
    }
    t
}

fn row(w: &WorkloadSweep, p: &Point) -> Vec<String> {
    vec![
        w.workload.clone(),
        p.collector.clone(),
        p.setting.clone(),
        format!("{}{}", ms(p.wall.value), ci(&p.wall)),
        ms(p.gc.value),
        match p.harness_ns_per_op {
            Some(h) => format!("{:.1} ({h:.1})", p.ns_per_op),
            None => format!("{:.1}", p.ns_per_op),
        },
        if p.live_bytes > 0 {
            format!(
                "{} ({:.2}×)",
                mib(p.footprint_bytes as f64),
                p.footprint_bytes as f64 / p.live_bytes as f64
            )
        } else {
            mib(p.footprint_bytes as f64)
        },
        p.lbo.map_or("-".into(), |o| format!("{:+.0}%", 100.0 * o)),
        if p.pareto { "yes" } else { "" }.into(),
        p.collections.clone(),
    ]
}

/// `points.csv`: one row per point.
pub fn csv(s: &SweepResults) -> String {
    let mut out = String::from(
        "workload,collector,setting,heap_factor,max_heap_bytes,wall_ns,wall_ci_low_ns,wall_ci_high_ns,gc_ns,peak_footprint_bytes,live_peak_bytes,space_overhead,lbo_overhead,pareto,ns_per_op,harness_ns_per_op\n",
    );
    for w in &s.workloads {
        for p in &w.points {
            let max_heap = p
                .config
                .iter()
                .find(|(k, _)| k == "max_heap")
                .map_or(String::new(), |(_, v)| v.clone());
            let fields = [
                w.workload.clone(),
                p.collector.clone(),
                p.setting.clone(),
                p.heap_factor.map_or(String::new(), |f| f.to_string()),
                max_heap,
                format!("{:.0}", p.wall.value),
                format!("{:.0}", p.wall.low),
                format!("{:.0}", p.wall.high),
                format!("{:.0}", p.gc.value),
                p.footprint_bytes.to_string(),
                p.live_bytes.to_string(),
                if p.live_bytes > 0 {
                    format!("{:.4}", p.footprint_bytes as f64 / p.live_bytes as f64)
                } else {
                    String::new()
                },
                p.lbo.map_or(String::new(), |o| format!("{o:.4}")),
                p.pareto.to_string(),
                format!("{:.2}", p.ns_per_op),
                p.harness_ns_per_op
                    .map_or(String::new(), |h| format!("{h:.2}")),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

/// `report.md`.
pub fn markdown(s: &SweepResults) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# gc-bench sweep: time against space\n");
    let _ = writeln!(
        out,
        "Produced by `{}` (gc-bench {}): scale {}, seed {}, {} repetition(s) per point in rounds of every point, each round in a random order (order seed {}), heap factors {:?}, generational threshold0 {:?}.\n",
        s.machine.command,
        s.version,
        s.scale,
        s.seed,
        s.repeat,
        s.order_seed,
        s.heap_factors,
        s.generational_thresholds
    );
    let _ = writeln!(out, "## Machine\n");
    let mut t = Table::new(&["", ""]);
    for (k, v) in s.machine.lines() {
        t.row(vec![k, format!("`{v}`")]);
    }
    out.push_str(&t.markdown());
    let _ = writeln!(
        out,
        "\n## Collector settings (besides what the sweep sets)\n"
    );
    let mut t = Table::new(&["collector", "settings"]);
    for c in &s.settings {
        let v: Vec<String> = c.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        t.row(vec![c.collector.clone(), format!("`{}`", v.join(" "))]);
    }
    out.push_str(&t.markdown());
    let _ = writeln!(out, "\n## Minimum heaps\n");
    let mut t = Table::new(&[
        "workload",
        "collector",
        "minimum heap MiB",
        "unbounded peak old MiB",
        "probes KiB",
    ]);
    for w in &s.workloads {
        for m in &w.min_heaps {
            t.row(vec![
                w.workload.clone(),
                m.collector.clone(),
                mib(m.bytes as f64),
                mib(m.unbounded_peak_old_bytes as f64),
                m.probes
                    .iter()
                    .map(|(b, ok)| {
                        format!("{:.1}{}", *b as f64 / 1024.0, if *ok { "✓" } else { "✗" })
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ]);
        }
    }
    out.push_str(&t.markdown());
    let _ = writeln!(
        out,
        "\nThe bisection stops when the bracket is narrower than {:.0} % of its upper end or {} KiB, whichever is larger.",
        super::BISECTION_TOLERANCE * 100.0,
        super::BISECTION_GRANULE / 1024
    );
    for w in &s.workloads {
        for m in &w.min_heaps {
            if m.unbounded_peak_old_bytes <= m.bytes {
                let _ = writeln!(
                    out,
                    "- {} on {}: the old generation never outgrew the minimum heap ({} bytes at most, unbounded), so no budget bound it: every heap factor ran the same collections.",
                    m.collector, w.workload, m.unbounded_peak_old_bytes
                );
            }
        }
    }
    let _ = writeln!(out, "\n## Points\n");
    out.push_str(&table(s).markdown());
    for w in &s.workloads {
        for f in &w.failures {
            let _ = writeln!(out, "- FAILED {}: {f}", w.workload);
        }
    }
    let _ = writeln!(out, "\n## Figures\n");
    for w in &s.workloads {
        let _ = writeln!(
            out,
            "### {0}\n\n![{0}: time against peak footprint]({0}.svg)\n",
            w.workload
        );
    }
    let _ = writeln!(
        out,
        "### Lower-bound overhead against heap factor\n\n![LBO against heap factor](lbo.svg)\n"
    );
    out.push_str(HOW_TO_READ);
    out
}

const HOW_TO_READ: &str = "## How to read this

- **Minimum heap**: for a collector that can honour a heap budget
  (`marksweep`: `max_heap`, the most bytes of old generation it may hold;
  its nursery comes on top), the smallest budget at which the workload
  completes without `OutOfMemory`, found by bisection (every probe a
  verified run; ✓ completed, ✗ ran out of memory) to within 1%. Each of
  its points then runs at a **heap factor** × that minimum, as in
  DaCapo's and MMTk's heap-factor sweeps (Blackburn et al. 2004): a
  collector at factor 1.25 has a quarter more room than it strictly
  needs, and usually collects far more often than at 6.
- A collector without a budget sweeps its own knob: `generational` its
  `threshold0` (how many net container allocations between generation-0
  collections), `refcount` and `null` have one point each.
- **Figures**: one per workload; every point at its peak footprint (the
  most bytes the collector held: its own layout, nursery and free space
  included) against its time. Filled circles are total (wall) time,
  hollow circles GC time (the sum of pauses), one colour per collector,
  lines joining a collector's settings in order of footprint. The black
  line and rings mark the **Pareto frontier** of wall time: the points
  no other point beats on both time and footprint. A point above and to
  the right of the frontier is dominated: some setting of some
  collector is both faster and smaller.
- **ns/op (harness)**: wall time per operation of the median run; in
  brackets the harness's own time per operation (the median over the
  repetitions), measured in each run's process after the run: the same
  operations through the same loop into a sink that keeps only handles
  and slots (an upper bound; `gc-bench run`'s report says more). What
  lies between the two is the collector's.
- **LBO** (lower-bound overhead; Cai, Blackburn et al., ISPASS 2022): the
  baseline is the least `wall − gc` over every collector and setting of
  the workload (an upper bound of an ideal collector's cost), and each
  point's overhead is `wall / baseline − 1`, a lower bound of its true GC
  overhead. Reference counting does its work inside the mutator's
  operations, not as GC time, so `refcount`'s (and `generational`'s
  counting) costs stay in its `wall − gc`: its overhead is a looser
  bound. `lbo.svg` plots it against the heap factor.
- **×live** is the space overhead: footprint ÷ the peak live size
  (reachable objects in the canonical layout: 16-byte header, 8 bytes
  per slot, payload).
- Times are medians over the repetitions, `±` half the 95% bootstrap
  confidence interval of the median (none below 3 repetitions). The
  repetitions run in rounds, every point once per round, each round in a
  random order, so that a drift of the machine does not masquerade as a
  trend along the heap factors.
- `marksweep`'s budget bounds its old generation only: its nursery
  (512 KiB by default) comes on top and is part of its footprint, so on
  a workload whose old generation is small the nursery dominates the
  footprint and the budget changes little; give it a smaller nursery
  (`--config nursery=128KB`) or a larger `--scale` to see the trade-off.
";

#[cfg(test)]
mod tests {
    use super::super::{Point, SweepResults, WorkloadSweep};
    use crate::estimate::Estimate;

    #[test]
    fn the_csv_has_one_aligned_row_per_point() {
        let e = |v| Estimate {
            value: v,
            low: v,
            high: v,
            n: 1,
        };
        let p = Point {
            collector: "marksweep".into(),
            setting: "max_heap=1.5×".into(),
            config: vec![("max_heap".into(), "3000".into())],
            heap_factor: Some(1.5),
            wall: e(10.0),
            gc: e(2.0),
            ns_per_op: 2.5,
            harness_ns_per_op: Some(1.0),
            footprint_bytes: 200,
            live_bytes: 100,
            collections: "minor:1".into(),
            lbo: Some(0.25),
            pareto: true,
            repetitions: Vec::new(),
        };
        let s = SweepResults {
            tool: "gc-bench sweep".into(),
            version: "0".into(),
            machine: crate::machine::Machine::default(),
            settings: Vec::new(),
            heap_factors: vec![1.5],
            generational_thresholds: Vec::new(),
            repeat: 1,
            order_seed: 1,
            scale: 1.0,
            seed: 1,
            workloads: vec![WorkloadSweep {
                workload: "w".into(),
                parameter: String::new(),
                min_heaps: Vec::new(),
                points: vec![p],
                failures: Vec::new(),
            }],
        };
        let text = super::csv(&s);
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].len(), rows[1].len());
        assert_eq!(
            rows[1],
            [
                "w",
                "marksweep",
                "max_heap=1.5×",
                "1.5",
                "3000",
                "10",
                "10",
                "10",
                "2",
                "200",
                "100",
                "2.0000",
                "0.2500",
                "true",
                "2.50",
                "1.00"
            ]
        );
        let md = super::markdown(&s);
        assert!(md.contains("![w: time against peak footprint](w.svg)"));
        assert!(md.contains("| w | marksweep | max_heap=1.5× | 0.0 | 0.0 | 2.5 (1.0) | 0.00 (2.00×) | +25% | yes | minor:1 |"), "{md}");
    }
}
