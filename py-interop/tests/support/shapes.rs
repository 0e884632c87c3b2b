//! Random gctraces of several shapes, seeded and deterministic, for the
//! CPython faithfulness test. Every trace runs without a trace error on any
//! collector and on CPython: `fin` and `weak` only on nodes, `set` only on
//! nodes, `get` only in range. A register whose content the generator cannot
//! know (after `get` or `wget`) is only used as a value, moved or deleted.
//! No `gc freeze`/`unfreeze` (the spec: compare those only in hand-written
//! scenarios).

use gc_core::Control;
use gc_core::tooling::trace::{Op, Reg, Trace, Value, WeakReg};

/// SplitMix64: small, seeded, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `p` percent.
    pub fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
}

/// What the generator knows a register holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    Nil,
    Node(u32),
    Tuple(u32),
    Atom,
    Unknown,
}

/// The shapes of random trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Small cycles made and dropped, some with finalizers.
    Churn,
    /// A pool of nodes rewired at random.
    Graph,
    /// Binary trees built and cut.
    Trees,
    /// Cycles with finalizers that resurrect, weak references, `unsave`.
    Resurrection,
    /// Mixed work with explicit collections of every generation.
    Generations,
    /// Mixed work with thresholds changed, collection disabled and enabled.
    Thresholds,
}

impl Shape {
    pub const ALL: [Shape; 6] = [
        Shape::Churn,
        Shape::Graph,
        Shape::Trees,
        Shape::Resurrection,
        Shape::Generations,
        Shape::Thresholds,
    ];
}

struct Gen {
    rng: Rng,
    regs: Vec<Known>,
    weak: u32,
    ops: Vec<Op>,
}

impl Gen {
    fn reg(&mut self) -> u32 {
        self.rng.below(self.regs.len() as u64) as u32
    }
    fn push(&mut self, op: Op) {
        self.ops.push(op);
    }
    fn set_known(&mut self, r: u32, k: Known) {
        self.regs[r as usize] = k;
    }
    /// A register holding a node, if any (tries a few at random).
    fn node_reg(&mut self) -> Option<(u32, u32)> {
        for _ in 0..8 {
            let r = self.reg();
            if let Known::Node(s) = self.regs[r as usize] {
                return Some((r, s));
            }
        }
        None
    }
    fn value(&mut self) -> Value {
        if self.rng.pct(15) {
            Value::Nil
        } else {
            Value::Reg(Reg(self.reg()))
        }
    }
    fn new_node(&mut self, r: u32, slots: u32) {
        let payload = [0, 8, 16, 64][self.rng.below(4) as usize];
        self.push(Op::NewNode {
            dst: Reg(r),
            slots,
            payload,
        });
        self.set_known(r, Known::Node(slots));
    }
    fn new_atom(&mut self, r: u32) {
        let payload = [1, 8, 32][self.rng.below(3) as usize];
        self.push(Op::NewAtom {
            dst: Reg(r),
            payload,
        });
        self.set_known(r, Known::Atom);
    }
    fn new_tuple(&mut self, r: u32) {
        let n = 1 + self.rng.below(3) as u32;
        let members = (0..n).map(|_| self.value()).collect();
        self.push(Op::NewTuple {
            dst: Reg(r),
            members,
        });
        self.set_known(r, Known::Tuple(n));
    }
    fn set_random(&mut self) {
        if let Some((o, s)) = self.node_reg()
            && s > 0
        {
            let slot = self.rng.below(u64::from(s)) as u32;
            let value = self.value();
            self.push(Op::Set {
                object: Reg(o),
                slot,
                value,
            });
        }
    }
    fn get_random(&mut self) {
        let o = self.reg();
        let len = match self.regs[o as usize] {
            Known::Node(s) | Known::Tuple(s) => s,
            _ => 0,
        };
        if len > 0 {
            let d = self.reg();
            let slot = self.rng.below(u64::from(len)) as u32;
            self.push(Op::Get {
                dst: Reg(d),
                object: Reg(o),
                slot,
            });
            self.set_known(d, Known::Unknown);
        }
    }
    fn del(&mut self, r: u32) {
        self.push(Op::Del(Reg(r)));
        self.set_known(r, Known::Nil);
    }
    fn mov(&mut self) {
        let (d, s) = (self.reg(), self.reg());
        self.push(Op::Mov {
            dst: Reg(d),
            src: Reg(s),
        });
        let k = self.regs[s as usize];
        self.set_known(d, k);
    }
    fn fin(&mut self, resurrect: bool) {
        if let Some((o, _)) = self.node_reg() {
            self.push(Op::Fin {
                object: Reg(o),
                resurrect,
            });
        }
    }
    fn weak(&mut self) {
        if let Some((o, _)) = self.node_reg() {
            let dst = WeakReg(self.rng.below(u64::from(self.weak)) as u32);
            let callback = self.rng.pct(60);
            self.push(Op::Weak {
                dst,
                object: Reg(o),
                callback,
            });
        }
    }
    fn wget(&mut self) {
        let d = self.reg();
        // Only weak registers written before are read.
        let written: Vec<u32> = self
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Weak { dst, .. } => Some(dst.0),
                _ => None,
            })
            .collect();
        if !written.is_empty() {
            let src = written[self.rng.below(written.len() as u64) as usize];
            self.push(Op::Wget {
                dst: Reg(d),
                src: WeakReg(src),
            });
            self.set_known(d, Known::Unknown);
        }
    }
    fn collect(&mut self) {
        let g = match self.rng.below(4) {
            0 => None,
            g => Some(g as u8 - 1),
        };
        self.push(Op::Collect(g));
    }
    fn threshold(&mut self) {
        let t0 = 1 + self.rng.below(40);
        let t1 = self.rng.below(12);
        let t2 = self.rng.below(12);
        let c = match self.rng.below(3) {
            0 => Control::Threshold(t0, None, None),
            1 => Control::Threshold(t0, Some(t1), None),
            _ => Control::Threshold(t0, Some(t1), Some(t2)),
        };
        self.push(Op::Gc(c));
    }
    /// A cycle of `n` fresh nodes through registers `base..base+n`, then
    /// dropped (or kept) from the registers.
    fn cycle(&mut self, base: u32, n: u32, fin_pct: u64, resurrect_pct: u64) {
        let regs = self.regs.len() as u32;
        let rs: Vec<u32> = (0..n).map(|i| (base + i) % regs).collect();
        for &r in &rs {
            self.new_node(r, 2);
        }
        for (i, &r) in rs.iter().enumerate() {
            let next = rs[(i + 1) % rs.len()];
            self.push(Op::Set {
                object: Reg(r),
                slot: 0,
                value: Value::Reg(Reg(next)),
            });
            if self.rng.pct(fin_pct) {
                let resurrect = self.rng.pct(resurrect_pct);
                self.push(Op::Fin {
                    object: Reg(r),
                    resurrect,
                });
            }
        }
        if self.rng.pct(30) {
            let dst = WeakReg(self.rng.below(u64::from(self.weak)) as u32);
            self.push(Op::Weak {
                dst,
                object: Reg(rs[0]),
                callback: true,
            });
        }
        for &r in &rs {
            if self.rng.pct(85) {
                self.del(r);
            }
        }
    }
}

/// A random trace of `shape` with about `len` operations.
pub fn generate(shape: Shape, seed: u64, len: usize) -> Trace {
    let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(shape as u64));
    let nregs = 8 + rng.below(40) as usize;
    let mut g = Gen {
        rng,
        regs: vec![Known::Nil; nregs],
        weak: 4 + (seed % 5) as u32,
        ops: Vec::new(),
    };
    // Low thresholds in most traces, so automatic collections of every
    // generation happen within a few thousand operations.
    if g.rng.pct(80) {
        g.threshold();
    }
    if g.rng.pct(20) {
        g.push(Op::Gc(Control::DebugSaveAll));
    }
    while g.ops.len() < len {
        let r = g.reg();
        match shape {
            Shape::Churn => match g.rng.below(10) {
                0..=5 => {
                    let n = 1 + g.rng.below(4) as u32;
                    g.cycle(r, n, 20, 10);
                }
                6 => g.new_atom(r),
                7 => g.new_tuple(r),
                8 => g.weak(),
                _ => g.set_random(),
            },
            Shape::Graph => match g.rng.below(12) {
                0..=2 => {
                    let s = 1 + g.rng.below(4) as u32;
                    g.new_node(r, s);
                }
                3..=5 => g.set_random(),
                6 => g.get_random(),
                7 => g.mov(),
                8 => g.del(r),
                9 => g.new_tuple(r),
                10 => g.fin(false),
                _ => g.new_atom(r),
            },
            Shape::Trees => {
                // A small tree under r: a node whose two slots get fresh
                // children (atoms or nodes), then maybe cut.
                let depth = 1 + g.rng.below(4);
                let regs = g.regs.len() as u32;
                let mut level = vec![r];
                g.new_node(r, 2);
                for _ in 0..depth {
                    let mut next = Vec::new();
                    for &p in &level {
                        for slot in 0..2 {
                            let c = (p + 1 + slot) % regs;
                            if c == r || level.contains(&c) || next.contains(&c) {
                                continue;
                            }
                            if g.rng.pct(80) {
                                g.new_node(c, 2);
                                next.push(c);
                            } else {
                                g.new_atom(c);
                            }
                            if g.rng.pct(10) {
                                g.fin(false);
                            }
                            g.push(Op::Set {
                                object: Reg(p),
                                slot,
                                value: Value::Reg(Reg(c)),
                            });
                        }
                    }
                    level = next;
                    if level.is_empty() {
                        break;
                    }
                }
                if g.rng.pct(25) {
                    // A back edge: the tree becomes cyclic.
                    if let Some(&leaf) = level.first() {
                        g.push(Op::Set {
                            object: Reg(leaf),
                            slot: 1,
                            value: Value::Reg(Reg(r)),
                        });
                    }
                }
                for i in 0..regs {
                    if g.rng.pct(50) && i != r {
                        g.del(i);
                    }
                }
                if g.rng.pct(40) {
                    g.del(r);
                }
            }
            Shape::Resurrection => match g.rng.below(10) {
                0..=4 => {
                    let n = 1 + g.rng.below(3) as u32;
                    g.cycle(r, n, 70, 50);
                }
                5 => g.push(Op::Unsave),
                6 => g.weak(),
                7 => g.wget(),
                8 => g.collect(),
                _ => g.set_random(),
            },
            Shape::Generations => match g.rng.below(14) {
                0..=3 => {
                    let n = 1 + g.rng.below(3) as u32;
                    g.cycle(r, n, 15, 20);
                }
                4..=5 => g.new_node(r, 1),
                6 => g.set_random(),
                7 => g.new_tuple(r),
                8 => g.weak(),
                9 => g.collect(),
                10 => g.get_random(),
                11 => g.push(Op::Unsave),
                12 => g.new_atom(r),
                _ => g.del(r),
            },
            Shape::Thresholds => match g.rng.below(16) {
                0..=4 => {
                    let n = 1 + g.rng.below(3) as u32;
                    g.cycle(r, n, 15, 20);
                }
                5..=6 => g.new_node(r, 2),
                7 => g.threshold(),
                8 => g.push(Op::Gc(Control::Disable)),
                9..=10 => g.push(Op::Gc(Control::Enable)),
                11 => g.set_random(),
                12 => g.new_tuple(r),
                13 => g.weak(),
                14 => g.push(Op::Unsave),
                _ => g.mov(),
            },
        }
        if g.rng.pct(1) {
            g.push(Op::Gc(Control::GarbageClear));
        }
    }
    g.push(Op::Gc(Control::Enable));
    g.push(Op::Collect(None));
    Trace::from_ops(g.ops)
}
