# From a differential trial: with the collector disabled and a function in
# gc.callbacks (which holds the globals), the exit's last collection still
# runs and finalizes the garbage the globals do not hold; the object a
# global holds is never finalized (CPython keeps the module's dict alive).
import gc


class Resource:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print("del", self.name)


def watch(phase, info):
    pass


gc.callbacks.append(watch)
gc.disable()
r = Resource("cycle")
r.me = r
del r
kept = Resource("global")
print("end")
