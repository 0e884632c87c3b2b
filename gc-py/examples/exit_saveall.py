# Objects DEBUG_SAVEALL put in gc.garbage keep the main module's globals
# alive at exit (an instance's class holds its methods, which hold the
# globals), so CPython never finalizes what only the globals hold; only
# the garbage of the exit's first collection is finalized (and saved).
# PyPy runs no finalizer at exit.
import gc


class Node:
    def __init__(self, name):
        self.name = name
        self.me = self

    def __del__(self):
        print("del", self.name)


gc.set_debug(gc.DEBUG_SAVEALL)
held = Node("held by a global")
Node("garbage")
print("end of program")
