# `list += iterable` extends the list in place (list.__iadd__): every name,
# attribute and dict entry that refers to it sees the new items, and no
# new list is made.


class Box:
    pass


a = [1, 2]
b = a
a += [3]
b += (4, 5)
a += "xy"
print(a is b, a, b)
a += a
print(len(a), a[0], a[-1])

box = Box()
box.items = []
alias = box.items
box.items += [1]
print(alias, box.items is alias)

d = {"l": []}
entry = d["l"]
d["l"] += [7]
print(entry, d["l"] is entry)

s = "ab"
t = s
s += "c"
print(s, t)
