# A weak reference without a callback is the referent's basic one: asked
# for again while it lives, the same object comes back (no new allocation
# either). One with a callback is always new.
import gc
import weakref


class A:
    pass


def gone(r):
    print("callback: the referent is gone")


a = A()
r1 = weakref.ref(a)
r2 = weakref.ref(a)
print("same basic ref:", r1 is r2)
r3 = weakref.ref(a, gone)
r4 = weakref.ref(a)
print("with a callback, new:", r3 is r1, "basic again:", r4 is r1)
del r1, r2, r4
# The basic ref died with its last name: a new one is made.
r5 = weakref.ref(a)
r6 = weakref.ref(a, None)
print("None is no callback:", r6 is r5, r5() is a)
del a
gc.collect()
print("after the referent:", r5(), r6())
