//! SVG plots of a set of results (plotters, SVG backend only: text is
//! written as SVG `<text>`, so no font is loaded at run time and the viewer
//! renders it with its own sans-serif font).
//!
//! Four figures, each a grid with one panel per workload (the first seed of
//! each workload × collector), one colour per collector, a legend and
//! labelled axes with units:
//!
//! - `pauses.svg`: pause-time distribution (count per power-of-two bucket);
//! - `mmu.svg`: minimum mutator utilisation against the window size;
//! - `heap.svg`: live objects over the run (payload bytes would show
//!   nothing for workloads of pointer-only objects such as binary trees);
//! - `throughput.svg`: operations per second, as bars, relative to the null
//!   collector when it ran (absolute otherwise);
//! - `space.svg`: space overhead, peak footprint ÷ peak live size, as bars;
//! - `memory.svg`: peak footprint as bars, peak live size as a line.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::results::{Metrics, RunResult};

/// A collector's colour, the same in every figure.
pub fn colour(collector: &str) -> RGBColor {
    match collector {
        "null" => RGBColor(120, 120, 120),
        "refcount" => RGBColor(31, 119, 180),
        "generational" => RGBColor(255, 127, 14),
        "marksweep" => RGBColor(44, 160, 44),
        _ => RGBColor(148, 103, 189),
    }
}

/// The stroke of a collector's line: the earlier in the report order, the
/// wider, so that curves lying on top of each other (several collectors at
/// MMU 1, say) still show every colour.
fn stroke(collectors: &[&str], c: &str) -> ShapeStyle {
    let i = collectors.iter().position(|x| *x == c).unwrap_or(0);
    let width = 2 + (collectors.len().saturating_sub(i + 1)) as u32;
    colour(c).stroke_width(width)
}

/// Workloads in first-seen order, each with its runs (first seed per
/// collector, successful runs only), collectors in first-seen order.
struct Panels<'a> {
    workloads: Vec<(&'a str, Vec<(&'a str, &'a Metrics)>)>,
    collectors: Vec<&'a str>,
}

fn panels(runs: &[RunResult]) -> Panels<'_> {
    let mut workloads: Vec<(&str, Vec<(&str, &Metrics)>)> = Vec::new();
    let mut collectors: Vec<&str> = Vec::new();
    for r in runs {
        let Some(m) = &r.metrics else { continue };
        if !collectors.contains(&r.collector.as_str()) {
            collectors.push(&r.collector);
        }
        let at = match workloads.iter().position(|(w, _)| *w == r.workload) {
            Some(i) => i,
            None => {
                workloads.push((&r.workload, Vec::new()));
                workloads.len() - 1
            }
        };
        let list = &mut workloads[at].1;
        if !list.iter().any(|(c, _)| *c == r.collector) {
            list.push((&r.collector, m));
        }
    }
    Panels {
        workloads,
        collectors,
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type PlotResult = Result<(), Box<dyn std::error::Error>>;
/// Draws one workload's panel from its runs (collector, metrics).
type PanelFn<'p> = &'p dyn Fn(&Area<'_>, &str, &[(&str, &Metrics)]) -> PlotResult;

/// Draws a grid figure: a title, a legend row, and one panel per workload.
fn grid(title: &str, p: &Panels<'_>, panel: PanelFn<'_>) -> Result<String, String> {
    let n = p.workloads.len().max(1);
    let cols = n.clamp(1, 3);
    let rows = n.div_ceil(cols);
    let (w, h) = (420 * cols as u32, 110 + 320 * rows as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        let draw = || -> PlotResult {
            root.fill(&WHITE)?;
            let (head, body) = root.split_vertically(110);
            head.draw(&Text::new(
                title.to_owned(),
                (20, 12),
                ("sans-serif", 22).into_font().color(&BLACK),
            ))?;
            legend(&head, &p.collectors)?;
            let cells = body.split_evenly((rows, cols));
            for ((name, runs), cell) in p.workloads.iter().zip(cells.iter()) {
                panel(cell, name, runs)?;
            }
            root.present()?;
            Ok(())
        };
        draw().map_err(|e| format!("cannot draw {title}: {e}"))?;
    }
    Ok(svg)
}

fn legend(area: &Area<'_>, collectors: &[&str]) -> PlotResult {
    let mut x = 20;
    for c in collectors {
        area.draw(&Rectangle::new([(x, 62), (x + 28, 74)], colour(c).filled()))?;
        area.draw(&Text::new(
            (*c).to_owned(),
            (x + 36, 60),
            ("sans-serif", 16).into_font().color(&BLACK),
        ))?;
        x += 60 + 10 * c.len() as i32;
    }
    Ok(())
}

fn no_data(area: &Area<'_>, name: &str, why: &str) -> PlotResult {
    area.draw(&Text::new(
        format!("{name}: {why}"),
        (20, 140),
        ("sans-serif", 14).into_font().color(&BLACK),
    ))?;
    Ok(())
}

/// Pause distribution: pause time (log) against number of pauses.
pub fn pauses(runs: &[RunResult]) -> Result<String, String> {
    let p = panels(runs);
    grid(
        "Pause-time distribution (pauses per power-of-two bucket)",
        &p,
        &|area, name, runs| {
            let series: Vec<(&str, Vec<(f64, f64)>)> = runs
                .iter()
                .filter(|(_, m)| m.pauses.count > 0)
                .map(|(c, m)| {
                    // Every bucket from the first to the last, empty ones
                    // at 0, so a line never bridges a gap.
                    let h = &m.pause_histogram;
                    let (first, last) = (h[0].0, h[h.len() - 1].0);
                    let mut pts = Vec::new();
                    let mut lo = first;
                    while lo <= last {
                        let n = h.iter().find(|b| b.0 == lo).map_or(0, |b| b.1);
                        pts.push((lo as f64 * 1.5 / 1000.0, n as f64));
                        lo *= 2;
                    }
                    (*c, pts)
                })
                .collect();
            if series.is_empty() {
                return no_data(area, name, "no collections");
            }
            let xs = series.iter().flat_map(|(_, s)| s.iter().map(|p| p.0));
            let (lo, hi) = xs.fold((f64::MAX, 0f64), |(a, b), x| (a.min(x), b.max(x)));
            let ymax = series
                .iter()
                .flat_map(|(_, s)| s.iter().map(|p| p.1))
                .fold(1f64, f64::max);
            let mut chart = ChartBuilder::on(area)
                .caption(name, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d(
                    ((lo / 2.0).max(1e-4)..hi * 2.0).log_scale(),
                    0f64..ymax * 1.1,
                )
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("pause (µs, log scale)")
                .y_desc("pauses")
                .x_labels(6)
                .y_labels(5)
                .x_label_formatter(&|v| short(*v))
                .y_label_formatter(&|v| short(*v))
                .draw()?;
            for (c, pts) in series {
                let col = colour(c);
                chart.draw_series(LineSeries::new(pts.clone(), col.stroke_width(2)))?;
                chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, col.filled())))?;
            }
            Ok(())
        },
    )
}

/// MMU curves: window (log) against minimum mutator utilisation.
pub fn mmu(runs: &[RunResult]) -> Result<String, String> {
    let p = panels(runs);
    let order = p.collectors.clone();
    grid(
        "Minimum mutator utilisation (higher is better)",
        &p,
        &|area, name, runs| {
            let series: Vec<(&str, Vec<(f64, f64)>)> = runs
                .iter()
                .filter(|(_, m)| !m.mmu.is_empty())
                .map(|(c, m)| {
                    let pts = m
                        .mmu
                        .iter()
                        .map(|p| (p.window_ns as f64 / 1e6, p.mmu))
                        .collect();
                    (*c, pts)
                })
                .collect();
            if series.is_empty() {
                return no_data(area, name, "run too short for a 10 µs window");
            }
            let hi = series
                .iter()
                .flat_map(|(_, s)| s.iter().map(|p| p.0))
                .fold(0.01f64, f64::max);
            let mut chart = ChartBuilder::on(area)
                .caption(name, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d((0.01f64..hi * 1.2).log_scale(), 0f64..1.05f64)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("window (ms, log scale)")
                .y_desc("MMU (fraction)")
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|v| short(*v))
                .draw()?;
            for (c, pts) in series {
                chart.draw_series(LineSeries::new(pts, stroke(&order, c)))?;
            }
            Ok(())
        },
    )
}

/// Live heap over time.
pub fn heap(runs: &[RunResult]) -> Result<String, String> {
    let p = panels(runs);
    let order = p.collectors.clone();
    grid(
        "Live heap over the run (objects allocated and not yet freed)",
        &p,
        &|area, name, runs| {
            let series: Vec<(&str, Vec<(f64, f64)>)> = runs
                .iter()
                .map(|(c, m)| {
                    let pts = m
                        .heap
                        .iter()
                        .map(|&(t, _, objects)| (t as f64 / 1e6, objects as f64 / 1000.0))
                        .collect();
                    (*c, pts)
                })
                .collect();
            let xmax = series
                .iter()
                .flat_map(|(_, s)| s.iter().map(|p| p.0))
                .fold(1e-3f64, f64::max);
            let ymax = series
                .iter()
                .flat_map(|(_, s)| s.iter().map(|p| p.1))
                .fold(1e-3f64, f64::max);
            let mut chart = ChartBuilder::on(area)
                .caption(name, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d(0f64..xmax * 1.02, 0f64..ymax * 1.1)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("time (ms)")
                .y_desc("live objects (thousands)")
                .x_labels(6)
                .y_labels(5)
                .x_label_formatter(&|v| short(*v))
                .y_label_formatter(&|v| short(*v))
                .draw()?;
            for (c, pts) in series {
                chart.draw_series(LineSeries::new(pts, stroke(&order, c)))?;
            }
            Ok(())
        },
    )
}

/// Throughput bars: per workload, one bar per collector.
pub fn throughput(runs: &[RunResult]) -> Result<String, String> {
    let p = panels(runs);
    let null: BTreeMap<&str, f64> = p
        .workloads
        .iter()
        .filter_map(|(w, rs)| {
            rs.iter()
                .find(|(c, _)| *c == "null")
                .map(|(_, m)| (*w, m.ops_per_sec))
        })
        .collect();
    let relative = !null.is_empty();
    let value = |w: &str, m: &Metrics| -> Option<f64> {
        if relative {
            null.get(w).map(|n| m.ops_per_sec / n)
        } else {
            Some(m.ops_per_sec / 1e6)
        }
    };
    let bars = Bars {
        title: if relative {
            "Throughput relative to the null collector (operations/s ÷ null's; higher is better)"
        } else {
            "Throughput (million operations per second; higher is better)"
        },
        y_desc: if relative {
            "ops/s ÷ null's ops/s"
        } else {
            "million ops/s"
        },
        reference: relative.then_some(1.0),
        marks: Vec::new(),
    };
    bar_figure(&p, &bars, &value).map_err(|e| format!("cannot draw the throughput figure: {e}"))
}

/// Space overhead bars: per workload, one bar per collector, its peak
/// footprint ÷ the peak live size (canonical bytes); 1 is marked.
pub fn space(runs: &[RunResult]) -> Result<String, String> {
    let p = panels(runs);
    let bars = Bars {
        title: "Space overhead: peak footprint ÷ peak live size (lower is better)",
        y_desc: "footprint ÷ live size",
        reference: Some(1.0),
        marks: Vec::new(),
    };
    bar_figure(&p, &bars, &|_, m: &Metrics| m.space_overhead())
        .map_err(|e| format!("cannot draw the space figure: {e}"))
}

/// Peak footprint bars: per workload, one bar per collector, in MiB, with
/// the workload's peak live size (canonical bytes, the same for every
/// collector) as a black line across its group.
pub fn memory(runs: &[RunResult]) -> Result<String, String> {
    let p = panels(runs);
    let marks = p
        .workloads
        .iter()
        .enumerate()
        .filter_map(|(i, (_, rs))| {
            let live = rs.iter().find_map(|(_, m)| m.live.as_ref())?;
            Some((i, live.peak_bytes as f64 / (1024.0 * 1024.0)))
        })
        .collect();
    let bars = Bars {
        title: "Peak footprint per collector (bars) and peak live size (black line), MiB",
        y_desc: "MiB",
        reference: None,
        marks,
    };
    bar_figure(&p, &bars, &|_, m: &Metrics| {
        (m.peak_footprint_bytes > 0).then(|| m.peak_footprint_bytes as f64 / (1024.0 * 1024.0))
    })
    .map_err(|e| format!("cannot draw the memory figure: {e}"))
}

/// What a bar figure shows.
struct Bars {
    title: &'static str,
    y_desc: &'static str,
    /// A horizontal reference line (1 for ratios).
    reference: Option<f64>,
    /// A line across one workload's group: (workload index, value).
    marks: Vec<(usize, f64)>,
}

/// One bar per workload × collector with a value.
fn bar_figure(
    p: &Panels<'_>,
    bars: &Bars,
    value: &dyn Fn(&str, &Metrics) -> Option<f64>,
) -> Result<String, Box<dyn std::error::Error>> {
    let ymax = p
        .workloads
        .iter()
        .flat_map(|(w, rs)| rs.iter().filter_map(|(_, m)| value(w, m)))
        .fold(bars.reference.unwrap_or(0.001), f64::max)
        .max(bars.marks.iter().map(|m| m.1).fold(0.0, f64::max));
    let n = p.workloads.len().max(1);
    let width = (160 * n as u32).max(700);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let (head, body) = root.split_vertically(90);
        head.draw(&Text::new(
            bars.title,
            (20, 12),
            ("sans-serif", 20).into_font().color(&BLACK),
        ))?;
        legend(&head, &p.collectors)?;
        let names: Vec<&str> = p.workloads.iter().map(|(w, _)| *w).collect();
        let mut chart = ChartBuilder::on(&body)
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..n as f64, 0f64..ymax * 1.1)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|v| {
                let i = (v - 0.5).round();
                if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].to_owned()
                } else {
                    String::new()
                }
            })
            .x_desc("workload")
            .y_desc(bars.y_desc)
            .y_label_formatter(&|v| short(*v))
            .draw()?;
        let k = p.collectors.len().max(1) as f64;
        for (i, (w, rs)) in p.workloads.iter().enumerate() {
            for (j, c) in p.collectors.iter().enumerate() {
                let Some((_, m)) = rs.iter().find(|(rc, _)| rc == c) else {
                    continue;
                };
                let Some(v) = value(w, m) else { continue };
                let x0 = i as f64 + 0.1 + 0.8 * j as f64 / k;
                let x1 = x0 + 0.8 / k;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x1, v)],
                    colour(c).filled(),
                )))?;
            }
        }
        for &(i, v) in &bars.marks {
            chart.draw_series(LineSeries::new(
                [(i as f64 + 0.05, v), (i as f64 + 0.95, v)],
                BLACK.stroke_width(3),
            ))?;
        }
        if let Some(r) = bars.reference {
            chart.draw_series(LineSeries::new(
                [(0.0, r), (n as f64, r)],
                BLACK.stroke_width(1),
            ))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// A short axis label: 3 significant digits without trailing zeros.
fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    let s = if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_labels() {
        assert_eq!(short(0.0), "0");
        assert_eq!(short(1500.0), "1500");
        assert_eq!(short(12.34), "12.3");
        assert_eq!(short(1.0), "1");
        assert_eq!(short(0.05), "0.05");
    }
}
