# From a differential trial: a list's or dict's repr reads it as it is at
# each item (an item's __repr__ may change it), and an item the list drops
# during its own repr is freed before the print (CPython's list_repr
# borrows it).


class Clears:
    def __repr__(self):
        items.clear()
        return "Clears"


class Grows:
    def __repr__(self):
        more.append(3)
        return "Grows"


class Leaves:
    def __del__(self):
        print("del Leaves")

    def __repr__(self):
        gone.pop(0)
        return "Leaves"


items = [Clears(), Clears(), 1]
print(items)
more = [Grows(), 1]
print(more)
gone = [Leaves(), 2]
print(gone)


class Empties:
    def __repr__(self):
        table.clear()
        return "Empties"


table = {1: Empties(), 2: 3}
print(table)
print("end")
