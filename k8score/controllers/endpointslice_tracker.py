"""Which EndpointSlice generations a controller expects to see in its informer cache.

Upstream staging/src/k8s.io/endpointslice/util/endpointslice_tracker.go. After each write
the controller records the slice's generation (a delete: "deletion expected"). Its own
writes coming back through the watch then do not queue the Service again
(:meth:`should_sync`), and a sync that would run on a cache older than its own writes
stops early (:meth:`stale`: "EndpointSlice informer cache is out of date") and is retried.

>>> t = EndpointSliceTracker()
>>> s = {"metadata": {"namespace": "default", "uid": "u1", "generation": 2,
...                   "labels": {"kubernetes.io/service-name": "web"}}}
>>> t.update(s); t.should_sync(s), t.stale("default", "web", [s])
(False, False)
>>> t.stale("default", "web", [])      # our slice is not in the cache yet
True
"""

from __future__ import annotations

from .endpointslice_util import LABEL_SERVICE_NAME

_DELETION_EXPECTED = -1   # endpointslice_tracker.go deletionExpected


def _service_of(slice_: dict) -> tuple:
    meta = slice_.get("metadata") or {}
    return meta.get("namespace"), (meta.get("labels") or {}).get(LABEL_SERVICE_NAME)


def _gen(slice_: dict) -> int:
    return (slice_.get("metadata") or {}).get("generation") or 0


class EndpointSliceTracker:
    def __init__(self) -> None:
        self._by_service: dict[tuple, dict[str, int]] = {}

    def has(self, slice_: dict) -> bool:
        return slice_["metadata"].get("uid") in self._by_service.get(_service_of(slice_), {})

    def should_sync(self, slice_: dict) -> bool:
        """A slice we did not write, or a newer generation than ours (someone else wrote it)."""
        gens = self._by_service.get(_service_of(slice_), {})
        uid = slice_["metadata"].get("uid")
        return uid not in gens or _gen(slice_) > gens[uid]

    def stale(self, namespace: str | None, name: str, slices: list[dict]) -> bool:
        """StaleSlices: a cached slice older than we wrote it (or one we deleted), or one we
        wrote missing from the cache."""
        gens = self._by_service.get((namespace, name), {})
        seen = {}
        for s in slices:
            uid = s["metadata"].get("uid")
            seen[uid] = True
            g = gens.get(uid)
            if g is not None and (g == _DELETION_EXPECTED or g > _gen(s)):
                return True
        return any(g != _DELETION_EXPECTED and uid not in seen for uid, g in gens.items())

    def update(self, slice_: dict) -> None:
        self._by_service.setdefault(_service_of(slice_), {})[slice_["metadata"].get("uid")] = _gen(slice_)

    def expect_deletion(self, slice_: dict) -> None:
        self._by_service.setdefault(_service_of(slice_), {})[slice_["metadata"].get("uid")] = _DELETION_EXPECTED

    def handle_deletion(self, slice_: dict) -> bool:
        """Forget a deleted slice; False when the deletion was not ours (resync the Service)."""
        gens = self._by_service.get(_service_of(slice_))
        if gens is not None and slice_["metadata"].get("uid") in gens:
            return gens.pop(slice_["metadata"]["uid"]) == _DELETION_EXPECTED
        return True

    def delete_service(self, namespace: str | None, name: str) -> None:
        self._by_service.pop((namespace, name), None)
