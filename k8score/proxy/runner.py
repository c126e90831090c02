"""``BoundedFrequencyRunner`` (pkg/util/async/bounded_frequency_runner.go) on the sim loop.

kube-proxy never rewrites the rules on every watch event. It asks its runner to sync
(``Run()``); the runner runs the sync function

- at most ``burst`` times back to back, then no more often than once per ``min_interval``
  (a token bucket: ``minSyncPeriod``, default 1 s, burstSyncs 2), so a Deployment rolling
  100 pods causes a handful of syncs, not 100;
- at least once per ``max_interval`` even if nobody asks (the periodic resync).

Requests that arrive while a run is pending collapse into that run. The request is
served on the next loop turn (``call_soon``), not inside the informer's handler — every
event delivered at the same virtual instant lands in one sync.
"""

from __future__ import annotations

from typing import Any, Callable


class BoundedFrequencyRunner:
    def __init__(self, owner: Any, fn: Callable[[str], None], min_interval: float, max_interval: float,
                 burst: int = 2):
        self.owner = owner          # a sim Component: its timers die with it
        self.fn = fn                # fn(reason)
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = 0.0
        self._pending: Any = None   # the timer of the next requested run
        self._periodic: Any = None
        self.last_run: float | None = None

    def start(self) -> None:
        self._tokens, self._stamp = float(self.burst), self.owner.loop.now
        self._pending = None
        self._arm_periodic()

    def run(self) -> None:
        """Ask for a sync as soon as the rate limit allows (collapses with a pending ask)."""
        if self._pending is None:
            self._pending = self.owner.call_soon(self._try_run, "requested")

    # -- internals --------------------------------------------------------------------
    def _refill(self, now: float) -> None:
        if self.min_interval <= 0:
            self._tokens = float(self.burst)
        else:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) / self.min_interval)
        self._stamp = now

    def _try_run(self, reason: str) -> None:
        self._pending = None
        now = self.owner.loop.now
        self._refill(now)
        if self._tokens >= 1.0 - 1e-9:
            self._tokens -= 1.0
            self.last_run = now
            self._arm_periodic()
            self.fn(reason)
            return
        # Not yet: run when the next token is due (unless the periodic run comes first).
        wait = (1.0 - self._tokens) * self.min_interval
        self._pending = self.owner.call_later(wait, self._try_run, reason)

    def _arm_periodic(self) -> None:
        if self._periodic is not None:
            self._periodic.cancel()
        self._periodic = self.owner.call_later(self.max_interval, self._periodic_run)

    def _periodic_run(self) -> None:
        self._periodic = None
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._try_run("periodic")
