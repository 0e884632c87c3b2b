# When a weak reference stops reading its referent, around __del__. CPython:
# an object freed at count zero runs __del__ with its weakrefs still
# alive (they are cleared after it); a collection clears them before any
# __del__ runs. PyPy: the weakrefs of every object a collection found
# dead are cleared before the first __del__ runs, and stay cleared if
# __del__ resurrects the object; their callbacks run once it is freed.
import gc
import weakref

saved = []
refs = {}


class Phoenix:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        if self.name == "a":
            print("del a - weakrefs read None:", refs["a"]() is None, refs["b"]() is None)
        saved.append(self)


def callback(ref):
    print("callback")


gc.collect()
a = Phoenix("a")
refs["a"] = weakref.ref(a)
b = Phoenix("b")
b.me = b
refs["b"] = weakref.ref(b, callback)
del a
del b
gc.collect()
print("resurrected:", len(saved), "- weakrefs read None:", refs["a"]() is None, refs["b"]() is None)
saved.clear()
gc.collect()
print("end")
