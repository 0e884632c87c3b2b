# An object held only by a class attribute is finalized at exit, in the
# last collection, with the globals: in CPython the class is garbage
# together with the module (it refers to itself through its MRO), and so
# is what its dict holds. Its finalizer still reads the class and the
# globals. (PyPy runs no finalizer at exit; without a cycle collector the
# class and what it holds leak.)
class Resource:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print("closing", self.name, "of", len(Registry.open), "open;", label)


class Registry:
    open = []


Registry.open.append(Resource("db"))
label = "at exit"
print("end")
