//! The recording finalizer hooks: what they see of their object and do
//! with it, and the heap the strategy's own hook may swap in.

use super::*;

/// What the hook saw of an object.
#[derive(Debug)]
pub(super) struct Seen {
    pub(super) oid: ObjectId,
    pub(super) kind: Kind,
    pub(super) slots: Vec<Option<ObjectId>>,
    pub(super) payload: Vec<u8>,
    /// The root the hook kept: the object resurrected.
    pub(super) saved: Option<Root>,
    /// The atom the hook made (released with the hook's scope).
    pub(super) made: Option<ObjectId>,
    /// The hook set every slot of its object to nil.
    pub(super) cleared: bool,
    /// It ran inside another run of the hook.
    pub(super) nested: bool,
}

/// What the hook does beside reading its object.
#[derive(Clone, Copy, Debug)]
pub(super) struct Does {
    /// Resurrects every third object (by identity) with a root.
    pub(super) save: bool,
    /// Allocates an atom in its scope.
    pub(super) make: bool,
    /// Sets the object's slots to nil (which may free what they held).
    pub(super) clear: bool,
}

/// The payload of the atoms the hook makes.
pub(super) const MADE_BY_HOOK: &[u8] = b"made by the hook";

/// The finalizer hook installed with [`Collector::on_finalize`]: records
/// what [`record`] answers.
pub(super) struct Recorder {
    pub(super) seen: Arc<Mutex<Vec<Result<Seen, String>>>>,
    pub(super) does: Does,
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
pub(super) struct Records {
    pub(super) seen: Vec<Result<Seen, String>>,
    pub(super) does: Does,
    /// Runs of the nested hook under way.
    pub(super) depth: u32,
}

/// The hook installed with [`Embedding::on_finalize_nested_with`]: lends
/// the records again around its own operations, so that a finalizer they
/// make due runs inside it.
pub(super) fn nested_hook<C: Collector + 'static>(
    r: &mut Records,
    s: &mut Scope<'_, C>,
    object: Local<'_>,
) {
    let does = r.does;
    let nested = r.depth > 0;
    r.depth += 1;
    let seen = record(s, object, does, Some(&mut *r)).map(|seen| Seen { nested, ..seen });
    r.depth -= 1;
    r.seen.push(seen);
    swap_in_hook(s);
}

/// The heap the strategy's own hook swaps in, lent around each outermost
/// scope of a run whose first byte says so.
pub(super) struct HookSpare<C> {
    pub(super) heap: C,
    /// The operation under way lets the hook swap.
    pub(super) armed: bool,
    /// It did (once a run).
    pub(super) fired: bool,
}

/// The hook's swap: with a [`HookSpare`] lent and armed, swaps the heap
/// it runs on with it, once. The run's heap is then spent (see
/// [`Scope::heap`]): the model stops predicting it and only checks that
/// no local or root names another object.
pub(super) fn swap_in_hook<C: Collector + 'static>(s: &mut Scope<'_, C>) {
    with_lent(|h: &mut HookSpare<C>| {
        if h.armed && !h.fired {
            std::mem::swap(s.heap(), &mut h.heap);
            h.fired = true;
        }
    });
}

/// Lets the hook swap during the operation about to run (`on`: answers
/// whether a [`HookSpare`] is lent), or stops it (answers whether it
/// swapped, in this run).
pub(super) fn arm<C: Collector + 'static>(on: bool) -> bool {
    with_lent(|h: &mut HookSpare<C>| {
        h.armed = on;
        on || h.fired
    })
    .unwrap_or(false)
}

/// Runs `f`, with `lent` lent around it if there is one.
pub(super) fn around<R>(lent: &mut Option<&mut Records>, f: impl FnOnce() -> R) -> R {
    match lent {
        Some(r) => lend(&mut **r, f),
        None => f(),
    }
}

/// The hook's work: reads the object, then does what `does` says, each
/// operation with `lent` lent around it (a nested hook).
pub(super) fn record<C: Collector>(
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
