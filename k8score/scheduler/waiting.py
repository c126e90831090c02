"""Pods a Permit plugin asked to wait (``framework/runtime/waiting_pods_map.go``).

A waiting pod has already been assumed on its node; its binding cycle starts
only when every plugin that said ``Wait`` allows it. Any plugin may reject it,
and each plugin's wait ends with a rejection after its timeout — e.g.
``rejected due to timeout after waiting 5s at plugin Coscheduling``. Plugins
reach this map through ``handle.waiting_pods`` (upstream ``Handle.GetWaitingPod``).
"""

from __future__ import annotations

from typing import Any, Callable

from .status import Code, Status


class _WaitingPod:
    __slots__ = ("pending", "timers", "on_done")

    def __init__(self, pending: dict[str, float], on_done: Callable[[Status | None], None]):
        self.pending = pending
        self.timers: list[Any] = []
        self.on_done = on_done


class WaitingPods:
    def __init__(self, call_later: Callable[..., Any]):
        self._call_later = call_later
        self._pods: dict[str, _WaitingPod] = {}

    def add(self, key: str, timeouts: dict[str, float], on_done: Callable[[Status | None], None]) -> None:
        """Hold ``key`` until all ``timeouts`` plugins allow it; ``on_done(None)`` then,
        or ``on_done(rejection status)``."""
        wp = self._pods[key] = _WaitingPod(dict(timeouts), on_done)
        for plugin, timeout in sorted(timeouts.items()):
            wp.timers.append(self._call_later(
                timeout, self.reject, key, plugin,
                f"rejected due to timeout after waiting {timeout:g}s at plugin {plugin}"))

    def allow(self, key: str, plugin: str) -> None:
        """``WaitingPod.Allow``: this plugin is satisfied."""
        wp = self._pods.get(key)
        if wp is None:
            return
        wp.pending.pop(plugin, None)
        if not wp.pending:
            self._finish(key, None)

    def reject(self, key: str, plugin: str, message: str) -> None:
        """``WaitingPod.Reject``: the pod goes back to the queue as unschedulable."""
        if key in self._pods:
            self._finish(key, Status(Code.UNSCHEDULABLE, message, plugin=plugin))

    def keys(self) -> list[str]:
        return sorted(self._pods)

    def __contains__(self, key: str) -> bool:
        return key in self._pods

    def _finish(self, key: str, status: Status | None) -> None:
        wp = self._pods.pop(key)
        for t in wp.timers:
            t.cancel()
        wp.on_done(status)
