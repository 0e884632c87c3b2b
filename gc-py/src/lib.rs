//! # gc-py — a small Python whose every object lives in one of our collectors
//!
//! A tree-walking interpreter for a subset of Python 3, parsed with
//! `rustpython-parser`, generic over [`gc_core::Collector`]: the same
//! evaluator runs on `refcount`, `generational` (CPython 3.11's cycle
//! collector) and `marksweep` (PyPy's incminimark), chosen once at the
//! edge ([`run`]). Every collector call is in [`heap`].
//!
//! ## The object mapping (CPython's)
//!
//! - every list, dict, tuple and instance is exactly one container: a node
//!   (a tuple for tuples) whose slots hold its items; an instance keeps its
//!   attributes inline in its own slots (as CPython 3.11), in the order of
//!   its class's attribute layout. Past the slots it was made with, a list,
//!   dict or instance grows in place (on `marksweep`, which cannot resize
//!   an object, it moves its items to one overflow storage node);
//! - `str` and `int` values (64-bit; overflow is an `OverflowError`),
//!   `None`, `True` and `False` are untracked atoms once stored in a
//!   container (the evaluator keeps them unboxed in variables);
//! - classes, functions and modules live outside the collected heap
//!   (immortal); a weak reference object is a container without slots
//!   on `generational` (CPython's collector tracks weakrefs: `gc.collect()`
//!   counts them, DEBUG_SAVEALL saves them), an atom elsewhere;
//! - the roots are the frames' variables and the evaluator's temporaries.
//!
//! `__del__` runs the program's method with `self` readable, once per
//! object (PEP 442), and may resurrect `self`; an exception leaving it is
//! printed as `Exception ignored in: …` and the program goes on (a
//! `__del__` that is not a function, `__del__ = 5`, is called all the
//! same: its `TypeError` is printed so, as CPython and PyPy do). It runs
//! where the modelled runtime runs it: under reference counting at the
//! moment the last reference goes, inside the statement (inside a running
//! `__del__` too: nested, as in CPython; what an object held when its
//! `__del__` ran is finalized when it is freed, before the next object of
//! the same container; a temporary
//! dropped by an argument's evaluation goes before the call it is passed
//! to, as CPython releases it, and the callbacks of the weak references
//! it cleared follow); on `generational` inside the collection (after the
//! callbacks of the weak references the collection cleared),
//! which then frees what `__del__` left unreachable and counts it, so
//! `gc.collect()` is one collection returning CPython's number; under
//! `marksweep`, after the collection (before `gc.collect()` returns, else
//! at the next statement boundary), as on PyPy.
//!
//! At exit, `generational` does what CPython's finalization does: a
//! collection while the collector is enabled, then the globals and what
//! only they hold finalized together in one more, unless a program
//! function in `gc.callbacks` or an instance in `gc.garbage` keeps them
//! alive through the globals its functions hold; that one's `__del__`
//! still reads every global (the module's dict is garbage but intact
//! there, as in CPython). The heap objects the classes hold as
//! attributes (`Registry.open = [Resource()]`) are garbage in that
//! collection too, as a class is in CPython, and read through it
//! meanwhile. Their finalizers may run in another order than CPython's:
//! gc-py's classes live outside the heap, so what they hold keeps its
//! place in the collector's lists, where CPython's full collections move
//! it behind the objects that refer to it. `refcount` drops the globals
//! one at a time in order (a `__del__` reads those not yet dropped) and,
//! as CPython without its cycle collector, never frees a class or what
//! it holds; `marksweep`, as PyPy, runs no finalizer.
//!
//! A weak reference object that dies in the collection that finds its
//! referent dead calls nothing back (CPython skips the weakrefs in the
//! garbage; PyPy never calls back a dead weakref). On `generational` the
//! weakref object is in the collector's unreachable set with its
//! referent, so one that the collection frees only after a `__del__` of
//! the same garbage has run is not called back either (that `__del__`
//! reads it cleared).
//!
//! The finalizer hook is the interpreter itself: the heap calls it
//! ([`gc_core::Embedding::on_finalize_nested_with`] on the CPython
//! strategies, [`gc_core::Embedding::on_finalize_with`] on `marksweep`,
//! whose finalizers run one after another) with the interpreter's state,
//! which the interpreter lends ([`gc_core::embed::lend`]) around every heap
//! operation that may finalize.
//!
//! A list, dict or instance that outgrows the slots it was made with
//! grows in place (`Collector::resize`), staying one container, as in
//! CPython; on `marksweep`, which cannot resize an object, it moves its
//! items to a second container, as PyPy's lists keep theirs.
//!
//! Dicts are tracked as CPython tracks them (on `generational`,
//! `Gc::track_as_dict`): `gc.is_tracked({})` and `gc.is_tracked({"a": 1})`
//! are `False` until a container is stored, and a full collection
//! untracks a dict that holds none again; `gc.is_tracked(())` is `False`
//! (CPython's empty tuple is a static singleton). Functions and classes are atoms
//! here, so a dict that holds only those is untracked where CPython
//! tracks it.
//!
//! A tuple display of constants (`(0, 0)`, `((1, "a"), -1, None)`) is
//! one object made before the program runs, as the compiler makes it
//! (`src/consts.rs`): equal ones are one object across the module on
//! the CPython strategies and within one function or class body on
//! `marksweep` (PyPy's), so `(0, 0) is (0, 0)` holds and a constant tuple
//! is never garbage. CPython also folds arithmetic on constants
//! (`(1 + 1,)`); gc-py makes that tuple afresh each time.
//!
//! `gc.get_count()` counts what `gc-generational` counts: every container
//! allocated, less every one freed, since the last collection (its trace
//! model has no free lists, on purpose: its docs say why). CPython's
//! count moves only with the allocations that reach its allocator and
//! the frees that leave it: a tuple, list or dict taken from its free
//! list (refilled as they die, emptied by a full collection) counts
//! nothing, and one freed into it uncounts nothing, the tuple
//! `gc.get_count()` returns included; its own internal allocations
//! (`print`'s, for one) count too. So the numbers agree only where
//! neither is involved: straight after `gc.collect()`, `(x, 2)` counts one
//! in both, but CPython's next `gc.get_count()` also counts the tuple the
//! first one returned, and `l = [x]; l = None` leaves CPython's count one
//! higher. This is documented, not modelled: automatic collections follow
//! gc-py's count, so they may come earlier or later than CPython's.
//!
//! `gc.garbage` is a list the program may `append` to, index, iterate,
//! compare and `clear()`; on `generational` it is the collector's own list, which
//! DEBUG_SAVEALL fills (its other list methods, operators and item
//! assignment are not supported there), elsewhere (PyPy's, a refcount-only runtime's) a
//! plain list nothing fills. At exit, the last collection calls no
//! `gc.callbacks`, and a program function in `gc.callbacks` keeps the
//! globals alive (its `__globals__`), as in CPython.
//!
//! ## The subset
//!
//! Statements: expressions; assignment to names, attributes, subscripts
//! and tuples of them (`a, b = x, y`, `a = b = x`); augmented assignment
//! (`+=`, `-=`, `*=`, `//=`, `%=`; a target's object and key evaluated
//! once); `del` of names, attributes,
//! subscripts; `if`/`elif`/`else`; `while`; `for … in` (range, list, tuple,
//! dict keys, str, kept alive to the loop's end as CPython's iterator
//! keeps it; a dict that changes size while iterated is a
//! `RuntimeError`, as in CPython); `break`, `continue`, `pass`; `def` with positional
//! parameters and `return` (a nested `def` sees its own variables and the
//! globals: no closures, so one that reads a local name of the function
//! around it is refused); `class` with methods and class attributes (the
//! body reads the names it bound before the globals, as CPython's class
//! namespace), single inheritance, and of the special methods `__init__`,
//! `__del__`, `__repr__` and `__str__` (a class that defines another, such
//! as `__eq__` or `__len__`, or binds one by assignment, `__eq__ = eq`,
//! in its body or later, is refused rather than have it ignored; one of
//! the four bound to a value that is not a function, `__init__ = print`,
//! is called without the instance, as CPython calls it);
//! `import gc`, `import weakref`, `import sys`.
//!
//! Expressions: int, str, f-strings (`{x}`, `{x!r}`, `{x!s}`), `None`,
//! `True`, `False` (ints, as in CPython: `True + 1`, `l[True]`); `+ - *
//! // %` on ints, `+` on strs, lists and tuples, `*` of a str, list or tuple by
//! an int (`l *= n` in place); comparisons (lists and tuples ordered item
//! by item), `is`, `in`, `not`, `and`, `or`, `x if c else y`; calls,
//! attributes, subscripts; list, tuple and dict displays.
//! Builtins: `print` (`sep`, `end`, `flush`, `file=None`), `len`, `str`,
//! `repr`, `range` (indexed, and equal by the numbers it holds),
//! `isinstance` (a class, `str`, `list`, `dict`, or a tuple of them), `id`
//! (of heap objects), `abs`, `min`, `max`, `list`, `dict`; list `append`,
//! `pop`, `clear`; dict `get`, `keys`, `items`, `values` (as lists),
//! `pop`, `clear`.
//!
//! Modules: `gc` (`collect`, `enable`, `disable`, `isenabled`,
//! `get_count`, `get_threshold`, `set_threshold` (C `int`s, as CPython's:
//! a negative threshold is always passed), `is_tracked`, `freeze`,
//! `unfreeze`, `get_freeze_count`, `garbage`, `set_debug(gc.DEBUG_SAVEALL
//! | 0)`, `callbacks` — a list whose functions are called with `"start"` /
//! `"stop"` and `{"generation", "collected", "uncollectable"}` around every
//! collection, automatic ones included, on `generational`),
//! `weakref.ref(obj[, callback])` (without a callback, the referent's
//! basic weak reference while it lives, as in CPython and PyPy),
//! `sys.getrefcount`, `sys.setrecursionlimit`, `sys.getrecursionlimit`.
//!
//! On `marksweep`, as in PyPy's interpreter, the weak references to the
//! objects a collection finalizes are cleared before the first `__del__`
//! runs and stay cleared if it resurrects them (their callbacks run when
//! the object is freed); so are the weak references to the objects only
//! such an object keeps alive, as PyPy clears them (`gc-marksweep` keeps
//! them, as the docs of its resurrecting finalizers say, and names them:
//! `IncMiniMark::take_spared_weaks`), not those to what a finalizable
//! object that waits for a later collection keeps alive.
//!
//! On `marksweep`, `gc.collect(generation)` runs a full collection
//! whatever the number and returns `None`, as on PyPy, and a cycle
//! of objects with `__del__` is finalized one object per collection (what
//! pypy3 7.3 does; `gc-marksweep`'s tests record it). What the modelled
//! runtime's modules lack is an `AttributeError` that says why: on
//! `marksweep`, as on PyPy, `sys.getrefcount` and the generation API of
//! `gc` (`get_count`, `get_threshold`, `set_threshold`, `is_tracked`,
//! `freeze`, `unfreeze`, `get_freeze_count`, `set_debug`, `callbacks`); on `refcount`,
//! `gc.get_count`, `gc.get_threshold` (no generations) and `gc.is_tracked`
//! (no cycle collector to track objects).
//!
//! Values that are not heap objects here — bound methods, built-in
//! functions, modules, `range` objects and dict views — live in
//! variables only: storing one in a list, dict, tuple or attribute
//! (`self.cb = self.method`) is not supported ("storing a method in a
//! container is not supported", exit 2); store the function or the
//! object instead.
//!
//! Anything else is `FILE:LINE: <construct> is not supported` (exit 2).
//! A syntax error is printed as CPython prints it (exit 1; a bracket
//! never closed, unmatched or mismatched gets its tokenizer's message, and
//! an assignment, augmented assignment, `del`, `for` or `with` target it
//! refuses, such as `1 = x`, its compiler's message and carets; its hints
//! for `print "x"`, `if x = 1:` and `f(a b)` on one line too), an uncaught
//! exception as the modelled runtime's traceback (exit 1: CPython 3.11's
//! frames, source lines and carets; PyPy's, without carets, on
//! `marksweep`), after which the exit's finalization runs as after a
//! normal end (CPython: what the traceback's frames held, then the
//! globals), with CPython's `Did you mean: 'x'?` for a misspelt name or
//! attribute. A builtin or a method of a builtin type that CPython has and
//! gc-py does not is not supported (not a `NameError` or an
//! `AttributeError`). Recursion is limited as in CPython
//! (1000 frames, the module's included: `RecursionError`), and the
//! evaluator runs on a thread with a large stack, so the process never
//! overflows its stack.

#![forbid(unsafe_code)]

mod builtins;
mod check;
mod consts;
#[rustfmt::skip]
mod cpython_names;
pub mod heap;
mod hints;
mod interp;
mod jumps;
mod objects;
mod source;
mod suggest;
mod targets;
mod traceback;
mod value;
mod verify;
mod walk;
mod warnings;
pub use verify::EndCheck;

use std::io::{IsTerminal, Write};

use rustpython_parser::{Parse, ParseErrorType, ast};

use gc_core::Embedding;
pub use heap::{Heap, Strategy};
use interp::{Exc, Interp, State};
pub use source::{LineIndex, Unsupported};

/// The parser's peak address space per token of source, with a margin:
/// its allocations cannot fail softly (a refused one aborts the process),
/// so the room is asked for first. Measured as the smallest `ulimit -v`
/// that parses, less an empty program's: 80–84 bytes a token for 6 MB of
/// short assignments or of lists of one-digit ints, 145 for 4 MB of a
/// name on every line, and 208 for 1.2 MB of that, whose 600,000
/// statements sit in a vector grown to 1,048,576 (one just past a power
/// of two would take 2 × the room it fills, and 3 × while it moves). So
/// a few megabytes of source may be refused under a cap that would have
/// held them; CPython's own parser needs more still (python3 gives up with
/// `MemoryError` on a 6.5 MB program under a 250 MB cap).
pub const PARSE_BYTES_PER_TOKEN: usize = 320;

/// What the parse needs per byte of source besides its tokens: the
/// program's text kept for tracebacks, its line index (a word per line:
/// up to 4 bytes a byte), and a string literal's value, built by the lexer
/// in a buffer that doubles (up to 2 bytes a byte while it moves). A long
/// string or comment is one token but all of this.
pub const PARSE_BYTES_PER_SOURCE_BYTE: usize = 8;

/// A copy of `text`, or `None` when the system refuses the room for it.
fn copy_text(text: &str) -> Option<String> {
    let mut copy = String::new();
    copy.try_reserve_exact(text.len()).ok()?;
    copy.push_str(text);
    Some(copy)
}

/// Whether the address space has room for the parser's `tokens` tokens
/// ([`PARSE_BYTES_PER_TOKEN`] each): asked for and given back at once,
/// committing no memory. Refused, the program is a `MemoryError` before
/// the parser starts.
fn room_to_parse(tokens: usize, len: usize) -> bool {
    tokens
        .checked_mul(PARSE_BYTES_PER_TOKEN)
        .zip(len.checked_mul(PARSE_BYTES_PER_SOURCE_BYTE))
        .and_then(|(a, b)| a.checked_add(b))
        .is_some_and(|bytes| gc_core::tooling::threads::address_space(bytes).is_ok())
}

/// The deepest recursion the evaluator runs on a [`STACK_BYTES`] stack
/// (what it holds with a wide margin); a smaller stack scales it down
/// ([`max_recursion_limit`]).
pub const MAX_RECURSION_LIMIT: usize = 20_000;

/// The stack of the evaluator's thread: reserved, not used, unless the
/// program recurses deeply.
pub const STACK_BYTES: usize = 1 << 30;

/// The stacks the evaluator's thread is started with, largest first: where
/// the address space is limited (`ulimit -v`) and the largest cannot be
/// reserved, the next is tried. The smallest still holds CPython's default
/// recursion limit (1,000) with the same margin.
const STACKS: [usize; 3] = [STACK_BYTES, STACK_BYTES / 4, STACK_BYTES / 16];

thread_local! {
    /// The stack the evaluator's thread runs on (the current thread's).
    static STACK: std::cell::Cell<usize> = const { std::cell::Cell::new(STACK_BYTES) };
}

/// The deepest recursion the evaluator runs (deeper is not supported,
/// whatever `sys.setrecursionlimit` says) on this
/// thread's evaluator stack: [`MAX_RECURSION_LIMIT`] in proportion to it.
pub fn max_recursion_limit() -> usize {
    let stack = STACK.with(std::cell::Cell::get);
    (MAX_RECURSION_LIMIT as u128 * stack as u128 / STACK_BYTES as u128) as usize
}

/// The collectors gc-py runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollectorName {
    /// `null`: allocates, never frees (the baseline of benchmarks; not on
    /// the command line of `gc-py`).
    Null,
    /// `refcount`.
    Refcount,
    /// `generational`.
    Generational,
    /// `marksweep`.
    Marksweep,
}

impl CollectorName {
    /// Every strategy.
    pub const ALL: [CollectorName; 3] = [
        CollectorName::Refcount,
        CollectorName::Generational,
        CollectorName::Marksweep,
    ];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectorName::Null => "null",
            CollectorName::Refcount => "refcount",
            CollectorName::Generational => "generational",
            CollectorName::Marksweep => "marksweep",
        }
    }

    /// The strategy of that name (`null` included).
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([CollectorName::Null])
            .find(|c| c.as_str() == s)
    }
}

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: a syntax error or an uncaught exception.
pub const EXIT_ERROR: i32 = 1;
/// Exit status: a construct outside the subset, or bad usage.
pub const EXIT_UNSUPPORTED: i32 = 2;
/// The exit status when standard output cannot be flushed at exit
/// (CPython's `Py_FinalizeEx` returns it).
pub const EXIT_FLUSH_FAILED: i32 = 120;

/// Where the program's `print` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Standard output (buffered; flushed before anything goes to stderr).
    Stdout,
    /// Nowhere (benchmarks).
    Discard,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The exit status.
    pub status: i32,
    /// The collector's totals at the end of the program (before the
    /// interpreter's own shutdown).
    pub stats: gc_core::Stats,
    /// Wall time from the first statement to the last (parsing and heap
    /// set-up excluded).
    pub wall: std::time::Duration,
    /// Statements executed.
    pub statements: u64,
    /// With [`run_traced`]: every collection as `(end ns, pause ns, kind)`.
    pub collections: Vec<(u64, u64, &'static str)>,
    /// With [`run_traced`]: the live heap every 1,024 statements, as
    /// `(ns, live payload bytes, live objects)`.
    pub samples: Vec<(u64, u64, u64)>,
    /// With [`run_traced`], when the program ended well: the live set at
    /// its end checked against what it can reach (`verify`).
    pub end_check: Option<Result<EndCheck, String>>,
}

/// Parses and runs `source` (shown as `file`) on the named collector,
/// printing to stdout and stderr; returns the exit status. Runs the
/// evaluator on a thread with a [`STACK_BYTES`] stack (or a smaller one
/// where the address space is limited: see [`max_recursion_limit`]).
pub fn run(collector: CollectorName, pairs: &[(String, String)], file: &str, source: &str) -> i32 {
    run_with(collector, pairs, file, source, Output::Stdout).status
}

/// [`run_with`] with the output discarded and every collection and a
/// sample of the live heap recorded (for `gc-bench`'s `py:` workloads).
pub fn run_traced(
    collector: CollectorName,
    pairs: &[(String, String)],
    file: &str,
    source: &str,
) -> Outcome {
    run_inner(collector, pairs, file, source, Output::Discard, true)
}

/// [`run`], with the output chosen and the collector's totals returned.
pub fn run_with(
    collector: CollectorName,
    pairs: &[(String, String)],
    file: &str,
    source: &str,
    output: Output,
) -> Outcome {
    run_inner(collector, pairs, file, source, output, false)
}

fn run_inner(
    collector: CollectorName,
    pairs: &[(String, String)],
    file: &str,
    source: &str,
    output: Output,
    traced: bool,
) -> Outcome {
    // One copy of the source, asked for fallibly, shared by the attempts.
    let Some(source) = copy_text(source) else {
        eprintln!("MemoryError");
        return Outcome::failed(EXIT_ERROR);
    };
    let source = std::sync::Arc::new(source);
    let mut refused = None;
    for stack in STACKS {
        let pairs = pairs.to_vec();
        let file = file.to_owned();
        let source = source.clone();
        let t = gc_core::tooling::threads::spawn("gc-py", stack, move || {
            STACK.with(|s| s.set(stack));
            match collector {
                CollectorName::Null => {
                    run_on::<gc_core::NullCollector>(&pairs, &file, &source, output, traced)
                }
                CollectorName::Refcount => {
                    run_on::<gc_refcount::RefCount>(&pairs, &file, &source, output, traced)
                }
                CollectorName::Generational => {
                    run_on::<gc_generational::Generational>(&pairs, &file, &source, output, traced)
                }
                CollectorName::Marksweep => {
                    run_on::<gc_marksweep::IncMiniMark>(&pairs, &file, &source, output, traced)
                }
            }
        });
        match t {
            Ok(t) => {
                return t.join().unwrap_or_else(|_| {
                    eprintln!("gc-py: internal error: the evaluator thread panicked");
                    Outcome::failed(EXIT_ERROR)
                });
            }
            Err(e) => refused = Some(e),
        }
    }
    let e = refused.map_or_else(|| "no stack size to try".to_owned(), |e| e.to_string());
    eprintln!(
        "gc-py: cannot start the evaluator thread (stack of {} MiB): {e}",
        STACKS[STACKS.len() - 1] >> 20
    );
    Outcome::failed(EXIT_ERROR)
}

fn syntax_error(file: &str, source: &str, e: &rustpython_parser::ParseError) -> i32 {
    let lines = LineIndex::new(source);
    let off = e.offset.to_usize().min(source.len());
    let (kind, mut msg) = match &e.error {
        ParseErrorType::Eof => ("SyntaxError", "unexpected EOF while parsing".to_string()),
        ParseErrorType::Lexical(l) => {
            let m = l.to_string();
            if m.contains("indent") {
                ("IndentationError", m)
            } else {
                ("SyntaxError", m)
            }
        }
        other => {
            let m = other.to_string();
            if m.contains("indent") {
                ("IndentationError", m)
            } else {
                ("SyntaxError", "invalid syntax".to_string())
            }
        }
    };
    let mut off = off;
    // CPython's tokenizer error wins over the parser's: a bad closing
    // bracket anywhere; a bracket left open at the end when the parser
    // ran into the end, or failed on a later line than the bracket's.
    if kind == "SyntaxError" {
        use source::BracketError as B;
        let line_of = |o: usize| lines.line(o);
        match source::bracket_error(source) {
            Some(B::Unclosed { open, offset })
                if matches!(e.error, ParseErrorType::Eof) || line_of(off) > line_of(offset) =>
            {
                msg = format!("'{open}' was never closed");
                off = offset;
            }
            Some(B::Unmatched { close, offset }) => {
                msg = format!("unmatched '{close}'");
                off = offset;
            }
            Some(B::Mismatch {
                open,
                open_offset,
                close,
                offset,
            }) => {
                msg = format!(
                    "closing parenthesis '{close}' does not match opening parenthesis '{open}'"
                );
                if line_of(open_offset) != line_of(offset) {
                    msg.push_str(&format!(" on line {}", line_of(open_offset)));
                }
                off = offset;
            }
            _ => {}
        }
    }
    if msg == "expected an indented block"
        && let Some(opener) = block_opener(source, lines.line(off))
    {
        msg.push_str(&opener);
    }
    if msg == "invalid syntax" {
        if let Some(h) = hints::hint(source, off) {
            return print_range_error(file, source, h.start, h.end, &h.message);
        }
        let width = hints::token_len(source, off);
        return print_syntax_error(file, source, kind, &msg, off, width);
    }
    print_syntax_error(file, source, kind, &msg, off, 1)
}

/// A `SyntaxError` whose carets span bytes `start..end` (to the end of
/// the first line).
fn print_range_error(file: &str, source: &str, start: usize, end: usize, msg: &str) -> i32 {
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let width = source[start..end.clamp(start, line_end)]
        .chars()
        .count()
        .max(1);
    print_syntax_error(file, source, "SyntaxError", msg, start, width)
}

/// `File "…", line N`, the line, `width` carets under byte `off` (none
/// for an unexpected indent, after the line for an unindent that matches
/// no level), then `KIND: MSG`, as CPython prints a syntax error.
fn print_syntax_error(
    file: &str,
    source: &str,
    kind: &str,
    msg: &str,
    off: usize,
    width: usize,
) -> i32 {
    let lines = LineIndex::new(source);
    let line = lines.line(off);
    let col = lines.column(off);
    eprintln!("  File \"{file}\", line {line}");
    if let Some(text) = source.lines().nth(line - 1) {
        let trimmed = text.trim_start();
        let skipped = text.len() - trimmed.len();
        let shown = trimmed.trim_end();
        eprintln!("    {shown}");
        // CPython's tokenizer shows no caret for an unexpected indent, and
        // puts it after the line for an unindent that matches no level.
        if msg != "unexpected indent" && msg != "too many levels of indentation" {
            let pad = if msg.starts_with("unindent does not match") {
                shown.len()
            } else {
                col.saturating_sub(1 + skipped)
            };
            eprintln!("    {}{}", " ".repeat(pad), "^".repeat(width));
        }
    }
    eprintln!("{kind}: {msg}");
    EXIT_ERROR
}

/// What CPython 3.11 adds to "expected an indented block": the statement
/// that opened the block, the last line with code before `line` (1-based),
/// as ` after 'if' statement on line 1`, ` after function definition on
/// line 1`; `None` when that line opens no block.
fn block_opener(source: &str, line: usize) -> Option<String> {
    let (at, text) = source
        .lines()
        .enumerate()
        .take(line.saturating_sub(1))
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .last()?;
    if !text.ends_with(':') {
        return None;
    }
    let word: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    match word.as_str() {
        "def" => Some(format!(" after function definition on line {at}")),
        "class" => Some(format!(" after class definition on line {at}")),
        "if" | "elif" | "else" | "for" | "while" | "try" | "except" | "finally" | "with" => {
            Some(format!(" after '{word}' statement on line {at}"))
        }
        _ => None,
    }
}

impl Outcome {
    fn failed(status: i32) -> Self {
        Outcome {
            status,
            stats: gc_core::Stats::default(),
            wall: std::time::Duration::ZERO,
            statements: 0,
            collections: Vec::new(),
            samples: Vec::new(),
            end_check: None,
        }
    }
}

fn run_on<C: Strategy>(
    pairs: &[(String, String)],
    file: &str,
    source: &str,
    output: Output,
    traced: bool,
) -> Outcome {
    let mut outcome = Outcome::failed(EXIT_ERROR);
    outcome.status = run_program::<C>(pairs, file, source, output, traced, &mut outcome);
    outcome
}

fn run_program<C: Strategy>(
    pairs: &[(String, String)],
    file: &str,
    source: &str,
    output: Output,
    traced: bool,
    outcome: &mut Outcome,
) -> i32 {
    if let Some(nul) = source.find('\0') {
        // CPython's tokenizer: the line up to the NUL, and no caret.
        let lines = LineIndex::new(source);
        let start = source[..nul].rfind('\n').map_or(0, |i| i + 1);
        eprintln!("  File \"{file}\", line {}", lines.line(nul));
        eprintln!("    {}", source[start..nul].trim_start());
        eprintln!("SyntaxError: source code cannot contain null bytes");
        return EXIT_ERROR;
    }
    // The lexer pass builds string literals too: room for them first.
    if !room_to_parse(0, source.len()) {
        eprintln!("MemoryError");
        return EXIT_ERROR;
    }
    let mut tokens = 0;
    if let Some(deep) = source::too_deep(source, &mut tokens) {
        let (kind, msg, offset) = match deep {
            source::TooDeep::Brackets { offset } => {
                ("SyntaxError", "too many nested parentheses", offset)
            }
            source::TooDeep::Blocks { offset } => {
                ("IndentationError", "too many levels of indentation", offset)
            }
            source::TooDeep::FString {
                offset,
                scanner: true,
            } => (
                "SyntaxError",
                "f-string: too many nested parenthesis",
                offset,
            ),
            source::TooDeep::FString { offset, .. } => {
                ("SyntaxError", "too many nested parentheses", offset)
            }
        };
        return print_syntax_error(file, source, kind, msg, offset, 1);
    }
    if !room_to_parse(tokens, source.len()) {
        // What CPython prints when its parser runs out of memory.
        eprintln!("MemoryError");
        return EXIT_ERROR;
    }
    let program = match ast::Suite::parse(source, file) {
        Ok(p) => p,
        Err(e) => return syntax_error(file, source, &e),
    };
    if let Err(t) = targets::check(&program, source) {
        return print_range_error(file, source, t.start, t.end, &t.message);
    }
    // CPython's symbol table stops at 3,000 levels; gc-py's evaluator
    // recurses per level too. (On every strategy: PyPy takes deeper.)
    if walk::too_deep_to_compile(&program) {
        // Dropping a tree that deep would recurse as deep: it is left.
        std::mem::forget(program);
        eprintln!("RecursionError: maximum recursion depth exceeded during compilation");
        return EXIT_ERROR;
    }
    if let Err(j) = jumps::check(&program) {
        return print_range_error(file, source, j.start, j.end, &j.message);
    }
    let lines = LineIndex::new(source);
    if let Err(u) = check::check(&program, &lines) {
        eprintln!("{file}:{}: {} is not supported", u.line, u.what);
        return EXIT_UNSUPPORTED;
    }
    // The compiler's warnings, as `warnings.showwarning` prints them.
    for w in warnings::check(&program, &lines, C::COLLECT_RETURNS_COUNT) {
        let text = lines.text(source, w.line).unwrap_or_default().trim();
        eprintln!("{file}:{}: SyntaxWarning: {}", w.line, w.message);
        if !text.is_empty() {
            eprintln!("  {text}");
        }
    }
    // The program's functions refer to its statements for the whole run.
    let program: &'static [ast::Stmt] = Box::leak(program.into_boxed_slice());
    let mut c = match heap::make::<C>(pairs) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gc-py: {e}");
            return EXIT_UNSUPPORTED;
        }
    };
    // CPython runs a `__del__` whose object a running `__del__` drops
    // inside it (nested); PyPy runs its finalizers one after another.
    let hooked = if C::COLLECT_RETURNS_COUNT {
        c.on_finalize_nested_with(interp::run_finalizer::<C>)
    } else {
        c.on_finalize_with(interp::run_finalizer::<C>)
    };
    if let Err(e) = hooked {
        eprintln!("gc-py: {e}");
        return EXIT_UNSUPPORTED;
    }
    let out: Box<dyn Write> = match output {
        // As CPython's: line-buffered to a terminal, else in blocks of
        // 8 KiB (`io.DEFAULT_BUFFER_SIZE`, `BufWriter`'s too).
        Output::Stdout if std::io::stdout().is_terminal() => Box::new(std::io::stdout()),
        Output::Stdout => Box::new(std::io::BufWriter::new(std::io::stdout())),
        Output::Discard => Box::new(std::io::sink()),
    };
    // PyPy runs finalizers between bytecodes, after the collection; CPython
    // at count zero and inside the collection.
    let lend_in_ops = C::COLLECT_RETURNS_COUNT;
    let src = traceback::Source {
        file: file.to_owned(),
        text: source.to_owned(),
        lines: LineIndex::new(source),
    };
    let mut st = State::new(src, out, lend_in_ops);
    let mut it = Interp {
        heap: Heap::new(&mut c),
        st: &mut st,
    };
    if let Err(e) = it.init().and_then(|()| it.make_const_tuples(program)) {
        // The heap's own words (a `max_heap` too small for the constants,
        // memory the system refuses).
        let why = match e {
            Exc::Py(p) => p.msg,
            _ => "the interpreter's constants could not be made".into(),
        };
        eprintln!("gc-py: cannot set up the heap: {why}");
        return EXIT_ERROR;
    }
    let started = std::time::Instant::now();
    if traced {
        it.st.log.trace = Some(heap::Trace {
            start: started,
            collections: Vec::new(),
        });
        it.st.samples = Some(vec![(0, 0, 0)]);
    }
    let mut r = it.exec_block(program).map(|_| ());
    if r.is_ok() {
        // What the last statements' collections reported.
        r = it.safe_point();
    }
    outcome.wall = started.elapsed();
    outcome.stats = it.heap.stats();
    outcome.statements = it.st.statements;
    if let Some(t) = it.st.log.trace.take() {
        outcome.collections = t.collections;
    }
    if let Some(mut s) = it.st.samples.take() {
        let st = outcome.stats;
        s.push((
            outcome.wall.as_nanos() as u64,
            st.live_bytes,
            st.live_objects,
        ));
        outcome.samples = s;
    }
    if traced && r.is_ok() {
        outcome.end_check = Some(verify::live_at_end(&mut it));
    }
    // An uncaught exception is printed first; then, as CPython's
    // `Py_FinalizeEx` after `PyErr_Print`, the exit's finalization runs
    // (what the traceback's frames held goes first, then the globals).
    let mut status = report_end(&mut it, file, r);
    if status != EXIT_UNSUPPORTED {
        let mut end = it.shutdown();
        // Memory the program ran out of is still short at exit: said once.
        if status != EXIT_OK && matches!(&end, Err(Exc::Py(p)) if p.kind == "MemoryError") {
            end = Ok(());
        }
        let end_status = report_end(&mut it, file, end);
        // A failed flush at exit decides the status, as `Py_RunMain`'s.
        if status == EXIT_OK || end_status == EXIT_FLUSH_FAILED {
            status = end_status;
        }
    }
    if status == EXIT_OK && output == Output::Stdout {
        report_leaks(&mut it);
    }
    status
}

/// Prints how the program (or its exit) ended, if with an error: the
/// exit status.
fn report_end<C: Strategy>(it: &mut Interp<'_, C>, file: &str, r: Result<(), Exc>) -> i32 {
    let flushed = it.st.out.flush();
    match r {
        Ok(()) => match flushed {
            Ok(()) => EXIT_OK,
            Err(e) => {
                // What CPython's `Py_FinalizeEx` says when standard
                // output cannot be flushed, and its status.
                it.st.out = Box::new(std::io::sink());
                let (kind, msg) = interp::os_error_text(&e);
                eprintln!(
                    "Exception ignored in: <_io.TextIOWrapper name='<stdout>' mode='w' encoding='utf-8'>"
                );
                eprintln!("{kind}: {msg}");
                EXIT_FLUSH_FAILED
            }
        },
        Err(Exc::Unsupported(u)) => {
            eprintln!("{file}:{}: {} is not supported", u.line, u.what);
            EXIT_UNSUPPORTED
        }
        Err(Exc::Py(mut p)) => {
            // CPython frees the failed operation's temporaries as it
            // unwinds, before it prints (their finalizers run first); the
            // frames stay with the exception. PyPy frees nothing at once.
            let flushed = if it.st.lend_in_ops {
                it.safe_point()
            } else {
                Ok(())
            };
            let _ = it.st.out.flush();
            // The module's frame, then the frames the exception left.
            let module = p.spot.map(|spot| traceback::TbFrame {
                func: std::rc::Rc::from("<module>"),
                spot,
            });
            let frames: Vec<_> = module
                .into_iter()
                .chain(std::mem::take(&mut p.frames).into_iter().rev())
                .collect();
            it.print_traceback(&frames);
            // CPython offers a close name when it prints the exception
            // that ends the program (PyPy 3.9 does not).
            let suggestion = match p.more.as_ref().and_then(|m| m.suggestion.as_ref()) {
                Some(s) if it.traceback_style() == traceback::Style::Cpython => {
                    format!(". Did you mean: '{s}'?")
                }
                _ => String::new(),
            };
            // An exception without a message is its name alone.
            let sep = if p.msg.is_empty() { "" } else { ": " };
            eprintln!("{}{sep}{}{suggestion}", p.kind, p.msg);
            // Kept as `sys.last_value` until the modules are torn down.
            it.st.last_exc = Some(p);
            match flushed {
                Err(Exc::Unsupported(u)) => {
                    eprintln!("{file}:{}: {} is not supported", u.line, u.what);
                    EXIT_UNSUPPORTED
                }
                _ => EXIT_ERROR,
            }
        }
    }
}

/// On `refcount`, what is left once every root is gone leaked in cycles:
/// every object left (the containers in the cycles and the atoms they
/// hold), then the two apart.
fn report_leaks<C: Strategy>(it: &mut Interp<'_, C>) {
    if it.heap.name() != "refcount" {
        return;
    }
    it.st.frames.clear();
    drop(it.st.globals.drain());
    it.st.consts = None;
    it.st.const_tuples.clear();
    it.st.weaks.clear();
    // What the classes hold stays: CPython's classes are never freed
    // without a cycle collector, nor what they hold (a finalizer there
    // never runs). Neither is a leak of the program's.
    let (held_containers, held_atoms) = held_by_classes(it);
    if let Ok((_, Some((containers, atoms)))) = it.heap.live()
        && let containers = containers.saturating_sub(held_containers)
        && let atoms = atoms.saturating_sub(held_atoms)
        && let all = containers + atoms
        && all > 0
    {
        eprintln!(
            "gc-py: {} leaked in reference cycles ({} and {} they hold): the refcount strategy has no cycle collector",
            counted(all, "object"),
            counted(containers, "container"),
            counted(atoms, "atom")
        );
    }
}

/// The objects the classes' attributes reach: (containers, atoms).
fn held_by_classes<C: Strategy>(it: &mut Interp<'_, C>) -> (u64, u64) {
    let mut stack = Vec::new();
    for k in it.st.classes.clone() {
        for v in k.attrs.borrow().values() {
            if let Some(r) = v.root()
                && let Ok(r) = it.heap.dup(r)
            {
                stack.push(r);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let (mut containers, mut atoms) = (0, 0);
    while let Some(r) = stack.pop() {
        let (Ok(id), Ok(kind)) = (it.heap.id(&r), it.heap.kind(&r)) else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        match kind {
            gc_core::Kind::Atom => atoms += 1,
            _ => containers += 1,
        }
        for i in 0..it.heap.slot_count(&r).unwrap_or(0) {
            if let Ok(Some(child)) = it.heap.get(&r, i) {
                stack.push(child);
            }
        }
    }
    (containers, atoms)
}

/// `1 object`, `2 objects`.
fn counted(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
