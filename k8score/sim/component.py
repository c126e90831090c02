"""Base class for every simulated component (kube-apiserver, kubelet/node-1, ...).

A component owns the timers it schedules through :meth:`call_later` /
:meth:`every`; :meth:`stop` cancels them all, so a stopped component does
nothing until :meth:`start` runs its ``on_start`` again — which is how the site
demonstrates "what happens when the scheduler is down".
"""

from __future__ import annotations

from typing import Any, Callable

from .loop import Loop, Periodic, Timer


class Component:
    #: Human-readable one-line description, used by diagrams and ``Cluster.components()``.
    kind = "component"

    def __init__(self, name: str, loop: Loop):
        self.name = name
        self.loop = loop
        self.running = False
        self._timers: list[Timer | Periodic] = []
        self._stoppers: list[Callable[[], Any]] = []

    # -- lifecycle --------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self.on_start()

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        for t in self._timers:
            t.cancel()
        self._timers.clear()
        for fn in reversed(self._stoppers):
            fn()
        self._stoppers.clear()
        self.on_stop()

    def on_start(self) -> None:  # pragma: no cover - overridden
        pass

    def on_stop(self) -> None:
        pass

    # -- timers owned by this component ----------------------------------
    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        t = self.loop.call_later(delay, self._guard, fn, args, owner=self.name)
        self._track(t)
        return t

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.call_later(0.0, fn, *args)

    def every(self, period: float, fn: Callable[[], Any], first: float | None = None) -> Periodic:
        p = self.loop.every(period, lambda: self._guard(fn, ()), first=first, owner=self.name)
        self._track(p)
        return p

    def on_stop_do(self, fn: Callable[[], Any]) -> None:
        """Register cleanup to run when the component stops (close watches, ...)."""
        self._stoppers.append(fn)

    def _track(self, t: Timer | Periodic) -> None:
        timers = self._timers
        if len(timers) > 64:
            # drop fired/cancelled timers so long runs do not accumulate garbage
            self._timers = timers = [x for x in timers if not x.cancelled]
        timers.append(t)

    def _guard(self, fn: Callable[..., Any], args: tuple) -> None:
        if self.running:
            fn(*args)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {'running' if self.running else 'stopped'}>"
