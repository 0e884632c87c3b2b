//! Names as CPython 3.11 has them, for what only the names decide: the
//! candidates of `Did you mean: …?` (`Python/suggestions.c` takes them in
//! dictionary order for globals and builtins, from `dir()`, sorted, for an
//! attribute), and whether a name gc-py lacks is one CPython has (then
//! the program is outside the subset, not wrong). Generated from
//! `python3.11` (`list(builtins.__dict__)`, `dir(x)`); see
//! `tests/names.rs`, which checks them against it when it is installed.

/// `builtins.__dict__`, in its order (a script's, with `site`'s names).
pub const BUILTINS: &[&str] = &[
    "__name__", "__doc__", "__package__", "__loader__", "__spec__", "__build_class__",
    "__import__", "abs", "all", "any", "ascii", "bin", "breakpoint", "callable", "chr",
    "compile", "delattr", "dir", "divmod", "eval", "exec", "format", "getattr", "globals",
    "hasattr", "hash", "hex", "id", "input", "isinstance", "issubclass", "iter", "aiter", "len",
    "locals", "max", "min", "next", "anext", "oct", "ord", "pow", "print", "repr", "round",
    "setattr", "sorted", "sum", "vars", "None", "Ellipsis", "NotImplemented", "False", "True",
    "bool", "memoryview", "bytearray", "bytes", "classmethod", "complex", "dict", "enumerate",
    "filter", "float", "frozenset", "property", "int", "list", "map", "object", "range",
    "reversed", "set", "slice", "staticmethod", "str", "super", "tuple", "type", "zip",
    "__debug__", "BaseException", "BaseExceptionGroup", "Exception", "GeneratorExit",
    "KeyboardInterrupt", "SystemExit", "ArithmeticError", "AssertionError", "AttributeError",
    "BufferError", "EOFError", "ImportError", "LookupError", "MemoryError", "NameError",
    "OSError", "ReferenceError", "RuntimeError", "StopAsyncIteration", "StopIteration",
    "SyntaxError", "SystemError", "TypeError", "ValueError", "Warning", "FloatingPointError",
    "OverflowError", "ZeroDivisionError", "BytesWarning", "DeprecationWarning",
    "EncodingWarning", "FutureWarning", "ImportWarning", "PendingDeprecationWarning",
    "ResourceWarning", "RuntimeWarning", "SyntaxWarning", "UnicodeWarning", "UserWarning",
    "BlockingIOError", "ChildProcessError", "ConnectionError", "FileExistsError",
    "FileNotFoundError", "InterruptedError", "IsADirectoryError", "NotADirectoryError",
    "PermissionError", "ProcessLookupError", "TimeoutError", "IndentationError", "IndexError",
    "KeyError", "ModuleNotFoundError", "NotImplementedError", "RecursionError",
    "UnboundLocalError", "UnicodeError", "BrokenPipeError", "ConnectionAbortedError",
    "ConnectionRefusedError", "ConnectionResetError", "TabError", "UnicodeDecodeError",
    "UnicodeEncodeError", "UnicodeTranslateError", "ExceptionGroup", "EnvironmentError",
    "IOError", "open", "quit", "exit", "copyright", "credits", "license", "help",
];

/// What `__main__`'s globals hold before the script's first statement, in order.
pub const MODULE_GLOBALS: &[&str] = &[
    "__name__", "__doc__", "__package__", "__loader__", "__spec__", "__annotations__",
    "__builtins__", "__file__", "__cached__",
];

/// `dir(object())`.
pub const OBJECT: &[&str] = &[
    "__class__", "__delattr__", "__dir__", "__doc__", "__eq__", "__format__", "__ge__",
    "__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__",
    "__le__", "__lt__", "__ne__", "__new__", "__reduce__", "__reduce_ex__", "__repr__",
    "__setattr__", "__sizeof__", "__str__", "__subclasshook__",
];

/// What `dir()` of a class of the program (or one of its instances) adds to `OBJECT` besides the class's own names.
pub const CLASS_EXTRA: &[&str] = &[
    "__dict__", "__module__", "__weakref__",
];

/// `dir([])`.
pub const LIST: &[&str] = &[
    "__add__", "__class__", "__class_getitem__", "__contains__", "__delattr__", "__delitem__",
    "__dir__", "__doc__", "__eq__", "__format__", "__ge__", "__getattribute__", "__getitem__",
    "__getstate__", "__gt__", "__hash__", "__iadd__", "__imul__", "__init__",
    "__init_subclass__", "__iter__", "__le__", "__len__", "__lt__", "__mul__", "__ne__",
    "__new__", "__reduce__", "__reduce_ex__", "__repr__", "__reversed__", "__rmul__",
    "__setattr__", "__setitem__", "__sizeof__", "__str__", "__subclasshook__", "append",
    "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort",
];

/// `dir({})`.
pub const DICT: &[&str] = &[
    "__class__", "__class_getitem__", "__contains__", "__delattr__", "__delitem__", "__dir__",
    "__doc__", "__eq__", "__format__", "__ge__", "__getattribute__", "__getitem__",
    "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__", "__ior__",
    "__iter__", "__le__", "__len__", "__lt__", "__ne__", "__new__", "__or__", "__reduce__",
    "__reduce_ex__", "__repr__", "__reversed__", "__ror__", "__setattr__", "__setitem__",
    "__sizeof__", "__str__", "__subclasshook__", "clear", "copy", "fromkeys", "get", "items",
    "keys", "pop", "popitem", "setdefault", "update", "values",
];

/// `dir('')`.
pub const STR: &[&str] = &[
    "__add__", "__class__", "__contains__", "__delattr__", "__dir__", "__doc__", "__eq__",
    "__format__", "__ge__", "__getattribute__", "__getitem__", "__getnewargs__", "__getstate__",
    "__gt__", "__hash__", "__init__", "__init_subclass__", "__iter__", "__le__", "__len__",
    "__lt__", "__mod__", "__mul__", "__ne__", "__new__", "__reduce__", "__reduce_ex__",
    "__repr__", "__rmod__", "__rmul__", "__setattr__", "__sizeof__", "__str__",
    "__subclasshook__", "capitalize", "casefold", "center", "count", "encode", "endswith",
    "expandtabs", "find", "format", "format_map", "index", "isalnum", "isalpha", "isascii",
    "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
    "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition",
    "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition",
    "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
    "translate", "upper", "zfill",
];

/// `dir(0)`.
pub const INT: &[&str] = &[
    "__abs__", "__add__", "__and__", "__bool__", "__ceil__", "__class__", "__delattr__",
    "__dir__", "__divmod__", "__doc__", "__eq__", "__float__", "__floor__", "__floordiv__",
    "__format__", "__ge__", "__getattribute__", "__getnewargs__", "__getstate__", "__gt__",
    "__hash__", "__index__", "__init__", "__init_subclass__", "__int__", "__invert__", "__le__",
    "__lshift__", "__lt__", "__mod__", "__mul__", "__ne__", "__neg__", "__new__", "__or__",
    "__pos__", "__pow__", "__radd__", "__rand__", "__rdivmod__", "__reduce__", "__reduce_ex__",
    "__repr__", "__rfloordiv__", "__rlshift__", "__rmod__", "__rmul__", "__ror__", "__round__",
    "__rpow__", "__rrshift__", "__rshift__", "__rsub__", "__rtruediv__", "__rxor__",
    "__setattr__", "__sizeof__", "__str__", "__sub__", "__subclasshook__", "__truediv__",
    "__trunc__", "__xor__", "as_integer_ratio", "bit_count", "bit_length", "conjugate",
    "denominator", "from_bytes", "imag", "numerator", "real", "to_bytes",
];

/// `dir(True)`.
pub const BOOL: &[&str] = &[
    "__abs__", "__add__", "__and__", "__bool__", "__ceil__", "__class__", "__delattr__",
    "__dir__", "__divmod__", "__doc__", "__eq__", "__float__", "__floor__", "__floordiv__",
    "__format__", "__ge__", "__getattribute__", "__getnewargs__", "__getstate__", "__gt__",
    "__hash__", "__index__", "__init__", "__init_subclass__", "__int__", "__invert__", "__le__",
    "__lshift__", "__lt__", "__mod__", "__mul__", "__ne__", "__neg__", "__new__", "__or__",
    "__pos__", "__pow__", "__radd__", "__rand__", "__rdivmod__", "__reduce__", "__reduce_ex__",
    "__repr__", "__rfloordiv__", "__rlshift__", "__rmod__", "__rmul__", "__ror__", "__round__",
    "__rpow__", "__rrshift__", "__rshift__", "__rsub__", "__rtruediv__", "__rxor__",
    "__setattr__", "__sizeof__", "__str__", "__sub__", "__subclasshook__", "__truediv__",
    "__trunc__", "__xor__", "as_integer_ratio", "bit_count", "bit_length", "conjugate",
    "denominator", "from_bytes", "imag", "numerator", "real", "to_bytes",
];

/// `dir(())`.
pub const TUPLE: &[&str] = &[
    "__add__", "__class__", "__class_getitem__", "__contains__", "__delattr__", "__dir__",
    "__doc__", "__eq__", "__format__", "__ge__", "__getattribute__", "__getitem__",
    "__getnewargs__", "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__",
    "__iter__", "__le__", "__len__", "__lt__", "__mul__", "__ne__", "__new__", "__reduce__",
    "__reduce_ex__", "__repr__", "__rmul__", "__setattr__", "__sizeof__", "__str__",
    "__subclasshook__", "count", "index",
];

/// `dir(None)`.
pub const NONE: &[&str] = &[
    "__bool__", "__class__", "__delattr__", "__dir__", "__doc__", "__eq__", "__format__",
    "__ge__", "__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__",
    "__init_subclass__", "__le__", "__lt__", "__ne__", "__new__", "__reduce__", "__reduce_ex__",
    "__repr__", "__setattr__", "__sizeof__", "__str__", "__subclasshook__",
];

/// `dir(range(0, 1))`.
pub const RANGE: &[&str] = &[
    "__bool__", "__class__", "__contains__", "__delattr__", "__dir__", "__doc__", "__eq__",
    "__format__", "__ge__", "__getattribute__", "__getitem__", "__getstate__", "__gt__",
    "__hash__", "__init__", "__init_subclass__", "__iter__", "__le__", "__len__", "__lt__",
    "__ne__", "__new__", "__reduce__", "__reduce_ex__", "__repr__", "__reversed__",
    "__setattr__", "__sizeof__", "__str__", "__subclasshook__", "count", "index", "start",
    "step", "stop",
];

/// `dir(gc)`.
pub const GC_MODULE: &[&str] = &[
    "DEBUG_COLLECTABLE", "DEBUG_LEAK", "DEBUG_SAVEALL", "DEBUG_STATS", "DEBUG_UNCOLLECTABLE",
    "__doc__", "__loader__", "__name__", "__package__", "__spec__", "callbacks", "collect",
    "disable", "enable", "freeze", "garbage", "get_count", "get_debug", "get_freeze_count",
    "get_objects", "get_referents", "get_referrers", "get_stats", "get_threshold",
    "is_finalized", "is_tracked", "isenabled", "set_debug", "set_threshold", "unfreeze",
];

/// `dir(sys)`.
pub const SYS_MODULE: &[&str] = &[
    "__breakpointhook__", "__displayhook__", "__doc__", "__excepthook__", "__interactivehook__",
    "__loader__", "__name__", "__package__", "__spec__", "__stderr__", "__stdin__",
    "__stdout__", "__unraisablehook__", "_base_executable", "_clear_type_cache",
    "_current_exceptions", "_current_frames", "_debugmallocstats", "_framework", "_getframe",
    "_getquickenedcount", "_git", "_home", "_stdlib_dir", "_xoptions", "abiflags",
    "addaudithook", "api_version", "argv", "audit", "base_exec_prefix", "base_prefix",
    "breakpointhook", "builtin_module_names", "byteorder", "call_tracing", "copyright",
    "displayhook", "dont_write_bytecode", "exc_info", "excepthook", "exception", "exec_prefix",
    "executable", "exit", "flags", "float_info", "float_repr_style", "get_asyncgen_hooks",
    "get_coroutine_origin_tracking_depth", "get_int_max_str_digits", "getallocatedblocks",
    "getdefaultencoding", "getdlopenflags", "getfilesystemencodeerrors",
    "getfilesystemencoding", "getprofile", "getrecursionlimit", "getrefcount", "getsizeof",
    "getswitchinterval", "gettrace", "hash_info", "hexversion", "implementation", "int_info",
    "intern", "is_finalizing", "maxsize", "maxunicode", "meta_path", "modules", "orig_argv",
    "path", "path_hooks", "path_importer_cache", "platform", "platlibdir", "prefix",
    "pycache_prefix", "set_asyncgen_hooks", "set_coroutine_origin_tracking_depth",
    "set_int_max_str_digits", "setdlopenflags", "setprofile", "setrecursionlimit",
    "setswitchinterval", "settrace", "stderr", "stdin", "stdlib_module_names", "stdout",
    "thread_info", "unraisablehook", "version", "version_info", "warnoptions",
];

/// `dir(weakref)`.
pub const WEAKREF_MODULE: &[&str] = &[
    "CallableProxyType", "KeyedRef", "ProxyType", "ProxyTypes", "ReferenceType",
    "WeakKeyDictionary", "WeakMethod", "WeakSet", "WeakValueDictionary", "_IterationGuard",
    "__all__", "__builtins__", "__cached__", "__doc__", "__file__", "__loader__", "__name__",
    "__package__", "__spec__", "_collections_abc", "_remove_dead_weakref", "finalize",
    "getweakrefcount", "getweakrefs", "itertools", "proxy", "ref", "sys",
];

/// `dir(f)` of a function of the program.
pub const FUNCTION: &[&str] = &[
    "__annotations__", "__builtins__", "__call__", "__class__", "__closure__", "__code__",
    "__defaults__", "__delattr__", "__dict__", "__dir__", "__doc__", "__eq__", "__format__",
    "__ge__", "__get__", "__getattribute__", "__getstate__", "__globals__", "__gt__", "__hash__",
    "__init__", "__init_subclass__", "__kwdefaults__", "__le__", "__lt__", "__module__", "__name__",
    "__ne__", "__new__", "__qualname__", "__reduce__", "__reduce_ex__", "__repr__", "__setattr__",
    "__sizeof__", "__str__", "__subclasshook__"
];

/// `dir(o.m)` of a bound method.
pub const METHOD: &[&str] = &[
    "__call__", "__class__", "__delattr__", "__dir__", "__doc__", "__eq__", "__format__",
    "__func__", "__ge__", "__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__",
    "__init_subclass__", "__le__", "__lt__", "__ne__", "__new__", "__reduce__", "__reduce_ex__",
    "__repr__", "__self__", "__setattr__", "__sizeof__", "__str__", "__subclasshook__"
];

/// `dir(len)`: a built-in function, or a method bound to its object.
pub const BUILTIN_FUNCTION: &[&str] = &[
    "__call__", "__class__", "__delattr__", "__dir__", "__doc__", "__eq__", "__format__", "__ge__",
    "__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__",
    "__le__", "__lt__", "__module__", "__name__", "__ne__", "__new__", "__qualname__", "__reduce__",
    "__reduce_ex__", "__repr__", "__self__", "__setattr__", "__sizeof__", "__str__",
    "__subclasshook__", "__text_signature__"
];
