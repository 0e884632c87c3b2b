//! The compiler's `SyntaxWarning`s, printed before the program runs as
//! CPython 3.11 prints them (`compile.c`'s `check_caller`,
//! `check_subscripter` and `check_index`): a call of a literal that cannot
//! be called, a subscript of one that cannot be subscripted, a literal
//! sequence indexed by a literal that is not an integer — "perhaps you
//! missed a comma?". PyPy 3.9 has the first two, and the third for a
//! constant only (a string, or a tuple of constants).

use rustpython_parser::ast::{self, Constant, Ranged};

use crate::source::LineIndex;

/// One warning: its line and message.
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// Every warning of `program`, in the order the compiler meets them:
/// CPython's, or (`cpython` false) PyPy's.
pub fn check(program: &[ast::Stmt], lines: &LineIndex, cpython: bool) -> Vec<Warning> {
    let mut w = Walk {
        lines,
        cpython,
        found: Vec::new(),
    };
    program.iter().for_each(|s| w.stmt(s));
    w.found
}

/// `infer_type`: the type of a literal, after CPython's constant folding.
fn literal_type(e: &ast::Expr) -> Option<&'static str> {
    Some(match e {
        ast::Expr::Constant(c) => match &c.value {
            Constant::None => "NoneType",
            Constant::Bool(_) => "bool",
            Constant::Int(_) => "int",
            Constant::Float(_) => "float",
            Constant::Complex { .. } => "complex",
            Constant::Str(_) => "str",
            Constant::Bytes(_) => "bytes",
            Constant::Tuple(_) => "tuple",
            Constant::Ellipsis => "ellipsis",
        },
        // `-1` and `not 1` are folded into constants.
        ast::Expr::UnaryOp(u) if matches!(&*u.operand, ast::Expr::Constant(_)) => match u.op {
            ast::UnaryOp::Not => "bool",
            _ => match literal_type(&u.operand)? {
                t @ ("int" | "float" | "complex" | "bool") => {
                    if t == "bool" {
                        "int"
                    } else {
                        t
                    }
                }
                _ => return None,
            },
        },
        // A tuple of constants is folded into one.
        ast::Expr::Tuple(_) => "tuple",
        ast::Expr::List(_) | ast::Expr::ListComp(_) => "list",
        ast::Expr::Dict(_) | ast::Expr::DictComp(_) => "dict",
        ast::Expr::Set(_) | ast::Expr::SetComp(_) => "set",
        ast::Expr::GeneratorExp(_) => "generator",
        ast::Expr::Lambda(_) => "function",
        ast::Expr::JoinedStr(_) | ast::Expr::FormattedValue(_) => "str",
        _ => return None,
    })
}

struct Walk<'a> {
    lines: &'a LineIndex,
    cpython: bool,
    found: Vec<Warning>,
}

impl Walk<'_> {
    fn warn(&mut self, at: &impl Ranged, message: String) {
        self.found.push(Warning {
            line: self.lines.line(at.start().to_usize()),
            message: format!("{message}; perhaps you missed a comma?"),
        });
    }

    fn block(&mut self, b: &[ast::Stmt]) {
        b.iter().for_each(|s| self.stmt(s));
    }

    fn stmt(&mut self, s: &ast::Stmt) {
        match s {
            ast::Stmt::Expr(e) => self.expr(&e.value),
            ast::Stmt::Return(r) => r.value.iter().for_each(|v| self.expr(v)),
            ast::Stmt::Assign(a) => {
                self.expr(&a.value);
                a.targets.iter().for_each(|t| self.expr(t));
            }
            ast::Stmt::AugAssign(a) => {
                self.expr(&a.target);
                self.expr(&a.value);
            }
            ast::Stmt::Delete(d) => d.targets.iter().for_each(|t| self.expr(t)),
            ast::Stmt::For(f) => {
                self.expr(&f.iter);
                self.expr(&f.target);
                self.block(&f.body);
                self.block(&f.orelse);
            }
            ast::Stmt::While(w) => {
                self.expr(&w.test);
                self.block(&w.body);
                self.block(&w.orelse);
            }
            ast::Stmt::If(i) => {
                self.expr(&i.test);
                self.block(&i.body);
                self.block(&i.orelse);
            }
            ast::Stmt::FunctionDef(f) => self.block(&f.body),
            ast::Stmt::ClassDef(c) => {
                c.bases.iter().for_each(|b| self.expr(b));
                self.block(&c.body);
            }
            _ => {}
        }
    }

    fn exprs(&mut self, es: &[ast::Expr]) {
        es.iter().for_each(|e| self.expr(e));
    }

    fn expr(&mut self, e: &ast::Expr) {
        match e {
            ast::Expr::Call(c) => {
                // `check_caller` (a lambda can be called).
                if let Some(t) = literal_type(&c.func)
                    && !matches!(&*c.func, ast::Expr::Lambda(_))
                {
                    self.warn(e, format!("'{t}' object is not callable"));
                }
                self.expr(&c.func);
                self.exprs(&c.args);
                c.keywords.iter().for_each(|k| self.expr(&k.value));
            }
            ast::Expr::Subscript(s) => {
                if s.ctx == ast::ExprContext::Load {
                    self.subscript(e, s);
                }
                self.expr(&s.value);
                self.expr(&s.slice);
            }
            ast::Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            ast::Expr::UnaryOp(u) => self.expr(&u.operand),
            ast::Expr::BoolOp(b) => self.exprs(&b.values),
            ast::Expr::Compare(c) => {
                self.expr(&c.left);
                self.exprs(&c.comparators);
            }
            ast::Expr::Attribute(a) => self.expr(&a.value),
            ast::Expr::IfExp(i) => {
                self.expr(&i.test);
                self.expr(&i.body);
                self.expr(&i.orelse);
            }
            ast::Expr::Tuple(t) => self.exprs(&t.elts),
            ast::Expr::List(l) => self.exprs(&l.elts),
            ast::Expr::Dict(d) => {
                for (k, v) in d.keys.iter().zip(&d.values) {
                    k.iter().for_each(|k| self.expr(k));
                    self.expr(v);
                }
            }
            ast::Expr::JoinedStr(j) => self.exprs(&j.values),
            ast::Expr::FormattedValue(v) => self.expr(&v.value),
            ast::Expr::Starred(s) => self.expr(&s.value),
            _ => {}
        }
    }

    /// `check_subscripter` and `check_index` of a subscript read.
    fn subscript(&mut self, e: &ast::Expr, s: &ast::ExprSubscript) {
        let value = literal_type(&s.value);
        let not_subscriptable = match &*s.value {
            ast::Expr::Constant(_) | ast::Expr::UnaryOp(_) => {
                matches!(
                    value,
                    Some("NoneType" | "ellipsis" | "int" | "float" | "complex" | "bool")
                )
            }
            ast::Expr::Set(_)
            | ast::Expr::SetComp(_)
            | ast::Expr::GeneratorExp(_)
            | ast::Expr::Lambda(_) => true,
            _ => false,
        };
        if let (true, Some(t)) = (not_subscriptable, value) {
            self.warn(e, format!("'{t}' object is not subscriptable"));
            return;
        }
        let Some(index) = literal_type(&s.slice) else {
            return;
        };
        if matches!(index, "int" | "bool") {
            return;
        }
        let sequence = match &*s.value {
            ast::Expr::Constant(_) => matches!(value, Some("str" | "bytes" | "tuple")),
            // A tuple of constants is one constant.
            ast::Expr::Tuple(t) => {
                self.cpython || t.elts.iter().all(|e| matches!(e, ast::Expr::Constant(_)))
            }
            ast::Expr::List(_)
            | ast::Expr::ListComp(_)
            | ast::Expr::JoinedStr(_)
            | ast::Expr::FormattedValue(_) => self.cpython,
            _ => false,
        };
        if let (true, Some(t)) = (sequence, value) {
            self.warn(
                e,
                format!("{t} indices must be integers or slices, not {index}"),
            );
        }
    }
}
