//! The subset, checked before the program runs: the first construct
//! outside it (in source order) is reported as `FILE:LINE: <construct> is
//! not supported` and nothing runs. The evaluator refuses the same
//! constructs again if one ever reaches it.

use rustpython_parser::ast::{self, Ranged};

use crate::interp::{expr_name, stmt_name};
use crate::source::{LineIndex, Unsupported};

/// The special methods the evaluator calls; a class that defines any
/// other (`__eq__`, `__hash__`, `__len__` …) is refused rather than have
/// it silently ignored.
pub const SPECIAL_METHODS: [&str; 4] = ["__init__", "__del__", "__repr__", "__str__"];

/// `__name__`: a special method's name.
pub fn is_special(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

struct Checker<'a> {
    lines: &'a LineIndex,
}

type Res = Result<(), Unsupported>;

impl Checker<'_> {
    fn no(&self, node: &impl Ranged, what: impl Into<String>) -> Res {
        Err(Unsupported {
            line: self.lines.line(node.start().to_usize()),
            what: what.into(),
        })
    }

    fn block(&self, body: &[ast::Stmt]) -> Res {
        body.iter().try_for_each(|s| self.stmt(s))
    }

    fn function(&self, f: &ast::StmtFunctionDef) -> Res {
        if !f.decorator_list.is_empty() {
            return self.no(&f.decorator_list[0], "a decorator");
        }
        let a = &f.args;
        if !a.posonlyargs.is_empty() {
            return self.no(f, "a positional-only parameter");
        }
        if let Some(v) = &a.vararg {
            return self.no(&**v, "*args");
        }
        if let Some(v) = &a.kwarg {
            return self.no(&**v, "**kwargs");
        }
        if !a.kwonlyargs.is_empty() {
            return self.no(f, "a keyword-only parameter");
        }
        for p in &a.args {
            if let Some(d) = &p.default {
                return self.no(&**d, "a default parameter value");
            }
        }
        self.block(&f.body)
    }

    fn stmt(&self, s: &ast::Stmt) -> Res {
        match s {
            ast::Stmt::Expr(e) => self.expr(&e.value),
            ast::Stmt::Assign(a) => {
                for t in &a.targets {
                    self.target(t)?;
                }
                self.expr(&a.value)
            }
            ast::Stmt::AugAssign(a) => {
                match &*a.target {
                    ast::Expr::Name(_) | ast::Expr::Attribute(_) | ast::Expr::Subscript(_) => {}
                    other => return self.no(other, "augmented assignment to this target"),
                }
                self.operator(s, a.op)?;
                self.target(&a.target)?;
                self.expr(&a.value)
            }
            ast::Stmt::Delete(d) => d.targets.iter().try_for_each(|t| self.del_target(t)),
            ast::Stmt::If(i) => {
                self.expr(&i.test)?;
                self.block(&i.body)?;
                self.block(&i.orelse)
            }
            ast::Stmt::While(w) => {
                if let Some(e) = w.orelse.first() {
                    return self.no(e, "while … else");
                }
                self.expr(&w.test)?;
                self.block(&w.body)
            }
            ast::Stmt::For(f) => {
                self.target(&f.target)?;
                self.expr(&f.iter)?;
                self.block(&f.body)?;
                self.block(&f.orelse)
            }
            ast::Stmt::Break(_) | ast::Stmt::Continue(_) | ast::Stmt::Pass(_) => Ok(()),
            ast::Stmt::Return(r) => match &r.value {
                Some(v) => self.expr(v),
                None => Ok(()),
            },
            ast::Stmt::FunctionDef(f) => self.function(f),
            ast::Stmt::ClassDef(c) => {
                if !c.decorator_list.is_empty() {
                    return self.no(&c.decorator_list[0], "a class decorator");
                }
                if let Some(k) = c.keywords.first() {
                    return self.no(k, "a class keyword (metaclass=…)");
                }
                if c.bases.len() > 1 {
                    return self.no(c, "multiple inheritance");
                }
                for b in &c.bases {
                    self.expr(b)?;
                }
                for s in &c.body {
                    match s {
                        ast::Stmt::FunctionDef(f)
                            if is_special(&f.name)
                                && !SPECIAL_METHODS.contains(&f.name.as_str()) =>
                        {
                            // Defined and then never called would change
                            // what the program prints without a word.
                            return self.no(f, format!("the special method {}", f.name));
                        }
                        ast::Stmt::FunctionDef(f) => self.function(f)?,
                        ast::Stmt::Assign(a)
                            if a.targets.len() == 1
                                && matches!(&a.targets[0], ast::Expr::Name(n)
                                    if is_special(n.id.as_str())
                                        && !SPECIAL_METHODS.contains(&n.id.as_str())) =>
                        {
                            // `__eq__ = f`, `__slots__ = ()`: what CPython
                            // makes of them, gc-py would ignore. (The four
                            // it calls may be bound to any value: a
                            // `__del__ = 5` is CPython's ignored error.)
                            let name = match &a.targets[0] {
                                ast::Expr::Name(n) => n.id.as_str(),
                                _ => "",
                            };
                            return self.no(a, format!("the special name {name} in a class body"));
                        }
                        ast::Stmt::Assign(a)
                            if a.targets.len() == 1
                                && matches!(a.targets[0], ast::Expr::Name(_)) =>
                        {
                            self.expr(&a.value)?
                        }
                        ast::Stmt::Pass(_) => {}
                        ast::Stmt::Expr(e) if matches!(&*e.value, ast::Expr::Constant(_)) => {}
                        other => {
                            return self.no(other, format!("{} in a class body", stmt_name(other)));
                        }
                    }
                }
                Ok(())
            }
            // gc-py has these three modules (the evaluator says the same).
            ast::Stmt::Import(i) => match i
                .names
                .iter()
                .find(|a| !matches!(a.name.as_str(), "gc" | "weakref" | "sys"))
            {
                Some(a) => self.no(a, format!("the module {}", a.name)),
                None => Ok(()),
            },
            other => self.no(other, stmt_name(other)),
        }
    }

    fn target(&self, t: &ast::Expr) -> Res {
        match t {
            ast::Expr::Name(_) => Ok(()),
            ast::Expr::Attribute(a) => self.expr(&a.value),
            ast::Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.index(&s.slice)
            }
            ast::Expr::Tuple(ast::ExprTuple { elts, .. })
            | ast::Expr::List(ast::ExprList { elts, .. }) => {
                elts.iter().try_for_each(|e| self.target(e))
            }
            other => self.no(other, format!("assignment to {}", with_article(other))),
        }
    }

    fn del_target(&self, t: &ast::Expr) -> Res {
        match t {
            ast::Expr::Tuple(tu) => tu.elts.iter().try_for_each(|e| self.del_target(e)),
            ast::Expr::Name(_) | ast::Expr::Attribute(_) | ast::Expr::Subscript(_) => {
                self.target(t)
            }
            other => self.no(other, format!("del of {}", with_article(other))),
        }
    }

    fn index(&self, e: &ast::Expr) -> Res {
        if let ast::Expr::Slice(_) = e {
            return self.no(e, "slicing");
        }
        self.expr(e)
    }

    fn operator(&self, node: &impl Ranged, op: ast::Operator) -> Res {
        use ast::Operator::*;
        match op {
            Add | Sub | Mult | FloorDiv | Mod => Ok(()),
            Div => self.no(node, "the / operator (no floats)"),
            Pow => self.no(node, "the ** operator"),
            MatMult => self.no(node, "the @ operator"),
            LShift | RShift => self.no(node, "shifts"),
            BitOr | BitXor | BitAnd => self.no(node, "bitwise operators"),
        }
    }

    fn expr(&self, e: &ast::Expr) -> Res {
        match e {
            ast::Expr::Constant(c) => match &c.value {
                ast::Constant::None
                | ast::Constant::Bool(_)
                | ast::Constant::Str(_)
                | ast::Constant::Int(_) => Ok(()),
                ast::Constant::Float(_) => self.no(e, "float"),
                ast::Constant::Bytes(_) => self.no(e, "bytes"),
                ast::Constant::Ellipsis => self.no(e, "Ellipsis"),
                ast::Constant::Complex { .. } => self.no(e, "complex"),
                ast::Constant::Tuple(_) => self.no(e, "a constant tuple"),
            },
            ast::Expr::Name(_) => Ok(()),
            ast::Expr::BinOp(b) => {
                self.operator(e, b.op)?;
                self.expr(&b.left)?;
                self.expr(&b.right)
            }
            ast::Expr::UnaryOp(u) => {
                if u.op == ast::UnaryOp::Invert {
                    return self.no(e, "the ~ operator");
                }
                self.expr(&u.operand)
            }
            ast::Expr::BoolOp(b) => b.values.iter().try_for_each(|v| self.expr(v)),
            ast::Expr::Compare(c) => {
                self.expr(&c.left)?;
                c.comparators.iter().try_for_each(|v| self.expr(v))
            }
            ast::Expr::IfExp(i) => {
                self.expr(&i.test)?;
                self.expr(&i.body)?;
                self.expr(&i.orelse)
            }
            ast::Expr::Call(c) => {
                self.expr(&c.func)?;
                for a in &c.args {
                    if let ast::Expr::Starred(_) = a {
                        return self.no(a, "*args in a call");
                    }
                    self.expr(a)?;
                }
                for k in &c.keywords {
                    if k.arg.is_none() {
                        return self.no(k, "**kwargs in a call");
                    }
                    let print = matches!(&*c.func, ast::Expr::Name(n) if n.id.as_str() == "print");
                    if !print {
                        return self.no(k, "keyword arguments (except print's sep and end)");
                    }
                    self.expr(&k.value)?;
                }
                Ok(())
            }
            ast::Expr::Attribute(a) => self.expr(&a.value),
            ast::Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.index(&s.slice)
            }
            ast::Expr::List(ast::ExprList { elts, .. })
            | ast::Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                for x in elts {
                    if let ast::Expr::Starred(_) = x {
                        return self.no(x, "a starred item");
                    }
                    self.expr(x)?;
                }
                Ok(())
            }
            ast::Expr::Dict(d) => {
                for (k, v) in d.keys.iter().zip(&d.values) {
                    match k {
                        Some(k) => self.expr(k)?,
                        None => return self.no(v, "** in a dict literal"),
                    }
                    self.expr(v)?;
                }
                Ok(())
            }
            ast::Expr::JoinedStr(j) => {
                for part in &j.values {
                    match part {
                        ast::Expr::Constant(_) => {}
                        ast::Expr::FormattedValue(f) => {
                            if f.format_spec.is_some() {
                                return self.no(part, "a format spec in an f-string");
                            }
                            if f.conversion == ast::ConversionFlag::Ascii {
                                return self.no(part, "!a in an f-string");
                            }
                            self.expr(&f.value)?;
                        }
                        other => return self.no(other, "this f-string part"),
                    }
                }
                Ok(())
            }
            other => self.no(other, expr_name(other)),
        }
    }
}

/// The first construct of `program` outside the subset, if any.
pub fn check(program: &[ast::Stmt], lines: &LineIndex) -> Result<(), Unsupported> {
    let checker = Checker { lines };
    checker.block(program)?;
    checker.closures(program, &mut Vec::new())
}

/// The functions `body` defines, in its blocks and its classes' bodies
/// too (not inside other functions).
fn defs<'a>(body: &'a [ast::Stmt], out: &mut Vec<&'a ast::StmtFunctionDef>) {
    for s in body {
        match s {
            ast::Stmt::FunctionDef(f) => out.push(f),
            ast::Stmt::ClassDef(c) => defs(&c.body, out),
            ast::Stmt::If(i) => {
                defs(&i.body, out);
                defs(&i.orelse, out);
            }
            ast::Stmt::While(w) => {
                defs(&w.body, out);
                defs(&w.orelse, out);
            }
            ast::Stmt::For(f) => {
                defs(&f.body, out);
                defs(&f.orelse, out);
            }
            _ => {}
        }
    }
}

impl Checker<'_> {
    /// A function in a function that reads one of the enclosing
    /// function's local names: a closure, which gc-py does not have (the
    /// read would find a global of that name, or none). `enclosing`: the
    /// local names of the functions around `body`.
    fn closures(&self, body: &[ast::Stmt], enclosing: &mut Vec<Vec<String>>) -> Res {
        let mut fs = Vec::new();
        defs(body, &mut fs);
        for f in fs {
            let params: Vec<std::rc::Rc<str>> = f
                .args
                .args
                .iter()
                .map(|a| a.def.arg.as_str().into())
                .collect();
            let own = crate::suggest::local_names(&params, &f.body);
            if !enclosing.is_empty() {
                // The names its own code reads (not its nested functions').
                let mut closed = None;
                crate::walk::each_expr(&f.body, &mut |e| {
                    if let ast::Expr::Name(n) = e
                        && n.ctx == ast::ExprContext::Load
                        && closed.is_none()
                        && !own.iter().any(|o| o == n.id.as_str())
                        && enclosing
                            .iter()
                            .any(|e| e.iter().any(|o| o == n.id.as_str()))
                    {
                        closed = Some((n.id.to_string(), n.range()));
                    }
                });
                if let Some((name, at)) = closed {
                    return Err(Unsupported {
                        line: self.lines.line(at.start().to_usize()),
                        what: format!("reading `{name}` of the enclosing function (a closure)"),
                    });
                }
            }
            enclosing.push(own);
            let r = self.closures(&f.body, enclosing);
            enclosing.pop();
            r?;
        }
        Ok(())
    }
}

/// [`expr_name`] as the object of a phrase: "this constant" as it is, "a
/// call", "an f-string".
fn with_article(e: &ast::Expr) -> String {
    let name = expr_name(e);
    if name.starts_with("this ") {
        name.to_owned()
    } else if name.starts_with(['a', 'e', 'i', 'o', 'u']) || name.starts_with("f-") {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}
