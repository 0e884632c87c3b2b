# What runs at exit: CPython collects, then the main module's globals and
# everything only they hold become garbage together and are finalized in
# the collector's order; PyPy runs no finalizer at exit.


class N:
    def __init__(self, n, cyclic):
        self.n = n
        if cyclic:
            self.me = self

    def __del__(self):
        print("del", self.n)


a = N(1, True)
b = N(2, True)
del b
c = N(3, False)
d = N(4, True)
e = N(5, False)
print("end")
