//! The evaluator: statements and expressions, frames and exceptions.

use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

use rustpython_parser::ast::{self, Ranged};

use gc_core::{Local, Scope};

use crate::consts::{self, Key};
use crate::cpython_names::{BUILTINS, MODULE_GLOBALS};
use crate::heap::{Heap, Log, Root, Slot, Strategy, Weak};
use crate::source::Unsupported;
use crate::suggest;
use crate::traceback::{Source, Spot, Style, TbFrame};
use crate::value::{Builtin, Class, Func, Module, Value, tag};

/// CPython's default recursion limit.
pub const DEFAULT_RECURSION_LIMIT: usize = 1000;

/// A Python exception (no `try` in the subset: it ends the program, or is
/// printed as "Exception ignored" when it leaves a `__del__`).
#[derive(Debug)]
pub struct PyErr {
    /// `NameError`, `TypeError`, …
    pub kind: &'static str,
    /// The message.
    pub msg: String,
    /// Where the frame it is in was: set by the innermost expression or
    /// statement that sees it (see [`crate::traceback`]).
    pub spot: Option<Spot>,
    /// The frames it left, innermost first.
    pub frames: Vec<TbFrame>,
    /// The rest, boxed: few exceptions carry it, and every evaluation's
    /// result has room for an exception. (Boxing the whole exception
    /// instead made `binary_trees.py` 1.13 x slower than before these
    /// exceptions grew, against 1.04 x for this; 11 interleaved runs.)
    pub more: Option<Box<More>>,
}

/// What few exceptions carry.
#[derive(Debug, Default)]
pub struct More {
    /// What CPython would add to its line when it ends the program: a
    /// close name (`Did you mean: …?`).
    pub suggestion: Option<String>,
    /// An `AttributeError`'s object (CPython's `AttributeError.obj`),
    /// which it keeps alive as long as it lives.
    pub obj: Option<Value>,
    /// The local variables of the frames it left, innermost first: its
    /// traceback keeps those frames alive, as in CPython, until it is
    /// dropped (after it is printed; at exit for the one that ends the
    /// program, which CPython keeps as `sys.last_traceback`).
    pub held: Vec<Vars>,
}

impl PyErr {
    pub fn new(kind: &'static str, msg: String) -> Self {
        PyErr {
            kind,
            msg,
            spot: None,
            frames: Vec::new(),
            more: None,
        }
    }

    /// Its [`More`], made if need be.
    pub fn more(&mut self) -> &mut More {
        self.more.get_or_insert_default()
    }
}

/// Values evaluated for one operation (a display's items, a call's
/// arguments): if the operation fails before it takes them, they are
/// dropped last first, as CPython unwinds its value stack.
pub struct Temps(pub Vec<Value>);

impl Temps {
    pub fn with_capacity(n: usize) -> Self {
        Temps(Vec::with_capacity(n))
    }

    /// The values, for the operation to take.
    pub fn take(mut self) -> Vec<Value> {
        std::mem::take(&mut self.0)
    }
}

impl Drop for Temps {
    fn drop(&mut self) {
        while let Some(v) = self.0.pop() {
            drop(v);
        }
    }
}

/// A `NameError` or `AttributeError` for `name`, suggesting the closest of
/// `candidates` (see [`crate::suggest`]).
pub fn err_suggesting<T>(kind: &'static str, msg: String, name: &str, candidates: &[&str]) -> R<T> {
    let mut e = PyErr::new(kind, msg);
    if let Some(s) = crate::suggest::closest(name, candidates) {
        e.more().suggestion = Some(s.to_owned());
    }
    Err(Exc::Py(e))
}

/// `e` leaving the frame of `func`, which was at `e`'s spot (else at
/// `fallback`): the frame joins its traceback, and the caller places it.
fn left_frame(mut e: Exc, func: &Rc<str>, fallback: Option<Spot>) -> Exc {
    if let Exc::Py(p) = &mut e
        && let Some(spot) = p.spot.take().or(fallback)
    {
        p.frames.push(TbFrame {
            func: func.clone(),
            spot,
        });
    }
    e
}

/// A local name read or deleted before it is bound.
fn unbound<T>(name: &str) -> R<T> {
    err(
        "UnboundLocalError",
        format!("cannot access local variable '{name}' where it is not associated with a value"),
    )
}

/// Gives `e` the spot `spot` unless a part of it already gave one.
fn at<T>(r: R<T>, spot: Spot) -> R<T> {
    r.map_err(|mut e| {
        if let Exc::Py(p) = &mut e
            && p.spot.is_none()
        {
            p.spot = Some(spot);
        }
        e
    })
}

/// Why evaluation stopped.
#[derive(Debug)]
pub enum Exc {
    /// A Python exception.
    Py(PyErr),
    /// A construct outside the subset.
    Unsupported(Unsupported),
}

pub type R<T> = Result<T, Exc>;

/// A Python exception of `kind`.
pub fn err<T>(kind: &'static str, msg: impl Into<String>) -> R<T> {
    Err(Exc::Py(PyErr::new(kind, msg.into())))
}

/// An I/O error as CPython raises it: `OSError: [Errno 28] No space left
/// on device`, `BrokenPipeError: [Errno 32] Broken pipe`.
pub fn os_error(e: std::io::Error) -> Exc {
    let (kind, msg) = os_error_text(&e);
    Exc::Py(PyErr::new(kind, msg))
}

/// [`os_error`]'s exception type and message.
pub fn os_error_text(e: &std::io::Error) -> (&'static str, String) {
    let kind = match e.kind() {
        std::io::ErrorKind::BrokenPipe => "BrokenPipeError",
        _ => "OSError",
    };
    let text = e.to_string();
    let msg = match e.raw_os_error() {
        Some(n) => format!(
            "[Errno {n}] {}",
            text.trim_end_matches(&format!(" (os error {n})"))
        ),
        None => text,
    };
    (kind, msg)
}

impl From<gc_core::GcError> for Exc {
    fn from(e: gc_core::GcError) -> Self {
        let kind = match e {
            gc_core::GcError::OutOfMemory { .. } => "MemoryError",
            gc_core::GcError::InvalidGeneration(_) => "ValueError",
            _ => "SystemError",
        };
        Exc::Py(PyErr::new(kind, e.to_string()))
    }
}

/// Where an augmented assignment reads and stores: a name, an attribute
/// of an object, or an item of one (object and key evaluated once).
enum Place {
    Name,
    Attr(Value, &'static str),
    Item(Value, Value),
}

/// Control flow out of a statement.
pub enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

/// FxHash (rustc's hasher): variable names are short and not
/// adversarial, and SipHash was a tenth of the evaluator's time.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildFx;

impl std::hash::BuildHasher for BuildFx {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

/// The hasher of [`BuildFx`].
#[derive(Debug)]
pub struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

/// Variables in insertion order (CPython clears a module's globals in
/// that order at exit).
#[derive(Debug, Default)]
pub struct Vars {
    index: HashMap<Rc<str>, usize, BuildFx>,
    slots: Vec<(Rc<str>, Option<Value>)>,
}

impl Vars {
    /// The names bound, in the order they were first bound.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.slots
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| &**n)
    }

    /// The values bound.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.slots.iter().filter_map(|(_, v)| v.as_ref())
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.index.get(name).and_then(|&i| self.slots[i].1.as_ref())
    }
    pub fn set(&mut self, name: &str, v: Value) -> Option<Value> {
        match self.index.get(name) {
            Some(&i) => self.slots[i].1.replace(v),
            None => {
                let name: Rc<str> = Rc::from(name);
                self.index.insert(name.clone(), self.slots.len());
                self.slots.push((name, Some(v)));
                None
            }
        }
    }
    /// Binds a parameter of a fresh frame (the name is shared, not copied).
    pub fn bind(&mut self, name: &Rc<str>, v: Value) {
        match self.index.get(&**name) {
            Some(&i) => self.slots[i].1 = Some(v),
            None => {
                self.index.insert(name.clone(), self.slots.len());
                self.slots.push((name.clone(), Some(v)));
            }
        }
    }
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.index.get(name).and_then(|&i| self.slots[i].1.take())
    }
    /// Takes every value out, first assigned first.
    pub fn drain(&mut self) -> Vec<Value> {
        self.drain_named().into_iter().map(|(_, v)| v).collect()
    }
    /// Takes every value out with its name, first assigned first.
    pub fn drain_named(&mut self) -> Vec<(Rc<str>, Value)> {
        self.index.clear();
        self.slots
            .drain(..)
            .filter_map(|(n, v)| v.map(|v| (n, v)))
            .collect()
    }
    /// How many names were ever bound (unbound ones included).
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    /// Unbinds the `i`-th name bound (in the order of first binding),
    /// leaving the others bound: its value, if it had one.
    pub fn take_at(&mut self, i: usize) -> Option<Value> {
        self.slots.get_mut(i).and_then(|(_, v)| v.take())
    }
}

/// The main module's globals during the last collection at exit
/// (`generational`): garbage, like CPython's module dict, and still
/// readable by the `__del__` that collection runs, as there. Values
/// outside the heap are kept as they are; the rest are read from the
/// container that holds the globals, re-rooted while it is still allocated.
pub struct ExitGlobals {
    /// Each name, with its value or its slot in the container.
    pub names: HashMap<Rc<str>, ExitGlobal>,
    /// The heap objects the classes held as attributes, moved into the
    /// container (CPython's classes are garbage with the module): by
    /// class index, each name's slot.
    pub class_attrs: HashMap<u32, HashMap<Rc<str>, usize>>,
    /// The container.
    pub dict: crate::heap::RerootKey,
}

/// One global at exit.
pub enum ExitGlobal {
    /// A value outside the heap (int, str, None, bool, function, class,
    /// module, range).
    Value(Value),
    /// A heap object: the container's slot that holds it.
    Slot(usize),
}

pub struct Frame {
    pub locals: Vars,
    /// The function it runs.
    pub func: Rc<Func>,
}

pub struct WeakEntry {
    /// The weak reference to the referent.
    pub target: Weak,
    /// A weak reference to the weakref object itself (to pass it to the
    /// callback, and to know it is gone).
    pub myself: Weak,
    pub callback: Option<Value>,
    /// The id of `target`.
    pub id: gc_core::WeakId,
    /// The weakref object's own id (an entry is reused once it dies).
    pub atom: gc_core::ObjectId,
    /// The referent's id.
    pub target_id: gc_core::ObjectId,
    /// Cleared before the referent's `__del__` ran (PyPy's
    /// `clear_all_weakrefs`): reads `None` from then on.
    pub cleared: bool,
}

/// The interpreter over a heap of strategy `C`: the heap and the
/// interpreter's own state, both borrowed, so that a finalizer can make one
/// from the heap it is called with and the state lent to it.
pub struct Interp<'h, C: Strategy> {
    pub heap: Heap<'h, C>,
    pub st: &'h mut State,
}

/// Everything the interpreter keeps besides the heap: frames, classes,
/// output. Lent to the finalizer hook around the heap operations that may
/// finalize ([`Interp::lend`]).
pub struct State {
    /// The program's file name and text.
    pub src: Source,
    pub globals: Vars,
    pub frames: Vec<Frame>,
    /// The classes whose bodies are running, innermost last, each with
    /// the depth of `frames` its body runs at: a name the body reads is
    /// looked up in what the body has bound so far first.
    pub class_bodies: Vec<(Rc<Class>, usize)>,
    pub classes: Vec<Rc<Class>>,
    pub funcs: Vec<Rc<Func>>,
    pub weaks: Vec<Option<WeakEntry>>,
    /// Free entries of `weaks`.
    pub weak_free: Vec<usize>,
    pub weak_by_id: HashMap<gc_core::WeakId, usize>,
    /// The live entries of `weaks` by referent (on `marksweep`, to clear
    /// them before the referent's `__del__`).
    pub weaks_by_target: HashMap<gc_core::ObjectId, Vec<usize>>,
    /// Hash indexes of the larger dicts, by dict (see `objects::DictIndex`).
    pub dict_index: HashMap<gc_core::ObjectId, crate::value::DictIndex>,
    pub consts: Option<Consts>,
    /// The constant tuple displays, by node ([`consts::address`]), each
    /// holding its object (made before the program runs).
    pub const_tuples: HashMap<usize, Root>,
    pub depth: usize,
    pub recursion_limit: usize,
    /// The deepest the evaluator's stack holds, once
    /// `sys.setrecursionlimit` has asked for more
    /// ([`crate::max_recursion_limit`]): deeper is not supported.
    pub depth_cap: usize,
    pub gc_enabled: bool,
    pub line: usize,
    /// Where the running frame is (its statement, or the target or call
    /// being stored, deleted or made): the spot of an exception raised
    /// outside any expression of it (a `__del__` that is not a function).
    pub spot: Option<Spot>,
    pub out: Box<dyn Write>,
    /// `__del__` calls so far.
    pub del_runs: u64,
    /// Statements executed.
    pub statements: u64,
    /// With tracing on: the live heap every 1,024 statements.
    pub samples: Option<Vec<(u64, u64, u64)>>,
    /// The collector's events seen so far.
    pub log: Log,
    /// An error that must stop the program (an unsupported construct),
    /// raised in a `__del__` the heap ran.
    pub del_error: Option<Exc>,
    /// `gc.callbacks`, once the program asked for it.
    pub gc_callbacks: Option<Root>,
    /// The program has ended: what runs now runs in no frame of it.
    pub at_exit: bool,
    /// The main module is being torn down (after the first collection at
    /// exit): CPython's tracebacks print no source lines from here on.
    pub teardown: bool,
    /// The exception that ended the program, with what it keeps alive
    /// (CPython's `sys.last_value` and `sys.last_traceback`, cleared as
    /// the modules are torn down).
    pub last_exc: Option<PyErr>,
    /// `gc.garbage` where the collector keeps none, once asked for.
    pub gc_garbage: Option<Root>,
    /// The globals during the last collection at exit, on `generational`.
    pub exit_globals: Option<ExitGlobals>,
    /// Lend the state to every heap operation that may finalize (CPython:
    /// `__del__` at count zero and inside the collection), or only at safe
    /// points and `gc.collect()` (PyPy runs finalizers after the
    /// collection, between bytecodes).
    pub lend_in_ops: bool,
    /// Finalizer hooks running, one inside another.
    pub finalizing: usize,
    /// Objects whose `__del__` would have run deeper than
    /// [`TRASHCAN_DEPTH`]: run, last first, when the outermost hook ends.
    pub deferred_dels: Vec<Root>,
}

/// How deep finalizer hooks nest before the next is deferred: CPython's
/// trashcan (`PyTrash_UNWIND_LEVEL`), which lets a chain of objects whose
/// `__del__` drops the next run a million long without a million nested
/// calls.
const TRASHCAN_DEPTH: usize = 50;

impl State {
    pub fn new(src: Source, out: Box<dyn Write>, lend_in_ops: bool) -> Self {
        State {
            src,
            globals: Vars::default(),
            frames: Vec::new(),
            classes: Vec::new(),
            funcs: Vec::new(),
            weaks: Vec::new(),
            weak_free: Vec::new(),
            class_bodies: Vec::new(),
            weak_by_id: HashMap::new(),
            weaks_by_target: HashMap::new(),
            dict_index: HashMap::new(),
            consts: None,
            const_tuples: HashMap::new(),
            depth: 0,
            recursion_limit: DEFAULT_RECURSION_LIMIT,
            depth_cap: usize::MAX,
            gc_enabled: true,
            line: 0,
            spot: None,
            out,
            del_runs: 0,
            statements: 0,
            samples: None,
            log: Log::default(),
            del_error: None,
            gc_callbacks: None,
            gc_garbage: None,
            at_exit: false,
            teardown: false,
            last_exc: None,
            exit_globals: None,
            lend_in_ops,
            finalizing: 0,
            deferred_dels: Vec::new(),
        }
    }
}

/// The finalizer hook: runs `obj`'s `__del__` (or a weakref object's
/// clean-up) with the interpreter's state, on the heap that finalizes it.
pub fn run_finalizer<C: Strategy>(st: &mut State, s: &mut Scope<'_, C>, obj: Local<'_>) {
    let Ok(root) = s.root(obj) else { return };
    if st.finalizing >= TRASHCAN_DEPTH {
        // Kept (rooted) until its turn; dropped after, it goes then.
        st.deferred_dels.push(root);
        return;
    }
    st.finalizing += 1;
    let mut it = Interp {
        heap: Heap::new(s.heap()),
        st,
    };
    it.finalize(root);
    if it.st.finalizing == 1 {
        // Each one a level in, as `_PyTrash_thread_destroy_chain` runs
        // them: what it drops nests 49 deep before it waits in turn.
        it.st.finalizing += 1;
        while let Some(root) = it.st.deferred_dels.pop() {
            it.finalize(root);
        }
        it.st.finalizing -= 1;
    }
    it.st.finalizing -= 1;
}

/// Atoms kept for the whole run: None, True, False and the small ints.
pub struct Consts {
    pub none: Root,
    pub t: Root,
    pub f: Root,
    pub ints: Vec<Root>,
}

const SMALL_MIN: i64 = -5;
const SMALL_MAX: i64 = 256;

impl<'h, C: Strategy> Interp<'h, C> {
    /// Makes the constants (None, True, False, the small ints).
    pub fn init(&mut self) -> R<()> {
        let none = self.lend(|hp| hp.atom(&[tag::NONE]))?;
        let t = self.lend(|hp| hp.atom(&[tag::TRUE]))?;
        let f = self.lend(|hp| hp.atom(&[tag::FALSE]))?;
        let mut ints = Vec::new();
        for i in SMALL_MIN..=SMALL_MAX {
            ints.push(self.lend(|hp| hp.atom(&int_payload(i)))?);
        }
        self.st.consts = Some(Consts { none, t, f, ints });
        Ok(())
    }

    /// Makes the constant tuples of `program`, as the compiler does before
    /// it runs: one object for equal ones (in the whole module on CPython's
    /// strategies, in one code object on PyPy's), each display's kept in
    /// [`State::const_tuples`].
    pub fn make_const_tuples(&mut self, program: &[ast::Stmt]) -> R<()> {
        let mut made: HashMap<(usize, Key), Root> = HashMap::new();
        for d in consts::displays(program, !C::COLLECT_RETURNS_COUNT) {
            let r = self.const_tuple(&mut made, d.scope, &d.key)?;
            self.st.const_tuples.insert(d.node, r);
        }
        Ok(())
    }

    /// The object of constant `key` in code object `scope`, made once.
    fn const_tuple(
        &mut self,
        made: &mut HashMap<(usize, Key), Root>,
        scope: usize,
        key: &Key,
    ) -> R<Root> {
        if let Some(r) = made.get(&(scope, key.clone())) {
            return Ok(self.heap.dup(r)?);
        }
        let Key::Tuple(items) = key else {
            unreachable!("only tuples are made");
        };
        let mut members = Temps::with_capacity(items.len());
        for k in items {
            members.0.push(match k {
                Key::None => Value::None,
                Key::Bool(b) => Value::Bool(*b),
                Key::Int(i) => Value::Int(*i),
                Key::Str(s) => Value::Str(s.clone()),
                Key::Tuple(_) => Value::Obj(self.const_tuple(made, scope, k)?),
            });
        }
        let Value::Obj(r) = self.new_tuple(members.take())? else {
            unreachable!("a tuple is a heap object");
        };
        made.insert((scope, key.clone()), self.heap.dup(&r)?);
        Ok(r)
    }

    /// Runs the heap operation `f` with the state lent to the finalizer
    /// hook (when finalizers run inside operations: see
    /// [`State::lend_in_ops`]), then what it left due; an error a `__del__`
    /// raised that must stop the program comes out here.
    pub fn lend<T>(
        &mut self,
        f: impl FnOnce(&mut Heap<'h, C>) -> Result<T, gc_core::GcError>,
    ) -> R<T> {
        let r = if self.st.lend_in_ops {
            self.lend_always(f)
        } else {
            f(&mut self.heap)
        };
        if let Some(e) = self.st.del_error.take() {
            return Err(e);
        }
        Ok(r?)
    }

    /// [`Interp::lend`] whatever the strategy (a safe point, `gc.collect()`).
    fn lend_always<T>(
        &mut self,
        f: impl FnOnce(&mut Heap<'h, C>) -> Result<T, gc_core::GcError>,
    ) -> Result<T, gc_core::GcError> {
        let heap = &mut self.heap;
        gc_core::embed::lend(&mut *self.st, || {
            let r = f(heap);
            let _ = heap.flush();
            r
        })
    }

    /// Collects `generation` with the state lent: `__del__` runs inside the
    /// collection.
    pub fn collect_lent(&mut self, generation: u64) -> R<u64> {
        let r = self.lend_always(|h| h.collect(generation));
        if let Some(e) = self.st.del_error.take() {
            return Err(e);
        }
        Ok(r?)
    }

    // ----- values and slots -------------------------------------------

    /// A second reference to `v`.
    pub fn dup(&mut self, v: &Value) -> R<Value> {
        dup_value(&mut self.heap, v)
    }

    /// The heap object that stands for `v` in a slot.
    pub fn boxed(&mut self, v: &Value) -> R<Root> {
        match v {
            Value::Obj(r) => Ok(self.heap.dup(r)?),
            _ => self.boxed_new(v),
        }
    }

    fn boxed_new(&mut self, v: &Value) -> R<Root> {
        let c = self.st.consts.take().expect("constants");
        let r = match v {
            Value::None => self.heap.dup(&c.none),
            Value::Bool(true) => self.heap.dup(&c.t),
            Value::Bool(false) => self.heap.dup(&c.f),
            Value::Int(i) if (SMALL_MIN..=SMALL_MAX).contains(i) => {
                self.heap.dup(&c.ints[(*i - SMALL_MIN) as usize])
            }
            _ => Err(gc_core::GcError::StaleHandle),
        };
        self.st.consts = Some(c);
        if let Ok(r) = r {
            return Ok(r);
        }
        match v {
            Value::Int(i) => self.lend(|hp| hp.atom(&int_payload(*i))),
            Value::Str(s) => {
                let mut p = Vec::with_capacity(s.len() + 1);
                p.push(tag::STR);
                p.extend_from_slice(s.as_bytes());
                self.lend(|hp| hp.atom(&p))
            }
            Value::Func(f) => self.lend(|hp| hp.atom(&idx_payload(tag::FUNC, f.index))),
            Value::Class(c) => self.lend(|hp| hp.atom(&idx_payload(tag::CLASS, c.index))),
            other => Err(Exc::Unsupported(Unsupported {
                line: self.st.line,
                what: format!("storing a {} in a container", self.type_name_of(other)),
            })),
        }
    }

    fn atom_value(&self, a: Atom) -> Option<Value> {
        Some(match a {
            Atom::Int(i) => Value::Int(i),
            Atom::Str(s) => Value::Str(s),
            Atom::None => Value::None,
            Atom::Bool(b) => Value::Bool(b),
            Atom::Func(i) => Value::Func(self.st.funcs[i as usize].clone()),
            Atom::Class(i) => Value::Class(self.st.classes[i as usize].clone()),
            Atom::Other => return None,
        })
    }

    /// The value slot `i` of `obj` holds (`None` for nil), reading atoms
    /// through a view.
    pub fn slot_value(&mut self, obj: &Root, i: usize) -> R<Value> {
        match self.heap.read(obj, i, decode_atom)? {
            Slot::Nil => Ok(Value::None),
            Slot::Obj(r) => Ok(Value::Obj(r)),
            Slot::Atom(a) => match self.atom_value(a) {
                Some(v) => Ok(v),
                None => match self.heap.get(obj, i)? {
                    Some(r) => Ok(Value::Obj(r)),
                    None => Ok(Value::None),
                },
            },
        }
    }

    /// What `r` is to the program: an atom decoded, else the object.
    pub fn root_value(&mut self, r: Root) -> R<Value> {
        if self.heap.kind(&r)? == gc_core::Kind::Atom
            && let Some(v) = self.atom_value(decode_atom(self.heap.payload(&r)?))
        {
            return Ok(v);
        }
        Ok(Value::Obj(r))
    }

    /// The value of logical slot `i` of a list, dict or instance.
    pub fn gs_value(&mut self, obj: &Root, i: usize) -> R<Value> {
        match self.storage(obj)? {
            Some(st) => self.slot_value(&st, i),
            None => self.slot_value(obj, i),
        }
    }

    pub fn tag_of(&self, r: &Root) -> R<u8> {
        if self.heap.kind(r)? == gc_core::Kind::Tuple {
            return Ok(b't');
        }
        Ok(self.heap.payload(r)?.first().copied().unwrap_or(0))
    }

    // ----- growable slot arrays (lists, dicts, instances) -------------

    /// A list, dict or instance node: `inline` item slots, then one slot
    /// for an overflow storage node.
    pub fn new_container(&mut self, t: u8, extra: u32, inline: usize) -> R<Root> {
        let mut p = [0u8; 5];
        p[0] = t;
        p[1..5].copy_from_slice(&extra.to_le_bytes());
        self.lend(|hp| hp.node(inline + 1, &p))
    }

    fn storage(&mut self, obj: &Root) -> R<Option<Root>> {
        let n = self.heap.slot_count(obj)?;
        if !self.heap.has(obj, n - 1)? {
            return Ok(None);
        }
        Ok(self.heap.get(obj, n - 1)?)
    }

    /// Whether logical slot `i` holds something.
    pub fn gs_has(&mut self, obj: &Root, i: usize) -> R<bool> {
        match self.storage(obj)? {
            Some(st) => Ok(self.heap.has(&st, i)?),
            None => Ok(self.heap.has(obj, i)?),
        }
    }

    pub fn gs_cap(&mut self, obj: &Root) -> R<usize> {
        match self.storage(obj)? {
            Some(s) => Ok(self.heap.slot_count(&s)?),
            None => Ok(self.heap.slot_count(obj)? - 1),
        }
    }

    pub fn gs_get(&mut self, obj: &Root, i: usize) -> R<Option<Root>> {
        match self.storage(obj)? {
            Some(s) => Ok(self.heap.get(&s, i)?),
            None => Ok(self.heap.get(obj, i)?),
        }
    }

    pub fn gs_set(&mut self, obj: &Root, i: usize, v: Option<&Root>) -> R<()> {
        match self.storage(obj)? {
            Some(s) => self.lend(|hp| hp.set(&s, i, v)),
            None => self.lend(|hp| hp.set(obj, i, v)),
        }
    }

    /// Makes room for `n` logical slots, as CPython's list_resize grows a
    /// list's item array: the node itself grows, its last slot (the
    /// overflow slot, nil) moving to the end. On a strategy that cannot
    /// resize objects (marksweep), an overflow storage node replaces the
    /// inline slots, as PyPy's lists keep their items in a second object.
    pub fn gs_reserve(&mut self, obj: &Root, n: usize) -> R<()> {
        let cap = self.gs_cap(obj)?;
        if n <= cap {
            return Ok(());
        }
        // Not past the object model's limit, unless `n` itself is (then
        // the storage node below is refused).
        let new_cap = n.max((cap + cap / 2 + 4).min(gc_core::MAX_SLOTS));
        let old = self.storage(obj)?;
        // In place while the storage link's slot still fits.
        if old.is_none()
            && new_cap < gc_core::MAX_SLOTS
            && self.lend(|hp| hp.resize(obj, new_cap + 1))?
        {
            return Ok(());
        }
        let st = self.lend(|hp| hp.node(new_cap, &[tag::STORAGE]))?;
        for i in 0..cap {
            let v = match &old {
                Some(s) => self.heap.get(s, i)?,
                None => self.heap.get(obj, i)?,
            };
            if let Some(v) = v {
                self.lend(|hp| hp.set(&st, i, Some(&v)))?;
                if old.is_none() {
                    self.lend(|hp| hp.set(obj, i, None))?;
                }
            }
        }
        let last = self.heap.slot_count(obj)? - 1;
        self.lend(|hp| hp.set(obj, last, Some(&st)))?;
        Ok(())
    }

    pub fn extra(&self, obj: &Root) -> R<u32> {
        Ok(read_u32(self.heap.payload(obj)?))
    }

    pub fn set_extra(&mut self, obj: &Root, v: u32) -> R<()> {
        self.heap.payload_mut(obj)?[1..5].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    // ----- errors and lines ---------------------------------------------

    pub fn line_of(&self, node: &impl Ranged) -> usize {
        self.st.src.lines.line(node.start().to_usize())
    }

    pub fn unsupported<T>(&self, node: &impl Ranged, what: impl Into<String>) -> R<T> {
        Err(Exc::Unsupported(Unsupported {
            line: self.line_of(node),
            what: what.into(),
        }))
    }

    fn frame_name(&self) -> Rc<str> {
        self.st
            .frames
            .last()
            .map(|f| f.func.name.clone())
            .unwrap_or_else(|| Rc::from("<module>"))
    }

    // ----- variables ------------------------------------------------------

    fn lookup(&mut self, name: &str) -> R<Value> {
        // In a class body: the names it has bound (not its bases'), then
        // as outside it (CPython's `LOAD_NAME` in the class namespace).
        if let Some((k, depth)) = self.st.class_bodies.last()
            && *depth == self.st.frames.len()
            && let Some(v) = k.attrs.borrow().get(name)
        {
            return dup_value(&mut self.heap, v);
        }
        let v = match self.st.frames.last() {
            Some(f) => match f.locals.get(name) {
                Some(v) => Some(v),
                // A local name of the function is never a global.
                None if f.func.is_local(name) => return unbound(name),
                None => self.st.globals.get(name),
            },
            None => self.st.globals.get(name),
        };
        if let Some(v) = v {
            return dup_value(&mut self.heap, v);
        }
        if let Some(v) = self.exit_global(name)? {
            return Ok(v);
        }
        match Builtin::global(name) {
            Some(b) => Ok(Value::Builtin(b)),
            // A builtin of CPython's that gc-py does not have: the program
            // is outside the subset, not wrong.
            None if BUILTINS.contains(&name) => Err(Exc::Unsupported(Unsupported {
                line: self.st.line,
                what: format!("the builtin {name}"),
            })),
            None => self.name_error(name),
        }
    }

    /// A global read while the last collection at exit runs
    /// ([`ExitGlobals`]); `None` when there is no such global, or its
    /// container is already freed.
    fn exit_global(&mut self, name: &str) -> R<Option<Value>> {
        let Some(g) = &self.st.exit_globals else {
            return Ok(None);
        };
        match g.names.get(name) {
            None => Ok(None),
            Some(ExitGlobal::Value(v)) => Ok(Some(dup_value(&mut self.heap, v)?)),
            Some(ExitGlobal::Slot(i)) => self.exit_slot(*i),
        }
    }

    /// Class `class`'s attribute `name` while the last collection at exit
    /// runs, if it was a heap object moved into the globals' container
    /// ([`ExitGlobals::class_attrs`]).
    pub(crate) fn exit_class_attr(&mut self, class: u32, name: &str) -> R<Option<Value>> {
        let slot = self
            .st
            .exit_globals
            .as_ref()
            .and_then(|g| g.class_attrs.get(&class))
            .and_then(|attrs| attrs.get(name).copied());
        match slot {
            Some(i) => self.exit_slot(i),
            None => Ok(None),
        }
    }

    /// What slot `i` of the globals' container at exit holds, while the
    /// container is still allocated.
    fn exit_slot(&mut self, i: usize) -> R<Option<Value>> {
        let Some(dict) = self.st.exit_globals.as_ref().map(|g| g.dict) else {
            return Ok(None);
        };
        match self.heap.reroot(dict)? {
            Some(d) => Ok(Some(self.slot_value(&d, i)?)),
            None => Ok(None),
        }
    }

    /// Forgets class `class`'s attribute `name` in the container at exit
    /// (set or deleted by a finalizer); whether it was there.
    pub(crate) fn forget_exit_class_attr(&mut self, class: u32, name: &str) -> bool {
        self.st
            .exit_globals
            .as_mut()
            .and_then(|g| g.class_attrs.get_mut(&class))
            .is_some_and(|attrs| attrs.remove(name).is_some())
    }

    /// `NameError` for `name`, with CPython's suggestion: the closest of
    /// the frame's local names, else of its globals, else of the builtins.
    fn name_error<T>(&self, name: &str) -> R<T> {
        let msg = format!("name '{name}' is not defined");
        let locals: Vec<&str> = match self.st.frames.last() {
            Some(f) => f.func.varnames.iter().map(|n| &**n).collect(),
            None => Vec::new(),
        };
        let globals: Vec<&str> = MODULE_GLOBALS
            .iter()
            .copied()
            .chain(self.st.globals.names())
            .collect();
        let found = [&locals[..], &globals, BUILTINS]
            .into_iter()
            .find_map(|candidates| suggest::closest(name, candidates));
        let mut e = PyErr::new("NameError", msg);
        if let Some(s) = found {
            e.more().suggestion = Some(s.to_owned());
        }
        Err(Exc::Py(e))
    }

    fn store(&mut self, name: &str, v: Value) {
        let old = match self.st.frames.last_mut() {
            Some(f) => f.locals.set(name, v),
            None => self.st.globals.set(name, v),
        };
        drop(old);
    }

    fn delete_name(&mut self, name: &str) -> R<()> {
        let old = match self.st.frames.last_mut() {
            Some(f) => match f.locals.remove(name) {
                None if f.func.is_local(name) => return unbound(name),
                old => old,
            },
            None => self.st.globals.remove(name),
        };
        match old {
            Some(_) => Ok(()),
            None => self.name_error(name),
        }
    }

    // ----- statements -------------------------------------------------------

    pub fn exec_block(&mut self, body: &'static [ast::Stmt]) -> R<Flow> {
        for s in body {
            match self.exec_stmt(s) {
                Ok(Flow::Normal) => {}
                Ok(other) => return Ok(other),
                Err(e) => return at(Err(e), Spot::Stmt(s)),
            }
            self.safe_point()?;
        }
        Ok(Flow::Normal)
    }

    fn exec_stmt(&mut self, s: &'static ast::Stmt) -> R<Flow> {
        self.st.line = self.line_of(s);
        self.st.spot = Some(Spot::Stmt(s));
        self.st.statements += 1;
        if self.st.statements % 1024 == 0
            && let Some(t) = &self.st.log.trace
        {
            let ns = t.start.elapsed().as_nanos() as u64;
            let st = self.heap.stats();
            if let Some(samples) = &mut self.st.samples {
                samples.push((ns, st.live_bytes, st.live_objects));
            }
        }
        match s {
            ast::Stmt::Expr(e) => {
                let v = self.eval(&e.value)?;
                drop(v);
                Ok(Flow::Normal)
            }
            ast::Stmt::Assign(a) => {
                let v = self.eval(&a.value)?;
                let (last, rest) = a.targets.split_last().expect("an assignment has a target");
                for t in rest {
                    let v2 = self.dup(&v)?;
                    self.assign(t, v2)?;
                }
                self.assign(last, v)?;
                Ok(Flow::Normal)
            }
            ast::Stmt::AugAssign(a) => {
                // The target's object and key are evaluated once, read
                // from and stored to (CPython's COPY before BINARY_SUBSCR
                // or LOAD_ATTR): `d[f()] += 1` calls `f` once.
                let place = match &*a.target {
                    ast::Expr::Attribute(t) => Place::Attr(self.eval(&t.value)?, t.attr.as_str()),
                    ast::Expr::Subscript(t) => {
                        let obj = self.eval(&t.value)?;
                        Place::Item(obj, self.eval(&t.slice)?)
                    }
                    _ => Place::Name,
                };
                let target = Spot::Expr(&a.target);
                let cur = match &place {
                    Place::Name => self.eval(&a.target)?,
                    Place::Attr(obj, name) => {
                        let obj = self.dup(obj)?;
                        at(self.get_attr(obj, name), target)?
                    }
                    Place::Item(obj, key) => at(self.get_item(obj, key), target)?,
                };
                let rhs = self.eval(&a.value)?;
                let list = match &cur {
                    Value::Obj(l) if self.tag_of(l)? == tag::LIST => Some(l),
                    _ => None,
                };
                let times = match (a.op, &rhs) {
                    (ast::Operator::Mult, Value::Int(n)) => Some(*n),
                    (ast::Operator::Mult, Value::Bool(b)) => Some(i64::from(*b)),
                    _ => None,
                };
                let v = if let (Some(l), ast::Operator::Add) = (list, a.op) {
                    // `list += iterable` extends the list itself (CPython's
                    // `list.__iadd__`), then stores it back.
                    for item in self.iter_values(&rhs)? {
                        self.list_append(l, &item)?;
                    }
                    drop(rhs);
                    cur
                } else if let (Some(l), Some(n)) = (list, times) {
                    // `list *= n` repeats the list in place
                    // (`list_inplace_repeat`): cleared for `n <= 0`.
                    if n <= 0 {
                        self.list_clear(l)?;
                    } else if n > 1 && self.truthy(&cur)? {
                        let items = self.iter_values(&cur)?;
                        let max = isize::MAX as usize / std::mem::size_of::<usize>();
                        let Some(total) = items.len().checked_mul(n as usize).filter(|&t| t <= max)
                        else {
                            // `list_inplace_repeat`'s size check: no message.
                            return err("MemoryError", "");
                        };
                        // The list stays as it was when it cannot hold them.
                        too_many_slots(total)?;
                        for _ in 1..n {
                            for item in &items {
                                self.list_append(l, item)?;
                            }
                        }
                    }
                    cur
                } else {
                    self.binop(a.op, cur, rhs, true)?
                };
                self.st.spot = Some(target);
                match place {
                    Place::Name => self.assign(&a.target, v)?,
                    Place::Attr(obj, name) => at(self.set_attr(&obj, name, v), target)?,
                    Place::Item(obj, key) => at(self.set_item(&obj, key, v), target)?,
                }
                Ok(Flow::Normal)
            }
            ast::Stmt::Delete(d) => {
                for t in &d.targets {
                    self.delete(t)?;
                }
                Ok(Flow::Normal)
            }
            ast::Stmt::If(i) => {
                let c = self.eval(&i.test)?;
                if self.truthy(&c)? {
                    drop(c);
                    self.exec_block(&i.body)
                } else {
                    drop(c);
                    self.exec_block(&i.orelse)
                }
            }
            ast::Stmt::While(w) => {
                loop {
                    let c = self.eval(&w.test)?;
                    if !self.truthy(&c)? {
                        break;
                    }
                    drop(c);
                    match self.exec_block(&w.body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
                Ok(Flow::Normal)
            }
            ast::Stmt::For(f) => self.exec_for(f),
            ast::Stmt::Break(_) => Ok(Flow::Break),
            ast::Stmt::Continue(_) => Ok(Flow::Continue),
            ast::Stmt::Pass(_) => Ok(Flow::Normal),
            ast::Stmt::Return(r) => {
                let v = match &r.value {
                    Some(e) => self.eval(e)?,
                    None => Value::None,
                };
                Ok(Flow::Return(v))
            }
            ast::Stmt::FunctionDef(f) => {
                let func = self.make_func(f, None);
                let name: Rc<str> = Rc::from(f.name.as_str());
                self.store(&name, Value::Func(func));
                Ok(Flow::Normal)
            }
            ast::Stmt::ClassDef(c) => self.exec_class(c),
            ast::Stmt::Import(i) => {
                for a in &i.names {
                    let m = match a.name.as_str() {
                        "gc" => Module::Gc,
                        "weakref" => Module::Weakref,
                        "sys" => Module::Sys,
                        // gc-py has gc, weakref and sys.
                        other => {
                            return self.unsupported(a, format!("the module {other}"));
                        }
                    };
                    let name: Rc<str> = Rc::from(a.asname.as_ref().unwrap_or(&a.name).as_str());
                    self.store(&name, Value::Module(m));
                }
                Ok(Flow::Normal)
            }
            other => self.unsupported(other, stmt_name(other)),
        }
    }

    fn exec_for(&mut self, f: &'static ast::StmtFor) -> R<Flow> {
        let it = self.eval(&f.iter)?;
        // What to iterate: a range lazily, a list by index (seeing appends,
        // as CPython's list iterator), anything else as a snapshot.
        enum Src {
            Range(i64, i64, i64),
            List(Root),
            /// The items not yet visited, last first, and what they were
            /// taken from: kept to the loop's end, as CPython's iterator
            /// keeps a tuple or dict (the items go first when both are
            /// dropped, so that the container frees what it holds in its
            /// own order).
            Items {
                rest: Vec<Value>,
                _from: Value,
            },
        }
        // A dict (or a view of one) must keep its size while iterated
        // (CPython's dict iterator checks it at every step).
        let dict = match &it {
            Value::Obj(r) if self.tag_of(r)? == tag::DICT => Some(self.heap.dup(r)?),
            Value::View(_, r) => Some(self.heap.dup(r)?),
            _ => None,
        };
        let dict_len = match &dict {
            Some(d) => self.extra(d)?,
            None => 0,
        };
        let src = match it {
            Value::Range(a, b, c) => Src::Range(a, b, c),
            Value::Obj(r) if self.tag_of(&r)? == tag::LIST => Src::List(r),
            other => {
                // Taken from the back: reversed.
                let mut v = self.iter_values(&other)?;
                v.reverse();
                Src::Items {
                    rest: v,
                    _from: other,
                }
            }
        };
        let mut k: usize = 0;
        let mut cur = match src {
            Src::Range(a, _, _) => a,
            _ => 0,
        };
        let mut src = src;
        loop {
            if let Some(d) = &dict
                && self.extra(d)? != dict_len
            {
                return err("RuntimeError", "dictionary changed size during iteration");
            }
            let v = match &mut src {
                Src::Range(_, b, c) => {
                    if (*c > 0 && cur >= *b) || (*c < 0 && cur <= *b) {
                        break;
                    }
                    let v = Value::Int(cur);
                    match cur.checked_add(*c) {
                        Some(next) => cur = next,
                        // Past `i64` is past the end: this value is the
                        // last.
                        None => *b = cur,
                    }
                    v
                }
                Src::List(r) => {
                    if k >= self.extra(r)? as usize {
                        break;
                    }
                    let r2 = self.heap.dup(r)?;
                    let v = self.list_item(&r2, k)?;
                    k += 1;
                    v
                }
                Src::Items { rest, .. } => match rest.pop() {
                    Some(x) => x,
                    None => break,
                },
            };
            self.assign(&f.target, v)?;
            match self.exec_block(&f.body)? {
                Flow::Break => return Ok(Flow::Normal),
                Flow::Return(v) => return Ok(Flow::Return(v)),
                _ => {}
            }
        }
        // The iterator goes when the loop ends, before `else:`.
        drop(src);
        drop(dict);
        self.exec_block(&f.orelse)
    }

    /// The qualified name of `name` defined here: `f.<locals>.name` inside
    /// function `f`.
    fn qualify(&self, name: &str) -> Rc<str> {
        match self.st.frames.last() {
            Some(f) => Rc::from(format!("{}.<locals>.{name}", f.func.qualname)),
            None => Rc::from(name),
        }
    }

    /// A function of the program; `class`: the qualified name of the class
    /// whose method it is.
    fn make_func(&mut self, f: &'static ast::StmtFunctionDef, class: Option<&str>) -> Rc<Func> {
        let params: Vec<Rc<str>> = f
            .args
            .args
            .iter()
            .map(|a| Rc::from(a.def.arg.as_str()))
            .collect();
        let varnames = suggest::local_names(&params, &f.body)
            .into_iter()
            .map(Rc::from)
            .collect();
        let name: Rc<str> = Rc::from(f.name.as_str());
        let func = Rc::new(Func {
            qualname: match class {
                Some(c) => Rc::from(format!("{c}.{name}").as_str()),
                None => self.qualify(&name),
            },
            name,
            params,
            varnames,
            body: &f.body,
            index: self.st.funcs.len() as u32,
        });
        self.st.funcs.push(func.clone());
        func
    }

    fn exec_class(&mut self, c: &'static ast::StmtClassDef) -> R<Flow> {
        let base = match c.bases.as_slice() {
            [] => None,
            [b] => match self.eval(b)? {
                Value::Class(k) => Some(k),
                Value::Builtin(_) => {
                    return self.unsupported(b, "inheriting from a built-in type");
                }
                other => {
                    return err(
                        "TypeError",
                        format!("cannot inherit from a {}", self.type_name_of(&other)),
                    );
                }
            },
            _ => return self.unsupported(c, "multiple inheritance"),
        };
        // The instance layout, known up front as CPython 3.11 learns it
        // from `__init__`: the base's attributes, then every `self.x = …`
        // in the class's methods, so that instances are made with a slot
        // for each (and stay one object).
        let mut layout: Vec<Rc<str>> = match &base {
            Some(b) => b.layout.borrow().clone(),
            None => Vec::new(),
        };
        for s in &c.body {
            if let ast::Stmt::FunctionDef(f) = s
                && let Some(me) = f.args.args.first()
            {
                collect_self_attrs(&f.body, me.def.arg.as_str(), &mut layout);
            }
        }
        let class = Rc::new(Class {
            name: Rc::from(c.name.as_str()),
            qualname: self.qualify(c.name.as_str()),
            base,
            attrs: Default::default(),
            layout: std::cell::RefCell::new(layout),
            index: self.st.classes.len() as u32,
        });
        self.st.classes.push(class.clone());
        self.st
            .class_bodies
            .push((class.clone(), self.st.frames.len()));
        let ran = self.exec_class_body(c, &class);
        self.st.class_bodies.pop();
        ran?;
        self.store(c.name.as_str(), Value::Class(class));
        Ok(Flow::Normal)
    }

    /// The statements of a class body, each binding a class attribute.
    fn exec_class_body(&mut self, c: &'static ast::StmtClassDef, class: &Rc<Class>) -> R<()> {
        for s in &c.body {
            self.st.line = self.line_of(s);
            match s {
                ast::Stmt::FunctionDef(f) => {
                    let func = self.make_func(f, Some(&class.qualname));
                    class
                        .attrs
                        .borrow_mut()
                        .insert(Rc::from(f.name.as_str()), Value::Func(func));
                }
                ast::Stmt::Assign(a) if a.targets.len() == 1 => {
                    let ast::Expr::Name(n) = &a.targets[0] else {
                        return self.unsupported(s, "this assignment in a class body");
                    };
                    // The class body is a frame of its own, named after
                    // the class.
                    let v = self
                        .eval(&a.value)
                        .map_err(|e| left_frame(e, &class.name, Some(Spot::Stmt(s))))?;
                    class.attrs.borrow_mut().insert(Rc::from(n.id.as_str()), v);
                }
                ast::Stmt::Pass(_) => {}
                ast::Stmt::Expr(e) if matches!(&*e.value, ast::Expr::Constant(_)) => {}
                other => {
                    return self
                        .unsupported(other, format!("{} in a class body", stmt_name(other)));
                }
            }
        }
        Ok(())
    }

    // ----- assignment and deletion -------------------------------------

    /// Stores `v` at `target`; an exception is placed at the target (as
    /// CPython's store and unpack instructions are).
    fn assign(&mut self, target: &'static ast::Expr, v: Value) -> R<()> {
        self.st.spot = Some(Spot::Expr(target));
        at(self.assign_here(target, v), Spot::Expr(target))
    }

    fn assign_here(&mut self, target: &'static ast::Expr, v: Value) -> R<()> {
        match target {
            ast::Expr::Name(n) => {
                self.store(n.id.as_str(), v);
                Ok(())
            }
            ast::Expr::Attribute(a) => {
                let obj = self.eval(&a.value)?;
                self.set_attr(&obj, a.attr.as_str(), v)
            }
            ast::Expr::Subscript(s) => {
                let obj = self.eval(&s.value)?;
                let key = self.eval(&s.slice)?;
                self.set_item(&obj, key, v)
            }
            ast::Expr::Tuple(ast::ExprTuple { elts, .. })
            | ast::Expr::List(ast::ExprList { elts, .. }) => {
                let items = self.unpack_values(&v)?;
                drop(v);
                if items.len() != elts.len() {
                    return if items.len() > elts.len() {
                        err(
                            "ValueError",
                            format!("too many values to unpack (expected {})", elts.len()),
                        )
                    } else {
                        err(
                            "ValueError",
                            format!(
                                "not enough values to unpack (expected {}, got {})",
                                elts.len(),
                                items.len()
                            ),
                        )
                    };
                }
                for (t, v) in elts.iter().zip(items) {
                    self.assign(t, v)?;
                }
                Ok(())
            }
            other => self.unsupported(other, "assignment to this target"),
        }
    }

    /// Deletes `target`; an exception is placed at it.
    fn delete(&mut self, target: &'static ast::Expr) -> R<()> {
        self.st.spot = Some(Spot::Expr(target));
        at(self.delete_here(target), Spot::Expr(target))
    }

    fn delete_here(&mut self, target: &'static ast::Expr) -> R<()> {
        match target {
            ast::Expr::Name(n) => self.delete_name(n.id.as_str()),
            ast::Expr::Attribute(a) => {
                let obj = self.eval(&a.value)?;
                self.del_attr(&obj, a.attr.as_str())
            }
            ast::Expr::Subscript(s) => {
                let obj = self.eval(&s.value)?;
                let key = self.eval(&s.slice)?;
                self.del_item(&obj, key)
            }
            ast::Expr::Tuple(t) => {
                for e in &t.elts {
                    self.delete(e)?;
                }
                Ok(())
            }
            other => self.unsupported(other, "deletion of this target"),
        }
    }

    // ----- expressions --------------------------------------------------

    /// Evaluates `e`; an exception none of its parts placed is placed at
    /// it.
    pub fn eval(&mut self, e: &'static ast::Expr) -> R<Value> {
        at(self.eval_here(e), Spot::Expr(e))
    }

    /// Each of `es`, in order (see [`Temps`] for a failure part way).
    fn eval_all(&mut self, es: &'static [ast::Expr]) -> R<Vec<Value>> {
        let mut vs = Temps::with_capacity(es.len());
        for x in es {
            vs.0.push(self.eval(x)?);
        }
        Ok(vs.take())
    }

    fn eval_here(&mut self, e: &'static ast::Expr) -> R<Value> {
        match e {
            ast::Expr::Constant(c) => self.constant(e, &c.value),
            ast::Expr::Name(n) => self.lookup(n.id.as_str()),
            ast::Expr::BinOp(b) => {
                let l = self.eval(&b.left)?;
                let r = self.eval(&b.right)?;
                self.binop(b.op, l, r, false)
            }
            ast::Expr::UnaryOp(u) => {
                // `-9223372036854775808`: CPython folds the sign into the
                // literal, where it fits.
                if u.op == ast::UnaryOp::USub
                    && let ast::Expr::Constant(c) = &*u.operand
                    && let ast::Constant::Int(i) = &c.value
                    && let Ok(n) = i64::try_from(&-i)
                {
                    return Ok(Value::Int(n));
                }
                let v = self.eval(&u.operand)?;
                match u.op {
                    ast::UnaryOp::Not => Ok(Value::Bool(!self.truthy(&v)?)),
                    ast::UnaryOp::USub => match v {
                        Value::Int(i) => i.checked_neg().map(Value::Int).map_or_else(overflow, Ok),
                        Value::Bool(b) => Ok(Value::Int(-(b as i64))),
                        other => err(
                            "TypeError",
                            format!(
                                "bad operand type for unary -: '{}'",
                                self.type_name_of(&other)
                            ),
                        ),
                    },
                    ast::UnaryOp::UAdd => match v {
                        Value::Int(i) => Ok(Value::Int(i)),
                        Value::Bool(b) => Ok(Value::Int(b as i64)),
                        other => err(
                            "TypeError",
                            format!(
                                "bad operand type for unary +: '{}'",
                                self.type_name_of(&other)
                            ),
                        ),
                    },
                    ast::UnaryOp::Invert => self.unsupported(e, "the ~ operator"),
                }
            }
            ast::Expr::BoolOp(b) => {
                let mut last = Value::None;
                for (i, x) in b.values.iter().enumerate() {
                    let v = self.eval(x)?;
                    let t = self.truthy(&v)?;
                    let stop = match b.op {
                        ast::BoolOp::And => !t,
                        ast::BoolOp::Or => t,
                    };
                    if stop || i + 1 == b.values.len() {
                        return Ok(v);
                    }
                    last = v;
                }
                Ok(last)
            }
            ast::Expr::Compare(c) => {
                let mut left = self.eval(&c.left)?;
                for (op, r) in c.ops.iter().zip(&c.comparators) {
                    let right = self.eval(r)?;
                    if !self.compare(*op, &left, &right)? {
                        return Ok(Value::Bool(false));
                    }
                    left = right;
                }
                Ok(Value::Bool(true))
            }
            ast::Expr::IfExp(i) => {
                let c = self.eval(&i.test)?;
                if self.truthy(&c)? {
                    self.eval(&i.body)
                } else {
                    self.eval(&i.orelse)
                }
            }
            ast::Expr::Call(c) => self.eval_call(e, c),
            ast::Expr::Attribute(a) => {
                let obj = self.eval(&a.value)?;
                self.get_attr(obj, a.attr.as_str())
            }
            ast::Expr::Subscript(s) => {
                let obj = self.eval(&s.value)?;
                let key = self.eval(&s.slice)?;
                self.get_item(&obj, &key)
            }
            ast::Expr::List(l) => {
                let vs = self.eval_all(&l.elts)?;
                self.new_list(vs)
            }
            ast::Expr::Tuple(t) => {
                if let Some(r) = self.st.const_tuples.get(&consts::address(t)) {
                    return Ok(Value::Obj(self.heap.dup(r)?));
                }
                let vs = self.eval_all(&t.elts)?;
                self.new_tuple(vs)
            }
            ast::Expr::Dict(d) => {
                let mut kvs = Temps::with_capacity(2 * d.keys.len());
                for (k, v) in d.keys.iter().zip(&d.values) {
                    let Some(k) = k else {
                        return self.unsupported(e, "** in a dict literal");
                    };
                    kvs.0.push(self.eval(k)?);
                    kvs.0.push(self.eval(v)?);
                }
                let kvs = kvs.take();
                let d = self.new_dict(kvs.len() / 2)?;
                let mut kvs = kvs.into_iter();
                while let (Some(k), Some(v)) = (kvs.next(), kvs.next()) {
                    self.dict_set(&d, k, v)?;
                }
                Ok(Value::Obj(d))
            }
            ast::Expr::JoinedStr(j) => {
                let mut s = String::new();
                for part in &j.values {
                    match part {
                        ast::Expr::Constant(ast::ExprConstant {
                            value: ast::Constant::Str(t),
                            ..
                        }) => s.push_str(t),
                        ast::Expr::FormattedValue(f) => {
                            if f.format_spec.is_some() {
                                return self.unsupported(part, "a format spec in an f-string");
                            }
                            let v = self.eval(&f.value)?;
                            let t = match f.conversion {
                                ast::ConversionFlag::Repr => self.repr(&v)?,
                                ast::ConversionFlag::None | ast::ConversionFlag::Str => {
                                    self.str_of(&v)?
                                }
                                ast::ConversionFlag::Ascii => {
                                    return self.unsupported(part, "!a in an f-string");
                                }
                            };
                            s.push_str(&t);
                        }
                        other => return self.unsupported(other, "this f-string part"),
                    }
                }
                Ok(Value::Str(Rc::from(s)))
            }
            other => self.unsupported(other, expr_name(other)),
        }
    }

    fn constant(&mut self, e: &ast::Expr, c: &ast::Constant) -> R<Value> {
        Ok(match c {
            ast::Constant::None => Value::None,
            ast::Constant::Bool(b) => Value::Bool(*b),
            ast::Constant::Str(s) => Value::Str(Rc::from(s.as_str())),
            ast::Constant::Int(i) => match i64::try_from(i) {
                Ok(i) => Value::Int(i),
                Err(_) => {
                    return err(
                        "OverflowError",
                        format!("int literal {i} does not fit in 64 bits (gc-py ints are 64-bit)"),
                    );
                }
            },
            ast::Constant::Float(_) => return self.unsupported(e, "float"),
            ast::Constant::Bytes(_) => return self.unsupported(e, "bytes"),
            ast::Constant::Ellipsis => return self.unsupported(e, "Ellipsis"),
            ast::Constant::Complex { .. } => return self.unsupported(e, "complex"),
            ast::Constant::Tuple(_) => return self.unsupported(e, "a constant tuple"),
        })
    }

    fn eval_call(&mut self, e: &'static ast::Expr, c: &'static ast::ExprCall) -> R<Value> {
        let f = self.eval(&c.func)?;
        // `isinstance(x, (str, list))`: the tuple of types is only read,
        // so its items are checked without making it (a builtin cannot be
        // stored in a container here).
        if matches!(f, Value::Builtin(Builtin::IsInstance))
            && let [x, ast::Expr::Tuple(t)] = &c.args[..]
            && c.keywords.is_empty()
            && !t.elts.iter().any(|e| matches!(e, ast::Expr::Starred(_)))
        {
            let x = self.eval(x)?;
            let types = self.eval_all(&t.elts)?;
            self.st.spot = Some(Spot::Expr(e));
            for ty in &types {
                if self.is_instance(&x, ty)? {
                    return Ok(Value::Bool(true));
                }
            }
            return Ok(Value::Bool(false));
        }
        let mut args = Temps::with_capacity(c.args.len());
        for a in &c.args {
            if let ast::Expr::Starred(_) = a {
                return self.unsupported(a, "*args in a call");
            }
            args.0.push(self.eval(a)?);
        }
        let args = args.take();
        let mut kwargs = Vec::new();
        for k in &c.keywords {
            let Some(name) = &k.arg else {
                return self.unsupported(k, "**kwargs in a call");
            };
            kwargs.push((name.as_str(), self.eval(&k.value)?));
        }
        if !kwargs.is_empty() && !matches!(f, Value::Builtin(Builtin::Print)) {
            return self.unsupported(
                &c.keywords[0],
                "keyword arguments (except print's sep and end)",
            );
        }
        // What the call drops when it returns is dropped here.
        self.st.spot = Some(Spot::Expr(e));
        self.call(f, args, kwargs)
    }

    /// On the CPython strategies, releases what was dropped since the
    /// last heap operation now (finalizing what that frees), and runs the
    /// callbacks of the weak references it cleared.
    pub fn release_temporaries(&mut self) -> R<()> {
        if self.st.lend_in_ops && self.heap.due() {
            self.lend(|h| h.flush())?;
            self.weak_callbacks()?;
        }
        Ok(())
    }

    pub fn call(&mut self, f: Value, mut args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> R<Value> {
        // The temporaries the arguments' evaluation dropped go before the
        // call runs (CPython releases each as soon as it is used).
        self.release_temporaries()?;
        match f {
            Value::Func(func) => self.call_func(&func, args),
            Value::Method(func, me) => {
                args.insert(0, Value::Obj(me));
                self.call_func(&func, args)
            }
            Value::Class(k) => self.instantiate(&k, args),
            // `repr` is a level of recursion, as CPython 3.11's call of a
            // one-argument C function (`CALL_NO_KW_BUILTIN_O`) counts one;
            // the builtins it specializes (`len`, `isinstance`, types)
            // and the others gc-py has are left uncounted.
            Value::Builtin(b @ Builtin::Repr) => self
                .recursing(" while calling a Python object", |it| {
                    it.call_builtin(b, None, args, kwargs)
                }),
            Value::Builtin(b) => self.call_builtin(b, None, args, kwargs),
            Value::BoundBuiltin(b, me) => self.call_builtin(b, Some(me), args, kwargs),
            Value::Obj(r) if self.tag_of(&r)? == tag::WEAK => {
                if !args.is_empty() {
                    return err(
                        "TypeError",
                        format!("weakref() takes no arguments ({} given)", args.len()),
                    );
                }
                self.weak_target(&r)
            }
            other => err(
                "TypeError",
                format!("'{}' object is not callable", self.type_name_of(&other)),
            ),
        }
    }

    pub fn call_func(&mut self, func: &Rc<Func>, args: Vec<Value>) -> R<Value> {
        if args.len() != func.params.len() {
            return err("TypeError", arity_message(func, args.len()));
        }
        // The module's frame counts too, as in CPython.
        if self.st.depth + 1 >= self.st.recursion_limit.min(self.st.depth_cap) {
            return self.too_deep("");
        }
        let mut locals = Vars::default();
        for (p, a) in func.params.iter().zip(args) {
            locals.bind(p, a);
        }
        let (caller_line, caller_spot) = (self.st.line, self.st.spot);
        self.st.frames.push(Frame {
            locals,
            func: func.clone(),
        });
        self.st.depth += 1;
        let r = self.exec_block(func.body);
        let callee_spot = self.st.spot;
        self.st.depth -= 1;
        let frame = self.st.frames.pop();
        // The locals go in the caller's frame, where it is (CPython pops
        // the frame first); an exception leaving the frame keeps them.
        self.st.line = caller_line;
        self.st.spot = caller_spot;
        let r = match r {
            Ok(flow) => {
                drop(frame);
                flow
            }
            Err(e) => {
                let mut e = left_frame(e, &func.name, callee_spot);
                if let Exc::Py(p) = &mut e
                    && let Some(f) = frame
                {
                    p.more().held.push(f.locals);
                }
                return Err(e);
            }
        };
        let v = match r {
            Flow::Return(v) => v,
            _ => Value::None,
        };
        self.safe_point()?;
        Ok(v)
    }

    fn instantiate(&mut self, k: &Rc<Class>, args: Vec<Value>) -> R<Value> {
        let inline = k.layout.borrow().len().max(1);
        let obj = self.new_container(tag::INSTANCE, k.index, inline)?;
        if k.lookup("__del__", |_| ()).is_some() {
            self.heap.set_finalizer(&obj, true)?;
        }
        match self.class_attr(k, "__init__")? {
            Some(init) => {
                let me = self.heap.dup(&obj)?;
                let r = self.call_special(init, me, args)?;
                if !matches!(r, Value::None) {
                    return err(
                        "TypeError",
                        format!(
                            "__init__() should return None, not '{}'",
                            self.type_name_of(&r)
                        ),
                    );
                }
            }
            None if !args.is_empty() => {
                return err("TypeError", format!("{}() takes no arguments", k.name));
            }
            None => {}
        }
        Ok(Value::Obj(obj))
    }

    /// Calls special method `m` of instance `me` as CPython's slots do
    /// (`lookup_maybe_method`): a function of the program is bound to the
    /// instance; any other value (a built-in, a bound method, a class:
    /// none is a descriptor here) is called with `args` alone, so
    /// `__init__ = print` prints an empty line.
    pub(crate) fn call_special(&mut self, m: Value, me: Root, mut args: Vec<Value>) -> R<Value> {
        match m {
            Value::Func(f) => {
                args.insert(0, Value::Obj(me));
                self.call_func(&f, args)
            }
            other => {
                drop(me);
                self.call(other, args, Vec::new())
            }
        }
    }

    /// One level deeper than the limit allows: CPython's `RecursionError`
    /// (the message ending with `what`), or, past a limit above what the
    /// evaluator's stack holds, not supported.
    pub(crate) fn too_deep<T>(&self, what: &str) -> R<T> {
        if self.st.depth + 1 >= self.st.recursion_limit {
            return err(
                "RecursionError",
                format!("maximum recursion depth exceeded{what}"),
            );
        }
        Err(Exc::Unsupported(Unsupported {
            line: self.st.line,
            what: format!(
                "recursion deeper than {} levels (what the evaluator's stack holds)",
                self.st.depth_cap
            ),
        }))
    }

    // ----- finalizers, weak callbacks ---------------------------------------

    /// Runs what is due since the last call: the finalizers waiting for
    /// the state to be lent (on `marksweep`, every one: PyPy runs them
    /// between bytecodes), weak-reference callbacks; releases the weak
    /// references of dead weakref objects. Called between statements.
    pub fn safe_point(&mut self) -> R<()> {
        if gc_core::tooling::reserve::take_given_back() {
            // The system refused a small allocation that the allocator's
            // reserve then served (a string, a frame's vector): a
            // `MemoryError` here, before the next one aborts.
            return Err(gc_core::config::refused().into());
        }
        loop {
            let r = self.lend_always(|h| h.flush());
            if let Some(e) = self.st.del_error.take() {
                return Err(e);
            }
            r?;
            if !self.weak_callbacks()? {
                return Ok(());
            }
        }
    }

    /// Runs the weak-reference callbacks reported since the last call;
    /// returns whether there were any.
    fn weak_callbacks(&mut self) -> R<bool> {
        let d = self.heap.drain(&mut self.st.log)?;
        if self.heap.name() == "marksweep" {
            // PyPy clears the weak references to every object a collection
            // keeps alive for its finalizer before any finalizer runs.
            for id in &d.died_in_collection {
                self.clear_weakrefs_to(*id);
            }
            // And those to what only such an object keeps alive, which the
            // collector keeps (a resurrecting finalizer could make them
            // reachable again).
            for w in &d.spared_weaks {
                if let Some(&i) = self.st.weak_by_id.get(w)
                    && let Some(Some(e)) = self.st.weaks.get_mut(i)
                {
                    e.cleared = true;
                }
            }
        }
        if d.weak_callbacks.is_empty() {
            return Ok(false);
        }
        // Every weakref object to call back is held until all the
        // callbacks have run, so that one a callback drops is called back
        // all the same (CPython's `PyObject_ClearWeakRefs` holds them in a
        // tuple, `handle_weakrefs` in its list).
        let mut calls = Vec::with_capacity(d.weak_callbacks.len());
        {
            for id in d.weak_callbacks {
                let Some(&i) = self.st.weak_by_id.get(&id) else {
                    continue;
                };
                let Some(entry) = self.st.weaks[i].as_ref() else {
                    continue;
                };
                // A weakref object that died in the collection that killed
                // its referent calls nothing back: CPython skips the
                // weakrefs that are garbage themselves, and PyPy's dead
                // weakref is never called back.
                if d.died_in_collection.binary_search(&entry.atom).is_ok() {
                    continue;
                }
                let (target, weak_id) = (entry.target_id, entry.id);
                let cb = match &entry.callback {
                    Some(v) => dup_value(&mut self.heap, v)?,
                    None => continue,
                };
                let me = match &self.st.weaks[i] {
                    Some(e) => self.heap.upgrade(&e.myself)?,
                    None => None,
                };
                if let Some(w) = me {
                    calls.push((target, weak_id, cb, w));
                }
            }
        }
        if self.heap.name() == "marksweep" {
            // PyPy calls one referent's callbacks newest first
            // (`WeakrefLifeline.clear_all_weakrefs` walks its list from
            // the end); the referents keep their order.
            let mut first_seen = HashMap::new();
            for (i, c) in calls.iter().enumerate() {
                first_seen.entry(c.0).or_insert(i);
            }
            calls.sort_by_key(|c| (first_seen[&c.0], std::cmp::Reverse(c.1.0)));
        }
        for (_, _, cb, w) in &calls {
            let mut what = self.repr(cb)?;
            if self.heap.name() == "marksweep" {
                // PyPy's words (two spaces, as it prints them).
                what = format!("weakref callback  {what}");
            }
            let (cb, w) = (dup_value(&mut self.heap, cb)?, self.heap.dup(w)?);
            let r = self.call(cb, vec![Value::Obj(w)], Vec::new());
            if let Err(e) = r {
                self.report_ignored(e, &what)?;
            }
        }
        Ok(true)
    }

    /// Clears the weak references to the object `id` names: they read
    /// `None` from now on (their callbacks still run when it is freed).
    fn clear_weakrefs_to(&mut self, id: gc_core::ObjectId) {
        for i in self.st.weaks_by_target.remove(&id).unwrap_or_default() {
            if let Some(Some(e)) = self.st.weaks.get_mut(i) {
                e.cleared = true;
            }
        }
    }

    /// The finalizer hook's work for `root`.
    fn finalize(&mut self, root: Root) {
        // A collection clears weak references (their callbacks run)
        // before it finalizes, as CPython's `handle_weakrefs` does.
        let r = self.weak_callbacks().and_then(|_| self.run_del(root));
        if let Err(e) = r {
            self.st.del_error.get_or_insert(e);
        }
        // What `__del__` dropped goes now: inside the collection that
        // runs it, whose next step asks what the finalizers resurrected.
        let _ = self.heap.flush();
    }

    fn run_del(&mut self, obj: Root) -> R<()> {
        match self.tag_of(&obj)? {
            tag::INSTANCE => {}
            tag::WEAK => {
                // A weakref object died: drop its weak references.
                let i = self.extra(&obj)? as usize;
                let me = self.heap.id(&obj)?;
                let mine = matches!(self.st.weaks.get(i), Some(Some(e)) if e.atom == me);
                if mine && let Some(e) = self.st.weaks.get_mut(i).and_then(Option::take) {
                    self.st.weak_by_id.remove(&e.id);
                    if let Some(v) = self.st.weaks_by_target.get_mut(&e.target_id) {
                        v.retain(|&j| j != i);
                        if v.is_empty() {
                            self.st.weaks_by_target.remove(&e.target_id);
                        }
                    }
                    self.st.weak_free.push(i);
                }
                return Ok(());
            }
            _ => return Ok(()),
        }
        let k = self.st.classes[self.extra(&obj)? as usize].clone();
        // Whatever the class holds as `__del__` is called (CPython's
        // `slot_tp_finalize`), a value that is not a function too.
        let Some(del) = self.class_attr(&k, "__del__")? else {
            return Ok(());
        };
        if self.heap.name() == "marksweep" {
            // PyPy clears the object's weak references just before its
            // `__del__` (`UserDelAction._call_finalizer`): they read `None`
            // in it and after it, even if it resurrects the object; their
            // callbacks still run when the object is freed.
            let id = self.heap.id(&obj)?;
            self.clear_weakrefs_to(id);
        }
        self.st.del_runs += 1;
        let line = self.st.line;
        let del = match del {
            Value::Func(f) => f,
            other => {
                let what = match other {
                    Value::None => None,
                    _ => Some(self.repr(&other)?),
                };
                let r = self.call_special(other, obj, Vec::new());
                self.st.line = line;
                return match r {
                    Ok(_) => Ok(()),
                    Err(e) => self.report_unraisable(e, what.as_deref()),
                };
            }
        };
        let r = self.call_func(&del, vec![Value::Obj(obj)]);
        self.st.line = line;
        if let Err(e) = r {
            let what = format!(
                "<function {} at {}>",
                del.qualname,
                fake_addr(0x10_0000 + u64::from(del.index))
            );
            self.report_ignored(e, &what)?;
        }
        Ok(())
    }

    /// CPython's `PyErr_WriteUnraisable`: `Exception ignored in: {what}`
    /// (nothing for a `__del__` that is `None`), the traceback, and the
    /// exception, on stderr. An exception that left no frame of the
    /// program (a `__del__` or callback that is not a function,
    /// `__del__ = 5`) gets the frame that is running, if any (none at
    /// exit). PyPy prints the object and the frames the exception left.
    fn report_unraisable(&mut self, e: Exc, what: Option<&str>) -> R<()> {
        let p = match e {
            Exc::Unsupported(u) => return Err(Exc::Unsupported(u)),
            Exc::Py(p) => p,
        };
        let cpython = self.traceback_style() == Style::Cpython;
        // CPython writes to stderr with its stdout's buffer left as it
        // is (block-buffered into a pipe or file: what was printed before
        // comes out after); PyPy flushes it first.
        if !cpython {
            let _ = self.st.out.flush();
        }
        match what {
            Some(w) => eprintln!("Exception ignored in: {w}"),
            None if !cpython => eprintln!("Exception ignored in:"),
            None => {}
        }
        let mut frames: Vec<TbFrame> = p.frames.into_iter().rev().collect();
        if frames.is_empty()
            && cpython
            && !self.st.at_exit
            && let Some(spot) = self.st.spot
        {
            frames.push(TbFrame {
                func: self.frame_name(),
                spot,
            });
        }
        self.print_traceback(&frames);
        let sep = if p.msg.is_empty() { "" } else { ": " };
        eprintln!("{}{sep}{}", p.kind, p.msg);
        Ok(())
    }

    /// How this runtime prints a traceback: PyPy's on `marksweep`.
    pub fn traceback_style(&self) -> Style {
        if self.heap.name() == "marksweep" {
            Style::Pypy
        } else {
            Style::Cpython
        }
    }

    /// `Traceback (most recent call last):` and `frames` (outermost
    /// first), on stderr; nothing when there are none. Once the main
    /// module is torn down CPython prints no source lines (its `io` is
    /// gone by then).
    pub fn print_traceback(&self, frames: &[TbFrame]) {
        if frames.is_empty() {
            return;
        }
        let style = if self.st.teardown {
            Style::Bare
        } else {
            self.traceback_style()
        };
        eprint!(
            "Traceback (most recent call last):\n{}",
            crate::traceback::format(&self.st.src, style, frames)
        );
    }

    /// [`Self::report_unraisable`] of an exception out of `what`.
    pub fn report_ignored(&mut self, e: Exc, what: &str) -> R<()> {
        self.report_unraisable(e, Some(what))
    }

    /// At exit: what CPython's finalization does with `__main__`'s
    /// globals (cleared first assigned first, then a last collection), on
    /// the strategies that model CPython. PyPy runs no finalizer at exit.
    /// Whether `gc.callbacks` holds a function of the program: through its
    /// `__globals__` it keeps the main module's globals alive past the
    /// module teardown (CPython clears the callbacks list after it), so
    /// none of them is finalized.
    fn callbacks_hold_globals(&mut self) -> R<bool> {
        let Some(l) = &self.st.gc_callbacks else {
            return Ok(false);
        };
        let l = self.heap.dup(l)?;
        for i in 0..self.extra(&l)? as usize {
            if matches!(
                self.list_item(&l, i)?,
                Value::Func(_) | Value::Method(..) | Value::Class(_)
            ) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether `gc.garbage` (the collector's, which DEBUG_SAVEALL fills)
    /// reaches a function of the program: an instance's class holds its
    /// methods, whose `__globals__` keep the main module's globals alive
    /// past the module teardown, so none of them is finalized (CPython).
    fn garbage_holds_globals(&mut self) -> R<bool> {
        if !self.heap.keeps_garbage() {
            return Ok(false);
        }
        let mut todo = self.garbage_items()?;
        let mut seen = std::collections::HashSet::new();
        while let Some(v) = todo.pop() {
            match v {
                Value::Func(_) | Value::Method(..) => return Ok(true),
                Value::Class(k) if class_holds_functions(&k) => return Ok(true),
                Value::Obj(r) => {
                    if !seen.insert(self.heap.id(&r)?) {
                        continue;
                    }
                    if let Some(k) = self.class_of(&r)?
                        && class_holds_functions(&k)
                    {
                        return Ok(true);
                    }
                    for i in 0..self.heap.slot_count(&r)? {
                        todo.push(self.slot_value(&r, i)?);
                    }
                }
                _ => {}
            }
        }
        Ok(false)
    }

    /// `sys.last_value` and `sys.last_traceback` cleared: what the
    /// exception that ended the program kept alive goes, its object
    /// first, then its frames, innermost first.
    fn release_last_traceback(&mut self) -> R<()> {
        if let Some(mut e) = self.st.last_exc.take() {
            if let Some(more) = &mut e.more {
                drop(more.obj.take());
            }
            drop(e);
        }
        self.safe_point()
    }

    pub fn shutdown(&mut self) -> R<()> {
        self.safe_point()?;
        self.st.at_exit = true;
        let _ = self.st.out.flush();
        if !self.heap.collect_returns_count() {
            return Ok(());
        }
        // CPython's finalization: a collection; then `__main__`'s module,
        // its dict and everything only they hold become garbage together
        // (the module and its functions refer to each other), and one
        // collection finalizes them all, in the collector's order. Here
        // the globals go into one container that refers to itself, which
        // then becomes garbage the same way.
        if self.heap.name() == "generational" {
            // CPython 3.11 collects first only while the collector is
            // enabled (observed: after `gc.disable()`, the garbage and the
            // globals are finalized together); the last collection runs
            // regardless.
            if self.st.gc_enabled {
                self.gc_collect(2)?;
            }
            self.release_last_traceback()?;
            if self.callbacks_hold_globals()? || self.garbage_holds_globals()? {
                if !self.st.gc_enabled {
                    // The last collection runs all the same, enabled or
                    // not, and calls no callbacks (`_PyGC_CollectNoFail`):
                    // the garbage the globals do not hold is finalized.
                    self.st.gc_callbacks = None;
                    self.safe_point()?;
                    self.gc_collect(2)?;
                }
                return Ok(());
            }
            self.st.teardown = true;
            let vals = self.st.globals.drain_named();
            let mut boxed = Vec::with_capacity(vals.len());
            let mut names = HashMap::with_capacity(vals.len());
            for (name, v) in &vals {
                let heap_object = matches!(
                    v,
                    Value::Obj(_) | Value::Method(..) | Value::BoundBuiltin(..) | Value::View(..)
                );
                if !heap_object {
                    names.insert(name.clone(), ExitGlobal::Value(self.dup(v)?));
                }
                if let Ok(b) = self.boxed(v) {
                    if heap_object {
                        names.insert(name.clone(), ExitGlobal::Slot(boxed.len()));
                    }
                    boxed.push(b);
                }
            }
            // The heap objects the classes hold go into the container
            // too: in CPython a class is garbage with the module (it
            // refers to itself through its MRO), and so is what its dict
            // holds (`Pool.items = [R()]`), finalized in the same
            // collection. Reads go through the container meanwhile.
            let mut class_attrs: HashMap<u32, HashMap<Rc<str>, usize>> = HashMap::new();
            let mut moved = Vec::new();
            for k in self.st.classes.clone() {
                let mut attrs = k.attrs.borrow_mut();
                let heap: Vec<Rc<str>> = attrs
                    .iter()
                    .filter(|(_, v)| matches!(v, Value::Obj(_)))
                    .map(|(n, _)| n.clone())
                    .collect();
                for name in heap {
                    if let Some(v) = attrs.remove(&name) {
                        moved.push((k.index, name, v));
                    }
                }
            }
            for (class, name, v) in &moved {
                if let Ok(b) = self.boxed(v) {
                    class_attrs
                        .entry(*class)
                        .or_default()
                        .insert(name.clone(), boxed.len());
                    boxed.push(b);
                }
            }
            let dict = self.lend(|hp| hp.node(boxed.len() + 1, &[tag::STORAGE]))?;
            for (i, b) in boxed.iter().enumerate() {
                self.lend(|hp| hp.set(&dict, i, Some(b)))?;
            }
            self.lend(|hp| hp.set(&dict, boxed.len(), Some(&dict)))?;
            // The globals stay readable through the container (garbage
            // from here on, as CPython's module dict) while the last
            // collection runs their finalizers.
            let exit_globals = self.heap.reroot_key(&dict).map(|dict| ExitGlobals {
                names,
                class_attrs,
                dict,
            });
            drop(boxed);
            drop(moved);
            drop(vals);
            drop(dict);
            // The last collection calls no `gc.callbacks` (CPython's
            // `_PyGC_CollectNoFail`).
            self.st.gc_callbacks = None;
            self.safe_point()?;
            self.st.exit_globals = exit_globals;
            let r = self.gc_collect(2);
            self.st.exit_globals = None;
            r?;
        } else {
            // One at a time, first bound first; a `__del__` this runs still
            // reads the globals not yet unbound.
            self.release_last_traceback()?;
            self.st.teardown = true;
            for i in 0..self.st.globals.len() {
                drop(self.st.globals.take_at(i));
                self.safe_point()?;
            }
            drop(self.st.globals.drain());
            // The `gc` module's lists go with the module.
            self.st.gc_callbacks = None;
            self.st.gc_garbage = None;
            self.safe_point()?;
        }
        let _ = self.st.out.flush();
        Ok(())
    }
}

// ----- helpers ----------------------------------------------------------------

/// Whether `k` (or a base) holds a function of the program, which holds
/// the main module's globals.
fn class_holds_functions(k: &Class) -> bool {
    let mut c = Some(k);
    while let Some(k) = c {
        if k.attrs
            .borrow()
            .values()
            .any(|v| matches!(v, Value::Func(_)))
        {
            return true;
        }
        c = k.base.as_deref();
    }
    false
}

/// Adds to `layout` every attribute `me.x` assigned in `body`.
fn collect_self_attrs(body: &[ast::Stmt], me: &str, layout: &mut Vec<Rc<str>>) {
    fn target(t: &ast::Expr, me: &str, layout: &mut Vec<Rc<str>>) {
        match t {
            ast::Expr::Attribute(a) => {
                if let ast::Expr::Name(n) = &*a.value
                    && n.id.as_str() == me
                    && !layout.iter().any(|x| **x == *a.attr.as_str())
                {
                    layout.push(Rc::from(a.attr.as_str()));
                }
            }
            ast::Expr::Tuple(t) => t.elts.iter().for_each(|e| target(e, me, layout)),
            ast::Expr::List(t) => t.elts.iter().for_each(|e| target(e, me, layout)),
            _ => {}
        }
    }
    for s in body {
        match s {
            ast::Stmt::Assign(a) => a.targets.iter().for_each(|t| target(t, me, layout)),
            ast::Stmt::AugAssign(a) => target(&a.target, me, layout),
            ast::Stmt::If(i) => {
                collect_self_attrs(&i.body, me, layout);
                collect_self_attrs(&i.orelse, me, layout);
            }
            ast::Stmt::While(w) => collect_self_attrs(&w.body, me, layout),
            ast::Stmt::For(f) => collect_self_attrs(&f.body, me, layout),
            _ => {}
        }
    }
}

/// CPython's message for a call of `func` with `given` positional
/// arguments that are not as many as its parameters (named by its
/// qualified name, as CPython 3.10 and later do).
fn arity_message(func: &Func, given: usize) -> String {
    let n = func.params.len();
    if given > n {
        return format!(
            "{}() takes {n} positional argument{} but {given} {} given",
            func.qualname,
            if n == 1 { "" } else { "s" },
            if given == 1 { "was" } else { "were" }
        );
    }
    let missing: Vec<String> = func.params[given..]
        .iter()
        .map(|p| format!("'{p}'"))
        .collect();
    let names = match missing.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
        [] => String::new(),
    };
    format!(
        "{}() missing {} required positional argument{}: {names}",
        func.qualname,
        missing.len(),
        if missing.len() == 1 { "" } else { "s" }
    )
}

/// A second reference to `v` (a new root for heap objects).
pub fn dup_value<C: Strategy>(heap: &mut Heap<C>, v: &Value) -> R<Value> {
    Ok(match v {
        Value::None => Value::None,
        Value::Bool(b) => Value::Bool(*b),
        Value::Int(i) => Value::Int(*i),
        Value::Str(s) => Value::Str(s.clone()),
        Value::Obj(r) => Value::Obj(heap.dup(r)?),
        Value::Class(c) => Value::Class(c.clone()),
        Value::Func(f) => Value::Func(f.clone()),
        Value::Method(f, r) => Value::Method(f.clone(), heap.dup(r)?),
        Value::Builtin(b) => Value::Builtin(*b),
        Value::BoundBuiltin(b, r) => Value::BoundBuiltin(*b, heap.dup(r)?),
        Value::Module(m) => Value::Module(*m),
        Value::Range(a, b, c) => Value::Range(*a, *b, *c),
        Value::Garbage => Value::Garbage,
        Value::View(k, r) => Value::View(*k, heap.dup(r)?),
    })
}

/// An atom's payload, decoded (no root needed).
pub enum Atom {
    Int(i64),
    Str(Rc<str>),
    None,
    Bool(bool),
    Func(u32),
    Class(u32),
    /// A weakref object: needs a root.
    Other,
}

pub fn decode_atom(p: &[u8]) -> Atom {
    match p.first().copied() {
        Some(tag::INT) if p.len() == 9 => Atom::Int(read_i64(p)),
        Some(tag::STR) => Atom::Str(Rc::from(String::from_utf8_lossy(&p[1..]).as_ref())),
        Some(tag::NONE) => Atom::None,
        Some(tag::TRUE) => Atom::Bool(true),
        Some(tag::FALSE) => Atom::Bool(false),
        Some(tag::FUNC) if p.len() == 5 => Atom::Func(read_u32(p)),
        Some(tag::CLASS) if p.len() == 5 => Atom::Class(read_u32(p)),
        _ => Atom::Other,
    }
}

fn overflow<T>() -> R<T> {
    err("OverflowError", "integer overflow (gc-py ints are 64-bit)")
}

pub fn int_payload(i: i64) -> [u8; 9] {
    let mut p = [0u8; 9];
    p[0] = tag::INT;
    p[1..].copy_from_slice(&i.to_le_bytes());
    p
}

fn idx_payload(t: u8, i: u32) -> [u8; 5] {
    let mut p = [0u8; 5];
    p[0] = t;
    p[1..].copy_from_slice(&i.to_le_bytes());
    p
}

pub fn read_i64(p: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&p[1..9]);
    i64::from_le_bytes(b)
}

pub fn read_u32(p: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&p[1..5]);
    u32::from_le_bytes(b)
}

/// A CPython-looking address for an object id.
pub fn fake_addr(id: u64) -> String {
    format!("0x7f{:010x}", 0x1000_0000 + id * 0x30)
}

pub fn stmt_name(s: &ast::Stmt) -> &'static str {
    match s {
        ast::Stmt::FunctionDef(_) => "def",
        ast::Stmt::AsyncFunctionDef(_) => "async def",
        ast::Stmt::ClassDef(_) => "class",
        ast::Stmt::Return(_) => "return",
        ast::Stmt::Delete(_) => "del",
        ast::Stmt::Assign(_) => "assignment",
        ast::Stmt::TypeAlias(_) => "type alias",
        ast::Stmt::AugAssign(_) => "augmented assignment",
        ast::Stmt::AnnAssign(_) => "annotated assignment",
        ast::Stmt::For(_) => "for",
        ast::Stmt::AsyncFor(_) => "async for",
        ast::Stmt::While(_) => "while",
        ast::Stmt::If(_) => "if",
        ast::Stmt::With(_) => "with",
        ast::Stmt::AsyncWith(_) => "async with",
        ast::Stmt::Match(_) => "match",
        ast::Stmt::Raise(_) => "raise",
        ast::Stmt::Try(_) => "try",
        ast::Stmt::TryStar(_) => "try/except*",
        ast::Stmt::Assert(_) => "assert",
        ast::Stmt::Import(_) => "import",
        ast::Stmt::ImportFrom(_) => "from … import",
        ast::Stmt::Global(_) => "global",
        ast::Stmt::Nonlocal(_) => "nonlocal",
        ast::Stmt::Expr(_) => "expression statement",
        ast::Stmt::Pass(_) => "pass",
        ast::Stmt::Break(_) => "break",
        ast::Stmt::Continue(_) => "continue",
    }
}

pub fn expr_name(e: &ast::Expr) -> &'static str {
    match e {
        ast::Expr::BoolOp(_) => "and/or",
        ast::Expr::NamedExpr(_) => "assignment expression (:=)",
        ast::Expr::BinOp(_) => "this operator",
        ast::Expr::UnaryOp(_) => "this unary operator",
        ast::Expr::Lambda(_) => "lambda",
        ast::Expr::IfExp(_) => "conditional expression",
        ast::Expr::Dict(_) => "dict display",
        ast::Expr::Set(_) => "set display",
        ast::Expr::ListComp(_) => "list comprehension",
        ast::Expr::SetComp(_) => "set comprehension",
        ast::Expr::DictComp(_) => "dict comprehension",
        ast::Expr::GeneratorExp(_) => "generator expression",
        ast::Expr::Await(_) => "await",
        ast::Expr::Yield(_) => "yield",
        ast::Expr::YieldFrom(_) => "yield from",
        ast::Expr::Compare(_) => "this comparison",
        ast::Expr::Call(_) => "call",
        ast::Expr::FormattedValue(_) => "formatted value",
        ast::Expr::JoinedStr(_) => "f-string",
        ast::Expr::Constant(_) => "this constant",
        ast::Expr::Attribute(_) => "attribute",
        ast::Expr::Subscript(_) => "subscript",
        ast::Expr::Starred(_) => "starred expression",
        ast::Expr::Name(_) => "name",
        ast::Expr::List(_) => "list display",
        ast::Expr::Tuple(_) => "tuple display",
        ast::Expr::Slice(_) => "slice",
    }
}

/// A list or tuple of `n` items is past the object model's limit
/// ([`gc_core::MAX_SLOTS`]): the heap's own error, before anything is
/// built for it.
pub fn too_many_slots(n: usize) -> R<()> {
    if n > gc_core::MAX_SLOTS {
        return Err(gc_core::GcError::TooLarge {
            what: "slots",
            requested: n,
            limit: gc_core::MAX_SLOTS,
        }
        .into());
    }
    Ok(())
}
