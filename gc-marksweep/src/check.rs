//! The heap consistency check (PyPy's `debug_check_consistency`, run by
//! `PYPY_GC_DEBUG`): every reference the collector holds must lead to an
//! object it can find by walking its spaces — checked by address *before*
//! anything is read through it, so a dangling reference is reported, not
//! followed — plus the write barrier's and the marking's invariants.

use std::collections::{HashMap, HashSet};

use crate::collector::IncMiniMark;
use crate::header::{
    Block, CARDS_SET, FINALIZATION_ORDERING, FORWARDED, HAS_CARDS, MORE_PENDING, OLD, ObjPtr,
    ObjRef, TRACK_YOUNG_PTRS, VISITED,
};
use crate::phases::State;

/// Finds a stored reference among the heap's objects, or says where it
/// was found (the closure) and that it leads nowhere.
type Lookup<'a, 'h> = dyn Fn(ObjPtr, &dyn Fn() -> String) -> Result<Block<'h>, String> + 'a;

impl IncMiniMark {
    pub(crate) fn check(&self) -> Result<(), String> {
        // Objects waiting for the sweeper without a mark are dead: what they
        // refer to may be freed already, so they are not checked.
        let mut all: HashMap<usize, Block<'_>> = HashMap::new();
        let mut objects = Vec::new();
        self.for_each_object(|o, live| {
            all.insert(o.addr(), o);
            objects.extend(live);
        });
        let valid = |p: ObjPtr, what: &dyn Fn() -> String| match all.get(&p.addr()) {
            Some(&block) => Ok(block),
            None => Err(format!(
                "{}: refers to {:#x}, which is no object of this heap",
                what(),
                p.addr()
            )),
        };
        let grey: HashSet<usize> = self
            .old
            .objects_to_trace
            .iter()
            .chain(&self.old.more_objects_to_trace)
            .map(|o| o.addr())
            .collect();
        let barrier_pending = !self.old.old_objects_pointing_to_young.is_empty()
            || !self.old.old_objects_with_cards_set.is_empty();
        for &obj in &objects {
            self.check_object(obj, &valid, &grey, barrier_pending)?;
        }
        for r in self.roots.iter() {
            valid(r, &|| "a root".into())?;
        }
        let lists = [
            ("the saved list", &self.saved),
            ("young objects with finalizers", &self.young_with_finalizers),
            ("finalizers to run", &self.finalizers_to_run),
            (
                "the remembered set",
                &self.old.old_objects_pointing_to_young,
            ),
            ("the cards list", &self.old.old_objects_with_cards_set),
            ("the grey stack", &self.old.objects_to_trace),
            ("the roots' grey stack", &self.old.more_objects_to_trace),
        ];
        for (name, list) in lists {
            for &o in list.iter() {
                valid(o, &|| name.to_string())?;
            }
        }
        for &o in &self.old_with_finalizers {
            valid(o, &|| "old objects with finalizers".into())?;
        }
        for w in self.weaks.iter() {
            if let Some(t) = w.target {
                valid(t, &|| format!("weak reference {}", w.id))?;
            }
        }
        let live = self.stats.live_objects;
        if live != all.len() as u64 {
            return Err(format!(
                "stats say {live} live objects, the heap holds {}",
                all.len()
            ));
        }
        Ok(())
    }

    /// One live object: its colour and its slots (each checked by address
    /// before its header is read), against the barrier's and the marking's
    /// invariants.
    fn check_object<'h>(
        &self,
        obj: ObjRef<'h>,
        valid: &Lookup<'_, 'h>,
        grey: &HashSet<usize>,
        barrier_pending: bool,
    ) -> Result<(), String> {
        let tid = obj.tid();
        let id = obj.id();
        if tid & FORWARDED != 0 {
            return Err(format!(
                "object {id} is a forwarding stub outside a minor collection"
            ));
        }
        if self.state == State::Scanning
            && tid & (VISITED | FINALIZATION_ORDERING | MORE_PENDING) != 0
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
                // The barrier's invariant: an old object refers to a young
                // one only if the next minor collection will look at it.
                let remembered = tid & TRACK_YOUNG_PTRS == 0
                    || (tid & HAS_CARDS != 0 && tid & CARDS_SET != 0 && obj.card_is_set(i));
                if !remembered {
                    return Err(format!(
                        "old object {id} refers to young object {} in slot {i} but is not in the remembered set (missing write barrier)",
                        child.id()
                    ));
                }
            }
            if self.state == State::Marking
                && !barrier_pending
                && tid & VISITED != 0
                && !child.has(VISITED)
                && !grey.contains(&child.addr())
            {
                return Err(format!(
                    "black object {id} refers to white object {} (slot {i}) during marking",
                    child.id()
                ));
            }
        }
        Ok(())
    }
}
