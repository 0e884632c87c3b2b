//! The gctrace v1 reader. Every mistake is reported once, as
//! `line N: <what is wrong>`, for the first offending line.
//!
//! [`Lines`] reads a trace as a stream, one line at a time, so that memory
//! does not grow with the trace's length: a line is at most
//! [`MAX_LINE_BYTES`], must be UTF-8 (a byte-order mark before the header
//! is skipped), and a token echoed in a message is cut to
//! [`MAX_SHOWN_CHARS`] characters, invisible ones written as `\u{…}`.

use std::io::{BufRead, Read};
use std::ops::Range;

use super::{Field, Line, MAX_REGISTER, Op, Reg, Value, WeakReg};
use crate::tooling::line_error::{LineError, LineErrorKind};
use crate::{Control, MAX_PAYLOAD, MAX_SLOTS};

/// The longest line a trace may have, in bytes (its line ending aside).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The most characters of one token an error message repeats.
pub const MAX_SHOWN_CHARS: usize = 40;

/// The UTF-8 byte-order mark, which some editors write at the start.
const BOM: &[u8] = b"\xEF\xBB\xBF";

type Result<T> = std::result::Result<T, String>;

/// A trace's operations, read from `input` as they are needed: an iterator
/// of [`Line`]s that ends after the last one or after the first error
/// (then the only error it yields).
#[derive(Debug)]
pub struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    number: u32,
    seen_header: bool,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    /// A reader of the gctrace text in `input`.
    pub fn new(input: R) -> Self {
        Lines {
            input,
            buf: Vec::new(),
            number: 0,
            seen_header: false,
            done: false,
        }
    }

    /// Reads the next line into `buf`; its text, without its ending, is
    /// `buf[range]`. `None` at the end.
    fn read_line(&mut self) -> std::result::Result<Option<Range<usize>>, LineError> {
        self.buf.clear();
        // Room for the longest line and its `\r\n`: more is too long.
        let limit = MAX_LINE_BYTES as u64 + 2;
        let read = <&mut R as Read>::take(&mut self.input, limit).read_until(b'\n', &mut self.buf);
        let next = self.number.saturating_add(1);
        let fail = |kind: LineErrorKind| kind.at(next);
        match read {
            Ok(0) => return Ok(None),
            Ok(_) => self.number = next,
            Err(e) => return Err(fail(LineErrorKind::Unreadable(e.to_string()))),
        }
        // As `str::lines`: `\n` or `\r\n` ends a line.
        let mut end = self.buf.len();
        if self.buf.ends_with(b"\n") {
            end -= 1;
            if self.buf[..end].ends_with(b"\r") {
                end -= 1;
            }
        }
        if end > MAX_LINE_BYTES {
            return Err(fail(LineErrorKind::Syntax(format!(
                "line longer than {MAX_LINE_BYTES} bytes"
            ))));
        }
        let start = if next == 1 && self.buf.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        Ok(Some(start..end.max(start)))
    }

    fn next_line(&mut self) -> std::result::Result<Option<Line>, LineError> {
        loop {
            let Some(range) = self.read_line()? else {
                if !self.seen_header {
                    let message = "missing header: a gctrace starts with `gctrace 1`";
                    return Err(LineErrorKind::Syntax(message.into()).at(self.number.max(1)));
                }
                return Ok(None);
            };
            let number = self.number;
            let fail = |message: String| LineErrorKind::Syntax(message).at(number);
            let raw =
                std::str::from_utf8(&self.buf[range]).map_err(|_| fail("not UTF-8".into()))?;
            let code = raw.split('#').next().unwrap_or("");
            let tokens: Vec<&str> = code.split([' ', '\t']).filter(|t| !t.is_empty()).collect();
            if tokens.is_empty() {
                continue;
            }
            if !self.seen_header {
                check_header(&tokens).map_err(fail)?;
                self.seen_header = true;
                continue;
            }
            let op = parse_op(&tokens).map_err(fail)?;
            return Ok(Some(Line { number, op }));
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = std::result::Result<Line, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_line().transpose();
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

/// `token` as an error message shows it: at most [`MAX_SHOWN_CHARS`]
/// characters (then `…`), control and invisible formatting characters
/// (a byte-order mark, zero-width spaces, direction marks) as `\u{…}`.
pub fn shown(token: &str) -> String {
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}' | '\u{feff}')
    };
    let mut s = String::new();
    for (i, c) in token.chars().enumerate() {
        if i == MAX_SHOWN_CHARS {
            s.push('…');
            break;
        }
        if invisible(c) {
            s.extend(c.escape_unicode());
        } else {
            s.push(c);
        }
    }
    s
}

fn check_header(tokens: &[&str]) -> Result<()> {
    match tokens {
        ["gctrace", "1"] => Ok(()),
        ["gctrace", v] => Err(format!(
            "unsupported gctrace version `{}`: this reader knows version 1",
            shown(v)
        )),
        _ => Err(format!(
            "missing header: expected `gctrace 1`, found `{}`",
            shown(&tokens.join(" "))
        )),
    }
}

fn parse_op(t: &[&str]) -> Result<Op> {
    let (name, args) = (t[0], &t[1..]);
    if let Some(collector) = name.strip_prefix("expect@") {
        return parse_expect(Some(collector), args);
    }
    match name {
        "new" => parse_new(args),
        "set" => {
            arity("set", args, 2, "set rO.I rS")?;
            let (object, slot) = slot_ref(args[0])?;
            Ok(Op::Set {
                object,
                slot,
                value: value(args[1])?,
            })
        }
        "get" => {
            arity("get", args, 2, "get rD rO.I")?;
            let (object, slot) = slot_ref(args[1])?;
            Ok(Op::Get {
                dst: reg(args[0])?,
                object,
                slot,
            })
        }
        "mov" => {
            arity("mov", args, 2, "mov rD rS")?;
            Ok(Op::Mov {
                dst: reg(args[0])?,
                src: reg(args[1])?,
            })
        }
        "del" => {
            arity("del", args, 1, "del rD")?;
            Ok(Op::Del(reg(args[0])?))
        }
        "collect" => match args {
            [] => Ok(Op::Collect(None)),
            [g] => match number(g, "generation")? {
                n @ 0..=2 => Ok(Op::Collect(Some(n as u8))),
                n => Err(format!("generation {n} out of range: expected 0, 1 or 2")),
            },
            _ => Err(too_many("collect", "collect [G]")),
        },
        "fin" => match args {
            [o] => Ok(Op::Fin {
                object: reg(o)?,
                resurrect: false,
            }),
            [o, "resurrect"] => Ok(Op::Fin {
                object: reg(o)?,
                resurrect: true,
            }),
            [_, m] => Err(format!(
                "unknown finalizer modifier `{}`: expected `resurrect`",
                shown(m)
            )),
            [] => Err(missing("fin", "fin rO [resurrect]")),
            _ => Err(too_many("fin", "fin rO [resurrect]")),
        },
        "unsave" => {
            arity("unsave", args, 0, "unsave")?;
            Ok(Op::Unsave)
        }
        "weak" => {
            let (dst, object, callback) = match args {
                [w, o] => (w, o, false),
                [w, o, "cb"] => (w, o, true),
                [_, _, m] => {
                    return Err(format!(
                        "unknown weak modifier `{}`: expected `cb`",
                        shown(m)
                    ));
                }
                [] | [_] => return Err(missing("weak", "weak wD rO [cb]")),
                _ => return Err(too_many("weak", "weak wD rO [cb]")),
            };
            Ok(Op::Weak {
                dst: weak_reg(dst)?,
                object: reg(object)?,
                callback,
            })
        }
        "wget" => {
            arity("wget", args, 2, "wget rD wS")?;
            Ok(Op::Wget {
                dst: reg(args[0])?,
                src: weak_reg(args[1])?,
            })
        }
        "wdel" => {
            arity("wdel", args, 1, "wdel wD")?;
            Ok(Op::Wdel(weak_reg(args[0])?))
        }
        "gc" => parse_gc(args).map(Op::Gc),
        "expect" => parse_expect(None, args),
        "gctrace" => Err("duplicate header: `gctrace` may appear only once".into()),
        other => Err(format!("unknown operation `{}`", shown(other))),
    }
}

fn parse_new(args: &[&str]) -> Result<Op> {
    let (dst, kind, rest) = match args {
        [dst, kind, rest @ ..] => (reg(dst)?, *kind, rest),
        _ => {
            return Err(missing(
                "new",
                "new rD node S B | new rD tuple … | new rD atom B",
            ));
        }
    };
    match kind {
        "node" => {
            arity("new … node", rest, 2, "new rD node S B")?;
            let slots = bounded(rest[0], "slot count", MAX_SLOTS as u64)?;
            let payload = bounded(rest[1], "payload size", MAX_PAYLOAD as u64)?;
            Ok(Op::NewNode {
                dst,
                slots,
                payload,
            })
        }
        "atom" => {
            arity("new … atom", rest, 1, "new rD atom B")?;
            let payload = bounded(rest[0], "payload size", MAX_PAYLOAD as u64)?;
            Ok(Op::NewAtom { dst, payload })
        }
        "tuple" => {
            if rest.len() > MAX_SLOTS {
                return Err(format!(
                    "tuple of {} members: at most {MAX_SLOTS}",
                    rest.len()
                ));
            }
            let members = rest.iter().map(|m| value(m)).collect::<Result<_>>()?;
            Ok(Op::NewTuple { dst, members })
        }
        other => Err(format!(
            "unknown object kind `{}`: expected node, tuple or atom",
            shown(other)
        )),
    }
}

fn parse_gc(args: &[&str]) -> Result<Control> {
    match args {
        ["threshold", ts @ ..] => {
            let ts = ts
                .iter()
                .map(|t| number(t, "threshold"))
                .collect::<Result<Vec<_>>>()?;
            match ts[..] {
                [t0] => Ok(Control::Threshold(t0, None, None)),
                [t0, t1] => Ok(Control::Threshold(t0, Some(t1), None)),
                [t0, t1, t2] => Ok(Control::Threshold(t0, Some(t1), Some(t2))),
                [] => Err(missing("gc threshold", "gc threshold T0 [T1 [T2]]")),
                _ => Err(too_many("gc threshold", "gc threshold T0 [T1 [T2]]")),
            }
        }
        ["enable"] => Ok(Control::Enable),
        ["disable"] => Ok(Control::Disable),
        ["freeze"] => Ok(Control::Freeze),
        ["unfreeze"] => Ok(Control::Unfreeze),
        ["debug", "saveall"] => Ok(Control::DebugSaveAll),
        ["debug", "off"] => Ok(Control::DebugOff),
        ["garbage", "clear"] => Ok(Control::GarbageClear),
        [] => Err(missing("gc", "gc CONTROL")),
        _ => Err(format!(
            "unknown gc control `{}`: expected threshold, enable, disable, freeze, unfreeze, \
             debug saveall, debug off or garbage clear",
            shown(&args.join(" "))
        )),
    }
}

fn parse_expect(collector: Option<&str>, args: &[&str]) -> Result<Op> {
    if let Some(name) = collector {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(format!(
                "bad collector name `{}` after `expect@`",
                shown(name)
            ));
        }
    }
    arity("expect", args, 2, "expect FIELD N")?;
    let field = Field::ALL
        .into_iter()
        .find(|f| f.name() == args[0])
        .ok_or_else(|| {
            format!(
                "unknown expect field `{}`: expected collected, uncollectable, live, finalized, \
                 callbacks, garbage or saved",
                args[0]
            )
        })?;
    Ok(Op::Expect {
        collector: collector.map(str::to_owned),
        field,
        value: number(args[1], "expected value")?,
    })
}

fn arity(op: &str, args: &[&str], n: usize, usage: &str) -> Result<()> {
    match args.len().cmp(&n) {
        std::cmp::Ordering::Less => Err(missing(op, usage)),
        std::cmp::Ordering::Greater => Err(too_many(op, usage)),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

fn missing(op: &str, usage: &str) -> String {
    format!("missing operand for `{op}`: expected `{usage}`")
}

fn too_many(op: &str, usage: &str) -> String {
    format!("too many operands for `{op}`: expected `{usage}`")
}

fn number(token: &str, what: &str) -> Result<u64> {
    if !token.bytes().all(|b| b.is_ascii_digit()) || token.is_empty() {
        return Err(format!(
            "bad {what} `{}`: expected a non-negative integer",
            shown(token)
        ));
    }
    token
        .parse()
        .map_err(|_| format!("bad {what} `{}`: too large", shown(token)))
}

fn bounded(token: &str, what: &str, max: u64) -> Result<u32> {
    let n = number(token, what)?;
    if n > max {
        return Err(format!("{what} {n} too large: at most {max}"));
    }
    Ok(n as u32)
}

fn register_number(token: &str, prefix: char, what: &str) -> Result<u32> {
    let digits = token
        .strip_prefix(prefix)
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("bad {what} `{}`: expected `{prefix}N`", shown(token)))?;
    match digits.parse::<u64>() {
        Ok(n) if n <= u64::from(MAX_REGISTER) => Ok(n as u32),
        _ => Err(format!(
            "{what} `{}` out of range: at most {prefix}{MAX_REGISTER}",
            shown(token)
        )),
    }
}

fn reg(token: &str) -> Result<Reg> {
    if token.starts_with('w') {
        return Err(format!(
            "weak register `{}` where a strong register `rN` is needed",
            shown(token)
        ));
    }
    register_number(token, 'r', "register").map(Reg)
}

fn weak_reg(token: &str) -> Result<WeakReg> {
    if token.starts_with('r') {
        return Err(format!(
            "strong register `{}` where a weak register `wN` is needed",
            shown(token)
        ));
    }
    register_number(token, 'w', "weak register").map(WeakReg)
}

fn value(token: &str) -> Result<Value> {
    if token == "nil" {
        Ok(Value::Nil)
    } else {
        reg(token).map(Value::Reg)
    }
}

fn slot_ref(token: &str) -> Result<(Reg, u32)> {
    let (r, i) = token
        .split_once('.')
        .ok_or_else(|| format!("bad slot reference `{}`: expected `rO.I`", shown(token)))?;
    let index = number(i, "slot index")?;
    let index = u32::try_from(index).map_err(|_| format!("slot index {index} too large"))?;
    Ok((reg(r)?, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tooling::trace::Trace;

    fn parse(text: &str) -> std::result::Result<Trace, LineError> {
        Trace::parse(text)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_the_spec_example() {
        let t = parse(
            "gctrace 1\n# c\nnew r0 node 1 16      # a\nset r0.0 r0\nexpect@refcount live 1\n",
        )
        .unwrap();
        assert_eq!(t.lines.len(), 3);
        assert_eq!(t.lines[0].number, 3);
        assert_eq!(
            t.lines[1].op,
            Op::Set {
                object: Reg(0),
                slot: 0,
                value: Value::Reg(Reg(0))
            }
        );
    }

    // Each malformed-trace kind, with the exact line reported.
    #[test]
    fn missing_header() {
        assert_eq!(
            err("\n# x\nnew r0 atom 1\n"),
            "line 3: missing header: expected `gctrace 1`, found `new r0 atom 1`"
        );
        assert_eq!(
            err(""),
            "line 1: missing header: a gctrace starts with `gctrace 1`"
        );
    }
    #[test]
    fn wrong_version() {
        assert!(err("gctrace 2\n").starts_with("line 1: unsupported gctrace version `2`"));
    }
    #[test]
    fn unknown_operation() {
        assert_eq!(
            err("gctrace 1\n\nalloc r0\n"),
            "line 3: unknown operation `alloc`"
        );
    }
    #[test]
    fn bad_register() {
        assert!(err("gctrace 1\ndel x0\n").starts_with("line 2: bad register `x0`"));
        assert!(err("gctrace 1\ndel r\n").starts_with("line 2: bad register `r`"));
    }
    #[test]
    fn register_out_of_range() {
        assert!(parse("gctrace 1\ndel r1048575\n").is_ok());
        assert!(
            err("gctrace 1\ndel r1048576\n")
                .starts_with("line 2: register `r1048576` out of range")
        );
    }
    #[test]
    fn missing_operand() {
        assert!(err("gctrace 1\nmov r0\n").starts_with("line 2: missing operand for `mov`"));
        assert!(err("gctrace 1\nnew r0 node 1\n").starts_with("line 2: missing operand"));
    }
    #[test]
    fn extra_operand() {
        assert!(err("gctrace 1\ndel r0 r1\n").starts_with("line 2: too many operands for `del`"));
    }
    #[test]
    fn bad_integer() {
        assert!(err("gctrace 1\nnew r0 atom -1\n").starts_with("line 2: bad payload size `-1`"));
        assert!(err("gctrace 1\nnew r0 node x 0\n").starts_with("line 2: bad slot count `x`"));
    }
    #[test]
    fn slot_count_too_large() {
        assert!(parse("gctrace 1\nnew r0 node 16777216 0\n").is_ok());
        assert!(
            err("gctrace 1\nnew r0 node 16777217 0\n")
                .starts_with("line 2: slot count 16777217 too large")
        );
    }
    #[test]
    fn payload_too_large() {
        assert!(
            err("gctrace 1\nnew r0 atom 1073741825\n")
                .starts_with("line 2: payload size 1073741825 too large")
        );
    }
    #[test]
    fn unknown_kind() {
        assert!(
            err("gctrace 1\nnew r0 list 1\n").starts_with("line 2: unknown object kind `list`")
        );
    }
    #[test]
    fn bad_slot_reference() {
        assert!(err("gctrace 1\nset r0 r1\n").starts_with("line 2: bad slot reference `r0`"));
        assert!(err("gctrace 1\nget r0 r1.x\n").starts_with("line 2: bad slot index `x`"));
    }
    #[test]
    fn generation_out_of_range() {
        assert_eq!(
            err("gctrace 1\ncollect 3\n"),
            "line 2: generation 3 out of range: expected 0, 1 or 2"
        );
    }
    #[test]
    fn unknown_gc_control() {
        assert!(err("gctrace 1\ngc sweep\n").starts_with("line 2: unknown gc control `sweep`"));
        assert!(
            err("gctrace 1\ngc threshold 1 2 3 4\n")
                .starts_with("line 2: too many operands for `gc threshold`")
        );
    }
    #[test]
    fn unknown_expect_field() {
        assert!(
            err("gctrace 1\nexpect alive 1\n").starts_with("line 2: unknown expect field `alive`")
        );
        assert!(err("gctrace 1\nexpect@ live 1\n").starts_with("line 2: bad collector name"));
    }
    #[test]
    fn weak_and_strong_registers_are_not_interchangeable() {
        assert!(
            err("gctrace 1\nmov r0 w1\n").starts_with("line 2: weak register `w1` where a strong")
        );
        assert!(
            err("gctrace 1\nwdel r1\n").starts_with("line 2: strong register `r1` where a weak")
        );
    }
    #[test]
    fn bad_modifiers() {
        assert!(
            err("gctrace 1\nfin r0 forever\n")
                .starts_with("line 2: unknown finalizer modifier `forever`")
        );
        assert!(
            err("gctrace 1\nweak w0 r0 callback\n")
                .starts_with("line 2: unknown weak modifier `callback`")
        );
    }
    #[test]
    fn duplicate_header() {
        assert!(err("gctrace 1\ngctrace 1\n").starts_with("line 2: duplicate header"));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "reads 1 MiB lines: minutes under Miri for safe code; runs natively"
    )]
    fn a_line_over_the_limit_is_an_error_not_an_allocation() {
        let long = format!(
            "gctrace 1\nnew r0 atom 1\n{}\n",
            "x".repeat(MAX_LINE_BYTES + 1)
        );
        assert_eq!(
            err(&long),
            format!("line 3: line longer than {MAX_LINE_BYTES} bytes")
        );
        // Endless input without a newline (`/dev/zero`): the reader stops at
        // the limit.
        let mut lines = Lines::new(std::io::BufReader::new(std::io::repeat(0)));
        let first = lines.next().unwrap().unwrap_err();
        assert_eq!(
            first.to_string(),
            format!("line 1: line longer than {MAX_LINE_BYTES} bytes")
        );
        assert!(lines.next().is_none(), "nothing after the first error");
        // A line of exactly the limit is fine.
        let fits = format!(
            "gctrace 1\n#{}\r\nnew r0 atom 1",
            "x".repeat(MAX_LINE_BYTES - 1)
        );
        assert_eq!(parse(&fits).unwrap().lines[0].number, 3);
    }

    #[test]
    fn lines_are_read_one_at_a_time() {
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("gone"))
            }
        }
        let input =
            std::io::BufReader::new("gctrace 1\n\nnew r0 atom 1\n".as_bytes().chain(Broken));
        let mut lines = Lines::new(input);
        assert_eq!(lines.next().unwrap().unwrap().number, 3);
        assert_eq!(
            lines.next().unwrap().unwrap_err().to_string(),
            "line 4: cannot read the trace: gone"
        );
        assert!(lines.next().is_none());
    }

    #[test]
    fn a_byte_order_mark_before_the_header_is_skipped() {
        let t = parse("\u{feff}gctrace 1\nnew r0 atom 1\n").unwrap();
        assert_eq!(t.lines.len(), 1);
        // Anywhere else it is named, not shown as an invisible character.
        assert_eq!(
            err("gctrace 1\n\u{feff}new r0 atom 1\n"),
            "line 2: unknown operation `\\u{feff}new`"
        );
    }

    #[test]
    fn invalid_utf8_is_named_with_its_line() {
        let mut bytes = b"gctrace 1\nnew r0 atom 1\nnew r1 atom ".to_vec();
        bytes.extend([0xff, 0xfe, b'\n']);
        let e = Trace::read(&bytes[..]).unwrap_err();
        assert_eq!(e.to_string(), "line 3: not UTF-8");
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "parses a 1 MiB token: minutes under Miri; runs natively"
    )]
    fn a_long_token_is_cut_in_the_message() {
        let token = "q".repeat(MAX_LINE_BYTES - 20);
        let e = err(&format!("gctrace 1\nnew {token} atom 1\n"));
        assert_eq!(
            e,
            format!(
                "line 2: bad register `{}…`: expected `rN`",
                "q".repeat(MAX_SHOWN_CHARS)
            )
        );
        assert_eq!(shown("r1"), "r1");
        assert_eq!(shown(&"é".repeat(41)), format!("{}…", "é".repeat(40)));
    }

    #[test]
    fn every_op_round_trips_through_text() {
        let text = "gctrace 1\nnew r0 node 3 8\nnew r1 tuple r0 nil r0\nnew r2 atom 4\nset r0.2 r1\n\
            set r0.0 nil\nget r3 r1.1\nmov r4 r3\ndel r4\ncollect\ncollect 1\nfin r0\nfin r1 resurrect\n\
            unsave\nweak w0 r0\nweak w1 r0 cb\nwget r5 w1\nwdel w0\ngc threshold 700 10 10\ngc threshold 5\n\
            gc enable\ngc disable\ngc freeze\ngc unfreeze\ngc debug saveall\ngc debug off\ngc garbage clear\n\
            expect live 3\nexpect@generational collected 2\n";
        let t = parse(text).unwrap();
        assert_eq!(t.to_text(), text);
        assert_eq!(Trace::from_ops(t.lines.iter().map(|l| l.op.clone())), t);
    }
}
