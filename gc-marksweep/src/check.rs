//! The heap consistency check (PyPy's `debug_check_consistency`, run by
//! `PYPY_GC_DEBUG`): every reference the collector holds must lead to an
//! object it can find by walking its spaces — checked by address *before*
//! anything is read through it, so a dangling reference is reported, not
//! followed — plus the write barrier's and the marking's invariants.

use std::collections::{HashMap, HashSet};

use crate::header::{
    Block, CARDS_SET, FINALIZATION_ORDERING, FORWARDED, HAS_CARDS, MORE_PENDING, OLD, ObjPtr,
    ObjRef, TRACK_YOUNG_PTRS, VISITED,
};
use crate::major::State;

/// Where a stored reference was found.
pub(crate) enum Holder {
    /// A named list (roots, remembered set, grey stack…).
    List(&'static str),
    /// A weak reference, by id.
    Weak(u64),
}

/// What the check looks at, gathered by the heap.
pub(crate) struct Snapshot<'h> {
    /// Every object not yet freed, with the object when it is live.
    pub(crate) objects: Vec<(Block<'h>, Option<ObjRef<'h>>)>,
    /// Every stored reference outside objects, and where it is.
    pub(crate) stored: Vec<(Holder, ObjPtr)>,
    /// The grey objects.
    pub(crate) grey: HashSet<usize>,
    /// The write barrier remembered something since the last minor
    /// collection.
    pub(crate) barrier_pending: bool,
    /// The major collection's phase.
    pub(crate) state: State,
    /// Live objects according to the statistics.
    pub(crate) live_objects: u64,
}

/// Finds a stored reference among the heap's objects, or says where it
/// was found (the closure) and that it leads nowhere.
type Lookup<'a, 'h> = dyn Fn(ObjPtr, &dyn Fn() -> String) -> Result<Block<'h>, String> + 'a;

/// Checks the snapshot: every reference leads to an object of the heap,
/// the barrier's and the marking's invariants hold, the statistics agree.
pub(crate) fn check(heap: &Snapshot<'_>) -> Result<(), String> {
    let all: HashMap<usize, Block<'_>> = heap.objects.iter().map(|&(b, _)| (b.addr(), b)).collect();
    let valid = |p: ObjPtr, what: &dyn Fn() -> String| match all.get(&p.addr()) {
        Some(&block) => Ok(block),
        None => Err(format!(
            "{}: refers to {:#x}, which is no object of this heap",
            what(),
            p.addr()
        )),
    };
    // Objects waiting for the sweeper without a mark are dead: what they
    // refer to may be freed already, so they are not checked.
    for obj in heap.objects.iter().filter_map(|&(_, live)| live) {
        check_object(heap, obj, &valid)?;
    }
    for (holder, ptr) in &heap.stored {
        valid(*ptr, &|| match holder {
            Holder::List(name) => name.to_string(),
            Holder::Weak(id) => format!("weak reference {id}"),
        })?;
    }
    if heap.live_objects != all.len() as u64 {
        return Err(format!(
            "stats say {} live objects, the heap holds {}",
            heap.live_objects,
            all.len()
        ));
    }
    Ok(())
}

/// One live object: its colour and its slots (each checked by address
/// before its header is read), against the barrier's and the marking's
/// invariants.
fn check_object<'h>(
    heap: &Snapshot<'h>,
    obj: ObjRef<'h>,
    valid: &Lookup<'_, 'h>,
) -> Result<(), String> {
    let tid = obj.tid();
    let id = obj.id();
    if tid & FORWARDED != 0 {
        return Err(format!(
            "object {id} is a forwarding stub outside a minor collection"
        ));
    }
    if heap.state == State::Scanning && tid & (VISITED | FINALIZATION_ORDERING | MORE_PENDING) != 0
    {
        return Err(format!("object {id} is marked between major collections"));
    }
    if tid & FINALIZATION_ORDERING != 0 {
        return Err(format!("object {id} keeps a finalization-ordering bit"));
    }
    for (i, slot) in obj.slots().iter().enumerate() {
        let Some(child) = slot.ptr() else { continue };
        let child = valid(child, &|| format!("object {id} slot {i}"))?;
        if tid & OLD != 0 && !child.has(OLD) {
            // The barrier's invariant: an old object refers to a young one
            // only if the next minor collection will look at it.
            let remembered = tid & TRACK_YOUNG_PTRS == 0
                || (tid & HAS_CARDS != 0 && tid & CARDS_SET != 0 && obj.card_is_set(i));
            if !remembered {
                return Err(format!(
                    "old object {id} refers to young object {} in slot {i} but is not in the remembered set (missing write barrier)",
                    child.id()
                ));
            }
        }
        if heap.state == State::Marking
            && !heap.barrier_pending
            && tid & VISITED != 0
            && !child.has(VISITED)
            && !heap.grey.contains(&child.addr())
        {
            return Err(format!(
                "black object {id} refers to white object {} (slot {i}) during marking",
                child.id()
            ));
        }
    }
    Ok(())
}
