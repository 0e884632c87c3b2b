//! Weak references: a slab of entries behind generation-checked handles,
//! plus the list of entries whose referent is young (PyPy's
//! `young_objects_with_weakrefs`), so that a minor collection looks only at
//! those, never at every weak reference.

use gc_core::{GcError, HeapId, ObjectId, RootTable, WeakHandle, WeakId};

use crate::header::{Access, OLD, ObjPtr, ObjRef};
use crate::mark::{fin_state, survives};
use crate::system;

/// A weak reference as the mutator holds it (PyPy's weakrefs are heap
/// objects; ours live here, cleared by the collection that finds the
/// referent dead).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WeakEntry {
    id: u64,
    /// A live object of this heap, or nil once cleared (only this module
    /// writes it).
    target: Option<ObjPtr>,
    callback: bool,
    /// The referent died: its callback runs after the next major
    /// collection, if this weak reference still lives then.
    pending: Option<ObjectId>,
    /// PyPy would have cleared it (its referent was kept only for a
    /// finalizer that runs now), but a resurrecting finalizer kept it
    /// (see [`WeakTable::note_finalizer_only`]).
    spared: bool,
}

impl WeakEntry {
    /// The weak reference's id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The referent, unless cleared.
    pub(crate) fn target(&self) -> Option<ObjPtr> {
        self.target
    }
}

/// The weak references of one heap.
#[derive(Debug)]
pub(crate) struct WeakTable {
    handles: RootTable<u32, WeakHandle>,
    entries: Vec<Option<WeakEntry>>,
    free: Vec<u32>,
    /// Entries created with a young referent since the last minor
    /// collection (a referent never becomes young again, and a slot freed
    /// and reused meanwhile is harmless: it is simply looked at).
    young: Vec<u32>,
}

impl WeakTable {
    pub(crate) fn new(heap: HeapId) -> Self {
        WeakTable {
            handles: RootTable::new(heap),
            entries: Vec::new(),
            free: Vec::new(),
            young: Vec::new(),
        }
    }

    /// A new weak reference `id` to `target`, or `OutOfMemory` (nothing
    /// changed) when the table cannot grow.
    ///
    /// # Safety
    ///
    /// `target` is a live object of the heap this table belongs to.
    pub(crate) unsafe fn insert(
        &mut self,
        id: u64,
        target: ObjRef<'_>,
        callback: bool,
    ) -> Result<WeakHandle, GcError> {
        let young = !target.has(OLD);
        system::reserve(&mut self.entries, 1)?;
        if young {
            system::reserve(&mut self.young, 1)?;
        }
        let entry = WeakEntry {
            id,
            target: Some(target.ptr()),
            callback,
            pending: None,
            spared: false,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.entries[s as usize] = Some(entry);
                s
            }
            None => {
                self.entries.push(Some(entry));
                (self.entries.len() - 1) as u32
            }
        };
        if young {
            self.young.push(slot);
        }
        Ok(self.handles.insert(slot))
    }

    pub(crate) fn get(&self, h: WeakHandle) -> Result<&WeakEntry, GcError> {
        let slot = self.handles.get(h)?;
        Ok(self.entries[slot as usize]
            .as_ref()
            .expect("a live handle has an entry"))
    }

    pub(crate) fn remove(&mut self, h: WeakHandle) -> Result<(), GcError> {
        let slot = self.handles.remove(h)?;
        self.entries[slot as usize] = None;
        self.free.push(slot);
        Ok(())
    }

    /// Every live entry.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &WeakEntry> {
        self.entries.iter().flatten()
    }

    /// Minor collections: each entry that had a young referent follows
    /// its copy, or is cleared (queuing its callback); the list is
    /// forgotten.
    ///
    /// # Safety
    ///
    /// Called by a minor collection of the heap this table belongs to,
    /// after every surviving young object was copied: `access` is that
    /// heap's token and the nursery is not reset yet.
    pub(crate) unsafe fn forward_young(&mut self, access: &Access) {
        for slot in self.young.drain(..) {
            let Some(weak) = self.entries[slot as usize].as_mut() else {
                continue;
            };
            // SAFETY: a weak target is a live object (invariant in
            // `header.rs`: cleared before its referent is freed) of the
            // heap `access` guards (the caller's guarantee).
            let Some(target) = weak.target.map(|t| unsafe { t.open(access) }) else {
                continue;
            };
            if !target.has(OLD) {
                match target.forwarded() {
                    Some(copy) => weak.target = Some(copy.ptr()),
                    None => {
                        weak.target = None;
                        if weak.callback {
                            weak.pending = Some(target.id());
                        }
                    }
                }
            }
        }
    }

    /// The finalizer ordering, once it has decided which finalizers run
    /// now: notes the references to objects kept only for those (state 2:
    /// the objects finalized now and what only they reach), which PyPy
    /// clears at this point; the ones [`clear_unreachable`](Self::clear_unreachable)
    /// keeps for a resurrecting finalizer stay noted until
    /// [`take_spared`](Self::take_spared).
    ///
    /// # Safety
    ///
    /// As for [`clear_unreachable`](Self::clear_unreachable).
    pub(crate) unsafe fn note_finalizer_only(&mut self, access: &Access) {
        for weak in self.entries.iter_mut().flatten() {
            if let Some(target) = weak.target {
                // SAFETY: as in `clear_unreachable`.
                let target = unsafe { target.open_block(access) };
                if fin_state(target) == 2 {
                    weak.spared = true;
                }
            }
        }
    }

    /// The weak references noted by [`note_finalizer_only`](Self::note_finalizer_only)
    /// that still have their referent, in table order (the notes are
    /// cleared), or `OutOfMemory` (nothing taken) when the list cannot be
    /// made.
    pub(crate) fn take_spared(&mut self) -> Result<Vec<WeakId>, GcError> {
        let n = self.iter().filter(|weak| weak.spared).count();
        let mut spared = Vec::new();
        system::reserve(&mut spared, n)?;
        for weak in self.entries.iter_mut().flatten() {
            if std::mem::take(&mut weak.spared) && weak.target.is_some() {
                spared.push(WeakId(weak.id));
            }
        }
        Ok(spared)
    }

    /// The end of marking: references to objects that are not really alive
    /// (dead, or kept only for a finalizer) are cleared, callbacks queued.
    ///
    /// # Safety
    ///
    /// `access` is the token of the heap this table belongs to, and
    /// nothing was swept since the marking started.
    pub(crate) unsafe fn clear_unreachable(&mut self, access: &Access) {
        for weak in self.entries.iter_mut().flatten() {
            if let Some(target) = weak.target {
                // SAFETY: nothing was swept since the marking started (the
                // caller's guarantee): every weak target is an allocated
                // object of the heap `access` guards (maybe dead: only its
                // header is read).
                let target = unsafe { target.open_block(access) };
                if !survives(target) {
                    weak.target = None;
                    if weak.callback {
                        weak.pending = Some(target.id());
                    }
                }
            }
        }
    }

    /// The callbacks due (weak references cleared since the last major
    /// collection that still live), in table order, or `OutOfMemory`
    /// (nothing taken: they stay due) when the list cannot be made.
    pub(crate) fn take_callbacks(&mut self) -> Result<Vec<(WeakId, ObjectId)>, GcError> {
        let due = self.iter().filter(|weak| weak.pending.is_some()).count();
        let mut callbacks = Vec::new();
        system::reserve(&mut callbacks, due)?;
        let entries = self.entries.iter_mut().flatten();
        callbacks.extend(
            entries.filter_map(|weak| weak.pending.take().map(|object| (WeakId(weak.id), object))),
        );
        Ok(callbacks)
    }
}
