# A weak reference object is a container CPython's collector tracks:
# gc.collect() counts the ones that die in a garbage cycle, DEBUG_SAVEALL
# saves them in gc.garbage, gc.is_tracked() says True, and one that is in
# the same garbage as its referent calls nothing back, even when a
# __del__ of that garbage runs first (it sees the weakref cleared).
import gc
import weakref


class Node:
    pass


class D:
    def __del__(self):
        print("D del, weakref dead:", self.w() is None)


def callback(ref):
    print("callback, referent gone:", ref() is None)


gc.collect()
a = Node()
a.me = a
a.ref = weakref.ref(a, callback)
del a
print("a cycle holding its own weakref:", gc.collect())

b = Node()
b.me = b
holder = [weakref.ref(b, callback)]
holder.append(holder)
del b, holder
print("a weakref held by another garbage cycle:", gc.collect())

t = Node()
d = D()
d.t = t
d.w = weakref.ref(t, callback)
d.me = d
t.d = d
del t, d
print("a cycle with a __del__ and a weakref:", gc.collect())

k = Node()
k.me = k
w = weakref.ref(k, callback)
del k
print("a reachable weakref's referent:", gc.collect(), w() is None)
print("tracked:", gc.is_tracked(w))

gc.set_debug(gc.DEBUG_SAVEALL)
c = Node()
c.me = c
c.ref = weakref.ref(c)
del c
print("saved:", gc.collect(), len(gc.garbage))
gc.set_debug(0)
gc.garbage.clear()
