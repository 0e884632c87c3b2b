//! Lists, dicts, tuples and instances on the heap; operators, `repr`,
//! equality.
//!
//! Layouts (the first payload byte is a [`tag`]):
//! - list: a node, `tag::LIST` + length (u32); items in slots `0..len`,
//!   the last slot for an overflow storage node;
//! - dict: a node, `tag::DICT` + entries (u32); keys and values in slots
//!   `2k`, `2k + 1` (insertion order), the last slot for overflow;
//! - instance: a node, `tag::INSTANCE` + class index (u32); attribute `i`
//!   of the class's layout in slot `i` (inline, as CPython 3.11), the last
//!   slot for overflow;
//! - tuple: a tuple of the members.
//!
//! A list, dict or instance is one container: past the slots it was made
//! with, the node grows in place (`Interp::gs_reserve`). Only on a strategy
//! that cannot resize objects (marksweep) does an overflow storage node
//! hold the items (a second container).

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;

use rustpython_parser::ast;

use crate::check::{SPECIAL_METHODS, is_special};
use crate::cpython_names as names;
use crate::heap::{Root, Strategy};
use crate::interp::{Exc, Interp, R, err, err_suggesting, fake_addr};
use crate::source::Unsupported;
use crate::value::{Builtin, Class, DictIndex, Module, Value, ViewKind, tag};

/// A dict with this many entries or more is searched through a hash index
/// (fewer are compared key by key, as fast at that size).
pub const INDEXED: usize = 8;

/// The most dict indexes kept: past it they are all dropped (so are those
/// of dicts that have died) and made again as needed.
const MAX_INDEXES: usize = 4096;

impl<C: Strategy> Interp<'_, C> {
    // ----- construction --------------------------------------------------

    pub fn new_list(&mut self, items: Vec<Value>) -> R<Value> {
        if items.len() >= gc_core::MAX_SLOTS {
            // Too many to hold inline beside the storage link: in a
            // storage node of their own.
            crate::interp::too_many_slots(items.len())?;
            let l = self.new_container(tag::LIST, items.len() as u32, 4)?;
            self.heap.last_first(&l)?;
            self.gs_reserve(&l, items.len())?;
            for (i, v) in items.iter().enumerate() {
                let b = self.boxed(v)?;
                self.gs_set(&l, i, Some(&b))?;
            }
            return Ok(Value::Obj(l));
        }
        // CPython's first allocation for a growing list holds 4 items.
        let l = self.new_container(tag::LIST, items.len() as u32, items.len().max(4))?;
        // `list_dealloc`, `_list_clear` and `list_traverse` go last first.
        self.heap.last_first(&l)?;
        for (i, v) in items.iter().enumerate() {
            let b = self.boxed(v)?;
            self.lend(|hp| hp.set(&l, i, Some(&b)))?;
        }
        Ok(Value::Obj(l))
    }

    pub fn new_tuple(&mut self, items: Vec<Value>) -> R<Value> {
        let mut boxed = Vec::with_capacity(items.len());
        for v in &items {
            boxed.push(self.boxed(v)?);
        }
        let refs: Vec<Option<&Root>> = boxed.iter().map(Some).collect();
        Ok(Value::Obj(self.lend(|hp| hp.tuple(&refs))?))
    }

    pub fn new_dict(&mut self, n: usize) -> R<Root> {
        // CPython's smallest dict table holds 5 entries.
        let d = self.new_container(tag::DICT, 0, 2 * n.max(5))?;
        self.heap.track_as_dict(&d)?;
        Ok(d)
    }

    // ----- lists -----------------------------------------------------------

    pub fn list_item(&mut self, l: &Root, i: usize) -> R<Value> {
        self.gs_value(l, i)
    }

    pub fn list_append(&mut self, l: &Root, v: &Value) -> R<()> {
        let n = self.extra(l)? as usize;
        self.gs_reserve(l, n + 1)?;
        let b = self.boxed(v)?;
        self.gs_set(l, n, Some(&b))?;
        self.set_extra(l, (n + 1) as u32)
    }

    fn index(&self, i: &Value, len: usize, what: &str) -> R<usize> {
        let i = match i {
            Value::Int(i) => *i,
            // A bool is an int (`[a, b][True]` is `b`).
            Value::Bool(b) => i64::from(*b),
            _ => {
                // Each sequence words it its own way (`unicode_subscript`,
                // `list_subscript`, `tuplesubscript`).
                let t = self.type_name_of(i);
                return err(
                    "TypeError",
                    match what {
                        "string" => format!("string indices must be integers, not '{t}'"),
                        _ => format!("{what} indices must be integers or slices, not {t}"),
                    },
                );
            }
        };
        let j = if i < 0 { i + len as i64 } else { i };
        if j < 0 || j >= len as i64 {
            return err("IndexError", format!("{what} index out of range"));
        }
        Ok(j as usize)
    }

    pub fn list_pop(&mut self, l: &Root, at: Option<&Value>) -> R<Value> {
        let n = self.extra(l)? as usize;
        if n == 0 {
            return err("IndexError", "pop from empty list");
        }
        let i = match at {
            // Argument Clinic's `Py_ssize_t` (`_PyNumber_Index`).
            Some(v @ (Value::Int(_) | Value::Bool(_))) => self.index(v, n, "pop")?,
            Some(v) => {
                return err(
                    "TypeError",
                    format!(
                        "'{}' object cannot be interpreted as an integer",
                        self.type_name_of(v)
                    ),
                );
            }
            None => n - 1,
        };
        let v = self.list_item(l, i)?;
        for k in i..n - 1 {
            let next = self.gs_get(l, k + 1)?;
            self.gs_set(l, k, next.as_ref())?;
        }
        self.gs_set(l, n - 1, None)?;
        self.set_extra(l, (n - 1) as u32)?;
        Ok(v)
    }

    pub fn list_clear(&mut self, l: &Root) -> R<()> {
        let n = self.extra(l)? as usize;
        // CPython's `_list_clear` empties the list before it drops an
        // item (a finalizer that appends to the list keeps what it
        // appends), then drops the items last first.
        let mut items = Vec::with_capacity(n);
        for k in 0..n {
            items.push(self.gs_get(l, k)?);
        }
        self.set_extra(l, 0)?;
        for k in 0..n {
            // Frees nothing: `items` holds them.
            self.gs_set(l, k, None)?;
        }
        while let Some(item) = items.pop() {
            drop(item);
        }
        self.lend(|hp| hp.flush())
    }

    // ----- dicts -----------------------------------------------------------

    /// A list or a dict, or a tuple that holds one at any depth, is not a
    /// key: `TypeError: unhashable type`, naming the first such member.
    fn check_hashable(&mut self, k: &Value) -> R<()> {
        match k {
            Value::Obj(r) => match self.tag_of(r)? {
                tag::LIST | tag::DICT => err(
                    "TypeError",
                    format!("unhashable type: '{}'", self.type_name_of(k)),
                ),
                b't' => {
                    for m in self.tuple_items(r)? {
                        self.check_hashable(&m)?;
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The entry index of `key`: through the dict's hash index when it has
    /// [`INDEXED`] entries or more and every key hashes here, else by
    /// comparing every key.
    pub fn dict_find(&mut self, d: &Root, key: &Value) -> R<Option<usize>> {
        self.check_hashable(key)?;
        let n = self.extra(d)? as usize;
        if n >= INDEXED
            && let Some(h) = self.hash_of(key)?
            && let Some(candidates) = self.dict_candidates(d, n, h)?
        {
            for k in candidates {
                let k = k as usize;
                if self.gs_has(d, 2 * k)? {
                    let kv = self.gs_value(d, 2 * k)?;
                    if self.eq(&kv, key)? {
                        return Ok(Some(k));
                    }
                }
            }
            return Ok(None);
        }
        for k in 0..n {
            if !self.gs_has(d, 2 * k)? {
                continue;
            }
            let kv = self.gs_value(d, 2 * k)?;
            if self.eq(&kv, key)? {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }

    pub fn dict_set(&mut self, d: &Root, key: Value, v: Value) -> R<()> {
        let vb = self.boxed(&v)?;
        match self.dict_find(d, &key)? {
            Some(k) => self.gs_set(d, 2 * k + 1, Some(&vb)),
            None => {
                let n = self.extra(d)? as usize;
                self.gs_reserve(d, 2 * n + 2)?;
                let kb = self.boxed(&key)?;
                self.gs_set(d, 2 * n, Some(&kb))?;
                self.gs_set(d, 2 * n + 1, Some(&vb))?;
                self.set_extra(d, (n + 1) as u32)?;
                self.dict_index_append(d, n, &key)
            }
        }
    }

    pub fn dict_remove(&mut self, d: &Root, key: &Value) -> R<Option<Value>> {
        let Some(k) = self.dict_find(d, key)? else {
            return Ok(None);
        };
        // The entries after it move down one: the index is made again
        // when next needed.
        self.dict_index_forget(d)?;
        let n = self.extra(d)? as usize;
        let v = self.gs_value(d, 2 * k + 1)?;
        for j in 2 * k..2 * n - 2 {
            let next = self.gs_get(d, j + 2)?;
            self.gs_set(d, j, next.as_ref())?;
        }
        self.gs_set(d, 2 * n - 2, None)?;
        self.gs_set(d, 2 * n - 1, None)?;
        self.set_extra(d, (n - 1) as u32)?;
        Ok(Some(v))
    }

    /// The entries whose key hashes to `h`, from the index of dict `d`
    /// (`n` entries), made first if need be; `None` when some key of `d`
    /// has no hash here (the caller compares every key).
    fn dict_candidates(&mut self, d: &Root, n: usize, h: u64) -> R<Option<Vec<u32>>> {
        let id = self.heap.id(d)?;
        let fresh = self
            .st
            .dict_index
            .get(&id)
            .is_some_and(|ix| ix.entries == n);
        if !fresh {
            let index = self.build_dict_index(d, n)?;
            if self.st.dict_index.len() >= MAX_INDEXES {
                // Those of dicts that died go too (ids are never reused).
                self.st.dict_index.clear();
            }
            self.st.dict_index.insert(id, index);
        }
        Ok(self.st.dict_index[&id]
            .by_hash
            .as_ref()
            .map(|m| m.get(&h).cloned().unwrap_or_default()))
    }

    fn build_dict_index(&mut self, d: &Root, n: usize) -> R<DictIndex> {
        // Without room for it, a `MemoryError`, as CPython's dict gives
        // when its table cannot grow (a search key by key instead would
        // take the rest of the run).
        let mut by_hash: HashMap<u64, Vec<u32>> = HashMap::new();
        by_hash
            .try_reserve(n)
            .map_err(|_| Exc::from(gc_core::config::refused()))?;
        for k in 0..n {
            if !self.gs_has(d, 2 * k)? {
                continue;
            }
            let kv = self.gs_value(d, 2 * k)?;
            let Some(h) = self.hash_of(&kv)? else {
                return Ok(DictIndex {
                    entries: n,
                    by_hash: None,
                });
            };
            by_hash.entry(h).or_default().push(k as u32);
        }
        Ok(DictIndex {
            entries: n,
            by_hash: Some(by_hash),
        })
    }

    /// Entry `n` (key `key`) was just appended to dict `d`: its index, if
    /// it has a current one, takes it in.
    fn dict_index_append(&mut self, d: &Root, n: usize, key: &Value) -> R<()> {
        let id = self.heap.id(d)?;
        let Some(ix) = self.st.dict_index.get(&id) else {
            return Ok(());
        };
        if ix.entries != n {
            self.st.dict_index.remove(&id);
            return Ok(());
        }
        let h = match ix.by_hash {
            Some(_) => self.hash_of(key)?,
            None => None,
        };
        let ix = self.st.dict_index.get_mut(&id).expect("looked up above");
        match (h, ix.by_hash.as_mut()) {
            (Some(h), Some(m)) => {
                // As above: the table's growth may be refused (and the
                // index, not up to date then, is dropped).
                if m.try_reserve(1).is_err() {
                    self.st.dict_index.remove(&id);
                    return Err(gc_core::config::refused().into());
                }
                m.entry(h).or_default().push(n as u32);
            }
            _ => ix.by_hash = None,
        }
        ix.entries = n + 1;
        Ok(())
    }

    /// Drops dict `d`'s index (its entries moved or went).
    pub fn dict_index_forget(&mut self, d: &Root) -> R<()> {
        let id = self.heap.id(d)?;
        self.st.dict_index.remove(&id);
        Ok(())
    }

    /// A hash of `v` that agrees with [`Interp::eq`] (equal values hash
    /// alike: `True` as `1`, a tuple by its members, an instance by its
    /// identity); `None` for a value this index does not hash (the dict is
    /// then searched key by key).
    fn hash_of(&mut self, v: &Value) -> R<Option<u64>> {
        let mut s = DefaultHasher::new();
        match v {
            Value::None => 0u8.hash(&mut s),
            Value::Bool(b) => (1u8, i64::from(*b)).hash(&mut s),
            Value::Int(i) => (1u8, *i).hash(&mut s),
            Value::Str(x) => (2u8, &**x).hash(&mut s),
            Value::Range(a, b, c) => (3u8, range_key(*a, *b, *c)?).hash(&mut s),
            Value::Class(c) => (4u8, Rc::as_ptr(c) as usize).hash(&mut s),
            Value::Func(f) => (5u8, Rc::as_ptr(f) as usize).hash(&mut s),
            Value::Obj(r) => match self.tag_of(r)? {
                b't' => {
                    6u8.hash(&mut s);
                    for m in self.tuple_items(r)? {
                        let Some(h) = self.hash_of(&m)? else {
                            return Ok(None);
                        };
                        h.hash(&mut s);
                    }
                }
                // (A weak reference equals another to the same referent:
                // searched key by key.)
                tag::LIST | tag::DICT | tag::WEAK => return Ok(None),
                // Equal only to itself.
                _ => (7u8, self.heap.id(r)?).hash(&mut s),
            },
            _ => return Ok(None),
        }
        Ok(Some(s.finish()))
    }

    pub fn dict_entries(&mut self, d: &Root) -> R<Vec<(Value, Value)>> {
        let n = self.extra(d)? as usize;
        let mut out = Vec::with_capacity(n);
        for k in 0..n {
            let kv = self.gs_value(d, 2 * k)?;
            let vv = self.gs_value(d, 2 * k + 1)?;
            out.push((kv, vv));
        }
        Ok(out)
    }

    // ----- tuples ------------------------------------------------------------

    pub fn tuple_items(&mut self, t: &Root) -> R<Vec<Value>> {
        let n = self.heap.slot_count(t)?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            out.push(self.slot_value(t, i)?);
        }
        Ok(out)
    }

    /// The objects of `gc.garbage`, in order.
    pub fn garbage_items(&mut self) -> R<Vec<Value>> {
        let roots = self.heap.garbage()?;
        let mut out = Vec::with_capacity(roots.len());
        for r in roots {
            out.push(self.root_value(r)?);
        }
        Ok(out)
    }

    /// The items unpacking (`a, b = v`) sees: as [`Self::iter_values`],
    /// with unpacking's own message for a value that is not iterable.
    pub fn unpack_values(&mut self, v: &Value) -> R<Vec<Value>> {
        if !self.is_iterable(v)? {
            return err(
                "TypeError",
                format!("cannot unpack non-iterable {} object", self.type_name_of(v)),
            );
        }
        self.iter_values(v)
    }

    /// Whether [`Self::iter_values`] takes `v`.
    pub fn is_iterable(&self, v: &Value) -> R<bool> {
        Ok(match v {
            Value::Garbage | Value::View(..) | Value::Range(..) | Value::Str(_) => true,
            Value::Obj(r) => matches!(self.tag_of(r)?, tag::LIST | b't' | tag::DICT),
            _ => false,
        })
    }

    /// The items `for` and unpacking see.
    pub fn iter_values(&mut self, v: &Value) -> R<Vec<Value>> {
        match v {
            Value::Garbage => self.garbage_items(),
            Value::View(kind, d) => {
                let entries = self.dict_entries(d)?;
                let mut out = Vec::with_capacity(entries.len());
                for (k, x) in entries {
                    out.push(match kind {
                        ViewKind::Keys => k,
                        ViewKind::Values => x,
                        ViewKind::Items => self.new_tuple(vec![k, x])?,
                    });
                }
                Ok(out)
            }
            Value::Range(a, b, c) => {
                let len = range_len(*a, *b, *c)?;
                let mut out = Vec::new();
                out.try_reserve_exact(len)
                    .map_err(|_| Exc::from(gc_core::config::refused()))?;
                out.extend(
                    (0..len)
                        .map(|k| Value::Int((i128::from(*a) + k as i128 * i128::from(*c)) as i64)),
                );
                Ok(out)
            }
            Value::Str(s) => Ok(s
                .chars()
                .map(|c| Value::Str(Rc::from(c.to_string())))
                .collect()),
            Value::Obj(r) => match self.tag_of(r)? {
                tag::LIST => {
                    let n = self.extra(r)? as usize;
                    let mut out = Vec::new();
                    out.try_reserve_exact(n)
                        .map_err(|_| Exc::from(gc_core::config::refused()))?;
                    for i in 0..n {
                        out.push(self.list_item(r, i)?);
                    }
                    Ok(out)
                }
                b't' => self.tuple_items(r),
                tag::DICT => Ok(self.dict_entries(r)?.into_iter().map(|(k, _)| k).collect()),
                _ => err(
                    "TypeError",
                    format!("'{}' object is not iterable", self.type_name_of(v)),
                ),
            },
            _ => err(
                "TypeError",
                format!("'{}' object is not iterable", self.type_name_of(v)),
            ),
        }
    }

    // ----- items ---------------------------------------------------------------

    pub fn get_item(&mut self, obj: &Value, key: &Value) -> R<Value> {
        match obj {
            Value::Garbage => {
                let items = self.garbage_items()?;
                let i = self.index(key, items.len(), "list")?;
                let mut items = items;
                Ok(items.swap_remove(i))
            }
            Value::Obj(r) => match self.tag_of(r)? {
                tag::LIST => {
                    let n = self.extra(r)? as usize;
                    let i = self.index(key, n, "list")?;
                    self.list_item(r, i)
                }
                b't' => {
                    let n = self.heap.slot_count(r)?;
                    let i = self.index(key, n, "tuple")?;
                    self.slot_value(r, i)
                }
                tag::DICT => match self.dict_find(r, key)? {
                    Some(k) => self.gs_value(r, 2 * k + 1),
                    None => self.key_error(key),
                },
                _ => err(
                    "TypeError",
                    format!("'{}' object is not subscriptable", self.type_name_of(obj)),
                ),
            },
            Value::Class(k) => err(
                "TypeError",
                format!("type '{}' is not subscriptable", k.name),
            ),
            // `list[int]`: a generic alias, which gc-py does not have.
            Value::Builtin(b @ (Builtin::List | Builtin::Dict | Builtin::WeakrefRef)) => {
                Err(Exc::Unsupported(Unsupported {
                    line: self.st.line,
                    what: format!("subscripting the type {}", b.type_name().unwrap_or("")),
                }))
            }
            Value::Builtin(b) if b.type_name().is_some() => err(
                "TypeError",
                format!(
                    "type '{}' is not subscriptable",
                    b.type_name().unwrap_or("")
                ),
            ),
            Value::Range(a, b, c) => {
                let len = range_count(*a, *b, *c);
                let i = match key {
                    Value::Int(i) => *i,
                    Value::Bool(b) => i64::from(*b),
                    // (The type's error, whatever the length.)
                    _ => return self.index(key, 0, "range").map(|_| Value::None),
                };
                let j = if i < 0 {
                    i128::from(i) + len
                } else {
                    i128::from(i)
                };
                if j < 0 || j >= len {
                    return err("IndexError", "range object index out of range");
                }
                Ok(Value::Int((i128::from(*a) + j * i128::from(*c)) as i64))
            }
            Value::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                let i = self.index(key, chars.len(), "string")?;
                Ok(Value::Str(Rc::from(chars[i].to_string())))
            }
            _ => err(
                "TypeError",
                format!("'{}' object is not subscriptable", self.type_name_of(obj)),
            ),
        }
    }

    pub fn set_item(&mut self, obj: &Value, key: Value, v: Value) -> R<()> {
        if matches!(obj, Value::Garbage) {
            return self.on_garbage("item assignment");
        }
        if let Value::Obj(r) = obj {
            match self.tag_of(r)? {
                tag::LIST => {
                    let n = self.extra(r)? as usize;
                    let i = self.index(&key, n, "list assignment")?;
                    let b = self.boxed(&v)?;
                    return self.gs_set(r, i, Some(&b));
                }
                tag::DICT => return self.dict_set(r, key, v),
                _ => {}
            }
        }
        err(
            "TypeError",
            format!(
                "'{}' object does not support item assignment",
                self.type_name_of(obj)
            ),
        )
    }

    pub fn del_item(&mut self, obj: &Value, key: Value) -> R<()> {
        if matches!(obj, Value::Garbage) {
            return self.on_garbage("item deletion");
        }
        if let Value::Obj(r) = obj {
            match self.tag_of(r)? {
                tag::LIST => {
                    let n = self.extra(r)? as usize;
                    let i = self.index(&key, n, "list assignment")?;
                    self.list_pop(r, Some(&Value::Int(i as i64)))?;
                    return Ok(());
                }
                tag::DICT => {
                    return match self.dict_remove(r, &key)? {
                        Some(_) => Ok(()),
                        None => self.key_error(&key),
                    };
                }
                _ => {}
            }
        }
        // CPython 3.11's words (`PyObject_DelItem`), and PyPy's.
        let does_not = if self.heap.name() == "marksweep" {
            "does not"
        } else {
            "doesn't"
        };
        err(
            "TypeError",
            format!(
                "'{}' object {does_not} support item deletion",
                self.type_name_of(obj)
            ),
        )
    }

    // ----- attributes ------------------------------------------------------

    pub fn class_of(&self, r: &Root) -> R<Option<Rc<Class>>> {
        if self.tag_of(r)? != tag::INSTANCE {
            return Ok(None);
        }
        Ok(Some(self.st.classes[self.extra(r)? as usize].clone()))
    }

    pub fn get_attr(&mut self, obj: Value, name: &str) -> R<Value> {
        match obj {
            Value::Obj(r) => {
                let t = self.tag_of(&r)?;
                if t == tag::INSTANCE {
                    let k = self.st.classes[self.extra(&r)? as usize].clone();
                    if let Some(i) = k.slot_of(name, false)
                        && i < self.gs_cap(&r)?
                        && self.gs_has(&r, i)?
                    {
                        return self.gs_value(&r, i);
                    }
                    if name == "__class__" {
                        return Ok(Value::Class(k));
                    }
                    return match self.class_attr(&k, name)? {
                        Some(Value::Func(f)) => Ok(Value::Method(f, r)),
                        Some(v) => Ok(v),
                        None => {
                            let msg = format!("'{}' object has no attribute '{name}'", k.name);
                            self.attr_error(&Value::Obj(r), name, msg)
                        }
                    };
                }
                let b = match (t, name) {
                    (tag::LIST, "append") => Builtin::ListAppend,
                    (tag::LIST, "pop") => Builtin::ListPop,
                    (tag::LIST, "clear") => Builtin::ListClear,
                    (tag::DICT, "get") => Builtin::DictGet,
                    (tag::DICT, "keys") => Builtin::DictKeys,
                    (tag::DICT, "items") => Builtin::DictItems,
                    (tag::DICT, "values") => Builtin::DictValues,
                    (tag::DICT, "pop") => Builtin::DictPop,
                    (tag::DICT, "clear") => Builtin::DictClear,
                    _ => {
                        let tn = self.type_name_of(&Value::Obj(r.clone()));
                        let msg = format!("'{tn}' object has no attribute '{name}'");
                        return self.attr_error(&Value::Obj(r), name, msg);
                    }
                };
                Ok(Value::BoundBuiltin(b, r))
            }
            Value::Class(k) => {
                if name == "__name__" {
                    return Ok(Value::Str(k.name.clone()));
                }
                match self.class_attr(&k, name)? {
                    Some(v) => Ok(v),
                    None => {
                        let msg = format!("type object '{}' has no attribute '{name}'", k.name);
                        self.attr_error(&Value::Class(k), name, msg)
                    }
                }
            }
            Value::Module(m) => self.module_attr(m, name),
            Value::Garbage if name == "clear" => Ok(Value::Builtin(Builtin::GarbageClear)),
            Value::Garbage if name == "append" => Ok(Value::Builtin(Builtin::GarbageAppend)),
            Value::Garbage if names::LIST.contains(&name) => self.on_garbage(&format!("`.{name}`")),
            Value::Func(f) if name == "__name__" => Ok(Value::Str(f.name.clone())),
            Value::Builtin(b) if b.type_name().is_some() => {
                let t = b.type_name().unwrap_or_default();
                if matches!(name, "__name__" | "__qualname__") {
                    // `weakref.ReferenceType`'s name is the last part.
                    let short = t.rsplit('.').next().unwrap_or(t);
                    return Ok(Value::Str(Rc::from(short)));
                }
                let msg = format!("type object '{t}' has no attribute '{name}'");
                self.attr_error(&Value::Builtin(b), name, msg)
            }
            other => {
                let msg = format!(
                    "'{}' object has no attribute '{name}'",
                    self.type_name_of(&other)
                );
                self.attr_error(&other, name, msg)
            }
        }
    }

    /// `AttributeError` `msg` for `name` on `obj`, with CPython's
    /// suggestion from `dir(obj)`; where CPython's object has the
    /// attribute (a method of `list` gc-py lacks, say), the program is
    /// outside the subset instead.
    pub fn attr_error<T>(&mut self, obj: &Value, name: &str, msg: String) -> R<T> {
        let builtin: Option<(&str, &[&str])> = match obj {
            Value::Str(_) => Some(("str", names::STR)),
            Value::Int(_) => Some(("int", names::INT)),
            Value::Bool(_) => Some(("bool", names::BOOL)),
            Value::None => Some(("NoneType", names::NONE)),
            Value::Range(..) | Value::Builtin(Builtin::Range) => Some(("range", names::RANGE)),
            // A built-in type has its instances' methods.
            Value::Builtin(Builtin::Str) => Some(("str", names::STR)),
            Value::Builtin(Builtin::List) => Some(("list", names::LIST)),
            Value::Builtin(Builtin::Dict) => Some(("dict", names::DICT)),
            Value::Module(m) => Some((
                m.name(),
                match m {
                    Module::Gc => names::GC_MODULE,
                    Module::Sys => names::SYS_MODULE,
                    Module::Weakref => names::WEAKREF_MODULE,
                },
            )),
            Value::Func(_) => Some(("function", names::FUNCTION)),
            Value::Method(..) => Some(("method", names::METHOD)),
            Value::Builtin(b) if b.type_name().is_some() => None,
            Value::Builtin(_) | Value::BoundBuiltin(..) => {
                Some(("builtin_function_or_method", names::BUILTIN_FUNCTION))
            }
            Value::Obj(o) => match self.tag_of(o)? {
                tag::LIST => Some(("list", names::LIST)),
                tag::DICT => Some(("dict", names::DICT)),
                b't' => Some(("tuple", names::TUPLE)),
                _ => None,
            },
            _ => None,
        };
        if let Some((owner, dir)) = builtin {
            if dir.contains(&name) {
                return Err(Exc::Unsupported(Unsupported {
                    line: self.st.line,
                    what: format!("{owner}.{name}"),
                }));
            }
            return err_suggesting("AttributeError", msg, name, dir);
        }
        // A class of the program, or one of its instances: what is set on
        // the instance, the class's names along its bases, and `object`'s.
        let (class, instance) = match obj {
            Value::Class(k) => (k.clone(), None),
            Value::Obj(o) if self.tag_of(o)? == tag::INSTANCE => {
                (self.st.classes[self.extra(o)? as usize].clone(), Some(o))
            }
            _ => return err("AttributeError", msg),
        };
        // What every class and instance has in CPython (`__doc__`,
        // `object.__init__`, …) and gc-py does not.
        if names::OBJECT.contains(&name) || names::CLASS_EXTRA.contains(&name) {
            let owner = if instance.is_some() {
                "an instance"
            } else {
                "a class"
            };
            return Err(Exc::Unsupported(Unsupported {
                line: self.st.line,
                what: format!("{name} of {owner}"),
            }));
        }
        let mut dir: Vec<String> = names::OBJECT
            .iter()
            .chain(names::CLASS_EXTRA)
            .map(|n| n.to_string())
            .collect();
        let mut k = Some(class.clone());
        while let Some(c) = k {
            dir.extend(c.attrs.borrow().keys().map(|n| n.to_string()));
            k = c.base.clone();
        }
        if let Some(o) = instance {
            let layout = class.layout.borrow().clone();
            for (i, n) in layout.iter().enumerate() {
                if i < self.gs_cap(o)? && self.gs_has(o, i)? {
                    dir.push(n.to_string());
                }
            }
        }
        dir.sort();
        dir.dedup();
        let dir: Vec<&str> = dir.iter().map(String::as_str).collect();
        let mut e = err_suggesting("AttributeError", msg, name, &dir);
        // The exception keeps its object alive (`AttributeError.obj`).
        if let Err(Exc::Py(p)) = &mut e {
            p.more().obj = Some(self.dup(obj)?);
        }
        e
    }

    pub fn set_attr(&mut self, obj: &Value, name: &str, v: Value) -> R<()> {
        match obj {
            Value::Obj(r) if self.tag_of(r)? == tag::INSTANCE => {
                let k = self.st.classes[self.extra(r)? as usize].clone();
                let i = k.slot_of(name, true).expect("added");
                self.gs_reserve(r, i + 1)?;
                let b = self.boxed(&v)?;
                self.gs_set(r, i, Some(&b))
            }
            // `A.__eq__ = f` after the class is made: refused as it is in
            // the class body, rather than ignored.
            Value::Class(_) if is_special(name) && !SPECIAL_METHODS.contains(&name) => {
                Err(Exc::Unsupported(Unsupported {
                    line: self.st.line,
                    what: format!("setting the special name {name} of a class"),
                }))
            }
            Value::Class(k) => {
                self.forget_exit_class_attr(k.index, name);
                let old = k.attrs.borrow_mut().insert(Rc::from(name), v);
                drop(old);
                Ok(())
            }
            // CPython gives functions and modules new attributes; gc-py,
            // whose functions and modules are atoms, cannot.
            other @ (Value::Func(_) | Value::Module(_)) => Err(Exc::Unsupported(Unsupported {
                line: self.st.line,
                what: format!("setting an attribute of a {}", self.type_name_of(other)),
            })),
            Value::Builtin(b) if b.type_name().is_some() => err(
                "TypeError",
                format!(
                    "cannot set '{name}' attribute of immutable type '{}'",
                    b.type_name().unwrap_or("")
                ),
            ),
            other => err(
                "AttributeError",
                format!(
                    "'{}' object has no attribute '{name}'",
                    self.type_name_of(other)
                ),
            ),
        }
    }

    pub fn del_attr(&mut self, obj: &Value, name: &str) -> R<()> {
        if let Value::Obj(r) = obj
            && let Some(k) = self.class_of(r)?
        {
            if let Some(i) = k.slot_of(name, false)
                && i < self.gs_cap(r)?
                && self.gs_has(r, i)?
            {
                return self.gs_set(r, i, None);
            }
            return err(
                "AttributeError",
                format!("'{}' object has no attribute '{name}'", k.name),
            );
        }
        match obj {
            Value::Class(k) => {
                let old = k.attrs.borrow_mut().remove(name);
                let moved = self.forget_exit_class_attr(k.index, name);
                return match old {
                    Some(_) => Ok(()),
                    None if moved => Ok(()),
                    None => err(
                        "AttributeError",
                        format!("type object '{}' has no attribute '{name}'", k.name),
                    ),
                };
            }
            Value::Builtin(b) if b.type_name().is_some() => {
                return err(
                    "TypeError",
                    format!(
                        "cannot set '{name}' attribute of immutable type '{}'",
                        b.type_name().unwrap_or("")
                    ),
                );
            }
            _ => {}
        }
        err(
            "AttributeError",
            format!(
                "'{}' object has no attribute '{name}'",
                self.type_name_of(obj)
            ),
        )
    }

    /// A class attribute (along the bases), a new reference.
    pub fn class_attr(&mut self, k: &Class, name: &str) -> R<Option<Value>> {
        let mut c = Some(k);
        while let Some(cls) = c {
            if let Some(v) = cls.attrs.borrow().get(name) {
                return Ok(Some(crate::interp::dup_value(&mut self.heap, v)?));
            }
            if let Some(v) = self.exit_class_attr(cls.index, name)? {
                return Ok(Some(v));
            }
            c = cls.base.as_deref();
        }
        Ok(None)
    }

    // ----- operators -------------------------------------------------------

    pub fn truthy(&mut self, v: &Value) -> R<bool> {
        Ok(match v {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Str(s) => !s.is_empty(),
            Value::Range(a, b, c) => (*c > 0 && a < b) || (*c < 0 && a > b),
            Value::Obj(r) => match self.tag_of(r)? {
                tag::LIST | tag::DICT => self.extra(r)? != 0,
                b't' => self.heap.slot_count(r)? != 0,
                _ => true,
            },
            Value::Garbage => self.heap.garbage_len()? != 0,
            Value::View(_, d) => self.extra(d)? != 0,
            _ => true,
        })
    }

    /// `l op r`, or (`in_place`) the operation of `l op= r` (whose error
    /// names `op=`).
    pub fn binop(&mut self, op: ast::Operator, l: Value, r: Value, in_place: bool) -> R<Value> {
        use ast::Operator::*;
        if matches!(l, Value::Garbage) || matches!(r, Value::Garbage) {
            return self.on_garbage("an operator");
        }
        let as_int = |v: &Value| match v {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        };
        if let (Some(a), Some(b)) = (as_int(&l), as_int(&r)) {
            let v = match op {
                Add => a.checked_add(b),
                Sub => a.checked_sub(b),
                Mult => a.checked_mul(b),
                FloorDiv | Mod => {
                    if b == 0 {
                        return err(
                            "ZeroDivisionError",
                            if op == Mod {
                                "integer modulo by zero"
                            } else {
                                "integer division or modulo by zero"
                            },
                        );
                    }
                    let (q, m) = (a.checked_div_euclid(b), a.checked_rem_euclid(b));
                    match (q, m) {
                        // `i64::MIN % -1` is 0: only its quotient overflows.
                        _ if op == Mod && b == -1 => Some(0),
                        (Some(mut q), Some(mut m)) => {
                            // Python floors; Euclid keeps m >= 0.
                            if b < 0 && m != 0 {
                                q -= 1;
                                m += b;
                            }
                            Some(if op == FloorDiv { q } else { m })
                        }
                        _ => None,
                    }
                }
                Div => {
                    return err(
                        "TypeError",
                        "gc-py has no floats: use // for integer division",
                    );
                }
                _ => return self.op_unsupported(op, &l, &r, in_place),
            };
            return v.map(Value::Int).map_or_else(
                || err("OverflowError", "integer overflow (gc-py ints are 64-bit)"),
                Ok,
            );
        }
        match (op, &l, &r) {
            (Add, Value::Str(a), Value::Str(b)) => {
                let bytes = a.len().checked_add(b.len());
                room_for_str(bytes)?;
                Ok(Value::Str(Rc::from(format!("{a}{b}"))))
            }
            (Mod, Value::Str(_), _) => Err(Exc::Unsupported(Unsupported {
                line: self.st.line,
                what: "printf-style string formatting (str % x)".into(),
            })),
            (Mult, Value::Str(s), n @ (Value::Int(_) | Value::Bool(_)))
            | (Mult, n @ (Value::Int(_) | Value::Bool(_)), Value::Str(s)) => {
                let n = match n {
                    Value::Int(n) => *n,
                    Value::Bool(b) => i64::from(*b),
                    _ => 0,
                }
                .max(0) as u64;
                let chars = s.chars().count() as u64;
                if chars.checked_mul(n).is_none_or(|c| c > i64::MAX as u64) {
                    return err("OverflowError", "repeated string is too long");
                }
                room_for_str(usize::try_from(n).ok().and_then(|n| s.len().checked_mul(n)))?;
                Ok(Value::Str(Rc::from(s.repeat(n as usize))))
            }
            (Mult, Value::Obj(s), n) | (Mult, n, Value::Obj(s))
                if matches!(n, Value::Int(_) | Value::Bool(_))
                    && matches!(self.tag_of(s)?, tag::LIST | b't') =>
            {
                let n = match n {
                    Value::Int(n) => *n,
                    Value::Bool(b) => i64::from(*b),
                    _ => 0,
                };
                // CPython frees the operands after the result is made.
                self.repeat(s, n)
            }
            (Add, Value::Obj(a), Value::Obj(b))
                if self.tag_of(a)? == b't' && self.tag_of(b)? == b't' =>
            {
                let (na, nb) = (self.heap.slot_count(a)?, self.heap.slot_count(b)?);
                // `tupleconcat`: with one operand empty, the other is the
                // result (PyPy makes a new tuple).
                if self.heap.name() != "marksweep" {
                    if na == 0 {
                        return Ok(r);
                    }
                    if nb == 0 {
                        return Ok(l);
                    }
                }
                crate::interp::too_many_slots(na.saturating_add(nb))?;
                let items = self.concatenated(&l, &r)?;
                self.new_tuple(items)
            }
            (Add, Value::Obj(a), Value::Obj(b))
                if self.tag_of(a)? == tag::LIST && self.tag_of(b)? == tag::LIST =>
            {
                let items = self.concatenated(&l, &r)?;
                self.new_list(items)
            }
            _ => {
                // CPython frees the left operand first.
                let e = self.op_unsupported(op, &l, &r, in_place);
                drop(l);
                drop(r);
                e
            }
        }
    }

    /// The items of `a` then those of `b` (the room for them asked for
    /// fallibly).
    fn concatenated(&mut self, a: &Value, b: &Value) -> R<Vec<Value>> {
        let mut items = self.iter_values(a)?;
        let more = self.iter_values(b)?;
        items
            .try_reserve_exact(more.len())
            .map_err(|_| Exc::from(gc_core::config::refused()))?;
        items.extend(more);
        Ok(items)
    }

    /// `seq * n` for a list or a tuple (`list_repeat`, `tuplerepeat`): a
    /// new sequence holding the items `n` times over (none for `n <= 0`);
    /// a tuple times 1 is the tuple itself. More items than CPython's
    /// `PY_SSIZE_T_MAX / sizeof(PyObject *)`, or than the system gives, is
    /// a `MemoryError`.
    pub fn repeat(&mut self, s: &Root, n: i64) -> R<Value> {
        let seq = Value::Obj(self.heap.dup(s)?);
        let is_list = self.tag_of(s)? == tag::LIST;
        // A tuple once, or an empty one any number of times, is itself.
        if !is_list && (n == 1 || self.heap.slot_count(s)? == 0) {
            return Ok(seq);
        }
        let items = self.iter_values(&seq)?;
        drop(seq);
        let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
        let total = items
            .len()
            .checked_mul(n)
            .filter(|&t| t <= isize::MAX as usize / std::mem::size_of::<usize>());
        let Some(total) = total else {
            // The size check of `list_repeat` and `tuplerepeat`: no message.
            return err("MemoryError", "");
        };
        // The object model's limit, before the items are gathered.
        crate::interp::too_many_slots(total)?;
        let mut out = Vec::new();
        out.try_reserve_exact(total)
            .map_err(|_| Exc::from(gc_core::config::refused()))?;
        // (An empty sequence repeated a huge number of times takes no
        // steps.)
        for _ in 0..if items.is_empty() { 0 } else { n } {
            for v in &items {
                out.push(self.dup(v)?);
            }
        }
        drop(items);
        if is_list {
            self.new_list(out)
        } else {
            self.new_tuple(out)
        }
    }

    /// The `TypeError` of an operation the operands do not support.
    fn op_unsupported(&self, op: ast::Operator, l: &Value, r: &Value, in_place: bool) -> R<Value> {
        use ast::Operator::*;
        // `str + x`, `list + x`, `tuple + x`: the sequence's own concat
        // refuses another type.
        if op == Add {
            let seq = match l {
                Value::Str(_) => Some("str"),
                Value::Obj(o) => match self.tag_of(o) {
                    Ok(tag::LIST) => Some("list"),
                    Ok(b't') => Some("tuple"),
                    _ => None,
                },
                _ => None,
            };
            if let Some(seq) = seq
                && self.type_name_of(r) != seq
            {
                return err(
                    "TypeError",
                    format!(
                        "can only concatenate {seq} (not \"{}\") to {seq}",
                        self.type_name_of(r)
                    ),
                );
            }
        }
        // A sequence repeated by something else than an int
        // (`sequence_repeat`: the sequence's `*` takes only an index).
        if op == Mult {
            let is_sequence = |v: &Value| match v {
                Value::Str(_) => true,
                Value::Obj(o) => matches!(self.tag_of(o), Ok(tag::LIST | b't')),
                _ => false,
            };
            let is_int = |v: &Value| matches!(v, Value::Int(_) | Value::Bool(_));
            let other = if is_sequence(l) && !is_int(r) {
                Some(r)
            } else if is_sequence(r) && !is_int(l) {
                Some(l)
            } else {
                None
            };
            if let Some(other) = other {
                return err(
                    "TypeError",
                    format!(
                        "can't multiply sequence by non-int of type '{}'",
                        self.type_name_of(other)
                    ),
                );
            }
        }
        let sym = match op {
            Add => "+",
            Sub => "-",
            Mult => "*",
            MatMult => "@",
            Div => "/",
            Mod => "%",
            Pow if !in_place => "** or pow()",
            Pow => "**",
            LShift => "<<",
            RShift => ">>",
            BitOr => "|",
            BitXor => "^",
            BitAnd => "&",
            FloorDiv => "//",
        };
        let eq = if in_place { "=" } else { "" };
        err(
            "TypeError",
            format!(
                "unsupported operand type(s) for {sym}{eq}: '{}' and '{}'",
                self.type_name_of(l),
                self.type_name_of(r)
            ),
        )
    }

    pub fn is(&self, a: &Value, b: &Value) -> R<bool> {
        Ok(match (a, b) {
            (Value::None, Value::None) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Obj(x), Value::Obj(y)) => self.heap.same(x, y)?,
            (Value::Class(x), Value::Class(y)) => Rc::ptr_eq(x, y),
            (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
            (Value::Builtin(x), Value::Builtin(y)) => x == y,
            (Value::Module(x), Value::Module(y)) => x == y,
            (Value::Garbage, Value::Garbage) => true,
            _ => false,
        })
    }

    pub fn eq(&mut self, a: &Value, b: &Value) -> R<bool> {
        if matches!((a, b), (Value::Obj(_), Value::Obj(_))) {
            return self.recursing(" in comparison", |it| it.eq_here(a, b));
        }
        self.eq_here(a, b)
    }

    fn eq_here(&mut self, a: &Value, b: &Value) -> R<bool> {
        match (a, b) {
            (Value::Int(x), Value::Bool(y)) | (Value::Bool(y), Value::Int(x)) => {
                Ok(*x == *y as i64)
            }
            (Value::Obj(x), Value::Obj(y)) => {
                if self.heap.same(x, y)? {
                    return Ok(true);
                }
                let (tx, ty) = (self.tag_of(x)?, self.tag_of(y)?);
                if (tx, ty) == (tag::WEAK, tag::WEAK) {
                    // `weakref_richcompare`: two live references compare
                    // their referents; a dead one is equal only to itself.
                    let (rx, ry) = (self.weak_target(x)?, self.weak_target(y)?);
                    if matches!(rx, Value::None) || matches!(ry, Value::None) {
                        return Ok(false);
                    }
                    return self.eq(&rx, &ry);
                }
                if tx != ty || !matches!(tx, tag::LIST | b't' | tag::DICT) {
                    return Ok(false);
                }
                if tx == tag::DICT {
                    let ea = self.dict_entries(x)?;
                    if ea.len() != self.extra(y)? as usize {
                        return Ok(false);
                    }
                    for (k, v) in &ea {
                        let Some(j) = self.dict_find(y, k)? else {
                            return Ok(false);
                        };
                        let w = self.gs_value(y, 2 * j + 1)?;
                        if !self.eq(v, &w)? {
                            return Ok(false);
                        }
                    }
                    return Ok(true);
                }
                self.items_eq(a, b)
            }
            (Value::Range(a1, b1, c1), Value::Range(a2, b2, c2)) => {
                Ok(range_key(*a1, *b1, *c1)? == range_key(*a2, *b2, *c2)?)
            }
            (Value::View(ka, x), Value::View(kb, y))
                if *ka != ViewKind::Values && *kb != ViewKind::Values =>
            {
                self.view_relation(*ka, x, *kb, y, |a, b| a == b)
            }
            // `gc.garbage` is a list: equal to a list of equal items.
            (Value::Garbage, Value::Obj(l)) | (Value::Obj(l), Value::Garbage)
                if self.tag_of(l)? == tag::LIST =>
            {
                self.items_eq(a, b)
            }
            _ => self.is(a, b),
        }
    }

    /// What `gc.garbage` does not do here (it is a list in CPython and
    /// PyPy, which do all of it): not supported.
    fn on_garbage<T>(&self, what: &str) -> R<T> {
        Err(Exc::Unsupported(Unsupported {
            line: self.st.line,
            what: format!("{what} on gc.garbage"),
        }))
    }

    /// For two keys or items views of `x` and `y` (set-like, as
    /// `dictview_richcompare`): whether their sizes pass `sizes` and every
    /// element of `x`'s view is in `y`'s (a key, or a key with an equal
    /// value). Views of different kinds share no element: only empty ones
    /// relate.
    fn view_relation(
        &mut self,
        kx: ViewKind,
        x: &Root,
        ky: ViewKind,
        y: &Root,
        sizes: fn(usize, usize) -> bool,
    ) -> R<bool> {
        let (nx, ny) = (self.extra(x)? as usize, self.extra(y)? as usize);
        if !sizes(nx, ny) {
            return Ok(false);
        }
        if kx != ky {
            return Ok(nx == 0);
        }
        for (k, v) in self.dict_entries(x)? {
            let Some(j) = self.dict_find(y, &k)? else {
                return Ok(false);
            };
            if kx == ViewKind::Items {
                let w = self.gs_value(y, 2 * j + 1)?;
                if !self.eq(&v, &w)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// `KeyError(key)`: its message is the key's repr, or, when that
    /// fails, what CPython prints for an exception whose `str()` fails.
    pub fn key_error<T>(&mut self, key: &Value) -> R<T> {
        let msg = match self.repr(key) {
            Ok(s) => s,
            Err(Exc::Py(_)) => "<exception str() failed>".into(),
            Err(e) => return Err(e),
        };
        err("KeyError", msg)
    }

    /// Two sequences hold equal items, in order.
    fn items_eq(&mut self, a: &Value, b: &Value) -> R<bool> {
        let ia = self.iter_values(a)?;
        let ib = self.iter_values(b)?;
        if ia.len() != ib.len() {
            return Ok(false);
        }
        for (p, q) in ia.iter().zip(&ib) {
            if !self.eq(p, q)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub fn compare(&mut self, op: ast::CmpOp, a: &Value, b: &Value) -> R<bool> {
        use ast::CmpOp::*;
        match op {
            Eq => self.eq(a, b),
            NotEq => Ok(!self.eq(a, b)?),
            Is => self.is(a, b),
            IsNot => Ok(!self.is(a, b)?),
            In | NotIn => {
                let found = match b {
                    Value::Obj(r) if self.tag_of(r)? == tag::DICT => {
                        self.dict_find(r, a)?.is_some()
                    }
                    // An int in a range, by arithmetic (CPython's
                    // `range_contains_long`).
                    Value::Range(lo, hi, step) if matches!(a, Value::Int(_) | Value::Bool(_)) => {
                        let x = match a {
                            Value::Bool(b) => i128::from(*b),
                            Value::Int(x) => i128::from(*x),
                            _ => 0,
                        };
                        let (lo, hi, step) = (i128::from(*lo), i128::from(*hi), i128::from(*step));
                        let inside = if step > 0 {
                            lo <= x && x < hi
                        } else {
                            hi < x && x <= lo
                        };
                        inside && (x - lo) % step == 0
                    }
                    Value::Str(s) => match a {
                        Value::Str(x) => s.contains(&**x),
                        _ => {
                            return err(
                                "TypeError",
                                format!(
                                    "'in <string>' requires string as left operand, not {}",
                                    self.type_name_of(a)
                                ),
                            );
                        }
                    },
                    _ => {
                        // `PySequence_Contains`'s own message.
                        if !self.is_iterable(b)? {
                            return err(
                                "TypeError",
                                format!(
                                    "argument of type '{}' is not iterable",
                                    self.type_name_of(b)
                                ),
                            );
                        }
                        let items = self.iter_values(b)?;
                        let mut f = false;
                        for x in &items {
                            if self.eq(a, x)? {
                                f = true;
                                break;
                            }
                        }
                        f
                    }
                };
                Ok(if op == In { found } else { !found })
            }
            Lt | LtE | Gt | GtE => {
                // Keys and items views compare as sets: by inclusion.
                if let (Value::View(ka, x), Value::View(kb, y)) = (a, b)
                    && *ka != ViewKind::Values
                    && *kb != ViewKind::Values
                {
                    return match op {
                        Lt => self.view_relation(*ka, x, *kb, y, |a, b| a < b),
                        LtE => self.view_relation(*ka, x, *kb, y, |a, b| a <= b),
                        Gt => self.view_relation(*kb, y, *ka, x, |a, b| a < b),
                        _ => self.view_relation(*kb, y, *ka, x, |a, b| a <= b),
                    };
                }
                if let (Value::Obj(x), Value::Obj(y)) = (a, b) {
                    let (tx, ty) = (self.tag_of(x)?, self.tag_of(y)?);
                    if tx == ty && matches!(tx, tag::LIST | b't') {
                        return self.recursing(" in comparison", |it| it.order_sequences(op, a, b));
                    }
                }
                let ord = match (a, b) {
                    (Value::Int(x), Value::Int(y)) => x.cmp(y),
                    (Value::Str(x), Value::Str(y)) => x.cmp(y),
                    (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
                    (Value::Int(x), Value::Bool(y)) => x.cmp(&(*y as i64)),
                    (Value::Bool(x), Value::Int(y)) => (*x as i64).cmp(y),
                    _ => {
                        let sym = match op {
                            Lt => "<",
                            LtE => "<=",
                            Gt => ">",
                            _ => ">=",
                        };
                        return err(
                            "TypeError",
                            format!(
                                "'{sym}' not supported between instances of '{}' and '{}'",
                                self.type_name_of(a),
                                self.type_name_of(b)
                            ),
                        );
                    }
                };
                Ok(match op {
                    Lt => ord.is_lt(),
                    LtE => ord.is_le(),
                    Gt => ord.is_gt(),
                    _ => ord.is_ge(),
                })
            }
        }
    }

    /// `<`, `<=`, `>`, `>=` of two lists or two tuples (`list_richcompare`,
    /// `tuplerichcompare`): the first items that differ (by `==`) decide,
    /// compared with `op`; without one, the lengths.
    fn order_sequences(&mut self, op: ast::CmpOp, a: &Value, b: &Value) -> R<bool> {
        let ia = self.iter_values(a)?;
        let ib = self.iter_values(b)?;
        for (p, q) in ia.iter().zip(&ib) {
            if !self.eq(p, q)? {
                return self.compare(op, p, q);
            }
        }
        let (m, n) = (ia.len(), ib.len());
        Ok(match op {
            ast::CmpOp::Lt => m < n,
            ast::CmpOp::LtE => m <= n,
            ast::CmpOp::Gt => m > n,
            _ => m >= n,
        })
    }

    // ----- names, repr, str -------------------------------------------------

    pub fn type_name_of(&self, v: &Value) -> String {
        match v {
            Value::None => "NoneType".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Str(_) => "str".into(),
            Value::Class(_) => "type".into(),
            Value::Func(_) => "function".into(),
            Value::Method(..) => "method".into(),
            Value::Builtin(b) if b.type_name().is_some() => "type".into(),
            Value::Builtin(_) | Value::BoundBuiltin(..) => "builtin_function_or_method".into(),
            Value::Module(_) => "module".into(),
            Value::Range(..) => "range".into(),
            Value::Garbage => "list".into(),
            Value::View(k, _) => k.name().into(),
            Value::Obj(r) => match self.tag_of(r) {
                Ok(tag::LIST) => "list".into(),
                Ok(tag::DICT) => "dict".into(),
                Ok(b't') => "tuple".into(),
                Ok(tag::WEAK) => "weakref.ReferenceType".into(),
                Ok(tag::INSTANCE) => match self.extra(r) {
                    Ok(k) => self.st.classes[k as usize].name.to_string(),
                    Err(_) => "object".into(),
                },
                _ => "object".into(),
            },
        }
    }

    pub fn str_of(&mut self, v: &Value) -> R<String> {
        match v {
            Value::Str(s) => Ok(s.to_string()),
            Value::Obj(r) if self.tag_of(r)? == tag::INSTANCE => {
                let k = self.class_of(r)?.expect("an instance");
                // Without a `__str__`, `object.__str__` calls `__repr__`
                // itself, and `str()` checks what it returned.
                let method = match self.class_attr(&k, "__str__")? {
                    Some(m) => Some(m),
                    None => self.class_attr(&k, "__repr__")?,
                };
                if let Some(m) = method {
                    let me = self.heap.dup(r)?;
                    return match self.call_special(m, me, Vec::new())? {
                        Value::Str(s) => Ok(s.to_string()),
                        other => err(
                            "TypeError",
                            format!(
                                "__str__ returned non-string (type {})",
                                self.type_name_of(&other)
                            ),
                        ),
                    };
                }
                self.repr(v)
            }
            _ => self.repr(v),
        }
    }

    pub fn repr(&mut self, v: &Value) -> R<String> {
        let mut seen = HashSet::new();
        self.repr_in(v, &mut seen)
    }

    /// `repr` of `v` inside a container's: a level of recursion, as
    /// CPython's `PyObject_Repr` counts one.
    fn repr_in(&mut self, v: &Value, seen: &mut HashSet<gc_core::ObjectId>) -> R<String> {
        if !matches!(v, Value::Obj(_) | Value::View(..) | Value::Garbage) {
            return self.repr_leaf(v, seen);
        }
        self.recursing(" while getting the repr of an object", |it| {
            it.repr_leaf(v, seen)
        })
    }

    /// `f` one level of recursion deeper, or CPython's `RecursionError`
    /// (the message ending with `what`) where the limit is reached.
    pub fn recursing<T>(&mut self, what: &str, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.st.depth + 1 >= self.st.recursion_limit.min(self.st.depth_cap) {
            return self.too_deep(what);
        }
        self.st.depth += 1;
        let r = f(self);
        self.st.depth -= 1;
        r
    }

    fn repr_leaf(&mut self, v: &Value, seen: &mut HashSet<gc_core::ObjectId>) -> R<String> {
        Ok(match v {
            Value::None => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Str(s) => repr_str(s),
            Value::Class(k) => format!("<class '__main__.{}'>", k.name),
            Value::Func(f) => format!(
                "<function {} at {}>",
                f.qualname,
                fake_addr(0x10_0000 + u64::from(f.index))
            ),
            Value::Method(f, r) => {
                let me = self.heap.dup(r)?;
                format!(
                    "<bound method {} of {}>",
                    f.qualname,
                    self.repr_in(&Value::Obj(me), seen)?
                )
            }
            Value::Builtin(b) => match b.type_name() {
                Some(t) => format!("<class '{t}'>"),
                None => format!("<built-in function {}>", b.name()),
            },
            Value::BoundBuiltin(b, r) => {
                let me = Value::Obj(self.heap.dup(r)?);
                let tn = self.type_name_of(&me);
                format!(
                    "<built-in method {} of {tn} object at {}>",
                    b.name(),
                    fake_addr(self.heap.id(r)?.0)
                )
            }
            Value::Module(m) => format!("<module '{}' (built-in)>", m.name()),
            Value::Range(a, b, c) => {
                if *c == 1 {
                    format!("range({a}, {b})")
                } else {
                    format!("range({a}, {b}, {c})")
                }
            }
            Value::View(k, _) => {
                let items = self.iter_values(v)?;
                let mut parts = Vec::with_capacity(items.len());
                for x in &items {
                    parts.push(self.repr_in(x, seen)?);
                }
                format!("{}([{}])", k.name(), parts.join(", "))
            }
            Value::Garbage => {
                let items = self.garbage_items()?;
                let mut parts = Vec::with_capacity(items.len());
                for x in &items {
                    parts.push(self.repr_in(x, seen)?);
                }
                format!("[{}]", parts.join(", "))
            }
            Value::Obj(r) => {
                let id = self.heap.id(r)?;
                let t = self.tag_of(r)?;
                match t {
                    tag::LIST | b't' | tag::DICT => {
                        if !seen.insert(id) {
                            return Ok(match t {
                                tag::LIST => "[...]".into(),
                                tag::DICT => "{...}".into(),
                                _ => "(...)".into(),
                            });
                        }
                        // A list or dict is read as it is at each step (an
                        // item's `__repr__` may change it), as
                        // `list_repr` and `dict_repr` read theirs; each
                        // item is held only while its repr is made.
                        let s = if t == tag::DICT {
                            let mut parts = Vec::new();
                            let mut i = 0;
                            while i < self.extra(r)? as usize {
                                let k = self.gs_value(r, 2 * i)?;
                                let v = self.gs_value(r, 2 * i + 1)?;
                                let k = self.repr_in(&k, seen)?;
                                parts.push(format!("{k}: {}", self.repr_in(&v, seen)?));
                                i += 1;
                            }
                            format!("{{{}}}", parts.join(", "))
                        } else if t == tag::LIST {
                            let mut parts = Vec::new();
                            let mut i = 0;
                            while i < self.extra(r)? as usize {
                                let x = self.list_item(r, i)?;
                                parts.push(self.repr_in(&x, seen)?);
                                // An item the list dropped meanwhile goes
                                // now (`list_repr` borrows it).
                                drop(x);
                                self.release_temporaries()?;
                                i += 1;
                            }
                            format!("[{}]", parts.join(", "))
                        } else {
                            let items = self.iter_values(v)?;
                            let mut parts = Vec::new();
                            for x in &items {
                                parts.push(self.repr_in(x, seen)?);
                            }
                            if parts.len() == 1 {
                                format!("({},)", parts[0])
                            } else {
                                format!("({})", parts.join(", "))
                            }
                        };
                        seen.remove(&id);
                        s
                    }
                    tag::INSTANCE => {
                        let k = self.class_of(r)?.expect("an instance");
                        if let Some(m) = self.class_attr(&k, "__repr__")? {
                            let me = self.heap.dup(r)?;
                            match self.call_special(m, me, Vec::new())? {
                                Value::Str(s) => s.to_string(),
                                other => {
                                    return err(
                                        "TypeError",
                                        format!(
                                            "__repr__ returned non-string (type {})",
                                            self.type_name_of(&other)
                                        ),
                                    );
                                }
                            }
                        } else {
                            format!("<__main__.{} object at {}>", k.name, fake_addr(id.0))
                        }
                    }
                    tag::WEAK => {
                        let me = self.heap.dup(r)?;
                        match self.weak_target(&me)? {
                            Value::None => format!("<weakref at {}; dead>", fake_addr(id.0)),
                            target => {
                                let tid = match &target {
                                    Value::Obj(t) => self.heap.id(t)?.0,
                                    _ => 0,
                                };
                                // CPython 3.11 names the type by its
                                // `tp_name` (no module for a class of the
                                // program); PyPy gives no address, and the
                                // referent's `__name__` if it has one.
                                let t = self.type_name_of(&target);
                                if self.heap.name() != "marksweep" {
                                    format!(
                                        "<weakref at {}; to '{t}' at {}>",
                                        fake_addr(id.0),
                                        fake_addr(tid)
                                    )
                                } else {
                                    let name = match self.get_attr(target, "__name__") {
                                        Ok(Value::Str(n)) => format!(" ({n})"),
                                        _ => String::new(),
                                    };
                                    format!("<weakref at {}; to '{t}'{name}>", fake_addr(id.0))
                                }
                            }
                        }
                    }
                    _ => format!("<object at {}>", fake_addr(id.0)),
                }
            }
        })
    }
}

/// `repr()` of a str, as CPython writes it.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The number of values of `range(a, b, c)` (`c` is not 0), or
/// CPython's `OverflowError` when it is more than a Python `int` of 64 bits
/// holds.
/// What makes two ranges equal (`range_equals`, `range_hash`): the
/// numbers they hold, so their length, and their first number and step
/// only where they matter (`range(0) == range(2, 2)`).
fn range_key(a: i64, b: i64, c: i64) -> R<(usize, i64, i64)> {
    let len = range_len(a, b, c)?;
    Ok((
        len,
        if len > 0 { a } else { 0 },
        if len > 1 { c } else { 0 },
    ))
}

pub fn range_len(a: i64, b: i64, c: i64) -> R<usize> {
    match i64::try_from(range_count(a, b, c)) {
        Ok(len) => usize::try_from(len).map_err(|_| Exc::from(gc_core::config::refused())),
        Err(_) => err(
            "OverflowError",
            "Python int too large to convert to C ssize_t",
        ),
    }
}

/// How many items `range(a, b, c)` has (up to 2^64, past `len`'s limit:
/// indexing such a range works, as CPython's `compute_range_item`).
fn range_count(a: i64, b: i64, c: i64) -> i128 {
    let (a, b, c) = (i128::from(a), i128::from(b), i128::from(c));
    if (c > 0 && a < b) || (c < 0 && a > b) {
        (b - a - c.signum()) / c + 1
    } else {
        0
    }
}

/// Whether the system has room for a new string of `bytes` (`None`: more
/// than the address space), twice over: it is built, then copied into
/// its shared allocation, and neither allocation can fail softly. A
/// `MemoryError` otherwise, as CPython's. Below 1 MiB the allocator's
/// reserve answers a refusal (`gc_core::tooling::reserve`).
fn room_for_str(bytes: Option<usize>) -> R<()> {
    // `PyErr_NoMemory`: no message.
    let refused = || Exc::Py(crate::interp::PyErr::new("MemoryError", String::new()));
    let bytes = bytes.ok_or_else(refused)?;
    if bytes >= 1 << 20 {
        let mut probe: Vec<u8> = Vec::new();
        probe
            .try_reserve_exact(bytes.checked_mul(2).ok_or_else(refused)?)
            .map_err(|_| refused())?;
    }
    Ok(())
}
