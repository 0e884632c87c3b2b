//! What every workload is made of: the [`Workload`] descriptor, the
//! [`Emit`] sink it writes operations to, the scale helpers, and the
//! [`Census`] its tests count with. The catalogue (`super`) lists the
//! workloads; each workload file imports from here, not from the catalogue.

use gc_core::Control;
use gc_core::tooling::trace::{Op, Reg, Value, WeakReg};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random number generator every workload uses.
pub type Rng = ChaCha8Rng;

/// A generator seeded from `seed` (the same stream on every machine).
pub fn rng(seed: u64) -> Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The largest number of objects one workload run may allocate: object ids
/// must fit the verifier's 32-bit model, and a run this large is an hour.
pub const MAX_ALLOCATIONS: u64 = 1 << 31;

/// One workload of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Its name on the command line and in bench ids.
    pub name: &'static str,
    /// One line: what it stresses and where it comes from.
    pub summary: &'static str,
    /// Checks a scale and returns the parameter string (`depth=10`), the
    /// third part of a bench id.
    pub parameter: fn(f64) -> Result<String, String>,
    /// Emits the operations for `scale` and `seed` (the scale is checked).
    pub generate: fn(f64, u64, &mut Emit<'_>),
    /// The share of `--scale` the default matrix (`gc-bench run` without
    /// `--workload`) runs it at: 1 for most; less for the issue-sized
    /// cases of a million objects or more, so that the matrix stays a few
    /// seconds. `--workload NAME` runs it at the scale given.
    pub matrix_scale: f64,
}

impl Workload {
    /// Checks `scale` and describes the run it gives.
    pub fn check(&self, scale: f64) -> Result<String, String> {
        check_scale(scale)?;
        (self.parameter)(scale).map_err(|e| format!("scale {scale} for {}: {e}", self.name))
    }

    /// Emits the whole run into `sink`.
    pub fn emit(&self, scale: f64, seed: u64, sink: &mut dyn FnMut(Op)) {
        let mut e = Emit::new(sink);
        (self.generate)(scale, seed, &mut e);
        e.finish();
    }

    /// The whole run as a vector (tests and small scales only).
    pub fn ops(&self, scale: f64, seed: u64) -> Vec<Op> {
        let mut v = Vec::new();
        self.emit(scale, seed, &mut |op| v.push(op));
        v
    }
}

/// Scales every workload refuses: not a positive finite number.
pub fn check_scale(scale: f64) -> Result<(), String> {
    if !scale.is_finite() || scale <= 0.0 {
        return Err(format!(
            "impossible scale {scale}: it must be a positive number (1 is the default size)"
        ));
    }
    Ok(())
}

/// `round(base + log2(scale))`, for workloads whose size doubles with each
/// step of a depth; refuses results outside `min..=max`.
pub fn depth_for(scale: f64, base: f64, min: u32, max: u32) -> Result<u32, String> {
    let d = (base + scale.log2()).round();
    if d > f64::from(max) {
        return Err(format!(
            "the depth would be {d}, above the largest this workload allows ({max})"
        ));
    }
    Ok((d.max(f64::from(min))) as u32)
}

/// `round(base × scale)`, at least `min`; refuses results above `max`.
pub fn count_for(scale: f64, base: f64, min: u64, max: u64) -> Result<u64, String> {
    let n = (base * scale).round();
    if n > max as f64 {
        return Err(format!(
            "it would need {n:.0} iterations, above the largest this workload allows ({max})"
        ));
    }
    Ok((n as u64).max(min))
}

/// The sink a workload writes to, with one method per gctrace operation on
/// plain register numbers, and the bookkeeping that lets [`Workload::emit`]
/// drop everything at the end.
pub struct Emit<'a> {
    sink: &'a mut dyn FnMut(Op),
    held: Vec<bool>,
    weak_held: Vec<bool>,
}

impl std::fmt::Debug for Emit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emit").finish_non_exhaustive()
    }
}

fn mark(v: &mut Vec<bool>, i: u32, on: bool) {
    let i = i as usize;
    if v.len() <= i {
        v.resize(i + 1, false);
    }
    v[i] = on;
}

fn val(v: Option<u32>) -> Value {
    v.map_or(Value::Nil, |r| Value::Reg(Reg(r)))
}

impl<'a> Emit<'a> {
    /// An emitter writing to `sink`.
    pub fn new(sink: &'a mut dyn FnMut(Op)) -> Self {
        Emit {
            sink,
            held: Vec::new(),
            weak_held: Vec::new(),
        }
    }

    fn op(&mut self, op: Op) {
        (self.sink)(op);
    }

    /// `new rD node S B`.
    pub fn node(&mut self, dst: u32, slots: u32, payload: u32) {
        mark(&mut self.held, dst, true);
        self.op(Op::NewNode {
            dst: Reg(dst),
            slots,
            payload,
        });
    }

    /// `new rD atom B`.
    pub fn atom(&mut self, dst: u32, payload: u32) {
        mark(&mut self.held, dst, true);
        self.op(Op::NewAtom {
            dst: Reg(dst),
            payload,
        });
    }

    /// `new rD tuple …` (`None` is `nil`).
    pub fn tuple(&mut self, dst: u32, members: &[Option<u32>]) {
        let members = members.iter().map(|&m| val(m)).collect();
        mark(&mut self.held, dst, true);
        self.op(Op::NewTuple {
            dst: Reg(dst),
            members,
        });
    }

    /// `set rO.I rS` / `set rO.I nil`.
    pub fn set(&mut self, object: u32, slot: u32, value: Option<u32>) {
        self.op(Op::Set {
            object: Reg(object),
            slot,
            value: val(value),
        });
    }

    /// `get rD rO.I`.
    pub fn get(&mut self, dst: u32, object: u32, slot: u32) {
        mark(&mut self.held, dst, true);
        self.op(Op::Get {
            dst: Reg(dst),
            object: Reg(object),
            slot,
        });
    }

    /// `mov rD rS`.
    pub fn mov(&mut self, dst: u32, src: u32) {
        mark(&mut self.held, dst, true);
        self.op(Op::Mov {
            dst: Reg(dst),
            src: Reg(src),
        });
    }

    /// `del rD`.
    pub fn del(&mut self, r: u32) {
        mark(&mut self.held, r, false);
        self.op(Op::Del(Reg(r)));
    }

    /// `collect` (None) or `collect G`.
    pub fn collect(&mut self, generation: Option<u8>) {
        self.op(Op::Collect(generation));
    }

    /// `fin rO` / `fin rO resurrect`.
    pub fn fin(&mut self, object: u32, resurrect: bool) {
        self.op(Op::Fin {
            object: Reg(object),
            resurrect,
        });
    }

    /// `unsave`.
    pub fn unsave(&mut self) {
        self.op(Op::Unsave);
    }

    /// `weak wD rO [cb]`.
    pub fn weak(&mut self, dst: u32, object: u32, callback: bool) {
        mark(&mut self.weak_held, dst, true);
        self.op(Op::Weak {
            dst: WeakReg(dst),
            object: Reg(object),
            callback,
        });
    }

    /// `wget rD wS`.
    pub fn wget(&mut self, dst: u32, src: u32) {
        mark(&mut self.held, dst, true);
        self.op(Op::Wget {
            dst: Reg(dst),
            src: WeakReg(src),
        });
    }

    /// `wdel wD`.
    pub fn wdel(&mut self, w: u32) {
        mark(&mut self.weak_held, w, false);
        self.op(Op::Wdel(WeakReg(w)));
    }

    /// `gc …`.
    pub fn gc(&mut self, control: Control) {
        self.op(Op::Gc(control));
    }

    /// The end of the program: every register, weak register and the saved
    /// list are dropped.
    pub fn finish(&mut self) {
        let held = std::mem::take(&mut self.held);
        for (r, _) in held.iter().enumerate().filter(|(_, h)| **h) {
            self.op(Op::Del(Reg(r as u32)));
        }
        let weak = std::mem::take(&mut self.weak_held);
        for (w, _) in weak.iter().enumerate().filter(|(_, h)| **h) {
            self.op(Op::Wdel(WeakReg(w as u32)));
        }
        self.op(Op::Unsave);
    }
}

/// Counts of what an op stream does, for the workloads' tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// `new … node`.
    pub nodes: u64,
    /// `new … tuple`.
    pub tuples: u64,
    /// `new … atom`.
    pub atoms: u64,
    /// `set`.
    pub sets: u64,
    /// `get`.
    pub gets: u64,
    /// `collect`.
    pub collects: u64,
    /// `fin`.
    pub fins: u64,
    /// `weak`.
    pub weaks: u64,
    /// `wget`.
    pub wgets: u64,
    /// Every operation.
    pub ops: u64,
}

impl Census {
    /// Counts `ops`.
    pub fn of<'o>(ops: impl IntoIterator<Item = &'o Op>) -> Census {
        let mut c = Census::default();
        for op in ops {
            c.ops += 1;
            match op {
                Op::NewNode { .. } => c.nodes += 1,
                Op::NewTuple { .. } => c.tuples += 1,
                Op::NewAtom { .. } => c.atoms += 1,
                Op::Set { .. } => c.sets += 1,
                Op::Get { .. } => c.gets += 1,
                Op::Collect(_) => c.collects += 1,
                Op::Fin { .. } => c.fins += 1,
                Op::Weak { .. } => c.weaks += 1,
                Op::Wget { .. } => c.wgets += 1,
                _ => {}
            }
        }
        c
    }

    /// Objects allocated.
    pub fn allocations(&self) -> u64 {
        self.nodes + self.tuples + self.atoms
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared checks for the workloads' tests.

    use super::*;
    use gc_core::CollectorExt;
    use gc_core::tooling::oracle::{Mode, Oracle};
    use gc_core::tooling::trace::Trace;

    /// Checks that the op stream is a valid trace (the refcount collector
    /// replays it without a trace error) and that, once the program has
    /// dropped everything, nothing is reachable.
    pub fn replays_cleanly(w: &Workload, scale: f64, seed: u64) {
        let ops = w.ops(scale, seed);
        let trace = Trace::from_ops(ops.clone());
        let heap = gc_refcount::RefCount::new_default().unwrap();
        let outcome = gc_core::tooling::replay::replay(&trace, heap, |_| {});
        assert_eq!(outcome.error, None, "{}", w.name);
        let mut oracle = Oracle::new(Mode::Observed);
        for op in &ops {
            // A weak lookup may find nil: the program must be right either
            // way, so model it as nil.
            let op = match op {
                Op::Wget { dst, .. } => &Op::Del(*dst),
                op => op,
            };
            oracle.apply(op, None).unwrap();
        }
        assert!(oracle.reachable().is_empty(), "{} leaves roots", w.name);
    }

    /// The same seed gives the same stream.
    pub fn deterministic(w: &Workload, scale: f64) {
        assert_eq!(w.ops(scale, 7), w.ops(scale, 7), "{}", w.name);
    }
}
