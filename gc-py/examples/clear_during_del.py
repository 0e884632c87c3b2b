# A finalizer that runs while a list or a dict is being cleared finds it
# empty already, and what it stores there stays: CPython empties the
# container first, then drops what it held.
import gc


class AddsToList:
    def __init__(self, name, into):
        self.name = name
        self.into = into

    def __del__(self):
        self.into.append(self.name)


class AddsToDict:
    def __init__(self, name, into):
        self.name = name
        self.into = into

    def __del__(self):
        self.into[self.name] = len(self.into)


items = [1, 2]
items.append(AddsToList("item", items))
items.append(3)
items.clear()
gc.collect()
print("list:", items, len(items))

d = {}
for i in range(10):
    d[i] = i
d["x"] = AddsToDict("entry", d)
d[10] = 10
d.clear()
gc.collect()
print("dict:", d, len(d), 3 in d, "entry" in d)
d[3] = 3
print("dict:", d, len(d))
