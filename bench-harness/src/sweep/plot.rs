//! A sweep's figures: one per workload (time against peak footprint,
//! every collector on the same axes, the Pareto frontier marked), and the
//! lower-bound overhead against the heap factor.

use plotters::prelude::*;

use super::{SweepResults, WorkloadSweep};
use crate::plots::colour;

type DrawResult = Result<(), Box<dyn std::error::Error>>;

const MIB: f64 = 1024.0 * 1024.0;

/// The figure of one workload, as SVG text.
pub fn workload(w: &WorkloadSweep) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 620)).into_drawing_area();
        let draw = || -> DrawResult {
            root.fill(&WHITE)?;
            let xs = w.points.iter().map(|p| p.footprint_bytes as f64 / MIB);
            let xmax = xs.clone().fold(1e-3f64, f64::max);
            let xmin = xs.fold(f64::INFINITY, f64::min).min(xmax);
            let ymax = w
                .points
                .iter()
                .map(|p| p.wall.value / 1e6)
                .fold(1e-3f64, f64::max);
            let pad = (xmax - xmin).max(xmax * 0.05);
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!(
                        "{}: total time (filled) and GC time (hollow) against peak footprint",
                        w.workload
                    ),
                    ("sans-serif", 18),
                )
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(65)
                .build_cartesian_2d(
                    (xmin - 0.08 * pad).max(0.0)..xmax + 0.08 * pad,
                    0f64..ymax * 1.1,
                )?;
            chart
                .configure_mesh()
                .x_desc("peak footprint (MiB)")
                .y_desc("time (ms)")
                .draw()?;
            let mut collectors: Vec<&str> = Vec::new();
            for p in &w.points {
                if !collectors.contains(&p.collector.as_str()) {
                    collectors.push(&p.collector);
                }
            }
            for c in &collectors {
                let mut pts: Vec<(f64, f64, f64)> = w
                    .points
                    .iter()
                    .filter(|p| p.collector == *c)
                    .map(|p| {
                        (
                            p.footprint_bytes as f64 / MIB,
                            p.wall.value / 1e6,
                            p.gc.value / 1e6,
                        )
                    })
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let col = colour(c);
                chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|p| (p.0, p.1)),
                        col.stroke_width(2),
                    ))?
                    .label(*c)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 20, y + 5)], col.filled())
                    });
                chart.draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0, p.2)),
                    col.stroke_width(1),
                ))?;
                chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 5, col.filled())))?;
                chart.draw_series(
                    pts.iter()
                        .map(|p| Circle::new((p.0, p.2), 5, col.stroke_width(2))),
                )?;
            }
            let mut frontier: Vec<(f64, f64)> = w
                .points
                .iter()
                .filter(|p| p.pareto)
                .map(|p| (p.footprint_bytes as f64 / MIB, p.wall.value / 1e6))
                .collect();
            frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(frontier.clone(), BLACK.stroke_width(1)))?
                .label("Pareto frontier (wall time)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
            chart.draw_series(
                frontier
                    .iter()
                    .map(|p| Circle::new(*p, 9, BLACK.stroke_width(1))),
            )?;
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
            root.present()?;
            Ok(())
        };
        draw().map_err(|e| format!("cannot draw the sweep figure of {}: {e}", w.workload))?;
    }
    Ok(svg)
}

/// A workload's colour in the LBO figure.
fn palette(i: usize) -> RGBColor {
    const P: [RGBColor; 6] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(255, 127, 14),
    ];
    P[i % P.len()]
}

/// The lower-bound overhead of every budgeted point against its heap
/// factor, one line per workload and budgeted collector.
pub fn lbo(s: &SweepResults) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        let draw = || -> DrawResult {
            root.fill(&WHITE)?;
            let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
            for w in &s.workloads {
                let mut by: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
                for p in &w.points {
                    let (Some(f), Some(o)) = (p.heap_factor, p.lbo) else {
                        continue;
                    };
                    let name = format!("{} / {}", w.workload, p.collector);
                    match by.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, v)) => v.push((f, 100.0 * o)),
                        None => by.push((name, vec![(f, 100.0 * o)])),
                    }
                }
                lines.extend(by);
            }
            let xmax = lines
                .iter()
                .flat_map(|(_, v)| v.iter().map(|p| p.0))
                .fold(1.5f64, f64::max);
            let ymax = lines
                .iter()
                .flat_map(|(_, v)| v.iter().map(|p| p.1))
                .fold(1.0f64, f64::max);
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    "Lower-bound overhead against heap factor (budgeted collectors)",
                    ("sans-serif", 18),
                )
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(65)
                .build_cartesian_2d(1f64..xmax * 1.05, 0f64..ymax * 1.1)?;
            chart
                .configure_mesh()
                .x_desc("heap factor (budget ÷ minimum heap)")
                .y_desc("LBO (%)")
                .draw()?;
            for (i, (name, mut v)) in lines.into_iter().enumerate() {
                v.sort_by(|a, b| a.0.total_cmp(&b.0));
                let col = palette(i);
                chart
                    .draw_series(LineSeries::new(v.clone(), col.stroke_width(2)))?
                    .label(name)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 20, y + 5)], col.filled())
                    });
                chart.draw_series(v.into_iter().map(|p| Circle::new(p, 4, col.filled())))?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
            root.present()?;
            Ok(())
        };
        draw().map_err(|e| format!("cannot draw the LBO figure: {e}"))?;
    }
    Ok(svg)
}
