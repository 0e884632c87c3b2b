# Sequences repeated and ordered, and names a class body reads from itself.
import gc


class Item:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print("  __del__", self.name)


# `[x] * n` holds the same object n times: one object, n references.
row = [Item("shared")] * 3
print("same object:", row[0] is row[2], len(row))
del row
print("row deleted")

# `l *= n` extends the list itself; `l *= 0` empties it, dropping the
# items last first (CPython's _list_clear).
items = [Item("a"), Item("b")]
alias = items
items *= 2
print("in place:", alias is items, len(items))
items *= 0
gc.collect()
print("emptied:", items, alias is items)

# A tuple repeated once is the tuple itself.
t = (1, 2)
print("t * 1 is t:", t * 1 is t, t * 2, 2 * t, t * 0)

# Lists and tuples are ordered by their first differing items, then by
# length; a bool is an int.
print([1, 2] < [1, 3], [1, 2] < [1, 2, 0], (2,) > (1, 9), [[1]] <= [[1]])
print([10, 20][True], (5, 6)[False], True + True)


# A class body reads the names it bound, before globals.
def describe(self):
    return "a " + self.kind


class Node:
    kind = "node"
    label = kind + "!"
    describe = describe


print(Node.label, Node().describe())
print(str, list, dict, range, list.__name__)
