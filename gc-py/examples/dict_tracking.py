# Dicts are tracked as CPython tracks them: untracked while they hold only
# atoms (and untracked tuples), tracked from the first container stored,
# untracked again by a full collection once they hold none.
import gc
print(gc.is_tracked({}), gc.is_tracked({1: 2}), gc.is_tracked({1: []}), gc.is_tracked([]))
d = {}
d["x"] = 1
print(gc.is_tracked(d))
d["y"] = []
print(gc.is_tracked(d))
del d["y"]
print(gc.is_tracked(d))
gc.collect(1)
print(gc.is_tracked(d))
gc.collect()
print(gc.is_tracked(d))
d["z"] = {}
print(gc.is_tracked(d))
e = {"a": "s", "b": None, "c": True}
print(gc.is_tracked(e))
class A:
    pass
a = A()
a.d = {"k": 1}
print(gc.is_tracked(a), gc.is_tracked(a.d))
big = {}
i = 0
while i < 100:
    big[i] = i
    i += 1
print(gc.is_tracked(big), len(big))
big[5] = [big]
print(gc.is_tracked(big))
big[5] = 0
gc.collect()
print(gc.is_tracked(big))
