# A `__del__` that is not a function (`__del__ = 5`) is still called, as
# CPython's `slot_tp_finalize` calls whatever the class holds: the
# TypeError is printed on stderr ("Exception ignored in: 5", no object
# named for `None`; CPython adds the frame that was running, PyPy does
# not) and the program goes on.
import gc


class A:
    __del__ = 5


class B:
    __del__ = None


class C:
    __del__ = "x"


def f():
    c = C()
    return 1


a = A()
del a
gc.collect()
print("after A")
b = B()
del b
gc.collect()
print("after B")
f()
gc.collect()
print("after C")
