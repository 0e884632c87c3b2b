//! `Did you mean: 'x'?`: the name CPython 3.11 suggests for a
//! `NameError` or an `AttributeError` it prints (`Python/suggestions.c`):
//! the closest candidate by a Levenshtein distance in which a case flip
//! costs half a move, within a third of the characters involved; the
//! first among equals. A `NameError` looks in the failing frame's local
//! names (its code's, bound yet or not), then its globals, then the
//! builtins, each list on its own; an `AttributeError` in `dir()` of the
//! object.

use std::collections::HashSet;

use rustpython_parser::ast;

use crate::walk::{Visit, walk};

/// `MOVE_COST`: inserting, deleting or replacing a character.
const MOVE: usize = 2;
/// `CASE_COST`: replacing a letter by itself in the other case.
const CASE: usize = 1;
/// `MAX_STRING_SIZE`: longer names (after the common ends are cut) are
/// never close.
const MAX_LEN: usize = 40;
/// `MAX_CANDIDATE_ITEMS`: a list this long is not searched.
const MAX_CANDIDATES: usize = 750;

/// What replacing byte `a` by byte `b` costs.
fn substitution(a: u8, b: u8) -> usize {
    if a == b {
        0
    } else if a.eq_ignore_ascii_case(&b) {
        CASE
    } else {
        MOVE
    }
}

/// The distance from `a` to `b` (UTF-8 bytes, as CPython compares them),
/// or anything above `max` once it must be above it.
fn distance(a: &[u8], b: &[u8], max: usize) -> usize {
    // The common prefix and suffix cost nothing.
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    if a.is_empty() || b.is_empty() {
        return (a.len() + b.len()) * MOVE;
    }
    if a.len() > MAX_LEN || b.len() > MAX_LEN {
        return max + 1;
    }
    // The shorter one along the row.
    let (a, b) = if b.len() < a.len() { (b, a) } else { (a, b) };
    if (b.len() - a.len()) * MOVE > max {
        return max + 1;
    }
    // row[i]: the cost from the part of `b` seen so far to a[..=i].
    let mut row: Vec<usize> = (1..=a.len()).map(|i| i * MOVE).collect();
    let mut result = 0;
    for (j, &code) in b.iter().enumerate() {
        let mut diagonal = j * MOVE;
        result = diagonal;
        let mut minimum = usize::MAX;
        for (i, &c) in a.iter().enumerate() {
            let substitute = diagonal + substitution(code, c);
            diagonal = row[i];
            result = (result.min(diagonal) + MOVE).min(substitute);
            row[i] = result;
            minimum = minimum.min(result);
        }
        if minimum > max {
            return max + 1;
        }
    }
    result
}

/// `calculate_suggestions`: the closest of `candidates` to `name`, not
/// `name` itself; the first among equals.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if candidates.len() >= MAX_CANDIDATES {
        return None;
    }
    let mut best: Option<(&str, usize)> = None;
    for &c in candidates {
        if c == name {
            continue;
        }
        // No more than a third of the characters involved may change, and
        // it must beat the best so far.
        let mut max = (name.len() + c.len() + 3) * MOVE / 6;
        if let Some((_, d)) = best {
            max = max.min(d.saturating_sub(1));
        }
        let d = distance(name.as_bytes(), c.as_bytes(), max);
        if d <= max && best.is_none_or(|(_, b)| d < b) {
            best = Some((c, d));
        }
    }
    best.map(|(c, _)| c)
}

/// A function's local names as its code object lists them
/// (`co_varnames`): the parameters, then every other name it binds, in the
/// order its code first loads or stores each.
pub fn local_names(params: &[std::rc::Rc<str>], body: &[ast::Stmt]) -> Vec<String> {
    /// The names a function binds (the targets of its assignments, loops
    /// and `del`s, the functions and classes it defines, what it imports).
    #[derive(Default)]
    struct Bound(HashSet<String>);
    impl Visit for Bound {
        fn stmt(&mut self, s: &ast::Stmt) {
            let mut bind = |n: &str| {
                self.0.insert(n.to_owned());
            };
            let mut targets = |ts: &[ast::Expr]| ts.iter().for_each(|t| target_names(t, &mut bind));
            match s {
                ast::Stmt::Assign(a) => targets(&a.targets),
                ast::Stmt::AugAssign(a) => targets(std::slice::from_ref(&*a.target)),
                ast::Stmt::For(f) => targets(std::slice::from_ref(&*f.target)),
                ast::Stmt::Delete(d) => targets(&d.targets),
                ast::Stmt::FunctionDef(f) => bind(f.name.as_str()),
                ast::Stmt::ClassDef(c) => bind(c.name.as_str()),
                ast::Stmt::Import(i) => i.names.iter().for_each(|a| bind(imported(a))),
                _ => {}
            }
        }
    }
    /// Every name used, in code order.
    #[derive(Default)]
    struct Used(Vec<String>);
    impl Visit for Used {
        fn stmt(&mut self, s: &ast::Stmt) {
            match s {
                ast::Stmt::FunctionDef(f) => self.0.push(f.name.to_string()),
                ast::Stmt::ClassDef(c) => self.0.push(c.name.to_string()),
                ast::Stmt::Import(i) => self
                    .0
                    .extend(i.names.iter().map(|a| imported(a).to_owned())),
                _ => {}
            }
        }
        fn expr(&mut self, e: &ast::Expr) {
            if let ast::Expr::Name(n) = e {
                self.0.push(n.id.to_string());
            }
        }
    }
    let mut bound = Bound::default();
    walk(body, false, &mut bound);
    let mut used = Used::default();
    walk(body, false, &mut used);
    let mut names: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    for n in used.0 {
        if bound.0.contains(&n) && !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// The name `import a.b as c` binds.
fn imported(a: &ast::Alias) -> &str {
    let bound = a.asname.as_ref().unwrap_or(&a.name);
    bound.as_str().split('.').next().unwrap_or_default()
}

/// The names an assignment target binds.
fn target_names(t: &ast::Expr, f: &mut impl FnMut(&str)) {
    match t {
        ast::Expr::Name(n) => f(n.id.as_str()),
        ast::Expr::Tuple(ast::ExprTuple { elts, .. })
        | ast::Expr::List(ast::ExprList { elts, .. }) => {
            elts.iter().for_each(|e| target_names(e, f))
        }
        ast::Expr::Starred(s) => target_names(&s.value, f),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_as_cpython() {
        assert_eq!(closest("pritn", &["print", "len"]), Some("print"));
        assert_eq!(closest("value", &["Value"]), Some("Value"));
        assert_eq!(closest("qqqqq", &["print", "len"]), None);
        // The first among equals.
        assert_eq!(closest("ad", &["ab", "ac"]), Some("ab"));
        // Not the name itself.
        assert_eq!(closest("x", &["x"]), None);
        assert_eq!(
            closest("bitlength", &["bit_count", "bit_length"]),
            Some("bit_length")
        );
    }
}
