# The exit's first collection runs only while the collector is enabled:
# after gc.disable(), garbage made earlier is finalized by the last
# collection, together with (and after) what the globals hold. PyPy runs
# no finalizer at exit.
import gc


class Node:
    def __init__(self, name):
        self.name = name
        self.me = self

    def __del__(self):
        print("del", self.name)


gc.collect()
gc.disable()
held = Node("held by a global")
Node("garbage, made while disabled")
print("end of program")
