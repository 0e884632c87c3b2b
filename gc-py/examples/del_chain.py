# A chain of objects whose __del__ makes the next one: each dies when the
# __del__ before it returns, inside it. CPython's trashcan lets such
# deallocations nest 50 deep and defers the rest until the outermost one
# ends, so a chain a million long needs no million nested calls; the
# order of the lines below is that deferral's.
count = [0]


class Link:
    def __init__(self, n):
        self.n = n

    def __del__(self):
        count[0] += 1
        print("in", self.n)
        if count[0] < 120:
            after = Link(self.n + 1)
        print("out", self.n)


first = Link(0)
first = None
print("chain of", count[0])
