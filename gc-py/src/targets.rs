//! CPython 3.11's syntax errors for targets that cannot be assigned to or
//! deleted (`1 = x`, `del f()`, `f() += 1`, `for 1 in x`, `with a as 1`),
//! which the parser accepts: the first one in source order, with CPython's
//! message and the range its caret marks, found before anything runs.
//!
//! CPython's PEG parser raises these from its `invalid_*` rules on a
//! second pass. For an assignment, two rules compete, and which one fires
//! depends on the text around the first `=`:
//!
//! - `invalid_named_expression`, reached while the parser tries the
//!   statement as an annotation (`a, b: int`): the first target's last
//!   element, directly followed by `=` and then by an expression that is
//!   not itself followed by `=`, gives "invalid syntax. Maybe you meant
//!   '==' or ':=' instead of '='?" when it is a name, and "cannot assign to
//!   X here. Maybe you meant '==' instead of '='?" when it is any other
//!   operand-level expression that does not begin with a list or tuple
//!   display, a generator expression, `True`, `None` or `False` (even a
//!   valid target, as in `3, x.y = z`);
//! - otherwise `invalid_assignment`: "cannot assign to X" at the first
//!   invalid element of the first invalid target.
//!
//! X is `_PyPegen_get_expr_name`'s name for the expression.

use rustpython_parser::ast::{self, Constant, Expr, Ranged, Stmt};

/// A syntax error CPython reports over a range (a target it refuses, or
/// one of its hints): its message and the byte range its carets mark.
#[derive(Debug, PartialEq, Eq)]
pub struct SyntaxErrorAt {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

type Found = Result<(), SyntaxErrorAt>;

/// The first invalid target of `program` (searched statement by
/// statement, into every block), or `Ok`.
pub fn check(program: &[Stmt], source: &str) -> Found {
    Finder { source }.block(program)
}

struct Finder<'a> {
    source: &'a str,
}

/// Where a target appears: what CPython's message says it cannot do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Assign,
    Delete,
}

fn refuse(node: &Expr, message: String) -> Found {
    Err(SyntaxErrorAt {
        start: node.start().to_usize(),
        end: node.end().to_usize(),
        message,
    })
}

impl Finder<'_> {
    fn block(&self, body: &[Stmt]) -> Found {
        body.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&self, s: &Stmt) -> Found {
        match s {
            Stmt::Assign(a) => self.assign(a),
            Stmt::AugAssign(a) => match &*a.target {
                Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) => Ok(()),
                t => refuse(
                    t,
                    format!(
                        "'{}' is an illegal expression for augmented assignment",
                        name(t)
                    ),
                ),
            },
            Stmt::Delete(d) => d.targets.iter().try_for_each(|t| invalid(t, Use::Delete)),
            Stmt::For(f) => {
                invalid(&f.target, Use::Assign)?;
                self.block(&f.body)?;
                self.block(&f.orelse)
            }
            Stmt::While(w) => {
                self.block(&w.body)?;
                self.block(&w.orelse)
            }
            Stmt::If(i) => {
                self.block(&i.body)?;
                self.block(&i.orelse)
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(t) = &item.optional_vars {
                        invalid(t, Use::Assign)?;
                    }
                }
                self.block(&w.body)
            }
            Stmt::Try(t) => {
                self.block(&t.body)?;
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    self.block(&h.body)?;
                }
                self.block(&t.orelse)?;
                self.block(&t.finalbody)
            }
            Stmt::FunctionDef(f) => self.block(&f.body),
            Stmt::ClassDef(c) => self.block(&c.body),
            _ => Ok(()),
        }
    }

    /// `T1 = T2 = … = V`: see the module docs.
    fn assign(&self, a: &ast::StmtAssign) -> Found {
        if a.targets.iter().all(|t| invalid(t, Use::Assign).is_ok()) {
            return Ok(());
        }
        let first = &a.targets[0];
        let next = a.targets.get(1).unwrap_or(&a.value);
        let next_is_target = a.targets.len() > 1;
        if let Some(e) = self.named_candidate(first, next)
            && let Some(b_end) = self.operand_prefix_end(next, next_is_target)
            && let Some(error) = misused_equals(
                self.source,
                e,
                0,
                self.skip_back_to_separator(e.start().to_usize()),
                self.grouped(e),
                b_end,
            )
        {
            return Err(error);
        }
        for t in &a.targets {
            if matches!(t, Expr::Yield(_) | Expr::YieldFrom(_)) && !self.grouped(t) {
                return refuse(t, "assignment to yield expression not possible".to_owned());
            }
            invalid(t, Use::Assign)?;
        }
        Ok(())
    }

    /// `e` is written in brackets of its own (a group: `(1)`, `(yield)`).
    fn grouped(&self, e: &Expr) -> bool {
        let start = e.start().to_usize();
        self.source[self.skip_back_to_separator(start)..start].contains('(')
    }

    /// The element `invalid_named_expression` takes as its `a`: the first
    /// target itself, or its last element when it is a tuple without
    /// brackets; `None` when that element is not directly followed by the
    /// `=` (a trailing comma).
    fn named_candidate<'e>(&self, first: &'e Expr, next: &Expr) -> Option<&'e Expr> {
        let e = match first {
            Expr::Tuple(t) if !self.bracketed(first) => t.elts.last()?,
            _ => first,
        };
        // Between the element and the next target or value: closing
        // brackets of groups, then `=` alone.
        let between = &self.source[e.end().to_usize()..next.start().to_usize()];
        let gap: String = between
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ')')
            .collect();
        if gap != "=" && !gap.starts_with("=(") {
            return None;
        }
        Some(e)
    }

    /// The offset where the text of the expression starting at or after
    /// `offset` begins: back over opening brackets and spaces to the
    /// previous `,` or `=` or the start of the line.
    fn skip_back_to_separator(&self, offset: usize) -> usize {
        let before = &self.source[..offset];
        let cut = before
            .rfind(|c: char| !(c.is_whitespace() && c != '\n') && c != '(')
            .map_or(0, |i| i + 1);
        let mut start = cut;
        while self.source[start..offset].starts_with(char::is_whitespace) {
            start += 1;
        }
        start
    }

    /// A tuple written with brackets (its range starts at one).
    fn bracketed(&self, tuple: &Expr) -> bool {
        self.source[tuple.start().to_usize()..].starts_with('(')
    }

    /// The end of the operand-level expression at the start of `next`
    /// (the rule's `b`), when one starts there and is not followed by `=`
    /// (`next` a target followed by one, and a whole operand).
    fn operand_prefix_end(&self, next: &Expr, next_is_target: bool) -> Option<usize> {
        if self.grouped(next) || operand_level(next) {
            // The whole of `next` is the operand: followed by `=` when it
            // is a target.
            return (!next_is_target).then(|| next.end().to_usize());
        }
        let first = match next {
            Expr::Tuple(t) if !self.bracketed(next) => t.elts.first()?,
            Expr::Compare(c) => &c.left,
            Expr::BoolOp(b) => b.values.first()?,
            Expr::IfExp(i) => &i.body,
            _ => return None,
        };
        if first.start() != next.start() {
            return None;
        }
        self.operand_prefix_end(first, false)
    }
}

/// CPython's `invalid_named_expression` once it has found `a = b`: `a`,
/// whose positions are offsets from `base` in `source`; `start`, where the
/// text of `a` begins (before the brackets of a group); whether `a` is in
/// brackets of its own; and where `b` ends. A bare name gives "invalid
/// syntax. Maybe you meant '==' or ':=' instead of '='?" over `a = b`,
/// any other operand "cannot assign to X here. Maybe you meant '=='
/// instead of '='?" over `a`; `None` when `a` is no operand or begins
/// with what the rule's lookahead excludes (a list or tuple display, a
/// generator expression, `True`, `None`, `False`).
pub(crate) fn misused_equals(
    source: &str,
    a: &Expr,
    base: usize,
    start: usize,
    grouped: bool,
    b_end: usize,
) -> Option<SyntaxErrorAt> {
    if matches!(a, Expr::Name(_)) && !grouped {
        return Some(SyntaxErrorAt {
            start: base + a.start().to_usize(),
            end: b_end,
            message: "invalid syntax. Maybe you meant '==' or ':=' instead of '='?".to_owned(),
        });
    }
    if !grouped && !operand_level(a) {
        return None;
    }
    let text = &source[start..];
    let keyword = ["True", "None", "False"].iter().any(|k| {
        text.starts_with(k)
            && !text[k.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    });
    // The leftmost operand, when it is where the text begins.
    let mut node = a;
    let display = loop {
        if base + node.start().to_usize() == start {
            let bracketed = source[start..].starts_with('(');
            match node {
                Expr::List(_) | Expr::GeneratorExp(_) => break true,
                Expr::Tuple(_) if bracketed => break true,
                _ => {}
            }
        }
        node = match node {
            Expr::BinOp(b) => &b.left,
            Expr::Attribute(x) => &x.value,
            Expr::Subscript(x) => &x.value,
            Expr::Call(c) => &c.func,
            _ => break false,
        };
    };
    if keyword || display {
        return None;
    }
    Some(SyntaxErrorAt {
        start: base + a.start().to_usize(),
        end: base + a.end().to_usize(),
        message: format!(
            "cannot assign to {} here. Maybe you meant '==' instead of '='?",
            name(a)
        ),
    })
}

/// An expression that parses as CPython's `bitwise_or` on its own (an
/// operand: no comparison, `not`, `and`/`or`, conditional, lambda,
/// starred or yield at its top).
pub(crate) fn operand_level(e: &Expr) -> bool {
    !matches!(
        e,
        Expr::Compare(_)
            | Expr::BoolOp(_)
            | Expr::IfExp(_)
            | Expr::Lambda(_)
            | Expr::NamedExpr(_)
            | Expr::Starred(_)
            | Expr::Yield(_)
            | Expr::YieldFrom(_)
            | Expr::Tuple(_)
    ) && !matches!(e, Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not)
}

/// `_PyPegen_get_invalid_target`: the first part of `t` that cannot be
/// assigned to (or deleted), refused with CPython's message.
fn invalid(t: &Expr, what: Use) -> Found {
    match t {
        Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) => Ok(()),
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            elts.iter().try_for_each(|e| invalid(e, what))
        }
        Expr::Starred(s) if what == Use::Assign => invalid(&s.value, what),
        other => refuse(
            other,
            match what {
                Use::Assign => format!("cannot assign to {}", name(other)),
                Use::Delete => format!("cannot delete {}", name(other)),
            },
        ),
    }
}

/// `_PyPegen_get_expr_name`.
pub(crate) fn name(e: &Expr) -> &'static str {
    match e {
        Expr::Attribute(_) => "attribute",
        Expr::Subscript(_) => "subscript",
        Expr::Starred(_) => "starred",
        Expr::Name(_) => "name",
        Expr::List(_) => "list",
        Expr::Tuple(_) => "tuple",
        Expr::Lambda(_) => "lambda",
        Expr::Call(_) => "function call",
        Expr::BoolOp(_) | Expr::BinOp(_) | Expr::UnaryOp(_) => "expression",
        Expr::GeneratorExp(_) => "generator expression",
        Expr::Yield(_) | Expr::YieldFrom(_) => "yield expression",
        Expr::Await(_) => "await expression",
        Expr::ListComp(_) => "list comprehension",
        Expr::SetComp(_) => "set comprehension",
        Expr::DictComp(_) => "dict comprehension",
        Expr::Dict(_) => "dict literal",
        Expr::Set(_) => "set display",
        Expr::JoinedStr(_) | Expr::FormattedValue(_) => "f-string expression",
        Expr::Constant(c) => match c.value {
            Constant::None => "None",
            Constant::Bool(true) => "True",
            Constant::Bool(false) => "False",
            Constant::Ellipsis => "ellipsis",
            _ => "literal",
        },
        Expr::Compare(_) => "comparison",
        Expr::IfExp(_) => "conditional expression",
        Expr::NamedExpr(_) => "named expression",
        Expr::Slice(_) => "slice",
    }
}
