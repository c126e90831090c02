"""Controller expectations (pkg/controller/controller_utils.go: ``ControllerExpectations``,
``UIDTrackingControllerExpectations``).

A ReplicaSet controller that just created 3 pods must not create 3 more because its pod
informer has not seen them yet. Before acting it records "I expect 3 adds" (or "these
pods to go away"); the informer's handlers lower the counts as the watch catches up; the
controller only acts again on a key whose expectations are satisfied — or expired after
5 minutes (``ExpectationsTimeout``), in case a watch event was lost for good.

>>> e = Expectations(clock=lambda: 0.0)
>>> e.expect_creations("default/web", 2); e.satisfied("default/web")
False
>>> e.creation_observed("default/web"); e.creation_observed("default/web"); e.satisfied("default/web")
True
"""

from __future__ import annotations

from typing import Callable, Iterable

# pkg/controller/controller_utils.go: ExpectationsTimeout = 5 * time.Minute
EXPECTATIONS_TIMEOUT = 300.0


class _Record:
    __slots__ = ("add", "dele", "timestamp", "deleting")

    def __init__(self, add: int, dele: int, timestamp: float):
        self.add = add
        self.dele = dele
        self.timestamp = timestamp
        self.deleting: dict[str, None] = {}  # pod keys we asked to delete, not yet seen gone


class Expectations:
    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._records: dict[str, _Record] = {}

    def satisfied(self, key: str) -> bool:
        rec = self._records.get(key)
        if rec is None:
            return True  # nothing recorded (new controller, or deleted): sync
        if rec.add <= 0 and rec.dele <= 0:
            return True
        return self._clock() - rec.timestamp > EXPECTATIONS_TIMEOUT

    def expect_creations(self, key: str, n: int) -> None:
        self._records[key] = _Record(n, 0, self._clock())

    def expect_deletions(self, key: str, pod_keys: Iterable[str]) -> None:
        keys = list(pod_keys)
        rec = _Record(0, len(keys), self._clock())
        rec.deleting = dict.fromkeys(keys)
        self._records[key] = rec

    def creation_observed(self, key: str) -> None:
        rec = self._records.get(key)
        if rec is not None:
            rec.add -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        """Lower the deletions expected — once per pod, however many events report it."""
        rec = self._records.get(key)
        if rec is not None and pod_key in rec.deleting:
            del rec.deleting[pod_key]
            rec.dele -= 1

    def lower(self, key: str, add: int = 0, dele: int = 0) -> None:
        """Give up on creations/deletions that failed (they will never be observed)."""
        rec = self._records.get(key)
        if rec is not None:
            rec.add -= add
            rec.dele -= dele

    def delete(self, key: str) -> None:
        self._records.pop(key, None)

    def pending(self, key: str) -> tuple[int, int]:
        rec = self._records.get(key)
        return (rec.add, rec.dele) if rec else (0, 0)
