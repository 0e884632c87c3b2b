//! A model-based random test of the embedding API (feature `testing`):
//! [`run`] turns bytes into a sequence of scope operations on one heap of
//! any strategy and checks each against a model kept in plain Rust. Used
//! by `gc-any`'s `embed_model` test (seeded sequences, every strategy) and
//! by the `embed` fuzz target.
//!
//! The operations: nested scopes ([`Scope::scope`]) and child scopes
//! ([`Scope::child`], keeping one local or failing), nodes, atoms and
//! tuples, [`Scope::set`], [`Scope::get`] and [`Scope::resize`] (valid or
//! not), payload writes, [`Scope::same`], [`Root`]s made, turned back into
//! locals, unrooted or dropped, [`WeakRoot`]s made, upgraded or dropped,
//! collections (full and young), the raw handles of released locals and
//! roots, locals and handles of another heap, and [`Finalizer::Run`] under
//! a hook that reads its object and, as the input's first byte says,
//! resurrects some, allocates, clears the object's slots (freeing what
//! they held); installed with [`Collector::on_finalize`],
//! [`Embedding::on_finalize_with`] or [`Embedding::on_finalize_nested_with`]
//! (with its records [lent](lend) around the run), or not at all.
//!
//! The model gives each object its [`ObjectId`] (unique for the heap's
//! life) and records its kind, slots and payload. After every operation:
//!
//! - every local of every live scope, and every root, names its object,
//!   whose contents read through views (kind, slot targets by identity,
//!   payload bytes) are the model's, and so is everything reachable from
//!   it: an object reachable from a live local or root is never gone;
//! - the heap counts exactly the locals and roots the model holds
//!   ([`Embedding::outstanding_roots`]), and the finalizers the hook ran;
//! - every object the hook saw had [`Finalizer::Run`], was not finalized
//!   before, was unreachable, and was intact;
//! - reference counting frees exactly what nothing counts, cycles aside
//!   (`refcount` holds exactly the model's live objects; `generational`
//!   at most those, and after a full collection exactly the reachable
//!   ones), and finalizes what it frees; the null heap frees nothing.
//!
//! A released local's or root's raw handle is [`GcError::StaleHandle`] (or,
//! for one that may still be live, names its own object); one of another
//! heap is [`GcError::ForeignHandle`], both ways. An upgrade answers the
//! right object or `None`: `None` never while the referent is reachable
//! (on `refcount`: while it lives, cycles included; on a cycle collector,
//! unless it was unreachable once, when a collection may have cleared its
//! weak references before a finalizer resurrected it, as CPython does),
//! always once the model knows it is freed.
//!
//! Locals of ended scopes are left out: the compiler refuses them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use crate::embed::{lend, with_lent};
use crate::{
    Collector, CollectorExt, Embedding, Finalize, Finalizer, GcError, Generation, Handle, Kind,
    Local, ObjectId, ObjectView, Root, Scope, Traits, WeakRoot,
};

/// Deepest scope nesting the driver makes.
const MAX_DEPTH: usize = 6;
/// Roots and weak roots held at most (the oldest goes first).
const MAX_ROOTS: usize = 12;
/// Locals of all live scopes at most before allocations stop making more.
const MAX_LOCALS: usize = 64;
/// Operations kept for a failure's report.
const LOG_TAIL: usize = 60;

/// What a run did, for a test to check that its sequences reach
/// everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Operations run.
    pub ops: u64,
    /// Objects allocated.
    pub objects: u64,
    /// Child scopes that kept a local.
    pub escapes: u64,
    /// Child scopes that failed (every local released).
    pub child_errors: u64,
    /// Upgrades that answered the object.
    pub upgrades_live: u64,
    /// Upgrades that answered `None`.
    pub upgrades_dead: u64,
    /// Objects the model saw freed.
    pub freed: u64,
    /// Objects the hook finalized.
    pub finalized: u64,
    /// Operations refused as the model expected (a slot out of range, a
    /// write to a tuple).
    pub refused: u64,
    /// Of those, by the strategy's own hook, with its records lent.
    pub finalized_lent: u64,
    /// Objects whose slots the hook cleared.
    pub cleared: u64,
    /// Finalizers run inside another (the nested hook).
    pub nested: u64,
    /// Objects the hook resurrected.
    pub resurrected: u64,
    /// Locals and handles refused by another heap, and its by this one.
    pub foreign: u64,
    /// Raw handles of released locals and roots refused as stale.
    pub stale: u64,
    /// Deepest nesting reached.
    pub max_depth: u64,
    /// Collections of any generation the heap counted (its own and the
    /// driver's).
    pub collections: u64,
}

impl Summary {
    /// Adds `other`'s counts (the deepest nesting: the larger).
    pub fn add(&mut self, other: &Summary) {
        self.ops += other.ops;
        self.objects += other.objects;
        self.escapes += other.escapes;
        self.child_errors += other.child_errors;
        self.upgrades_live += other.upgrades_live;
        self.upgrades_dead += other.upgrades_dead;
        self.freed += other.freed;
        self.finalized += other.finalized;
        self.refused += other.refused;
        self.stale += other.stale;
        self.foreign += other.foreign;
        self.resurrected += other.resurrected;
        self.cleared += other.cleared;
        self.nested += other.nested;
        self.finalized_lent += other.finalized_lent;
        self.max_depth = self.max_depth.max(other.max_depth);
        self.collections += other.collections;
    }
}

/// Runs the operations `data` encodes on `heap` (fresh, with no hook) and
/// checks each against the model; the error says which check failed,
/// after which operations. Any bytes are a valid sequence: the first says
/// whether to install the recording finalizer hook (three times in four),
/// which ([`Collector::on_finalize`], or [`Embedding::on_finalize_with`]
/// with its records lent around the run) and whether it resurrects and
/// allocates; each operation takes an opcode byte and the operands it
/// needs, and missing bytes read as zero.
pub fn run<C: Collector + 'static>(heap: &mut C, data: &[u8]) -> Result<Summary, String> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    // The first byte says whether a hook is installed: without one the
    // scopes take their own paths (no embedder code can run), and no
    // object is given a finalizer.
    let first = data.first().copied().unwrap_or(0);
    let hooked = first % 4 != 0;
    let does = Does {
        save: first & 4 != 0,
        make: first & 8 != 0,
        clear: first & 32 != 0,
    };
    // Half the time the hook is the strategy's own, with the records lent
    // to it (refused on a heap that would never call it); then half the
    // time one that may run nested.
    let mut lent = hooked && first & 16 != 0;
    if lent {
        let installed = if first & 64 != 0 {
            heap.on_finalize_nested_with(nested_hook::<C>)
        } else {
            heap.on_finalize_with(move |r: &mut Records, s: &mut Scope<'_, C>, o: Local<'_>| {
                r.seen.push(record(s, o, does, None));
            })
        };
        match installed {
            Ok(()) if C::CALLS_OWN_HOOK => {}
            Err(GcError::Unsupported { .. }) if !C::CALLS_OWN_HOOK => lent = false,
            other => return Err(format!("the strategy's own hook: {other:?}")),
        }
    }
    if hooked && !lent {
        heap.on_finalize(Recorder {
            seen: Arc::clone(&seen),
            does,
        });
    }
    let mut m = Model {
        input: data.get(1..).unwrap_or_default(),
        hooked,
        lent,
        traits: heap.traits(),
        objs: Vec::new(),
        by_oid: HashMap::new(),
        locals: Vec::new(),
        roots: Vec::new(),
        pending: Vec::new(),
        weaks: Vec::new(),
        stale: Vec::new(),
        seen,
        log: Vec::new(),
        summary: Summary::default(),
    };
    let result = if lent {
        let mut records = Records {
            seen: Vec::new(),
            does,
            depth: 0,
        };
        lend(&mut records, || drive(heap, &mut m))
    } else {
        drive(heap, &mut m)
    };
    result.map_err(|e| m.report(&e))?;
    m.summary.collections = heap.stats().collections.iter().sum();
    Ok(m.summary)
}

fn drive<C: Collector>(heap: &mut C, m: &mut Model<'_>) -> Result<(), String> {
    while !m.input.is_empty() {
        m.note(format_args!("scope"));
        // `Embedding::scope` releases the dropped roots first.
        m.pending.clear();
        heap.scope(|s| {
            let mine = level(s, m, &Top, 1)?;
            retire(s, m, &mine, 0, None);
            Ok::<_, String>(())
        })?;
        m.locals.clear();
        m.after(heap, None, false)?;
        check_roots(heap, m)?;
        match m.byte() % 4 {
            0 => {
                m.note(format_args!("flush"));
                heap.flush();
                m.pending.clear();
                m.after(heap, None, false)?;
            }
            1 => {
                m.note(format_args!("heap collect full"));
                m.pending.clear();
                heap.collect_full()
                    .map_err(|e| format!("collect_full: {e}"))?;
                m.after(heap, None, true)?;
            }
            _ => {}
        }
    }
    // Everything goes: then the heap holds no root, and a freeing
    // strategy keeps only what the model says it must.
    m.weaks.clear();
    let mut finalized = m.summary.finalized;
    // Rounds until nothing is finalized nor held: what a finalizer
    // resurrects in one goes in the next (an object is finalized at most
    // once), and marksweep finalizes a chain one object a collection.
    for round in 0..=m.objs.len() + 1 {
        if m.roots.is_empty() && round > 0 && m.summary.finalized == finalized {
            break;
        }
        finalized = m.summary.finalized;
        m.note(format_args!("end, round {round}: drop every root, flush"));
        m.pending.extend(m.roots.drain(..).map(|(_, o)| o));
        heap.flush();
        m.pending.clear();
        m.after(heap, None, false)?;
        m.note(format_args!("end, round {round}: collect full"));
        heap.collect_full()
            .map_err(|e| format!("collect_full: {e}"))?;
        m.after(heap, None, true)?;
    }
    if !m.roots.is_empty() {
        return Err(format!("{} roots resurrected at the end", m.roots.len()));
    }
    Ok(())
}

/// One object as the model knows it.
#[derive(Debug)]
struct Obj {
    oid: ObjectId,
    kind: Kind,
    slots: Vec<Option<usize>>,
    payload: Vec<u8>,
    finalizer: bool,
    finalized: bool,
    /// Known to be freed.
    dead: bool,
    /// Was unreachable after some operation: a cycle collector may have
    /// cleared its weak references then, and a finalizer resurrected it
    /// (CPython clears the weak references of everything a collection
    /// finds unreachable before it runs a finalizer).
    was_unreachable: bool,
}

/// What the hook saw of an object.
#[derive(Debug)]
struct Seen {
    oid: ObjectId,
    kind: Kind,
    slots: Vec<Option<ObjectId>>,
    payload: Vec<u8>,
    /// The root the hook kept: the object resurrected.
    saved: Option<Root>,
    /// The atom the hook made (released with the hook's scope).
    made: Option<ObjectId>,
    /// The hook set every slot of its object to nil.
    cleared: bool,
    /// It ran inside another run of the hook.
    nested: bool,
}

/// What the hook does beside reading its object.
#[derive(Clone, Copy, Debug)]
struct Does {
    /// Resurrects every third object (by identity) with a root.
    save: bool,
    /// Allocates an atom in its scope.
    make: bool,
    /// Sets the object's slots to nil (which may free what they held).
    clear: bool,
}

/// The payload of the atoms the hook makes.
const MADE_BY_HOOK: &[u8] = b"made by the hook";

/// The finalizer hook installed with [`Collector::on_finalize`]: records
/// what [`record`] answers.
struct Recorder {
    seen: Arc<Mutex<Vec<Result<Seen, String>>>>,
    does: Does,
}

impl Finalize for Recorder {
    fn finalize<C: Collector>(&mut self, s: &mut Scope<'_, C>, object: Local<'_>) {
        let seen = record(s, object, self.does, None);
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(seen);
    }
}

/// What the hook installed with [`Embedding::on_finalize_with`] (or
/// [`Embedding::on_finalize_nested_with`]) records into: lent ([`lend`])
/// around the whole run.
struct Records {
    seen: Vec<Result<Seen, String>>,
    does: Does,
    /// Runs of the nested hook under way.
    depth: u32,
}

/// The hook installed with [`Embedding::on_finalize_nested_with`]: lends
/// the records again around its own operations, so that a finalizer they
/// make due runs inside it.
fn nested_hook<C: Collector>(r: &mut Records, s: &mut Scope<'_, C>, object: Local<'_>) {
    let does = r.does;
    let nested = r.depth > 0;
    r.depth += 1;
    let seen = record(s, object, does, Some(&mut *r)).map(|seen| Seen { nested, ..seen });
    r.depth -= 1;
    r.seen.push(seen);
}

/// Runs `f`, with `lent` lent around it if there is one.
fn around<R>(lent: &mut Option<&mut Records>, f: impl FnOnce() -> R) -> R {
    match lent {
        Some(r) => lend(&mut **r, f),
        None => f(),
    }
}

/// The hook's work: reads the object, then does what `does` says, each
/// operation with `lent` lent around it (a nested hook).
fn record<C: Collector>(
    s: &mut Scope<'_, C>,
    object: Local<'_>,
    does: Does,
    mut lent: Option<&mut Records>,
) -> Result<Seen, String> {
    s.view(object)
        .and_then(|v| {
            let slots = (0..v.slot_count())
                .map(|i| Ok(v.slot(i)?.map(|x| x.id())))
                .collect::<Result<_, GcError>>()?;
            Ok(Seen {
                oid: v.id(),
                kind: v.kind(),
                slots,
                payload: v.payload().to_vec(),
                saved: None,
                made: None,
                cleared: false,
                nested: false,
            })
        })
        .and_then(|mut seen| {
            if does.make {
                let atom = around(&mut lent, || s.atom(MADE_BY_HOOK))?;
                seen.made = Some(s.id(atom)?);
            }
            if does.clear && seen.kind == Kind::Node {
                for i in 0..seen.slots.len() {
                    around(&mut lent, || s.set(object, i, None))?;
                }
                seen.cleared = true;
            }
            if does.save && seen.oid.0 % 3 == 0 {
                seen.saved = Some(s.root(object)?);
            }
            Ok(seen)
        })
        .map_err(|e| format!("the hook failed on its object: {e}"))
}

struct Model<'d> {
    input: &'d [u8],
    /// A finalizer hook is installed.
    hooked: bool,
    /// It is the strategy's own, recording into the lent [`Records`].
    lent: bool,
    traits: Traits,
    objs: Vec<Obj>,
    by_oid: HashMap<ObjectId, usize>,
    /// The locals of every live scope, outermost first: model ids.
    locals: Vec<usize>,
    roots: Vec<(Root, usize)>,
    /// Dropped roots the heap has not released yet (it does at its next
    /// operation that settles).
    pending: Vec<usize>,
    /// Weak roots, their referent, and whether an upgrade said `None`.
    weaks: Vec<(WeakRoot, usize, bool)>,
    /// Raw handles of released locals and roots, their object, and
    /// whether the handle may still be live (a child's kept local, a
    /// dropped root not yet released): then it must name that object.
    stale: Vec<(Handle, usize, bool)>,
    seen: Arc<Mutex<Vec<Result<Seen, String>>>>,
    log: Vec<String>,
    summary: Summary,
}

impl Model<'_> {
    fn byte(&mut self) -> u8 {
        match self.input.split_first() {
            Some((&b, rest)) => {
                self.input = rest;
                b
            }
            None => 0,
        }
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let b = self.byte() as usize;
        if n == 0 { 0 } else { b % n }
    }

    fn note(&mut self, op: std::fmt::Arguments<'_>) {
        if self.log.len() >= 4 * LOG_TAIL {
            self.log.drain(..self.log.len() - LOG_TAIL);
        }
        self.log.push(op.to_string());
    }

    fn report(&self, error: &str) -> String {
        let mut out = format!(
            "{} (strategy {}); last operations:\n",
            error, self.traits.name
        );
        let from = self.log.len().saturating_sub(LOG_TAIL);
        for (i, op) in self.log.iter().enumerate().skip(from) {
            let _ = writeln!(out, "  {i}: {op}");
        }
        out
    }

    /// A new object the heap just made.
    fn born(
        &mut self,
        oid: ObjectId,
        kind: Kind,
        slots: Vec<Option<usize>>,
        payload: Vec<u8>,
    ) -> Result<usize, String> {
        let id = self.objs.len();
        if self.by_oid.insert(oid, id).is_some() {
            return Err(format!(
                "a new object has the identity {oid} of an earlier one"
            ));
        }
        self.objs.push(Obj {
            oid,
            kind,
            slots,
            payload,
            finalizer: false,
            finalized: false,
            dead: false,
            was_unreachable: false,
        });
        self.summary.objects += 1;
        Ok(id)
    }

    /// Notes `handle` (of obj `id`) as released.
    fn retired(&mut self, handle: Handle, id: usize, may_live: bool) {
        if self.stale.len() >= 2 * MAX_ROOTS {
            self.stale.remove(0);
        }
        self.stale.push((handle, id, may_live));
    }

    /// Closure of `from` over the slots of objects not known dead.
    fn closure(&self, from: impl IntoIterator<Item = usize>) -> Vec<bool> {
        let mut seen = vec![false; self.objs.len()];
        let mut stack: Vec<usize> = from.into_iter().collect();
        while let Some(v) = stack.pop() {
            if seen[v] || self.objs[v].dead {
                continue;
            }
            seen[v] = true;
            stack.extend(self.objs[v].slots.iter().flatten().copied());
        }
        seen
    }

    /// How obj `target` is held: a path from a local, a root or a dropped
    /// root not yet released, for a failure's report.
    fn path_to(&self, target: usize) -> String {
        let mut from: Vec<Option<(Option<usize>, String)>> = vec![None; self.objs.len()];
        let mut queue = std::collections::VecDeque::new();
        let starts = self
            .locals
            .iter()
            .enumerate()
            .map(|(i, &o)| (o, format!("local {i}")))
            .chain(
                self.roots
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.1, format!("root {i}"))),
            )
            .chain(
                self.pending
                    .iter()
                    .map(|&o| (o, "a dropped root".to_string())),
            );
        for (o, name) in starts {
            if from[o].is_none() && !self.objs[o].dead {
                from[o] = Some((None, name));
                queue.push_back(o);
            }
        }
        while let Some(v) = queue.pop_front() {
            for (k, t) in self.objs[v].slots.iter().enumerate() {
                if let Some(t) = *t {
                    if from[t].is_none() && !self.objs[t].dead {
                        from[t] = Some((Some(v), format!("slot {k}")));
                        queue.push_back(t);
                    }
                }
            }
        }
        let mut path = Vec::new();
        let mut at = Some(target);
        while let Some(v) = at {
            let Some((prev, how)) = &from[v] else {
                return "not held".to_string();
            };
            path.push(format!("{how} -> obj {v}"));
            at = *prev;
        }
        path.reverse();
        path.join(", ")
    }

    /// Reachable from locals and live roots.
    fn reachable(&self) -> Vec<bool> {
        self.closure(
            self.locals
                .iter()
                .copied()
                .chain(self.roots.iter().map(|r| r.1)),
        )
    }

    /// Reachable from locals, live roots and dropped roots not yet
    /// released.
    fn held(&self) -> Vec<bool> {
        self.closure(
            self.locals
                .iter()
                .copied()
                .chain(self.roots.iter().map(|r| r.1))
                .chain(self.pending.iter().copied()),
        )
    }

    /// What reference counting keeps: every object not known dead whose
    /// count (locals, roots, dropped roots not yet released, slots of
    /// objects it keeps) is not zero; cycles stay.
    fn counted(&self) -> Vec<bool> {
        let n = self.objs.len();
        let mut alive: Vec<bool> = self.objs.iter().map(|o| !o.dead).collect();
        let mut count = vec![0usize; n];
        let holders = self
            .locals
            .iter()
            .chain(self.roots.iter().map(|r| &r.1))
            .chain(self.pending.iter());
        for &v in holders {
            count[v] += 1;
        }
        for o in self.objs.iter().filter(|o| !o.dead) {
            for &t in o.slots.iter().flatten() {
                count[t] += 1;
            }
        }
        let mut zero: Vec<usize> = (0..n).filter(|&v| alive[v] && count[v] == 0).collect();
        while let Some(v) = zero.pop() {
            alive[v] = false;
            for &t in self.objs[v].slots.iter().flatten() {
                count[t] -= 1;
                if count[t] == 0 && alive[t] {
                    zero.push(t);
                }
            }
        }
        alive
    }

    /// What an upgrade must answer `Some` for.
    fn must_live(&self) -> Vec<bool> {
        if !self.traits.frees_objects {
            return self.objs.iter().map(|o| !o.dead).collect();
        }
        if self.traits.reference_counting && !self.traits.collects_cycles {
            return self.counted();
        }
        let mut held = self.held();
        for (h, o) in held.iter_mut().zip(&self.objs) {
            *h &= !o.was_unreachable;
        }
        held
    }

    /// The model's side of an operation that ended: what the hook saw,
    /// what the strategy must have freed, what the heap counts.
    /// `full`: the operation was a full collection.
    fn after<C: Collector>(
        &mut self,
        heap: &C,
        collected: Option<u64>,
        full: bool,
    ) -> Result<(), String> {
        self.summary.ops += 1;
        let mut seen: Vec<_> =
            std::mem::take(&mut *self.seen.lock().unwrap_or_else(PoisonError::into_inner));
        if self.lent {
            let records = with_lent(|r: &mut Records| std::mem::take(&mut r.seen))
                .ok_or("the records are not lent")?;
            self.summary.finalized_lent += records.len() as u64;
            seen.extend(records);
        }
        let seen = seen.into_iter().collect::<Result<Vec<_>, _>>()?;
        // Made by the hook during this operation: after the collection
        // that ran it, if any, so not collected by it.
        let mut made_now = Vec::new();
        if seen.iter().any(|s| s.made.is_some()) {
            // Its allocation released the dropped roots.
            self.pending.clear();
        }
        for s in &seen {
            if let Some(oid) = s.made {
                made_now.push(self.born(oid, Kind::Atom, Vec::new(), MADE_BY_HOOK.to_vec())?);
            }
        }
        let mut finalized_now = Vec::new();
        let mut saved = Vec::new();
        let mut cleared = Vec::new();
        for s in seen {
            let Some(&id) = self.by_oid.get(&s.oid) else {
                return Err(format!(
                    "the hook saw {}, which the model never made",
                    s.oid
                ));
            };
            let o = &self.objs[id];
            if !o.finalizer {
                return Err(format!(
                    "the hook saw {} (obj {id}), which has no finalizer",
                    s.oid
                ));
            }
            if o.finalized {
                return Err(format!("the hook saw {} (obj {id}) a second time", s.oid));
            }
            if o.dead {
                return Err(format!(
                    "the hook saw {} (obj {id}), which was freed",
                    s.oid
                ));
            }
            let slots: Vec<Option<ObjectId>> = o
                .slots
                .iter()
                .map(|t| t.map(|t| self.objs[t].oid))
                .collect();
            if s.kind != o.kind || s.slots != slots || s.payload != o.payload {
                return Err(format!(
                    "the hook saw {} (obj {id}) as {:?} {:?} {:?}, the model has {:?} {:?} {:?}",
                    s.oid, s.kind, s.slots, s.payload, o.kind, slots, o.payload
                ));
            }
            finalized_now.push(id);
            self.objs[id].finalized = true;
            self.summary.finalized += 1;
            if let Some(root) = s.saved {
                saved.push((root, id));
            }
            if s.cleared {
                cleared.push(id);
                self.summary.cleared += 1;
            }
            self.summary.nested += u64::from(s.nested);
        }
        // The hooks' writes, then: each object they saw was unreachable.
        let mut cleared_targets = Vec::new();
        for id in cleared {
            for slot in &mut self.objs[id].slots {
                cleared_targets.extend(slot.take());
            }
        }
        let held = self.held();
        if let Some(&id) = finalized_now.iter().find(|&&id| held[id]) {
            return Err(format!(
                "the hook saw {} (obj {id}), which is reachable ({})",
                self.objs[id].oid,
                self.path_to(id)
            ));
        }
        // Resurrected: held by the hook's roots from now on.
        self.summary.resurrected += saved.len() as u64;
        self.roots.extend(saved);
        if self.traits.reference_counting {
            // Freed the moment nothing counts them, finalized first.
            let counted = self.counted();
            self.kill(|id, _| !counted[id], "its count reached zero")?;
        }
        if full && self.traits.collects_cycles {
            let reachable = self.reachable();
            if self.traits.frees_finalized_later {
                // Kept: objects with a finalizer not run before this
                // collection, and what they reach.
                let keep = self.closure((0..self.objs.len()).filter(|&i| {
                    reachable[i]
                        || (self.objs[i].finalizer && !self.objs[i].finalized)
                        || finalized_now.contains(&i)
                        || made_now.contains(&i)
                        || cleared_targets.contains(&i)
                }));
                self.kill(|id, _| !keep[id], "")?;
            } else {
                self.kill(
                    |id, _| !reachable[id] && !made_now.contains(&id),
                    "a full collection found it unreachable",
                )?;
            }
        }
        let _ = collected;
        let held = self.held();
        for (o, held) in self.objs.iter_mut().zip(held) {
            o.was_unreachable |= !held;
        }
        // The heap's own counts.
        let outstanding = heap.outstanding_roots();
        let expected = self.locals.len() + self.roots.len();
        if outstanding != expected {
            return Err(format!(
                "outstanding_roots is {outstanding}, the model holds {} locals and {} roots",
                self.locals.len(),
                self.roots.len()
            ));
        }
        let stats = heap.stats();
        if stats.finalized != self.summary.finalized {
            return Err(format!(
                "the heap counts {} finalizers run, the hook ran {}",
                stats.finalized, self.summary.finalized
            ));
        }
        let live = stats.live_objects;
        let model_live = self.objs.iter().filter(|o| !o.dead).count() as u64;
        if !self.traits.frees_objects
            || (self.traits.reference_counting && !self.traits.collects_cycles)
        {
            if live != model_live {
                return Err(format!(
                    "the heap holds {live} objects, the model {model_live}"
                ));
            }
        } else if live > model_live {
            return Err(format!(
                "the heap holds {live} objects, the model at most {model_live}"
            ));
        } else if full && self.traits.reference_counting {
            // generational after a full collection: exactly the reachable.
            if live != model_live {
                return Err(format!(
                    "after a full collection the heap holds {live} objects, the model {model_live}"
                ));
            }
        }
        Ok(())
    }

    /// Marks dead the live objects `dead` picks; with `why`, an object
    /// with a finalizer the hook did not run on is an error (the strategy
    /// finalizes what it frees).
    fn kill(&mut self, dead: impl Fn(usize, &Obj) -> bool, why: &str) -> Result<(), String> {
        for id in 0..self.objs.len() {
            let o = &self.objs[id];
            if o.dead || !dead(id, o) {
                continue;
            }
            if !why.is_empty() && o.finalizer && !o.finalized {
                return Err(format!(
                    "obj {id} ({}) was freed ({why}) without its finalizer",
                    o.oid
                ));
            }
            self.objs[id].dead = true;
            self.summary.freed += 1;
        }
        Ok(())
    }

    /// Checks `view` against model object `id`, and what it reaches.
    fn check_view<'a, V: ObjectView<'a>>(
        &self,
        view: V,
        id: usize,
        visited: &mut [bool],
        what: &dyn std::fmt::Display,
    ) -> Result<(), String> {
        let mut stack = vec![(view, id)];
        while let Some((v, id)) = stack.pop() {
            if std::mem::replace(&mut visited[id], true) {
                continue;
            }
            let o = &self.objs[id];
            if o.dead {
                return Err(format!(
                    "{what} reaches obj {id} ({}), which the model says is freed",
                    o.oid
                ));
            }
            if v.id() != o.oid
                || v.kind() != o.kind
                || v.slot_count() != o.slots.len()
                || v.payload() != o.payload
            {
                return Err(format!(
                    "{what} reaches obj {id}: read {} {:?}, {} slots, payload {:?}; the model has {} {:?}, {} slots, payload {:?}",
                    v.id(),
                    v.kind(),
                    v.slot_count(),
                    v.payload(),
                    o.oid,
                    o.kind,
                    o.slots.len(),
                    o.payload
                ));
            }
            for (i, t) in o.slots.iter().enumerate() {
                let got = v
                    .slot(i)
                    .map_err(|e| format!("{what}: obj {id} slot {i}: {e}"))?;
                match (got, t) {
                    (None, None) => {}
                    (Some(g), Some(t)) => stack.push((g, *t)),
                    (g, t) => {
                        return Err(format!(
                            "{what}: obj {id} slot {i} reads {:?}, the model has obj {t:?}",
                            g.map(|g| g.id())
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Every root names its object, as the model has it.
fn check_roots<C: Collector>(heap: &C, m: &Model<'_>) -> Result<(), String> {
    let mut visited = vec![false; m.objs.len()];
    check_roots_into(heap, m, &mut visited)
}

fn check_roots_into<C: Collector>(
    heap: &C,
    m: &Model<'_>,
    visited: &mut [bool],
) -> Result<(), String> {
    for (k, (root, id)) in m.roots.iter().enumerate() {
        let view = heap
            .view(root.handle())
            .map_err(|e| format!("root {k} (obj {id}): {e}"))?;
        m.check_view(view, *id, visited, &format_args!("root {k}"))?;
    }
    Ok(())
}

/// The locals of the enclosing scopes, whose brands differ from the
/// current scope's: reached through callbacks.
trait Outer {
    /// Calls `f` on each, outermost first.
    fn each(&self, f: &mut dyn FnMut(Local<'_>));
    /// Calls `f` on the one at place `i` of the model's locals.
    fn with(&self, i: usize, f: &mut dyn FnMut(Local<'_>));
    /// Calls `f` on the innermost enclosing scope's locals and the place
    /// of the first.
    fn own(&self, f: &mut dyn FnMut(&[Local<'_>], usize));
}

/// Outside every scope.
struct Top;

impl Outer for Top {
    fn each(&self, _: &mut dyn FnMut(Local<'_>)) {}
    fn with(&self, _: usize, _: &mut dyn FnMut(Local<'_>)) {}
    fn own(&self, f: &mut dyn FnMut(&[Local<'_>], usize)) {
        f(&[], 0);
    }
}

/// A scope's locals, for the scopes nested in it.
struct Level<'a, 's> {
    locals: &'a [Local<'s>],
    base: usize,
    parent: &'a dyn Outer,
}

impl Outer for Level<'_, '_> {
    fn each(&self, f: &mut dyn FnMut(Local<'_>)) {
        self.parent.each(f);
        for &l in self.locals {
            f(l);
        }
    }
    fn with(&self, i: usize, f: &mut dyn FnMut(Local<'_>)) {
        if i >= self.base {
            f(self.locals[i - self.base]);
        } else {
            self.parent.with(i, f);
        }
    }
    fn own(&self, f: &mut dyn FnMut(&[Local<'_>], usize)) {
        f(self.locals, self.base);
    }
}

/// Calls `f` on the local at place `i` of the model's locals.
fn with_local(
    outer: &dyn Outer,
    mine: &[Local<'_>],
    base: usize,
    i: usize,
    f: &mut dyn FnMut(Local<'_>),
) {
    if i >= base {
        f(mine[i - base]);
    } else {
        outer.with(i, f);
    }
}

/// Checks every local of every live scope and every root against the
/// model.
fn check_all<C: Collector>(
    s: &Scope<'_, C>,
    m: &Model<'_>,
    outer: &dyn Outer,
    mine: &[Local<'_>],
) -> Result<(), String> {
    let mut visited = vec![false; m.objs.len()];
    let mut place = 0;
    let mut result = Ok(());
    let mut check = |l: Local<'_>| {
        if result.is_ok() {
            let id = m.locals[place];
            result = s
                .view(l)
                .map_err(|e| format!("local {place} (obj {id}): {e}"))
                .and_then(|v| m.check_view(v, id, &mut visited, &format_args!("local {place}")));
        }
        place += 1;
    };
    outer.each(&mut check);
    for &l in mine {
        check(l);
    }
    result?;
    if place != m.locals.len() {
        return Err(format!("{place} locals, the model has {}", m.locals.len()));
    }
    check_roots_into(s.heap_ref(), m, &mut visited)
}

/// Notes the raw handles of `locals`, a scope's about to end (the first
/// at place `base` of the model's locals), as released; `kept` escapes.
fn retire<C: Collector>(
    s: &Scope<'_, C>,
    m: &mut Model<'_>,
    locals: &[Local<'_>],
    base: usize,
    kept: Option<usize>,
) {
    for (i, &l) in locals.iter().enumerate() {
        if let Ok(h) = s.handle(l) {
            m.retired(h, m.locals[base + i], kept == Some(i));
        }
    }
}

/// Uses `mine`, a local of `s`'s heap, with `other`, and a local of
/// `other` with `s`: each must be [`GcError::ForeignHandle`].
fn foreign<C: Collector>(
    s: &mut Scope<'_, C>,
    other: &mut C,
    mine: Local<'_>,
) -> Result<(), String> {
    let expect = |what: &str, got: Result<(), GcError>| match got {
        Err(GcError::ForeignHandle) => Ok(()),
        other => Err(format!("{what} answered {other:?}, not ForeignHandle")),
    };
    let h = s.handle(mine).map_err(|e| format!("handle: {e}"))?;
    other.scope(|o| {
        let theirs = o
            .node(1, 0)
            .map_err(|e| format!("node on another heap: {e}"))?;
        let th = o.handle(theirs).map_err(|e| format!("handle: {e}"))?;
        expect("view of a local of another heap", o.view(mine).map(drop))?;
        expect(
            "set of a local of another heap",
            o.set(theirs, 0, Some(mine)),
        )?;
        expect("get of a local of another heap", o.get(mine, 0).map(drop))?;
        expect("root of a local of another heap", o.root(mine).map(drop))?;
        expect(
            "raw view of another heap's handle",
            o.heap_ref().view(h).map(drop),
        )?;
        expect("adopt of another heap's handle", o.adopt(h).map(drop))?;
        expect("view of the other heap's local", s.view(theirs).map(drop))?;
        expect(
            "set to the other heap's local",
            s.set(mine, 0, Some(theirs)),
        )?;
        expect(
            "raw view of the other heap's handle",
            s.heap_ref().view(th).map(drop),
        )?;
        expect(
            "payload_mut of the other heap's handle",
            s.heap().payload_mut(th).map(drop),
        )?;
        Ok(())
    })
}

/// Why a scope's operations stopped early.
enum Stop {
    Failed(String),
    /// A child scope's body chose to fail.
    Abort,
}

impl From<String> for Stop {
    fn from(e: String) -> Self {
        Stop::Failed(e)
    }
}

/// The operations, by weight.
#[derive(Clone, Copy, Debug)]
enum Op {
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
}

const OPS: [Op; 37] = [
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
];

/// Runs operations in scope `s` (at `depth`) until one leaves it or the
/// input ends; answers its locals.
fn level<'s, C: Collector>(
    s: &mut Scope<'s, C>,
    m: &mut Model<'_>,
    outer: &dyn Outer,
    depth: usize,
) -> Result<Vec<Local<'s>>, String> {
    m.summary.max_depth = m.summary.max_depth.max(depth as u64);
    let base = m.locals.len();
    let mut mine: Vec<Local<'s>> = Vec::new();
    check_all(s, m, outer, &mine)?;
    while !m.input.is_empty() {
        let op = OPS[m.byte() as usize % OPS.len()];
        let n = m.locals.len();
        let mut full = false;
        let mut collected = None;
        match op {
            Op::Node | Op::Atom if n >= MAX_LOCALS => continue,
            Op::Node => {
                let slots = m.below(5);
                let len = m.below(9);
                let payload: Vec<u8> = (0..len).map(|_| m.byte()).collect();
                m.note(format_args!("node({slots}, {payload:?}) -> local {n}"));
                let l = s.node(slots, len).map_err(|e| format!("node: {e}"))?;
                s.payload_mut(l)
                    .map_err(|e| format!("payload_mut of a new node: {e}"))?
                    .copy_from_slice(&payload);
                let oid = s.id(l).map_err(|e| format!("id: {e}"))?;
                // It released the dropped roots first.
                m.pending.clear();
                let id = m.born(oid, Kind::Node, vec![None; slots], payload)?;
                mine.push(l);
                m.locals.push(id);
            }
            Op::Atom => {
                let len = m.below(9);
                let payload: Vec<u8> = (0..len).map(|_| m.byte()).collect();
                m.note(format_args!("atom({payload:?}) -> local {n}"));
                let l = s.atom(&payload).map_err(|e| format!("atom: {e}"))?;
                let oid = s.id(l).map_err(|e| format!("id: {e}"))?;
                // It released the dropped roots first.
                m.pending.clear();
                let id = m.born(oid, Kind::Atom, Vec::new(), payload)?;
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
                let l = made.expect("built").map_err(|e| format!("tuple: {e}"))?;
                let oid = s.id(l).map_err(|e| format!("id: {e}"))?;
                // It released the dropped roots first.
                m.pending.clear();
                let id = m.born(oid, Kind::Tuple, members, Vec::new())?;
                mine.push(l);
                m.locals.push(id);
            }
            Op::Set if n == 0 => continue,
            Op::Set => {
                let i = m.below(n);
                let index = m.below(5);
                let v = m.byte() as usize;
                let value = (v % 4 != 0).then(|| v % n);
                m.note(format_args!("set(local {i}, {index}, {value:?})"));
                let mut out = None;
                with_local(outer, &mine, base, i, &mut |a| match value {
                    None => out = Some(s.set(a, index, None)),
                    Some(j) => with_local(outer, &mine, base, j, &mut |b| {
                        out = Some(s.set(a, index, Some(b)));
                    }),
                });
                let out = out.expect("called");
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
            Op::Get if n == 0 => continue,
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
            Op::Payload if n == 0 => continue,
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
            Op::Root if n == 0 => continue,
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
            Op::Unroot | Op::FromRoot | Op::DropRoot if m.roots.is_empty() => continue,
            Op::Unroot => {
                let k = m.below(m.roots.len());
                m.note(format_args!("unroot(root {k})"));
                let (root, id) = m.roots.remove(k);
                m.retired(root.handle(), id, false);
                s.unroot(root).map_err(|e| format!("unroot: {e}"))?;
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
                m.note(format_args!("drop(root {k})"));
                let (root, id) = m.roots.remove(k);
                m.retired(root.handle(), id, true);
                drop(root);
                m.pending.push(id);
            }
            Op::Weak if n == 0 => continue,
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
                m.weaks.push((weak, m.locals[i], false));
                m.pending.clear();
            }
            Op::Upgrade | Op::DropWeak if m.weaks.is_empty() => continue,
            Op::Upgrade => {
                let k = m.below(m.weaks.len());
                m.note(format_args!("upgrade(weak {k})"));
                let got = s
                    .upgrade(&m.weaks[k].0)
                    .map_err(|e| format!("upgrade: {e}"))?;
                let (_, id, cleared) = m.weaks[k];
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
            Op::Finalizer if n == 0 || !m.hooked => continue,
            Op::Finalizer => {
                let i = m.below(n);
                let id = m.locals[i];
                if m.objs[id].finalized {
                    continue;
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
            Op::CollectFull | Op::CollectYoung => {
                full = matches!(op, Op::CollectFull);
                let generation = if full {
                    Generation::FULL
                } else {
                    Generation::YOUNGEST
                };
                m.note(format_args!("collect({generation:?})"));
                collected = Some(s.collect(generation).map_err(|e| format!("collect: {e}"))?);
                m.pending.clear();
            }
            Op::Scope | Op::Child if depth >= MAX_DEPTH => continue,
            Op::Scope => {
                m.note(format_args!("scope {{"));
                let here = Level {
                    locals: &mine,
                    base,
                    parent: outer,
                };
                let inner_base = base + mine.len();
                s.scope(|inner| {
                    let theirs = level(inner, m, &here, depth + 1)?;
                    retire(inner, m, &theirs, inner_base, None);
                    Ok::<_, String>(())
                })?;
                m.note(format_args!("}} (scope)"));
                m.locals.truncate(base + mine.len());
            }
            Op::Child => {
                m.note(format_args!("child {{"));
                let here = Level {
                    locals: &mine,
                    base,
                    parent: outer,
                };
                let inner_base = base + mine.len();
                let mut kept = None;
                let out = s.child(|inner| {
                    let theirs = level(inner, m, &here, depth + 1)?;
                    let pick = m.byte();
                    if theirs.is_empty() || pick % 8 == 0 {
                        m.note(format_args!("}} (child fails)"));
                        retire(inner, m, &theirs, inner_base, None);
                        return Err(Stop::Abort);
                    }
                    let k = pick as usize % theirs.len();
                    retire(inner, m, &theirs, inner_base, Some(k));
                    m.note(format_args!(
                        "}} (child keeps local {}) -> local {inner_base}",
                        inner_base + k
                    ));
                    kept = Some(m.locals[inner_base + k]);
                    Ok(theirs[k])
                });
                m.locals.truncate(inner_base);
                match out {
                    Ok(l) => {
                        m.summary.escapes += 1;
                        mine.push(l);
                        m.locals.push(kept.expect("kept"));
                    }
                    Err(Stop::Abort) => m.summary.child_errors += 1,
                    Err(Stop::Failed(e)) => return Err(e),
                }
            }
            Op::Leave => {
                m.note(format_args!("leave"));
                break;
            }
            Op::Resize | Op::Same if n == 0 => continue,
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
                    Err(GcError::Immutable { .. }) if kind != Kind::Node => m.summary.refused += 1,
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
                    out => return Err(format!("same answered {out:?}, the model {expected}")),
                }
            }
            Op::Foreign if n == 0 => continue,
            Op::Foreign => {
                // Another heap of the same type (its default
                // configuration): a local or handle of either is foreign
                // to the other, never one of its objects.
                let i = m.below(n);
                m.note(format_args!("foreign(local {i})"));
                let mut other =
                    C::with_config(Default::default()).map_err(|e| format!("another heap: {e}"))?;
                let mut out = Ok(());
                with_local(outer, &mine, base, i, &mut |a| {
                    out = foreign(s, &mut other, a);
                });
                out?;
                m.summary.foreign += 1;
            }
            Op::Stale if m.stale.is_empty() => continue,
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
                    Ok(v) if may_live && v.id() == m.objs[id].oid => continue,
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
        m.after(s.heap_ref(), collected, full)?;
        check_all(s, m, outer, &mine)?;
    }
    Ok(mine)
}
