//! Minimum mutator utilisation computed as the pauses arrive, in memory
//! fixed in advance whatever the run's length.
//!
//! Each window size `w` of the curve cuts the run's clock into ticks of
//! `w / TICKS` and keeps the collection time of the ticks of its latest
//! window only (at most `TICKS + 1` spans of ticks); the worst window is
//! the largest sum over `TICKS` consecutive ticks, looked at each time a
//! pause ends. Windows that start on a tick boundary are real windows, and
//! any window lies within one of them plus one more tick, so the worst
//! collection time found is exact to within one tick: the MMU reported is
//! at least the exact one and at most `1 / TICKS` (0.001) above it. It is
//! exact when every pause starts and ends on a tick boundary (a multiple
//! of `w / TICKS`), and when a single pause covers the window (MMU 0).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Ticks per window: the resolution of the streaming MMU. The MMU of a
/// window is reported at most `1 / TICKS` above the exact value.
pub const TICKS: u64 = 1000;

/// The windows of the MMU curve: 10 µs × 10^(k/4), four per decade and
/// exact at the decades (1 ms, 10 ms, …), up to 10^14 ns (about 28 hours;
/// a curve never goes past the run's length).
pub fn curve_windows() -> impl Iterator<Item = u64> {
    (0..=40).map(|k| (10_000f64 * 10f64.powf(f64::from(k) / 4.0)).round() as u64)
}

/// Minimum mutator utilisation at one window size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MmuPoint {
    /// The window, in nanoseconds.
    pub window_ns: u64,
    /// The smallest fraction of any window of that size left to the
    /// mutator (1 = never paused, 0 = some window was all collection),
    /// computed as the pauses arrive: at most 0.001 above the exact value
    /// (the module's documentation says why).
    pub mmu: f64,
}

/// Collection time in the consecutive ticks `first..=last`, `per_tick` in
/// each, in units of `1 / TICKS` ns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    first: u64,
    last: u64,
    per_tick: u64,
}

impl Span {
    fn total(&self) -> u64 {
        (self.last - self.first + 1) * self.per_tick
    }
}

/// The worst window of one size, as pauses arrive.
///
/// Times inside are in units of `1 / TICKS` ns, so that a tick is
/// `window_ns` units long and a window `window_ns × TICKS` units (runs up
/// to 200 days are represented exactly).
#[derive(Clone, Debug)]
struct WindowMmu {
    window_ns: u64,
    /// Collection time of the ticks of the latest window: disjoint spans
    /// in order (never more than `TICKS + 1`).
    spans: VecDeque<Span>,
    /// Their sum.
    sum: u64,
    /// The most collection time found in a window.
    worst: u64,
}

impl WindowMmu {
    fn new(window_ns: u64) -> WindowMmu {
        WindowMmu {
            window_ns: window_ns.max(1),
            spans: VecDeque::with_capacity(TICKS as usize + 1),
            sum: 0,
            worst: 0,
        }
    }

    /// A window's length in units.
    fn full(&self) -> u64 {
        self.window_ns.saturating_mul(TICKS)
    }

    /// Collection over `[start_ns, end_ns)`, after every earlier one.
    fn add(&mut self, start_ns: u64, end_ns: u64) {
        if self.worst >= self.full() || end_ns <= start_ns {
            return;
        }
        if end_ns - start_ns >= self.window_ns {
            // A window inside this pause is all collection.
            self.worst = self.full();
            return;
        }
        let w = self.window_ns;
        let (s, e) = (start_ns.saturating_mul(TICKS), end_ns.saturating_mul(TICKS));
        let (a, b) = (s / w, (e - 1) / w);
        if a == b {
            self.push(a, a, e - s);
        } else {
            // Windows ending in a..b-1 only grow (each adds a full tick),
            // so b-1 stands for them.
            self.push(a, a, (a + 1) * w - s);
            if b > a + 1 {
                self.push(a + 1, b - 1, w);
            }
            self.look(b - 1);
            self.push(b, b, e - b * w);
        }
        self.look(b);
    }

    /// Forgets the ticks before the window that ends with tick `last`.
    fn trim(&mut self, last: u64) {
        let first = (last + 1).saturating_sub(TICKS);
        while let Some(front) = self.spans.front_mut() {
            if front.last < first {
                self.sum -= front.total();
                self.spans.pop_front();
            } else {
                if front.first < first {
                    self.sum -= (first - front.first) * front.per_tick;
                    front.first = first;
                }
                break;
            }
        }
    }

    /// Appends collection time to ticks `first..=last` (a single tick may
    /// be the last one already held: the end of the previous pause).
    fn push(&mut self, first: u64, last: u64, per_tick: u64) {
        self.trim(last);
        let first = first.max((last + 1).saturating_sub(TICKS));
        let span = Span {
            first,
            last,
            per_tick,
        };
        self.sum += span.total();
        match self.spans.back_mut() {
            Some(back) if back.last == first && first == last => {
                if back.first == back.last {
                    back.per_tick += per_tick;
                } else {
                    // Split a run of full ticks (not produced by `add`,
                    // whose runs are always followed by a single tick).
                    back.last -= 1;
                    let merged = Span {
                        per_tick: back.per_tick + per_tick,
                        ..span
                    };
                    self.spans.push_back(merged);
                }
            }
            _ => self.spans.push_back(span),
        }
    }

    /// Looks at the window that ends with tick `last`.
    fn look(&mut self, last: u64) {
        self.trim(last);
        self.worst = self.worst.max(self.sum);
    }

    fn mmu(&self) -> f64 {
        1.0 - self.worst.min(self.full()) as f64 / self.full() as f64
    }

    /// Bytes held.
    fn footprint(&self) -> usize {
        self.spans.capacity() * std::mem::size_of::<Span>()
    }
}

/// The MMU at a fixed set of window sizes, as pauses arrive.
#[derive(Clone, Debug)]
pub struct StreamingMmu {
    windows: Vec<WindowMmu>,
    /// The end of the latest pause.
    last_end: u64,
}

impl Default for StreamingMmu {
    fn default() -> Self {
        StreamingMmu::with_windows(curve_windows())
    }
}

impl StreamingMmu {
    /// For these window sizes (in increasing order), in nanoseconds.
    pub fn with_windows(windows: impl IntoIterator<Item = u64>) -> StreamingMmu {
        StreamingMmu {
            windows: windows.into_iter().map(WindowMmu::new).collect(),
            last_end: 0,
        }
    }

    /// A pause of `len_ns` that ended at `end_ns` on the run's clock.
    /// Pauses are given in the order they ended; one that overlaps the
    /// previous one is clipped to start where it ended (pause ends are
    /// observed just after the operation that collected).
    pub fn add(&mut self, end_ns: u64, len_ns: u64) {
        let end = end_ns.max(self.last_end);
        let start = end.saturating_sub(len_ns).max(self.last_end);
        self.last_end = end;
        if end > start {
            for w in &mut self.windows {
                w.add(start, end);
            }
        }
    }

    /// The curve for a run of `total_ns`: every window no longer than the
    /// run (the pauses are expected to end within it).
    pub fn curve(&self, total_ns: u64) -> Vec<MmuPoint> {
        self.windows
            .iter()
            .take_while(|w| w.window_ns <= total_ns)
            .map(|w| MmuPoint {
                window_ns: w.window_ns,
                mmu: w.mmu(),
            })
            .collect()
    }

    /// Bytes held on the heap (allocated capacity, fixed at creation).
    pub fn footprint(&self) -> usize {
        self.windows.capacity() * std::mem::size_of::<WindowMmu>()
            + self.windows.iter().map(WindowMmu::footprint).sum::<usize>()
    }
}

#[cfg(test)]
mod exact;

#[cfg(test)]
mod tests {
    use super::exact;
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The streaming MMU of `pauses` (end, length) at one window.
    fn streaming(pauses: &[(u64, u64)], total_ns: u64, window_ns: u64) -> Option<f64> {
        let mut m = StreamingMmu::with_windows([window_ns]);
        for &(end, len) in pauses {
            m.add(end, len);
        }
        m.curve(total_ns).first().map(|p| p.mmu)
    }

    #[test]
    fn known_pause_patterns_are_exact() {
        for mmu in [exact::mmu, streaming] {
            // No pauses: the mutator always runs.
            assert_eq!(mmu(&[], 1000, 100), Some(1.0));
            // One 50 ns pause in 1000: a 100 ns window holding it is half GC.
            assert_eq!(mmu(&[(550, 50)], 1000, 100), Some(0.5));
            // A window shorter than the pause is all GC.
            assert_eq!(mmu(&[(550, 50)], 1000, 40), Some(0.0));
            // Two pauses of 10 ns, 20 ns apart: a 40 ns window can hold both.
            assert_eq!(mmu(&[(110, 10), (140, 10)], 1000, 40), Some(0.5));
            // The whole run as the window: total GC share.
            assert!((mmu(&[(110, 10), (140, 10)], 1000, 1000).unwrap() - 0.98).abs() < 1e-12);
            assert_eq!(mmu(&[(10, 5)], 100, 200), None);
        }
    }

    #[test]
    fn the_curve_goes_from_zero_to_the_overall_share() {
        let pauses: Vec<(u64, u64)> = (1..100).map(|i| (i * 1_000_000, 200_000)).collect();
        let mut m = StreamingMmu::default();
        for &(end, len) in &pauses {
            m.add(end, len);
        }
        let c = m.curve(100_000_000);
        let oracle = exact::mmu_curve(&pauses, 100_000_000, curve_windows());
        assert_eq!(
            c.iter().map(|p| p.window_ns).collect::<Vec<_>>(),
            oracle.iter().map(|p| p.0).collect::<Vec<_>>()
        );
        assert!(c.len() > 10);
        assert_eq!(c[0].mmu, 0.0);
        assert!((c.last().unwrap().mmu - 0.802).abs() < 0.01);
        for (s, &(_, e)) in c.iter().zip(&oracle) {
            assert!(s.mmu >= e && s.mmu <= e + 1.0 / TICKS as f64, "{s:?} {e}");
        }
    }

    /// Random pauses: in order, some back to back, some overlapping the
    /// previous one, lengths from 1 ns to beyond the window.
    fn random_pauses(rng: &mut ChaCha8Rng, total: u64, scale: u64) -> Vec<(u64, u64)> {
        let mut v = Vec::new();
        let mut t = 0u64;
        loop {
            t += match rng.random_range(0..4) {
                0 => 0,
                1 => rng.random_range(1..scale / 10 + 2),
                _ => rng.random_range(1..scale * 3),
            };
            if t > total {
                return v;
            }
            let len = match rng.random_range(0..8) {
                0 => rng.random_range(1..scale * 2),
                _ => rng.random_range(1..scale / 4 + 2),
            };
            v.push((t, len));
        }
    }

    #[test]
    fn matches_the_exact_interval_algorithm_within_one_tick() {
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        for round in 0..300 {
            let scale = [10, 1_000, 100_000][round % 3];
            let total = rng.random_range(scale..scale * 200);
            let pauses = random_pauses(&mut rng, total, scale);
            let windows: Vec<u64> = (0..6).map(|_| rng.random_range(1..=total)).collect();
            for w in windows {
                let e = exact::mmu(&pauses, total, w).unwrap();
                let s = streaming(&pauses, total, w).unwrap();
                assert!(
                    s >= e - 1e-12 && s <= e + 1.0 / TICKS as f64 + 1e-12,
                    "window {w} of {total}: streaming {s}, exact {e}, pauses {pauses:?}"
                );
            }
        }
    }

    #[test]
    fn pauses_on_tick_boundaries_give_the_exact_mmu() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..200 {
            // A window of TICKS × tick, every pause boundary on a tick.
            let tick = rng.random_range(1..50u64);
            let w = tick * TICKS;
            let total = w * rng.random_range(1..20);
            let pauses: Vec<(u64, u64)> = random_pauses(&mut rng, total / tick, TICKS)
                .into_iter()
                .map(|(end, len)| (end * tick, len * tick))
                .collect();
            let e = exact::mmu(&pauses, total, w).unwrap();
            let s = streaming(&pauses, total, w).unwrap();
            assert!((s - e).abs() < 1e-12, "window {w}: {s} ≠ {e}");
        }
    }

    #[test]
    fn a_run_of_full_ticks_followed_by_a_partial_one_is_split_on_merge() {
        let mut w = WindowMmu::new(10);
        w.push(0, 4, 10);
        w.push(4, 4, 3);
        assert_eq!(w.spans.len(), 2);
        assert_eq!(w.sum, 53);
        w.look(4);
        assert_eq!(w.worst, 53);
    }
}
