//! The model: every object, local, root and scope the run made, and
//! what each strategy must have freed and finalized after an operation.

use super::*;

/// One object as the model knows it.
#[derive(Debug)]
pub(super) struct Obj {
    pub(super) oid: ObjectId,
    pub(super) kind: Kind,
    pub(super) slots: Vec<Option<usize>>,
    pub(super) payload: Vec<u8>,
    pub(super) finalizer: bool,
    pub(super) finalized: bool,
    /// Known to be freed.
    pub(super) dead: bool,
    /// Was unreachable after some operation: a cycle collector may have
    /// cleared its weak references then, and a finalizer resurrected it
    /// (CPython clears the weak references of everything a collection
    /// finds unreachable before it runs a finalizer).
    pub(super) was_unreachable: bool,
}

pub(super) struct Model<'d> {
    pub(super) input: &'d [u8],
    /// A finalizer hook is installed.
    pub(super) hooked: bool,
    /// It is the strategy's own, recording into the lent [`Records`].
    pub(super) lent: bool,
    pub(super) traits: Traits,
    pub(super) objs: Vec<Obj>,
    pub(super) by_oid: HashMap<ObjectId, usize>,
    /// The locals of every live scope, outermost first: model ids.
    pub(super) locals: Vec<usize>,
    pub(super) roots: Vec<(Root, usize)>,
    /// Dropped roots the heap has not released yet (it does at its next
    /// operation that settles).
    pub(super) pending: Vec<usize>,
    /// Weak roots, their referent, and whether an upgrade said `None`.
    pub(super) weaks: Vec<(WeakRoot, usize, bool, Callback)>,
    /// Raw handles of released locals and roots, their object, and
    /// whether the handle may still be live (a child's kept local, a
    /// dropped root not yet released): then it must name that object.
    pub(super) stale: Vec<(Handle, usize, bool)>,
    pub(super) seen: Arc<Mutex<Vec<Result<Seen, String>>>>,
    pub(super) log: Vec<String>,
    pub(super) summary: Summary,
    /// Which heap's contents the driver's heap holds (swapped through
    /// [`Scope::heap`]): the run's own (0), the spare's (1), or those of
    /// the heap the hook swaps in (2).
    pub(super) at: usize,
    /// Which the spare holds.
    pub(super) spare_has: usize,
    /// The strategy's own hook may swap heaps (during the allocations
    /// and collections that arm it).
    pub(super) hook_swaps: bool,
    /// The hook swapped heaps: the run's heap is spent (its hook running
    /// for good, maybe a collection unfinished) and away until the
    /// outermost scope ends.
    pub(super) spent: bool,
    /// The model of each heap's local stack depth (scopes entered on it
    /// and not ended while the innermost there), by the numbers of `at`.
    pub(super) depths: [u32; 3],
    /// The live scopes of the driver's heap, outermost first.
    pub(super) frames: Vec<Frame>,
    /// Locals that scopes ending on a swapped heap (or not the innermost
    /// on their stack) left rooted: for good, since the stack's depth
    /// never comes back down to the scopes under them.
    pub(super) stuck: Vec<usize>,
}

/// A weak reference's callback, as the model knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Callback {
    /// Made without one.
    None,
    /// Its referent lives, as far as the model knows.
    Waiting,
    /// Its referent died while it lived: reported.
    Due,
}

/// A live scope as the model knows it: which heap's stack it was entered
/// on (0: the run's own, 1: the spare) and its depth there.
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    pub(super) heap: usize,
    pub(super) depth: u32,
}

impl Model<'_> {
    /// The driver's heap holds another's contents.
    pub(super) fn swapped(&self) -> bool {
        self.at != 0
    }

    /// After an operation armed for the hook's swap (`armed`): disarms,
    /// and if the hook swapped, notes the run's heap spent and away, and
    /// checks what the operation answered (`made`, a local kept among
    /// those that must never resolve: the scope's stack went with the
    /// run's heap; or [`GcError::ForeignHandle`]). Answers whether it
    /// swapped.
    pub(super) fn hook_swapped<C: Collector + 'static>(
        &mut self,
        armed: bool,
        made: Result<(), GcError>,
    ) -> Result<bool, String> {
        if !armed || !arm::<C>(false) {
            return Ok(false);
        }
        self.note(format_args!(
            "(the hook swapped heaps: the run's heap is spent; the operation answered {made:?})"
        ));
        // Its scope was entered on the run's heap and ended on the other.
        self.depths[self.at] = self.depths[self.at].wrapping_add(1);
        self.at = 2;
        self.spent = true;
        self.summary.hook_swaps += 1;
        match made {
            Ok(()) | Err(GcError::ForeignHandle) => Ok(true),
            Err(e) => Err(format!(
                "an operation during which the hook swapped heaps answered {e}"
            )),
        }
    }

    /// A scope entered on the heap the driver's heap holds now.
    pub(super) fn enter(&mut self) {
        let heap = self.at;
        self.depths[heap] = self.depths[heap].wrapping_add(1);
        self.frames.push(Frame {
            heap,
            depth: self.depths[heap],
        });
    }

    /// Is `f` the innermost scope on the stack of the heap the driver's
    /// heap holds now (may it push and pop)?
    pub(super) fn owns(&self, f: Frame) -> bool {
        f.heap == self.at && self.depths[f.heap] == f.depth
    }

    /// [`Model::owns`] for the innermost live scope.
    pub(super) fn owns_top(&self) -> bool {
        self.frames.last().is_some_and(|&f| self.owns(f))
    }

    /// Ends the innermost scope, whose locals start at place `base`:
    /// released if it is the innermost on its heap's stack, left rooted
    /// otherwise. Answers whether it released them.
    pub(super) fn end(&mut self, base: usize) -> bool {
        let f = self.frames.pop().expect("a live scope");
        if self.owns(f) {
            self.depths[f.heap] = self.depths[f.heap].wrapping_sub(1);
            self.locals.truncate(base);
            true
        } else {
            let left = self.locals.split_off(base);
            self.summary.stuck += left.len() as u64;
            self.stuck.extend(left);
            false
        }
    }

    /// Every local still rooted: those of live scopes and the stuck ones.
    pub(super) fn all_locals(&self) -> impl Iterator<Item = usize> + '_ {
        self.locals.iter().chain(&self.stuck).copied()
    }

    pub(super) fn byte(&mut self) -> u8 {
        match self.input.split_first() {
            Some((&b, rest)) => {
                self.input = rest;
                b
            }
            None => 0,
        }
    }

    /// A number below `n` (0 when `n` is 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        let b = self.byte() as usize;
        if n == 0 { 0 } else { b % n }
    }

    pub(super) fn note(&mut self, op: std::fmt::Arguments<'_>) {
        if self.log.len() >= 4 * LOG_TAIL {
            self.log.drain(..self.log.len() - LOG_TAIL);
        }
        self.log.push(op.to_string());
    }

    pub(super) fn report(&self, error: &str) -> String {
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
    pub(super) fn born(
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
    pub(super) fn retired(&mut self, handle: Handle, id: usize, may_live: bool) {
        if self.stale.len() >= 2 * MAX_ROOTS {
            self.stale.remove(0);
        }
        self.stale.push((handle, id, may_live));
    }

    /// Drops root `k`: its handle is kept as stale, and the heap releases
    /// it at its next operation (then its object may die).
    pub(super) fn drop_root(&mut self, k: usize) {
        self.note(format_args!("drop(root {k})"));
        let (root, id) = self.roots.remove(k);
        self.retired(root.handle(), id, true);
        drop(root);
        self.pending.push(id);
    }

    /// Closure of `from` over the slots of objects not known dead.
    pub(super) fn closure(&self, from: impl IntoIterator<Item = usize>) -> Vec<bool> {
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
    pub(super) fn path_to(&self, target: usize) -> String {
        let mut from: Vec<Option<(Option<usize>, String)>> = vec![None; self.objs.len()];
        let mut queue = std::collections::VecDeque::new();
        let starts = self
            .locals
            .iter()
            .enumerate()
            .map(|(i, &o)| (o, format!("local {i}")))
            .chain(
                self.stuck
                    .iter()
                    .map(|&o| (o, "a local left rooted".to_string())),
            )
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
    pub(super) fn reachable(&self) -> Vec<bool> {
        self.closure(self.all_locals().chain(self.roots.iter().map(|r| r.1)))
    }

    /// Reachable from locals, live roots and dropped roots not yet
    /// released.
    pub(super) fn held(&self) -> Vec<bool> {
        self.closure(
            self.all_locals()
                .chain(self.roots.iter().map(|r| r.1))
                .chain(self.pending.iter().copied()),
        )
    }

    /// What reference counting keeps: every object not known dead whose
    /// count (locals, roots, dropped roots not yet released, slots of
    /// objects it keeps) is not zero; cycles stay.
    pub(super) fn counted(&self) -> Vec<bool> {
        let n = self.objs.len();
        let mut alive: Vec<bool> = self.objs.iter().map(|o| !o.dead).collect();
        let mut count = vec![0usize; n];
        let holders = self
            .all_locals()
            .chain(self.roots.iter().map(|r| r.1))
            .chain(self.pending.iter().copied());
        for v in holders {
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
    pub(super) fn must_live(&self) -> Vec<bool> {
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
    pub(super) fn after<C: Collector>(
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
        // A full collection that ran finalizers may keep garbage: an
        // object whose count a finalizer dropped to zero, when it has a
        // finalizer of its own, waits for the hook (busy with the first;
        // it runs later in the same operation), held, with what it
        // reaches, through the collection's second look at reachability.
        let uncertain = full && !finalized_now.is_empty();
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
                // Kept if reachable, made by the hook now, or (after
                // finalizers) reached from what they saw or cleared.
                let keep = if uncertain {
                    // What they held too, when counting freed them just
                    // above: one whose finalizer waited behind the hook
                    // held them through the collection.
                    let held_by_finalized: Vec<usize> = finalized_now
                        .iter()
                        .flat_map(|&i| self.objs[i].slots.iter().flatten().copied())
                        .collect();
                    self.closure(
                        (0..self.objs.len())
                            .filter(|&i| {
                                reachable[i]
                                    || finalized_now.contains(&i)
                                    || cleared_targets.contains(&i)
                            })
                            .chain(held_by_finalized),
                    )
                } else {
                    reachable
                };
                self.kill(
                    |id, _| !keep[id] && !made_now.contains(&id),
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
        let expected = self.locals.len() + self.stuck.len() + self.roots.len();
        if outstanding != expected {
            return Err(format!(
                "outstanding_roots is {outstanding}, the model holds {} locals, {} left rooted and {} roots",
                self.locals.len(),
                self.stuck.len(),
                self.roots.len()
            ));
        }
        let stats = heap.stats();
        // Each weak reference with a callback reports at most once, and
        // does when its referent dies while it lives (and maybe earlier:
        // a cycle collector clears the weak references of what it finds
        // unreachable before a finalizer may resurrect it).
        let callbacks = stats.weak_callbacks;
        if callbacks < self.summary.callbacks_due || callbacks > self.summary.callbacks_made {
            return Err(format!(
                "the heap counts {callbacks} weak callbacks; the model: at least {} (referents dead), at most {} (made)",
                self.summary.callbacks_due, self.summary.callbacks_made
            ));
        }
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
        } else if full && self.traits.reference_counting && !uncertain {
            // generational after a full collection that ran no finalizer:
            // exactly the reachable.
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
    pub(super) fn kill(
        &mut self,
        dead: impl Fn(usize, &Obj) -> bool,
        why: &str,
    ) -> Result<(), String> {
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
            // Its live weak references with a callback: each reported.
            for w in &mut self.weaks {
                if w.1 == id && w.3 == Callback::Waiting {
                    w.3 = Callback::Due;
                    self.summary.callbacks_due += 1;
                }
            }
        }
        Ok(())
    }

    /// Checks `view` against model object `id`, and what it reaches.
    pub(super) fn check_view<'a, V: ObjectView<'a>>(
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
