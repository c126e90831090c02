"""The discrete-event loop: a virtual clock, one heap of timers, one seeded RNG.

Modelled on SimPy's core: the heap holds ``(time, priority, sequence, timer)``;
the monotonically increasing ``sequence`` breaks ties first-in-first-out, so two
runs with the same seed fire the same callbacks in the same order — natively and
in Pyodide. Nothing here reads the wall clock, sleeps or starts a thread.

An exception raised by a callback is never swallowed: it stops the run and
propagates to whoever called :meth:`Loop.run`.

>>> loop = Loop(seed=0)
>>> fired = []
>>> _ = loop.call_later(2.0, fired.append, "b")
>>> _ = loop.call_later(1.0, fired.append, "a")
>>> _ = loop.run(until=5)
>>> fired, loop.now
(['a', 'b'], 5.0)
"""

from __future__ import annotations

import heapq
import random
from typing import Any, Callable

from . import gcpolicy
from .clock import epoch_offset as _epoch_offset


class Timer:
    """A scheduled callback. ``cancel()`` is idempotent and O(1) (lazy deletion)."""

    __slots__ = ("when", "fn", "args", "cancelled", "owner")

    def __init__(self, when: float, fn: Callable[..., Any], args: tuple, owner: str | None):
        self.when = when
        self.fn = fn
        self.args = args
        self.cancelled = False
        self.owner = owner

    def cancel(self) -> None:
        self.cancelled = True

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"<Timer t={self.when:.6f} {name}{' cancelled' if self.cancelled else ''}>"


class Loop:
    """Virtual time in seconds (float) since the simulation started."""

    def __init__(self, seed: int = 0, epoch: Any = None):
        self.seed = seed
        # epoch: the wall time the loop starts at. Timestamps are ``clock.EPOCH + now`` (every
        # ``rfc3339``/``micro_time`` caller), so another epoch starts the clock at its offset
        # from ``clock.EPOCH`` and every timestamp follows with no caller knowing
        # (k8score.sim.clock.epoch_offset). Default: ``clock.EPOCH``, now 0.
        self.now: float = 0.0 if epoch is None else _epoch_offset(epoch)
        self.rng = random.Random(seed)
        self._heap: list[tuple[float, int, int, Timer]] = []
        self._seq = 0
        self.events_fired = 0

    # -- scheduling -----------------------------------------------------
    def call_at(self, when: float, fn: Callable[..., Any], *args: Any,
                priority: int = 0, owner: str | None = None) -> Timer:
        """Run ``fn(*args)`` at virtual time ``when`` (never in the past).

        Lower ``priority`` runs first among timers due at the same instant;
        equal priorities run in the order they were scheduled.
        """
        if when < self.now:
            when = self.now
        timer = Timer(when, fn, args, owner)
        self._seq += 1
        heapq.heappush(self._heap, (when, priority, self._seq, timer))
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any,
                   priority: int = 0, owner: str | None = None) -> Timer:
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay}")
        return self.call_at(self.now + delay, fn, *args, priority=priority, owner=owner)

    def call_soon(self, fn: Callable[..., Any], *args: Any, owner: str | None = None) -> Timer:
        return self.call_at(self.now, fn, *args, owner=owner)

    def every(self, period: float, fn: Callable[[], Any], *, first: float | None = None,
              owner: str | None = None) -> "Periodic":
        """Call ``fn()`` every ``period`` seconds (first after ``first``, default ``period``)."""
        return Periodic(self, period, fn, period if first is None else first, owner)

    # -- running --------------------------------------------------------
    def peek(self) -> float | None:
        """Time of the next live timer, or None when nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][3].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def step(self) -> bool:
        """Fire the next live timer. Returns False when nothing is scheduled."""
        heap = self._heap
        while heap:
            when, _prio, _seq, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            self.now = when
            timer.cancelled = True  # a fired timer cannot be cancelled again meaningfully
            self.events_fired += 1
            timer.fn(*timer.args)
            return True
        return False

    def run(self, until: float | None = None,
            predicate: Callable[[], bool] | None = None,
            max_events: int | None = None) -> bool:
        """Advance virtual time.

        - ``until``: stop at that virtual time (the clock is set to it even
          if nothing is scheduled then);
        - ``predicate``: stop as soon as it returns True (checked before the
          first event and after each one); returns whether it became True;
        - ``max_events``: a safety bound against runaway simulations.
        Returns True if the predicate was met (always True without one).
        """
        if predicate is not None and predicate():
            return True
        gcpolicy.enter()
        try:
            return self._run(until, predicate, max_events)
        finally:
            gcpolicy.leave()

    def _run(self, until: float | None, predicate: Callable[[], bool] | None,
             max_events: int | None) -> bool:
        fired = 0
        while True:
            nxt = self.peek()
            if nxt is None or (until is not None and nxt > until):
                break
            self.step()
            fired += 1
            if predicate is not None and predicate():
                return True
            if max_events is not None and fired >= max_events:
                raise RuntimeError(f"simulation did not settle after {max_events} events "
                                   f"(virtual time {self.now:.3f}s)")
        if until is not None and until > self.now:
            self.now = float(until)
        return predicate is None

    def cancel_owned(self, owner: str) -> int:
        """Cancel every scheduled timer of ``owner`` (a machine that disappears takes its
        pending work with it); returns how many. O(timers), for rare events only."""
        n = 0
        for entry in self._heap:
            timer = entry[3]
            if timer.owner == owner and not timer.cancelled:
                timer.cancel()
                n += 1
        return n

    def pending(self) -> int:
        return sum(1 for entry in self._heap if not entry[3].cancelled)


class Periodic:
    """A repeating timer; ``cancel()`` stops it. Used for heartbeats, resyncs, leases."""

    __slots__ = ("loop", "period", "fn", "owner", "_timer", "cancelled")

    def __init__(self, loop: Loop, period: float, fn: Callable[[], Any], first: float, owner: str | None):
        if period <= 0:
            raise ValueError("period must be > 0")
        self.loop = loop
        self.period = period
        self.fn = fn
        self.owner = owner
        self.cancelled = False
        self._timer = loop.call_later(first, self._fire, owner=owner)

    def _fire(self) -> None:
        if self.cancelled:
            return
        self._timer = self.loop.call_later(self.period, self._fire, owner=self.owner)
        self.fn()

    def cancel(self) -> None:
        self.cancelled = True
        self._timer.cancel()
