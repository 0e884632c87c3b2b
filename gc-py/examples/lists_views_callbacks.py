# From a differential trial: gc.garbage compares as the list it is, a
# tuple of built-in types works in isinstance, dict keys and items views
# compare as sets, an empty dict's pop hashes nothing, and every
# gc.callbacks function of one phase gets the same info dict.
import gc

print(gc.garbage == [], [] == gc.garbage, isinstance(gc.garbage, list))
print(isinstance("s", (str, list)), isinstance({}, (list, str)), isinstance([], (dict, list)))

d = {"a": 1, "b": 2}
e = {"b": 2, "a": 1}
print(d.keys() == e.keys(), d.items() == e.items(), d.items() == {"a": 1, "b": 3}.items())
print({"a": 0}.keys() < d.keys(), d.keys() < d.keys(), d.keys() >= {"b": 5}.keys())
print(d.values() == d.values(), d.keys() == ["a", "b"], {}.keys() == {}.values())
print({}.pop([1], "default"))


def first(phase, info):
    if phase == "stop":
        info["collected"] = 99


def second(phase, info):
    if phase == "stop":
        print("second reads", info["collected"])


class Node:
    pass


gc.callbacks.append(first)
gc.callbacks.append(second)
n = Node()
n.me = n
del n
print("collected", gc.collect())
gc.callbacks.clear()
