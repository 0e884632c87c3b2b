# Seed 1: two instances referring to each other, each with __del__.
import gc


class Node:
    def __init__(self, name):
        self.name = name
        self.other = None

    def __repr__(self):
        return f"Node({self.name!r})"

    def __del__(self):
        print(f"{self!r} deleted")


a = Node('A')
b = Node('B')
a.other = b
b.other = a
del a, b
print("collecting")
print("collected:", gc.collect())
print("again:", gc.collect())
print("done")
