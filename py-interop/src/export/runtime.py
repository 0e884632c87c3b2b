# ---------------------------------------------------------------------------
# The runtime of a program written by `gc-bench export --python`.
#
# Everything above this line is data (the encoded trace and its tables);
# everything below is the same for every exported trace.
#
# Rule of this file: between the start-up freeze and the end of the trace,
# nothing here may allocate a GC-tracked object except the trace's own
# operations. CPython's generation-0 count moves on every GC allocation and
# decides when collections happen, so one stray tuple would shift every later
# collection. The interpreter loop below uses only locals, list indexing, int
# arithmetic and calls that allocate nothing tracked; events are recorded as
# ints into a list made before the freeze; text is only made at the end.
# ---------------------------------------------------------------------------

import array
import binascii
import gc
import os
import sys
import time
import weakref

PYPY = sys.implementation.name == "pypy"
IMPL = "pypy" if PYPY else "cpython"

# Opcodes: keep in step with py-interop/src/export/mod.rs.
OP_NODE, OP_TUPLE, OP_ATOM, OP_SET, OP_GET, OP_MOV, OP_DEL, OP_COLLECT = range(8)
OP_FIN, OP_UNSAVE, OP_WEAK, OP_WGET, OP_WDEL, OP_GC, OP_EXPECT = range(8, 15)
GC_THRESHOLD, GC_ENABLE, GC_DISABLE, GC_FREEZE, GC_UNFREEZE = range(5)
GC_SAVEALL, GC_DEBUG_OFF, GC_GARBAGE_CLEAR = range(5, 8)
FIELDS = ("collected", "uncollectable", "live", "finalized", "callbacks",
          "garbage", "saved")

# Event codes in EV, each followed by a fixed number of ints.
EV_COLLECT, EV_FINALIZE, EV_WEAK, EV_EXPECT = 1, 2, 3, 4
KIND_NAMES = ("generation-0", "generation-1", "generation-2",
              "minor", "major-step", "major")

# State slots in ST (a list of ints, so callbacks can update it in place).
S_LINE, S_ACTIVE, S_EXPLICIT, S_T0, S_NFIN, S_NCB, S_LASTC, S_LASTU = range(8)
S_NEXTID, S_OPS, S_GCTIME, S_MAXPAUSE, S_PEAK, S_IGNORED, S_FAILS = range(8, 15)
S_ATOMLIMIT, S_GEN0, S_GEN1, S_GEN2, S_AUTO, S_THRESHOLD0, S_NEWCLS, S_UB = range(15, 23)
S_XTIME, S_XDONE = range(23, 25)
ST = [0] * 26

EV = []            # the event log: ints only
SAVED = [[], []]   # SAVED[0] is the trace's saved list; SAVED[1] a spare one
SPARE_SRC = [None] * 25
WMAP = {}          # id(weakref) -> object id * 2**21 + weak register
ATOMS = []         # every atom not yet seen dead (for live counts)
getrefcount = getattr(sys, "getrefcount", None)
perf_ns = time.perf_counter_ns
get_count = getattr(gc, "get_count", None)


class TraceError(Exception):
    pass


def _fail(message):
    raise TraceError("line %d: %s" % (ST[S_LINE], message))


# --- node classes -----------------------------------------------------------
# One class per (slot count, payload size) as listed in CLASS_SHAPES, plus a
# subclass with __del__ that `fin` switches an object to (CPython), or that
# objects which will get `fin` are born with (PyPy, which does not register a
# finalizer on __class__ assignment). Slot names are zero-padded so that
# CPython's alphabetical member order (traverse, clear) is the index order.

def _fin_del(self):
    f = self._f
    if f and ST[S_ACTIVE]:
        EV.append(EV_FINALIZE)
        EV.append(ST[S_LINE])
        EV.append(self._i)
        ST[S_NFIN] += 1
        if f == 2:
            SAVED[0].append(self)


PLAIN = []     # PLAIN[c]: the class without finalizer for CLASS_SHAPES[c]
FINAL = []     # FINAL[c]: its subclass with __del__
CLASSES = []   # both, for live counting
CLASS_BYTES = []
CLASS_BASE = []
for _c, (_s, _b) in enumerate(CLASS_SHAPES):
    _w = len(str(max(_s - 1, 0)))
    _names = tuple("s%0*d" % (_w, _k) for _k in range(_s))
    _plain = type("Node%d_%d" % (_s, _b), (object,), {
        "__slots__": _names + ("_f", "_i", "_p", "__weakref__"),
        "_S": _s, "_B": _b, "_NM": _names, "_C": _c,
    })
    _final = type("FinNode%d_%d" % (_s, _b), (_plain,), {
        "__slots__": (), "__del__": _fin_del,
    })
    PLAIN.append(_plain)
    FINAL.append(_final)
    CLASSES.append(_plain)
    CLASSES.append(_final)
    CLASS_BYTES.append(_b)
    CLASS_BYTES.append(_b)

# Tuple marks: a tuple with k members is (m0, …, mk-1, None…, MARK[k]), at
# least 21 long: CPython 3.11 never takes a tuple of 21 or more from a free
# list nor puts one back (20-tuples are put back but never taken), so every
# tuple moves the generation-0 count by +1 at creation and -1 when freed.
# The mark is an untracked bytes object; it tells the member count and, by
# its reference count, how many such tuples are alive.
MARKS = {}
SCRATCH = {}
for _k in TUPLE_SIZES:
    MARKS[_k] = bytes(_k + 2)
    _sc = [None] * max(21, _k + 1)
    _sc[-1] = MARKS[_k]
    SCRATCH[_k] = _sc
MARK_LIST = list(MARKS.values())
MARK_BASE = []


def _rc(obj):
    return getrefcount(obj)


def _measure_bases():
    CLASS_BASE.clear()
    MARK_BASE.clear()
    i = 0
    while i < len(CLASSES):
        CLASS_BASE.append(_rc(CLASSES[i]))
        i += 1
    i = 0
    while i < len(MARK_LIST):
        MARK_BASE.append(_rc(MARK_LIST[i]))
        i += 1


def _prune_atoms():
    """Drops dead atoms from ATOMS; returns live atoms * 2**40 + their bytes."""
    a = ATOMS
    n = len(a)
    i = 0
    j = 0
    nbytes = 0
    while i < n:
        x = a[i]
        if getrefcount(x) > 3:   # ATOMS, x and the argument
            a[j] = x
            j += 1
            nbytes += len(x)
        i += 1
    x = None
    while len(a) > j:
        a.pop()
    lim = 2 * j
    if lim < 4096:
        lim = 4096
    ST[S_ATOMLIMIT] = lim
    return j * 1099511627776 + nbytes


def _live():
    """Live objects * 2**40 + live payload bytes (CPython); 0 on PyPy."""
    if getrefcount is None:
        return 0
    objects = 0
    nbytes = 0
    i = 0
    n = len(CLASSES)
    while i < n:
        k = _rc(CLASSES[i]) - CLASS_BASE[i]
        if i == ST[S_NEWCLS]:
            k -= 1
        objects += k
        nbytes += k * CLASS_BYTES[i]
        i += 1
    i = 0
    n = len(MARK_LIST)
    while i < n:
        objects += _rc(MARK_LIST[i]) - MARK_BASE[i]
        i += 1
    a = _prune_atoms()
    objects += a // 1099511627776
    nbytes += a % 1099511627776
    if nbytes > ST[S_PEAK]:
        ST[S_PEAK] = nbytes
    ST[S_UB] = nbytes
    return objects * 1099511627776 + nbytes


def _node_bytes():
    nbytes = 0
    i = 0
    n = len(CLASSES)
    while i < n:
        nbytes += (_rc(CLASSES[i]) - CLASS_BASE[i]) * CLASS_BYTES[i]
        i += 1
    return nbytes


def _allocated_bytes(b):
    # The peak of live bytes is reached right after some allocation. S_UB
    # bounds live bytes from above (last exact value plus what was
    # allocated since); only when it passes the peak is it worth counting.
    # Without atoms, live bytes are the nodes' (one pass over the classes),
    # so the peak is exact; with atoms it is sampled (see _live).
    ub = ST[S_UB] + b
    ST[S_UB] = ub
    if ub > ST[S_PEAK] and getrefcount is not None and not ATOMS:
        nbytes = _node_bytes()
        ST[S_UB] = nbytes
        if nbytes > ST[S_PEAK]:
            ST[S_PEAK] = nbytes


# --- collection events --------------------------------------------------------

def _gc_callback(phase, info):
    g = info["generation"]
    if phase == "start":
        if g == 2:
            _make_spares()
        ST[S_T0] = perf_ns()
        return
    pause = perf_ns() - ST[S_T0]
    if ST[S_ACTIVE]:
        _record_collect(ST[S_EXPLICIT], g, g,
                        info["collected"] + info["uncollectable"],
                        info["uncollectable"], pause)
    if g == 2:
        _refill_and_compensate()


# A full collection empties CPython's free lists. Two things then move the
# generation-0 count that a collector holding only the trace's objects would
# not see: the "stop" info dict of gc.callbacks becomes a fresh GC allocation
# that is never given back (it is freed into the dict free list), and the
# argument tuples of `bytes(n)`, `weakref.ref(o[, cb])` and
# `gc.set_threshold(...)` (sizes 1 to 3), and the temporary tuple of
# 2 * k items that freeing an object with k >= 2 callback weak references
# makes, are fresh the first time each size is needed. Checked on 3.11.7:
# each shifts later automatic collections by one allocation. So after each
# full collection the "stop" callback puts REFILL_EACH tuples of each size
# 1..19 into the free lists, and cancels those
# allocations and the dict with as many frees of 25-tuples made in the
# "start" callback, where the count is about to be reset anyway (they are
# untracked by the collection itself: all their members are None). While
# callbacks run, `collecting` is set, so none of this can trigger anything.
REFILL_EACH = 2
REFILL_SRC = [[None] * _n for _n in range(1, 20)]
REFILL = [None] * (len(REFILL_SRC) * REFILL_EACH)
SPARES = [None] * (len(REFILL) + 1)


def _make_spares():
    i = 0
    while i < len(SPARES):
        SPARES[i] = tuple(SPARE_SRC)
        i += 1


def _refill_and_compensate():
    i = 0
    while i < len(REFILL):
        REFILL[i] = tuple(REFILL_SRC[i % len(REFILL_SRC)])
        i += 1
    i = 0
    while i < len(REFILL):
        REFILL[i] = None
        i += 1
    i = 0
    while i < len(SPARES):
        SPARES[i] = None
        i += 1


def _record_collect(explicit, generation, kind, collected, uncollectable, pause):
    live = _live()
    EV.append(EV_COLLECT)
    EV.append(ST[S_LINE])
    EV.append(explicit)
    EV.append(generation)
    EV.append(kind)
    EV.append(collected)
    EV.append(uncollectable)
    EV.append(live // 1099511627776)
    EV.append(live % 1099511627776)
    EV.append(pause)
    ST[S_GCTIME] += pause
    if pause > ST[S_MAXPAUSE]:
        ST[S_MAXPAUSE] = pause
    ST[S_GEN0 + generation] += 1
    ST[S_LASTC] = collected
    ST[S_LASTU] = uncollectable


class _PyPyHooks(object):
    # PyPy calls these at a safe point after the collections happened, with
    # several events merged (`count`, total `duration` and longest
    # `duration_max` in seconds). Each merged event gets an equal share of
    # the duration. Inside an explicit collection (S_EXPLICIT) nothing is
    # recorded: the durations add up in S_XTIME and _pypy_collect records
    # the whole collection as one event.
    def on_gc_minor(self, stats):
        if ST[S_ACTIVE]:
            _pypy_report(0, 3, stats, 0)

    def on_gc_collect_step(self, stats):
        # A step that leaves the state SCANNING (0) again has completed a
        # major collection: the last of the merged steps is reported as
        # `major`, the others as `major-step`, as the collector does.
        if ST[S_ACTIVE]:
            _pypy_report(2, 4, stats, stats.newstate == 0)

    def on_gc_collect(self, stats):
        if ST[S_ACTIVE] and ST[S_EXPLICIT]:
            ST[S_XDONE] += stats.count


def _pypy_report(generation, kind, stats, last_completes):
    total = int(stats.duration * 1e9)
    if ST[S_EXPLICIT]:
        ST[S_XTIME] += total
        return
    count = stats.count
    k = 0
    while k < count:
        pause = total // count
        if k == count - 1:
            pause = total - (count - 1) * (total // count)
        if last_completes and k == count - 1:
            kind = 5
        _record_collect(0, generation, kind, 0, 0, pause)
        k += 1
    longest = int(stats.duration_max * 1e9)
    if longest > ST[S_MAXPAUSE]:
        ST[S_MAXPAUSE] = longest


def _pypy_collect():
    # An explicit collection is one `major` event, as in the collector:
    # gc.collect() finishes the major collection in progress and runs a
    # whole one, with a minor collection before each step. The hooks for
    # all of it come while S_EXPLICIT is set (PyPy runs them at the first
    # safe point, which the loop below provides if the call did not); the
    # event's pause is the sum of the durations they report.
    ST[S_XTIME] = 0
    ST[S_XDONE] = 0
    started = perf_ns()
    gc.collect()
    elapsed = perf_ns() - started
    k = 0
    while ST[S_XDONE] == 0 and k < 1000:
        k += 1
    pause = ST[S_XTIME] if ST[S_XDONE] else elapsed
    _record_collect(1, 2, 5, 0, 0, pause)


def _weak_callback(wr):
    if ST[S_ACTIVE]:
        EV.append(EV_WEAK)
        EV.append(ST[S_LINE])
        EV.append(WMAP[id(wr)])
        ST[S_NCB] += 1


# --- the interpreter ------------------------------------------------------------

def _obj(R, r):
    o = R[r]
    if o is None:
        _fail("register r%d is empty where an object is needed" % r)
    return o


def _kind(o):
    t = type(o)
    if t is tuple:
        return "tuple"
    if t is bytes or t is bytearray:
        return "atom"
    return "node"


def _no_basic_ref(o):
    h = o.__weakref__
    return h is None or h.__callback__ is not None


def _not_node(o):
    return type(o) is tuple or type(o) is bytes or type(o) is bytearray


def _article(o):
    return "" if type(o) is tuple else "n"


def _slot_error(o, i, r):
    if type(o) is tuple:
        n = len(o[-1]) - 2
    elif type(o) is bytes or type(o) is bytearray:
        n = 0
    else:
        n = type(o)._S
    _fail("slot index %d out of range: the %s has %d slots (in r%d)"
          % (i, _kind(o), n, r))


def _run(code, R, W, apply):
    pc = 0
    n = len(code)
    collect = gc.collect
    wref = weakref.ref
    wcb = _weak_callback
    plain = PLAIN
    final = FINAL
    scratch = SCRATCH
    marks = MARKS
    saved = SAVED
    atoms = ATOMS
    st = ST
    ev = EV
    finset = FINSET
    while pc < n:
        op = code[pc]
        st[S_LINE] = code[pc + 1]
        if op != OP_EXPECT:
            st[S_OPS] += 1
        if op == OP_NODE:
            d = code[pc + 2]
            c = code[pc + 3]
            oid = st[S_NEXTID]
            st[S_NEXTID] = oid + 1
            # While the class is called, this frame's stack holds one more
            # reference to it; a collection inside the allocation must not
            # count that as an instance (see _live).
            st[S_NEWCLS] = 2 * c
            if PYPY and oid in finset:
                st[S_NEWCLS] += 1
                o = final[c]()
            else:
                o = plain[c]()
            st[S_NEWCLS] = -1
            o._i = oid
            o._f = 0
            b = CLASS_SHAPES[c][1]
            if b:
                o._p = bytes(b)
                # Measured before the old value of the register goes, as
                # a collector measures at allocation.
                _allocated_bytes(b)
            else:
                o._p = None
            nm = o._NM
            k = 0
            s = len(nm)
            while k < s:
                setattr(o, nm[k], None)
                k += 1
            R[d] = o
            o = None
            pc += 4
        elif op == OP_SET:
            r = code[pc + 2]
            o = _obj(R, r)
            i = code[pc + 3]
            v = code[pc + 4]
            if _not_node(o):
                _fail("cannot set a slot of a%s %s: only nodes are mutable (in r%d)"
                      % (_article(o), _kind(o), r))
            if i >= o._S:
                _slot_error(o, i, r)
            setattr(o, o._NM[i], None if v < 0 else R[v])
            o = None
            pc += 5
        elif op == OP_GET:
            d = code[pc + 2]
            r = code[pc + 3]
            o = _obj(R, r)
            i = code[pc + 4]
            if type(o) is tuple:
                if i >= len(o[-1]) - 2:
                    _slot_error(o, i, r)
                R[d] = o[i]
            elif _not_node(o):
                _slot_error(o, i, r)
            else:
                if i >= o._S:
                    _slot_error(o, i, r)
                R[d] = getattr(o, o._NM[i])
            o = None
            pc += 5
        elif op == OP_MOV:
            R[code[pc + 2]] = R[code[pc + 3]]
            pc += 4
        elif op == OP_DEL:
            R[code[pc + 2]] = None
            pc += 3
        elif op == OP_TUPLE:
            d = code[pc + 2]
            k = code[pc + 3]
            sc = scratch[k]
            j = 0
            while j < k:
                v = code[pc + 4 + j]
                sc[j] = None if v < 0 else R[v]
                j += 1
            st[S_NEXTID] += 1
            o = tuple(sc)
            j = 0
            while j < k:
                sc[j] = None
                j += 1
            v = None
            R[d] = o
            o = None
            pc += 4 + k
        elif op == OP_ATOM:
            d = code[pc + 2]
            b = code[pc + 3]
            st[S_NEXTID] += 1
            o = bytes(b) if b >= 2 else bytearray(b)
            if getrefcount is not None:
                atoms.append(o)
                if len(atoms) >= st[S_ATOMLIMIT]:
                    _prune_atoms()
            st[S_UB] += b
            R[d] = o
            o = None
            pc += 4
        elif op == OP_COLLECT:
            g = code[pc + 2]
            st[S_EXPLICIT] = 1
            if PYPY:
                _pypy_collect()
            else:
                collect(g)
            st[S_EXPLICIT] = 0
            pc += 3
        elif op == OP_FIN:
            r = code[pc + 2]
            o = _obj(R, r)
            if _not_node(o):
                _fail("fin on a%s %s cannot be run on %s: only nodes can have __del__"
                      % (_article(o), _kind(o), IMPL))
            if PYPY:
                if not isinstance(o, FinalBase):
                    _fail("internal: object %d was not made finalizable" % o._i)
            elif type(o) is plain[o._C]:
                o.__class__ = final[o._C]
            o._f = 1 + code[pc + 3]
            o = None
            pc += 4
        elif op == OP_WEAK:
            d = code[pc + 2]
            r = code[pc + 3]
            o = _obj(R, r)
            if _not_node(o):
                _fail("weak reference to a%s %s cannot be made on %s"
                      % (_article(o), _kind(o), IMPL))
            cb = code[pc + 4]
            pre = None
            if not PYPY and st[S_AUTO] and (cb or _no_basic_ref(o)) \
                    and get_count()[0] >= st[S_THRESHOLD0]:
                # This allocation will trigger a collection. Calling
                # weakref.ref makes an argument tuple first, a tracked
                # object that the collection would count among the
                # survivors (long_lived_pending/total), which no collector
                # holding only the trace's objects would do. So the
                # collection is triggered at the same count by a 25-tuple
                # made just before, freed right after the weak reference
                # (that -1 cancels the weak reference's own +1, which the
                # triggered collection would have reset).
                pre = tuple(SPARE_SRC)
            if cb:
                w = wref(o, wcb)
                WMAP[id(w)] = o._i * 2097152 + d
            else:
                w = wref(o)
            W[d] = w
            w = None
            o = None
            pre = None
            pc += 5
        elif op == OP_WGET:
            d = code[pc + 2]
            s = code[pc + 3]
            w = W[s]
            if w is None:
                _fail("weak register w%d is empty where a weak reference is needed" % s)
            R[d] = w()
            w = None
            pc += 4
        elif op == OP_WDEL:
            W[code[pc + 2]] = None
            pc += 3
        elif op == OP_UNSAVE:
            # Released in list order, as the replay does; a finalizer run by
            # a release appends to the fresh list.
            old = saved[0]
            saved[0] = saved[1]
            saved[1] = old
            j = 0
            while j < len(old):
                old[j] = None
                j += 1
            old.clear()
            old = None
            pc += 2
        elif op == OP_GC:
            c = code[pc + 2]
            pc = _control(code, pc, c)
        elif op == OP_EXPECT:
            who = code[pc + 2]
            f = code[pc + 3]
            want = code[pc + 4]
            if who < 0 or apply[who]:
                _expect(f, want)
            pc += 5
        else:
            _fail("internal: bad opcode %d" % op)


def _control(code, pc, c):
    if c == GC_THRESHOLD:
        k = code[pc + 3]
        if PYPY:
            ST[S_IGNORED] += 1
        else:
            try:
                ST[S_THRESHOLD0] = code[pc + 4]
                if k == 1:
                    gc.set_threshold(code[pc + 4])
                elif k == 2:
                    gc.set_threshold(code[pc + 4], code[pc + 5])
                else:
                    gc.set_threshold(code[pc + 4], code[pc + 5], code[pc + 6])
            except OverflowError:
                _fail("threshold too large for CPython")
            _auto_state()
        return pc + 4 + k
    if c == GC_ENABLE:
        gc.enable()
    elif c == GC_DISABLE:
        gc.disable()
    if c == GC_ENABLE or c == GC_DISABLE:
        _auto_state()
    elif PYPY:
        ST[S_IGNORED] += 1
    elif c == GC_FREEZE:
        gc.freeze()
    elif c == GC_UNFREEZE:
        gc.unfreeze()
    elif c == GC_SAVEALL:
        gc.set_debug(gc.DEBUG_SAVEALL)
    elif c == GC_DEBUG_OFF:
        gc.set_debug(0)
    elif c == GC_GARBAGE_CLEAR:
        g = gc.garbage
        j = 0
        while j < len(g):
            g[j] = None
            j += 1
        g.clear()
    return pc + 3


def _auto_state():
    # Whether an allocation can trigger a collection (threshold0 is kept
    # in S_THRESHOLD0: the trigger is count0 + 1 > threshold0).
    ST[S_AUTO] = 1 if gc.isenabled() and ST[S_THRESHOLD0] > 0 else 0


def _expect(f, want):
    if f == 0:
        actual = ST[S_LASTC]
    elif f == 1:
        actual = ST[S_LASTU]
    elif f == 2:
        if getrefcount is None:
            return      # not measurable on PyPy: skipped
        actual = _live() // 1099511627776
    elif f == 3:
        actual = ST[S_NFIN]
    elif f == 4:
        actual = ST[S_NCB]
    elif f == 5:
        actual = len(gc.garbage)
    else:
        actual = len(SAVED[0])
    if actual != want:
        EV.append(EV_EXPECT)
        EV.append(ST[S_LINE])
        EV.append(f)
        EV.append(want)
        EV.append(actual)
        ST[S_FAILS] += 1


# --- start-up, run, output ------------------------------------------------------

def _decode(text):
    # OPS_BITS-bit integers: the array type code of that size.
    code = "q"
    for c in ("i", "l", "q"):
        if array.array(c).itemsize * 8 == OPS_BITS:
            code = c
            break
    a = array.array(code)
    a.frombytes(binascii.a2b_base64(text))
    if sys.byteorder != "little":
        a.byteswap()
    return a


class FinalBase(object):
    __slots__ = ()


def _warm_up():
    # Runs every kind of operation once on throw-away objects (class 0 is
    # always the shape (1, 0)), so that any one-time allocation of the
    # interpreter (caches, specialisation) happens now, before the freeze,
    # and not in the middle of the trace.
    if getrefcount is not None:
        _measure_bases()
    R = [None] * 4
    W = [None] * 2
    ops = [OP_NODE, 0, 0, 0, OP_NODE, 0, 1, 0, OP_ATOM, 0, 2, 8,
           OP_ATOM, 0, 3, 1]
    for k in TUPLE_SIZES:
        ops += [OP_TUPLE, 0, 3, k] + [(j % 3) - 1 for j in range(k)]
    ops += [OP_MOV, 0, 2, 0, OP_DEL, 0, 2,
            OP_WEAK, 0, 0, 0, 0, OP_WEAK, 0, 1, 0, 1, OP_WGET, 0, 3, 0,
            OP_WDEL, 0, 0, OP_WDEL, 0, 1, OP_DEL, 0, 3,
            OP_EXPECT, 0, -1, 3, 0, OP_UNSAVE, 0,
            OP_SET, 0, 0, 0, 1, OP_GET, 0, 3, 0, 0, OP_SET, 0, 0, 0, -1]
    if not PYPY:
        ops += [OP_FIN, 0, 0, 0]
    ops += [OP_DEL, 0, 0, OP_DEL, 0, 1, OP_DEL, 0, 3]
    _run(array.array("q", ops), R, W, [])
    R = W = None
    _live()
    del EV[:]
    for i in range(len(ST)):
        ST[i] = 0
    ST[S_ATOMLIMIT] = 4096
    ST[S_NEWCLS] = -1
    if not PYPY:
        ST[S_THRESHOLD0] = gc.get_threshold()[0]
        _auto_state()


def _apply_table():
    names = EXPECT_AS
    if names is None:
        names = ["pypy"] if PYPY else ["cpython", "generational"]
    for a in sys.argv[1:]:
        if a.startswith("--expect-as="):
            names = [x for x in a[len("--expect-as="):].split(",") if x]
    return [name in names for name in EXPECT_NAMES]


def _json_events(out):
    e = EV
    i = 0
    n = len(e)
    while i < n:
        k = e[i]
        if k == EV_COLLECT:
            out.append(
                '{"event":"collect","line":%d,"trigger":"%s","generation":%d,'
                '"kind":"%s","collected":%d,"uncollectable":%d,'
                '"live_objects":%d,"live_bytes":%d,"pause_ns":%d}'
                % (e[i + 1], "explicit" if e[i + 2] else "auto", e[i + 3],
                   KIND_NAMES[e[i + 4]], e[i + 5], e[i + 6], e[i + 7], e[i + 8],
                   e[i + 9]))
            i += 10
        elif k == EV_FINALIZE:
            out.append('{"event":"finalize","line":%d,"object":%d}'
                       % (e[i + 1], e[i + 2]))
            i += 3
        elif k == EV_WEAK:
            out.append('{"event":"weak_callback","line":%d,"weak":"w%d","object":%d}'
                       % (e[i + 1], e[i + 2] % 2097152, e[i + 2] // 2097152))
            i += 3
        else:
            out.append('{"event":"expect_failed","line":%d,"field":"%s",'
                       '"expected":%d,"actual":%d}'
                       % (e[i + 1], FIELDS[e[i + 2]], e[i + 3], e[i + 4]))
            i += 5


def main():
    global FinalBase
    if PYPY:
        # On PyPy an object must be born with __del__ to get a finalizer.
        FinalBase = tuple(FINAL)
    code = _decode(OPS)
    apply = _apply_table()
    R = [None] * (MAX_REG + 1)
    W = [None] * (MAX_WEAK + 1)
    _warm_up()
    if PYPY:
        gc.collect()
        gc.hooks.set(_PyPyHooks())
    else:
        _measure_bases()
        gc.callbacks.append(_gc_callback)
        gc.collect()
        gc.freeze()
        gc.collect()
    error = None
    ST[S_ACTIVE] = 1
    started = perf_ns()
    try:
        # The last collection above left every count at 0; nothing
        # allocates a tracked object between it and the first operation.
        _run(code, R, W, apply)
    except TraceError as e:
        error = str(e)
    wall = perf_ns() - started
    live = _live()
    ST[S_ACTIVE] = 0
    if PYPY:
        gc.hooks.reset()
    else:
        gc.callbacks.remove(_gc_callback)
    out = []
    _json_events(out)
    if error is None:
        allocated = ST[S_NEXTID]
        objects = live // 1099511627776
        out.append(
            '{"event":"summary","collector":"%s","ops":%d,"allocated":%d,'
            '"freed":%d,"live_objects":%d,"live_bytes":%d,"peak_live_bytes":%d,'
            '"collections":{"0":%d,"1":%d,"2":%d},"gc_time_ns":%d,'
            '"max_pause_ns":%d,"wall_ns":%d,"ignored_controls":%d}'
            % (IMPL, ST[S_OPS], allocated,
               allocated - objects if getrefcount is not None else 0,
               objects, live % 1099511627776, ST[S_PEAK], ST[S_GEN0],
               ST[S_GEN1], ST[S_GEN2], ST[S_GCTIME], ST[S_MAXPAUSE], wall,
               ST[S_IGNORED]))
    out.append("")
    sys.stdout.write("\n".join(out))
    sys.stdout.flush()
    if error is not None:
        sys.stderr.write(error + "\n")
        sys.stderr.flush()
        os._exit(2)
    os._exit(1 if ST[S_FAILS] else 0)


main()
