# gc.collect(generation): CPython collects that generation (0, 1 or 2) and
# refuses any other number; PyPy ignores the number and always runs a
# full collection.
import gc


class Node:
    def __init__(self, name):
        self.name = name
        self.me = self

    def __del__(self):
        print("del", self.name)


gc.collect()
old = Node("old")
gc.collect()
gc.collect()
del old
print("collect(0) done")
gc.collect(0)
print("collect(2) done")
gc.collect(2)
young = Node("young")
del young
gc.collect(1)
print("collect(1) done")
gc.collect(3)
print("not reached on CPython")
