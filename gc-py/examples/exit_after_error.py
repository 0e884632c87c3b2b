# An uncaught exception ends the program, but not before the exit's
# finalization: CPython prints the traceback, then finalizes what the
# traceback's frames held, then the globals. PyPy runs no finalizer at exit.


class Node:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print("del", self.name)


def inner():
    local = Node("inner's local")
    items = [Node("in a list")]
    return items[1]


def outer():
    mine = Node("outer's local")
    return inner()


held = Node("a global")
print("before")
outer()
print("never printed")
