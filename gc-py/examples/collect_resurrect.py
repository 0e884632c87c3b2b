# gc.collect() runs __del__ inside the collection and counts what is still
# unreachable afterwards, as CPython (3.9+) does: resurrected objects are
# not counted, and a finalizer runs once.
import gc

saved = []


class R:
    def __init__(self, name, keep):
        self.name = name
        self.keep = keep
        self.other = None

    def __del__(self):
        print(f"del {self.name}")
        if self.keep:
            saved.append(self)


gc.disable()
a = R("a", False)
b = R("b", True)
a.other = b
b.other = a
c = R("c", False)
c.other = c
del a, b, c
print("collected", gc.collect())
for x in saved:
    print("saved", x.name, "with", x.other.name)
x = None
saved.clear()
print("collected again", gc.collect())

l = []
l.append(l)
e = R("e", False)
e.other = l
l.append(e)
del l, e
print("collected", gc.collect())
gc.enable()
print("done")
