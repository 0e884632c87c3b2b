# The order in which PyPy runs the finalizers one gc.collect() finds
# (marksweep): in the order they were made at a program's first
# gc.collect(); from the second on, all but the first run inside the first
# one's __del__, before its first line (PyPy's UserDelAction, fired by the
# collection, is performed there), so a list [a, b, c] prints b, c, a. The
# first one's weak references are cleared before the others run. A chain
# is finalized one object per collection, head first. CPython (and the
# refcount strategy) finalize a list's items as it drops them, last first.
import gc
import weakref


class N:
    def __init__(self, name, nxt):
        self.name = name
        self.nxt = nxt

    def __del__(self):
        print("del", self.name, "first's weakref dead:", wr() is None)


def settle(tag):
    gc.collect()
    print(tag)
    gc.collect()
    gc.collect()
    gc.collect()


l = [N("a", None), N("b", None), N("c", None)]
wr = weakref.ref(l[0])
l = None
settle("first collection")

l = [N("a", None), N("b", None), N("c", None)]
wr = weakref.ref(l[0])
l = None
settle("second collection")

x = N("x", None)
wr = weakref.ref(x)
gc.collect()
l = [N("a", None), N("b", None)]
l = None
x = None
settle("an older object first")

c = N("c", None)
b = N("b", c)
a = N("a", b)
wr = weakref.ref(a)
del a, b, c
settle("a chain a -> b -> c")
