# gc.callbacks around a collection that a __del__ starts: at count zero the
# callbacks run around it; inside a collection (a cycle's __del__), CPython
# starts no second one, so gc.collect() returns 0 and calls nothing.
import gc


def cb(phase, info):
    print("callback", phase, info["generation"], info["collected"])


gc.callbacks.append(cb)


class Plain:
    def __del__(self):
        print("del Plain: collected", gc.collect())


class Cyclic:
    def __init__(self):
        self.me = self

    def __del__(self):
        print("del Cyclic: collected", gc.collect())


p = Plain()
del p
print("--")
c = Cyclic()
del c
print("collected", gc.collect())
gc.callbacks.clear()
