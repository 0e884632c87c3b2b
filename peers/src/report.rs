//! Cells, medians and the two output formats.

use serde::Serialize;

use crate::contenders::{Contender, Sample};
use crate::workload::Workload;

/// One cell of the table: a workload on a contender.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The workload.
    pub workload: String,
    /// The contender.
    pub contender: String,
    /// Its per-object header, in bytes.
    pub header_bytes: usize,
    /// Successful runs.
    pub runs: usize,
    /// Median wall time.
    pub median_ms: Option<f64>,
    /// Fastest run.
    pub min_ms: Option<f64>,
    /// Slowest run.
    pub max_ms: Option<f64>,
    /// (slowest − fastest) / median, in percent.
    pub spread_pct: Option<f64>,
    /// Median / `rc`'s median.
    pub ratio_to_rc: Option<f64>,
    /// Median time in collections (Python runtimes: as they report it;
    /// ours: the sum of their collections' pauses).
    pub gc_ms: Option<f64>,
    /// The largest of the runs' minor-pause p99s (`marksweep`).
    pub minor_p99_ms: Option<f64>,
    /// The check value.
    pub check: Option<u64>,
    /// `ok`, `skipped`, `failed` or `check-mismatch`.
    pub status: String,
    /// What to know when reading the row.
    pub note: String,
}

/// The median of `xs` (not empty).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What happened to one cell over the rounds.
#[derive(Debug, Default)]
pub struct Cell {
    /// The successful runs.
    pub samples: Vec<Sample>,
    /// Why the cell was not (or no longer) run.
    pub error: Option<String>,
    /// The cell was skipped: its runtime is missing.
    pub skipped: bool,
}

/// Builds the row of a cell; `expected` is the check every run must give.
pub fn row(w: Workload, c: Contender, cell: &Cell, expected: Option<u64>) -> Row {
    let times: Vec<f64> = cell.samples.iter().map(|s| s.ms).collect();
    let med = (!times.is_empty()).then(|| median(&times));
    let min = times.iter().copied().reduce(f64::min);
    let max = times.iter().copied().reduce(f64::max);
    let gcs: Vec<f64> = cell
        .samples
        .iter()
        .filter_map(|s| s.outcome.gc_ms)
        .collect();
    let check = cell.samples.first().map(|s| s.outcome.check);
    let mismatch = cell
        .samples
        .iter()
        .map(|s| s.outcome.check)
        .find(|&got| expected.is_some_and(|e| e != got));
    let mut note = cell
        .samples
        .last()
        .and_then(|s| s.outcome.note.clone())
        .unwrap_or_default();
    let status = if cell.skipped {
        note = cell.error.clone().unwrap_or_default();
        "skipped"
    } else if let Some(got) = mismatch {
        note = format!(
            "CHECK MISMATCH: {got}, expected {}",
            expected.unwrap_or_default()
        );
        "check-mismatch"
    } else if let Some(e) = &cell.error {
        note = e.clone();
        "failed"
    } else {
        "ok"
    };
    Row {
        workload: w.name().to_owned(),
        contender: c.name().to_owned(),
        header_bytes: c.header_bytes(),
        runs: times.len(),
        median_ms: med,
        min_ms: min,
        max_ms: max,
        spread_pct: med.and_then(|m| Some((max? - min?) / m * 100.0)),
        ratio_to_rc: None,
        gc_ms: (!gcs.is_empty()).then(|| median(&gcs)),
        minor_p99_ms: cell
            .samples
            .iter()
            .filter_map(|s| s.outcome.minor_p99_ms)
            .reduce(f64::max),
        check,
        status: status.to_owned(),
        note,
    }
}

/// Fills in every row's ratio to `rc`'s row of the same workload.
pub fn add_ratios(rows: &mut [Row]) {
    let rc: Vec<(String, f64)> = rows
        .iter()
        .filter(|r| r.contender == "rc" && r.status == "ok")
        .filter_map(|r| Some((r.workload.clone(), r.median_ms?)))
        .collect();
    for r in rows.iter_mut() {
        let base = rc.iter().find(|(w, _)| *w == r.workload).map(|x| x.1);
        r.ratio_to_rc = match (r.median_ms, base) {
            (Some(m), Some(b)) if b > 0.0 && r.status == "ok" => Some(m / b),
            _ => None,
        };
    }
}

fn ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The table, as Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| workload | contender | header B | median ms | spread (min–max ms) | × rc | GC ms | minor p99 ms | note |\n\
         | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |\n",
    );
    for r in rows {
        let (median, spread) = match (r.median_ms, r.min_ms, r.max_ms, r.spread_pct) {
            (Some(m), Some(lo), Some(hi), Some(p)) if r.status == "ok" => {
                (ms(m), format!("±{:.0}% ({}–{})", p / 2.0, ms(lo), ms(hi)))
            }
            _ => ("–".to_owned(), "–".to_owned()),
        };
        let ratio = r.ratio_to_rc.map_or("–".to_owned(), |x| format!("{x:.2}"));
        let gc = r.gc_ms.map_or("–".to_owned(), ms);
        let minor = r.minor_p99_ms.map_or("–".to_owned(), ms);
        let note = match r.status.as_str() {
            "ok" => r.note.clone(),
            s => format!("**{s}**: {}", r.note),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.workload, r.contender, r.header_bytes, median, spread, ratio, gc, minor, note
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
