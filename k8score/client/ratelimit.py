"""Rate limiters for the work queue (client-go ``util/workqueue/default_rate_limiters.go``).

``when(item)`` answers "how long should this item wait before it is retried", ``forget``
clears an item's failure history, ``num_requeues`` reports it. Time is the loop's virtual
clock, so the same failures always give the same delays.

>>> r = ItemExponentialFailureRateLimiter(0.005, 1000.0)
>>> [r.when("k") for _ in range(4)]
[0.005, 0.01, 0.02, 0.04]
>>> r.forget("k"); r.num_requeues("k")
0
"""

from __future__ import annotations

from typing import Any, Hashable


class ItemExponentialFailureRateLimiter:
    """``base * 2**failures`` per item, capped at ``max_delay``."""

    def __init__(self, base_delay: float, max_delay: float):
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        # Guard against float overflow the way upstream guards int64 overflow.
        if exp > 62:
            return self.max_delay
        return min(self.base_delay * (2 ** exp), self.max_delay)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)


class BucketRateLimiter:
    """An overall token bucket (``golang.org/x/time/rate.Limiter``): ``qps`` refill, ``burst`` size.

    Like ``Limiter.Reserve()``, a reservation may drive the bucket negative: the caller
    waits until its token would have been refilled.
    """

    def __init__(self, loop: Any, qps: float, burst: int):
        self.loop = loop
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last = loop.now

    def when(self, item: Hashable) -> float:
        now = self.loop.now
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def num_requeues(self, item: Hashable) -> int:
        return 0

    def forget(self, item: Hashable) -> None:
        pass


class MaxOfRateLimiter:
    """The longest delay any of its limiters asks for (every limiter sees every call)."""

    def __init__(self, *limiters: Any):
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max(lim.when(item) for lim in self.limiters)

    def num_requeues(self, item: Hashable) -> int:
        return max(lim.num_requeues(item) for lim in self.limiters)

    def forget(self, item: Hashable) -> None:
        for lim in self.limiters:
            lim.forget(item)


def default_controller_rate_limiter(loop: Any) -> MaxOfRateLimiter:
    """client-go ``DefaultControllerRateLimiter``: per-item 5ms*2^n capped at 1000s, and an
    overall bucket of 10 qps with burst 100 (util/workqueue/default_rate_limiters.go)."""
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0),  # 5*time.Millisecond, 1000*time.Second
        BucketRateLimiter(loop, qps=10, burst=100),        # rate.NewLimiter(rate.Limit(10), 100)
    )
