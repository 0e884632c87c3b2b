# Demonstrates the long_lived_pending < long_lived_total/4 gate (CPython 3.11.7).
import gc
class N:
    __slots__ = ('a', 'b')
K = 1000
base = [N() for _ in range(K)]      # become long-lived
log = [0] * 100000; pos = [0]; idx = [0]
import sys
NALLOC = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
keep = [None] * NALLOC; rng = range(NALLOC)
def cb(phase, info):
    if phase == 'start':
        p = pos[0]; log[p] = idx[0] * 10 + info['generation']; pos[0] = p + 1
gc.freeze()                 # everything so far (incl. base) -> permanent generation
gc.unfreeze()               # ... and back into generation 2
gc.set_threshold(10, 2, 2)
gc.collect()                # full collection: long_lived_total = len(gen2) ~ K + small, pending = 0
n2 = len(gc.get_objects(2)); del_dummy = None
gc.collect()                # reset counts again (get_objects list was a GC alloc)
gc.callbacks.append(cb)
for i in rng:
    idx[0] = i
    keep[i] = N()
gc.callbacks.remove(cb)
print("gen2 size at start ~", n2)
print(" ".join(f"g{log[k]%10}@{log[k]//10+1}" for k in range(pos[0])))
