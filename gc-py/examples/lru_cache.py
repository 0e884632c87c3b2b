# An LRU cache of parsed records with a weak-reference registry beside it:
# the cache holds the most recently used records strongly, the registry
# weakly, so a record evicted from the cache can still be found while
# something else keeps it alive. Records refer to their parent record and
# the parent to its children (cycles: under pure reference counting they
# never die, so more of them are found again). The cache itself is a dict
# plus a use-order dict. A collection runs before every lookup, so that
# what the registry finds does not depend on when the collector would have
# run on its own (on PyPy, minor collections clear weak references at
# moments no other implementation shares).
import gc
import weakref


class Record:
    def __init__(self, key, parent):
        self.key = key
        self.parent = parent
        self.payload = f"record-{key}"
        self.children = []
        if parent is not None:
            parent.children.append(self)


class LRUCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.data = {}
        self.last_use = {}
        self.clock = 0
        self.evictions = 0

    def get(self, key):
        if key in self.data:
            self.clock += 1
            self.last_use[key] = self.clock
            return self.data[key]
        return None

    def put(self, key, record):
        if len(self.data) >= self.capacity:
            oldest = None
            for k in self.last_use:
                if oldest is None or self.last_use[k] < self.last_use[oldest]:
                    oldest = k
            del self.data[oldest]
            del self.last_use[oldest]
            self.evictions += 1
        self.clock += 1
        self.data[key] = record
        self.last_use[key] = self.clock


def rand(n):
    state = (rand_state[0] * 1103515245 + 12345) % 2147483648
    rand_state[0] = state
    return state // 65536 % n


rand_state = [2024]
cache = LRUCache(8)
registry = {}
hits = 0
weak_hits = 0
misses = 0
roots = []
for step in range(600):
    gc.collect()
    key = rand(40)
    record = cache.get(key)
    if record is not None:
        hits += 1
    else:
        ref = registry.get(key)
        found = None
        if ref is not None:
            found = ref()
        if found is not None:
            weak_hits += 1
            cache.put(key, found)
        else:
            misses += 1
            parent = None
            if key >= 10:
                parent = cache.get(key // 4)
            record = Record(key, parent)
            cache.put(key, record)
            registry[key] = weakref.ref(record)
            if key < 4:
                roots.append(record)
        del found, ref
    del record
alive = 0
for key in registry:
    if registry[key]() is not None:
        alive += 1
print("hits:", hits, "weak hits:", weak_hits, "misses:", misses)
print("evictions:", cache.evictions, "cached:", len(cache.data))
print("records still reachable through the registry:", alive)
print("long-lived roots:", len(roots))
