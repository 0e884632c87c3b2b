"""The workloads of benches/collect.rs on CPython, in ns per object.

Prints one line per workload: `name ns_per_object` (best of 3).
Nodes are instances of a class with __slots__ (no free list, one counted
allocation each); the interpreter's own objects are frozen first so that a
full collection examines the workload's objects only.
"""
import gc
import time

N = 1_000_000
BUILD = 3_000_000


class Node:
    __slots__ = ("next", "prev")


def rings(n, ring):
    gc.disable()
    for _ in range(n // ring):
        members = [Node() for _ in range(ring)]
        for i, m in enumerate(members):
            m.next = members[(i + 1) % ring]
            m.prev = members[i - 1]
    del members


def live_list(n):
    head = last = Node()
    for _ in range(n - 1):
        node = Node()
        last.next = node
        node.prev = last
        last = node
    return head


def timed_collect():
    t = time.perf_counter_ns()
    gc.collect()
    return time.perf_counter_ns() - t


def main():
    gc.collect()
    gc.freeze()
    out = []
    for name, ring in (("rings-2", 2), ("rings-100", 100)):
        best = None
        for _ in range(3):
            rings(N, ring)
            t = timed_collect()
            best = t if best is None else min(best, t)
        out.append((name, best / N))
    best = None
    for _ in range(3):
        gc.disable()
        head = live_list(N)
        t = timed_collect()
        best = t if best is None else min(best, t)
        del head
        gc.collect()
    out.append(("live", best / N))
    spent = [0, 0]

    def cb(phase, info):
        if phase == "start":
            spent[1] = time.perf_counter_ns()
        else:
            spent[0] += time.perf_counter_ns() - spent[1]

    best = None
    for _ in range(3):
        gc.enable()
        spent[0] = 0
        gc.callbacks.append(cb)
        head = live_list(BUILD)
        gc.callbacks.remove(cb)
        gc.disable()
        best = spent[0] if best is None else min(best, spent[0])
        del head
        gc.collect()
    out.append(("build-3000000 (gc time)", best / BUILD))
    for name, ns in out:
        print(f"{name} {ns:.1f}")


main()
