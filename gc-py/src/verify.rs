//! The live set at a program's end, checked against what the program can
//! still reach (for `gc-bench`'s `py:` workloads, whose runs are verified
//! by it as trace runs are by the model).
//!
//! Once the program's statements have run, a strategy that collects
//! cycles collects until nothing changes (finalizers run in between);
//! then the objects reachable from the interpreter's roots — its globals,
//! class attributes, constants, the `gc` module's lists and the
//! collector's `gc.garbage` — are walked through their slots and compared
//! with the collector's live set. Every reachable object must be live;
//! on a cycle collector every live object must be reachable. On the
//! strategies that do not collect cycles (refcount, null) the live
//! objects nothing reaches are counted, not failed: they leaked.

use std::collections::HashSet;

use gc_core::ObjectId;

use crate::heap::{Root, Strategy};
use crate::interp::Interp;
use crate::value::Value;

/// What the check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndCheck {
    /// Objects the collector keeps.
    pub live: u64,
    /// Of those, objects the program can no longer reach (0 on a cycle
    /// collector, which would have failed the check otherwise).
    pub unreachable: u64,
}

/// Full collections at most, until the live count stops changing.
const MAX_COLLECTIONS: usize = 8;

/// Collects (where the strategy collects cycles), walks the program's
/// roots and compares with the live set. An error says what does not
/// match.
pub(crate) fn live_at_end<C: Strategy>(it: &mut Interp<'_, C>) -> Result<EndCheck, String> {
    let collects_cycles = C::TRAITS.collects_cycles;
    it.safe_point().map_err(|e| format!("at the end: {e:?}"))?;
    if collects_cycles {
        let mut before = u64::MAX;
        for _ in 0..MAX_COLLECTIONS {
            it.collect_lent(2)
                .map_err(|e| format!("collecting: {e:?}"))?;
            it.safe_point().map_err(|e| format!("at the end: {e:?}"))?;
            let live = it.heap.live().map_err(|e| e.to_string())?.0;
            if live == before {
                break;
            }
            before = live;
        }
    }
    let reachable = reachable(it).map_err(|e| format!("walking the roots: {e}"))?;
    let live = it.heap.live_ids().map_err(|e| e.to_string())?;
    let live_set: HashSet<ObjectId> = live.iter().copied().collect();
    if let Some(freed) = reachable.iter().find(|id| !live_set.contains(id)) {
        return Err(format!(
            "object {} is reachable from the program but not live",
            freed.0
        ));
    }
    let unreachable = (live.len() - reachable.len()) as u64;
    if collects_cycles && unreachable > 0 {
        return Err(format!(
            "{unreachable} of {} live objects are out of the program's reach after full collections",
            live.len()
        ));
    }
    Ok(EndCheck {
        live: live.len() as u64,
        unreachable,
    })
}

/// The objects reachable from the interpreter's roots.
fn reachable<C: Strategy>(it: &mut Interp<'_, C>) -> Result<HashSet<ObjectId>, gc_core::GcError> {
    let st = &*it.st;
    let mut roots: Vec<&Root> = Vec::new();
    let values = st
        .globals
        .values()
        .chain(st.frames.iter().flat_map(|f| f.locals.values()))
        .chain(
            st.weaks
                .iter()
                .flatten()
                .filter_map(|e| e.callback.as_ref()),
        );
    roots.extend(values.filter_map(Value::root));
    let attrs: Vec<_> = st.classes.iter().map(|k| k.attrs.borrow()).collect();
    roots.extend(
        attrs
            .iter()
            .flat_map(|a| a.values())
            .filter_map(Value::root),
    );
    if let Some(c) = &st.consts {
        roots.extend([&c.none, &c.t, &c.f].into_iter().chain(&c.ints));
    }
    roots.extend(st.const_tuples.values());
    roots.extend([&st.gc_callbacks, &st.gc_garbage].into_iter().flatten());
    let mut stack: Vec<Root> = Vec::with_capacity(roots.len());
    for r in roots {
        stack.push(it.heap.dup(r)?);
    }
    drop(attrs);
    stack.extend(it.heap.garbage()?);
    let mut seen = HashSet::new();
    while let Some(r) = stack.pop() {
        if !seen.insert(it.heap.id(&r)?) {
            continue;
        }
        for i in 0..it.heap.slot_count(&r)? {
            if let Some(c) = it.heap.get(&r, i)? {
                stack.push(c);
            }
        }
    }
    Ok(seen)
}
