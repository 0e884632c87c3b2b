"""Differential check of gc-generational against CPython 3.11 itself.

usage: python3 differential.py OUTDIR SEED COUNT LEN

Generates COUNT random gctraces of LEN operations (seven shapes: churn of
small cycles, random graph mutation, finalizers with resurrection and weak
references, controls changed mid-trace, deep chains, shared trees, default
thresholds), turns each into a Python program that performs the same
operations on real CPython objects, runs it, and writes OUTDIR/NNN.gctrace,
the program OUTDIR/NNN.py and OUTDIR/NNN.cpython (one event a line:
`C line generation trigger collected uncollectable`, `F line object`,
`W line wN object`). `tests/differential.rs` replays the traces on the
collector and requires the same lines.

The Python side follows gctrace.md's facts for CPython, plus what this
checker found (CPython 3.11.7):

- tuples are padded with None to 21 members: 3.11's tuple free lists hold
  sizes 1 to 20, so a 20-member tuple does come from a free list;
- a full collection empties the free lists, after which the "stop"
  callback's info dict, call-argument tuples (`weakref.ref(o, cb)`,
  `gc.set_threshold`) and `PyObject_ClearWeakRefs`'s temporary tuple become
  counted allocations; the program refills the tuple and dict free lists
  after every full collection and then frees frozen spare nodes, whose
  deallocation brings count0 back to its floor of 0;
- every node class has `__del__` (checking a per-object flag), so `fin` can
  be given to an existing object;
- `unsave` releases the entries present when it starts, first to last (as
  gc-bench's replay does).
"""
import random
import subprocess
import sys

NREG = 8
NWEAK = 3


def gen_trace(rng, length, shape):
    regs = [None] * NREG          # None | ('obj', id) | 'unknown'
    objs = []                      # per id: dict(kind, slots)
    weak = [False] * NWEAK
    lines = ["gctrace 1"]
    if shape.get("threshold"):
        t = shape["threshold"]
        lines.append(f"gc threshold {t[0]} {t[1]} {t[2]}")

    def reg_obj(pred):
        cands = [i for i, r in enumerate(regs) if isinstance(r, tuple) and pred(objs[r[1]])]
        return rng.choice(cands) if cands else None

    def value(i):
        r = regs[i]
        return "nil" if r is None else f"r{i}"

    def value_id(i):
        r = regs[i]
        return r[1] if isinstance(r, tuple) else None

    def new_node():
        d = rng.randrange(NREG)
        n = rng.randrange(0, 5)
        objs.append({"kind": "node", "slots": [None] * n})
        regs[d] = ("obj", len(objs) - 1)
        return f"new r{d} node {n} {rng.randrange(0, 17)}"

    w = shape["weights"]
    ops = list(w.keys())
    weights = list(w.values())
    for _ in range(length):
        op = rng.choices(ops, weights)[0]
        line = None
        if op == "node":
            line = new_node()
        elif op == "atom":
            d = rng.randrange(NREG)
            objs.append({"kind": "atom", "slots": []})
            regs[d] = ("obj", len(objs) - 1)
            line = f"new r{d} atom {rng.randrange(0, 9)}"
        elif op == "tuple":
            d = rng.randrange(NREG)
            ms = [rng.randrange(NREG) for _ in range(rng.randrange(0, 4))]
            vals = [value(m) for m in ms]
            ids = [value_id(m) if value(m) != "nil" else None for m in ms]
            # 'unknown' registers may hold anything; the shadow loses track.
            if any(regs[m] == "unknown" for m in ms):
                ids = None
            objs.append({"kind": "tuple", "slots": ids})
            regs[d] = ("obj", len(objs) - 1)
            line = f"new r{d} tuple " + " ".join(vals) if vals else f"new r{d} tuple"
        elif op == "set":
            o = reg_obj(lambda x: x["kind"] == "node" and x["slots"])
            if o is None:
                line = new_node()
            else:
                ob = objs[regs[o][1]]
                i = rng.randrange(len(ob["slots"]))
                s = rng.randrange(NREG)
                if rng.random() < 0.15:
                    line = f"set r{o}.{i} nil"
                    ob["slots"][i] = None
                else:
                    line = f"set r{o}.{i} {value(s)}"
                    ob["slots"][i] = value_id(s) if regs[s] != "unknown" else "unknown"
        elif op == "get":
            o = reg_obj(lambda x: x["slots"] is not None and len(x["slots"]) > 0)
            if o is None:
                line = new_node()
            else:
                ob = objs[regs[o][1]]
                i = rng.randrange(len(ob["slots"]))
                d = rng.randrange(NREG)
                t = ob["slots"][i]
                regs[d] = "unknown" if t == "unknown" else (None if t is None else ("obj", t))
                line = f"get r{d} r{o}.{i}"
        elif op == "mov":
            d, s = rng.randrange(NREG), rng.randrange(NREG)
            regs[d] = regs[s]
            line = f"mov r{d} r{s}"
        elif op == "del":
            d = rng.randrange(NREG)
            regs[d] = None
            line = f"del r{d}"
        elif op == "collect":
            g = rng.choice(["", " 0", " 1", " 2"])
            line = "collect" + g
        elif op == "fin":
            o = reg_obj(lambda x: x["kind"] == "node")
            if o is None:
                line = new_node()
            else:
                line = f"fin r{o}" + (" resurrect" if rng.random() < 0.5 else "")
        elif op == "unsave":
            line = "unsave"
        elif op == "weak":
            o = reg_obj(lambda x: x["kind"] == "node")
            if o is None:
                line = new_node()
            else:
                d = rng.randrange(NWEAK)
                weak[d] = True
                line = f"weak w{d} r{o}" + (" cb" if rng.random() < 0.6 else "")
        elif op == "wget":
            s = rng.randrange(NWEAK)
            if not weak[s]:
                line = new_node()
            else:
                d = rng.randrange(NREG)
                regs[d] = "unknown"
                line = f"wget r{d} w{s}"
        elif op == "wdel":
            d = rng.randrange(NWEAK)
            weak[d] = False
            line = f"wdel w{d}"
        elif op == "threshold":
            line = f"gc threshold {rng.randrange(1, 25)} {rng.randrange(1, 5)} {rng.randrange(1, 5)}"
        elif op == "disable":
            line = "gc disable"
        elif op == "enable":
            line = "gc enable"
        elif op == "saveall":
            line = "gc debug saveall"
        elif op == "debugoff":
            line = "gc debug off"
        elif op == "gclear":
            line = "gc garbage clear"
        elif op == "tree":
            # A node over the two latest subtrees: r1 := node(r0, r2);
            # r2 := r0; r0 := r1 (the subtrees share structure).
            objs.append({"kind": "node", "slots": ["unknown", "unknown"]})
            parts = [f"new r1 node 2 {rng.randrange(0, 9)}", f"set r1.0 {value(0)}", f"set r1.1 {value(2)}"]
            if rng.random() < 0.25:
                parts.append("fin r1")
            parts += ["mov r2 r0", "mov r0 r1"]
            regs[1] = ("obj", len(objs) - 1)
            regs[2] = regs[0]
            regs[0] = regs[1]
            line = "\n".join(parts)
        elif op == "push":
            # Grow a deep structure: r1 := a new node whose slot 0 holds
            # r0 (and slot 1 maybe a back edge or a tuple), then r0 := r1.
            objs.append({"kind": "node", "slots": [value_id(0) if regs[0] != "unknown" else "unknown", None]})
            regs[1] = ("obj", len(objs) - 1)
            parts = [f"new r1 node 2 {rng.randrange(0, 9)}", f"set r1.0 {value(0)}"]
            if rng.random() < 0.3:
                parts.append("fin r1" + (" resurrect" if rng.random() < 0.2 else ""))
            if rng.random() < 0.1:
                parts.append("set r1.1 r1")
                objs[-1]["slots"][1] = len(objs) - 1
            parts.append("mov r0 r1")
            regs[0] = regs[1]
            line = "\n".join(parts)
        lines.append(line)
    return "\n".join(lines) + "\n"


PRELUDE = '''import gc, sys, weakref
gc.disable()
EV = [0] * 400000
P = [0]
L = [0]
EXPL = [0]
SAVED = []
_N = None
R = [None] * 8
W = [None] * 3
WN = {}
WT = {}
def _del(self):
    f = self._fin
    if f:
        p = P[0]; EV[p] = 2; EV[p+1] = L[0]; EV[p+2] = self._id; P[0] = p + 3
        if f == 2:
            SAVED.append(self)
def wcb(wr):
    k = id(wr)
    p = P[0]; EV[p] = 3; EV[p+1] = L[0]; EV[p+2] = WN[k]; EV[p+3] = WT[k]; P[0] = p + 4
NODES = []
for n in range(5):
    ns = {"__slots__": ("_id", "_fin") + tuple("s%02d" % i for i in range(n)) + ("__weakref__",), "__del__": _del}
    NODES.append(type("N%d" % n, (), ns))
N0, N1, N2, N3, N4 = NODES
def unsave():
    for _ in range(len(SAVED)):
        x = SAVED.pop(0)
        del x
SPARES = [N0() for _ in range(100000)]
for s in SPARES: s._id = -1; s._fin = 0
def gccb(phase, info):
    if phase == "stop":
        p = P[0]; EV[p] = 1; EV[p+1] = L[0]; EV[p+2] = info["generation"]; EV[p+3] = info["collected"] + info["uncollectable"]; EV[p+4] = info["uncollectable"]; EV[p+5] = EXPL[0]; P[0] = p + 6
        if info["generation"] == 2:
            warm()
            for _ in range(40): SPARES.pop()
def warm():
    for n in range(1, 21):
        t = tuple(P[:1] * n)
        del t
gc.collect(); gc.freeze(); gc.collect()
warm(); d = {}; del d
for _ in range(40): SPARES.pop()
gc.enable()
gc.callbacks.append(gccb)
'''

POSTLUDE = '''gc.callbacks.remove(gccb)
gc.disable()
out = []
p = 0
while p < P[0]:
    k = EV[p]
    if k == 1:
        out.append("C %d %d %s %d %d" % (EV[p+1], EV[p+2], "explicit" if EV[p+5] else "auto", EV[p+3], EV[p+4])); p += 6
    elif k == 2:
        out.append("F %d %d" % (EV[p+1], EV[p+2])); p += 3
    else:
        out.append("W %d w%d %d" % (EV[p+1], EV[p+2], EV[p+3])); p += 4
print("\\n".join(out))
'''


def to_python(trace):
    out = [PRELUDE]
    nid = 0
    for ln, line in enumerate(trace.splitlines(), 1):
        t = line.split()
        if not t or t[0] == "gctrace":
            continue
        out.append(f"L[0] = {ln}")
        op = t[0]
        if op == "new":
            d = int(t[1][1:])
            if t[2] == "node":
                n = int(t[3])
                out.append(f"R[{d}] = N{n}(); R[{d}]._id = {nid}; R[{d}]._fin = 0")
            elif t[2] == "atom":
                out.append(f"R[{d}] = bytes({int(t[3])})")
            else:
                ms = [("_N" if m == "nil" else f"R[{int(m[1:])}]") for m in t[3:]]
                ms += ["_N"] * (21 - len(ms))
                out.append(f"R[{d}] = (" + ", ".join(ms) + ",)")
            nid += 1
        elif op == "set":
            o, i = t[1].split(".")
            v = "None" if t[2] == "nil" else f"R[{int(t[2][1:])}]"
            out.append(f"R[{int(o[1:])}].s{int(i):02d} = {v}")
        elif op == "get":
            o, i = t[2].split(".")
            d = int(t[1][1:])
            o = int(o[1:])
            out.append(f"R[{d}] = R[{o}][{i}] if type(R[{o}]) is tuple else getattr(R[{o}], 's{int(i):02d}', None)")
        elif op == "mov":
            out.append(f"R[{int(t[1][1:])}] = R[{int(t[2][1:])}]")
        elif op == "del":
            out.append(f"R[{int(t[1][1:])}] = None")
        elif op == "collect":
            g = t[1] if len(t) > 1 else "2"
            out.append(f"EXPL[0] = 1; gc.collect({g}); EXPL[0] = 0")
        elif op == "fin":
            out.append(f"R[{int(t[1][1:])}]._fin = {2 if len(t) > 2 else 1}")
        elif op == "unsave":
            out.append("unsave()")
        elif op == "weak":
            d = int(t[1][1:])
            o = int(t[2][1:])
            if len(t) > 3:
                out.append(f"W[{d}] = weakref.ref(R[{o}], wcb)")
            else:
                out.append(f"W[{d}] = weakref.ref(R[{o}])")
            out.append(f"WN[id(W[{d}])] = {d}; WT[id(W[{d}])] = R[{o}]._id")
        elif op == "wget":
            out.append(f"R[{int(t[1][1:])}] = W[{int(t[2][1:])}]()")
        elif op == "wdel":
            out.append(f"W[{int(t[1][1:])}] = None")
        elif op == "gc":
            a = t[1]
            if a == "threshold":
                out.append("gc.set_threshold(" + ", ".join(t[2:]) + ")")
            elif a == "disable":
                out.append("gc.disable()")
            elif a == "enable":
                out.append("gc.enable()")
            elif a == "debug":
                out.append("gc.set_debug(gc.DEBUG_SAVEALL)" if t[2] == "saveall" else "gc.set_debug(0)")
            elif a == "garbage":
                out.append("gc.garbage.clear()")
            elif a == "freeze":
                out.append("gc.freeze()")
            elif a == "unfreeze":
                out.append("gc.unfreeze()")
        elif op == "expect":
            pass
    out.append(POSTLUDE)
    return "\n".join(out)


SHAPES = {
    "churn": {"threshold": (15, 3, 3), "weights": {"node": 30, "set": 25, "del": 20, "mov": 5, "get": 5, "collect": 2, "tuple": 5, "atom": 3}},
    "mutation": {"threshold": (20, 4, 4), "weights": {"node": 20, "atom": 5, "tuple": 6, "set": 20, "get": 8, "mov": 6, "del": 15, "collect": 3, "fin": 5, "unsave": 2, "weak": 4, "wget": 3, "wdel": 2}},
    "finalizers": {"threshold": (10, 2, 2), "weights": {"node": 25, "set": 25, "del": 20, "fin": 12, "unsave": 4, "collect": 4, "weak": 5, "wget": 3, "wdel": 2, "get": 5}},
    "controls": {"threshold": (12, 3, 2), "weights": {"node": 25, "tuple": 6, "atom": 3, "set": 20, "del": 18, "get": 5, "mov": 4, "collect": 4, "fin": 5, "unsave": 2, "weak": 3, "wget": 2, "wdel": 1, "threshold": 2, "disable": 1, "enable": 2, "saveall": 1, "debugoff": 1, "gclear": 1}},
    "deep": {"threshold": (30, 5, 3), "weights": {"push": 40, "node": 5, "tuple": 4, "set": 6, "get": 4, "del": 4, "mov": 3, "collect": 2, "weak": 3, "wget": 2, "wdel": 1, "unsave": 2}},
    "trees": {"threshold": (25, 4, 3), "weights": {"tree": 40, "node": 4, "set": 4, "get": 6, "del": 5, "collect": 2, "weak": 3, "wget": 2, "unsave": 2, "push": 5}},
    "default": {"threshold": None, "weights": {"node": 30, "set": 25, "del": 20, "tuple": 5, "collect": 1, "fin": 3, "weak": 2, "get": 4}},
}




def main():
    outdir, seed, count, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    shapes = list(SHAPES)
    for k in range(count):
        shape = shapes[k % len(shapes)]
        rng = random.Random(seed * 100003 + k)
        trace = gen_trace(rng, length, SHAPES[shape])
        program = f"{outdir}/{k:03}.py"
        with open(program, "w") as f:
            f.write(to_python(trace))
        p = subprocess.run([sys.executable, program], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"trace {k}: the Python program failed: {p.stderr[-400:]}")
        with open(f"{outdir}/{k:03}.gctrace", "w") as f:
            f.write(trace)
        with open(f"{outdir}/{k:03}.cpython", "w") as f:
            f.write(p.stdout)


main()
