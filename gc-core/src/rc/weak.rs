//! Which weak references point at which object.
//!
//! Touched only when a weak reference is made, upgraded or freed, and when
//! an object with the `HAS_WEAKREFS` flag dies: never on the allocation,
//! slot-write or traversal paths, so a hash map is fine here.

use std::collections::HashMap;
use std::collections::TryReserveError;
use std::collections::hash_map::Entry;

use super::ObjRef;

/// Weak references and their referents, in CPython's list order: the
/// callback-less ("basic") reference first, then those with callbacks,
/// newest first (`weakrefobject.c` inserts each after the basic one).
#[derive(Debug, Default)]
pub struct WeakRegistry {
    target_of: HashMap<ObjRef, ObjRef>,
    of_target: HashMap<ObjRef, Vec<(ObjRef, bool)>>,
}

impl WeakRegistry {
    /// The referent of weak reference `weak`, unless it was cleared.
    pub fn target(&self, weak: ObjRef) -> Option<ObjRef> {
        self.target_of.get(&weak).copied()
    }

    /// The callback-less weak reference to `target`, if one exists
    /// (CPython's `weakref.ref(obj)` returns it instead of a new one).
    pub fn basic_of(&self, target: ObjRef) -> Option<ObjRef> {
        match self.of_target.get(&target)?.first() {
            Some(&(w, false)) => Some(w),
            _ => None,
        }
    }

    /// Makes room to register one more weak reference to `target`, so
    /// that [`WeakRegistry::add`] then allocates nothing.
    pub fn try_reserve(&mut self, target: ObjRef) -> Result<(), TryReserveError> {
        self.target_of.try_reserve(1)?;
        self.of_target.try_reserve(1)?;
        match self.of_target.entry(target) {
            Entry::Occupied(mut list) => list.get_mut().try_reserve(1),
            Entry::Vacant(entry) => {
                let mut list = Vec::new();
                list.try_reserve_exact(1)?;
                entry.insert(list);
                Ok(())
            }
        }
    }

    /// Registers weak reference `weak` to `target` (allocating only when
    /// [`WeakRegistry::try_reserve`] did not make room).
    pub fn add(&mut self, target: ObjRef, weak: ObjRef, callback: bool) {
        self.target_of.insert(weak, target);
        let list = self.of_target.entry(target).or_default();
        let at = if !callback {
            0
        } else {
            usize::from(matches!(list.first(), Some(&(_, false))))
        };
        list.insert(at, (weak, callback));
    }

    /// Clears every weak reference to `target` and returns them in list
    /// order, each with whether it has a callback.
    pub fn clear(&mut self, target: ObjRef) -> Vec<(ObjRef, bool)> {
        let list = self.of_target.remove(&target).unwrap_or_default();
        for (w, _) in &list {
            self.target_of.remove(w);
        }
        list
    }

    /// Forgets weak reference `weak` (it is being freed). Returns its
    /// referent when that referent has no weak reference left.
    pub fn forget(&mut self, weak: ObjRef) -> Option<ObjRef> {
        let target = self.target_of.remove(&weak)?;
        let list = self.of_target.get_mut(&target)?;
        list.retain(|&(w, _)| w != weak);
        if list.is_empty() {
            self.of_target.remove(&target);
            Some(target)
        } else {
            None
        }
    }
}
