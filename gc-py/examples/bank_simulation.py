# An object-oriented simulation with reference cycles: banks own their
# accounts (a dict), each account refers back to its bank, and transfers
# leave short histories of tuples. When a bank fails it is dropped whole:
# a cycle only a cycle collector reclaims.
import gc


class Bank:
    def __init__(self, name):
        self.name = name
        self.accounts = {}
        self.failed = False

    def open(self, owner, amount):
        account = Account(self, owner, amount)
        self.accounts[owner] = account
        return account

    def total(self):
        t = 0
        for owner in self.accounts:
            t += self.accounts[owner].balance
        return t


class Account:
    def __init__(self, bank, owner, balance):
        self.bank = bank
        self.owner = owner
        self.balance = balance
        self.history = []

    def record(self, entry):
        if len(self.history) == 4:
            self.history.pop(0)
        self.history.append(entry)


def rand(n):
    # A linear congruential generator, so every run makes the same choices.
    state = (rand_state[0] * 1103515245 + 12345) % 2147483648
    rand_state[0] = state
    return state // 65536 % n


rand_state = [12345]
gc.disable()
banks = []
opened = 0
failures = 0
collected = []
day = 0
while day < 60:
    if len(banks) < 4:
        bank = Bank(f"bank{day}")
        for i in range(5):
            bank.open(f"owner{opened}", 100 + rand(900))
            opened += 1
        banks.append(bank)
    for t in range(20):
        src = banks[rand(len(banks))]
        dst = banks[rand(len(banks))]
        a = src.accounts[list(src.accounts.keys())[rand(len(src.accounts))]]
        b = dst.accounts[list(dst.accounts.keys())[rand(len(dst.accounts))]]
        amount = rand(200)
        if a.balance >= amount:
            a.balance -= amount
            b.balance += amount
            a.record(("out", b.owner, amount))
            b.record(("in", a.owner, amount))
    del src, dst, a, b
    if day % 7 == 6:
        i = rand(len(banks))
        bank = banks.pop(i)
        bank.failed = True
        failures += 1
        del bank
        collected.append(gc.collect())
    day += 1
total = 0
for bank in banks:
    total += bank.total()
print("banks:", len(banks), "opened accounts:", opened, "failures:", failures)
print("money in surviving banks:", total)
print("collected at each failure:", collected)
