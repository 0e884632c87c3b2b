# Binary trees, after the Computer Language Benchmarks Game: many short-lived
# trees and one long-lived tree. No cycles: reference counting frees it all.


class Node:
    def __init__(self, left, right):
        self.left = left
        self.right = right


def make(depth):
    if depth == 0:
        return Node(None, None)
    return Node(make(depth - 1), make(depth - 1))


def check(node):
    if node.left is None:
        return 1
    return 1 + check(node.left) + check(node.right)


min_depth = 4
max_depth = 10
stretch = max_depth + 1
print(f"stretch tree of depth {stretch}\t check: {check(make(stretch))}")
long_lived = make(max_depth)
d = min_depth
while d <= max_depth:
    iterations = 1
    k = 0
    while k < max_depth - d + min_depth:
        iterations = iterations * 2
        k += 1
    total = 0
    for i in range(iterations):
        total += check(make(d))
    print(f"{iterations}\t trees of depth {d}\t check: {total}")
    d += 2
print(f"long lived tree of depth {max_depth}\t check: {check(long_lived)}")
