# Containers that grow past the room they were made with stay one object,
# as in CPython: a list, a dict and an instance, each grown, each in a
# cycle with itself, are three objects for gc.collect().
import gc


class Bag:
    def __init__(self):
        self.first = 1

    def fill(self):
        self.second = 2
        self.third = 3
        self.fourth = 4
        self.fifth = 5
        self.sixth = 6
        self.me = self


gc.collect()
items = []
for i in range(100):
    items.append(i)
items.append(items)
table = {}
for i in range(50):
    table[i] = i * i
table["self"] = table
bag = Bag()
bag.fill()
print(len(items), len(table), bag.sixth)
del items, table, bag
print("collected:", gc.collect())
