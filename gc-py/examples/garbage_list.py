# gc.garbage is a list the program may use as any other: append, index,
# iterate, clear. On generational it is the collector's own (DEBUG_SAVEALL
# appends to it, after the program's entries), and an entry keeps its
# object alive.
import gc

gc.garbage.append(1)
gc.garbage.append("s")
x = [1, 2]
gc.garbage.append(x)
print(gc.garbage, len(gc.garbage))
print(gc.garbage[2] is x)
for g in gc.garbage:
    print(g)
gc.garbage.clear()
print(gc.garbage)


class N:
    def __init__(self, name):
        self.name = name
        self.me = self

    def __del__(self):
        print("del", self.name)


gc.garbage.append(N("kept"))
N("collected")
gc.collect()
print(len(gc.garbage), gc.garbage[0].name)
