//! CPython 3.11's compiler errors for a jump with nowhere to go, which the
//! parser accepts: `break` outside a loop ("'break' outside loop"),
//! `continue` outside one ("'continue' not properly in loop"), `return`
//! outside a function ("'return' outside function"). The first one in
//! source order, over the statement's range, found before anything runs.
//!
//! A loop's body is inside it; its `else` block is not. A function's body
//! is inside a function and outside every loop; a class body is outside
//! both.

use rustpython_parser::ast::{ExceptHandler, Ranged, Stmt};

use crate::targets::SyntaxErrorAt;

/// Where a statement stands.
#[derive(Clone, Copy)]
struct Within {
    function: bool,
    loop_: bool,
}

/// The first jump of `program` with nowhere to go, or `Ok`.
pub fn check(program: &[Stmt]) -> Result<(), SyntaxErrorAt> {
    block(
        program,
        Within {
            function: false,
            loop_: false,
        },
    )
}

fn block(body: &[Stmt], at: Within) -> Result<(), SyntaxErrorAt> {
    body.iter().try_for_each(|s| stmt(s, at))
}

fn refuse(s: &Stmt, message: &str) -> Result<(), SyntaxErrorAt> {
    Err(SyntaxErrorAt {
        start: s.start().to_usize(),
        end: s.end().to_usize(),
        message: message.to_owned(),
    })
}

fn stmt(s: &Stmt, at: Within) -> Result<(), SyntaxErrorAt> {
    let in_loop = Within { loop_: true, ..at };
    match s {
        Stmt::Break(_) if !at.loop_ => refuse(s, "'break' outside loop"),
        Stmt::Continue(_) if !at.loop_ => refuse(s, "'continue' not properly in loop"),
        Stmt::Return(_) if !at.function => refuse(s, "'return' outside function"),
        Stmt::FunctionDef(f) => block(
            &f.body,
            Within {
                function: true,
                loop_: false,
            },
        ),
        Stmt::AsyncFunctionDef(f) => block(
            &f.body,
            Within {
                function: true,
                loop_: false,
            },
        ),
        Stmt::ClassDef(c) => block(
            &c.body,
            Within {
                function: false,
                loop_: false,
            },
        ),
        Stmt::For(f) => block(&f.body, in_loop).and_then(|()| block(&f.orelse, at)),
        Stmt::AsyncFor(f) => block(&f.body, in_loop).and_then(|()| block(&f.orelse, at)),
        Stmt::While(w) => block(&w.body, in_loop).and_then(|()| block(&w.orelse, at)),
        Stmt::If(i) => block(&i.body, at).and_then(|()| block(&i.orelse, at)),
        Stmt::With(w) => block(&w.body, at),
        Stmt::AsyncWith(w) => block(&w.body, at),
        Stmt::Try(t) => try_blocks(&t.body, &t.handlers, &t.orelse, &t.finalbody, at),
        Stmt::TryStar(t) => try_blocks(&t.body, &t.handlers, &t.orelse, &t.finalbody, at),
        Stmt::Match(m) => m.cases.iter().try_for_each(|c| block(&c.body, at)),
        _ => Ok(()),
    }
}

/// A `try` statement's blocks, handlers included.
fn try_blocks(
    body: &[Stmt],
    handlers: &[ExceptHandler],
    orelse: &[Stmt],
    finalbody: &[Stmt],
    at: Within,
) -> Result<(), SyntaxErrorAt> {
    block(body, at)?;
    for ExceptHandler::ExceptHandler(h) in handlers {
        block(&h.body, at)?;
    }
    block(orelse, at)?;
    block(finalbody, at)
}

#[cfg(test)]
mod tests {
    use rustpython_parser::{Parse, ast};

    fn first(source: &str) -> Option<String> {
        let program = ast::Suite::parse(source, "t.py").unwrap();
        super::check(&program).err().map(|e| e.message)
    }

    #[test]
    fn jumps_with_nowhere_to_go() {
        assert_eq!(first("break\n").as_deref(), Some("'break' outside loop"));
        assert_eq!(
            first("def f():\n    continue\n").as_deref(),
            Some("'continue' not properly in loop")
        );
        assert_eq!(
            first("while 1:\n    def g():\n        break\n").as_deref(),
            Some("'break' outside loop")
        );
        assert_eq!(
            first("while 1:\n    pass\nelse:\n    break\n").as_deref(),
            Some("'break' outside loop")
        );
        assert_eq!(
            first("def f():\n    class C:\n        return 1\n").as_deref(),
            Some("'return' outside function")
        );
        assert_eq!(
            first("return\n").as_deref(),
            Some("'return' outside function")
        );
    }

    #[test]
    fn jumps_in_place() {
        assert_eq!(
            first("while 1:\n    if 1:\n        break\n    continue\n"),
            None
        );
        assert_eq!(first("def f():\n    for x in y:\n        return x\n"), None);
        assert_eq!(
            first("for x in y:\n    pass\nelse:\n    pass\nwhile 1:\n    break\n"),
            None
        );
    }
}
