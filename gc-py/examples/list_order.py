# A list drops its items last first (CPython's list_dealloc), and a
# collection that breaks a cycle through a list clears it last first too.
import gc

class N:
    def __init__(self, name):
        self.name = name
    def __del__(self):
        print("del", self.name)

l = [N("a"), N("b"), N("c")]
print("drop the list")
del l

class Holder:
    pass

h = Holder()
h.items = [N("x"), N("y"), N("z")]
h.items.append(h)
print("drop the cycle")
del h
print("collect")
gc.collect()

m = [[N("inner0")], [N("inner1")]]
print("drop nested lists")
del m
print("end")
