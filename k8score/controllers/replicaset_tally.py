"""Per-ReplicaSet tallies of its pods, kept current from pod events at O(1) per event.

Upstream's ReplicaSet sync lists the set's pods and recounts them on every sync
(pkg/controller/replicaset/replica_set.go ``syncReplicaSet`` → ``calculateStatus``): O(pods)
per sync, and a sync follows nearly every pod event, so a 3,000-replica set costs ~10⁷ pod
visits to come up. In Go that is seconds; here it was minutes. This module keeps, for each
ReplicaSet uid, what a sync would count — active pods that match the selector, how many of
them carry all the template's labels, how many are Ready and since when, and the owned
active pods whose labels stopped matching (to be released) — updated from each pod event in
O(1). A sync then reads the counts; it walks the pods only when it must choose which to
delete, or when ``minReadySeconds`` makes availability depend on the clock.

The tallies are a cache of a pure function of (ReplicaSet, its pods): :func:`contribution`.
A tally is dropped (rebuilt from the informer's index at the next sync) whenever the
ReplicaSet's selector, template labels or minReadySeconds change, and whenever a pod
arrives for an owner the tally layer does not know — so it can never drift from a recount
(``tests/test_replicaset_tally.py`` checks exactly that after every step of random runs).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..client.meta import condition, controller_ref, is_pod_active, is_pod_ready, key_func, selector_matches

#: (counted, fully_labeled, ready, ready_since) of one pod for its owner;
#: ``counted`` False means "owned, active, but no longer selected" (to be released).
Contribution = tuple


def contribution(rs: dict, pod: dict) -> Contribution | None:
    """What ``pod`` adds to ``rs``'s counts: None if it adds nothing (terminal, being
    deleted, or owned by someone else)."""
    ref = controller_ref(pod)
    if ref is None or ref.get("uid") != rs["metadata"].get("uid") or not is_pod_active(pod):
        return None
    labels = pod["metadata"].get("labels") or {}
    if not selector_matches(rs["spec"].get("selector"), labels):
        return (False, False, False, None)
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    fully = all(labels.get(k) == v for k, v in template_labels.items())
    ready = is_pod_ready(pod)
    since = (condition(pod, "Ready") or {}).get("lastTransitionTime") if ready else None
    return (True, fully, ready, since)


def shape(rs: dict) -> tuple:
    """What the tallies of ``rs`` depend on besides its pods: a change drops them."""
    spec = rs.get("spec") or {}
    return (repr(spec.get("selector")), repr(((spec.get("template") or {}).get("metadata") or {}).get("labels")),
            spec.get("minReadySeconds"))


class Tally:
    """The counts for one ReplicaSet."""

    __slots__ = ("shape", "pods", "count", "fully", "ready", "release")

    def __init__(self, shape_: tuple):
        self.shape = shape_
        self.pods: dict[str, Contribution] = {}
        self.count = self.fully = self.ready = 0
        self.release: dict[str, None] = {}

    def put(self, key: str, c: Contribution | None) -> None:
        self.drop(key)
        if c is None:
            return
        self.pods[key] = c
        counted, fully, ready, _ = c
        if not counted:
            self.release[key] = None
            return
        self.count += 1
        self.fully += fully
        self.ready += ready

    def drop(self, key: str) -> None:
        old = self.pods.pop(key, None)
        if old is None:
            return
        counted, fully, ready, _ = old
        if not counted:
            self.release.pop(key, None)
            return
        self.count -= 1
        self.fully -= fully
        self.ready -= ready

    def ready_since(self) -> Iterable[str | None]:
        """The Ready transition times of the counted ready pods (for minReadySeconds)."""
        return (c[3] for c in self.pods.values() if c[0] and c[2])


class Tallies:
    """Tallies of every ReplicaSet a controller has synced, by uid.

    ``owner_of(uid)`` returns the cached ReplicaSet with that uid (or None); ``pods_of(uid)``
    the informer's pods indexed under that controller uid.
    """

    def __init__(self, owner_of: Callable[[str], dict | None], pods_of: Callable[[str], list[dict]]):
        self._owner_of = owner_of
        self._pods_of = pods_of
        self._by_uid: dict[str, Tally] = {}
        self._owner_by_pod: dict[str, str] = {}

    def for_rs(self, rs: dict) -> Tally:
        """The current tally of ``rs``, rebuilt from its pods when missing or stale."""
        uid = rs["metadata"].get("uid", "")
        tally = self._by_uid.get(uid)
        if tally is None or tally.shape != shape(rs):
            tally = Tally(shape(rs))
            for pod in self._pods_of(uid):
                key = key_func(pod)
                tally.put(key, contribution(rs, pod))
                self._owner_by_pod[key] = uid
            self._by_uid[uid] = tally
        return tally

    def observe(self, pod: dict) -> None:
        """A pod was added or changed in the informer."""
        key = key_func(pod)
        self.forget(key)
        ref = controller_ref(pod)
        uid = (ref or {}).get("uid")
        if not uid:
            return
        tally = self._by_uid.get(uid)
        if tally is None:
            return  # built from the index when first needed
        rs = self._owner_of(uid)
        if rs is None or tally.shape != shape(rs):
            del self._by_uid[uid]  # the owner changed or is unknown: rebuild on demand
            return
        tally.put(key, contribution(rs, pod))
        self._owner_by_pod[key] = uid

    def forget(self, key: str) -> None:
        """The pod ``key`` left the informer (or is about to be re-observed)."""
        uid = self._owner_by_pod.pop(key, None)
        if uid is not None and uid in self._by_uid:
            self._by_uid[uid].drop(key)

    def drop_owner(self, uid: str) -> None:
        self._by_uid.pop(uid, None)

    def __contains__(self, uid: str) -> bool:
        return uid in self._by_uid

    def debug(self) -> dict[str, Any]:
        return {uid: (t.count, t.fully, t.ready, sorted(t.release)) for uid, t in sorted(self._by_uid.items())}
