//! What the evaluator holds: [`Value`]s, and the classes and functions of
//! the program (which live outside the collected heap, as immortals).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use rustpython_parser::ast;

use crate::heap::Root;

/// A value on the evaluation stack or in a variable. Heap objects are
/// [`Value::Obj`] (a root); ints, strings, `None` and booleans are kept
/// unboxed here and become atoms when stored in a container.
#[derive(Debug)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// A 64-bit int.
    Int(i64),
    /// A str.
    Str(Rc<str>),
    /// A list, dict, tuple, instance or weak reference: one heap object.
    Obj(Root),
    /// A class of the program.
    Class(Rc<Class>),
    /// A function of the program.
    Func(Rc<Func>),
    /// A bound method.
    Method(Rc<Func>, Root),
    /// A built-in function.
    Builtin(Builtin),
    /// A built-in method bound to its object (`lst.append`).
    BoundBuiltin(Builtin, Root),
    /// A module.
    Module(Module),
    /// `range(start, stop, step)`.
    Range(i64, i64, i64),
    /// `gc.garbage`.
    Garbage,
    /// A live view of a dict: `d.keys()`, `d.values()`, `d.items()`.
    View(ViewKind, Root),
}

impl Value {
    /// The heap object the value holds, if any.
    pub fn root(&self) -> Option<&Root> {
        match self {
            Value::Obj(r) | Value::Method(_, r) | Value::BoundBuiltin(_, r) | Value::View(_, r) => {
                Some(r)
            }
            _ => None,
        }
    }
}

/// Which view of a dict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// `dict_keys`.
    Keys,
    /// `dict_values`.
    Values,
    /// `dict_items`.
    Items,
}

impl ViewKind {
    /// The view's type name.
    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Keys => "dict_keys",
            ViewKind::Values => "dict_values",
            ViewKind::Items => "dict_items",
        }
    }
}

/// The modules `import` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Module {
    /// `gc`.
    Gc,
    /// `weakref`.
    Weakref,
    /// `sys`.
    Sys,
}

impl Module {
    /// The module's name.
    pub fn name(self) -> &'static str {
        match self {
            Module::Gc => "gc",
            Module::Weakref => "weakref",
            Module::Sys => "sys",
        }
    }
}

/// Built-in functions and methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Builtin {
    Print,
    Len,
    Str,
    Repr,
    Range,
    IsInstance,
    Id,
    Abs,
    Min,
    Max,
    List,
    Dict,
    ListAppend,
    ListPop,
    ListClear,
    DictGet,
    DictKeys,
    DictItems,
    DictValues,
    DictPop,
    DictClear,
    GarbageClear,
    GarbageAppend,
    GcCollect,
    GcEnable,
    GcDisable,
    GcIsEnabled,
    GcGetCount,
    GcGetThreshold,
    GcSetThreshold,
    GcIsTracked,
    GcFreeze,
    GcUnfreeze,
    GcGetFreezeCount,
    GcSetDebug,
    WeakrefRef,
    SysGetRefCount,
    SysSetRecursionLimit,
    SysGetRecursionLimit,
}

impl Builtin {
    /// The Python name.
    pub fn name(self) -> &'static str {
        use Builtin::*;
        match self {
            Print => "print",
            Len => "len",
            Str => "str",
            Repr => "repr",
            Range => "range",
            IsInstance => "isinstance",
            Id => "id",
            Abs => "abs",
            Min => "min",
            Max => "max",
            List => "list",
            Dict => "dict",
            ListAppend | GarbageAppend => "append",
            ListPop | DictPop => "pop",
            ListClear | DictClear | GarbageClear => "clear",
            DictGet => "get",
            DictKeys => "keys",
            DictItems => "items",
            DictValues => "values",
            GcCollect => "collect",
            GcEnable => "enable",
            GcDisable => "disable",
            GcIsEnabled => "isenabled",
            GcGetCount => "get_count",
            GcGetThreshold => "get_threshold",
            GcSetThreshold => "set_threshold",
            GcIsTracked => "is_tracked",
            GcFreeze => "freeze",
            GcUnfreeze => "unfreeze",
            GcGetFreezeCount => "get_freeze_count",
            GcSetDebug => "set_debug",
            WeakrefRef => "ref",
            SysGetRefCount => "getrefcount",
            SysSetRecursionLimit => "setrecursionlimit",
            SysGetRecursionLimit => "getrecursionlimit",
        }
    }

    /// The type's name, for a builtin that is a type in CPython (`str`,
    /// `list`, …, `weakref.ref`): its repr is `<class 'NAME'>`, its type
    /// `type`.
    pub fn type_name(self) -> Option<&'static str> {
        use Builtin::*;
        Some(match self {
            Str => "str",
            Range => "range",
            List => "list",
            Dict => "dict",
            WeakrefRef => "weakref.ReferenceType",
            _ => return None,
        })
    }

    /// The builtin a global name refers to.
    pub fn global(name: &str) -> Option<Builtin> {
        use Builtin::*;
        Some(match name {
            "print" => Print,
            "len" => Len,
            "str" => Str,
            "repr" => Repr,
            "range" => Range,
            "isinstance" => IsInstance,
            "id" => Id,
            "abs" => Abs,
            "min" => Min,
            "max" => Max,
            "list" => List,
            "dict" => Dict,
            _ => return None,
        })
    }
}

/// A function of the program (immortal: its AST is leaked for the process).
#[derive(Debug)]
pub struct Func {
    /// Its name.
    pub name: Rc<str>,
    /// `Class.name` for methods.
    pub qualname: Rc<str>,
    /// Positional parameters.
    pub params: Vec<Rc<str>>,
    /// Its local names as its code object lists them (`co_varnames`): the
    /// parameters, then every other name it binds, in the order its code
    /// first uses each. A read of one of them never falls back to the
    /// globals (unbound, it is an `UnboundLocalError`).
    pub varnames: Box<[Rc<str>]>,
    /// The body.
    pub body: &'static [ast::Stmt],
    /// Its index in the interpreter's function table (for atoms).
    pub index: u32,
}

impl Func {
    /// Whether `name` is one of its local names.
    pub fn is_local(&self, name: &str) -> bool {
        self.varnames.iter().any(|v| **v == *name)
    }
}

/// A class of the program.
#[derive(Debug)]
pub struct Class {
    /// Its name.
    pub name: Rc<str>,
    /// `f.<locals>.K` for a class made in a function.
    pub qualname: Rc<str>,
    /// Single inheritance.
    pub base: Option<Rc<Class>>,
    /// Methods and class attributes.
    pub attrs: RefCell<HashMap<Rc<str>, Value>>,
    /// Instance attribute names, in the order of the instance's slots.
    pub layout: RefCell<Vec<Rc<str>>>,
    /// Its index in the interpreter's class table.
    pub index: u32,
}

impl Class {
    /// Looks a name up along the base chain.
    pub fn lookup<T>(&self, name: &str, f: impl Fn(&Value) -> T) -> Option<T> {
        let mut c = Some(self);
        while let Some(k) = c {
            if let Some(v) = k.attrs.borrow().get(name) {
                return Some(f(v));
            }
            c = k.base.as_deref();
        }
        None
    }

    /// Whether `self` is `other` or derives from it.
    pub fn is_subclass(&self, other: &Class) -> bool {
        let mut c = Some(self);
        while let Some(k) = c {
            if std::ptr::eq(k, other) {
                return true;
            }
            c = k.base.as_deref();
        }
        false
    }

    /// The slot of attribute `name` in instances, adding it if new.
    pub fn slot_of(&self, name: &str, add: bool) -> Option<usize> {
        let mut l = self.layout.borrow_mut();
        if let Some(i) = l.iter().position(|n| &**n == name) {
            return Some(i);
        }
        if add {
            l.push(Rc::from(name));
            Some(l.len() - 1)
        } else {
            None
        }
    }
}

/// Payload tags: the first byte of every object's payload.
pub mod tag {
    /// Atom: an int (8 bytes little endian follow).
    pub const INT: u8 = b'i';
    /// Atom: a str (UTF-8 follows).
    pub const STR: u8 = b's';
    /// Atom: `None`.
    pub const NONE: u8 = b'N';
    /// Atom: `True`.
    pub const TRUE: u8 = b'T';
    /// Atom: `False`.
    pub const FALSE: u8 = b'F';
    /// Atom: a weak reference object (u32 index follows).
    pub const WEAK: u8 = b'w';
    /// Atom: a function (u32 index follows).
    pub const FUNC: u8 = b'f';
    /// Atom: a class (u32 index follows).
    pub const CLASS: u8 = b'c';
    /// Node: a list (u32 length follows).
    pub const LIST: u8 = b'L';
    /// Node: a dict (u32 number of entries follows).
    pub const DICT: u8 = b'D';
    /// Node: an instance (u32 class index follows).
    pub const INSTANCE: u8 = b'I';
    /// Node: the overflow storage of a list, dict or instance.
    pub const STORAGE: u8 = b'S';
}

/// A dict's hash index: entry indexes by key hash, for the `entries`
/// entries the dict had when it was last brought up to date (a dict with
/// another count has a stale index, made again when next searched).
/// `by_hash` is `None` when a key has no hash here.
#[derive(Debug)]
pub struct DictIndex {
    /// The dict's entry count the index is up to date with.
    pub entries: usize,
    /// Entry indexes by key hash; `None`: a key has no hash here.
    pub by_hash: Option<HashMap<u64, Vec<u32>>>,
}
