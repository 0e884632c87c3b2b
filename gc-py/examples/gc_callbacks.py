# gc.callbacks: called with "start" and "stop" around every collection,
# with the generation and the counts; gc.garbage holds the objects
# DEBUG_SAVEALL kept, indexable and iterable.
import gc

log = []


def cb(phase, info):
    log.append(phase)
    if phase == "stop":
        print(phase, info["generation"], info["collected"], info["uncollectable"])
    else:
        print(phase, info["generation"], info)


gc.disable()
gc.collect()
gc.callbacks.append(cb)
print("callbacks:", len(gc.callbacks))


class Node:
    def __init__(self, name):
        self.name = name
        self.other = None

    def __del__(self):
        print("del", self.name)


a = Node("a")
b = Node("b")
a.other = b
b.other = a
del a, b
print("collected:", gc.collect())
print("phases:", log)

gc.set_debug(gc.DEBUG_SAVEALL)
l = [1, 2]
l.append(l)
n = Node("kept")
n.other = n
del l, n
print("collected:", gc.collect(1))
print("garbage:", len(gc.garbage))
for x in gc.garbage:
    if isinstance(x, Node):
        print("garbage node", x.name)
    else:
        print("garbage list of", len(x))
if len(gc.garbage) > 0:
    print(gc.garbage[0] is gc.garbage[0])
gc.set_debug(0)
gc.garbage.clear()
print("garbage after clear:", gc.garbage)


def bad(phase, info):
    if phase == "stop":
        n = info["nope"]


gc.callbacks.append(bad)
print("collected:", gc.collect())
gc.callbacks.clear()
print("collected:", gc.collect())
