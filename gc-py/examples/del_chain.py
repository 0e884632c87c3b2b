# A chain of 120 objects, each holding the next: each __del__ drops its
# link, so the next one dies inside it. CPython's trashcan lets such
# deallocations nest 50 deep and defers the rest until the outermost one
# ends (then each deferred one nests 49 deep in turn), so a chain a million
# long needs no million nested calls; the order of the lines below is that
# deferral's.
class Link:
    def __init__(self, n, following):
        self.n = n
        self.following = following

    def __del__(self):
        print("in", self.n)
        self.following = None
        print("out", self.n)


chain = None
for i in range(120):
    chain = Link(119 - i, chain)
chain = None
print("end")
