//! Tracebacks, printed as the modelled runtime prints them: CPython 3.11's
//! (`Python/traceback.c`: every frame's source line, and carets under
//! where it was, elided when they would underline the whole line), or
//! PyPy's (the source lines, no carets).
//!
//! Where a frame was is the code position of its last instruction, which
//! here is the innermost expression (or statement) that failed: the first
//! to see a [`PyErr`](crate::interp::PyErr) without a [`Spot`] gives it
//! its own, and a call that the exception leaves moves that spot into a
//! [`TbFrame`], so that the call itself is the caller's spot.

use std::rc::Rc;

use rustpython_parser::ast::{self, Ranged};

use crate::source::LineIndex;

/// Where a frame was: an expression, or a statement when no expression
/// of it failed (`raise`, `assert`, `x += 1`, a `for` given a non-iterable).
#[derive(Clone, Copy, Debug)]
pub enum Spot {
    Expr(&'static ast::Expr),
    Stmt(&'static ast::Stmt),
}

impl Spot {
    /// Its code position, byte offsets into the source. An attribute read
    /// over several lines is at its name, on the last line (as CPython
    /// 3.11's `update_start_location_to_match_attr` places it).
    fn range(self, src: &Source) -> (usize, usize) {
        let r = match self {
            Spot::Expr(e) => e.range(),
            Spot::Stmt(s) => s.range(),
        };
        let (start, end) = (r.start().to_usize(), r.end().to_usize());
        // A method call whose attribute spans lines starts at the method's
        // name too.
        let attribute = match self {
            Spot::Expr(ast::Expr::Attribute(a)) => Some(a),
            Spot::Expr(ast::Expr::Call(c)) => match &*c.func {
                ast::Expr::Attribute(a) => Some(a),
                _ => None,
            },
            _ => None,
        };
        if let Some(a) = attribute {
            let attr_end = a.range.end().to_usize();
            if src.lines.line(a.range.start().to_usize()) != src.lines.line(attr_end) {
                let name_start = attr_end.saturating_sub(a.attr.as_str().len());
                if name_start >= src.lines.start(src.lines.line(attr_end)) {
                    return (name_start, end);
                }
            }
        }
        (start, end)
    }
}

/// A frame an exception left: its function's name and where it was.
#[derive(Clone, Debug)]
pub struct TbFrame {
    pub func: Rc<str>,
    pub spot: Spot,
}

/// The program's text, to print its lines.
#[derive(Debug)]
pub struct Source {
    pub file: String,
    pub text: String,
    pub lines: LineIndex,
}

/// How a traceback is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// CPython 3.11: source lines and carets.
    Cpython,
    /// PyPy: source lines only.
    Pypy,
    /// No source lines (CPython at exit).
    Bare,
}

/// CPython's `PyTraceBack_LIMIT`: at most this many frames are printed.
const TRACEBACK_LIMIT: usize = 1000;

/// CPython's `TB_RECURSIVE_CUTOFF`: a frame line repeated more often is
/// shown this many times, then counted.
const RECURSIVE_CUTOFF: usize = 3;

/// The lines of a traceback of `frames` (outermost first), without the
/// `Traceback (most recent call last):` header and the exception's line.
pub fn format(src: &Source, style: Style, frames: &[TbFrame]) -> String {
    // `sys.tracebacklimit`'s default: the innermost frames only.
    let frames = &frames[frames.len().saturating_sub(TRACEBACK_LIMIT)..];
    let mut out = String::new();
    let mut last: Option<(usize, &str)> = None;
    let mut count = 0;
    for f in frames {
        let (start, _) = f.spot.range(src);
        let line = src.lines.line(start);
        if last != Some((line, &*f.func)) {
            repeated(&mut out, count);
            last = Some((line, &*f.func));
            count = 0;
        }
        count += 1;
        if count <= RECURSIVE_CUTOFF {
            out.push_str(&format!(
                "  File \"{}\", line {line}, in {}\n",
                src.file, f.func
            ));
            if style != Style::Bare {
                source_line(&mut out, src, style, f.spot, line);
            }
        }
    }
    repeated(&mut out, count);
    out
}

/// `[Previous line repeated N more times]` when a line was shown
/// `count` times in a row and more than the cutoff.
fn repeated(out: &mut String, count: usize) {
    if count > RECURSIVE_CUTOFF {
        let n = count - RECURSIVE_CUTOFF;
        let times = if n > 1 { "times" } else { "time" };
        out.push_str(&format!("  [Previous line repeated {n} more {times}]\n"));
    }
}

/// CPython's `IS_WHITESPACE` of the caret code (and the indentation
/// `display_source_line` strips).
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// The frame's source line, stripped of its indentation, and (CPython)
/// the carets under `spot`.
fn source_line(out: &mut String, src: &Source, style: Style, spot: Spot, line: usize) {
    let Some(text) = src.lines.text(&src.text, line) else {
        return;
    };
    let text = text.strip_suffix('\r').unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    let indent = chars.iter().take_while(|&&c| is_blank(c)).count();
    out.push_str("    ");
    out.extend(&chars[indent..]);
    out.push('\n');
    if style == Style::Cpython {
        carets(out, src, spot, line, &chars, indent);
    }
}

/// The character column of byte `offset` of the source within line
/// `line` (0-based).
fn column(src: &Source, line: usize, offset: usize) -> usize {
    let line_start = src.lines.start(line);
    src.text[line_start..offset.max(line_start)].chars().count()
}

/// `tb_displayline`'s carets: `^` under the spot; for a binary operation
/// `~` under its operands and `^` under the operator, for a subscript `~`
/// under the value and `^` under the brackets. None when plain carets
/// would underline the whole (stripped) line.
fn carets(out: &mut String, src: &Source, spot: Spot, line: usize, chars: &[char], indent: usize) {
    let (start_byte, end_byte) = spot.range(src);
    let start = column(src, line, start_byte);
    let single_line = src.lines.line(end_byte) == line;
    let end = if single_line {
        column(src, line, end_byte)
    } else {
        // A spot over several lines: up to the first line's last
        // non-blank character.
        chars
            .iter()
            .rposition(|&c| !is_blank(c))
            .map_or(0, |i| i + 1)
    };
    if start > end || end > chars.len() {
        return;
    }
    let anchors = match spot {
        Spot::Expr(e) if single_line => anchors(&chars[start..end], e, start_byte),
        _ => None,
    };
    if end - start == chars.len() - indent && anchors.is_none() {
        return;
    }
    let (primary, secondary) = if anchors.is_some() {
        ('~', '^')
    } else {
        ('^', '^')
    };
    let (left, right) = anchors.map_or((usize::MAX, usize::MAX), |(l, r)| (start + l, start + r));
    out.push_str("    ");
    for c in indent..end {
        out.push(if c < start {
            ' '
        } else if left <= c && c < right {
            secondary
        } else {
            primary
        });
    }
    out.push('\n');
}

/// `extract_anchors_from_expr` on the spot's own text `segment` (the
/// expression starting at byte `base`): the operator of a binary
/// operation, the brackets of a subscript, as character offsets into the
/// segment.
fn anchors(segment: &[char], e: &ast::Expr, base: usize) -> Option<(usize, usize)> {
    // Byte offsets of the node's parts, relative to the segment, as
    // character offsets (the segment holds what lies between).
    let text: String = segment.iter().collect();
    let rel = |offset: usize| -> usize {
        let b = offset.saturating_sub(base).min(text.len());
        text.get(..b).map_or(b, |s| s.chars().count())
    };
    let blank = |i: usize| segment.get(i).copied().is_some_and(is_blank);
    match e {
        ast::Expr::BinOp(b) => {
            let (from, to) = (
                rel(b.left.end().to_usize()),
                rel(b.right.start().to_usize()),
            );
            let mut found = None;
            let mut i = from;
            while i < to {
                if blank(i) {
                    i += 1;
                    continue;
                }
                let mut right = i + 1;
                // A two-character operator (`//`, `**`).
                if i + 1 < to && !blank(i + 1) {
                    right += 1;
                }
                found = Some((i, right));
                // A closing parenthesis of the left operand: go on.
                if i + 1 < to && segment[i] == ')' {
                    i += 1;
                    continue;
                }
                break;
            }
            found
        }
        ast::Expr::Subscript(s) => {
            let len = segment.len();
            let mut left = rel(s.value.end().to_usize());
            let mut right = rel(s.slice.end().to_usize()) + 1;
            while left < len && segment[left] != '[' {
                left += 1;
            }
            while right < len && segment[right] != ']' {
                right += 1;
            }
            if right < len {
                right += 1;
            }
            Some((left, right))
        }
        _ => None,
    }
}
