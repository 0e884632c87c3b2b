# The gc module's answers: thresholds, counts, tracking, freezing,
# DEBUG_SAVEALL and gc.garbage, enable/disable, and a weakref callback.
import gc
import weakref

gc.collect()
print("enabled:", gc.isenabled())
gc.disable()
print("enabled after disable:", gc.isenabled())
print("threshold:", gc.get_threshold())
gc.set_threshold(500, 5, 5)
print("threshold after set:", gc.get_threshold())
gc.set_threshold(700, 10, 10)
before = gc.get_count()[0]
a = []
b = [a]
c = {"a": a}
after = gc.get_count()[0]
print("containers counted:", after - before)
print("tracked:", gc.is_tracked(a), gc.is_tracked(c), gc.is_tracked(1), gc.is_tracked("s"))
del a, b, c


class Thing:
    def __init__(self, name):
        self.name = name
        self.me = self


gc.set_debug(gc.DEBUG_SAVEALL)
x = Thing("x")
del x
print("collected with SAVEALL:", gc.collect())
print("garbage:", len(gc.garbage))
gc.garbage.clear()
gc.set_debug(0)
print("garbage after clear:", len(gc.garbage))
print("collected after clear:", gc.collect())

y = Thing("y")
gc.freeze()
print("frozen:", gc.get_freeze_count() > 0)
del y
print("collected while frozen:", gc.collect())
gc.unfreeze()
print("collected after unfreeze:", gc.collect())


def gone(ref):
    print("callback: referent gone, ref() is", ref())


z = Thing("z")
r = weakref.ref(z, gone)
print("ref alive:", r() is z)
del z
print("collected:", gc.collect())
print("ref dead:", r() is None)
gc.enable()
print("enabled again:", gc.isenabled())
