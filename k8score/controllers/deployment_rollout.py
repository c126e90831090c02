"""Deployment strategies: scaling, RollingUpdate and Recreate (pkg/controller/deployment:
sync.go ``scale``, rolling.go, recreate.go).

A mixin of :class:`~k8score.controllers.deployment.DeploymentController`: it needs
``_get_all``, ``_owned_replicasets``, ``_scale_rs`` and the status methods.
"""

from __future__ import annotations

from ..client.errors import ApiError
from ..client.meta import controller_ref
from .deployment_progress import _created, _replicas, _st
from .deployment_util import (DEFAULT_REVISION_HISTORY_LIMIT, DESIRED_REPLICAS, MAX_REPLICAS, deployment_complete,
                              max_surge, max_unavailable, new_rs_new_replicas, resolve_fenceposts, revision)


class RolloutMixin:
    """Scaling and the two strategies; every write goes through ``_scale_rs``."""

    def _is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        new, old = self._get_all(d, rs_list, create=False)
        want = str(d["spec"].get("replicas", 1))
        for rs in ([new] if new else []) + old:
            if _replicas(rs) > 0:
                desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
                if desired is not None and desired != want:
                    return True
        return False

    def _sync_scale(self, d: dict, rs_list: list[dict]) -> None:
        new, old = self._get_all(d, rs_list, create=False)
        self._scale(d, new, old)
        new, old = self._get_all(d, self._owned_replicasets(d), create=False)
        self._sync_status(d, old + ([new] if new else []), new)

    def _scale(self, d: dict, new: dict | None, old: list[dict]) -> None:
        replicas = d["spec"].get("replicas", 1)
        everything = ([new] if new else []) + old
        active = [rs for rs in everything if _replicas(rs) > 0]
        if len(active) <= 1:
            target = active[0] if active else (new or (max(old, key=_created) if old else None))
            if target is not None:
                self._scale_rs(target, replicas, d)  # also refreshes desired/max annotations
            return
        if new is not None and _replicas(new) == replicas and _st(new, "availableReplicas") == replicas:
            for rs in old:
                if _replicas(rs) > 0:
                    self._scale_rs(rs, 0, d)
            return
        # Proportional scaling: spread the change over the active ReplicaSets by size.
        rolling = ((d["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"
        allowed = replicas + (max_surge(d) if rolling else 0)
        to_add = allowed - sum(_replicas(rs) for rs in active)
        if to_add > 0:   # ReplicaSetsBySizeNewer: biggest first, newer first on ties
            ordered = sorted(active, key=lambda rs: (-_replicas(rs), -_created(rs)[0], rs["metadata"]["name"]))
        else:            # ReplicaSetsBySizeOlder: biggest first, older first on ties
            ordered = sorted(active, key=lambda rs: (-_replicas(rs), _created(rs)))
        sizes, added = {}, 0
        for rs in ordered:
            prop = 0
            if to_add != 0 and to_add != added:
                fraction = self._fraction(rs, d)
                left = to_add - added
                prop = min(fraction, left) if to_add > 0 else max(fraction, left)
            sizes[rs["metadata"]["name"]] = _replicas(rs) + prop
            added += prop
        for i, rs in enumerate(ordered):
            size = sizes[rs["metadata"]["name"]]
            if i == 0 and to_add != 0:
                size = max(size + to_add - added, 0)
            self._scale_rs(rs, size, d)

    @staticmethod
    def _fraction(rs: dict, d: dict) -> int:
        """getReplicaSetFraction: this ReplicaSet's share of the new total."""
        if d["spec"].get("replicas", 1) == 0:
            return -_replicas(rs)
        total = d["spec"].get("replicas", 1) + max_surge(d)
        try:
            annotated = int((rs["metadata"].get("annotations") or {}).get(MAX_REPLICAS))
        except (TypeError, ValueError):
            annotated = (d.get("status") or {}).get("replicas", 0)
        if annotated <= 0:
            return 0
        return int(_replicas(rs) * total / annotated + 0.5) - _replicas(rs)

    # -- strategies -----------------------------------------------------------------------
    def _rolling(self, d: dict, rs_list: list[dict]) -> None:
        new, old = self._get_all(d, rs_list, create=True)
        every = old + [new]
        if self._reconcile_new(every, new, d):
            self._sync_rollout_status(d, self._refresh(d), new)
            return
        if self._reconcile_old(every, [rs for rs in old if _replicas(rs) > 0], new, d):
            self._sync_rollout_status(d, self._refresh(d), new)
            return
        if deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old)
        self._sync_rollout_status(d, every, new)

    def _refresh(self, d: dict) -> list[dict]:
        # Our own writes are not in the cache yet; status only needs spec/status counts,
        # which the objects returned by the writes carry — re-read the cache plus them.
        cached = self._owned_replicasets(d)
        names = {rs["metadata"]["name"] for rs in cached}
        return [self._latest.get(rs["metadata"]["name"], rs) for rs in cached] + \
            [rs for name, rs in self._latest.items() if name not in names]

    def _reconcile_new(self, every: list[dict], new: dict, d: dict) -> bool:
        self._latest = {}
        replicas = d["spec"].get("replicas", 1)
        if _replicas(new) == replicas:
            return False
        if _replicas(new) > replicas:
            scaled, updated = self._scale_rs(new, replicas, d)
        else:
            count = new_rs_new_replicas(replicas, resolve_fenceposts(d["spec"].get("strategy"), replicas),
                                        sum(_replicas(rs) for rs in every), _replicas(new), recreate=False)
            scaled, updated = self._scale_rs(new, count, d)
        self._latest[updated["metadata"]["name"]] = updated
        return scaled

    def _reconcile_old(self, every: list[dict], old: list[dict], new: dict, d: dict) -> bool:
        self._latest = {}
        if sum(_replicas(rs) for rs in old) == 0:
            return False
        replicas = d["spec"].get("replicas", 1)
        min_available = replicas - max_unavailable(d)
        new_unavailable = _replicas(new) - _st(new, "availableReplicas")
        max_scaled_down = sum(_replicas(rs) for rs in every) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        # First drop old pods that are not available anyway: they cost nothing.
        cleaned = 0
        old = sorted(old, key=_created)
        current: list[dict] = []
        for rs in old:
            if cleaned >= max_scaled_down or _replicas(rs) == 0 or _replicas(rs) == _st(rs, "availableReplicas"):
                current.append(rs)
                continue
            down = min(max_scaled_down - cleaned, _replicas(rs) - _st(rs, "availableReplicas"))
            _, rs = self._scale_rs(rs, _replicas(rs) - down, d)
            self._latest[rs["metadata"]["name"]] = rs
            cleaned += down
            current.append(rs)
        # Then scale down old ReplicaSets while enough pods stay available.
        available = sum(_st(rs, "availableReplicas") for rs in current + [new])
        scaled = 0
        if available > min_available:
            target = available - min_available
            for rs in current:
                if scaled >= target:
                    break
                if _replicas(rs) == 0:
                    continue
                down = min(_replicas(rs), target - scaled)
                _, updated = self._scale_rs(rs, _replicas(rs) - down, d)
                self._latest[updated["metadata"]["name"]] = updated
                scaled += down
        return cleaned + scaled > 0

    def _recreate(self, d: dict, rs_list: list[dict]) -> None:
        new, old = self._get_all(d, rs_list, create=False)
        self._latest = {}
        scaled = False
        for rs in old:
            if _replicas(rs) > 0:
                _, updated = self._scale_rs(rs, 0, d)
                self._latest[updated["metadata"]["name"]] = updated
                scaled = True
        if scaled or self._old_pods_running(new, old):
            self._sync_rollout_status(d, self._refresh(d), new)
            return
        if new is None:
            new, old = self._get_all(d, self._owned_replicasets(d), create=True)
        _, updated = self._scale_rs(new, d["spec"].get("replicas", 1), d)
        self._latest[updated["metadata"]["name"]] = updated
        if deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old)
        self._sync_rollout_status(d, self._refresh(d), updated)

    def _old_pods_running(self, new: dict | None, old: list[dict]) -> bool:
        uids = {rs["metadata"]["uid"] for rs in old}
        for pod in self.pod_informer.list():
            ref = controller_ref(pod)
            if ref and ref.get("uid") in uids and \
                    (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                return True
        return False

    def _cleanup(self, d: dict, old: list[dict]) -> None:
        """Delete the oldest unused ReplicaSets beyond revisionHistoryLimit."""
        limit = d["spec"].get("revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
        cleanable = [rs for rs in old if _replicas(rs) == 0 and _st(rs, "replicas") == 0
                     and not rs["metadata"].get("deletionTimestamp")
                     and _st(rs, "observedGeneration") >= rs["metadata"].get("generation", 1)]
        excess = len(cleanable) - limit
        if excess <= 0:
            return
        for rs in sorted(cleanable, key=lambda r: (revision(r), _created(r)))[:excess]:
            try:
                self.client.delete("replicasets", rs["metadata"]["name"], namespace=rs["metadata"]["namespace"])
            except ApiError as err:
                if err.code != 404:
                    raise

