# The subset itself, printed: what CPython prints is what gc-py must print.


class Shape:
    kind = "shape"

    def __init__(self, name):
        self.name = name

    def area(self):
        return 0

    def describe(self):
        return f"{self.kind} {self.name!r} with area {self.area()}"


class Rect(Shape):
    kind = "rect"

    def __init__(self, name, w, h):
        Shape.__init__(self, name)
        self.w = w
        self.h = h

    def area(self):
        return self.w * self.h


class Square(Rect):
    def __init__(self, name, side):
        Rect.__init__(self, name, side, side)

    def __repr__(self):
        return f"Square({self.name!r}, {self.w})"


shapes = [Shape("blob"), Rect("r", 3, 4), Square("s", 5)]
for s in shapes:
    print(s.describe())
print(shapes[2], [shapes[2]], (shapes[2],))
print(isinstance(shapes[2], Rect), isinstance(shapes[1], Square), isinstance(shapes[0], Shape))
print(Square.kind, Rect.kind, shapes[2].kind)

# ints
print(7 // 2, -7 // 2, 7 // -2, -7 // -2, 7 % 3, -7 % 3, 7 % -3, -7 % -3)
print(2 * 3 + 4 - 1, -(3 - 10), +5, abs(-12), min(4, 2, 9), max([3, 8, 1]))
x = 10
x += 5
x -= 3
x *= 2
x //= 5
x %= 3
print(x)
print(1 < 2 < 3, 1 < 3 < 2, 3 >= 3, 2 != 2, not 0, not "")
print(True + True, True == 1, None is None, 1 if 0 else 2)
print(0 or "default", "" and "x", 5 and 6, None or 0)

# strings
s = "it's"
print(s, repr(s), repr('say "hi"'), repr("tab\there\nnewline\\"), len("héllo"))
print("a" + "b" * 3, "ab" < "b", "ell" in "hello", "z" not in "hello")
print(str(42), str(None), repr(None), str(True), f"{1}{'x'}{[1, 'y']!r}{None}")
for ch in "abc":
    print(ch, end="-")
print()
print("x", "y", "z", sep=", ", end="!\n")

# lists
l = [3, 1, 2]
l.append(9)
print(l, len(l), l[0], l[-1], l.pop(), l.pop(0), l)
l[1] = "two"
print(l)
del l[0]
print(l, l + [4, 5], [1, [2, [3, []]]], [] == [], [1, 2] == [1, 2], [1] == [2])
l.clear()
print(l, list(range(3)), list("ab"), list((1, 2)))
r = []
r.append(r)
print(r, [r, r])

# tuples
t = (1, "a", None)
a, b, c = t
print(t, (1,), (), a, b, c, t[1], len(t), (1, 2) == (1, 2))
p, q = 1, 2
p, q = q, p
print(p, q)

# dicts
d = {"one": 1, "two": 2}
d["three"] = 3
d["one"] = 11
print(d, len(d), d["two"], d.get("four"), d.get("four", 4), "one" in d, 5 in d)
del d["two"]
print(d, d.keys(), d.items(), d.values(), d.pop("three"), d)
for k in {"k1": 1, "k2": 2}:
    print(k)
e = {1: "int key", (1, 2): "tuple key", None: "none key"}
print(e[1], e[(1, 2)], e[None], e)
e.clear()
print(e, dict())
dd = {}
dd["self"] = dd
print(dd)

# control flow
i = 0
total = 0
while True:
    i += 1
    if i % 2 == 0:
        continue
    if i > 9:
        break
    total += i
print(total)
for i in range(10, 0, -3):
    print(i, end=" ")
print()
for i in range(3):
    pass
else:
    print("for-else ran")


def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)


def nothing():
    pass


print(fact(20), nothing(), fact)
