"""Fast draws from a seeded random.Random: the generator makes tens of millions, and random.choices costs per call."""

from bisect import bisect
from itertools import accumulate


class Weighted:
    """Items with weights; `draw` gives what random.choices(items, cum_weights=...)[0] gives, for the same stream."""

    __slots__ = ("items", "cum", "total", "last")

    def __init__(self, items, weights):
        self.items = tuple(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]
        self.last = len(self.cum) - 1

    @classmethod
    def of(cls, pairs) -> "Weighted":
        pairs = list(pairs)
        return cls([item for item, _w in pairs], [w for _item, w in pairs])

    def draw(self, rng):
        return self.items[bisect(self.cum, rng.random() * self.total, 0, self.last)]

    def __len__(self) -> int:
        return len(self.items)


def below(rng, n: int) -> int:
    """A whole number in [0, n): random() scaled, several times cheaper than randrange."""
    return int(rng.random() * n)


def between(rng, low: int, high: int) -> int:
    """A whole number in [low, high], both ends included, like randint."""
    return low + int(rng.random() * (high - low + 1))


def one_of(rng, items):
    return items[int(rng.random() * len(items))]
