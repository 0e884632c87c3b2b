# A __del__ that drops the last reference to another object runs that
# object's __del__ inside it (nested), as CPython does; and what an object
# held when its __del__ ran is finalized when it is freed, before the next
# object of the same container. PyPy runs finalizers one after another.
import gc


class Inner:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print("  inner del", self.name)


class Outer:
    def __init__(self, name):
        self.name = name
        self.inner = Inner(name)

    def __del__(self):
        print("outer del start", self.name)
        self.inner = None
        print("outer del end", self.name)


class Holder:
    def __init__(self, name):
        self.name = name
        self.inner = Inner(name)

    def __del__(self):
        print("holder del", self.name)


class Chain:
    def __init__(self, name, nxt):
        self.name = name
        self.nxt = nxt

    def __del__(self):
        print("chain start", self.name)
        self.nxt = None
        print("chain end", self.name)


def settle():
    # On PyPy, what a finalizer drops waits for the next collection.
    gc.collect()
    gc.collect()
    gc.collect()
    gc.collect()


o = Outer("o")
del o
settle()
print("after o")

l = [Outer("a"), Outer("b")]
l = None
settle()
print("after a list of outers")

l = [Holder("h1"), Holder("h2")]
l = None
settle()
print("after a list of holders")

c = Outer("c")
c.me = c
del c
settle()
print("after a cycle")

x = Chain("x", Chain("y", Chain("z", None)))
x = None
settle()
print("end")
