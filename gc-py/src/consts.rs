//! Constant tuples: the tuple displays the compiler turns into one object
//! made before the program runs.
//!
//! CPython 3.11's AST optimizer folds a tuple display whose items are all
//! constants into a constant (`fold_tuple` in `Python/ast_opt.c`), after
//! folding `-1`, `+1` and `not x` on constants (`fold_unaryop`); its
//! compiler then merges equal constants, items of constant tuples
//! included, across the whole module (`merge_consts_recursive`, keyed by
//! type and value: `(1, True)` is not `(1, 1)`). So `(1, 2) is (1, 2)` is
//! true there, in one function or two, and a constant tuple is never
//! garbage. PyPy's compiler folds the same displays and merges equal
//! constants within one code object only (`astcompiler/optimize.py`,
//! `PythonCodeGenerator.add_const`).
//!
//! gc-py folds constants and those unary operators. CPython also folds
//! arithmetic on constants (`(1 + 1,)`); gc-py leaves that to run time, so
//! such a tuple is made afresh each time it is evaluated.

use std::rc::Rc;

use rustpython_parser::ast;

use crate::walk::{Visit, walk};

/// A folded constant, keyed as CPython's compiler keys them: by type and
/// value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    None,
    Bool(bool),
    Int(i64),
    Str(Rc<str>),
    Tuple(Vec<Key>),
}

/// One tuple display that is a constant: the node, the code object it is
/// in (its index in compile order; 0 for all of them when constants are
/// merged across the module) and its value.
pub struct Display {
    /// The node's address: what the evaluator looks it up by.
    pub node: usize,
    pub scope: usize,
    pub key: Key,
}

/// The node's address, as [`Display::node`] holds it.
pub fn address(t: &ast::ExprTuple) -> usize {
    t as *const ast::ExprTuple as usize
}

/// Every constant tuple display of `program`, functions and classes
/// included, in the order the compiler meets them; `per_code_object`:
/// each function's and class body's constants apart (PyPy's), else all
/// in one (CPython's). A display inside a constant one is part of it and
/// not listed.
pub fn displays(program: &[ast::Stmt], per_code_object: bool) -> Vec<Display> {
    struct Find {
        per_code_object: bool,
        found: Vec<Display>,
        /// The code objects the walk is in, innermost last.
        scopes: Vec<usize>,
        made: usize,
        /// For each node the walk is in: whether it opened a code object.
        opened: Vec<bool>,
        /// The node just visited was a constant tuple: not walked into.
        skip: bool,
    }
    impl Visit for Find {
        fn stmt(&mut self, s: &ast::Stmt) {
            let opens = self.per_code_object
                && matches!(s, ast::Stmt::FunctionDef(_) | ast::Stmt::ClassDef(_));
            if opens {
                self.made += 1;
                self.scopes.push(self.made);
            }
            self.opened.push(opens);
        }
        fn expr(&mut self, e: &ast::Expr) {
            self.opened.push(false);
            if let ast::Expr::Tuple(t) = e
                && let Some(key) = folded(e)
            {
                self.found.push(Display {
                    node: address(t),
                    scope: self.scopes.last().copied().unwrap_or(0),
                    key,
                });
                self.skip = true;
            }
        }
        fn descend(&mut self) -> bool {
            !std::mem::take(&mut self.skip)
        }
        fn ascend(&mut self) {
            if self.opened.pop() == Some(true) {
                self.scopes.pop();
            }
        }
    }
    let mut f = Find {
        per_code_object,
        found: Vec::new(),
        scopes: Vec::new(),
        made: 0,
        opened: Vec::new(),
        skip: false,
    };
    walk(program, true, &mut f);
    f.found
}

/// The constant `e` folds into, if it does.
pub fn folded(e: &ast::Expr) -> Option<Key> {
    match e {
        ast::Expr::Constant(c) => match &c.value {
            ast::Constant::None => Some(Key::None),
            ast::Constant::Bool(b) => Some(Key::Bool(*b)),
            ast::Constant::Int(i) => i64::try_from(i).ok().map(Key::Int),
            ast::Constant::Str(s) => Some(Key::Str(s.as_str().into())),
            // Not values of gc-py's: left to run time, which refuses them.
            _ => None,
        },
        ast::Expr::UnaryOp(u) => {
            // `-9223372036854775808`: the literal alone does not fit.
            if u.op == ast::UnaryOp::USub
                && let ast::Expr::Constant(c) = &*u.operand
                && let ast::Constant::Int(i) = &c.value
            {
                return i64::try_from(&-i).ok().map(Key::Int);
            }
            let operand = folded(&u.operand)?;
            match (u.op, operand) {
                (ast::UnaryOp::Not, k) => Some(Key::Bool(!truthy(&k))),
                (ast::UnaryOp::USub, Key::Int(i)) => i.checked_neg().map(Key::Int),
                (ast::UnaryOp::USub, Key::Bool(b)) => Some(Key::Int(-i64::from(b))),
                (ast::UnaryOp::UAdd, Key::Int(i)) => Some(Key::Int(i)),
                (ast::UnaryOp::UAdd, Key::Bool(b)) => Some(Key::Int(i64::from(b))),
                // A TypeError, or `~` (which gc-py does not support), at
                // run time.
                _ => None,
            }
        }
        ast::Expr::Tuple(t) if t.ctx == ast::ExprContext::Load => t
            .elts
            .iter()
            .map(folded)
            .collect::<Option<Vec<_>>>()
            .map(Key::Tuple),
        _ => None,
    }
}

fn truthy(k: &Key) -> bool {
    match k {
        Key::None => false,
        Key::Bool(b) => *b,
        Key::Int(i) => *i != 0,
        Key::Str(s) => !s.is_empty(),
        Key::Tuple(items) => !items.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use rustpython_parser::{Mode, parse};

    use super::*;

    fn found(src: &str, per_code_object: bool) -> Vec<(usize, Key)> {
        let m = parse(src, Mode::Module, "<test>").expect("parses");
        let body = m.module().expect("a module").body;
        displays(&body, per_code_object)
            .into_iter()
            .map(|d| (d.scope, d.key))
            .collect()
    }

    #[test]
    fn folds_displays_of_constants_and_signs() {
        let k = found(
            "x = (1, -2, not 0, +True, 'a', None, (3,))\ny = (x, 1)\nz = [(), ~1, (1,)]",
            false,
        );
        assert_eq!(
            k,
            vec![
                (
                    0,
                    Key::Tuple(vec![
                        Key::Int(1),
                        Key::Int(-2),
                        Key::Bool(true),
                        Key::Int(1),
                        Key::Str("a".into()),
                        Key::None,
                        Key::Tuple(vec![Key::Int(3)]),
                    ])
                ),
                (0, Key::Tuple(vec![])),
                (0, Key::Tuple(vec![Key::Int(1)])),
            ]
        );
        assert_eq!(
            found("t = (-9223372036854775808, -(-9223372036854775808))", false),
            vec![],
            "the second item overflows: not folded"
        );
        assert_eq!(
            found("t = (-9223372036854775808,)", false),
            vec![(0, Key::Tuple(vec![Key::Int(i64::MIN)]))]
        );
    }

    #[test]
    fn code_objects_apart_only_when_asked() {
        let src = "a = (1,)\ndef f():\n    return (1,)\nclass C:\n    t = (1,)\n    def m(self):\n        return (1,)\nb = (1,)";
        let scopes = |per| {
            found(src, per)
                .into_iter()
                .map(|(s, _)| s)
                .collect::<Vec<_>>()
        };
        assert_eq!(scopes(false), vec![0, 0, 0, 0, 0]);
        assert_eq!(scopes(true), vec![0, 1, 2, 3, 0]);
    }
}
