# What a __del__ that runs at exit reads: the main module's globals. CPython
# finalizes the objects the globals hold inside its last collection, where
# the module's dict is garbage too but still intact, so every global
# (constant, list, function, module) is still there; the refcount strategy
# unbinds the globals one at a time, first bound first, and a __del__ sees
# those not yet unbound; PyPy runs no finalizer at exit.


class Node:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        seen.append(self.name)
        print("del", self.name, "limit", LIMIT, "seen", seen, tag(self.name), gc.isenabled())


a = Node("a")
b = Node("b")
a.peer = b
c = Node("c")
c.me = c
import gc

LIMIT = 3
seen = []


def tag(name):
    return "<" + name + ">"


print("end")
