//! The per-object GC header words and the intrusive doubly linked lists
//! built from them.
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
//! strategy bits ([`TRACKED`], [`COLLECTING`], [`UNREACHABLE`], and two
//! [generation bits](GEN_MASK) naming the list a tracked object is in).
//! Between collections `gc_refs` is 0, so the first walk of a collection can
//! add counts and subtract internal references in one pass.
//!
//! A list is a ring through a sentinel head. The heads are not objects: they
//! sit in the policy ([`CycleGc`]) and are named by indices
//! at the very top of the `u32` range, which no
//! object index reaches (that would take four billion live entries).
//! Moving an object between lists, or unlinking it when it is freed, is
//! O(1) and allocates nothing; merging two lists is O(1).

use gc_core::rc::{RcHeap, flags};

use crate::CycleGc;

/// The heap type every function here works on.
pub(crate) type Heap = RcHeap<CycleGc>;

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
/// every tracked object's bit equals the policy's
/// [`scan_parity`](crate::CycleGc) (tracking, scanning and moving an object
/// to a generation all set it); a full collection with nothing frozen flips
/// the policy's value, so "not scanned yet in this collection" is a bit
/// test and needs no pass to mark every object first.
pub const SCAN_PARITY: u32 = 1 << (flags::STRATEGY_SHIFT + 5);

/// The generation bits of `f`.
#[inline]
pub fn generation_bits(f: u32) -> u32 {
    (f & GEN_MASK) >> GEN_SHIFT
}

/// Sets the generation bits of object `x`.
#[inline]
pub(crate) fn set_generation(h: &mut Heap, x: u32, g: u32) {
    let parity = h.policy.scan_parity;
    let o = &mut h.objects[x as usize];
    o.flags = (o.flags & !(GEN_MASK | SCAN_PARITY)) | (g << GEN_SHIFT) | parity;
}

/// Sets the generation bits of every object of `list`.
pub(crate) fn set_generation_of_list(h: &mut Heap, list: List, g: u32) {
    let head = list.head();
    let mut x = next(h, head);
    while x != head {
        set_generation(h, x, g);
        x = next(h, x);
    }
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
pub(crate) const LISTS: usize = 7;
/// The index of the first list head.
pub(crate) const HEAD_BASE: u32 = u32::MAX - LISTS as u32;

impl List {
    /// The sentinel index of the list's head.
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
}

/// The heads of empty lists.
pub(crate) fn empty_heads() -> [GcHead; LISTS] {
    std::array::from_fn(|i| {
        let me = HEAD_BASE + i as u32;
        GcHead {
            prev: me,
            next: me,
            refs: 0,
        }
    })
}

#[inline]
fn links(h: &Heap, x: u32) -> &GcHead {
    if x >= HEAD_BASE {
        &h.policy.heads[(x - HEAD_BASE) as usize]
    } else {
        &h.objects[x as usize].extra
    }
}

#[inline]
fn links_mut(h: &mut Heap, x: u32) -> &mut GcHead {
    if x >= HEAD_BASE {
        &mut h.policy.heads[(x - HEAD_BASE) as usize]
    } else {
        &mut h.objects[x as usize].extra
    }
}

/// The entry after `x`.
#[inline]
pub(crate) fn next(h: &Heap, x: u32) -> u32 {
    links(h, x).next
}

/// The first object of `list` (its head when empty).
#[inline]
pub(crate) fn first(h: &Heap, list: List) -> u32 {
    next(h, list.head())
}

/// Is `list` empty?
#[inline]
pub(crate) fn is_empty(h: &Heap, list: List) -> bool {
    first(h, list) == list.head()
}

/// Appends object `x` (not in any list) at the tail of `list`.
#[inline]
pub(crate) fn append(h: &mut Heap, x: u32, list: List) {
    let head = list.head();
    let last = links(h, head).prev;
    links_mut(h, last).next = x;
    let l = links_mut(h, x);
    l.prev = last;
    l.next = head;
    links_mut(h, head).prev = x;
}

/// Takes object `x` out of whatever list it is in.
#[inline]
pub(crate) fn unlink(h: &mut Heap, x: u32) {
    let GcHead { prev, next, .. } = *links(h, x);
    links_mut(h, prev).next = next;
    links_mut(h, next).prev = prev;
}

/// Moves object `x` from its list to the tail of `list`.
#[inline]
pub(crate) fn move_to(h: &mut Heap, x: u32, list: List) {
    unlink(h, x);
    append(h, x, list);
}

/// Appends all of `from` at the tail of `to`, leaving `from` empty
/// (CPython's `gc_list_merge`).
pub(crate) fn merge(h: &mut Heap, from: List, to: List) {
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
pub(crate) fn forget_members(h: &mut Heap, list: List) {
    let head = list.head();
    let l = links_mut(h, head);
    l.next = head;
    l.prev = head;
}

/// Number of objects in `list` (a walk, as CPython's `gc_list_size`).
pub(crate) fn size(h: &Heap, list: List) -> u64 {
    let head = list.head();
    let mut n = 0;
    let mut x = next(h, head);
    while x != head {
        n += 1;
        x = next(h, x);
    }
    n
}

/// The objects of `list`, in order.
pub(crate) fn members(h: &Heap, list: List) -> Vec<u32> {
    let head = list.head();
    let mut out = Vec::new();
    let mut x = next(h, head);
    while x != head {
        out.push(x);
        x = next(h, x);
    }
    out
}

/// Clears `bits` on every object of `list`.
pub(crate) fn clear_flags(h: &mut Heap, list: List, bits: u32) {
    let head = list.head();
    let mut x = next(h, head);
    while x != head {
        let o = &mut h.objects[x as usize];
        o.flags &= !bits;
        x = o.extra.next;
    }
}
