# Seed 4: sys.getrefcount counts the variable and the argument.
import sys

x = []
print(sys.getrefcount(x))
y = x
print(sys.getrefcount(x))
del y
print(sys.getrefcount(x))
