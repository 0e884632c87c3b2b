//! The bottom layer: the per-object GC header words, the intrusive doubly
//! linked lists built from them, and tracking (which list an object is in,
//! and the flag bits that say so).
//!
//! CPython puts a 16-byte `PyGC_Head` (two list links, whose spare bits
//! carry flags and, during a collection, `gc_refs`) in front of every
//! container. Here the links are 32-bit indices into the heap's header
//! table and `gc_refs` has its own word, so [`GcHead`] is 12 bytes; with
//! the shared header's count and flags words that is 20 bytes, against
//! CPython's 16 + 8 (`ob_refcnt`); the 8-byte
//! [`SlotRange`](gc_core::rc::SlotRange) that says where the slots are
//! (CPython: `ob_type`, also 8 bytes) makes the whole hot header 28 bytes
//! against CPython's 32. The flags live in the shared header's
//! strategy bits ([`TRACKED`], [`COLLECTING`], [`UNREACHABLE`], two
//! [generation bits](GEN_MASK) naming the list a tracked object is in, and
//! [`SCAN_PARITY`]).
//!
//! A list is a ring through a sentinel head. The heads are not objects: they
//! sit in the policy (`Lists`) and are named by indices at the very top of
//! the `u32` range, which no object index reaches (that would take four
//! billion live entries). Moving an object between lists, or unlinking it
//! when it is freed, is O(1) and allocates nothing; merging two lists is
//! O(1).
//!
//! # Invariant (maintained here, checked by `check_lists`)
//!
//! Between collections an object has [`TRACKED`] exactly when it is in one
//! of generation 0, 1, 2 or the permanent generation; its generation bits
//! name that list; its `gc_refs` is 0; its [`SCAN_PARITY`] bit equals the
//! policy's; and [`COLLECTING`] and [`UNREACHABLE`] are clear (they are set
//! only during a collection, and the scratch lists are empty). Every
//! function that puts an object in a generation list (`track`,
//! `move_to_generation`, `move_all`, `Placement`) sets its generation
//! bits and parity; `untrack` clears the flags. That is what lets the
//! first walk of a collection add counts and subtract internal references
//! in one pass (a referent is inside the collected generations when its
//! generation bits say so) and lets a full collection tell "not scanned yet"
//! by flipping the policy's parity (`flip_scan_parity`) instead of
//! marking every object. Debug builds check all of it after every
//! collection.

use gc_core::rc::{ObjRef, RcHeap, RcPolicy, flags};

/// The object is in one of the generation lists (CPython's
/// `_PyObject_GC_IS_TRACKED`).
pub const TRACKED: u32 = 1 << flags::STRATEGY_SHIFT;
/// The object belongs to the generations being collected and has not been
/// scanned yet (CPython's `PREV_MASK_COLLECTING`).
pub const COLLECTING: u32 = 1 << (flags::STRATEGY_SHIFT + 1);
/// The object sits in the tentatively-unreachable list (CPython's
/// `NEXT_MASK_UNREACHABLE`).
pub const UNREACHABLE: u32 = 1 << (flags::STRATEGY_SHIFT + 2);

/// Two bits: which list a tracked object is in between collections (0, 1,
/// 2 for the generations, [`PERMANENT`] for `gc.freeze`'s), so that the
/// first pass of a collection can tell a referent inside the collected
/// generations from one outside without a pass to mark them first.
pub const GEN_SHIFT: u32 = flags::STRATEGY_SHIFT + 3;
/// The mask of the generation bits.
pub const GEN_MASK: u32 = 0b11 << GEN_SHIFT;
/// The generation bits of the permanent generation.
pub const PERMANENT: u32 = 3;

/// Which full collection last scanned the object. Between collections
/// every tracked object's bit equals the policy's (see the module's
/// invariant); a full collection with nothing frozen flips the policy's
/// value, so "not scanned yet in this collection" is a bit test and needs
/// no pass to mark every object first.
pub const SCAN_PARITY: u32 = 1 << (flags::STRATEGY_SHIFT + 5);

/// The object is tracked as CPython tracks a dict (set by
/// [`Gc::track_as_dict`](crate::Gc::track_as_dict)): untracked while none
/// of its slots refers to an object that [may be tracked](may_be_tracked),
/// tracked again by the first slot write that stores one
/// (`MAINTAIN_TRACKING`), untracked again by a full collection that finds
/// none (`untrack_dicts`). Keeps the invariant that no untracked object
/// refers to a tracked one.
pub const DICT_TRACKING: u32 = 1 << (flags::STRATEGY_SHIFT + 6);

/// `_PyObject_GC_MAY_BE_TRACKED` from an object's flags: a container,
/// unless it is a tuple that is not tracked (atoms never are).
#[inline]
pub fn may_be_tracked(f: u32) -> bool {
    match f & flags::KIND_MASK {
        flags::ATOM => false,
        flags::TUPLE => f & TRACKED != 0,
        _ => true,
    }
}

/// No slot of object `x` refers to an object that may be tracked
/// (`_PyDict_MaybeUntrack`'s test; `_PyTuple_MaybeUntrack`'s for a tuple).
#[inline(always)]
pub(crate) fn holds_nothing_trackable<P: RcPolicy>(h: &RcHeap<P>, x: u32) -> bool {
    let slots = h.objects[x as usize].slots;
    // Up to two slots are in the (copied) range itself: no arena lookup.
    let members = match slots.inline_slots() {
        Some(inline) => inline,
        None => h.slot_arena.get(&slots),
    };
    for m in members.iter().copied().flatten() {
        if may_be_tracked(h.objects[m.index()].flags) {
            return false;
        }
    }
    true
}

/// The generation bits of `f`.
#[inline]
pub fn generation_bits(f: u32) -> u32 {
    (f & GEN_MASK) >> GEN_SHIFT
}

/// The strategy's header words: CPython's `PyGC_Head`, with `gc_refs` in a
/// word of its own instead of the spare bits of `_gc_prev`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcHead {
    /// The previous entry of the list the object is in.
    pub prev: u32,
    /// The next entry.
    pub next: u32,
    /// `gc_refs` during a collection (0 outside one); for a weak reference
    /// whose callback is pending, the index of its dead referent.
    pub refs: u32,
}

/// The lists the collector uses: the three generations, the permanent
/// generation of `gc.freeze`, and the scratch lists of one collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum List {
    Gen0 = 0,
    Gen1 = 1,
    Gen2 = 2,
    Permanent = 3,
    Unreachable = 4,
    WeakCallbacks = 5,
    Final = 6,
}

/// Number of list heads.
const LISTS: usize = 7;
/// The index of the first list head: no object may have it or a higher
/// one.
pub(crate) const HEAD_BASE: u32 = u32::MAX - LISTS as u32;

impl List {
    /// The sentinel index of the list's head (where a walk of the list
    /// ends).
    #[inline]
    pub(crate) fn head(self) -> u32 {
        HEAD_BASE + self as u32
    }

    /// Generation `g` (0, 1 or 2).
    #[inline]
    pub(crate) fn generation(g: usize) -> List {
        match g {
            0 => List::Gen0,
            1 => List::Gen1,
            _ => List::Gen2,
        }
    }

    /// The generation bits of the objects of a generation list (0, 1, 2
    /// or [`PERMANENT`]).
    #[inline]
    fn generation_bits(self) -> u32 {
        debug_assert!(self as u32 <= PERMANENT, "{self:?} is not a generation");
        self as u32
    }
}

/// The list heads and the scan parity: the part of the policy's state this
/// layer owns.
#[derive(Clone, Debug)]
pub(crate) struct Lists {
    heads: [GcHead; LISTS],
    /// 0 or [`SCAN_PARITY`]: the bit every tracked object carries between
    /// collections.
    scan_parity: u32,
}

impl Lists {
    /// Every list empty.
    pub(crate) fn new() -> Lists {
        Lists {
            heads: std::array::from_fn(|i| {
                let me = HEAD_BASE + i as u32;
                GcHead {
                    prev: me,
                    next: me,
                    refs: 0,
                }
            }),
            scan_parity: 0,
        }
    }

    /// The scan parity every tracked object carries between collections.
    #[cfg(test)]
    pub(crate) fn scan_parity(&self) -> u32 {
        self.scan_parity
    }
}

/// What this layer needs of the policy: its objects carry a [`GcHead`] and
/// it keeps the [`Lists`].
pub(crate) trait ListPolicy: RcPolicy<Extra = GcHead> {
    /// The list heads.
    fn lists(&self) -> &Lists;
    /// The list heads, to change.
    fn lists_mut(&mut self) -> &mut Lists;
}

#[inline(always)]
fn links<P: ListPolicy>(h: &RcHeap<P>, x: u32) -> &GcHead {
    if x >= HEAD_BASE {
        &h.policy.lists().heads[(x - HEAD_BASE) as usize]
    } else {
        &h.objects[x as usize].extra
    }
}

#[inline(always)]
fn links_mut<P: ListPolicy>(h: &mut RcHeap<P>, x: u32) -> &mut GcHead {
    if x >= HEAD_BASE {
        &mut h.policy.lists_mut().heads[(x - HEAD_BASE) as usize]
    } else {
        &mut h.objects[x as usize].extra
    }
}

/// The entry after `x`.
#[inline]
pub(crate) fn next<P: ListPolicy>(h: &RcHeap<P>, x: u32) -> u32 {
    links(h, x).next
}

/// The first object of `list` (its head when empty).
#[inline]
pub(crate) fn first<P: ListPolicy>(h: &RcHeap<P>, list: List) -> u32 {
    next(h, list.head())
}

/// Is `list` empty?
#[inline]
pub(crate) fn is_empty<P: ListPolicy>(h: &RcHeap<P>, list: List) -> bool {
    first(h, list) == list.head()
}

/// Appends object `x` (not in any list) at the tail of `list`.
#[inline(always)]
pub(crate) fn append<P: ListPolicy>(h: &mut RcHeap<P>, x: u32, list: List) {
    debug_assert!(x < HEAD_BASE, "only objects are list members");
    let head = list.head();
    let last = h.policy.lists().heads[list as usize].prev;
    links_mut(h, last).next = x;
    let l = &mut h.objects[x as usize].extra;
    l.prev = last;
    l.next = head;
    h.policy.lists_mut().heads[list as usize].prev = x;
}

/// Takes object `x` out of whatever list it is in.
#[inline(always)]
pub(crate) fn unlink<P: ListPolicy>(h: &mut RcHeap<P>, x: u32) {
    debug_assert!(x < HEAD_BASE, "only objects are list members");
    let GcHead { prev, next, .. } = h.objects[x as usize].extra;
    links_mut(h, prev).next = next;
    links_mut(h, next).prev = prev;
}

/// Moves object `x` from its list to the tail of `list` (a scratch list,
/// or a generation list whose bits the caller sets: see [`Placement`]).
#[inline(always)]
pub(crate) fn move_to<P: ListPolicy>(h: &mut RcHeap<P>, x: u32, list: List) {
    unlink(h, x);
    append(h, x, list);
}

/// Appends all of `from` at the tail of `to`, leaving `from` empty
/// (CPython's `gc_list_merge`). The caller sees to the generation bits.
pub(crate) fn merge<P: ListPolicy>(h: &mut RcHeap<P>, from: List, to: List) {
    if from == to || is_empty(h, from) {
        return;
    }
    let (fh, th) = (from.head(), to.head());
    let first = links(h, fh).next;
    let last = links(h, fh).prev;
    let tail = links(h, th).prev;
    links_mut(h, tail).next = first;
    links_mut(h, first).prev = tail;
    links_mut(h, last).next = th;
    links_mut(h, th).prev = last;
    let f = links_mut(h, fh);
    f.next = fh;
    f.prev = fh;
}

/// Empties `list` without touching its members (they have just been
/// freed).
pub(crate) fn forget_members<P: ListPolicy>(h: &mut RcHeap<P>, list: List) {
    let head = list.head();
    let l = links_mut(h, head);
    l.next = head;
    l.prev = head;
}

/// The object a list entry other than a head is.
#[inline]
pub(crate) fn object(x: u32) -> ObjRef {
    ObjRef::from_index(x as usize).expect("a list entry is an object index")
}

/// Number of objects in `list` (a walk, as CPython's `gc_list_size`).
pub(crate) fn size<P: ListPolicy>(h: &RcHeap<P>, list: List) -> u64 {
    let head = list.head();
    let mut n = 0;
    let mut x = next(h, head);
    while x != head {
        n += 1;
        x = next(h, x);
    }
    n
}

/// The objects of `list`, in order (a walk of the links: allocates
/// nothing).
pub(crate) fn members<P: ListPolicy>(
    h: &RcHeap<P>,
    list: List,
) -> impl Iterator<Item = u32> + Clone + '_ {
    let head = list.head();
    std::iter::successors(Some(next(h, head)), move |&x| Some(next(h, x)))
        .take_while(move |&x| x != head)
}

/// Clears `bits` on every object of `list`.
pub(crate) fn clear_flags<P: ListPolicy>(h: &mut RcHeap<P>, list: List, bits: u32) {
    let head = list.head();
    let mut x = next(h, head);
    while x != head {
        let o = &mut h.objects[x as usize];
        o.flags &= !bits;
        x = o.extra.next;
    }
}

/// The generation bits and scan parity an object gets when it is placed
/// in a generation list: what the module's invariant asks of it there.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placement(u32);

impl Placement {
    /// For generation list `list`, at the current scan parity.
    #[inline]
    pub(crate) fn new<P: ListPolicy>(h: &RcHeap<P>, list: List) -> Placement {
        Placement((list.generation_bits() << GEN_SHIFT) | h.policy.lists().scan_parity)
    }

    /// `flags` with this generation and parity.
    #[inline]
    pub(crate) fn apply(self, flags: u32) -> u32 {
        (flags & !(GEN_MASK | SCAN_PARITY)) | self.0
    }
}

/// `_PyObject_GC_TRACK`: appends object `x` (untracked) to the tail of
/// generation 0.
#[inline(always)]
pub(crate) fn track<P: ListPolicy>(h: &mut RcHeap<P>, x: u32) {
    append(h, x, List::Gen0);
    let placed = Placement::new(h, List::Gen0);
    let o = &mut h.objects[x as usize];
    o.flags = placed.apply(o.flags) | TRACKED;
}

/// `_PyObject_GC_UNTRACK`: unlinks object `x`; only the finalized flag
/// survives.
#[inline(always)]
pub(crate) fn untrack<P: ListPolicy>(h: &mut RcHeap<P>, x: u32) {
    unlink(h, x);
    h.objects[x as usize].flags &= !(TRACKED | COLLECTING | UNREACHABLE);
}

/// Moves object `x` (tracked, collection flags clear) to the tail of
/// generation list `list`.
#[inline]
pub(crate) fn move_to_generation<P: ListPolicy>(h: &mut RcHeap<P>, x: u32, list: List) {
    move_to(h, x, list);
    let placed = Placement::new(h, list);
    let o = &mut h.objects[x as usize];
    o.flags = placed.apply(o.flags);
}

/// Appends all of generation list `from` to generation list `to`
/// (`gc.freeze`, `gc.unfreeze`).
pub(crate) fn move_all<P: ListPolicy>(h: &mut RcHeap<P>, from: List, to: List) {
    let placed = Placement::new(h, to);
    let head = from.head();
    let mut x = next(h, head);
    while x != head {
        let o = &mut h.objects[x as usize];
        o.flags = placed.apply(o.flags);
        x = o.extra.next;
    }
    merge(h, from, to);
}

/// How a collection tells a referent that belongs to it and has not been
/// scanned yet: `flags & mask == want`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unscanned {
    mask: u32,
    want: u32,
}

impl Unscanned {
    /// CPython's test: the first pass marked every collected object
    /// [`COLLECTING`].
    pub(crate) const COLLECTING: Unscanned = Unscanned {
        mask: COLLECTING,
        want: COLLECTING,
    };

    /// Is an object with `flags` unscanned?
    #[inline]
    pub(crate) fn test(self, flags: u32) -> bool {
        flags & self.mask == self.want
    }
}

/// Starts a full collection with nothing frozen, in which every tracked
/// object is collected: flipping the policy's scan parity makes every
/// tracked object "not scanned yet" at once, and scanning one
/// ([`Placement`]) gives it the new parity.
pub(crate) fn flip_scan_parity<P: ListPolicy>(h: &mut RcHeap<P>) -> Unscanned {
    let lists = h.policy.lists_mut();
    let stale = lists.scan_parity;
    lists.scan_parity ^= SCAN_PARITY;
    Unscanned {
        mask: TRACKED | SCAN_PARITY,
        want: TRACKED | stale,
    }
}

/// Debug builds, after every collection: the module's invariant, for every
/// tracked object, and the scratch lists are empty. (It allocates nothing:
/// a collection must not.)
#[cfg(debug_assertions)]
pub(crate) fn check_lists<P: ListPolicy>(h: &RcHeap<P>) {
    let parity = h.policy.lists().scan_parity;
    for list in [List::Gen0, List::Gen1, List::Gen2, List::Permanent] {
        let head = list.head();
        let mut x = next(h, head);
        while x != head {
            let o = &h.objects[x as usize];
            x = next(h, x);
            assert!(o.flags & TRACKED != 0, "untracked object in {list:?}");
            assert_eq!(
                generation_bits(o.flags),
                list.generation_bits(),
                "in {list:?}"
            );
            assert_eq!(o.extra.refs, 0, "gc_refs left over in {list:?}");
            assert_eq!(o.flags & (COLLECTING | UNREACHABLE), 0, "in {list:?}");
            assert_eq!(
                o.flags & SCAN_PARITY,
                parity,
                "stale scan parity in {list:?}"
            );
        }
    }
    for list in [List::Unreachable, List::WeakCallbacks, List::Final] {
        assert!(is_empty(h, list), "{list:?} not empty after a collection");
    }
}
