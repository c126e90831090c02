"""The reflector's retry backoff (apimachinery ``pkg/util/wait``: ExponentialBackoffManager).

client-go's reflector retries a failed list/watch after 800 ms, doubling up to a 30 s
cap, each delay jittered by up to +100 % (so it settles in [30 s, 60 s)), and forgets
the history after 2 minutes without a failure
(client-go ``tools/cache/reflector.go``: ``NewExponentialBackoffManager(800*time.Millisecond,
30*time.Second, 2*time.Minute, 2.0, 1.0, ...)``).

>>> import random
>>> b = ExponentialBackoff(random.Random(0), jitter=0.0)
>>> [b.next(now=0.0) for _ in range(7)]
[0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0]
"""

from __future__ import annotations

import random


class ExponentialBackoff:
    """``rng``: a Random, or the int seed of one made on the first jittered delay (most
    informers never back off; a Mersenne Twister's state is 2.5 KB, some 20 per node)."""

    def __init__(self, rng: random.Random | int, initial: float = 0.8, cap: float = 30.0,
                 reset_after: float = 120.0, factor: float = 2.0, jitter: float = 1.0):
        self._rng = rng
        self.initial = initial
        self.cap = cap
        self.reset_after = reset_after
        self.factor = factor
        self.jitter = jitter
        self._duration = initial
        self._last: float | None = None

    @property
    def rng(self) -> random.Random:
        if not isinstance(self._rng, random.Random):
            self._rng = random.Random(self._rng)
        return self._rng

    def next(self, now: float) -> float:
        """The delay before the next attempt, as of virtual time ``now``."""
        if self._last is not None and now - self._last > self.reset_after:
            self._duration = self.initial
        self._last = now
        delay = self._duration
        self._duration = min(self._duration * self.factor, self.cap)
        if self.jitter:
            delay += self.rng.random() * self.jitter * delay
        return round(delay, 6)

    def reset(self) -> None:
        self._duration = self.initial
        self._last = None
