# gc.set_threshold takes negative values, as CPython's C ints do (it used
# to be a ValueError here): a negative threshold is always passed, so with
# threshold 0 below zero every container allocation runs a collection
# first. Threshold 0 itself still turns automatic collection off.
import gc

log = []


class Node:
    def __init__(self, name):
        self.name = name
        self.me = self

    def __del__(self):
        log.append(self.name)


gc.collect()
gc.set_threshold(-1)
a = Node("a")
del a
log.append("a dropped")
x = [1]
log.append("a list made")
gc.set_threshold(0, -5, 3)
b = Node("b")
del b
y = [2]
log.append("another list made")
gc.set_threshold(700, 10, 10)
print(log)
print(gc.get_threshold())
gc.set_threshold(-2, -3, -4)
print(gc.get_threshold())
gc.set_threshold(700, 10, 10)
gc.collect()
print(log)
