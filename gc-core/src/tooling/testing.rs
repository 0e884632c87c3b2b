//! Random valid gctraces, for the strategies' property tests.
//!
//! A trace is generated as a list of raw choices (`(opcode, a, b, c)`)
//! that [`build_trace`] turns into operations against a small shadow of the
//! registers, so every generated trace is valid (no empty register where an
//! object is needed, no slot out of range) and proptest can shrink the raw
//! list freely. Eight registers and three weak registers make operations
//! collide often.

use proptest::prelude::*;

use crate::Control;
use crate::tooling::trace::{Op, Reg, Trace, Value, WeakReg};

const REGISTERS: u32 = 8;
const WEAK_REGISTERS: u32 = 3;

/// One raw choice: an opcode in 0..100 and three free numbers.
pub type RawOp = (u8, u32, u32, u32);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Empty,
    /// An object whose kind and slot count we know.
    Object(usize),
    /// After `wget`: an object or nil; used only as a value.
    Unknown,
}

#[derive(Clone)]
struct ShadowObject {
    node: bool,
    slots: Vec<Option<usize>>,
}

/// Which operations a generated trace may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Graph mutation, finalizers, weak references, explicit collections.
    Mutator,
    /// All of that plus CPython-style controls (thresholds, disable/enable).
    WithControls,
}

/// Turns raw choices into a valid trace.
pub fn build_trace(raw: &[RawOp], profile: Profile) -> Trace {
    let mut regs = [Known::Empty; REGISTERS as usize];
    let mut weak = [false; WEAK_REGISTERS as usize];
    let mut objects: Vec<ShadowObject> = Vec::new();
    let mut ops = Vec::with_capacity(raw.len());
    for &(code, a, b, c) in raw {
        let dst = Reg(a % REGISTERS);
        let src = Reg(b % REGISTERS);
        let value = |r: Reg, regs: &[Known]| match regs[r.0 as usize] {
            Known::Empty => Value::Nil,
            _ => Value::Reg(r),
        };
        let value_id = |v: Value, regs: &[Known]| match v {
            Value::Reg(r) => match regs[r.0 as usize] {
                Known::Object(id) => Some(id),
                _ => None,
            },
            Value::Nil => None,
        };
        // The first register (from `a`) holding an object matching `pred`.
        let find =
            |regs: &[Known], objects: &[ShadowObject], pred: &dyn Fn(&ShadowObject) -> bool| {
                (0..REGISTERS)
                    .map(|k| (a % REGISTERS + k) % REGISTERS)
                    .find_map(|r| match regs[r as usize] {
                        Known::Object(id) if pred(&objects[id]) => Some((Reg(r), id)),
                        _ => None,
                    })
            };
        let new_node = |objects: &mut Vec<ShadowObject>, regs: &mut [Known]| {
            let slots = b % 5;
            objects.push(ShadowObject {
                node: true,
                slots: vec![None; slots as usize],
            });
            regs[dst.0 as usize] = Known::Object(objects.len() - 1);
            Op::NewNode {
                dst,
                slots,
                payload: c % 33,
            }
        };
        let op = match code % 100 {
            0..=19 => new_node(&mut objects, &mut regs),
            20..=24 => {
                objects.push(ShadowObject {
                    node: false,
                    slots: Vec::new(),
                });
                regs[dst.0 as usize] = Known::Object(objects.len() - 1);
                Op::NewAtom {
                    dst,
                    payload: c % 17,
                }
            }
            25..=29 => {
                let n = b % 4;
                let members: Vec<Value> = (0..n)
                    .map(|k| value(Reg(c.wrapping_add(k * 3) % REGISTERS), &regs))
                    .collect();
                let slots = members.iter().map(|&m| value_id(m, &regs)).collect();
                objects.push(ShadowObject { node: false, slots });
                regs[dst.0 as usize] = Known::Object(objects.len() - 1);
                Op::NewTuple { dst, members }
            }
            30..=49 => match find(&regs, &objects, &|o| o.node && !o.slots.is_empty()) {
                Some((object, id)) => {
                    let slot = c % objects[id].slots.len() as u32;
                    let v = if c % 7 == 0 {
                        Value::Nil
                    } else {
                        value(src, &regs)
                    };
                    objects[id].slots[slot as usize] = value_id(v, &regs);
                    Op::Set {
                        object,
                        slot,
                        value: v,
                    }
                }
                None => new_node(&mut objects, &mut regs),
            },
            50..=57 => match find(&regs, &objects, &|o| !o.slots.is_empty()) {
                Some((object, id)) => {
                    let slot = c % objects[id].slots.len() as u32;
                    let target = objects[id].slots[slot as usize];
                    let dst = Reg(b % REGISTERS);
                    regs[dst.0 as usize] = target.map_or(Known::Empty, Known::Object);
                    Op::Get { dst, object, slot }
                }
                None => new_node(&mut objects, &mut regs),
            },
            58..=63 => {
                regs[dst.0 as usize] = regs[src.0 as usize];
                Op::Mov { dst, src }
            }
            64..=71 | 96..=99 => {
                regs[dst.0 as usize] = Known::Empty;
                Op::Del(dst)
            }
            72..=74 => Op::Collect(match b % 5 {
                0 => Some(0),
                1 => Some(1),
                2 => Some(2),
                _ => None,
            }),
            75..=79 => match find(&regs, &objects, &|_| true) {
                Some((object, _)) => Op::Fin {
                    object,
                    resurrect: b % 2 == 0,
                },
                None => new_node(&mut objects, &mut regs),
            },
            80..=81 => Op::Unsave,
            82..=85 => match find(&regs, &objects, &|_| true) {
                Some((object, _)) => {
                    let w = WeakReg(b % WEAK_REGISTERS);
                    weak[w.0 as usize] = true;
                    Op::Weak {
                        dst: w,
                        object,
                        callback: c % 2 == 0,
                    }
                }
                None => new_node(&mut objects, &mut regs),
            },
            86..=88 => {
                let w = WeakReg(b % WEAK_REGISTERS);
                if weak[w.0 as usize] {
                    regs[dst.0 as usize] = Known::Unknown;
                    Op::Wget { dst, src: w }
                } else {
                    new_node(&mut objects, &mut regs)
                }
            }
            89..=90 => {
                let w = WeakReg(b % WEAK_REGISTERS);
                weak[w.0 as usize] = false;
                Op::Wdel(w)
            }
            91..=95 if profile == Profile::WithControls => Op::Gc(match b % 4 {
                0 => Control::Disable,
                1 => Control::Enable,
                _ => Control::Threshold(
                    u64::from(1 + c % 20),
                    Some(u64::from(1 + a % 4)),
                    Some(u64::from(1 + b % 4)),
                ),
            }),
            _ => {
                regs[dst.0 as usize] = Known::Empty;
                Op::Del(dst)
            }
        };
        ops.push(op);
    }
    Trace::from_ops(ops)
}

/// A proptest strategy: valid traces of exactly `len` operations.
pub fn arb_trace(len: usize, profile: Profile) -> impl Strategy<Value = Trace> {
    proptest::collection::vec((0u8..100, any::<u32>(), any::<u32>(), any::<u32>()), len)
        .prop_map(move |raw| build_trace(&raw, profile))
}
