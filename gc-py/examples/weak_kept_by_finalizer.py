# Weak references to objects that only a finalizable object keeps alive:
# PyPy clears them, with the finalizable object's own, before its __del__
# runs (the collection found them dead); those to what a finalizable
# object that waits for a later collection keeps alive stay. CPython
# clears none of them before __del__ (the objects are alive until freed).
import gc
import weakref


class Plain:
    pass


class Holder:
    def __init__(self, name, nxt):
        self.name = name
        self.nxt = nxt
        self.kept = Plain()

    def __del__(self):
        print("del", self.name, "dead:", dead())


def dead():
    h = holders
    k = kept
    return (h[0]() is None, h[1]() is None, h[2]() is None,
            k[0]() is None, k[1]() is None, k[2]() is None)


c = Holder("c", None)
b = Holder("b", c)
a = Holder("a", b)
holders = [weakref.ref(a), weakref.ref(b), weakref.ref(c)]
kept = [weakref.ref(a.kept), weakref.ref(b.kept), weakref.ref(c.kept)]
del a, b, c
gc.collect()
print("after 1:", dead())
gc.collect()
print("after 2:", dead())
gc.collect()
print("after 3:", dead())
gc.collect()
print("after 4:", dead())
