//! Executes a workload's operations (or a trace's) on one collector,
//! measures it, and verifies the live set at the end.
//!
//! The operation stream is produced in chunks of [`CHUNK`] operations,
//! outside the clock; each chunk is executed through [`Mutator`] (the
//! Replayer's semantics without its bookkeeping, so a recorded trace
//! replays exactly what was measured) with the clock running. Collections are timed by the collectors themselves (`pause_ns`
//! of each collect event); a pause is placed on the run's clock at the end
//! of the operation during which it happened. The live heap is sampled
//! every 1,024 operations.
//!
//! Verification, after the clock stops: one more full collection, then the
//! operations are generated again and applied to [`Model`] (with the
//! answers the collector gave to `wget` and the finalizations it reported,
//! recorded during the run), and the oracle's
//! [verdict] judges the collector's
//! saved list and live set against the model's sets, by what its
//! [`Traits`](gc_core::Traits) promise. The model keeps only what can
//! still matter, so verification's memory follows the live set, not the
//! run's length; its peak RSS is measured apart from the run's.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gc_core::tooling::oracle::verdict::{self, Moment};
use gc_core::tooling::trace::{Line, Op, Trace};
use gc_core::{CollectorExt, Event, Inspect, RootList, Stats};

use crate::metrics::{self, LiveSize, MINOR, OldGenStats, PauseLog};
use crate::model::Model;
use crate::results::{Metrics, ns_per_op};
use crate::sink::Sink;
use crate::workloads::Workload;
use gc_core::tooling::line_error::LineErrorKind;
use gc_core::tooling::mutator::Mutator;
use gc_core::tooling::reserve;

/// Operations generated, then executed, at a time.
pub const CHUNK: usize = 16 * 1024;

/// The line number of a workload's first operation in its recorded trace
/// (`gc-bench record` writes the header and two comment lines first), so
/// errors name the same line in `run` and in `replay` of the recording.
pub const FIRST_LINE: u32 = 4;

/// What to run.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A workload at a scale with a seed (the scale already checked).
    Workload {
        /// The workload.
        workload: &'static Workload,
        /// Its scale.
        scale: f64,
        /// Its seed.
        seed: u64,
    },
    /// A parsed trace.
    Trace(&'a Trace),
}

impl Source<'_> {
    /// Calls `f` on every line, in order; stops at the first error.
    fn for_each_line(&self, f: &mut dyn FnMut(&Line) -> Result<(), String>) -> Result<(), String> {
        match self {
            Source::Trace(t) => t.lines.iter().try_for_each(f),
            Source::Workload {
                workload,
                scale,
                seed,
            } => {
                let mut number = FIRST_LINE;
                let mut error = None;
                workload.emit(*scale, *seed, &mut |op| {
                    if error.is_none() {
                        let line = Line { number, op };
                        number = number.wrapping_add(1);
                        if let Err(e) = f(&line) {
                            error = Some(e);
                        }
                    }
                });
                error.map_or(Ok(()), Err)
            }
        }
    }

    /// Calls `chunk` on consecutive slices of at most [`CHUNK`] lines.
    fn for_each_chunk(
        &self,
        chunk: &mut dyn FnMut(&[Line]) -> Result<(), String>,
    ) -> Result<(), String> {
        match self {
            Source::Trace(t) => t.lines.chunks(CHUNK).try_for_each(chunk),
            Source::Workload { .. } => {
                let mut buf: Vec<Line> = Vec::with_capacity(CHUNK);
                self.for_each_line(&mut |line| {
                    buf.push(line.clone());
                    if buf.len() == CHUNK {
                        chunk(&buf)?;
                        buf.clear();
                    }
                    Ok(())
                })?;
                if buf.is_empty() { Ok(()) } else { chunk(&buf) }
            }
        }
    }
}

/// How to run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Check the live set at the end.
    pub verify: bool,
    /// Reset the process's peak RSS before the run (only meaningful when
    /// the run has the process to itself).
    pub own_process: bool,
    /// After the run (and its verification), time the harness alone: the
    /// same operations through the same loop into a [`Sink`]
    /// ([`Metrics::harness_ns_per_op`]).
    pub harness: bool,
}

/// Live-heap samples, thinned by half whenever they reach `LIMIT`.
struct Sampler {
    every: u64,
    /// The operation count of the next sample: the next multiple of
    /// `every` (kept so that the loop compares instead of dividing).
    next: u64,
    samples: Vec<(u64, u64, u64)>,
    peak_objects: u64,
}

impl Sampler {
    const LIMIT: usize = 512;

    fn add(&mut self, t: u64, bytes: u64, objects: u64) {
        self.peak_objects = self.peak_objects.max(objects);
        self.samples.push((t, bytes, objects));
        if self.samples.len() == Self::LIMIT {
            let kept: Vec<_> = self.samples.iter().step_by(2).copied().collect();
            self.samples = kept;
            self.every *= 2;
        }
    }

    /// Adds the sample taken after `ops` operations (`add`), and moves on
    /// to the next multiple of `every` (doubled, maybe, by this one).
    fn add_at(&mut self, ops: u64, t: u64, bytes: u64, objects: u64) {
        self.add(t, bytes, objects);
        self.next = (ops / self.every + 1) * self.every;
    }
}

struct Exec<C: Inspect> {
    m: Mutator<C>,
    clock: Duration,
    ops: u64,
    pauses: PauseLog,
    /// The pauses of minor collections alone.
    minor_pauses: PauseLog,
    kinds: BTreeMap<&'static str, u64>,
    sampler: Sampler,
    verify: bool,
    wgets: Vec<Option<u64>>,
    /// (operation index, object) of every finalization.
    finalized: Vec<(u64, u64)>,
    /// Totals of the collector's memory counters, if it reports them.
    old_generation: Option<OldGenStats>,
    /// The largest `Stats::footprint_bytes` seen.
    peak_footprint: u64,
    /// Go on past a failed `expect` (the harness's own measurement: the
    /// sink's answers are null's, not the run's collector's).
    ignore_expects: bool,
}

impl<C: Inspect> Exec<C> {
    /// Runs `lines` on the clock. Not inlined: it runs once per
    /// [`CHUNK`] operations, and a profile then shows the loop as one
    /// function.
    #[inline(never)]
    fn chunk(&mut self, lines: &[Line]) -> Result<(), String> {
        let start = Instant::now();
        let base = self.clock.as_nanos() as u64;
        for line in lines {
            if let Err(e) = self.m.step(line) {
                if !(self.ignore_expects && matches!(e.kind, LineErrorKind::ExpectFailed { .. })) {
                    return Err(e.to_string());
                }
            }
            if self.verify {
                if let Op::Wget { dst, .. } = line.op {
                    let got = match self.m.register(dst) {
                        Some(h) => Some(
                            self.m
                                .collector
                                .object_id(h)
                                .map_err(|e| format!("line {}: {e}", line.number))?
                                .0,
                        ),
                        None => None,
                    };
                    self.wgets.push(got);
                }
            }
            if !self.m.events.is_empty() {
                let now = base + start.elapsed().as_nanos() as u64;
                self.events(Some(now));
            }
            if reserve::given_back() {
                // The allocator's reserve served a request the system
                // refused: stop before the next one aborts.
                let refused = gc_core::config::refused();
                return Err(format!("line {}: {refused}", line.number));
            }
            self.ops += 1;
            if self.ops == self.sampler.next {
                let s = self.m.collector.stats();
                let now = base + start.elapsed().as_nanos() as u64;
                self.sampler
                    .add_at(self.ops, now, s.live_bytes, s.live_objects);
                self.peak_footprint = self.peak_footprint.max(s.footprint_bytes);
            }
        }
        self.clock += start.elapsed();
        // Off the clock: fold this chunk's pauses into the statistics.
        self.pauses.flush();
        self.minor_pauses.flush();
        Ok(())
    }

    /// Takes the events of the last operation; `now` is the run's clock,
    /// `None` off the clock (the final collection: neither its pause nor
    /// its footprint is the run's).
    fn events(&mut self, now: Option<u64>) {
        if now.is_some() {
            // A collection may have grown (or be about to shrink) the heap.
            let footprint = self.m.collector.stats().footprint_bytes;
            self.peak_footprint = self.peak_footprint.max(footprint);
        }
        for e in self.m.events.drain(..) {
            match e {
                Event::Collect(c) => {
                    if let Some(now) = now {
                        *self.kinds.entry(c.kind.name()).or_default() += 1;
                        self.pauses.record(now, c.pause_ns);
                        if c.kind.name() == MINOR {
                            self.minor_pauses.record(now, c.pause_ns);
                        }
                    }
                    if let Some(d) = &c.detail {
                        self.old_generation.get_or_insert_default().add(d);
                    }
                }
                Event::Finalize { object } => self.finalized.push((self.ops, object.0)),
                Event::WeakCallback { .. } => {}
            }
        }
    }
}

impl<C: Inspect> Exec<C> {
    fn new(collector: C, verify: bool) -> Self {
        Exec {
            m: Mutator::new(collector),
            clock: Duration::ZERO,
            ops: 0,
            pauses: PauseLog::default(),
            minor_pauses: PauseLog::default(),
            kinds: BTreeMap::new(),
            sampler: Sampler {
                every: 1024,
                next: 1024,
                samples: vec![(0, 0, 0)],
                peak_objects: 0,
            },
            verify,
            wgets: Vec::new(),
            finalized: Vec::new(),
            old_generation: None,
            peak_footprint: 0,
            ignore_expects: false,
        }
    }

    /// The end of the program: one full collection, off the clock.
    fn final_collection(&mut self) -> Result<(), String> {
        let last = Line {
            number: 0,
            op: Op::Collect(None),
        };
        self.m
            .step(&last)
            .map_err(|e| format!("final collection: {e}"))?;
        self.events(None);
        Ok(())
    }

    /// The run's metrics, from what was measured on the clock (`at_end`:
    /// the collector's statistics when the clock stopped) and the totals
    /// after the final collection (finalizers, weak callbacks and the old
    /// generation's counters include it).
    fn metrics(&mut self, at_end: &Stats, peak_rss: Option<u64>, rss_shared: bool) -> Metrics {
        let after = self.m.collector.stats();
        let wall_ns = self.clock.as_nanos() as u64;
        let pauses = self.pauses.summary(wall_ns);
        let secs = (wall_ns as f64 / 1e9).max(1e-9);
        Metrics {
            ops: self.ops,
            ns_per_op: ns_per_op(wall_ns, self.ops),
            harness_ns_per_op: None,
            allocations: at_end.allocated,
            wall_ns,
            gc_ns: at_end.gc_time_ns,
            mutator_ns: wall_ns.saturating_sub(at_end.gc_time_ns),
            ops_per_sec: self.ops as f64 / secs,
            allocs_per_sec: at_end.allocated as f64 / secs,
            collections: self
                .kinds
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            pauses: pauses.stats,
            minor_pauses: self.minor_pauses.stats_if_any(),
            pause_histogram: pauses.histogram,
            mmu: pauses.mmu,
            peak_live_bytes: at_end.peak_live_bytes,
            live: None,
            peak_footprint_bytes: self.peak_footprint,
            peak_live_objects: self.sampler.peak_objects,
            heap: std::mem::take(&mut self.sampler.samples),
            peak_rss_bytes: peak_rss,
            rss_shared,
            verifier_peak_rss_bytes: None,
            leaked_objects: None,
            finalizers_run: after.finalized,
            weak_callbacks: after.weak_callbacks,
            old_generation: self.old_generation.take(),
        }
    }
}

/// Runs `source` on a new collector of type `C`; `Err` is why the run
/// failed (a trace or collector error, a failed `expect`, a failed
/// verification), in one line.
pub fn run<C: Inspect>(
    config: C::Config,
    source: Source<'_>,
    options: Options,
) -> Result<Metrics, String> {
    let collector = C::with_config(config).map_err(|e| e.to_string())?;
    let rss_reset = options.own_process && metrics::reset_peak_rss();
    let mut exec = Exec::new(collector, options.verify);
    source.for_each_chunk(&mut |lines| exec.chunk(lines))?;
    let peak_rss = metrics::peak_rss();
    let at_end = exec.m.collector.stats();
    let wall_ns = exec.clock.as_nanos() as u64;
    exec.sampler
        .add(wall_ns, at_end.live_bytes, at_end.live_objects);
    exec.peak_footprint = exec.peak_footprint.max(at_end.footprint_bytes);
    exec.final_collection()?;
    let mut m = exec.metrics(&at_end, peak_rss, !rss_reset);
    let live_objects = exec.m.collector.stats().live_objects;
    let traits = C::TRAITS;
    if !options.verify {
        if traits.frees_objects && matches!(source, Source::Workload { .. }) {
            // Workloads drop every root at the end, so without the model
            // what is left counts as leaked (an upper bound: it includes
            // what the final collection's finalizers resurrected, and what
            // a strategy frees only at a later collection).
            m.leaked_objects = Some(live_objects);
        }
        drop(exec);
        return with_harness(m, source, options);
    }
    // The verifier's own peak, when the run had the process to itself
    // and the kernel lets its peak be reset.
    let verifier_rss = options.own_process && metrics::reset_peak_rss();
    let v = verify(&exec, source, m.ops)?;
    m.verifier_peak_rss_bytes = metrics::peak_rss().filter(|_| verifier_rss);
    m.live = Some(v.live_size);
    tracing::debug!(
        collector = traits.name,
        ops = m.ops,
        live = live_objects,
        kept = v.kept,
        model_peak_objects = v.model_peak,
        "live set verified"
    );
    if traits.frees_objects {
        m.leaked_objects = Some(live_objects.saturating_sub(v.kept));
    }
    drop(exec);
    with_harness(m, source, options)
}

/// `m` with the harness's own cost per operation, when `options` asks
/// for it (the run's heap already dropped).
fn with_harness(mut m: Metrics, source: Source<'_>, options: Options) -> Result<Metrics, String> {
    if options.harness {
        let (ns, ops) = harness(source, options.verify)?;
        if ops != m.ops {
            return Err(format!(
                "the harness's measurement ran {ops} operations, the run {}",
                m.ops
            ));
        }
        m.harness_ns_per_op = Some(ns);
    }
    Ok(m)
}

/// The harness alone: `source`'s operations through the run's own loop
/// (`Exec::chunk`: the [`Mutator`], the event drain, `wget` answers
/// recorded when `verify`, the live-heap samples) into a [`Sink`], which
/// keeps only handles and slots. Times what a run's clock holds besides
/// its collector's work — an upper bound, since the sink's handle table
/// and slot array are on the clock too. Generating the operations is off
/// the clock here as in a run; a failed `expect` does not stop it (the
/// sink answers as `null` does). Returns (ns per operation, operations).
pub fn harness(source: Source<'_>, verify: bool) -> Result<(f64, u64), String> {
    let sink =
        <Sink as gc_core::Collector>::with_config(gc_core::NoConfig).map_err(|e| e.to_string())?;
    let mut exec = Exec::new(sink, verify);
    exec.ignore_expects = true;
    source.for_each_chunk(&mut |lines| exec.chunk(lines))?;
    let wall_ns = exec.clock.as_nanos() as u64;
    Ok((ns_per_op(wall_ns, exec.ops), exec.ops))
}

fn failed(message: String) -> String {
    format!("verification failed: {message}")
}

/// What verification found: how many live objects the collector may
/// rightly hold (see [`verdict::Passed`]), the run's live size, and the
/// most objects the model held at once.
struct Verified {
    kept: u64,
    live_size: LiveSize,
    model_peak: u64,
}

/// Has the oracle's verdict judge the collector's final state against the
/// model of its `ops` operations, after the final full collection.
fn verify<C: Inspect>(exec: &Exec<C>, source: Source<'_>, ops: u64) -> Result<Verified, String> {
    let c = &exec.m.collector;
    let ids = |v: Result<Vec<gc_core::ObjectId>, gc_core::GcError>| -> Result<Vec<u64>, String> {
        let v = v.map_err(|e| format!("inspecting the heap: {e}"))?;
        Ok(v.into_iter().map(|o| o.0).collect())
    };
    let garbage = ids(c.root_list(RootList::Garbage))?;
    let mut live = ids(c.live_objects())?;
    live.sort_unstable();
    let traits = C::TRAITS;
    let model = Model::new(verdict::needs_rc_live(&traits), garbage);
    let (model, live_size) = replay_model(model, exec, source, ops).map_err(failed)?;
    let saved = ids(c.root_list(RootList::Saved))?;
    let judged = verdict::saved(&saved, &model.saved())
        .and_then(|()| verdict::live_set(&traits, &model, &live, Moment::AfterFullCollection));
    let passed = judged.map_err(|e| failed(e.to_string()))?;
    Ok(Verified {
        kept: passed.kept,
        live_size,
        model_peak: model.peak_entries(),
    })
}

/// `model` after the run's operations, with the answers the collector
/// gave to `wget` and the finalizations it reported (those of the final
/// collection last), and the live size sampled every
/// [`LiveSize::interval`] of the `ops` operations.
fn replay_model<C: Inspect>(
    mut model: Model,
    exec: &Exec<C>,
    source: Source<'_>,
    ops: u64,
) -> Result<(Model, LiveSize), String> {
    let every = LiveSize::interval(ops);
    let mut live_size = LiveSize::default();
    let mut wgets = exec.wgets.iter();
    let mut fins = exec.finalized.iter().peekable();
    let mut index = 0u64;
    source.for_each_line(&mut |line| {
        let wget = match line.op {
            Op::Wget { .. } => *wgets.next().ok_or("model: missing wget answer")?,
            _ => None,
        };
        let at_line = |e| format!("line {}: {e}", line.number);
        model.apply(&line.op, wget).map_err(at_line)?;
        index += 1;
        while let Some(&&(at, id)) = fins.peek() {
            if at >= index {
                break;
            }
            model.finalized(id).map_err(at_line)?;
            fins.next();
        }
        if index % every == 0 {
            let (objects, bytes) = model.live_size();
            live_size.add(index, objects, bytes);
        }
        Ok(())
    })?;
    model.final_collection();
    for &(_, id) in fins {
        model.finalized(id)?;
    }
    Ok((model, live_size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads;
    use gc_core::rc::{RcHeap, RcPolicy};
    use gc_core::{
        Collector, Control, ControlOutcome, GcError, Generation, NoConfig, NullCollector, Traits,
    };
    use gc_refcount::RefCount;

    fn opts() -> Options {
        Options {
            verify: true,
            own_process: false,
            harness: false,
        }
    }

    #[test]
    fn every_workload_verifies_on_null_and_refcount() {
        for w in workloads::ALL {
            let source = Source::Workload {
                workload: w,
                scale: 0.02,
                seed: 1,
            };
            let n = run::<NullCollector>(Default::default(), source, opts()).unwrap();
            let r = run::<RefCount>(Default::default(), source, opts()).unwrap();
            assert_eq!(n.allocations, r.allocations, "{}", w.name);
            assert_eq!(n.ops, r.ops);
            assert_eq!(n.leaked_objects, None);
            assert!(r.wall_ns > 0 && r.ops_per_sec > 0.0);
        }
    }

    /// Every implemented collector (as `collectors::dispatch` lists them:
    /// a strategy added there is checked here) runs every workload and
    /// passes verification.
    #[test]
    fn every_workload_verifies_on_every_implemented_collector() {
        use crate::collectors::{WithEachCollector, for_each_collector};
        struct All(Vec<String>, usize);
        impl WithEachCollector for All {
            fn run<C: Inspect>(&mut self, config: C::Config) {
                self.1 += 1;
                for w in workloads::ALL {
                    let source = Source::Workload {
                        workload: w,
                        scale: 0.01,
                        seed: 2,
                    };
                    if let Err(e) = run::<C>(config.clone(), source, opts()) {
                        self.0.push(format!("{}/{}: {e}", w.name, C::TRAITS.name));
                    }
                }
            }
        }
        let mut all = All(Vec::new(), 0);
        for_each_collector(&mut all);
        assert!(all.1 >= 2);
        assert!(all.0.is_empty(), "{:#?}", all.0);
    }

    /// Every collector reports a footprint; the live size is the same for
    /// all of them, non-zero for binary trees (pointer-only objects), and
    /// at least the canonical size of the long-lived tree.
    #[test]
    fn every_collector_has_a_footprint_and_the_same_live_size() {
        use crate::collectors::{WithEachCollector, for_each_collector};
        struct All(Vec<(&'static str, u64, crate::metrics::LiveSize)>);
        impl WithEachCollector for All {
            fn run<C: Inspect>(&mut self, config: C::Config) {
                let source = Source::Workload {
                    workload: &workloads::binary_trees::WORKLOAD,
                    scale: 0.05,
                    seed: 1,
                };
                let m = run::<C>(config, source, opts()).unwrap();
                self.0
                    .push((C::TRAITS.name, m.peak_footprint_bytes, m.live.unwrap()));
            }
        }
        let mut all = All(Vec::new());
        for_each_collector(&mut all);
        let live = &all.0[0].2;
        assert!(live.peak_objects > 0 && live.peak_bytes >= 16 * live.peak_objects);
        assert!(live.samples.len() as u64 <= crate::metrics::LiveSize::SAMPLES);
        for (name, footprint, l) in &all.0 {
            assert_eq!(l, live, "{name}");
            assert!(*footprint > 0, "{name} reports no footprint");
        }
    }

    /// The minor collections' pauses are summarised apart: as many as the
    /// run counted minor collections, within the run's pauses; none on a
    /// collector without them.
    #[test]
    fn minor_pauses_are_the_minor_collections() {
        let source = || Source::Workload {
            workload: &workloads::binary_trees::WORKLOAD,
            scale: 0.05,
            seed: 1,
        };
        let config = gc_marksweep::MarkSweepConfig {
            nursery: 64 * 1024,
            ..Default::default()
        };
        let m = run::<gc_marksweep::IncMiniMark>(config, source(), opts()).unwrap();
        let minor = m.minor_pauses.expect("marksweep runs minor collections");
        assert_eq!(Some(&minor.count), m.collections.get(MINOR));
        assert!(minor.count > 0 && minor.count <= m.pauses.count);
        assert!(minor.max_ns <= m.pauses.max_ns && minor.p99_ns <= minor.max_ns);
        assert!(minor.total_ns <= m.pauses.total_ns);
        let m = run::<RefCount>(Default::default(), source(), opts()).unwrap();
        assert_eq!(m.minor_pauses, None);
    }

    /// With `harness`, a run carries the harness's own time per operation
    /// beside its own, both positive, over the same operations; without,
    /// only its own. The harness runs on past an `expect` that only the
    /// run's collector meets (the sink answers as `null`).
    #[test]
    fn a_run_measures_the_harness_over_the_same_operations() {
        let source = Source::Workload {
            workload: &workloads::lru_cache::WORKLOAD,
            scale: 0.02,
            seed: 1,
        };
        let with = Options {
            harness: true,
            ..opts()
        };
        let m = run::<RefCount>(Default::default(), source, with).unwrap();
        assert!(m.ops > 0 && m.ns_per_op > 0.0);
        assert_eq!(m.ns_per_op, m.wall_ns as f64 / m.ops as f64);
        let h = m.harness_ns_per_op.expect("measured");
        assert!(h > 0.0, "{h}");
        let m = run::<RefCount>(Default::default(), source, opts()).unwrap();
        assert_eq!(m.harness_ns_per_op, None);

        // Refcount frees the node; the sink, like null, keeps it.
        let trace = Trace::parse("gctrace 1\nnew r0 node 0 0\ndel r0\nexpect live 0\n").unwrap();
        let m = run::<RefCount>(Default::default(), Source::Trace(&trace), with).unwrap();
        assert!(m.harness_ns_per_op.is_some());
        let (ns, ops) = harness(Source::Trace(&trace), true).unwrap();
        assert_eq!(ops, 3);
        assert!(ns >= 0.0);
        // A trace error still stops it.
        let bad = Trace::parse("gctrace 1\nset r0.0 nil\n").unwrap();
        let e = harness(Source::Trace(&bad), true).unwrap_err();
        assert!(e.starts_with("line 2: register r0 is empty"), "{e}");
    }

    /// The live-heap samples fall every 1,024 operations, then every
    /// 2,048 once thinned, as the division they replace put them.
    #[test]
    fn samples_fall_on_multiples_of_the_interval() {
        let mut s = Sampler {
            every: 1024,
            next: 1024,
            samples: vec![(0, 0, 0)],
            peak_objects: 0,
        };
        let mut at = Vec::new();
        for ops in 1..=1024 * 1000u64 {
            if ops == s.next {
                at.push(ops);
                s.add_at(ops, ops, 0, 0);
            }
        }
        let want: Vec<u64> = (1..=1024 * 1000u64)
            .scan(1024u64, |every, ops| {
                let due = ops % *every == 0;
                if due && ops / 1024 == 511 {
                    // The 512th sample thins them: every doubles.
                    *every *= 2;
                }
                Some(due.then_some(ops))
            })
            .flatten()
            .collect();
        assert_eq!(at, want);
        assert_eq!(s.every, 2048);
    }

    #[test]
    fn refcount_leaks_exactly_the_rings_of_gc_collect() {
        let source = Source::Workload {
            workload: &workloads::gc_collect::WORKLOAD,
            scale: 0.02, // two loops
            seed: 0,
        };
        let r = run::<RefCount>(Default::default(), source, opts()).unwrap();
        assert_eq!(r.leaked_objects, Some(2 * 100 * 21));
        let c = &r.collections;
        assert_eq!(c.get("refcount"), Some(&4));
    }

    /// A collector that claims to collect cycles but holds unreachable
    /// objects, or frees reachable ones, fails verification.
    #[test]
    fn a_wrong_live_set_fails_verification() {
        let trace = Trace::parse(
            "gctrace 1\nnew r0 node 1 0\nnew r1 node 1 0\nset r0.0 r1\nset r1.0 r0\ndel r0\ndel r1\n",
        )
        .unwrap();
        // Refcount leaks the cycle: correct for refcount.
        let r = run::<RefCount>(Default::default(), Source::Trace(&trace), opts()).unwrap();
        assert_eq!(r.leaked_objects, Some(2));
        // The same heap claiming to collect cycles is caught.
        let e = run::<Liar>(Default::default(), Source::Trace(&trace), opts()).unwrap_err();
        assert!(e.contains("alive but unreachable"), "{e}");
    }

    #[test]
    fn a_failed_expect_fails_the_run() {
        let trace = Trace::parse("gctrace 1\nnew r0 node 0 0\nexpect live 3\n").unwrap();
        let e = run::<RefCount>(Default::default(), Source::Trace(&trace), opts()).unwrap_err();
        assert_eq!(e, "line 3: expect live 3 failed: actual 1");
        let bad = Trace::parse("gctrace 1\nset r0.0 nil\n").unwrap();
        let e = run::<NullCollector>(Default::default(), Source::Trace(&bad), opts()).unwrap_err();
        assert!(e.starts_with("line 2: register r0 is empty"), "{e}");
    }

    /// Reference counting pretending to be a cycle collector: the policy
    /// of [`RefCount`] under the traits of a strategy that frees cycles.
    #[derive(Debug, Default)]
    struct LiarPolicy;
    type Liar = RcHeap<LiarPolicy>;

    impl RcPolicy for LiarPolicy {
        type Extra = ();
        type Config = NoConfig;
        const TRAITS: Traits = Traits {
            collects_cycles: true,
            reference_counting: false,
            ..RefCount::TRAITS
        };
        fn new(_: &NoConfig) -> Result<Self, GcError> {
            Ok(LiarPolicy)
        }
        fn max_heap(_: &NoConfig) -> usize {
            0
        }
        fn collect(_: &mut Liar, _: Generation) -> Result<u64, GcError> {
            Ok(0)
        }
        fn control(_: &mut Liar, _: Control) -> Result<ControlOutcome, GcError> {
            Ok(ControlOutcome::Ignored)
        }
    }
}
