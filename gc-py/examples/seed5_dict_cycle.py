# Seed 5: two dicts referring to each other, collected.
import gc

gc.collect()
a = {}
b = {}
a["b"] = b
b["a"] = a
del a, b
print("collected:", gc.collect())
print("again:", gc.collect())
