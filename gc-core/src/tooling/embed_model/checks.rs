//! Checks of the heap against the model: locals, roots, locals that must
//! never resolve, refused and foreign operations.

use super::*;

/// Every root names its object, as the model has it.
pub(super) fn check_roots<C: Collector>(heap: &C, m: &Model<'_>) -> Result<(), String> {
    let mut visited = vec![false; m.objs.len()];
    check_roots_into(heap, m, &mut visited)
}

pub(super) fn check_roots_into<C: Collector>(
    heap: &C,
    m: &Model<'_>,
    visited: &mut [bool],
) -> Result<(), String> {
    for (k, (root, id)) in m.roots.iter().enumerate() {
        let view = heap
            .view(root.handle())
            .map_err(|e| format!("root {k} (obj {id}): {e}"))?;
        m.check_view(view, *id, visited, &format_args!("root {k}"))?;
    }
    Ok(())
}

/// The locals of the enclosing scopes, whose brands differ from the
/// current scope's: reached through callbacks.
pub(super) trait Outer {
    /// Calls `f` on each, outermost first.
    fn each(&self, f: &mut dyn FnMut(Local<'_>));
    /// Calls `f` on the one at place `i` of the model's locals.
    fn with(&self, i: usize, f: &mut dyn FnMut(Local<'_>));
    /// Calls `f` on the innermost enclosing scope's locals and the place
    /// of the first.
    fn own(&self, f: &mut dyn FnMut(&[Local<'_>], usize));
    /// Calls `f` on every enclosing scope's locals that never resolve
    /// (answered by children run on a swapped heap).
    fn ghosts(&self, f: &mut dyn FnMut(&[Local<'_>]));
}

/// Outside every scope.
pub(super) struct Top;

impl Outer for Top {
    fn each(&self, _: &mut dyn FnMut(Local<'_>)) {}
    fn with(&self, _: usize, _: &mut dyn FnMut(Local<'_>)) {}
    fn own(&self, f: &mut dyn FnMut(&[Local<'_>], usize)) {
        f(&[], 0);
    }
    fn ghosts(&self, _: &mut dyn FnMut(&[Local<'_>])) {}
}

/// A scope's locals, for the scopes nested in it.
pub(super) struct Level<'a, 's> {
    pub(super) locals: &'a [Local<'s>],
    pub(super) ghosts: &'a [Local<'s>],
    pub(super) base: usize,
    pub(super) parent: &'a dyn Outer,
}

impl Outer for Level<'_, '_> {
    fn each(&self, f: &mut dyn FnMut(Local<'_>)) {
        self.parent.each(f);
        for &l in self.locals {
            f(l);
        }
    }
    fn with(&self, i: usize, f: &mut dyn FnMut(Local<'_>)) {
        if i >= self.base {
            f(self.locals[i - self.base]);
        } else {
            self.parent.with(i, f);
        }
    }
    fn own(&self, f: &mut dyn FnMut(&[Local<'_>], usize)) {
        f(self.locals, self.base);
    }
    fn ghosts(&self, f: &mut dyn FnMut(&[Local<'_>])) {
        self.parent.ghosts(f);
        f(self.ghosts);
    }
}

/// Calls `f` on the local at place `i` of the model's locals.
pub(super) fn with_local(
    outer: &dyn Outer,
    mine: &[Local<'_>],
    base: usize,
    i: usize,
    f: &mut dyn FnMut(Local<'_>),
) {
    if i >= base {
        f(mine[i - base]);
    } else {
        outer.with(i, f);
    }
}

/// Checks every local of every live scope and every root against the
/// model.
///
/// `own` is the run's heap (the spare holds it while they are swapped):
/// then every local is [`GcError::ForeignHandle`] to the scope, and the
/// roots are read through `own`.
pub(super) fn check_all<C: Collector>(
    s: &Scope<'_, C>,
    m: &Model<'_>,
    outer: &dyn Outer,
    mine: &[Local<'_>],
    own: Option<&C>,
) -> Result<(), String> {
    let mut visited = vec![false; m.objs.len()];
    let mut place = 0;
    let mut result = Ok(());
    let mut check = |l: Local<'_>| {
        if result.is_ok() {
            let id = m.locals[place];
            result = if m.swapped() {
                match s.view(l) {
                    Err(GcError::ForeignHandle) => Ok(()),
                    other => Err(format!(
                        "local {place} (obj {id}) on the swapped heap: view answered {:?}, not ForeignHandle",
                        other.map(|v| v.id())
                    )),
                }
            } else {
                s.view(l)
                    .map_err(|e| format!("local {place} (obj {id}): {e}"))
                    .and_then(|v| m.check_view(v, id, &mut visited, &format_args!("local {place}")))
            };
        }
        place += 1;
    };
    outer.each(&mut check);
    for &l in mine {
        check(l);
    }
    result?;
    if place != m.locals.len() {
        return Err(format!("{place} locals, the model has {}", m.locals.len()));
    }
    match own {
        Some(own) => check_roots_into(own, m, &mut visited),
        None => Ok(()),
    }
}

/// The run's heap, where the driver reaches it: in the scope, or in the
/// spare; `None` while the hook's spare holds it.
pub(super) fn own_heap<'a, C: Collector>(
    s: &'a Scope<'_, C>,
    m: &Model<'_>,
    spare: &'a Option<C>,
) -> Option<&'a C> {
    match (m.at, m.spare_has) {
        (0, _) => Some(s.heap_ref()),
        (_, 0) => spare.as_ref(),
        _ => None,
    }
}

/// The locals children run on a swapped heap answered (`mine`, this
/// scope's, and the enclosing scopes'): they never resolve, whichever
/// heap the scope holds.
pub(super) fn check_ghosts<C: Collector>(
    s: &Scope<'_, C>,
    outer: &dyn Outer,
    mine: &[Local<'_>],
) -> Result<(), String> {
    let mut result = Ok(());
    let mut k = 0;
    let mut check = |ghosts: &[Local<'_>]| {
        for &g in ghosts {
            if result.is_ok() {
                result = match (s.handle(g), s.view(g).map(|v| v.id())) {
                    (
                        Err(GcError::ForeignHandle | GcError::StaleHandle),
                        Err(GcError::ForeignHandle | GcError::StaleHandle),
                    ) => Ok(()),
                    (h, v) => Err(format!(
                        "the local child {k} answered on a swapped heap resolves: handle {h:?}, view {v:?}"
                    )),
                };
            }
            k += 1;
        }
    };
    outer.ghosts(&mut check);
    check(mine);
    result
}

/// An operation the scope must refuse with [`GcError::ForeignHandle`]:
/// with the heaps swapped (`op` becomes a use of a local of the run's
/// heap, on the spare), or on the run's heap when the scope is not the
/// innermost on its stack (`op` makes a local).
pub(super) fn refused_op<C: Collector>(
    s: &mut Scope<'_, C>,
    m: &mut Model<'_>,
    outer: &dyn Outer,
    mine: &[Local<'_>],
    base: usize,
    op: Op,
) -> Result<(), String> {
    let n = m.locals.len();
    let mut how = if m.swapped() { m.byte() % 8 } else { 2 };
    let out = match op {
        Op::Node | Op::Atom | Op::Tuple | Op::FromRoot | Op::Upgrade => {
            how = u8::MAX;
            match op {
                Op::Node => s.node(1, 0).map(drop),
                Op::Atom => s.atom(b"refused").map(drop),
                Op::Tuple => s.tuple(&[None]).map(drop),
                Op::FromRoot if !m.roots.is_empty() => {
                    let k = m.below(m.roots.len());
                    s.local(&m.roots[k].0).map(drop)
                }
                Op::Upgrade if !m.weaks.is_empty() => {
                    let k = m.below(m.weaks.len());
                    s.upgrade(&m.weaks[k].0).map(drop)
                }
                _ => return Ok(()),
            }
        }
        _ if n == 0 => return Ok(()),
        _ => {
            let i = m.below(n);
            let mut out = None;
            with_local(outer, mine, base, i, &mut |a| {
                out = Some(match how {
                    0 => s.view(a).map(drop),
                    1 => s.set(a, 0, None),
                    2 => s.get(a, 0).map(drop),
                    3 => s.root(a).map(drop),
                    4 => s.payload_mut(a).map(drop),
                    5 => s.weak(a, false).map(drop),
                    6 => s.id(a).map(drop),
                    _ => s.set_finalizer(a, Finalizer::Run),
                });
            });
            out.expect("called")
        }
    };
    // `how`: which use of a local (0 view, 1 set, 2 get, 3 root,
    // 4 payload_mut, 5 weak, 6 id, 7 set_finalizer), or 255: none.
    m.note(format_args!(
        "{op:?} (use {how}) refused: {}",
        if m.swapped() {
            "the heap is swapped"
        } else {
            "not the innermost scope"
        }
    ));
    if !m.swapped() && matches!(op, Op::Node | Op::Atom | Op::Tuple) {
        // It released the dropped roots first.
        m.pending.clear();
    }
    match out {
        Err(GcError::ForeignHandle) => {
            m.summary.refused_swapped += 1;
            Ok(())
        }
        other => Err(format!(
            "{op:?} (use {how}) answered {other:?}, not ForeignHandle"
        )),
    }
}

/// Notes the raw handles of `locals`, a scope's about to end (the first
/// at place `base` of the model's locals), as released; `kept` escapes.
/// (Call it before [`Model::end`].)
pub(super) fn retire<C: Collector>(
    s: &Scope<'_, C>,
    m: &mut Model<'_>,
    locals: &[Local<'_>],
    base: usize,
    kept: Option<usize>,
) {
    // A scope that is not the innermost on its heap's stack pops nothing:
    // its locals stay rooted, their handles live.
    let stays = !m.owns_top();
    for (i, &l) in locals.iter().enumerate() {
        if let Ok(h) = s.handle(l) {
            m.retired(h, m.locals[base + i], stays || kept == Some(i));
        }
    }
}

/// Uses `mine`, a local of `s`'s heap, with `other`, and a local of
/// `other` with `s`: each must be [`GcError::ForeignHandle`].
pub(super) fn foreign<C: Collector>(
    s: &mut Scope<'_, C>,
    other: &mut C,
    mine: Local<'_>,
) -> Result<(), String> {
    let expect = |what: &str, got: Result<(), GcError>| match got {
        Err(GcError::ForeignHandle) => Ok(()),
        other => Err(format!("{what} answered {other:?}, not ForeignHandle")),
    };
    let h = s.handle(mine).map_err(|e| format!("handle: {e}"))?;
    other.scope(|o| {
        let theirs = o
            .node(1, 0)
            .map_err(|e| format!("node on another heap: {e}"))?;
        let th = o.handle(theirs).map_err(|e| format!("handle: {e}"))?;
        expect("view of a local of another heap", o.view(mine).map(drop))?;
        expect(
            "set of a local of another heap",
            o.set(theirs, 0, Some(mine)),
        )?;
        expect("get of a local of another heap", o.get(mine, 0).map(drop))?;
        expect("root of a local of another heap", o.root(mine).map(drop))?;
        expect(
            "raw view of another heap's handle",
            o.heap_ref().view(h).map(drop),
        )?;
        expect("adopt of another heap's handle", o.adopt(h).map(drop))?;
        expect("view of the other heap's local", s.view(theirs).map(drop))?;
        expect(
            "set to the other heap's local",
            s.set(mine, 0, Some(theirs)),
        )?;
        expect(
            "raw view of the other heap's handle",
            s.heap_ref().view(th).map(drop),
        )?;
        expect(
            "payload_mut of the other heap's handle",
            s.heap().payload_mut(th).map(drop),
        )?;
        Ok(())
    })
}
