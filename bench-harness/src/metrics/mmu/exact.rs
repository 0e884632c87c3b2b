//! The exact MMU from every pause of a run, as the harness computed it
//! before it streamed: the test oracle of the streaming MMU.

/// Pauses `(end, length)` laid out as disjoint, sorted intervals
/// `[start, end)` within `[0, total]` (pause ends are observed just after
/// the operation that collected, so neighbours are clipped rather than
/// overlapped).
fn intervals(pauses: &[(u64, u64)], total_ns: u64) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = Vec::with_capacity(pauses.len());
    let mut last_end = 0;
    let mut sorted = pauses.to_vec();
    sorted.sort_by_key(|p| p.0);
    for (end, len) in sorted {
        let end = end.min(total_ns).max(last_end);
        let start = end.saturating_sub(len).max(last_end);
        if end > start {
            v.push((start, end));
        }
        last_end = end;
    }
    v
}

/// Collection time in `[0, t)` given disjoint sorted intervals and their
/// prefix sums.
fn gc_before(iv: &[(u64, u64)], prefix: &[u64], t: u64) -> u64 {
    // Intervals starting before t.
    let n = iv.partition_point(|&(s, _)| s < t);
    if n == 0 {
        return 0;
    }
    let (s, e) = iv[n - 1];
    prefix[n - 1] + (e.min(t) - s)
}

/// MMU at `window_ns` for a run of `total_ns` (None when the window is
/// longer than the run).
pub fn mmu(pauses: &[(u64, u64)], total_ns: u64, window_ns: u64) -> Option<f64> {
    if window_ns == 0 || window_ns > total_ns {
        return None;
    }
    let iv = intervals(pauses, total_ns);
    if iv.is_empty() {
        return Some(1.0);
    }
    let mut prefix = Vec::with_capacity(iv.len());
    let mut acc = 0;
    for &(s, e) in &iv {
        prefix.push(acc);
        acc += e - s;
    }
    let last_start = total_ns - window_ns;
    let mut worst = 0u64;
    for &(s, e) in &iv {
        // The worst window starts at a pause's start or ends at a pause's end.
        for start in [
            s.min(last_start),
            e.saturating_sub(window_ns).min(last_start),
        ] {
            let gc = gc_before(&iv, &prefix, start + window_ns) - gc_before(&iv, &prefix, start);
            worst = worst.max(gc);
        }
    }
    Some(1.0 - worst.min(window_ns) as f64 / window_ns as f64)
}

/// The exact curve `(window, MMU)` at these windows (in increasing order), up to the run's
/// length.
pub fn mmu_curve(
    pauses: &[(u64, u64)],
    total_ns: u64,
    windows: impl IntoIterator<Item = u64>,
) -> Vec<(u64, f64)> {
    windows
        .into_iter()
        .map_while(|w| mmu(pauses, total_ns, w).map(|m| (w, m)))
        .collect()
}
