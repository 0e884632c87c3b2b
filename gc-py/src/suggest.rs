//! `Did you mean: 'x'?`: the name CPython 3.11 suggests for a
//! `NameError` or an `AttributeError` it prints (`Python/suggestions.c`):
//! the closest candidate by a Levenshtein distance in which a case flip
//! costs half a move, within a third of the characters involved; the
//! first among equals. A `NameError` looks in the failing frame's local
//! names (its code's, bound yet or not), then its globals, then the
//! builtins, each list on its own; an `AttributeError` in `dir()` of the
//! object.

use rustpython_parser::ast;

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
    let mut bound = std::collections::HashSet::new();
    for s in body {
        bindings(s, &mut bound);
    }
    let mut names: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    let mut add = |n: &str| {
        if bound.contains(n) && !names.iter().any(|m| m == n) {
            names.push(n.to_owned());
        }
    };
    for s in body {
        stmt_names(s, &mut add);
    }
    names
}

/// The names statement `s` binds in its function (not inside nested
/// functions and classes, which are scopes of their own).
fn bindings<'a>(s: &'a ast::Stmt, out: &mut std::collections::HashSet<&'a str>) {
    let target = |t: &'a ast::Expr, out: &mut std::collections::HashSet<&'a str>| {
        targets(t, &mut |n| {
            out.insert(n);
        })
    };
    match s {
        ast::Stmt::Assign(a) => a.targets.iter().for_each(|t| target(t, out)),
        ast::Stmt::AugAssign(a) => target(&a.target, out),
        ast::Stmt::For(f) => {
            target(&f.target, out);
            f.body
                .iter()
                .chain(&f.orelse)
                .for_each(|s| bindings(s, out));
        }
        ast::Stmt::Delete(d) => d.targets.iter().for_each(|t| target(t, out)),
        ast::Stmt::FunctionDef(f) => {
            out.insert(f.name.as_str());
        }
        ast::Stmt::ClassDef(c) => {
            out.insert(c.name.as_str());
        }
        ast::Stmt::Import(i) => {
            for a in &i.names {
                let bound = a.asname.as_ref().unwrap_or(&a.name);
                out.insert(bound.as_str().split('.').next().unwrap_or_default());
            }
        }
        ast::Stmt::If(i) => i
            .body
            .iter()
            .chain(&i.orelse)
            .for_each(|s| bindings(s, out)),
        ast::Stmt::While(w) => w
            .body
            .iter()
            .chain(&w.orelse)
            .for_each(|s| bindings(s, out)),
        _ => {}
    }
}

/// The names an assignment target binds.
fn targets<'a>(t: &'a ast::Expr, f: &mut impl FnMut(&'a str)) {
    match t {
        ast::Expr::Name(n) => f(n.id.as_str()),
        ast::Expr::Tuple(ast::ExprTuple { elts, .. })
        | ast::Expr::List(ast::ExprList { elts, .. }) => elts.iter().for_each(|e| targets(e, f)),
        ast::Expr::Starred(s) => targets(&s.value, f),
        _ => {}
    }
}

/// Every name statement `s` loads or stores, in the order its code does.
fn stmt_names(s: &ast::Stmt, f: &mut dyn FnMut(&str)) {
    let block = |b: &[ast::Stmt], f: &mut dyn FnMut(&str)| {
        for s in b {
            stmt_names(s, f);
        }
    };
    match s {
        ast::Stmt::Expr(e) => expr_names(&e.value, f),
        ast::Stmt::Return(r) => r.value.iter().for_each(|v| expr_names(v, f)),
        ast::Stmt::Assign(a) => {
            expr_names(&a.value, f);
            a.targets.iter().for_each(|t| expr_names(t, f));
        }
        ast::Stmt::AugAssign(a) => {
            expr_names(&a.target, f);
            expr_names(&a.value, f);
        }
        ast::Stmt::Delete(d) => d.targets.iter().for_each(|t| expr_names(t, f)),
        ast::Stmt::For(x) => {
            expr_names(&x.iter, f);
            expr_names(&x.target, f);
            block(&x.body, f);
            block(&x.orelse, f);
        }
        ast::Stmt::While(w) => {
            expr_names(&w.test, f);
            block(&w.body, f);
            block(&w.orelse, f);
        }
        ast::Stmt::If(i) => {
            expr_names(&i.test, f);
            block(&i.body, f);
            block(&i.orelse, f);
        }
        ast::Stmt::FunctionDef(d) => f(d.name.as_str()),
        ast::Stmt::ClassDef(c) => {
            c.bases.iter().for_each(|b| expr_names(b, f));
            f(c.name.as_str());
        }
        ast::Stmt::Import(i) => {
            for a in &i.names {
                let bound = a.asname.as_ref().unwrap_or(&a.name);
                f(bound.as_str().split('.').next().unwrap_or_default());
            }
        }
        _ => {}
    }
}

/// Every name expression `e` loads or stores, in evaluation order.
fn expr_names(e: &ast::Expr, f: &mut dyn FnMut(&str)) {
    let each = |es: &[ast::Expr], f: &mut dyn FnMut(&str)| {
        for e in es {
            expr_names(e, f);
        }
    };
    match e {
        ast::Expr::Name(n) => f(n.id.as_str()),
        ast::Expr::BinOp(b) => {
            expr_names(&b.left, f);
            expr_names(&b.right, f);
        }
        ast::Expr::UnaryOp(u) => expr_names(&u.operand, f),
        ast::Expr::BoolOp(b) => each(&b.values, f),
        ast::Expr::Compare(c) => {
            expr_names(&c.left, f);
            each(&c.comparators, f);
        }
        ast::Expr::Call(c) => {
            expr_names(&c.func, f);
            each(&c.args, f);
            c.keywords.iter().for_each(|k| expr_names(&k.value, f));
        }
        ast::Expr::Attribute(a) => expr_names(&a.value, f),
        ast::Expr::Subscript(s) => {
            expr_names(&s.value, f);
            expr_names(&s.slice, f);
        }
        ast::Expr::IfExp(i) => {
            expr_names(&i.test, f);
            expr_names(&i.body, f);
            expr_names(&i.orelse, f);
        }
        ast::Expr::Tuple(t) => each(&t.elts, f),
        ast::Expr::List(l) => each(&l.elts, f),
        ast::Expr::Dict(d) => {
            for (k, v) in d.keys.iter().zip(&d.values) {
                k.iter().for_each(|k| expr_names(k, f));
                expr_names(v, f);
            }
        }
        ast::Expr::JoinedStr(j) => each(&j.values, f),
        ast::Expr::FormattedValue(v) => expr_names(&v.value, f),
        ast::Expr::Starred(s) => expr_names(&s.value, f),
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
