"""Run a controller's ``sync(key)`` over a work queue (sample-controller's ``runWorker``).

Each queued key is processed in its own loop event, so components interleave fairly at
one virtual instant. The rules are client-go's ``processNextWorkItem``:

- ``sync`` returns normally -> ``queue.forget(key)`` (its failure history is cleared);
- ``sync`` raises :class:`~k8score.client.errors.ApiError` (a conflict, the API server
  is down...) or :class:`Requeue` -> ``queue.add_rate_limited(key)`` (5 ms, 10 ms, ...);
  ``Requeue(after=s)`` re-adds after exactly ``s`` seconds instead;
- any other exception is a bug: it propagates and stops the simulation loudly;
- ``queue.done(key)`` always, so a key re-added meanwhile is processed again.

>>> w = Workers(component, queue, controller.sync)    # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Callable, Hashable

from .errors import ApiError


class Requeue(Exception):
    """Raised by ``sync`` to ask for the key again (rate-limited, or after ``after`` seconds)."""

    def __init__(self, message: str = "requeue", after: float | None = None):
        super().__init__(message)
        self.after = after


class Workers:
    def __init__(self, host: Any, queue: Any, sync: Callable[[Hashable], Any]):
        self.host = host
        self.queue = queue
        self.sync = sync
        self._scheduled = False
        self.processed = 0
        self.failures: list[tuple[float, Hashable, str]] = []
        queue.on_ready = self._wake
        if len(queue):
            self._wake()

    def _wake(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        # A Component's timers die with stop(); a bare Loop works too (tests).
        self.host.call_soon(self._process_one)

    def _process_one(self) -> None:
        self._scheduled = False
        item, shutdown = self.queue.get()
        if shutdown or item is None:
            return
        try:
            self.sync(item)
        except Requeue as req:
            self._note_failure(item, str(req))
            if req.after is not None:
                self.queue.add_after(item, req.after)
            else:
                self.queue.add_rate_limited(item)
        except ApiError as err:
            self._note_failure(item, f"{err.code} {err.reason}: {err.message}")
            self.queue.add_rate_limited(item)
        else:
            self.queue.forget(item)
        finally:
            self.queue.done(item)
            self.processed += 1
        if len(self.queue):
            self._wake()

    def _note_failure(self, item: Hashable, why: str) -> None:
        loop = getattr(self.host, "loop", self.host)
        self.failures.append((loop.now, item, why))
        if len(self.failures) > 200:
            del self.failures[:50]
