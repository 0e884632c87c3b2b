# gc.is_tracked(()) is False: CPython's empty tuple is a static singleton,
# never tracked; a tuple made with items is tracked from the start.
import gc
print(gc.is_tracked(()))
t = ()
print(gc.is_tracked(t), len(t))
x = 1
print(gc.is_tracked((x, 2)), gc.is_tracked(([],)))
