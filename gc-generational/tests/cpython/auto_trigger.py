# Shows exactly when automatic collections happen (CPython 3.11.7).
# usage: python3 auto_trigger.py [NALLOC] [t0,t1,t2]
import gc, sys
NALLOC = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
TH = tuple(int(x) for x in sys.argv[2].split(',')) if len(sys.argv) > 2 else (700, 10, 10)

class N:
    __slots__ = ('a', 'b')

log = [0] * 100000         # preallocated; only ints are stored (ints are not GC objects)
pos = [0]
idx = [0]
keep = [None] * NALLOC
rng = range(NALLOC)

def cb(phase, info):
    p = pos[0]
    log[p] = idx[0] * 1000 + info['generation'] * 10 + (phase == 'stop')
    log[p + 1] = info['collected']
    pos[0] = p + 2

gc.set_threshold(*TH)
gc.collect(); gc.freeze(); gc.collect()
# No GC allocation from here to the loop: count == (0, 0, 0) now.
# (gc.get_count() is NOT called here because its result tuple is itself a GC allocation.)
gc.callbacks.append(cb)
for i in rng:
    idx[0] = i
    keep[i] = N()
gc.callbacks.remove(cb)
final = gc.get_count()
print("thresholds", TH, "count after loop", final)
for k in range(0, pos[0], 2):
    v = log[k]
    i, rest = divmod(v, 1000)
    gen, stop = divmod(rest, 10)
    print(f"{'stop ' if stop else 'start'} gen={gen} at allocation #{i+1} (1-based) collected={log[k+1]}")
