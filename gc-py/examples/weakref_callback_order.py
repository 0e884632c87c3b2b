# From a differential trial: a weakref callback runs even when an earlier
# callback dropped its weakref object (the runtime holds every one it is
# about to call back), and one object's callbacks run newest first.
import gc
import weakref


class Thing:
    pass


class Holder:
    pass


def first(r):
    print("first")
    h.a = None


def second(r):
    print("second", r() is None)


h = Holder()
t = Thing()
h.a = weakref.ref(t, second)
h.b = weakref.ref(t, first)
del t
print("--- in a collection")
t = Thing()
t.me = t
h.a = weakref.ref(t, second)
h.b = weakref.ref(t, first)
del t
gc.collect()


def cb1(r):
    print("cb1")


def cb2(r):
    print("cb2")


def cb3(r):
    print("cb3")


t = Thing()
t.me = t
w1 = weakref.ref(t, cb1)
w2 = weakref.ref(t, cb2)
w3 = weakref.ref(t, cb3)
del t
gc.collect()
