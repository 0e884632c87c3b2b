# __del__ runs at the moment the last reference goes, inside the statement,
# as in CPython: between two prints of one function, before a print whose
# argument dropped it, and down a chain, in order.


class Noisy:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print(f"del {self.name}")


def make(name):
    return Noisy(name)


def f():
    print("f: start")
    n = Noisy("local")
    n = None
    print("f: after rebinding")
    items = [Noisy("a"), Noisy("b")]
    print("f: clearing", items.clear(), "cleared")
    print("before", make("temp") is None, "after")
    d = {"k": Noisy("in dict")}
    print("pop:", d.pop("k") is None, "popped")
    last = Noisy("last local")
    print("f: end")


f()
print("f returned")


class Link:
    def __init__(self, name, nxt):
        self.name = name
        self.nxt = nxt

    def __del__(self):
        print(f"del link {self.name}")


head = Link("1", Link("2", Link("3", None)))
print("dropping the chain")
head = None
print("chain gone")

holder = [Noisy("x"), Noisy("y")]
print("popped", holder.pop().name, "then", len(holder), "left")
holder[0] = Noisy("z")
print("replaced")
del holder
print("end")

# A weak reference's callback runs right after the __del__ of its referent.
import weakref


def callback(w):
    print("callback")


items = [Noisy("weakly held")]
w = weakref.ref(items[0], callback)
print("clearing", items.clear(), "cleared")
print("done")
