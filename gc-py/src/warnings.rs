//! The compiler's `SyntaxWarning`s, printed before the program runs as
//! CPython 3.11 prints them (`compile.c`'s `check_caller`,
//! `check_subscripter` and `check_index`): a call of a literal that cannot
//! be called, a subscript of one that cannot be subscripted, a literal
//! sequence indexed by a literal that is not an integer — "perhaps you
//! missed a comma?". PyPy 3.9 has the first two, and the third for a
//! constant only (a string, or a tuple of constants). And
//! `check_compare`'s: `is` or `is not` with a literal ("Did you mean
//! \"==\"?"), once per comparison chain (PyPy: once per operator).

use rustpython_parser::ast::{self, Constant, Ranged};

use crate::source::LineIndex;
use crate::walk::{Visit, walk};

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
    walk(program, true, &mut w);
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

/// Whether `e` is a constant after CPython's folding, other than the
/// singletons `None`, `True`, `False` and `...` (`check_is_arg` false):
/// `1`, `-1`, `1 + 1`, `"a"`, `()`, `(1, (2, 3))`.
fn is_literal(e: &ast::Expr) -> bool {
    let folds = |e: &ast::Expr| matches!(e, ast::Expr::Constant(_)) || is_literal(e);
    match e {
        ast::Expr::Constant(c) => !matches!(
            c.value,
            Constant::None | Constant::Bool(_) | Constant::Ellipsis
        ),
        ast::Expr::UnaryOp(u) => folds(&u.operand),
        ast::Expr::BinOp(b) => folds(&b.left) && folds(&b.right),
        ast::Expr::Tuple(t) => t.elts.iter().all(folds),
        _ => false,
    }
}

struct Walk<'a> {
    lines: &'a LineIndex,
    cpython: bool,
    found: Vec<Warning>,
}

impl Walk<'_> {
    fn warn(&mut self, at: &impl Ranged, message: String) {
        self.push(at, format!("{message}; perhaps you missed a comma?"));
    }

    fn push(&mut self, at: &impl Ranged, message: String) {
        self.found.push(Warning {
            line: self.lines.line(at.start().to_usize()),
            message,
        });
    }

    /// `check_compare`: `is` or `is not` with a literal on either side.
    /// CPython warns once per comparison chain, PyPy once per operator.
    fn compare(&mut self, e: &ast::Expr, c: &ast::ExprCompare) {
        let mut left = is_literal(&c.left);
        for (op, next) in c.ops.iter().zip(&c.comparators) {
            let right = is_literal(next);
            let message = match op {
                ast::CmpOp::Is => "\"is\" with a literal. Did you mean \"==\"?",
                ast::CmpOp::IsNot => "\"is not\" with a literal. Did you mean \"!=\"?",
                _ => "",
            };
            if !message.is_empty() && (left || right) {
                self.push(e, message.to_owned());
                if self.cpython {
                    return;
                }
            }
            left = right;
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

impl Visit for Walk<'_> {
    fn expr(&mut self, e: &ast::Expr) {
        match e {
            // `check_caller` (a lambda can be called).
            ast::Expr::Call(c) => {
                if let Some(t) = literal_type(&c.func)
                    && !matches!(&*c.func, ast::Expr::Lambda(_))
                {
                    self.warn(e, format!("'{t}' object is not callable"));
                }
            }
            ast::Expr::Subscript(s) if s.ctx == ast::ExprContext::Load => self.subscript(e, s),
            ast::Expr::Compare(c) => self.compare(e, c),
            _ => {}
        }
    }
}
