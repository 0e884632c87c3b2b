//! The program's statements and expressions in the order CPython's
//! compiler emits their code: the order in which a function's code first
//! uses each of its local names (`co_varnames`), and in which the
//! compiler meets the literals it warns about.

use rustpython_parser::ast;

/// What a walk visits, each before its parts.
pub trait Visit {
    fn stmt(&mut self, _: &ast::Stmt) {}
    fn expr(&mut self, _: &ast::Expr) {}
    /// Whether to walk the parts of the node just visited.
    fn descend(&mut self) -> bool {
        true
    }
    /// The node visited last (with its parts, if walked) is done.
    fn ascend(&mut self) {}
}

/// The deepest nesting of statements and expressions CPython's compiler
/// takes (its symbol table's limit: 1,000 frames times
/// `COMPILER_STACK_FRAME_SCALE`, 3).
pub const COMPILE_DEPTH_LIMIT: usize = 3000;

/// Whether `body` nests statements and expressions past
/// [`COMPILE_DEPTH_LIMIT`], counting each statement and expression on the
/// way down as CPython's symbol table does (a module-level `x = 1+1+…`
/// of 2,999 terms is 3,000 deep and compiles; of 3,000 it is `RecursionError:
/// maximum recursion depth exceeded during compilation`). The walk stops
/// one level past the limit, so it never recurses deeper itself.
pub fn too_deep_to_compile(body: &[ast::Stmt]) -> bool {
    #[derive(Default)]
    struct Depth {
        now: usize,
        exceeded: bool,
    }
    impl Visit for Depth {
        fn stmt(&mut self, _: &ast::Stmt) {
            self.now += 1;
        }
        fn expr(&mut self, _: &ast::Expr) {
            self.now += 1;
        }
        fn descend(&mut self) -> bool {
            self.exceeded |= self.now > COMPILE_DEPTH_LIMIT;
            !self.exceeded
        }
        fn ascend(&mut self) {
            self.now -= 1;
        }
    }
    let mut d = Depth::default();
    walk(body, true, &mut d);
    d.exceeded
}

/// Walks `body`; `nested`: into the bodies of the functions and classes
/// it defines too (scopes of their own, which the compiler compiles where
/// they are defined, a class's body before its bases).
pub fn walk(body: &[ast::Stmt], nested: bool, v: &mut impl Visit) {
    body.iter().for_each(|s| stmt(s, nested, v));
}

/// Calls `f` on every expression of `body` (not of the functions and
/// classes it defines), in code order.
pub fn each_expr(body: &[ast::Stmt], f: &mut impl FnMut(&ast::Expr)) {
    struct Each<'f, F>(&'f mut F);
    impl<F: FnMut(&ast::Expr)> Visit for Each<'_, F> {
        fn expr(&mut self, e: &ast::Expr) {
            (self.0)(e)
        }
    }
    walk(body, false, &mut Each(f));
}

fn stmt(s: &ast::Stmt, nested: bool, v: &mut impl Visit) {
    v.stmt(s);
    if v.descend() {
        stmt_parts(s, nested, v);
    }
    v.ascend();
}

fn stmt_parts(s: &ast::Stmt, nested: bool, v: &mut impl Visit) {
    match s {
        ast::Stmt::Expr(e) => expr(&e.value, v),
        ast::Stmt::Return(r) => r.value.iter().for_each(|e| expr(e, v)),
        ast::Stmt::Assign(a) => {
            expr(&a.value, v);
            a.targets.iter().for_each(|t| expr(t, v));
        }
        ast::Stmt::AugAssign(a) => {
            expr(&a.target, v);
            expr(&a.value, v);
        }
        ast::Stmt::Delete(d) => d.targets.iter().for_each(|t| expr(t, v)),
        ast::Stmt::For(f) => {
            expr(&f.iter, v);
            expr(&f.target, v);
            walk(&f.body, nested, v);
            walk(&f.orelse, nested, v);
        }
        ast::Stmt::While(w) => {
            expr(&w.test, v);
            walk(&w.body, nested, v);
            walk(&w.orelse, nested, v);
        }
        ast::Stmt::If(i) => {
            expr(&i.test, v);
            walk(&i.body, nested, v);
            walk(&i.orelse, nested, v);
        }
        ast::Stmt::FunctionDef(f) if nested => walk(&f.body, nested, v),
        ast::Stmt::ClassDef(c) => {
            if nested {
                walk(&c.body, nested, v);
            }
            c.bases.iter().for_each(|b| expr(b, v));
        }
        _ => {}
    }
}

fn expr(e: &ast::Expr, v: &mut impl Visit) {
    v.expr(e);
    if v.descend() {
        expr_parts(e, v);
    }
    v.ascend();
}

fn expr_parts(e: &ast::Expr, v: &mut impl Visit) {
    let each = |es: &[ast::Expr], v: &mut _| es.iter().for_each(|e| expr(e, v));
    match e {
        ast::Expr::BinOp(b) => {
            expr(&b.left, v);
            expr(&b.right, v);
        }
        ast::Expr::UnaryOp(u) => expr(&u.operand, v),
        ast::Expr::BoolOp(b) => each(&b.values, v),
        ast::Expr::Compare(c) => {
            expr(&c.left, v);
            each(&c.comparators, v);
        }
        ast::Expr::Call(c) => {
            expr(&c.func, v);
            each(&c.args, v);
            c.keywords.iter().for_each(|k| expr(&k.value, v));
        }
        ast::Expr::Attribute(a) => expr(&a.value, v),
        ast::Expr::Subscript(s) => {
            expr(&s.value, v);
            expr(&s.slice, v);
        }
        ast::Expr::IfExp(i) => {
            expr(&i.test, v);
            expr(&i.body, v);
            expr(&i.orelse, v);
        }
        ast::Expr::Tuple(t) => each(&t.elts, v),
        ast::Expr::List(l) => each(&l.elts, v),
        ast::Expr::Dict(d) => {
            for (k, val) in d.keys.iter().zip(&d.values) {
                k.iter().for_each(|k| expr(k, v));
                expr(val, v);
            }
        }
        ast::Expr::JoinedStr(j) => each(&j.values, v),
        ast::Expr::FormattedValue(f) => expr(&f.value, v),
        ast::Expr::Starred(s) => expr(&s.value, v),
        _ => {}
    }
}
