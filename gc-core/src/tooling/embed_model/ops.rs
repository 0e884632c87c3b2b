//! The operations a scope runs, decoded from the input and checked one
//! by one.

use super::*;

/// What an allocation answered: its local, or `None` when the hook
/// swapped heaps during it (the run's heap is spent: a local it made is
/// kept as a ghost, and the operation ends).
fn answered<'s, C: Collector + 'static>(
    m: &mut Model<'_>,
    fired: bool,
    made: Result<Local<'s>, GcError>,
    what: &str,
    ghosts: &mut Vec<Local<'s>>,
) -> Result<Option<Local<'s>>, String> {
    if m.hook_swapped::<C>(fired, made.as_ref().map(drop).map_err(Clone::clone))? {
        ghosts.extend(made.ok());
        return Ok(None);
    }
    made.map(Some).map_err(|e| format!("{what}: {e}"))
}

/// Records the object a new local `l` holds in the model: its model id.
fn new_local<C: Collector>(
    s: &Scope<'_, C>,
    m: &mut Model<'_>,
    l: Local<'_>,
    kind: Kind,
    slots: Vec<Option<usize>>,
    payload: Vec<u8>,
) -> Result<usize, String> {
    let oid = s.id(l).map_err(|e| format!("id: {e}"))?;
    // The allocation released the dropped roots first.
    m.pending.clear();
    m.born(oid, kind, slots, payload)
}

/// Why a scope's operations stopped early.
pub(super) enum Stop {
    Failed(String),
    /// A child scope's body chose to fail.
    Abort,
    /// The library's own answer ([`Scope::child_tuple`]'s).
    Refused(GcError),
}

impl From<String> for Stop {
    fn from(e: String) -> Self {
        Stop::Failed(e)
    }
}

impl From<GcError> for Stop {
    fn from(e: GcError) -> Self {
        Stop::Refused(e)
    }
}

/// The operations, by weight.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Node,
    Atom,
    Tuple,
    Set,
    Get,
    Payload,
    Root,
    Unroot,
    FromRoot,
    DropRoot,
    Weak,
    Upgrade,
    DropWeak,
    Finalizer,
    CollectFull,
    CollectYoung,
    Scope,
    Child,
    Leave,
    Stale,
    Foreign,
    Resize,
    Same,
    Swap,
    SlotOrder,
    Control,
    ChildTuple,
}

pub(super) const OPS: [Op; 42] = [
    Op::SlotOrder,
    Op::Control,
    Op::Swap,
    Op::Resize,
    Op::Same,
    Op::Foreign,
    Op::Stale,
    Op::Stale,
    Op::Node,
    Op::Node,
    Op::Node,
    Op::Atom,
    Op::Atom,
    Op::Tuple,
    Op::Tuple,
    Op::Set,
    Op::Set,
    Op::Set,
    Op::Set,
    Op::Get,
    Op::Get,
    Op::Payload,
    Op::Root,
    Op::Root,
    Op::Unroot,
    Op::FromRoot,
    Op::DropRoot,
    Op::Weak,
    Op::Weak,
    Op::Upgrade,
    Op::Upgrade,
    Op::DropWeak,
    Op::Finalizer,
    Op::CollectFull,
    Op::CollectYoung,
    Op::Scope,
    Op::Scope,
    Op::Child,
    Op::Child,
    Op::Leave,
    Op::ChildTuple,
    Op::ChildTuple,
];

/// Runs operations in scope `s` (at `depth`) until one leaves it or the
/// input ends; answers its locals.
pub(super) fn level<'s, C: Collector + 'static>(
    s: &mut Scope<'s, C>,
    m: &mut Model<'_>,
    outer: &dyn Outer,
    depth: usize,
    spare: &mut Option<C>,
) -> Result<Vec<Local<'s>>, String> {
    m.enter();
    m.summary.max_depth = m.summary.max_depth.max(depth as u64);
    let base = m.locals.len();
    let mut mine: Vec<Local<'s>> = Vec::new();
    // Locals answered by children run on a swapped heap: never resolve.
    let mut ghosts: Vec<Local<'s>> = Vec::new();
    {
        let own = own_heap(s, m, spare);
        check_all(s, m, outer, &mine, own)?;
        check_ghosts(s, outer, &ghosts)?;
    }
    'ops: while !m.input.is_empty() {
        let mut op = OPS[m.byte() as usize % OPS.len()];
        if m.swapped() && op as u8 % 2 == 0 && !matches!(op, Op::Scope | Op::Child | Op::ChildTuple)
        {
            // Swapped back soon, mostly.
            op = Op::Swap;
        }
        let n = m.locals.len();
        let mut full = false;
        let mut collected = None;
        // With the heaps swapped, every operation but these uses a local
        // of the run's heap on the spare; on the run's heap, a scope that
        // is not the innermost on its stack makes no local.
        let swapped_ok = matches!(
            op,
            Op::Swap
                | Op::Scope
                | Op::Child
                | Op::ChildTuple
                | Op::Leave
                | Op::CollectFull
                | Op::CollectYoung
                | Op::DropRoot
                | Op::DropWeak
        );
        let makes = matches!(
            op,
            Op::Node | Op::Atom | Op::Tuple | Op::Get | Op::FromRoot | Op::Upgrade
        );
        let refused = if m.swapped() {
            // A scope entered on the spare may allocate there: the model
            // keeps no object of the spare's.
            !(swapped_ok || m.owns_top() && makes)
        } else {
            makes && !m.owns_top()
        };
        if refused {
            refused_op(s, m, outer, &mine, base, op)?;
        } else if m.swapped() && !swapped_ok {
            continue 'ops;
        } else {
            'op: {
                match op {
                    Op::Node | Op::Atom if n >= MAX_LOCALS => continue 'ops,
                    Op::Node => {
                        let slots = m.below(5);
                        let len = m.below(9);
                        let payload: Vec<u8> = (0..len).map(|_| m.byte()).collect();
                        m.note(format_args!("node({slots}, {payload:?}) -> local {n}"));
                        let armed = m.hook_swaps && !m.spent && arm::<C>(true);
                        let made = s.node(slots, len);
                        let Some(l) = answered::<C>(m, armed, made, "node", &mut ghosts)? else {
                            break 'op;
                        };
                        s.payload_mut(l)
                            .map_err(|e| format!("payload_mut of a new node: {e}"))?
                            .copy_from_slice(&payload);
                        let id = new_local(s, m, l, Kind::Node, vec![None; slots], payload)?;
                        mine.push(l);
                        m.locals.push(id);
                    }
                    Op::Atom => {
                        let len = m.below(9);
                        let payload: Vec<u8> = (0..len).map(|_| m.byte()).collect();
                        m.note(format_args!("atom({payload:?}) -> local {n}"));
                        let armed = m.hook_swaps && !m.spent && arm::<C>(true);
                        let made = s.atom(&payload);
                        let Some(l) = answered::<C>(m, armed, made, "atom", &mut ghosts)? else {
                            break 'op;
                        };
                        let id = new_local(s, m, l, Kind::Atom, Vec::new(), payload)?;
                        mine.push(l);
                        m.locals.push(id);
                    }
                    Op::Tuple => {
                        // Members of one scope (a slice has one brand): this one's
                        // or the enclosing one's.
                        let len = m.below(4);
                        let from_outer = m.byte() % 3 == 0;
                        let picks: Vec<u8> = (0..len).map(|_| m.byte()).collect();
                        let mut made = None;
                        let armed = m.hook_swaps && !m.spent && arm::<C>(true);
                        let mut fired = false;
                        let mut members_model = Vec::new();
                        let mut build = |locals: &[Local<'_>], first: usize| {
                            let mut members = Vec::new();
                            for &p in &picks {
                                if locals.is_empty() || p % 5 == 0 {
                                    members.push(None);
                                    members_model.push(None);
                                } else {
                                    let k = p as usize % locals.len();
                                    members.push(Some(locals[k]));
                                    members_model.push(Some(first + k));
                                }
                            }
                            made = Some(s.tuple(&members));
                            if armed {
                                fired = arm::<C>(false);
                            }
                        };
                        if from_outer {
                            outer.own(&mut build);
                        } else {
                            build(&mine, base);
                        }
                        let members: Vec<Option<usize>> = members_model
                            .iter()
                            .map(|p| p.map(|p: usize| m.locals[p]))
                            .collect();
                        m.note(format_args!("tuple(locals {members_model:?}) -> local {n}"));
                        let made = made.expect("built");
                        let Some(l) = answered::<C>(m, fired, made, "tuple", &mut ghosts)? else {
                            break 'op;
                        };
                        let id = new_local(s, m, l, Kind::Tuple, members, Vec::new())?;
                        mine.push(l);
                        m.locals.push(id);
                    }
                    Op::Set if n == 0 => continue 'ops,
                    Op::Set => {
                        let i = m.below(n);
                        let index = m.below(5);
                        let v = m.byte() as usize;
                        let value = (v % 4 != 0).then(|| v % n);
                        m.note(format_args!("set(local {i}, {index}, {value:?})"));
                        let armed = m.hook_swaps && !m.spent && arm::<C>(true);
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| match value {
                            None => out = Some(s.set(a, index, None)),
                            Some(j) => with_local(outer, &mine, base, j, &mut |b| {
                                out = Some(s.set(a, index, Some(b)));
                            }),
                        });
                        let out = out.expect("called");
                        // Swapped while the write freed what the slot
                        // held (reference counting): any answer.
                        if m.hook_swapped::<C>(armed, Ok(()))? {
                            break 'op;
                        }
                        let o = &m.objs[m.locals[i]];
                        let valid = o.kind == Kind::Node && index < o.slots.len();
                        match (out, valid) {
                            (Ok(()), true) => {
                                let target = value.map(|j| m.locals[j]);
                                let id = m.locals[i];
                                m.objs[id].slots[index] = target;
                            }
                            (Err(_), false) => m.summary.refused += 1,
                            (out, _) => {
                                return Err(format!(
                                    "set on a {:?} of {} slots at {index}: {out:?}",
                                    o.kind,
                                    o.slots.len()
                                ));
                            }
                        }
                    }
                    Op::Get if n == 0 => continue 'ops,
                    Op::Get => {
                        let i = m.below(n);
                        let index = m.below(5);
                        m.note(format_args!("get(local {i}, {index})"));
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| out = Some(s.get(a, index)));
                        let o = &m.objs[m.locals[i]];
                        match (out.expect("called"), o.slots.get(index)) {
                            (Ok(None), Some(None)) => {}
                            (Ok(Some(l)), Some(Some(t))) => {
                                let t = *t;
                                let oid = s.id(l).map_err(|e| format!("id: {e}"))?;
                                if oid != m.objs[t].oid {
                                    return Err(format!(
                                        "get answered {oid}, the model has obj {t} ({})",
                                        m.objs[t].oid
                                    ));
                                }
                                mine.push(l);
                                m.locals.push(t);
                            }
                            (Err(_), None) => m.summary.refused += 1,
                            (out, model) => {
                                return Err(format!(
                                    "get: {:?}; the model has {model:?}",
                                    out.map(|l| l.map(|l| s.id(l)))
                                ));
                            }
                        }
                    }
                    Op::Payload if n == 0 => continue 'ops,
                    Op::Payload => {
                        let i = m.below(n);
                        let at = m.byte() as usize;
                        let value = m.byte();
                        m.note(format_args!("payload(local {i})[{at} % len] = {value}"));
                        let id = m.locals[i];
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| {
                            out = Some(s.payload_mut(a).map(|p| {
                                let len = p.len();
                                if len > 0 {
                                    p[at % len] = value;
                                }
                                len
                            }));
                        });
                        match out.expect("called") {
                            Ok(len) if len == m.objs[id].payload.len() => {
                                if len > 0 {
                                    m.objs[id].payload[at % len] = value;
                                }
                            }
                            out => return Err(format!("payload_mut: {out:?}")),
                        }
                    }
                    Op::Root if n == 0 => continue 'ops,
                    Op::Root => {
                        let i = m.below(n);
                        m.note(format_args!("root(local {i}) -> root {}", m.roots.len()));
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| out = Some(s.root(a)));
                        let root = out.expect("called").map_err(|e| format!("root: {e}"))?;
                        if m.roots.len() >= MAX_ROOTS {
                            let (old, id) = m.roots.remove(0);
                            drop(old);
                            m.pending.push(id);
                        }
                        m.roots.push((root, m.locals[i]));
                    }
                    Op::Unroot | Op::FromRoot | Op::DropRoot if m.roots.is_empty() => continue 'ops,
                    Op::Unroot => {
                        let k = m.below(m.roots.len());
                        m.note(format_args!("unroot(root {k})"));
                        let (root, id) = m.roots.remove(k);
                        m.retired(root.handle(), id, false);
                        let armed = m.hook_swaps && !m.spent && arm::<C>(true);
                        let out = s.unroot(root);
                        if m.hook_swapped::<C>(armed, Ok(()))? {
                            break 'op;
                        }
                        out.map_err(|e| format!("unroot: {e}"))?;
                    }
                    Op::FromRoot => {
                        let k = m.below(m.roots.len());
                        m.note(format_args!("local(root {k}) -> local {n}"));
                        let l = s.local(&m.roots[k].0).map_err(|e| format!("local: {e}"))?;
                        mine.push(l);
                        m.locals.push(m.roots[k].1);
                    }
                    Op::DropRoot => {
                        let k = m.below(m.roots.len());
                        m.drop_root(k);
                    }
                    Op::Weak if n == 0 => continue 'ops,
                    Op::Weak => {
                        let i = m.below(n);
                        let callback = m.byte() % 2 == 0;
                        m.note(format_args!(
                            "weak(local {i}, {callback}) -> weak {}",
                            m.weaks.len()
                        ));
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| {
                            out = Some(s.weak(a, callback))
                        });
                        let weak = out.expect("called").map_err(|e| format!("weak: {e}"))?;
                        if m.weaks.len() >= MAX_ROOTS {
                            m.weaks.remove(0);
                        }
                        let state = if callback {
                            m.summary.callbacks_made += 1;
                            Callback::Waiting
                        } else {
                            Callback::None
                        };
                        m.weaks.push((weak, m.locals[i], false, state));
                        m.pending.clear();
                    }
                    Op::Upgrade | Op::DropWeak if m.weaks.is_empty() => continue 'ops,
                    Op::Upgrade => {
                        let k = m.below(m.weaks.len());
                        m.note(format_args!("upgrade(weak {k})"));
                        let got = s
                            .upgrade(&m.weaks[k].0)
                            .map_err(|e| format!("upgrade: {e}"))?;
                        let (_, id, cleared, _) = m.weaks[k];
                        match got {
                            Some(l) => {
                                let oid = s.id(l).map_err(|e| format!("id: {e}"))?;
                                if oid != m.objs[id].oid {
                                    return Err(format!(
                                        "upgrade answered {oid}, the referent is obj {id} ({})",
                                        m.objs[id].oid
                                    ));
                                }
                                if cleared || m.objs[id].dead {
                                    return Err(format!(
                                        "upgrade answered obj {id}, which is freed (or an upgrade said None before)"
                                    ));
                                }
                                m.summary.upgrades_live += 1;
                                mine.push(l);
                                m.locals.push(id);
                            }
                            None => {
                                if m.must_live()[id] {
                                    return Err(format!(
                                        "upgrade answered None for obj {id}, which must live ({})",
                                        m.path_to(id)
                                    ));
                                }
                                m.summary.upgrades_dead += 1;
                                m.weaks[k].2 = true;
                            }
                        }
                    }
                    Op::DropWeak => {
                        let k = m.below(m.weaks.len());
                        m.note(format_args!("drop(weak {k})"));
                        m.weaks.remove(k);
                    }
                    Op::Finalizer if n == 0 || !m.hooked => continue 'ops,
                    Op::Finalizer => {
                        let i = m.below(n);
                        let id = m.locals[i];
                        if m.objs[id].finalized {
                            continue 'ops;
                        }
                        m.note(format_args!("set_finalizer(local {i}, Run)"));
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| {
                            out = Some(s.set_finalizer(a, Finalizer::Run));
                        });
                        out.expect("called")
                            .map_err(|e| format!("set_finalizer: {e}"))?;
                        m.objs[id].finalizer = true;
                    }
                    Op::CollectFull | Op::CollectYoung if m.swapped() => {
                        // The spare's: the run's heap is not touched.
                        m.note(format_args!("collect the spare ({op:?})"));
                        s.collect(Generation::FULL)
                            .map_err(|e| format!("collect on the spare: {e}"))?;
                    }
                    Op::Swap => swap(s, m, spare)?,
                    Op::CollectFull | Op::CollectYoung => {
                        full = matches!(op, Op::CollectFull);
                        let generation = if full {
                            Generation::FULL
                        } else {
                            Generation::YOUNGEST
                        };
                        m.note(format_args!("collect({generation:?})"));
                        let armed = m.hook_swaps && !m.spent && arm::<C>(true);
                        let out = s.collect(generation);
                        // Swapped in the middle of the collection: any answer
                        // but a panic.
                        if m.hook_swapped::<C>(armed, Ok(()))? {
                            break 'op;
                        }
                        collected = Some(out.map_err(|e| format!("collect: {e}"))?);
                        m.pending.clear();
                    }
                    Op::Scope | Op::Child | Op::ChildTuple if depth >= MAX_DEPTH => {
                        continue 'ops;
                    }
                    Op::Scope => {
                        m.note(format_args!("scope {{"));
                        let here = Level {
                            locals: &mine,
                            ghosts: &ghosts,
                            base,
                            parent: outer,
                        };
                        let inner_base = base + mine.len();
                        let armed = s.scope(|inner| {
                            let theirs = level(inner, m, &here, depth + 1, spare)?;
                            retire(inner, m, &theirs, inner_base, None);
                            // The hook may swap while the scope's end
                            // releases its locals.
                            Ok::<_, String>(m.hook_swaps && !m.spent && arm::<C>(true))
                        })?;
                        m.hook_swapped::<C>(armed, Ok(()))?;
                        let popped = m.end(inner_base);
                        m.note(format_args!("}} (scope, its locals released: {popped})"));
                    }
                    Op::Child => {
                        m.note(format_args!("child {{"));
                        let here = Level {
                            locals: &mine,
                            ghosts: &ghosts,
                            base,
                            parent: outer,
                        };
                        let inner_base = base + mine.len();
                        let mut kept = None;
                        // Run while this scope is not the innermost on the heap's
                        // stack (swapped, or a scope left above it), the child
                        // answers a local that never resolves.
                        let parent_owns = m.owns_top();
                        let mut armed = false;
                        let out = s.child(|inner| {
                            let theirs = level(inner, m, &here, depth + 1, spare)?;
                            let pick = m.byte();
                            if theirs.is_empty() || pick % 8 == 0 {
                                m.note(format_args!("}} (child fails)"));
                                retire(inner, m, &theirs, inner_base, None);
                                armed = m.hook_swaps && !m.spent && arm::<C>(true);
                                return Err(Stop::Abort);
                            }
                            let k = pick as usize % theirs.len();
                            retire(inner, m, &theirs, inner_base, Some(k));
                            armed = m.hook_swaps && !m.spent && arm::<C>(true);
                            m.note(format_args!(
                                "}} (child keeps local {}) -> local {inner_base}",
                                inner_base + k
                            ));
                            kept = Some(m.locals[inner_base + k]);
                            Ok(theirs[k])
                        });
                        // The hook swapped heaps at the child's end: the kept
                        // local never resolves (its stack went away).
                        m.hook_swapped::<C>(armed, Ok(()))?;
                        // Its scope is innermost at its end: it releases its
                        // locals (but the one kept, on success); otherwise it
                        // leaves them rooted.
                        let inner_owns = m.owns_top();
                        let popped = m.end(inner_base);
                        match out {
                            Ok(l) if parent_owns && inner_owns => {
                                m.summary.escapes += 1;
                                mine.push(l);
                                m.locals.push(kept.expect("kept"));
                            }
                            Ok(l) => {
                                m.note(format_args!(
                            "(the child ran on a swapped heap: its local never resolves; its locals released: {popped})"
                        ));
                                m.summary.ghosts += 1;
                                ghosts.push(l);
                            }
                            Err(Stop::Abort) => m.summary.child_errors += 1,
                            Err(Stop::Failed(e)) => return Err(e),
                            Err(Stop::Refused(e)) => return Err(format!("child: {e}")),
                        }
                    }
                    Op::ChildTuple => {
                        let here = Level {
                            locals: &mine,
                            ghosts: &ghosts,
                            base,
                            parent: outer,
                        };
                        let answer = match m.byte() % 4 {
                            0 => child_tuple::<0, C>(s, m, &here, depth, spare)?,
                            1 => child_tuple::<1, C>(s, m, &here, depth, spare)?,
                            2 => child_tuple::<2, C>(s, m, &here, depth, spare)?,
                            _ => child_tuple::<3, C>(s, m, &here, depth, spare)?,
                        };
                        match answer {
                            Answer::Made(l, id) => {
                                mine.push(l);
                                m.locals.push(id);
                            }
                            Answer::Ghost(l) => ghosts.push(l),
                            Answer::Nothing => {}
                        }
                    }
                    Op::Leave => {
                        m.note(format_args!("leave"));
                        break 'ops;
                    }
                    Op::Control => {
                        // Automatic collections on or off, or more often:
                        // the model predicts what a collection must free,
                        // not when one runs. (Not `freeze`, which takes
                        // objects out of the collector's reach.)
                        let control = match m.byte() % 4 {
                            0 => Control::Enable,
                            1 => Control::Disable,
                            k => Control::Threshold(u64::from(m.byte() % 8) + k as u64, None, None),
                        };
                        m.note(format_args!("control({control:?})"));
                        match s.control(control) {
                            Ok(ControlOutcome::Applied) => m.summary.controls += 1,
                            Ok(ControlOutcome::Ignored) => {}
                            Err(e) => return Err(format!("control({control:?}): {e}")),
                        }
                    }
                    Op::Resize | Op::Same | Op::SlotOrder if n == 0 => continue 'ops,
                    Op::SlotOrder => {
                        // Kept by the reference-counting strategies (the
                        // order their cascades drop slots); the others
                        // check the handle. Not a node: immutable.
                        let i = m.below(n);
                        let order = if m.byte() % 2 == 0 {
                            SlotOrder::LastToFirst
                        } else {
                            SlotOrder::FirstToLast
                        };
                        m.note(format_args!("set_slot_order(local {i}, {order:?})"));
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| {
                            out = Some(s.set_slot_order(a, order))
                        });
                        let kind = m.objs[m.locals[i]].kind;
                        match out.expect("called") {
                            Ok(()) if kind == Kind::Node => m.summary.slot_orders += 1,
                            Err(GcError::Immutable { .. }) if kind != Kind::Node => {
                                m.summary.refused += 1
                            }
                            out => return Err(format!("set_slot_order of a {kind:?}: {out:?}")),
                        }
                    }
                    Op::Resize => {
                        let i = m.below(n);
                        let slots = m.below(7);
                        m.note(format_args!("resize(local {i}, {slots})"));
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| {
                            out = Some(s.resize(a, slots))
                        });
                        let id = m.locals[i];
                        let kind = m.objs[id].kind;
                        match out.expect("called") {
                            Ok(()) if kind == Kind::Node => m.objs[id].slots.resize(slots, None),
                            Err(GcError::Immutable { .. }) if kind != Kind::Node => {
                                m.summary.refused += 1
                            }
                            Err(GcError::Unsupported { .. }) if m.traits.moves_objects => {
                                m.summary.refused += 1
                            }
                            out => return Err(format!("resize of a {kind:?}: {out:?}")),
                        }
                    }
                    Op::Same => {
                        let i = m.below(n);
                        let j = m.below(n);
                        m.note(format_args!("same(local {i}, local {j})"));
                        let mut out = None;
                        with_local(outer, &mine, base, i, &mut |a| {
                            with_local(outer, &mine, base, j, &mut |b| out = Some(s.same(a, b)));
                        });
                        let expected = m.locals[i] == m.locals[j];
                        match out.expect("called") {
                            Ok(same) if same == expected => {}
                            out => {
                                return Err(format!("same answered {out:?}, the model {expected}"));
                            }
                        }
                    }
                    Op::Foreign if n == 0 => continue 'ops,
                    Op::Foreign => {
                        // Another heap of the same type (its default
                        // configuration): a local or handle of either is foreign
                        // to the other, never one of its objects.
                        let i = m.below(n);
                        m.note(format_args!("foreign(local {i})"));
                        let mut other = C::with_config(Default::default())
                            .map_err(|e| format!("another heap: {e}"))?;
                        let mut out = Ok(());
                        with_local(outer, &mine, base, i, &mut |a| {
                            out = foreign(s, &mut other, a);
                        });
                        out?;
                        m.summary.foreign += 1;
                    }
                    Op::Stale if m.stale.is_empty() => continue 'ops,
                    Op::Stale => {
                        // A released local's or root's raw handle: stale, never
                        // another object; one that may live names its own.
                        let k = m.below(m.stale.len());
                        let how = m.byte() % 3;
                        let (h, id, may_live) = m.stale[k];
                        m.note(format_args!(
                            "stale handle {k} (obj {id}, may live: {may_live}), use {how}"
                        ));
                        match s.heap_ref().view(h) {
                            Err(GcError::StaleHandle) => {}
                            Ok(v) if may_live && v.id() == m.objs[id].oid => continue 'ops,
                            other => {
                                return Err(format!(
                                    "stale handle {k} of obj {id} ({}): view answered {:?}",
                                    m.objs[id].oid,
                                    other.map(|v| v.id())
                                ));
                            }
                        }
                        let out = match how {
                            0 => s.heap().set_slot(h, 0, None),
                            1 => s.adopt(h).map(drop),
                            _ => s.heap().payload_mut(h).map(drop),
                        };
                        if out != Err(GcError::StaleHandle) {
                            return Err(format!(
                                "stale handle {k} of obj {id}: use {how} answered {out:?}"
                            ));
                        }
                        m.stale.remove(k);
                        m.summary.stale += 1;
                    }
                }
            }
        }
        let own = own_heap(s, m, spare);
        if let Some(own) = own {
            m.after(own, collected, full)?;
        }
        check_all(s, m, outer, &mine, own)?;
        check_ghosts(s, outer, &ghosts)?;
    }
    Ok(mine)
}

/// Swaps the scope's heap with the spare (made at the first swap).
fn swap<C: Collector>(
    s: &mut Scope<'_, C>,
    m: &mut Model<'_>,
    spare: &mut Option<C>,
) -> Result<(), String> {
    if spare.is_none() {
        *spare =
            Some(C::with_config(Default::default()).map_err(|e| format!("the spare heap: {e}"))?);
    }
    m.note(format_args!(
        "swap the heap with the spare (now {}), scope innermost: {}",
        if m.swapped() { "its own" } else { "the spare" },
        m.owns_top()
    ));
    std::mem::swap(s.heap(), spare.as_mut().expect("made"));
    std::mem::swap(&mut m.at, &mut m.spare_has);
    m.summary.swaps += 1;
    Ok(())
}

/// What [`child_tuple`] answered, for its scope's locals.
enum Answer<'s> {
    /// The tuple's local, and its model id.
    Made(Local<'s>, usize),
    /// A local that never resolves (the hook swapped heaps).
    Ghost(Local<'s>),
    /// No local: refused, or the body failed.
    Nothing,
}

/// [`Scope::child_tuple`] of `N` members, in the scope whose locals
/// `here` holds: the body runs a nested level, then returns, as its next
/// byte says, the last `N` locals it made in order (made up to `N` with
/// atoms when it made fewer: then they are all it made, and the tuple takes
/// them over in place), or `N` picked in any order or nil (sometimes
/// after swapping the heap with the spare), or fails; sometimes it drops
/// a root last, which `child_tuple` releases before it makes the tuple
/// (where the strategy's own hook may run, and swap heaps).
fn child_tuple<'s, const N: usize, C: Collector + 'static>(
    s: &mut Scope<'s, C>,
    m: &mut Model<'_>,
    here: &Level<'_, 's>,
    depth: usize,
    spare: &mut Option<C>,
) -> Result<Answer<'s>, String> {
    let inner_base = here.base + here.locals.len();
    m.note(format_args!("child_tuple::<{N}> {{"));
    // Run while this scope is not the innermost on the heap's stack
    // (swapped, or a scope left above it), it refuses before the body.
    let parent_owns = m.owns_top();
    let mut ran = false;
    let mut armed = false;
    // The members' model ids, and whether they are every local the body
    // made, in order.
    let mut picked: Option<(Vec<Option<usize>>, bool)> = None;
    let out = s.child_tuple::<N, Stop>(|inner| {
        ran = true;
        let mut theirs = level(inner, m, here, depth + 1, spare)?;
        let pick = m.byte();
        // A tuple made on the spare is not modelled (the model keeps none
        // of the spare's objects).
        let on_spare = m.frames.last().is_some_and(|f| f.heap != 0);
        if pick % 8 == 0 || on_spare {
            m.note(format_args!("}} (child_tuple's body fails)"));
            retire(inner, m, &theirs, inner_base, None);
            armed = m.hook_swaps && !m.spent && arm::<C>(true);
            return Err(Stop::Abort);
        }
        let last = pick % 8 < 6;
        if pick % 8 == 7 && pick & 0x80 != 0 {
            // Swapped at the body's end, and not back: its scope is not
            // the innermost on the stack its heap holds, and the answer
            // is `ForeignHandle` (the parent swaps back later).
            swap(inner, m, spare)?;
        }
        if last && m.owns_top() {
            while theirs.len() < N {
                let payload = [m.byte()];
                m.note(format_args!(
                    "atom({payload:?}) -> local {} (a member)",
                    m.locals.len()
                ));
                let l = inner
                    .atom(&payload)
                    .map_err(|e| format!("atom (a member): {e}"))?;
                let id = new_local(inner, m, l, Kind::Atom, Vec::new(), payload.to_vec())?;
                theirs.push(l);
                m.locals.push(id);
            }
        }
        if pick & 0x40 != 0 && !m.roots.is_empty() {
            // A root dropped last: child_tuple releases it (which may run
            // the hook) before it makes the tuple.
            let k = m.below(m.roots.len());
            m.drop_root(k);
        }
        let len = theirs.len();
        // Places among the body's locals.
        let places: [Option<usize>; N] = if last {
            std::array::from_fn(|i| (len + i >= N).then(|| len + i - N))
        } else {
            std::array::from_fn(|_| {
                let b = m.byte();
                (len > 0 && b % 4 != 0).then(|| b as usize % len)
            })
        };
        let taken = len == N && (0..N).all(|i| places[i] == Some(i));
        let ids = places
            .iter()
            .map(|p| p.map(|k| m.locals[inner_base + k]))
            .collect();
        m.note(format_args!(
            "}} (child_tuple of locals {:?}{}) -> local {inner_base}",
            places.map(|p| p.map(|k| inner_base + k)),
            if taken { ", all it made, in order" } else { "" }
        ));
        picked = Some((ids, taken));
        retire(inner, m, &theirs, inner_base, None);
        // The hook may swap while the tuple is made, or when the body's
        // locals are released.
        armed = m.hook_swaps && !m.spent && arm::<C>(true);
        Ok(places.map(|p| p.map(|k| theirs[k])))
    });
    let made = match &out {
        Err(Stop::Refused(e)) => Err(e.clone()),
        _ => Ok(()),
    };
    // The hook swapped heaps: before the tuple was made, `ForeignHandle`;
    // after, a local that never resolves.
    let hook = m.hook_swapped::<C>(armed, made)?;
    if !ran {
        return match out {
            Err(Stop::Refused(GcError::ForeignHandle)) if !parent_owns => {
                m.note(format_args!("}} (refused: not the innermost scope)"));
                m.summary.refused_swapped += 1;
                Ok(Answer::Nothing)
            }
            Err(Stop::Refused(e)) => Err(format!(
                "child_tuple (its scope innermost: {parent_owns}) answered {e} without running its body"
            )),
            _ => Err(format!(
                "child_tuple (its scope innermost: {parent_owns}) answered without running its body"
            )),
        };
    }
    // Its scope is innermost at its end: it releases its locals (the
    // members too: the tuple holds them); otherwise it leaves them
    // rooted.
    let inner_owns = m.owns_top();
    let popped = m.end(inner_base);
    match out {
        Ok(l) if parent_owns && inner_owns => {
            let (members, taken) = picked.expect("picked");
            let id = new_local(s, m, l, Kind::Tuple, members, Vec::new())?;
            m.summary.child_tuples += 1;
            m.summary.child_tuples_taken += u64::from(taken);
            Ok(Answer::Made(l, id))
        }
        Ok(l) if hook => {
            m.note(format_args!(
                "(the hook swapped heaps after the tuple was made: its local never resolves; the body's locals released: {popped})"
            ));
            m.summary.ghosts += 1;
            Ok(Answer::Ghost(l))
        }
        Ok(_) => Err(format!(
            "child_tuple answered a local, though its scope (innermost: {parent_owns}) or the body's (innermost at its end: {inner_owns}) was not the innermost"
        )),
        Err(Stop::Refused(GcError::ForeignHandle)) if hook || !inner_owns => {
            m.note(format_args!(
                "(refused: the body's scope was not the innermost at its end; its locals released: {popped})"
            ));
            m.summary.refused_swapped += 1;
            Ok(Answer::Nothing)
        }
        Err(Stop::Refused(e)) => Err(format!("child_tuple: {e}")),
        Err(Stop::Abort) => {
            m.summary.child_tuple_errors += 1;
            Ok(Answer::Nothing)
        }
        Err(Stop::Failed(e)) => Err(e),
    }
}
