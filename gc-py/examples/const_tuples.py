# Constant tuples: a tuple display of constants is one object, made before
# the program runs (CPython merges equal ones across the module, PyPy
# within one function), never garbage, untracked by the first collection.
import gc
import sys


def origin():
    return (0, 0)


def also_origin():
    return (0, 0)


def nested():
    return ((0, 0), "a", -1, not 0, None)


class Grid:
    corner = (0, 0)

    def start(self):
        return (0, 0)


p = (0, 0)
q = (0, 0)
print("same display twice:", origin() is origin())
print("module, twice:", p is q)
print("two functions:", origin() is also_origin())
print("module and function:", p is origin())
print("inside a constant:", nested()[0] is p)
print("class body and method:", Grid.corner is Grid().start())
e, f = (), ()
print("empty:", e is f)
x, y = (1, True), (1, 1)
print("(1, True) and (1, 1):", x is y)
print("equal:", nested() == ((0, 0), "a", -1, True, None))
n = 3
print("not constant:", (n, 0) is (n, 0))


class Node:
    def __init__(self):
        self.me = self
        self.where = (0, 0)
        self.made = (n, n)


gc.collect()
Node()
# The node, its dict and the tuple of names; the constant is not garbage.
print("collected:", gc.collect())
print("tracked after a collection:", gc.is_tracked(p))
print("a made tuple of ints, tracked when made:", gc.is_tracked((n, n)))
