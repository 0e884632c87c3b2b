//! The verdict: what a strategy's [`Traits`] promise about its live set
//! and its finalizations, judged once for every checker.
//!
//! A checker (the [`Oracle`](super::Oracle), exact and slow, or the
//! benchmark harness's flat-array model, sized for millions of
//! operations) computes what is *expected* — the objects reachable from
//! the roots, what a pure reference counter holds, what unreachable
//! finalizable objects reach — and hands it here with what the collector
//! *actually* holds; the rules of which set a strategy must match live
//! here and nowhere else:
//!
//! - every strategy: no object it holds was never allocated; reachable
//!   objects are alive; the saved list is the expected one; a finalizer
//!   runs at most once, only on an object that has one, never while the
//!   mutator can reach the object;
//! - a strategy that never frees: it holds every object allocated;
//! - pure reference counting: the live set is exactly the
//!   reference-counting set;
//! - after a full collection, a strategy that collects cycles holds
//!   nothing unreachable — except, for one that frees finalized objects
//!   later, what unreachable finalizable objects reach.

use std::fmt;

use crate::tooling::trace::WeakReg;
use crate::{Finalizer, Traits};

/// What a checker expects, computed on demand: only the sets the traits
/// ask about are computed. Every set is sorted ascending, without
/// duplicates; objects are numbered `0..allocated` in allocation order.
pub trait Expected {
    /// Objects allocated so far.
    fn allocated(&self) -> u64;
    /// The objects reachable from the roots (registers, saved list,
    /// garbage list).
    fn reachable(&self) -> Vec<u64>;
    /// The objects a pure reference counter holds.
    fn rc_live(&self) -> Vec<u64>;
    /// The objects reachable from unreachable objects that have a
    /// finalizer the last full collection may have run, or left to run: a
    /// strategy that frees
    /// finalized objects later may still hold them. A checker that does
    /// not follow collections takes every finalizable object.
    fn finalizer_reachable(&self) -> Vec<u64>;
}

/// When the live set is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// Between any two operations.
    Any,
    /// Right after a full collection.
    AfterFullCollection,
}

/// A collector's live set that passed: how many of its objects it may
/// rightly hold (the reachable ones, plus, after a full collection of a
/// strategy that frees finalized objects later, what unreachable
/// finalizable objects reach: pending, not leaked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passed {
    /// Live objects in the allowed set.
    pub kept: u64,
}

/// At most this many ids are named in a message (with the total).
const NAMED: usize = 16;

/// Sorted ids, named in a message: `[#1, #4]`, or the first `NAMED` (16) of
/// them and how many there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ids {
    first: Vec<u64>,
    total: usize,
}

impl Ids {
    fn of(ids: impl Iterator<Item = u64>) -> Self {
        let mut first = Vec::new();
        let mut total = 0;
        for id in ids {
            if first.len() < NAMED {
                first.push(id);
            }
            total += 1;
        }
        Ids { first, total }
    }
}

impl fmt::Display for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, id) in self.first.iter().enumerate() {
            write!(f, "{}#{id}", if i == 0 { "" } else { ", " })?;
        }
        if self.total > self.first.len() {
            write!(f, ", … {} in all", self.total)?;
        }
        f.write_str("]")
    }
}

/// How a collector broke what its traits promise. Its `Display` is the
/// one-line message every checker shows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Discrepancy {
    /// The collector holds an object id no allocation produced.
    #[error("the collector holds #{0}, never allocated")]
    NeverAllocated(u64),
    /// A reachable object was freed.
    #[error("object #{0} is reachable but was freed")]
    ReachableFreed(u64),
    /// A collector that never frees freed something.
    #[error(
        "a collector that never frees holds {live} of {allocated} objects (#{first_freed} was freed)"
    )]
    NeverFreesFreed {
        /// Objects it holds.
        live: u64,
        /// Objects allocated.
        allocated: u64,
        /// The first object it freed.
        first_freed: u64,
    },
    /// A pure reference counter's live set is not the reference-counting
    /// set.
    #[error(
        "live set differs from reference counting: held but should be freed {held}, freed but should be held {freed}"
    )]
    NotReferenceCounting {
        /// Held, but a reference counter would have freed them.
        held: Ids,
        /// Freed, but a reference counter would hold them.
        freed: Ids,
    },
    /// After a full collection a cycle collector holds an unreachable
    /// object.
    #[error("after a full collection object #{0} is alive but unreachable")]
    Unreachable(u64),
    /// The saved list is not the expected one.
    #[error("saved list {actual}, expected {expected}")]
    Saved {
        /// The collector's (sorted).
        actual: Ids,
        /// The expected one (sorted).
        expected: Ids,
    },
    /// A finalization of an object that was never allocated.
    #[error("finalize event for unknown object #{0}")]
    FinalizedUnknown(u64),
    /// A finalizer ran a second time.
    #[error("finalizer of #{0} ran twice")]
    FinalizedTwice(u64),
    /// A finalization of an object without a finalizer.
    #[error("finalize event for #{0}, which has no finalizer")]
    NoFinalizer(u64),
    /// A finalizer ran while the mutator could still reach the object.
    #[error("finalizer of #{0} ran while it was reachable")]
    FinalizedReachable(u64),
    /// `wget` returned another object than the referent.
    #[error("wget {src}: returned #{got}, referent is #{referent}")]
    WrongReferent {
        /// The weak register.
        src: WeakReg,
        /// What it returned.
        got: u64,
        /// The referent.
        referent: u64,
    },
    /// `wget` returned nil while the referent was strongly reachable.
    #[error("wget {src}: returned nil but #{referent} is strongly reachable")]
    ClearedReachable {
        /// The weak register.
        src: WeakReg,
        /// The referent.
        referent: u64,
    },
    /// A finalization of an object the checker knows has no finalizer left
    /// to run (it had none, or it ran before).
    #[error("finalize event for #{0}, which had no finalizer left to run (none, or it ran before)")]
    NothingToFinalize(u64),
    /// `wget` returned the referent after it had returned nil.
    #[error("wget {src}: returned #{referent} after it had returned nil")]
    Revived {
        /// The weak register.
        src: WeakReg,
        /// The referent.
        referent: u64,
    },
}

/// Elements of sorted `a` not in sorted `b`.
fn difference<'a>(a: &'a [u64], b: &'a [u64]) -> impl Iterator<Item = u64> + 'a {
    let mut j = 0;
    a.iter().copied().filter(move |&x| {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        j == b.len() || b[j] != x
    })
}

/// The union of two sorted sets.
fn union(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = a.iter().chain(b).copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether the verdict on `traits` asks for [`Expected::rc_live`] (pure
/// reference counting): a model that drops objects must keep what a
/// reference counter holds only then.
pub fn needs_rc_live(traits: &Traits) -> bool {
    traits.frees_objects && traits.reference_counting && !traits.collects_cycles
}

/// Judges the collector's `live` set (sorted ascending, no duplicates)
/// against what `traits` promise, given what the checker `expects` at
/// `moment`. The first rule broken is the error.
pub fn live_set(
    traits: &Traits,
    expects: &impl Expected,
    live: &[u64],
    moment: Moment,
) -> Result<Passed, Discrepancy> {
    debug_assert!(live.windows(2).all(|w| w[0] < w[1]), "live set not sorted");
    let allocated = expects.allocated();
    if let Some(&id) = live.last().filter(|&&id| id >= allocated) {
        return Err(Discrepancy::NeverAllocated(id));
    }
    let reachable = expects.reachable();
    if let Some(lost) = difference(&reachable, live).next() {
        return Err(Discrepancy::ReachableFreed(lost));
    }
    let after_full = moment == Moment::AfterFullCollection;
    let allowed = if after_full && traits.frees_finalized_later {
        union(&reachable, &expects.finalizer_reachable())
    } else {
        reachable
    };
    if !traits.frees_objects {
        if live.len() as u64 != allocated {
            let first_freed = (0..allocated)
                .zip(live.iter().copied().chain(std::iter::repeat(u64::MAX)))
                .find(|&(want, got)| want != got)
                .map_or(0, |(want, _)| want);
            return Err(Discrepancy::NeverFreesFreed {
                live: live.len() as u64,
                allocated,
                first_freed,
            });
        }
    } else if needs_rc_live(traits) {
        let rc = expects.rc_live();
        if rc != live {
            return Err(Discrepancy::NotReferenceCounting {
                held: Ids::of(difference(live, &rc)),
                freed: Ids::of(difference(&rc, live)),
            });
        }
    } else if traits.collects_cycles
        && after_full
        && let Some(extra) = difference(live, &allowed).next()
    {
        return Err(Discrepancy::Unreachable(extra));
    }
    let outside = difference(live, &allowed).count() as u64;
    Ok(Passed {
        kept: live.len() as u64 - outside,
    })
}

/// Judges the collector's saved list against the expected one (both in
/// any order).
pub fn saved(actual: &[u64], expected: &[u64]) -> Result<(), Discrepancy> {
    let sorted = |v: &[u64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v
    };
    let (actual, expected) = (sorted(actual), sorted(expected));
    if actual != expected {
        return Err(Discrepancy::Saved {
            actual: Ids::of(actual.into_iter()),
            expected: Ids::of(expected.into_iter()),
        });
    }
    Ok(())
}

/// What a checker knows of an object a collector finalized.
#[derive(Clone, Copy, Debug)]
pub struct Finalizable {
    /// Its finalizer, if it has one.
    pub finalizer: Option<Finalizer>,
    /// Its finalizer ran before.
    pub finalized: bool,
    /// The mutator can reach it (from a register or the garbage list);
    /// `false` when the checker does not follow reachability between
    /// operations.
    pub reachable: bool,
}

/// What a checker knows of an object the collector finalized.
#[derive(Clone, Copy, Debug)]
pub enum Known {
    /// It was never allocated.
    Never,
    /// The checker dropped it: unreachable for good, with no finalizer
    /// left to run (a model that keeps only what can still matter).
    Settled,
    /// The checker holds it.
    Object(Finalizable),
}

/// Judges the collector's finalization of `id`.
pub fn finalization(id: u64, known: Known) -> Result<(), Discrepancy> {
    let o = match known {
        Known::Never => return Err(Discrepancy::FinalizedUnknown(id)),
        Known::Settled => return Err(Discrepancy::NothingToFinalize(id)),
        Known::Object(o) => o,
    };
    if o.finalized {
        return Err(Discrepancy::FinalizedTwice(id));
    }
    if o.finalizer.is_none() {
        return Err(Discrepancy::NoFinalizer(id));
    }
    if o.reachable {
        return Err(Discrepancy::FinalizedReachable(id));
    }
    Ok(())
}

/// Judges `got`, what `wget` of `src` returned, given its `referent` and
/// whether an earlier `wget` of it returned nil (`cleared`: a cleared
/// weak reference stays cleared); `strongly_reachable` (asked only for a nil answer) says whether the
/// registers reach the referent: only that forbids nil (a collector that
/// found the referent garbage may clear its weak references before a
/// finalizer resurrects it into the saved list, or before DEBUG_SAVEALL
/// keeps it in the garbage list, as CPython's `handle_weakrefs` does).
pub fn weak_get(
    src: WeakReg,
    got: Option<u64>,
    referent: u64,
    cleared: bool,
    strongly_reachable: impl FnOnce() -> bool,
) -> Result<(), Discrepancy> {
    match got {
        Some(got) if got != referent => Err(Discrepancy::WrongReferent { src, got, referent }),
        Some(_) if cleared => Err(Discrepancy::Revived { src, referent }),
        Some(_) => Ok(()),
        None if strongly_reachable() => Err(Discrepancy::ClearedReachable { src, referent }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sets {
        allocated: u64,
        reachable: Vec<u64>,
        rc: Vec<u64>,
        fin: Vec<u64>,
    }

    impl Expected for Sets {
        fn allocated(&self) -> u64 {
            self.allocated
        }
        fn reachable(&self) -> Vec<u64> {
            self.reachable.clone()
        }
        fn rc_live(&self) -> Vec<u64> {
            self.rc.clone()
        }
        fn finalizer_reachable(&self) -> Vec<u64> {
            self.fin.clone()
        }
    }

    const TRACING: Traits = Traits {
        name: "t",
        summary: "",
        frees_objects: true,
        collects_cycles: true,
        moves_objects: false,
        write_barrier: false,
        incremental: false,
        generational: false,
        reference_counting: false,
        frees_finalized_later: false,
    };

    fn sets() -> Sets {
        Sets {
            allocated: 6,
            reachable: vec![1, 3],
            rc: vec![1, 3, 4],
            fin: vec![4, 5],
        }
    }

    #[test]
    fn each_rule_names_the_first_object_that_breaks_it() {
        let any = Moment::Any;
        let full = Moment::AfterFullCollection;
        let e = live_set(&TRACING, &sets(), &[1, 3, 6], any).unwrap_err();
        assert_eq!(e.to_string(), "the collector holds #6, never allocated");
        let e = live_set(&TRACING, &sets(), &[1], any).unwrap_err();
        assert_eq!(e.to_string(), "object #3 is reachable but was freed");
        // Between operations a cycle collector may hold anything more.
        let p = live_set(&TRACING, &sets(), &[1, 3, 4], any).unwrap();
        assert_eq!(p.kept, 2);
        let e = live_set(&TRACING, &sets(), &[1, 3, 4], full).unwrap_err();
        assert_eq!(
            e.to_string(),
            "after a full collection object #4 is alive but unreachable"
        );
        let later = Traits {
            frees_finalized_later: true,
            ..TRACING
        };
        assert_eq!(live_set(&later, &sets(), &[1, 3, 4], full).unwrap().kept, 3);
        let rc = Traits {
            collects_cycles: false,
            reference_counting: true,
            ..TRACING
        };
        live_set(&rc, &sets(), &[1, 3, 4], any).unwrap();
        let e = live_set(&rc, &sets(), &[0, 1, 3], any).unwrap_err();
        assert_eq!(
            e.to_string(),
            "live set differs from reference counting: held but should be freed [#0], freed but should be held [#4]"
        );
        let null = Traits {
            frees_objects: false,
            collects_cycles: false,
            ..TRACING
        };
        live_set(&null, &sets(), &[0, 1, 2, 3, 4, 5], any).unwrap();
        let e = live_set(&null, &sets(), &[0, 1, 3, 4, 5], any).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a collector that never frees holds 5 of 6 objects (#2 was freed)"
        );
    }

    #[test]
    fn long_lists_are_cut_with_their_total() {
        let all: Vec<u64> = (0..40).collect();
        let e = saved(&all, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "saved list [#0, #1, #2, #3, #4, #5, #6, #7, #8, #9, #10, #11, #12, #13, #14, #15, … 40 in all], expected []"
        );
        saved(&[3, 1], &[1, 3]).unwrap();
    }

    #[test]
    fn finalizations_are_judged_in_order() {
        let ok = Finalizable {
            finalizer: Some(Finalizer::Notify),
            finalized: false,
            reachable: false,
        };
        finalization(1, Known::Object(ok)).unwrap();
        let msg = |o| finalization(7, o).unwrap_err().to_string();
        assert_eq!(msg(Known::Never), "finalize event for unknown object #7");
        assert_eq!(
            msg(Known::Settled),
            "finalize event for #7, which had no finalizer left to run (none, or it ran before)"
        );
        let twice = Finalizable {
            finalized: true,
            ..ok
        };
        assert_eq!(msg(Known::Object(twice)), "finalizer of #7 ran twice");
        let none = Finalizable {
            finalizer: None,
            ..ok
        };
        assert_eq!(
            msg(Known::Object(none)),
            "finalize event for #7, which has no finalizer"
        );
        let reachable = Finalizable {
            reachable: true,
            ..ok
        };
        assert_eq!(
            msg(Known::Object(reachable)),
            "finalizer of #7 ran while it was reachable"
        );
    }
}
