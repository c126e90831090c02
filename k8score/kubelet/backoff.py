"""Per-key exponential backoff (client-go ``util/flowcontrol/backoff.go``), as the kubelet uses it.

The kubelet keys image pulls by ``<pod uid>_<image>``: after a failed pull it waits 10 s,
then 20 s, 40 s ... up to 300 s (pkg/kubelet/kubelet.go: ``backOffPeriod = 10s``,
``MaxContainerBackOff = 300s``); a key untouched for twice the maximum starts over.

>>> b = Backoff(10.0, 300.0)
>>> [b.next("k", now=t) for t in (0, 10, 30, 70, 150, 310, 610)]
[10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
>>> b.in_backoff_since_update("k", now=700.0), b.in_backoff_since_update("k", now=1000.0)
(True, False)
"""

from __future__ import annotations

# pkg/kubelet/kubelet.go: backOffPeriod = time.Second * 10
BACKOFF_INITIAL = 10.0
# pkg/kubelet/kubelet.go: MaxContainerBackOff = 300 * time.Second
BACKOFF_MAX = 300.0


_EPSILON = 1e-9  # virtual seconds: far below any timing the kubelet models


class Backoff:
    def __init__(self, initial: float = BACKOFF_INITIAL, maximum: float = BACKOFF_MAX):
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, tuple[float, float]] = {}  # key -> (backoff, last update)

    def next(self, key: str, now: float) -> float:
        """Record a failure at ``now``; returns the delay before the next attempt."""
        entry = self._entries.get(key)
        if entry is None or now - entry[1] > 2 * self.maximum:
            delay = self.initial
        else:
            delay = min(entry[0] * 2, self.maximum)
        self._entries[key] = (delay, now)
        return delay

    def get(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry[0] if entry else 0.0

    def in_backoff_since_update(self, key: str, now: float) -> bool:
        entry = self._entries.get(key)
        # compared with a tolerance: a retry scheduled ``retry_at - now`` later can land a
        # rounding error short of retry_at, and must not back off again by that epsilon
        return entry is not None and (entry[1] + entry[0]) - now > _EPSILON

    def retry_at(self, key: str) -> float | None:
        entry = self._entries.get(key)
        return entry[1] + entry[0] if entry else None

    # -- the container restart flavour (kuberuntime_manager.go doBackOff) -------------------
    def in_backoff_since(self, key: str, event_time: float, now: float) -> bool:
        """``IsInBackOffSince``: ``event_time`` (the exited container's finishedAt) is less than
        the current backoff ago — unless the entry expired: ``event_time`` more than twice the
        maximum (10 min) after the last restart, i.e. the container ran 10 minutes."""
        entry = self._entries.get(key)
        if entry is None or event_time - entry[1] > 2 * self.maximum:
            return False
        return entry[0] - (now - event_time) > _EPSILON

    def next_since(self, key: str, event_time: float, now: float) -> float:
        """``Next(id, eventTime)``: double the entry (or start over at 10 s when it expired);
        its last update becomes ``now``, the moment of the restart."""
        entry = self._entries.get(key)
        if entry is None or event_time - entry[1] > 2 * self.maximum:
            delay = self.initial
        else:
            delay = min(entry[0] * 2, self.maximum)
        self._entries[key] = (delay, now)
        return delay

    def reset(self, key: str) -> None:
        self._entries.pop(key, None)
