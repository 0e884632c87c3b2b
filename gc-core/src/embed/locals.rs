//! The local stack of a heap's scopes: what each [`Local`](super::Local)
//! names. An entry is a root of the heap's table (a [`Handle`], released
//! when the entry is popped); or, on a heap that scans the stack itself
//! (marksweep), the object's address: a root the collector finds on the
//! stack and rewrites when it moves the object (V8's handle scopes,
//! PyPy's shadow stack); or, on a reference-counting heap, the object's
//! index in its table together with one count, dropped when the entry is
//! popped. Either way, making and dropping a local touches no root table.
//!
//! A heap that scans its stack keeps it where only it and this layer
//! reach it: [`Collector::local_stack`](crate::Collector::local_stack)
//! takes a [`LocalsKey`], which only this layer makes, and answers a
//! [`LocalsMut`], which changes the stack only through this layer's
//! operations. No safe code can swap a scanned stack with another heap's
//! (its objects would then be rooted by the wrong heap), take it, or write
//! an address into it. A `Collector` of the embedder's decides which
//! stack it lends, and may lend another one from call to call: so this
//! layer moves an entry only within the stack it read it from, and puts
//! back one it took off only on a stack with the same stamp
//! (`LocalStack::push_back`).

#![allow(unsafe_code)]

use std::num::NonZeroU32;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

use crate::{GcError, Handle, HeapId, config};

/// Proof that the embedding layer asks: only it can make one, so only it
/// reaches a heap's [`LocalStack`] and pushes locals through the
/// `*_local` methods of [`Collector`](crate::Collector).
#[derive(Clone, Copy, Debug)]
pub struct LocalsKey(());

impl LocalsKey {
    pub(super) const KEY: LocalsKey = LocalsKey(());
}

/// A heap's local stack, lent to the embedding layer: it reads it
/// (through `Deref`) and changes it with its own operations only; it is
/// not a `&mut LocalStack`, which `std::mem::swap` could exchange with
/// another heap's.
#[derive(Debug)]
pub struct LocalsMut<'a>(pub(super) &'a mut LocalStack);

impl<'a> LocalsMut<'a> {
    /// Lends `stack` (a heap's own, from its
    /// [`Collector::local_stack`](crate::Collector::local_stack)).
    #[inline]
    pub fn new(stack: &'a mut LocalStack) -> Self {
        LocalsMut(stack)
    }
}

impl std::ops::Deref for LocalsMut<'_> {
    type Target = LocalStack;

    #[inline]
    fn deref(&self) -> &LocalStack {
        self.0
    }
}

/// One local.
#[derive(Clone, Copy, Debug)]
pub(super) enum Entry {
    /// A root of the heap's table, released when the entry is popped.
    Root(Handle),
    /// An object the heap roots while the entry is on the stack; `serial`
    /// tells this entry from any other that takes its place later.
    Object { addr: NonNull<u8>, serial: u32 },
    /// An object of a reference-counting heap, which the entry holds one
    /// count of: its index in the heap's table in the low half of `key`,
    /// the serial (as above) in the high half. One word, so that it is
    /// written and read whole (see [`LocalStack::keep_top_at`]).
    Counted { key: u64 },
    /// A local whose handle the embedder released by hand: stale.
    Released,
}

/// What a local holds, for the heap that owns the stack.
#[derive(Clone, Copy, Debug)]
pub enum Held {
    /// An object the heap pushed ([`LocalStack::push_object`]).
    Object(NonNull<u8>),
    /// An object of a reference-counting heap, by its index, with one
    /// count (pushed by that heap).
    Counted(u32),
    /// A root of the heap's table.
    Root(Handle),
}

impl Entry {
    #[inline]
    fn counted(index: u32, serial: u32) -> Self {
        Entry::Counted {
            key: u64::from(index) | (u64::from(serial) << 32),
        }
    }

    /// A counted entry's object index (the low half of its key).
    #[inline]
    pub(super) fn index_of(key: u64) -> u32 {
        key as u32
    }

    /// A counted entry's serial (the high half of its key).
    #[inline]
    fn serial_of(key: u64) -> u32 {
        (key >> 32) as u32
    }

    /// Must popping it drop something (a table root, a count)?
    #[inline]
    pub(super) fn needs_release(self) -> bool {
        matches!(self, Entry::Root(_) | Entry::Counted { .. })
    }
}

/// The local stack of a heap's scopes: what each [`Local`](super::Local)
/// names (a table root, an object the heap scans, or a counted index).
#[derive(Debug)]
pub struct LocalStack {
    pub(super) entries: Vec<Entry>,
    /// Process-unique (never given twice: making a stack fails once
    /// 2^32 − 2 have been made), so that a [`Local`](super::Local) names a
    /// place on this stack only.
    pub(super) stamp: NonZeroU32,
    /// The heap whose objects the stack holds, for a heap that scans it
    /// ([`LocalStack::scanned`]) or counts them ([`LocalStack::counted`]);
    /// `None`: only handles.
    heap: Option<HeapId>,
    /// Made [`LocalStack::counted`]: its objects are counted entries.
    counted: bool,
    /// The next object entry's serial (wrapping).
    serial: u32,
    /// Every entry that [needs a release](Entry::needs_release) is below
    /// this place: popping locals at or above it releases nothing.
    root_top: usize,
    /// Scopes entered on this stack and not yet ended (wrapping): a scope
    /// pushes and pops only while it is the innermost one here, so that no
    /// scope pops another's locals (`Scope::heap` lends `&mut C`, so heaps
    /// can be swapped under live scopes).
    pub(super) depth: u32,
}

// SAFETY: the addresses are only data here: the heap that pushed them
// reads them (through `unsafe fn`s whose callers vouch for them), on the
// thread that owns the heap; the rest is plain data.
unsafe impl Send for LocalStack {}
// SAFETY: as above: shared, the stack only hands out copies of its data.
unsafe impl Sync for LocalStack {}

impl LocalStack {
    fn with_heap(heap: Option<HeapId>) -> Result<Self, crate::GcError> {
        static NEXT_STAMP: AtomicU32 = AtomicU32::new(1);
        Ok(LocalStack {
            entries: Vec::new(),
            stamp: crate::handle::next_unique(&NEXT_STAMP, "local stacks")?,
            heap,
            counted: false,
            serial: 0,
            root_top: 0,
            depth: 0,
        })
    }

    /// A stack of root-table handles (the embedding layer's own, for a
    /// heap that keeps none). Stamps are never given twice: once 2^32 − 2
    /// stacks have been made, [`GcError::TooMany`](crate::GcError::TooMany).
    pub(crate) fn of_handles() -> Result<Self, crate::GcError> {
        Self::with_heap(None)
    }

    /// A stack for the heap `heap`, which scans it: it may push objects
    /// ([`LocalStack::push_object`]) and treats [`LocalStack::objects`] as
    /// roots. [`GcError::TooMany`](crate::GcError::TooMany) once 2^32 − 2
    /// stacks have been made.
    pub fn scanned(heap: HeapId) -> Result<Self, crate::GcError> {
        Self::with_heap(Some(heap))
    }

    /// A stack for the reference-counting heap `heap`, whose locals each
    /// hold a count of their object ([`LocalStack::push_counted`]).
    pub(crate) fn counted(heap: HeapId) -> Result<Self, crate::GcError> {
        Ok(LocalStack {
            counted: true,
            ..Self::with_heap(Some(heap))?
        })
    }

    /// Was it made [`LocalStack::scanned`] or `LocalStack::counted` (may
    /// it hold objects rather than handles)?
    #[inline]
    pub fn holds_objects(&self) -> bool {
        self.heap.is_some()
    }

    /// The stack's process-unique stamp: unchanged, the heap holding it
    /// is the same (heaps can be swapped under an operation that runs
    /// embedder code, through `Scope::heap`).
    #[inline]
    pub(crate) fn stamp(&self) -> NonZeroU32 {
        self.stamp
    }

    /// Locals on the stack.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No local on the stack.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Makes room for one more local, or `OutOfMemory`.
    #[inline(always)]
    pub fn reserve_one(&mut self) -> Result<(), GcError> {
        if self.entries.len() == self.entries.capacity() {
            return self.grow();
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) -> Result<(), GcError> {
        self.entries.try_reserve(1).map_err(|_| config::refused())
    }

    /// Pushes a root of the heap's table as a local (released when
    /// popped): its place, or `OutOfMemory` when there is no room and the
    /// system refuses it (the handle is then not pushed: the caller still
    /// owns it).
    #[inline]
    pub(super) fn push_root(&mut self, handle: Handle) -> Result<usize, GcError> {
        self.reserve_one()?;
        let place = self.entries.len();
        self.entries.push(Entry::Root(handle));
        self.root_top = place + 1;
        Ok(place)
    }

    /// Puts back a local taken off the stack whose stamp is `from` (a
    /// child scope's escaped local) at the top: its place. There is room:
    /// the stack is lower than when the local was taken.
    ///
    /// `Err(entry)`, nothing changed, when this is another stack: between
    /// the taking and the putting back the strategy's `release` ran, and a
    /// `Collector` of the embedder's may lend another heap's stack after
    /// it. An object's address never moves to a stack its heap does not
    /// scan.
    #[inline]
    pub(super) fn push_back(&mut self, entry: Entry, from: NonZeroU32) -> Result<usize, Entry> {
        if self.stamp != from {
            return Err(entry);
        }
        let place = self.entries.len();
        self.entries.push(entry);
        if entry.needs_release() {
            self.root_top = place + 1;
        }
        Ok(place)
    }

    /// Moves the local at `place` down to `base`, the ones between up by
    /// one.
    pub(super) fn rotate_down(&mut self, base: usize, place: usize) {
        self.entries[base..=place].rotate_right(1);
        self.root_top = self.root_top.max(place + 1);
    }

    /// Pushes `addr` as a local: the heap roots it while it is on the
    /// stack. Its place, or `OutOfMemory` when there is no room and the
    /// system refuses it (nothing pushed).
    ///
    /// # Safety
    ///
    /// The stack was made with [`LocalStack::scanned`] for the heap that
    /// calls, `addr` is a live object of that heap, and the heap treats
    /// [`LocalStack::objects`] as roots, rewriting them
    /// ([`LocalStack::forward`]) when it moves their objects.
    #[inline(always)]
    pub unsafe fn push_object(&mut self, addr: NonNull<u8>) -> Result<usize, GcError> {
        self.room_for_object()?;
        let serial = self.next_serial();
        self.entries.push(Entry::Object { addr, serial });
        Ok(self.entries.len() - 1)
    }

    /// Makes room for one more object entry, whose handle names its place
    /// below `LOCAL_BIT`: then [`LocalStack::push_counted`] cannot fail.
    #[inline(always)]
    pub(crate) fn room_for_object(&mut self) -> Result<(), GcError> {
        self.reserve_one()?;
        if self.entries.len() >= crate::handle::LOCAL_BIT as usize {
            return Err(GcError::TooMany {
                what: "locals",
                limit: u64::from(crate::handle::LOCAL_BIT),
            });
        }
        Ok(())
    }

    #[inline(always)]
    fn next_serial(&mut self) -> u32 {
        let serial = self.serial;
        self.serial = serial.wrapping_add(1);
        serial
    }

    /// Pushes the object `index` (the heap's name for it) of a
    /// reference-counting heap, whose count the caller raised for the
    /// entry: its place, or `OutOfMemory` (nothing pushed) as
    /// [`LocalStack::push_object`]. Allocates nothing after
    /// [`LocalStack::room_for_object`].
    #[inline]
    pub(crate) fn push_counted(&mut self, index: u32) -> Result<usize, GcError> {
        debug_assert!(self.counted);
        self.room_for_object()?;
        let serial = self.next_serial();
        let place = self.entries.len();
        self.entries.push(Entry::counted(index, serial));
        self.root_top = place + 1;
        Ok(place)
    }

    /// The two top entries when both are counted: the lower one's place
    /// and their objects (the heap's names for them), lower first.
    #[inline(always)]
    pub(crate) fn top_counted_pair(&self) -> Option<(usize, [u32; 2])> {
        match self.entries.as_slice() {
            [.., Entry::Counted { key: a }, Entry::Counted { key: b }] => Some((
                self.entries.len() - 2,
                [Entry::index_of(*a), Entry::index_of(*b)],
            )),
            _ => None,
        }
    }

    /// Replaces the two top entries (at `first`, see
    /// [`LocalStack::top_counted_pair`]), whose counts were taken over, by
    /// a counted entry for the object `index`, whose count the caller
    /// raised for it: its place, `first`. Never allocates.
    #[inline(always)]
    pub(crate) fn replace_top_pair(&mut self, first: usize, index: u32) -> usize {
        debug_assert!(self.counted && first + 2 == self.entries.len());
        let serial = self.next_serial();
        self.entries.truncate(first + 1);
        self.entries[first] = Entry::counted(index, serial);
        self.root_top = first + 1;
        first
    }

    /// Pops the locals at `first` and above without releasing them: their
    /// counts were taken over (a tuple made of them holds them now).
    #[inline]
    pub(crate) fn pop_taken(&mut self, first: usize) {
        self.entries.truncate(first);
        self.root_top = self.root_top.min(first);
    }

    /// The handle naming the object local at `place` with `serial`.
    #[inline]
    fn local_handle(&self, place: usize, serial: u32) -> Result<Handle, GcError> {
        match self.heap {
            // Below `LOCAL_BIT`: pushed there (`room_for_object`), and
            // entries only move down.
            Some(heap) => Ok(Handle::local(heap, place as u32, serial)),
            None => Err(GcError::StaleHandle),
        }
    }

    /// The handle of the local at `place`: its table root, or a handle
    /// that names the place (valid while the entry stays there); `None`
    /// past the top.
    #[inline]
    pub fn handle_at(&self, place: usize) -> Option<Result<Handle, GcError>> {
        Some(match *self.entries.get(place)? {
            Entry::Root(h) => Ok(h),
            Entry::Object { serial, .. } => self.local_handle(place, serial),
            Entry::Counted { key } => self.local_handle(place, Entry::serial_of(key)),
            Entry::Released => Err(GcError::StaleHandle),
        })
    }

    /// What the local at `place` holds; [`GcError::StaleHandle`] past
    /// the top or for a local released by hand.
    #[inline(always)]
    pub fn held(&self, place: usize) -> Result<Held, GcError> {
        match self.entries.get(place) {
            Some(&Entry::Object { addr, .. }) => Ok(Held::Object(addr)),
            Some(&Entry::Counted { key }) => Ok(Held::Counted(Entry::index_of(key))),
            Some(&Entry::Root(h)) => Ok(Held::Root(h)),
            _ => Err(GcError::StaleHandle),
        }
    }

    /// A child scope's escape when no local at or above `base` is a
    /// table's root: the local at `place` (the top) moves to `base`, the
    /// rest is dropped (nothing to release). `false`: not that case,
    /// nothing changed.
    #[inline(always)]
    pub(super) fn escape_objects(&mut self, base: usize, place: usize) -> bool {
        if self.root_top > base || place + 1 != self.entries.len() {
            return false;
        }
        if place != base {
            // Copied field by field over the entry at `base`, which is
            // dropped unread: the kept one was just written field by
            // field, and a wide load of narrow stores stalls
            // store-to-load forwarding (a swap spent most of the escape
            // waiting on it; see `keep_top_at`).
            self.entries[base] = match self.entries[place] {
                Entry::Object { addr, serial } => Entry::Object { addr, serial },
                other => other,
            };
        }
        self.entries.truncate(base + 1);
        true
    }

    /// Takes the local at `place` (below the top) for the caller to
    /// release, leaving a stale entry in its place.
    #[inline]
    pub(super) fn take_at(&mut self, place: usize) -> Entry {
        std::mem::replace(&mut self.entries[place], Entry::Released)
    }

    /// Moves the top local down to `base` and drops everything between
    /// (the caller released it: [`LocalStack::take_at`]).
    #[inline(always)]
    pub(super) fn keep_top_at(&mut self, base: usize) {
        let top = self.entries.len() - 1;
        if top != base {
            // Copied field by field over the entry at `base`, which is not
            // read: both were just written field by field, and a wide load
            // of narrow stores stalls store-to-load forwarding (a swap or a
            // plain copy spent most of this call waiting on it).
            self.entries[base] = match self.entries[top] {
                Entry::Counted { key } => Entry::Counted { key },
                other => other,
            };
        }
        self.entries.truncate(base + 1);
        self.root_top = self.root_top.min(base + 1);
    }

    /// The object a handle of this stack's heap names, if it is a local's
    /// handle (`Ok(None)`: a table's handle, for the caller to look up).
    /// A local's handle of another heap is [`GcError::ForeignHandle`]; one
    /// whose local is gone (its scope ended) or released is
    /// [`GcError::StaleHandle`].
    #[inline]
    pub fn object(&self, handle: Handle) -> Result<Option<NonNull<u8>>, GcError> {
        match self.local(handle)? {
            Some(Held::Object(addr)) => Ok(Some(addr)),
            Some(_) => Err(GcError::StaleHandle),
            None => Ok(None),
        }
    }

    /// What the local a handle of this stack's heap names holds (`None`: a
    /// table's handle, for the caller to look up; errors as
    /// [`LocalStack::object`]).
    #[inline]
    pub fn local(&self, handle: Handle) -> Result<Option<Held>, GcError> {
        let Some((place, serial)) = handle.local_place() else {
            return Ok(None);
        };
        if self.heap != Some(handle.heap()) {
            return Err(GcError::ForeignHandle);
        }
        match self.entries.get(place as usize) {
            Some(&Entry::Object { addr, serial: s }) if s == serial => Ok(Some(Held::Object(addr))),
            Some(&Entry::Counted { key }) if Entry::serial_of(key) == serial => {
                Ok(Some(Held::Counted(Entry::index_of(key))))
            }
            _ => Err(GcError::StaleHandle),
        }
    }

    /// Releases a local's handle by hand: the local is stale from then on
    /// (its object is no longer rooted by it). `Ok(false)`: not a local's
    /// handle (a table's, for the caller to release).
    #[inline]
    pub fn release(&mut self, handle: Handle) -> Result<bool, GcError> {
        Ok(self.take(handle)?.is_some())
    }

    /// As [`LocalStack::release`], answering what the local held, for the
    /// heap to drop (a count); `None`: not a local's handle.
    #[inline]
    pub(crate) fn take(&mut self, handle: Handle) -> Result<Option<Held>, GcError> {
        let held = self.local(handle)?;
        if let (Some(_), Some((place, _))) = (held, handle.local_place()) {
            self.entries[place as usize] = Entry::Released;
        }
        Ok(held)
    }

    /// The objects on the stack (roots of the heap that scans it).
    pub fn objects(&self) -> impl Iterator<Item = NonNull<u8>> + '_ {
        self.entries.iter().filter_map(|e| match *e {
            Entry::Object { addr, .. } => Some(addr),
            _ => None,
        })
    }

    /// The counted objects on the stack, by index (each holds one count).
    pub(crate) fn counted_objects(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries.iter().filter_map(|e| match *e {
            Entry::Counted { key } => Some(Entry::index_of(key)),
            _ => None,
        })
    }

    /// How many locals hold an object rather than a table's root (scanned
    /// or counted).
    pub fn object_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e, Entry::Object { .. } | Entry::Counted { .. }))
            .count()
    }

    /// Replaces every object on the stack by `f`'s answer (a moving
    /// collection forwarding them to their copies).
    ///
    /// # Safety
    ///
    /// `f` answers a live object of the heap that scans the stack.
    pub unsafe fn forward(&mut self, mut f: impl FnMut(NonNull<u8>) -> NonNull<u8>) {
        for e in &mut self.entries {
            if let Entry::Object { addr, .. } = e {
                *addr = f(*addr);
            }
        }
    }

    /// Pops the top local if it is above `base` (then call
    /// [`LocalStack::popped`]).
    #[inline]
    pub(super) fn pop_above(&mut self, base: usize) -> Option<Entry> {
        if self.entries.len() > base {
            self.entries.pop()
        } else {
            None
        }
    }

    /// After popping: every table root is below the top.
    #[inline]
    pub(super) fn popped(&mut self) {
        self.root_top = self.root_top.min(self.entries.len());
    }

    /// Pops every local above `base` if none is a table's root (nothing
    /// to release); `false` (nothing popped) otherwise.
    #[inline]
    pub(super) fn truncate_objects(&mut self, base: usize) -> bool {
        if base < self.root_top {
            return false;
        }
        self.entries.truncate(base);
        true
    }
}
