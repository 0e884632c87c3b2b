# gc.callbacks at exit: CPython's finalization runs one collection that
# calls them. The last one, which finalizes the globals, calls none, and
# here finalizes nothing: `cb`, which gc.callbacks keeps, holds the main
# module's globals through its __globals__, so `a` is never garbage.
import gc


def cb(phase, info):
    print("callback", phase, info["generation"])


class Node:
    def __init__(self, name):
        self.name = name
        self.me = self

    def __del__(self):
        print("del", self.name)


gc.callbacks.append(cb)
a = Node("held by a global")
Node("garbage")
print("end of program")
