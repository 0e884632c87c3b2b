//! CPython 3.11's hints for three syntax errors that gc-py's parser only
//! calls "invalid syntax": its `invalid_legacy_expression` ("Missing
//! parentheses in call to 'print'"), `invalid_named_expression` (an `=`
//! in a condition or a bracket: "Maybe you meant '==' or ':=' instead of
//! '='?") and `invalid_expression` (two expressions side by side in a
//! bracket: "Perhaps you forgot a comma?"), each with the range its carets
//! mark.
//!
//! Each is recognised from the offending token (where the parser stopped)
//! and the text of its line, and only when everything it needs is on that
//! line (a bracket it is in closes there) and parses as CPython's rule
//! wants; anything else keeps the plain message, whose carets span the
//! offending token ([`token_len`]), as CPython's do.

use rustpython_parser::Parse;
use rustpython_parser::ast::{Expr, Ranged};

use crate::targets::{SyntaxErrorAt, misused_equals, operand_level};

/// The hint for a syntax error at byte `off` of `source`, if one applies.
pub fn hint(source: &str, off: usize) -> Option<SyntaxErrorAt> {
    let line = Line::at(source, off)?;
    legacy_call(&line)
        .or_else(|| equals_sign(&line))
        .or_else(|| missing_comma(&line))
}

/// The line of the error, up to the error and after it.
struct Line<'a> {
    source: &'a str,
    /// Where the line's text starts (after its indentation).
    start: usize,
    /// The offending token.
    off: usize,
    /// Where the line ends (before a comment or the newline).
    end: usize,
    /// The brackets open at `off`, innermost last: their offsets.
    open: Vec<usize>,
    /// The offsets of the `,` and `=` at the innermost bracket's depth.
    separators: Vec<usize>,
}

impl<'a> Line<'a> {
    /// `None` when the line continues an earlier one (a bracket still open
    /// there), has a triple-quoted string before `off`, or `off` is not
    /// on it.
    fn at(source: &'a str, off: usize) -> Option<Self> {
        let begin = source[..off].rfind('\n').map_or(0, |i| i + 1);
        let text_end = source[off..].find('\n').map_or(source.len(), |i| off + i);
        let start = begin + (source[begin..].len() - source[begin..].trim_start().len());
        if off < start {
            return None;
        }
        let (mut open, mut separators) = (Vec::new(), Vec::new());
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut end = text_end;
        for (i, c) in source[begin..text_end].char_indices() {
            let at = begin + i;
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                continue;
            }
            if at >= off {
                if c == '#' {
                    end = at;
                    break;
                }
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                continue;
            }
            match c {
                '"' | '\'' => {
                    if source[at..].starts_with("\"\"\"") || source[at..].starts_with("'''") {
                        return None;
                    }
                    quote = Some(c);
                }
                '(' | '[' | '{' => {
                    open.push(at);
                    separators.clear();
                }
                ')' | ']' | '}' => {
                    open.pop()?;
                    separators.clear();
                }
                ',' => separators.push(at),
                // A dict's, a lambda's or a slice's `:` (a `:=` is marked
                // at its `=`).
                ':' if !source[at + 1..].starts_with('=') => separators.push(at),
                // A lone `=` (a keyword argument's) or a `:=`'s, not part
                // of `==`, `<=`, `+=` or the like.
                '=' if !source[at + 1..].starts_with('=')
                    && !source[..at].ends_with([
                        '=', '!', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '@',
                    ]) =>
                {
                    separators.push(at)
                }
                '#' => return None,
                _ => {}
            }
        }
        if quote.is_some() && off < end {
            return None;
        }
        // Unclosed brackets of earlier lines: not ours to read.
        // Unclosed brackets (or a string) of earlier lines: not ours to
        // read.
        if !balanced(&source[..begin]) {
            return None;
        }
        Some(Line {
            source,
            start,
            off,
            end: source[..end].trim_end().len().max(off),
            open,
            separators,
        })
    }

    /// Where the expression in front of `off` starts: after the innermost
    /// open bracket or the last `,` or `=` at its depth, or at `floor`.
    fn element_start(&self, floor: usize) -> usize {
        let after = [self.open.last(), self.separators.last()]
            .into_iter()
            .flatten()
            .map(|&i| i + 1)
            .max()
            .unwrap_or(0)
            .max(floor);
        after + (self.source[after..].len() - self.source[after..].trim_start().len())
    }

    /// Whether the innermost bracket open at the error closes later on its
    /// line (when it does not, CPython's tokenizer may report it never
    /// closed, or the parser stop elsewhere: no hint then).
    fn bracket_closes(&self) -> bool {
        stop_outside_brackets(&self.source[self.off..self.end], &[]).is_some()
    }

    /// Where the text after `from` that can be an expression ends: the
    /// next `,`, `:` or closing bracket outside brackets opened after
    /// `from`, or the line's end.
    fn element_end(&self, from: usize) -> usize {
        let Some(text) = self.source.get(from..self.end) else {
            return from;
        };
        stop_outside_brackets(text, &[',', ':']).map_or(self.end, |(i, _)| from + i)
    }
}

/// The first closing bracket in `text` that closes none opened in it, or
/// the first of `stops` outside every bracket opened in it (strings
/// skipped): its offset and itself.
fn stop_outside_brackets(text: &str, stops: &[char]) -> Option<(usize, char)> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return Some((i, c)),
            ')' | ']' | '}' => depth -= 1,
            c if depth == 0 && stops.contains(&c) => return Some((i, c)),
            _ => {}
        }
    }
    None
}

/// `text` alone as an expression.
fn expression(text: &str) -> Option<Expr> {
    Expr::parse(text, "<hint>").ok()
}

/// The longest start of `source[from..to]` that is an expression, cut
/// between two tokens (a space, or a name or number and what is not part
/// of it): its end.
fn longest_expression(source: &str, from: usize, to: usize) -> Option<usize> {
    let text = &source[from..to];
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut cuts: Vec<usize> = text
        .char_indices()
        .skip(1)
        .filter(|&(i, c)| {
            let before = text[..i].chars().next_back().unwrap_or(' ');
            c == ' ' || !(word(c) && word(before))
        })
        .map(|(i, _)| i)
        .collect();
    cuts.push(text.len());
    cuts.into_iter()
        .rev()
        .map(|cut| text[..cut].trim_end())
        .find(|t| !t.is_empty() && expression(t).is_some())
        .map(|t| from + t.len())
}

/// `print "x"`, `exec code`: "Missing parentheses in call to 'print'.
/// Did you mean print(...)?", from the name to the end of what follows.
fn legacy_call(line: &Line<'_>) -> Option<SyntaxErrorAt> {
    let text = &line.source[line.start..line.off];
    let name = ["print", "exec"]
        .into_iter()
        .find(|n| text.trim_end() == *n && text.len() > n.len())?;
    let rest = &line.source[line.off..line.end];
    if rest.starts_with(['(', '=', '.', '[']) || expression(rest).is_none() {
        return None;
    }
    Some(SyntaxErrorAt {
        start: line.start,
        end: line.end,
        message: format!("Missing parentheses in call to '{name}'. Did you mean {name}(...)?"),
    })
}

/// An `=` where an expression goes on: after an `if`, `elif` or `while`,
/// or inside a bracket that is not a call's.
fn equals_sign(line: &Line<'_>) -> Option<SyntaxErrorAt> {
    let s = line.source;
    let off = line.off;
    if !s[off..].starts_with('=') || s[off..].starts_with("==") {
        return None;
    }
    let keyword = ["if ", "elif ", "while "]
        .into_iter()
        .find(|k| s[line.start..].starts_with(k));
    let floor = match (keyword, line.open.last()) {
        (_, Some(&bracket)) => {
            if is_call(&s[..bracket]) || !line.bracket_closes() {
                return None;
            }
            bracket + 1
        }
        (Some(k), None) => line.start + k.len(),
        (None, None) => return None,
    };
    // After a `:` (a dict's value, a lambda's body, a slice) CPython
    // reads an expression, not a named one: no hint.
    if line
        .separators
        .last()
        .is_some_and(|&i| i >= floor && s[i..].starts_with(':'))
    {
        return None;
    }
    let a_start = line.element_start(floor);
    let a = expression(s.get(a_start..off)?.trim_end())?;
    let b_start = off + 1 + (s[off + 1..].len() - s[off + 1..].trim_start().len());
    let b_end = line.element_end(b_start);
    let b = expression(s[b_start..b_end].trim_end())?;
    if !operand_level(&b) {
        return None;
    }
    let b_end = b_start + s[b_start..b_end].trim_end().len();
    // CPython's lookahead after `b`: no `=` or `:=` token.
    let after = s[b_end..].trim_start();
    if after.starts_with(":=") || (after.starts_with('=') && !after.starts_with("==")) {
        return None;
    }
    let grouped = s[a_start..].starts_with('(') && a.start().to_usize() > 0;
    misused_equals(s, &a, a_start, a_start, grouped, b_end)
}

/// Two expressions side by side inside a bracket (`print(1 2)`):
/// "invalid syntax. Perhaps you forgot a comma?", over both.
fn missing_comma(line: &Line<'_>) -> Option<SyntaxErrorAt> {
    let s = line.source;
    let &bracket = line.open.last()?;
    if !line.bracket_closes() {
        return None;
    }
    // A function's parameters are not expressions.
    let head = s[line.start..bracket].trim_end();
    if head.starts_with("def ") || head.starts_with("async def ") {
        return None;
    }
    let a_start = line.element_start(bracket + 1);
    // `*a b`, `**a b`: the expression after the stars.
    let stars = s[a_start..].len() - s[a_start..].trim_start_matches('*').len();
    let a_start = a_start + stars;
    let a_start = a_start + (s[a_start..].len() - s[a_start..].trim_start().len());
    // `(yield a b)`: the expression after the keyword.
    let keyword = ["yield from ", "yield "]
        .into_iter()
        .find(|k| s[a_start..].starts_with(k))
        .map_or(0, str::len);
    let a_start = a_start + keyword;
    let a_text = s.get(a_start..line.off)?.trim_end();
    let a = expression(a_text)?;
    // `a` is CPython's `disjunction`: no conditional or lambda at its top.
    if matches!(a, Expr::IfExp(_) | Expr::Lambda(_) | Expr::NamedExpr(_)) {
        return None;
    }
    let b_end = longest_expression(s, line.off, line.element_end(line.off))?;
    // CPython's lookahead: not a name then a string, not a soft keyword.
    // CPython 3.11 compares only the name's own length with "match",
    // "case" and "_", so `m`, `ca` or `matc` count as soft keywords too.
    let first_name = &a_text[..a_text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(a_text.len())];
    let soft = !first_name.is_empty()
        && ["match", "case", "_"]
            .iter()
            .any(|k| k.starts_with(first_name));
    if (matches!(a, Expr::Name(_)) && s[line.off..].starts_with(['"', '\''])) || soft {
        return None;
    }
    Some(SyntaxErrorAt {
        start: a_start,
        end: b_end,
        message: "invalid syntax. Perhaps you forgot a comma?".to_owned(),
    })
}

/// Whether the bracket after `before` is a call's (or a subscript's): it
/// follows a name that is not a keyword, or a closing bracket.
fn is_call(before: &str) -> bool {
    let before = before.trim_end();
    if before.ends_with([')', ']']) {
        return true;
    }
    let word_start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let word = &before[word_start..];
    const KEYWORDS: [&str; 18] = [
        "if", "elif", "while", "and", "or", "not", "in", "is", "return", "yield", "assert", "del",
        "for", "else", "lambda", "await", "from", "import",
    ];
    !word.is_empty() && !KEYWORDS.contains(&word)
}

/// Whether `text` (whole lines) leaves no bracket or string open,
/// comments aside.
fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let next = i + c.len_utf8();
        i = match c {
            '#' => text[i..].find('\n').map_or(text.len(), |j| i + j),
            '"' | '\'' => {
                let triple: String = [c; 3].iter().collect();
                let close = if text[i..].starts_with(&triple) {
                    text[i + 3..].find(&triple).map(|j| i + 3 + j + 3)
                } else {
                    string_end(text, next, c)
                };
                match close {
                    Some(close) => close,
                    None => return false,
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                next
            }
            ')' | ']' | '}' => {
                depth -= 1;
                next
            }
            _ => next,
        };
    }
    depth == 0
}

/// Where the one-line string whose text starts at `from` (after its
/// opening `quote`) ends, past its closing quote; `None` when the line
/// ends first.
fn string_end(text: &str, from: usize, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (j, d) in text[from..].char_indices() {
        if d == '\n' {
            return None;
        }
        if !escaped && d == quote {
            return Some(from + j + 1);
        }
        escaped = !escaped && d == '\\';
    }
    None
}

/// The length in characters of the token at byte `off`: CPython's carets
/// for a plain "invalid syntax" span it. A name or number, a string with
/// its prefix, or an operator.
pub fn token_len(source: &str, off: usize) -> usize {
    let rest = &source[off..];
    let number = rest.starts_with(|c: char| c.is_ascii_digit());
    let word = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || (number && c == '.')))
        .unwrap_or(rest.len());
    if let Some(q) = rest[word..]
        .chars()
        .next()
        .filter(|&q| q == '"' || q == '\'')
        && ["", "r", "u", "b", "f", "br", "rb", "fr", "rf"]
            .contains(&rest[..word].to_ascii_lowercase().as_str())
        && let Some(end) = string_end(rest, word + 1, q)
    {
        return rest[..end].chars().count();
    }
    if word > 0 {
        return rest[..word].chars().count();
    }
    const OPERATORS: [&str; 25] = [
        "**=", "//=", ">>=", "<<=", "...", "**", "//", "==", "!=", "<=", ">=", "->", "+=", "-=",
        "*=", "/=", "%=", "&=", "|=", "^=", ":=", "<<", ">>", "@=", "<>",
    ];
    OPERATORS
        .iter()
        .find(|o| rest.starts_with(*o))
        .map_or(1, |o| o.len())
}
