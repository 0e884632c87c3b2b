# Dicts large enough to be searched through a hash index: lookups, updates,
# deletions, clear and refill, keys of every hashable kind.
d = {}
for i in range(2000):
    d[i] = i * i
t = 0
for i in range(2000):
    t += d[i]
print(t, len(d), d.get(2000), 1999 in d, -1 in d)

# True and 1 are one key, as are False and 0.
d[True] = "one"
print(d[1], d[True], len(d))

# Deleting moves the later entries down; the index follows.
for i in range(0, 2000, 3):
    del d[i]
print(len(d), 3 in d, 4 in d, d[5], d.get(6))

# A deletion then an insertion leaves the count as it was.
e = {}
for i in range(10):
    e["k" + str(i)] = i
del e["k3"]
e["k10"] = 10
print(len(e), e["k9"], e["k10"], "k3" in e, list(e)[-1])

# Updating a key keeps its place.
e["k0"] = 100
print(list(e)[0], e["k0"])

# Tuples, strings, None and instances (by identity) as keys.
class P:
    pass
p, q = P(), P()
m = {}
for i in range(20):
    m[(i, str(i))] = i
m[None] = "none"
m[p] = "p"
print(m[(7, "7")], (7, "8") in m, m[None], m[p], q in m, len(m))

# Cleared and filled again with other keys.
m.clear()
for i in range(12):
    m["x" + str(i)] = i
print(len(m), m["x11"], (7, "7") in m, p in m)
