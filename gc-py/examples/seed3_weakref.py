# Seed 3: a weak reference returns its referent while it lives, then None.
import gc
import weakref


class Node:
    def __init__(self, name):
        self.name = name


n = Node('n')
r = weakref.ref(n)
print("alive:", r() is n, r().name)
del n
print("after del:", r() is None)
gc.collect()
print("after collect:", r() is None)
