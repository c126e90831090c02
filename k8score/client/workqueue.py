"""A fair, stingy, rate-limited work queue (client-go ``util/workqueue``).

- **fair**: items are processed in the order they were added;
- **stingy**: an item waiting in the queue is stored once however often it is added,
  and an item being processed is never handed to a second worker — if it is added
  again meanwhile it is queued once more when the first worker calls :meth:`done`;
- **delaying**: :meth:`add_after` adds an item later (a second, earlier request wins);
- **rate limited**: :meth:`add_rate_limited` waits as long as the rate limiter says
  (client-go's default controller rate limiter unless another is given).

>>> from k8score.sim import Loop
>>> q = WorkQueue(Loop(), "demo")
>>> q.add("default/web"); q.add("default/web"); len(q)
1
>>> item, shutdown = q.get()
>>> q.add(item); len(q)          # being processed: remembered, not queued twice
0
>>> q.done(item); len(q)
1
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Hashable

from .ratelimit import default_controller_rate_limiter


class WorkQueue:
    def __init__(self, loop: Any, name: str = "", rate_limiter: Any = None):
        self.loop = loop
        self.name = name
        self.rate_limiter = rate_limiter if rate_limiter is not None else default_controller_rate_limiter(loop)
        self._queue: deque[Hashable] = deque()
        self._dirty: dict[Hashable, None] = {}       # waiting to be processed (dict: ordered set)
        self._processing: dict[Hashable, None] = {}  # handed to a worker, not done yet
        self._waiting: dict[Hashable, Any] = {}      # add_after timers: item -> (when, timer)
        self._shutting_down = False
        #: Called (no arguments) whenever an item becomes available; workers hook in here.
        self.on_ready: Callable[[], Any] | None = None
        self.adds = 0
        self.retries = 0

    # -- core queue ------------------------------------------------------
    def add(self, item: Hashable) -> None:
        if self._shutting_down or item in self._dirty:
            return
        self.adds += 1
        self._dirty[item] = None
        if item in self._processing:
            return  # re-queued by done(): one worker per item
        self._queue.append(item)
        if self.on_ready is not None:
            self.on_ready()

    def get(self) -> tuple[Hashable | None, bool]:
        """Next item and whether the queue is shutting down (``(None, True)`` when drained)."""
        if not self._queue:
            return None, self._shutting_down
        item = self._queue.popleft()
        self._processing[item] = None
        self._dirty.pop(item, None)
        return item, False

    def done(self, item: Hashable) -> None:
        self._processing.pop(item, None)
        if item in self._dirty:
            self._queue.append(item)
            if self.on_ready is not None:
                self.on_ready()

    def __len__(self) -> int:
        return len(self._queue)

    def processing(self) -> list[Hashable]:
        return list(self._processing)

    def shut_down(self) -> None:
        self._shutting_down = True
        for _when, timer in self._waiting.values():
            timer.cancel()
        self._waiting.clear()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    # -- delaying --------------------------------------------------------
    def add_after(self, item: Hashable, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        when = self.loop.now + delay
        prev = self._waiting.get(item)
        if prev is not None:
            if prev[0] <= when:
                return  # already due sooner
            prev[1].cancel()
        timer = self.loop.call_at(when, self._fire_waiting, item, owner=self.name or None)
        self._waiting[item] = (when, timer)

    def _fire_waiting(self, item: Hashable) -> None:
        self._waiting.pop(item, None)
        self.add(item)

    # -- rate limiting -----------------------------------------------------
    def add_rate_limited(self, item: Hashable) -> float:
        """Re-add after the rate limiter's delay; returns that delay."""
        delay = self.rate_limiter.when(item)
        self.retries += 1
        self.add_after(item, delay)
        return delay

    def forget(self, item: Hashable) -> None:
        self.rate_limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return self.rate_limiter.num_requeues(item)

    def __repr__(self) -> str:
        return f"<WorkQueue {self.name} queued={len(self._queue)} processing={len(self._processing)}>"
