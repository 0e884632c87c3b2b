//! Built-in functions, methods, and the `gc`, `weakref` and `sys` modules.

use std::io::Write;
use std::rc::Rc;

use gc_core::Control;

use crate::heap::{Heap, Root, Strategy};
use crate::interp::{Exc, Interp, R, State, WeakEntry, err, os_error};
use crate::source::Unsupported;
use crate::value::{Builtin, Module, Value, ViewKind, tag};

/// `gc.DEBUG_SAVEALL`.
const DEBUG_SAVEALL: i64 = 32;

/// Checks that `b` got between `min` and `max` arguments, refusing others
/// with the message of the way CPython checks that builtin's count.
fn arity(b: Builtin, args: &[Value], min: usize, max: usize) -> R<()> {
    use Builtin::*;
    let n = args.len();
    if (min..=max).contains(&n) {
        return Ok(());
    }
    let s = |k: usize| if k == 1 { "" } else { "s" };
    // The qualified name of a `METH_O` or `METH_NOARGS` function.
    let qualified = match b {
        ListAppend | GarbageAppend | ListClear | GarbageClear => format!("list.{}", b.name()),
        DictKeys | DictItems | DictValues | DictClear => format!("dict.{}", b.name()),
        GcEnable | GcDisable | GcIsEnabled | GcGetCount | GcGetThreshold | GcIsTracked
        | GcFreeze | GcUnfreeze | GcGetFreezeCount | GcSetDebug => format!("gc.{}", b.name()),
        SysGetRefCount | SysSetRecursionLimit | SysGetRecursionLimit => {
            format!("sys.{}", b.name())
        }
        _ => b.name().to_owned(),
    };
    let msg = match b {
        // `METH_O`: one object.
        Len | Repr | Id | Abs | ListAppend | GarbageAppend | GcIsTracked | GcSetDebug
        | SysGetRefCount | SysSetRecursionLimit => {
            format!("{qualified}() takes exactly one argument ({n} given)")
        }
        // `METH_NOARGS`.
        ListClear | GarbageClear | DictKeys | DictItems | DictValues | DictClear | GcEnable
        | GcDisable | GcIsEnabled | GcGetCount | GcGetThreshold | GcFreeze | GcUnfreeze
        | GcGetFreezeCount | SysGetRecursionLimit => {
            format!("{qualified}() takes no arguments ({n} given)")
        }
        // `_PyArg_CheckPositional`: the bare name, "expected".
        Range | IsInstance | Min | Max | List | Dict | ListPop | DictGet | DictPop | WeakrefRef => {
            let name = if b == WeakrefRef { "__new__" } else { b.name() };
            if min == max {
                format!("{name} expected {min} argument{}, got {n}", s(min))
            } else if n < min {
                format!("{name} expected at least {min} argument{}, got {n}", s(min))
            } else {
                format!("{name} expected at most {max} argument{}, got {n}", s(max))
            }
        }
        // Argument Clinic's optional positional arguments.
        _ => {
            let expected = if min == max {
                format!("exactly {min} argument{}", s(min))
            } else if n < min {
                format!("at least {min} argument{}", s(min))
            } else {
                format!("at most {max} argument{}", s(max))
            };
            format!("{}() takes {expected} ({n} given)", b.name())
        }
    };
    err("TypeError", msg)
}

impl<C: Strategy> Interp<'_, C> {
    /// `isinstance(v, t)`: `t` a class of the program, `str`, `list` or
    /// `dict`, or a tuple of any of these (nested tuples too, as CPython
    /// reads them).
    pub fn is_instance(&mut self, v: &Value, t: &Value) -> R<bool> {
        Ok(match (v, t) {
            (Value::Obj(r), Value::Class(k)) => match self.class_of(r)? {
                Some(c) => c.is_subclass(k),
                None => false,
            },
            (_, Value::Class(_)) => false,
            (_, Value::Obj(t)) if self.tag_of(t)? == b't' => {
                for i in 0..self.heap.slot_count(t)? {
                    let member = self.slot_value(t, i)?;
                    if self.is_instance(v, &member)? {
                        return Ok(true);
                    }
                }
                false
            }
            (Value::Str(_), Value::Builtin(Builtin::Str)) => true,
            (Value::Obj(r), Value::Builtin(Builtin::List)) => self.tag_of(r)? == tag::LIST,
            (Value::Obj(r), Value::Builtin(Builtin::Dict)) => self.tag_of(r)? == tag::DICT,
            (Value::Garbage, Value::Builtin(Builtin::List)) => true,
            (_, Value::Builtin(Builtin::Str | Builtin::List | Builtin::Dict)) => false,
            (_, Value::Builtin(_)) => {
                return Err(Exc::Unsupported(Unsupported {
                    line: self.st.line,
                    what: "isinstance() of this builtin".into(),
                }));
            }
            _ => {
                return err(
                    "TypeError",
                    "isinstance() arg 2 must be a type, a tuple of types, or a union",
                );
            }
        })
    }

    /// An argument Argument Clinic converts to a C `int`
    /// (`_PyLong_AsInt`): an int that fits 32 bits.
    fn c_int_arg(&self, v: &Value) -> R<i64> {
        let n = self.int_arg(v)?;
        if i32::try_from(n).is_err() {
            return err("OverflowError", "Python int too large to convert to C int");
        }
        Ok(n)
    }

    /// An argument that must be an int (`PyNumber_Index`'s check).
    fn int_arg(&self, v: &Value) -> R<i64> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(*b as i64),
            _ => err(
                "TypeError",
                format!(
                    "'{}' object cannot be interpreted as an integer",
                    self.type_name_of(v)
                ),
            ),
        }
    }

    pub fn module_attr(&mut self, m: Module, name: &str) -> R<Value> {
        use Builtin::*;
        // What the modelled runtime's modules lack: PyPy's `gc` has no
        // generations to count, tune, freeze or debug, and its `sys` no
        // reference counts; a strategy without generations has no counts
        // or thresholds.
        let missing = match (m, name) {
            (Module::Sys, "getrefcount") if !self.heap.has_refcounts() => {
                Some("has no reference counts")
            }
            (
                Module::Gc,
                "get_count" | "get_threshold" | "set_threshold" | "is_tracked" | "freeze"
                | "unfreeze" | "get_freeze_count" | "set_debug" | "DEBUG_SAVEALL" | "callbacks",
            ) if self.heap.name() == "marksweep" => Some("is PyPy's, whose gc module has none"),
            (Module::Gc, "get_count" | "get_threshold") if self.heap.get_threshold().is_none() => {
                Some("has no generations with counts and thresholds")
            }
            (Module::Gc, "is_tracked") if self.heap.get_threshold().is_none() => {
                Some("has no cycle collector to track objects")
            }
            _ => None,
        };
        if let Some(why) = missing {
            return err(
                "AttributeError",
                format!(
                    "module '{}' has no attribute '{name}' (the {} strategy {why})",
                    m.name(),
                    self.heap.name()
                ),
            );
        }
        let b = match (m, name) {
            (Module::Gc, "collect") => GcCollect,
            (Module::Gc, "enable") => GcEnable,
            (Module::Gc, "disable") => GcDisable,
            (Module::Gc, "isenabled") => GcIsEnabled,
            (Module::Gc, "get_count") => GcGetCount,
            (Module::Gc, "get_threshold") => GcGetThreshold,
            (Module::Gc, "set_threshold") => GcSetThreshold,
            (Module::Gc, "is_tracked") => GcIsTracked,
            (Module::Gc, "freeze") => GcFreeze,
            (Module::Gc, "unfreeze") => GcUnfreeze,
            (Module::Gc, "get_freeze_count") => GcGetFreezeCount,
            (Module::Gc, "set_debug") => GcSetDebug,
            (Module::Gc, "garbage") => return self.gc_garbage(),
            (Module::Gc, "callbacks") => return self.gc_callbacks_list(),
            (Module::Gc, "DEBUG_SAVEALL") => return Ok(Value::Int(DEBUG_SAVEALL)),
            (Module::Weakref, "ref") => WeakrefRef,
            (Module::Sys, "getrefcount") => SysGetRefCount,
            (Module::Sys, "setrecursionlimit") => SysSetRecursionLimit,
            (Module::Sys, "getrecursionlimit") => SysGetRecursionLimit,
            _ => {
                let msg = format!("module '{}' has no attribute '{name}'", m.name());
                return self.attr_error(&Value::Module(m), name, msg);
            }
        };
        Ok(Value::Builtin(b))
    }

    /// Calling a weak reference: its referent, or `None`.
    pub fn weak_target(&mut self, w: &Root) -> R<Value> {
        let i = self.extra(w)? as usize;
        let me = self.heap.id(w)?;
        let Some(e) = self.st.weaks.get(i).and_then(|e| e.as_ref()) else {
            return Ok(Value::None);
        };
        if e.atom != me || e.cleared {
            // This weakref object was finalized (a garbage cycle's
            // `__del__` still reads it) and its entry went to another; or
            // it was cleared before its referent's `__del__` (marksweep).
            return Ok(Value::None);
        }
        let target = self.heap.upgrade(&e.target);
        Ok(match target? {
            Some(r) => Value::Obj(r),
            None => Value::None,
        })
    }

    fn new_weakref(&mut self, target: &Value, callback: Option<Value>) -> R<Value> {
        // CPython's functions, classes, methods and modules take weak
        // references; gc-py's are not heap objects.
        if matches!(
            target,
            Value::Func(_) | Value::Class(_) | Value::Method(..) | Value::Module(_)
        ) {
            return Err(Exc::Unsupported(Unsupported {
                line: self.st.line,
                what: format!("a weak reference to a {} object", self.type_name_of(target)),
            }));
        }
        let Value::Obj(r) = target else {
            return err(
                "TypeError",
                format!(
                    "cannot create weak reference to '{}' object",
                    self.type_name_of(target)
                ),
            );
        };
        // CPython's lists, dicts, tuples and weakrefs take no weak
        // references.
        if matches!(self.tag_of(r)?, tag::LIST | tag::DICT | b't' | tag::WEAK) {
            return err(
                "TypeError",
                format!(
                    "cannot create weak reference to '{}' object",
                    self.type_name_of(target)
                ),
            );
        }
        // Without a callback, the referent's basic weakref is returned
        // again while it exists (CPython's `get_basic_refs`, PyPy's cached
        // weakref): `weakref.ref(a) is weakref.ref(a)`.
        if callback.is_none() {
            let target_id = self.heap.id(r)?;
            let listed = self.st.weaks_by_target.get(&target_id).cloned();
            for i in listed.unwrap_or_default() {
                let Some(Some(e)) = self.st.weaks.get(i) else {
                    continue;
                };
                if e.callback.is_some() || e.cleared {
                    continue;
                }
                if let Some(basic) = self.heap.upgrade(&e.myself)? {
                    return Ok(Value::Obj(basic));
                }
            }
        }
        // A slot of a dead weakref object is reused.
        let index = self.st.weak_free.pop().unwrap_or(self.st.weaks.len());
        let mut p = [0u8; 5];
        p[0] = tag::WEAK;
        p[1..].copy_from_slice(&(index as u32).to_le_bytes());
        // CPython's weakref is a container the cycle collector tracks (it
        // traverses its callback): counted by `gc.collect()`, saved in
        // `gc.garbage`. Elsewhere an atom.
        let atom = if self.heap.name() == "generational" {
            self.lend(|hp| hp.node(0, &p))?
        } else {
            self.lend(|hp| hp.atom(&p))?
        };
        // The weakref object's own death comes to the finalizer queue, so
        // its weak references can be released.
        self.heap.set_finalizer(&atom, true)?;
        let (target_weak, id) = self.heap.weak(r, callback.is_some())?;
        let (myself, _) = self.heap.weak(&atom, false)?;
        let target_id = self.heap.id(r)?;
        let entry = Some(WeakEntry {
            target: target_weak,
            myself,
            callback,
            id,
            atom: self.heap.id(&atom)?,
            target_id,
            cleared: false,
        });
        if index == self.st.weaks.len() {
            self.st.weaks.push(entry);
        } else {
            self.st.weaks[index] = entry;
        }
        self.st.weak_by_id.insert(id, index);
        self.st
            .weaks_by_target
            .entry(target_id)
            .or_default()
            .push(index);
        Ok(Value::Obj(atom))
    }

    pub fn call_builtin(
        &mut self,
        b: Builtin,
        me: Option<Root>,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
    ) -> R<Value> {
        use Builtin::*;
        let name = b.name();
        match b {
            Print => {
                let mut sep = " ".to_string();
                let mut end = "\n".to_string();
                let mut flush = false;
                // Argument Clinic's check of the names comes first.
                if let Some((k, _)) = kwargs
                    .iter()
                    .find(|(k, _)| !matches!(*k, "sep" | "end" | "file" | "flush"))
                {
                    return err(
                        "TypeError",
                        format!("'{k}' is an invalid keyword argument for print()"),
                    );
                }
                for (k, v) in &kwargs {
                    match (*k, v) {
                        ("flush", v) => {
                            flush = self.truthy(v)?;
                            continue;
                        }
                        ("file", Value::None) => continue,
                        // gc-py has no file objects (`sys.stdout` included).
                        ("file", _) => {
                            return Err(Exc::Unsupported(Unsupported {
                                line: self.st.line,
                                what: "print(file=…)".into(),
                            }));
                        }
                        _ => {}
                    }
                    let s = match v {
                        Value::Str(s) => s.to_string(),
                        Value::None => continue,
                        other => {
                            return err(
                                "TypeError",
                                format!(
                                    "{k} must be None or a string, not {}",
                                    self.type_name_of(other)
                                ),
                            );
                        }
                    };
                    // Only `sep` and `end` are left: the names were checked above.
                    if *k == "sep" {
                        sep = s;
                    } else {
                        end = s;
                    }
                }
                // Written as they come, as CPython's `print` writes: what a
                // `__str__` prints, or what was written before one fails,
                // stays in order.
                // A failed write (the buffer's, when it fills) is
                // CPython's `OSError` at this `print`.
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.write_out(sep.as_bytes())?;
                    }
                    let text = self.str_of(a)?;
                    self.write_out(text.as_bytes())?;
                }
                self.write_out(end.as_bytes())?;
                if flush {
                    self.st.out.flush().map_err(|e| {
                        self.st.out = Box::new(std::io::sink());
                        os_error(e)
                    })?;
                }
                Ok(Value::None)
            }
            Len => {
                arity(b, &args, 1, 1)?;
                let n = match &args[0] {
                    Value::Str(s) => s.chars().count(),
                    Value::Garbage => self.heap.garbage_len()?,
                    Value::View(_, d) => self.extra(d)? as usize,
                    Value::Range(a, b, c) => crate::objects::range_len(*a, *b, *c)?,
                    Value::Obj(r) => match self.tag_of(r)? {
                        tag::LIST | tag::DICT => self.extra(r)? as usize,
                        b't' => self.heap.slot_count(r)?,
                        _ => {
                            return err(
                                "TypeError",
                                format!(
                                    "object of type '{}' has no len()",
                                    self.type_name_of(&args[0])
                                ),
                            );
                        }
                    },
                    other => {
                        return err(
                            "TypeError",
                            format!("object of type '{}' has no len()", self.type_name_of(other)),
                        );
                    }
                };
                Ok(Value::Int(n as i64))
            }
            Str => {
                arity(b, &args, 0, 1)?;
                match args.first() {
                    None => Ok(Value::Str(Rc::from(""))),
                    Some(v) => Ok(Value::Str(Rc::from(self.str_of(v)?))),
                }
            }
            Repr => {
                arity(b, &args, 1, 1)?;
                Ok(Value::Str(Rc::from(self.repr(&args[0])?)))
            }
            Range => {
                arity(b, &args, 1, 3)?;
                let mut n = Vec::new();
                for a in &args {
                    n.push(self.int_arg(a)?);
                }
                let (a, b, c) = match n.as_slice() {
                    [b] => (0, *b, 1),
                    [a, b] => (*a, *b, 1),
                    [a, b, c] => (*a, *b, *c),
                    _ => unreachable!("arity checked"),
                };
                if c == 0 {
                    return err("ValueError", "range() arg 3 must not be zero");
                }
                Ok(Value::Range(a, b, c))
            }
            IsInstance => {
                arity(b, &args, 2, 2)?;
                Ok(Value::Bool(self.is_instance(&args[0], &args[1])?))
            }
            Id => {
                arity(b, &args, 1, 1)?;
                match &args[0] {
                    Value::Obj(r) => Ok(Value::Int(
                        0x7f00_0000_0000 + self.heap.id(r)?.0 as i64 * 0x30,
                    )),
                    // Every object has an id in CPython.
                    other => Err(Exc::Unsupported(Unsupported {
                        line: self.st.line,
                        what: format!("id() of {} values", self.type_name_of(other)),
                    })),
                }
            }
            Abs => {
                arity(b, &args, 1, 1)?;
                let i = match &args[0] {
                    Value::Int(i) => *i,
                    Value::Bool(b) => i64::from(*b),
                    other => {
                        return err(
                            "TypeError",
                            format!("bad operand type for abs(): '{}'", self.type_name_of(other)),
                        );
                    }
                };
                i.checked_abs().map(Value::Int).map_or_else(
                    || err("OverflowError", "integer overflow (gc-py ints are 64-bit)"),
                    Ok,
                )
            }
            Min | Max => {
                arity(b, &args, 1, usize::MAX)?;
                let items = if args.len() == 1 {
                    self.iter_values(&args[0])?
                } else {
                    args
                };
                if items.is_empty() {
                    return err("ValueError", format!("{name}() arg is an empty sequence"));
                }
                let mut best: Option<Value> = None;
                for v in items {
                    best = Some(match best {
                        None => v,
                        Some(cur) => {
                            let op = if b == Min {
                                rustpython_parser::ast::CmpOp::Lt
                            } else {
                                rustpython_parser::ast::CmpOp::Gt
                            };
                            if self.compare(op, &v, &cur)? { v } else { cur }
                        }
                    });
                }
                Ok(best.expect("non-empty"))
            }
            List => {
                arity(b, &args, 0, 1)?;
                let items = match args.first() {
                    Some(v) => self.iter_values(v)?,
                    None => Vec::new(),
                };
                self.new_list(items)
            }
            Dict => {
                arity(b, &args, 0, 1)?;
                if !args.is_empty() {
                    return Err(Exc::Unsupported(Unsupported {
                        line: self.st.line,
                        what: "dict() of a mapping or an iterable".into(),
                    }));
                }
                Ok(Value::Obj(self.new_dict(0)?))
            }
            ListAppend => {
                arity(b, &args, 1, 1)?;
                self.list_append(me.as_ref().expect("bound"), &args[0])?;
                Ok(Value::None)
            }
            ListPop => {
                arity(b, &args, 0, 1)?;
                self.list_pop(me.as_ref().expect("bound"), args.first())
            }
            ListClear => {
                arity(b, &args, 0, 0)?;
                self.list_clear(me.as_ref().expect("bound"))?;
                Ok(Value::None)
            }
            DictGet => {
                arity(b, &args, 1, 2)?;
                let d = me.expect("bound");
                let mut args = args;
                let default = if args.len() == 2 {
                    args.pop().expect("two")
                } else {
                    Value::None
                };
                match self.dict_find(&d, &args[0])? {
                    Some(k) => self.gs_value(&d, 2 * k + 1),
                    None => Ok(default),
                }
            }
            DictKeys | DictItems | DictValues => {
                arity(b, &args, 0, 0)?;
                let d = me.expect("bound");
                let kind = match b {
                    DictKeys => ViewKind::Keys,
                    DictValues => ViewKind::Values,
                    _ => ViewKind::Items,
                };
                Ok(Value::View(kind, d))
            }
            DictPop => {
                arity(b, &args, 1, 2)?;
                let d = me.expect("bound");
                let mut args = args;
                let default = if args.len() == 2 { args.pop() } else { None };
                // `_PyDict_Pop`: an empty dict hashes nothing (an
                // unhashable key is its default, or a `KeyError`).
                let found = if self.extra(&d)? == 0 {
                    None
                } else {
                    self.dict_remove(&d, &args[0])?
                };
                match found {
                    Some(v) => Ok(v),
                    None => match default {
                        Some(v) => Ok(v),
                        None => self.key_error(&args[0]),
                    },
                }
            }
            DictClear => {
                arity(b, &args, 0, 0)?;
                let d = me.expect("bound");
                let n = self.extra(&d)? as usize;
                // CPython's `PyDict_Clear` empties the dict before it
                // drops an entry (a finalizer that stores into the dict
                // keeps what it stores), then drops the entries first to
                // last, each key before its value.
                let mut entries = Vec::with_capacity(2 * n);
                for k in 0..2 * n {
                    entries.push(self.gs_get(&d, k)?);
                }
                self.dict_index_forget(&d)?;
                self.set_extra(&d, 0)?;
                for k in 0..2 * n {
                    // Frees nothing: `entries` holds them.
                    self.gs_set(&d, k, None)?;
                }
                for entry in entries {
                    drop(entry);
                }
                self.lend(|hp| hp.flush())?;
                Ok(Value::None)
            }
            GarbageClear => {
                arity(b, &args, 0, 0)?;
                self.heap.control(Control::GarbageClear)?;
                Ok(Value::None)
            }
            GarbageAppend => {
                arity(b, &args, 1, 1)?;
                let b = self.boxed(&args[0])?;
                self.heap.garbage_append(&b)?;
                Ok(Value::None)
            }
            GcCollect => {
                arity(b, &args, 0, 1)?;
                let generation = match args.first() {
                    Some(v) => self.c_int_arg(v)?,
                    None => 2,
                };
                if !self.heap.collect_returns_count() {
                    // PyPy's `gc.collect(generation)` ignores the number.
                    return self.gc_collect(2);
                }
                if !(0..=2).contains(&generation) {
                    return err("ValueError", "invalid generation");
                }
                self.gc_collect(generation as u64)
            }
            GcEnable | GcDisable => {
                arity(b, &args, 0, 0)?;
                self.st.gc_enabled = b == GcEnable;
                self.heap.control(if self.st.gc_enabled {
                    Control::Enable
                } else {
                    Control::Disable
                })?;
                Ok(Value::None)
            }
            GcIsEnabled => {
                arity(b, &args, 0, 0)?;
                Ok(Value::Bool(self.st.gc_enabled))
            }
            GcGetCount | GcGetThreshold => {
                arity(b, &args, 0, 0)?;
                let v = if b == GcGetCount {
                    self.heap
                        .get_count()?
                        .map(|(a, b, c)| (a as i64, b as i64, c as i64))
                } else {
                    self.heap.get_threshold()
                };
                match v {
                    Some((a, b, c)) => {
                        self.new_tuple(vec![Value::Int(a), Value::Int(b), Value::Int(c)])
                    }
                    None => err(
                        "NotImplementedError",
                        format!(
                            "gc.{name}(): the {} strategy has no generations with counts and thresholds",
                            self.heap.name()
                        ),
                    ),
                }
            }
            GcSetThreshold => {
                arity(b, &args, 1, 3)?;
                // C `int`s, as CPython parses them: negative values are
                // taken (a negative threshold is always passed).
                let mut t = Vec::new();
                for a in &args {
                    let v = self.int_arg(a)?;
                    if v > i64::from(i32::MAX) {
                        return err("OverflowError", "signed integer is greater than maximum");
                    }
                    if v < i64::from(i32::MIN) {
                        return err("OverflowError", "signed integer is less than minimum");
                    }
                    t.push(v);
                }
                self.heap
                    .set_threshold(t[0], t.get(1).copied(), t.get(2).copied())?;
                Ok(Value::None)
            }
            GcIsTracked => {
                arity(b, &args, 1, 1)?;
                Ok(Value::Bool(match &args[0] {
                    // CPython's empty tuple is a static singleton, never
                    // tracked; here each `()` is a container of its own.
                    Value::Obj(r)
                        if self.heap.kind(r)? == gc_core::Kind::Tuple
                            && self.heap.slot_count(r)? == 0 =>
                    {
                        false
                    }
                    Value::Obj(r) => self.heap.is_tracked(r)?,
                    _ => false,
                }))
            }
            GcFreeze | GcUnfreeze => {
                arity(b, &args, 0, 0)?;
                self.heap.control(if b == GcFreeze {
                    Control::Freeze
                } else {
                    Control::Unfreeze
                })?;
                Ok(Value::None)
            }
            GcGetFreezeCount => {
                arity(b, &args, 0, 0)?;
                Ok(Value::Int(self.heap.get_freeze_count() as i64))
            }
            GcSetDebug => {
                arity(b, &args, 1, 1)?;
                match self.c_int_arg(&args[0])? {
                    0 => self.heap.control(Control::DebugOff)?,
                    DEBUG_SAVEALL => self.heap.control(Control::DebugSaveAll)?,
                    // `DEBUG_STATS`, `DEBUG_COLLECTABLE` … print what
                    // CPython's collector saw, which gc-py does not.
                    other => {
                        return Err(Exc::Unsupported(Unsupported {
                            line: self.st.line,
                            what: format!(
                                "gc.set_debug({other}): a flag other than gc.DEBUG_SAVEALL"
                            ),
                        }));
                    }
                };
                Ok(Value::None)
            }
            WeakrefRef => {
                arity(b, &args, 1, 2)?;
                let mut args = args;
                let callback = if args.len() == 2 {
                    match args.pop().expect("two") {
                        Value::None => None,
                        // CPython takes any object, and fails only when it
                        // calls it back (an ignored `TypeError`); gc-py keeps
                        // a callback outside the heap, so it takes those that
                        // hold no container.
                        cb @ (Value::Func(_)
                        | Value::Method(..)
                        | Value::Builtin(_)
                        | Value::Int(_)
                        | Value::Bool(_)
                        | Value::Str(_)) => Some(cb),
                        other => {
                            return err(
                                "TypeError",
                                format!(
                                    "gc-py cannot keep a {} as a weakref callback",
                                    self.type_name_of(&other)
                                ),
                            );
                        }
                    }
                } else {
                    None
                };
                self.new_weakref(&args[0], callback)
            }
            SysGetRefCount => {
                arity(b, &args, 1, 1)?;
                if !self.heap.has_refcounts() {
                    return err(
                        "RuntimeError",
                        format!(
                            "sys.getrefcount(): the {} strategy has no reference counts",
                            self.heap.name()
                        ),
                    );
                }
                match &args[0] {
                    // The argument is one of the roots counted, as in CPython.
                    Value::Obj(r) => match self.heap.refcount(r)? {
                        Some(n) => Ok(Value::Int(n as i64)),
                        None => err("SystemError", "no reference count"),
                    },
                    // gc-py keeps it outside the heap until it is stored in
                    // a container: no count to give.
                    other => Err(Exc::Unsupported(Unsupported {
                        line: self.st.line,
                        what: format!("sys.getrefcount() of {} values", self.type_name_of(other)),
                    })),
                }
            }
            SysSetRecursionLimit => {
                arity(b, &args, 1, 1)?;
                let n = self.c_int_arg(&args[0])?;
                if n < 1 {
                    return err(
                        "ValueError",
                        "recursion limit must be greater or equal than 1",
                    );
                }
                // `sys_setrecursionlimit_impl`: not at or below the depth
                // of this call (the module's frame, each Python frame
                // below, and the call itself).
                let depth = self.st.depth + 2;
                if n <= depth as i64 {
                    return err(
                        "RecursionError",
                        format!(
                            "cannot set the recursion limit to {n} at the recursion depth {depth}: the limit is too low"
                        ),
                    );
                }
                // Taken as asked, as in CPython; a recursion deeper than
                // the evaluator's stack holds is refused when it happens.
                self.st.recursion_limit = usize::try_from(n).unwrap_or(usize::MAX);
                self.st.depth_cap = crate::max_recursion_limit();
                Ok(Value::None)
            }
            SysGetRecursionLimit => {
                arity(b, &args, 0, 0)?;
                Ok(Value::Int(self.st.recursion_limit as i64))
            }
        }
    }

    /// `gc.collect(generation)`: collects, runs the finalizers and weak
    /// callbacks the collection asked for, and answers as the modelled
    /// runtime does (CPython: the number found unreachable; PyPy: `None`).
    /// `gc.callbacks`: one list for the run, made at first use, whose
    /// functions the collector calls around every collection (on the
    /// strategies that have the hook; elsewhere the list is never called,
    /// as no collection of the kind happens).
    fn gc_callbacks_list(&mut self) -> R<Value> {
        if self.st.gc_callbacks.is_none() {
            let Value::Obj(l) = self.new_list(Vec::new())? else {
                return err("SystemError", "a new list is a heap object");
            };
            self.heap.on_collection(gc_callback::<C>);
            self.st.gc_callbacks = Some(l);
        }
        match &self.st.gc_callbacks {
            Some(l) => Ok(Value::Obj(self.heap.dup(l)?)),
            None => Ok(Value::None),
        }
    }

    /// `gc.garbage`: the collector's list where it keeps one (DEBUG_SAVEALL
    /// fills it); elsewhere a list of the program's own, made at first use
    /// (PyPy's `gc.garbage` is a plain list nothing fills).
    fn gc_garbage(&mut self) -> R<Value> {
        if self.heap.keeps_garbage() {
            return Ok(Value::Garbage);
        }
        if self.st.gc_garbage.is_none() {
            let Value::Obj(l) = self.new_list(Vec::new())? else {
                return err("SystemError", "a new list is a heap object");
            };
            self.st.gc_garbage = Some(l);
        }
        match &self.st.gc_garbage {
            Some(l) => Ok(Value::Obj(self.heap.dup(l)?)),
            None => Ok(Value::None),
        }
    }

    /// Calls every function of `gc.callbacks` with `phase` and the info
    /// dict, walking the list by index while it may change (CPython's
    /// `invoke_gc_callback`: one dict, made when the list is not empty,
    /// for every callback of the phase, which sees what those before it
    /// stored there).
    fn run_gc_callbacks(&mut self, phase: &str, info: [u64; 3]) -> R<()> {
        let l = match &self.st.gc_callbacks {
            Some(l) => self.heap.dup(l)?,
            None => return Ok(()),
        };
        if self.extra(&l)? == 0 {
            return Ok(());
        }
        let d = self.new_dict(3)?;
        for (k, v) in ["generation", "collected", "uncollectable"]
            .into_iter()
            .zip(info)
        {
            self.dict_set(&d, Value::Str(Rc::from(k)), Value::Int(v as i64))?;
        }
        let mut i = 0;
        while i < self.extra(&l)? as usize {
            let cb = self.list_item(&l, i)?;
            let what = self.repr(&cb)?;
            let args = vec![Value::Str(Rc::from(phase)), Value::Obj(self.heap.dup(&d)?)];
            if let Err(e) = self.call(cb, args, Vec::new()) {
                self.report_ignored(e, &what)?;
            }
            i += 1;
        }
        Ok(())
    }

    pub fn gc_collect(&mut self, generation: u64) -> R<Value> {
        self.safe_point()?;
        // One collection, as CPython's: `__del__` runs inside it (the state
        // is lent), and what is still unreachable afterwards is freed and
        // counted by the same collection.
        let n = self.collect_lent(generation)?;
        self.safe_point()?;
        if self.heap.collect_returns_count() {
            Ok(Value::Int(n as i64))
        } else {
            Ok(Value::None)
        }
    }
}

/// The collector's `gc.callbacks` hook: runs the program's callbacks with
/// the interpreter's state, when it is lent (every operation that may
/// collect lends it on the strategies with the hook).
fn gc_callback<C: Strategy>(c: &mut C, phase: &'static str, info: [u64; 3]) {
    gc_core::embed::with_lent(|st: &mut State| {
        let mut it = Interp {
            heap: Heap::new(c),
            st,
        };
        if let Err(e) = it.run_gc_callbacks(phase, info) {
            it.st.del_error.get_or_insert(e);
        }
        let _ = it.heap.flush();
    });
}

impl<C: Strategy> Interp<'_, C> {
    /// Writes to the program's standard output; a failure is CPython's
    /// `OSError`, and what was not written is dropped (not tried again at
    /// exit).
    fn write_out(&mut self, bytes: &[u8]) -> R<()> {
        self.st.out.write_all(bytes).map_err(|e| {
            self.st.out = Box::new(std::io::sink());
            os_error(e)
        })
    }
}
