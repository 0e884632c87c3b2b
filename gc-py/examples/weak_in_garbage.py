# A weak reference that is garbage itself, found dead by the same
# collection as its referent, calls nothing back (CPython skips the
# weakrefs in the garbage; PyPy never calls back a dead weakref); one that
# is still reachable is called back.
import gc
import weakref


class Node:
    pass


def callback(ref):
    print("callback, referent gone:", ref() is None)


a = Node()
a.me = a
a.ref = weakref.ref(a, callback)
del a
gc.collect()
print("a cycle holding its own weakref: collected")

b = Node()
b.me = b
holder = [weakref.ref(b, callback)]
holder.append(holder)
del b, holder
gc.collect()
print("a weakref held by another garbage cycle: collected")

c = Node()
c.me = c
kept = weakref.ref(c, callback)
del c
gc.collect()
print("a reachable weakref: dead", kept() is None)
