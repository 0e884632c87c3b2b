//! Positions in the program's source, and the error for a construct
//! outside the subset: the bottom layer, used by the checker and the
//! evaluator alike.

/// Byte offset → line number.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The index of `source`.
    pub fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The byte offset where 1-based line `line` starts.
    pub fn start(&self, line: usize) -> usize {
        self.starts[line - 1]
    }

    /// The text of 1-based line `line` of `source`, without its line
    /// break; `None` past the end.
    pub fn text<'a>(&self, source: &'a str, line: usize) -> Option<&'a str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).map_or(source.len(), |&e| e - 1);
        source.get(start..end.max(start))
    }

    /// The 1-based column of byte `offset`.
    pub fn column(&self, offset: usize) -> usize {
        let l = self.line(offset);
        offset - self.starts[l - 1] + 1
    }
}

/// A construct outside the subset.
#[derive(Debug)]
pub struct Unsupported {
    /// Its line.
    pub line: usize,
    /// What it is.
    pub what: String,
}

/// What CPython's tokenizer finds wrong with a program's brackets: the
/// tokenizer error that replaces the parser's own when a parse fails.
#[derive(Debug, PartialEq, Eq)]
pub enum BracketError {
    /// An opening bracket still open at the end of the file: `'(' was
    /// never closed`, at the bracket (the innermost one left open).
    Unclosed { open: char, offset: usize },
    /// A closing bracket with nothing open: `unmatched ')'`.
    Unmatched { close: char, offset: usize },
    /// A closing bracket of the wrong kind: `closing parenthesis ']' does
    /// not match opening parenthesis '('` (`on line N` when the opening
    /// one is on another line).
    Mismatch {
        open: char,
        open_offset: usize,
        close: char,
        offset: usize,
    },
}

/// The first bracket error of `source`, as CPython 3.11's tokenizer reads
/// it: brackets inside strings (f-strings included: one token in 3.11)
/// and comments do not count; a bad closing bracket stops the scan;
/// otherwise the innermost bracket left open at the end, if any.
pub fn bracket_error(source: &str) -> Option<BracketError> {
    let b = source.as_bytes();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'\'' | b'"') => {
                let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
                i += if triple { 3 } else { 1 };
                while i < b.len() {
                    match b[i] {
                        // An escaped character (in a raw string too, as far
                        // as finding the string's end goes).
                        b'\\' => i += 1,
                        b'\n' if !triple => break,
                        c if c == q
                            && (!triple
                                || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q))) =>
                        {
                            i += if triple { 2 } else { 0 };
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            c @ (b'(' | b'[' | b'{') => open.push((c, i)),
            c @ (b')' | b']' | b'}') => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match open.pop() {
                    Some((o, _)) if o == want => {}
                    Some((o, at)) => {
                        return Some(BracketError::Mismatch {
                            open: char::from(o),
                            open_offset: at,
                            close: char::from(c),
                            offset: i,
                        });
                    }
                    None => {
                        return Some(BracketError::Unmatched {
                            close: char::from(c),
                            offset: i,
                        });
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    open.pop().map(|(o, at)| BracketError::Unclosed {
        open: char::from(o),
        offset: at,
    })
}

/// A limit of CPython's tokenizer that `source` breaks, which
/// `rustpython-parser` lacks (its parser recurses once per level: a
/// million nested brackets overflow the stack).
#[derive(Debug, PartialEq, Eq)]
pub enum TooDeep {
    /// A bracket opened inside 200 others (`MAXLEVEL`), at `offset`.
    Brackets { offset: usize },
    /// A block indented inside 99 others (`MAXINDENT`), on the line at
    /// `offset`.
    Blocks { offset: usize },
    /// Brackets nested past 200 in an expression of the f-string at
    /// `offset` (its own scanner's limit), or at 200 (the tokenizer's,
    /// which reads the expression inside one more parenthesis).
    FString { offset: usize, scanner: bool },
}

/// The first of CPython's nesting limits that `source` breaks, as its
/// tokenizer meets them; `None` too when the source does not lex (the
/// parser then says why). Adds to `tokens` the tokens it read, an f-string
/// counted as its length (the parser parses its expressions again): the
/// parser, which reads tokens as it goes, gets no further than this pass.
pub fn too_deep(source: &str, tokens: &mut usize) -> Option<TooDeep> {
    use rustpython_parser::{Mode, StringKind, Tok, lexer};
    const MAX_LEVEL: usize = 200;
    const MAX_INDENT: usize = 100;
    let (mut open, mut blocks) = (Vec::new(), 0_usize);
    for token in lexer::lex(source, Mode::Module) {
        let (tok, range) = token.ok()?;
        let offset = range.start().to_usize();
        *tokens += match tok {
            Tok::String {
                kind: StringKind::FString | StringKind::RawFString,
                ..
            } => range.len().to_usize(),
            _ => 1,
        };
        match tok {
            Tok::String {
                kind: StringKind::FString | StringKind::RawFString,
                ..
            } => {
                let text = source.get(offset..range.end().to_usize())?;
                if let Some(scanner) = fstring_too_deep(text, MAX_LEVEL) {
                    return Some(TooDeep::FString { offset, scanner });
                }
            }
            Tok::Lpar | Tok::Lsqb | Tok::Lbrace => {
                if open.len() >= MAX_LEVEL {
                    return Some(TooDeep::Brackets { offset });
                }
                open.push(tok);
            }
            Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                let opener = match tok {
                    Tok::Rpar => Tok::Lpar,
                    Tok::Rsqb => Tok::Lsqb,
                    _ => Tok::Lbrace,
                };
                // A bracket that closes another kind is the tokenizer's
                // error before any later nesting (`bracket_error` says it).
                if open.pop() != Some(opener) {
                    return None;
                }
            }
            Tok::Indent => {
                if blocks + 1 >= MAX_INDENT {
                    return Some(TooDeep::Blocks { offset });
                }
                blocks += 1;
            }
            Tok::Dedent => blocks = blocks.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Whether an expression of the f-string `text` nests its brackets past
/// `max` (`Some(true)`: CPython's f-string scanner refuses it) or to `max`
/// (`Some(false)`: its tokenizer does). Strings inside the expressions
/// are not told apart: an approximation, as nesting that deep is.
fn fstring_too_deep(text: &str, max: usize) -> Option<bool> {
    let b = text.as_bytes();
    let (mut i, mut nested, mut in_expr, mut deepest) = (0, 0_usize, false, 0_usize);
    while i < b.len() {
        match (in_expr, b[i]) {
            (false, b'{' | b'}') if b.get(i + 1) == Some(&b[i]) => i += 1,
            (false, b'{') => (in_expr, nested) = (true, 0),
            (true, b'(' | b'[' | b'{') => {
                nested += 1;
                if nested > max {
                    return Some(true);
                }
                deepest = deepest.max(nested);
            }
            (true, b'}') if nested == 0 => in_expr = false,
            (true, b')' | b']' | b'}') => nested = nested.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    (deepest >= max).then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        assert_eq!(bracket_error("x = ('(' + \"[\" + f'{{')  # ]\n"), None);
        assert_eq!(bracket_error("x = '''(\n''' + ')'\n"), None);
        assert_eq!(bracket_error("x = 'a\\'(' + (1)\n"), None);
    }

    #[test]
    fn the_innermost_bracket_left_open_is_reported() {
        assert_eq!(
            bracket_error("x = [1, (2,\n"),
            Some(BracketError::Unclosed {
                open: '(',
                offset: 8
            })
        );
        assert_eq!(
            bracket_error("x = (1]\n"),
            Some(BracketError::Mismatch {
                open: '(',
                open_offset: 4,
                close: ']',
                offset: 6
            })
        );
        assert_eq!(
            bracket_error("x = )\n"),
            Some(BracketError::Unmatched {
                close: ')',
                offset: 4
            })
        );
    }
}
