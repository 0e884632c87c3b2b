//! A model-based random test of the embedding API (feature `testing`):
//! [`run`] turns bytes into a sequence of scope operations on one heap of
//! any strategy and checks each against a model kept in plain Rust. Used
//! by `gc-any`'s `embed_model` test (seeded sequences, every strategy) and
//! by the `embed` fuzz target.
//!
//! The operations: nested scopes ([`Scope::scope`]) and child scopes
//! ([`Scope::child`], keeping one local or failing), child scopes making a
//! tuple of 0 to 3 of their locals ([`Scope::child_tuple`]: mostly every
//! local the body made, in order, which the tuple takes over in place;
//! otherwise any of its locals in any order, or nil; or the body fails, or
//! swaps the heap and answers; it may drop a root last, released before
//! the tuple is made), nodes, atoms and
//! tuples, [`Scope::set`], [`Scope::get`] and [`Scope::resize`] (valid or
//! not), [`Scope::set_slot_order`] (a node's accepted, any other object's
//! [`GcError::Immutable`]; its effect on the order of frees and
//! finalizers is not checked), [`Scope::control`] (enable, disable,
//! thresholds: never an error), payload writes, [`Scope::same`],
//! [`Root`]s made, turned back into locals, unrooted or dropped,
//! [`WeakRoot`]s made, upgraded or dropped,
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
//!   and at least as many weak callbacks as weak references made with one
//!   saw their referent die while they lived, at most as many as were
//!   made;
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
//! Heaps swapped under live scopes: an operation swaps the scope's heap
//! ([`Scope::heap`] lends `&mut C`) with a spare heap of the same type,
//! at any depth; swapping back comes later in that scope, in one nested
//! in it, or outside every scope once the outermost ends. The model keeps
//! each heap's stack depth and, for each live scope, the heap it was
//! entered on and its depth there, so it knows which scope is the
//! innermost on the stack its heap holds now, as the library does. Then:
//!
//! - with the heaps swapped, every local of the run's heap, and each use
//!   of one (view, set, get, root, payload, weak, id, finalizer), and
//!   every root and weak root made into a local, is
//!   [`GcError::ForeignHandle`]; the run's heap, checked in the spare's
//!   place, is untouched;
//! - a scope that is not the innermost on the stack its heap holds makes
//!   no local ([`GcError::ForeignHandle`]), and uses its locals as usual;
//! - a scope ending while not the innermost pops nothing: its locals stay
//!   rooted for good (the stack's depth never comes back down to the
//!   scopes under it, which then pop nothing either), counted by
//!   [`Embedding::outstanding_roots`] and keeping what they reach;
//! - a child run while its scope is not the innermost, or whose own
//!   scope is not the innermost when it ends, answers a local that never
//!   resolves
//!   ([`GcError::ForeignHandle`] or [`GcError::StaleHandle`], whichever
//!   heap is held, in this scope and every one nested in it);
//!   [`Scope::child_tuple`] answers [`GcError::ForeignHandle`] then (and
//!   runs no body in the first case), and makes nothing.
//!
//! A scope entered on the spare makes no object there (the model keeps
//! none of the spare's).
//!
//! The strategy's own hook may swap heaps too (the input's first byte
//! says; another heap is lent to it around each outermost scope), when it
//! runs during an allocation, a slot write, an unroot, a collection or a
//! scope's end, or while [`Scope::child_tuple`] makes its tuple and
//! releases the body's locals: the run's heap is then spent (see
//! [`Scope::heap`]) and
//! away until the outermost scope ends. The operation must answer a local
//! that never resolves or [`GcError::ForeignHandle`] (any answer, for a
//! write or a collection), every local of the run's heap is then
//! `ForeignHandle`, and once swapped back every root still names its
//! object, before and after a flush and a full collection; nothing more
//! is predicted of a spent heap.
//!
//! Locals of ended scopes are left out: the compiler refuses them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use crate::embed::{lend, with_lent};
use crate::{
    Collector, CollectorExt, Control, ControlOutcome, Embedding, Finalize, Finalizer, GcError,
    Generation, Handle, Kind, Local, ObjectId, ObjectView, Root, Scope, SlotOrder, Traits,
    WeakRoot,
};

mod checks;
mod hook;
mod model;
mod ops;

use checks::*;
use hook::*;
use model::*;
use ops::*;

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
    /// Tuples made by [`Scope::child_tuple`].
    pub child_tuples: u64,
    /// Of those, of every local the body made, in order (a reference
    /// counter's locals then move into the tuple).
    pub child_tuples_taken: u64,
    /// [`Scope::child_tuple`] bodies that failed (every local released,
    /// nothing made).
    pub child_tuple_errors: u64,
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
    /// Heaps swapped under live scopes ([`Scope::heap`]).
    pub swaps: u64,
    /// Operations refused ([`GcError::ForeignHandle`]) because the scope's
    /// heap was swapped, or it was not the innermost on its stack.
    pub refused_swapped: u64,
    /// Locals left rooted by a scope that ended on a swapped heap.
    pub stuck: u64,
    /// Locals answered by a child run on a swapped heap (never resolve).
    pub ghosts: u64,
    /// Slot orders set on nodes ([`Scope::set_slot_order`]).
    pub slot_orders: u64,
    /// Weak references made with a callback.
    pub callbacks_made: u64,
    /// Of those, how many the model saw their referent die while they
    /// lived (the heap must count at least these callbacks).
    pub callbacks_due: u64,
    /// Controls the strategy applied ([`Scope::control`]: enable,
    /// disable, thresholds).
    pub controls: u64,
    /// Runs whose finalizer hook swapped heaps (in an allocation or a
    /// collection), spending the run's heap.
    pub hook_swaps: u64,
}

impl Summary {
    /// Adds `other`'s counts (the deepest nesting: the larger).
    pub fn add(&mut self, other: &Summary) {
        self.ops += other.ops;
        self.objects += other.objects;
        self.escapes += other.escapes;
        self.child_errors += other.child_errors;
        self.child_tuples += other.child_tuples;
        self.child_tuples_taken += other.child_tuples_taken;
        self.child_tuple_errors += other.child_tuple_errors;
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
        self.swaps += other.swaps;
        self.refused_swapped += other.refused_swapped;
        self.stuck += other.stuck;
        self.ghosts += other.ghosts;
        self.hook_swaps += other.hook_swaps;
        self.slot_orders += other.slot_orders;
        self.controls += other.controls;
        self.callbacks_made += other.callbacks_made;
        self.callbacks_due += other.callbacks_due;
    }
}

/// Runs the operations `data` encodes on `heap` (fresh, with no hook) and
/// checks each against the model; the error says which check failed,
/// after which operations. Any bytes are a valid sequence: the first says
/// whether to install the recording finalizer hook (three times in four),
/// which ([`Collector::on_finalize`], or [`Embedding::on_finalize_with`]
/// with its records lent around the run) and whether it resurrects,
/// allocates, clears, runs nested, or (the strategy's own) swaps heaps; each operation takes an opcode byte and the operands it
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
                swap_in_hook(s);
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
        hook_swaps: lent && first & 128 != 0,
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
        at: 0,
        spare_has: 1,
        spent: false,
        depths: [0; 3],
        frames: Vec::new(),
        stuck: Vec::new(),
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

fn drive<C: Collector + 'static>(heap: &mut C, m: &mut Model<'_>) -> Result<(), String> {
    // Another heap of the same type (its default configuration), made at
    // the first swap: the operations may swap it with the driver's heap
    // under live scopes ([`Scope::heap`] lends `&mut C`).
    let mut spare: Option<C> = None;
    // The one the hook may swap in.
    let mut hook_spare = if m.hook_swaps {
        Some(HookSpare {
            heap: C::with_config(Default::default())
                .map_err(|e| format!("the hook's heap: {e}"))?,
            armed: false,
            fired: false,
        })
    } else {
        None
    };
    while !m.input.is_empty() {
        m.note(format_args!("scope"));
        // `Embedding::scope` releases the dropped roots first.
        m.pending.clear();
        match &mut hook_spare {
            Some(h) => lend(h, || outermost(heap, m, &mut spare))?,
            None => outermost(heap, m, &mut spare)?,
        }
        m.end(0);
        if m.spent {
            // The run's heap comes back, spent.
            m.note(format_args!("swap back the heap the hook swapped out"));
            let h = hook_spare.as_mut().expect("the hook swapped");
            std::mem::swap(heap, &mut h.heap);
            return spent_end(heap, m);
        }
        if m.swapped() {
            // The scope ended on the spare: swapped back outside every
            // scope.
            m.note(format_args!("swap back, outside every scope"));
            std::mem::swap(heap, spare.as_mut().expect("swapped with the spare"));
            std::mem::swap(&mut m.at, &mut m.spare_has);
            m.summary.swaps += 1;
        }
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

/// One outermost scope of the run.
fn outermost<C: Collector + 'static>(
    heap: &mut C,
    m: &mut Model<'_>,
    spare: &mut Option<C>,
) -> Result<(), String> {
    let armed = heap.scope(|s| {
        let mine = level(s, m, &Top, 1, spare)?;
        retire(s, m, &mine, 0, None);
        // The hook may swap while the scope's end releases its locals.
        Ok::<_, String>(m.hook_swaps && !m.spent && arm::<C>(true))
    })?;
    m.hook_swapped::<C>(armed, Ok(()))?;
    Ok(())
}

/// The end of a run whose hook swapped heaps: the run's heap, spent
/// (its hook running for good, a collection maybe left unfinished), still
/// answers every root with its object, before and after a flush and a full
/// collection (which may do nothing), and nothing panics.
fn spent_end<C: Collector>(heap: &mut C, m: &mut Model<'_>) -> Result<(), String> {
    let check = |heap: &C, m: &Model<'_>, when: &str| {
        for (k, (root, id)) in m.roots.iter().enumerate() {
            match heap.view(root.handle()) {
                Ok(v) if v.id() == m.objs[*id].oid => {}
                other => {
                    return Err(format!(
                        "{when}: root {k} (obj {id}, {}) of the spent heap answered {:?}",
                        m.objs[*id].oid,
                        other.map(|v| v.id())
                    ));
                }
            }
        }
        Ok(())
    };
    check(heap, m, "swapped back")?;
    m.note(format_args!("flush, collect full (spent)"));
    heap.flush();
    let _ = heap.collect_full();
    check(heap, m, "after a full collection")?;
    m.roots.clear();
    m.weaks.clear();
    heap.flush();
    Ok(())
}
