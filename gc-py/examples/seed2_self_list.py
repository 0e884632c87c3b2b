# Seed 2: a list that contains itself, made in a loop, then collected.
import gc

gc.collect()
for i in range(10):
    l = []
    l.append(l)
del l
print("collected:", gc.collect())
print("again:", gc.collect())
