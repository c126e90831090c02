"""A one-way message channel between two components, with configurable latency.

Messages are delivered in the order they were sent (a later message never
overtakes an earlier one, like a TCP stream such as a watch connection), each
``latency`` virtual seconds after it was sent, plus up to ``jitter`` seconds
drawn from the loop's seeded RNG. A closed channel drops what is still in flight.

>>> from k8score.sim.loop import Loop
>>> loop = Loop()
>>> got = []
>>> ch = Channel(loop, got.append, latency=0.5)
>>> ch.send("hello")
>>> _ = loop.run(until=1)
>>> got
['hello']
"""

from __future__ import annotations

from typing import Any, Callable

from .loop import Loop


class Channel:
    __slots__ = ("loop", "deliver", "latency", "jitter", "closed", "_last", "sent", "delivered", "owner")

    def __init__(self, loop: Loop, deliver: Callable[[Any], Any], latency: float = 0.0,
                 jitter: float = 0.0, owner: str | None = None):
        self.loop = loop
        self.deliver = deliver
        self.latency = latency
        self.jitter = jitter
        self.closed = False
        self._last = 0.0  # arrival time of the previous message: keeps FIFO order under jitter
        self.sent = 0
        self.delivered = 0
        self.owner = owner

    def send(self, message: Any) -> None:
        if self.closed:
            return
        delay = self.latency
        if self.jitter:
            delay += self.loop.rng.random() * self.jitter
        at = max(self.loop.now + delay, self._last)
        self._last = at
        self.sent += 1
        self.loop.call_at(at, self._arrive, message, owner=self.owner)

    def _arrive(self, message: Any) -> None:
        if self.closed:
            return
        self.delivered += 1
        self.deliver(message)

    def close(self) -> None:
        self.closed = True
