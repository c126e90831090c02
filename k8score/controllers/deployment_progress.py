"""Deployment status and progress conditions (pkg/controller/deployment/progress.go, sync.go
``calculateStatus``).

``Available`` says whether enough pods are available (``replicas - maxUnavailable``);
``Progressing`` tells the rollout's story: ``NewReplicaSetCreated`` -> ``ReplicaSetUpdated``
(while pods move) -> ``NewReplicaSetAvailable``, or ``ProgressDeadlineExceeded`` when nothing
moved for ``progressDeadlineSeconds`` (600 by default).
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.meta import key_func
from ..sim.clock import parse
from .deployment_util import (DEFAULT_PROGRESS_DEADLINE, MIN_AVAILABLE, MIN_UNAVAILABLE, NEW_RS_AVAILABLE,
                              RS_UPDATED, TIMED_OUT, deployment_complete, deployment_progressing,
                              get_condition, max_unavailable, new_condition, remove_condition,
                              set_condition)

_NO_DEADLINE = 2147483647  # math.MaxInt32: progressDeadlineSeconds "never"


def _replicas(rs: dict | None) -> int:
    return 0 if rs is None else (rs.get("spec") or {}).get("replicas", 1)


def _st(rs: dict | None, field: str) -> int:
    return 0 if rs is None else (rs.get("status") or {}).get(field, 0)


def _created(obj: dict) -> tuple:
    stamp = obj["metadata"].get("creationTimestamp")
    return (parse(stamp) if stamp else 0.0, obj["metadata"].get("name", ""))


class ProgressMixin:
    """Computes ``status`` from the ReplicaSets and writes it when it changed."""

    # -- status -----------------------------------------------------------------------
    def _has_deadline(self, d: dict) -> bool:
        return d["spec"].get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE) != _NO_DEADLINE

    def _calculate_status(self, d: dict, every: list[dict], new: dict | None) -> dict:
        available = sum(_st(rs, "availableReplicas") for rs in every)
        unavailable = max(sum(_replicas(rs) for rs in every) - available, 0)
        old = d.get("status") or {}
        status: dict[str, Any] = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": sum(_st(rs, "replicas") for rs in every),
            "updatedReplicas": _st(new, "replicas"),
            "readyReplicas": sum(_st(rs, "readyReplicas") for rs in every),
            "availableReplicas": available,
            "unavailableReplicas": unavailable,
        }
        status = {k: v for k, v in status.items() if v}  # omitempty, as the Go struct
        if old.get("collisionCount") is not None:
            status["collisionCount"] = old["collisionCount"]
        status["conditions"] = copy.deepcopy(old.get("conditions") or [])
        if available >= d["spec"].get("replicas", 1) - max_unavailable(d):
            cond = new_condition("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.",
                                 self.loop.now)
        else:
            cond = new_condition("Available", "False", MIN_UNAVAILABLE,
                                 "Deployment does not have minimum availability.", self.loop.now)
        set_condition(status, cond)
        return status

    def _sync_status(self, d: dict, every: list[dict], new: dict | None) -> None:
        status = self._calculate_status(d, every, new)
        if status != (d.get("status") or {}):
            d["status"] = status
            self._write_status(d)

    def _sync_rollout_status(self, d: dict, every: list[dict], new: dict | None) -> None:
        status = self._calculate_status(d, every, new)
        now = self.loop.now
        if not self._has_deadline(d):
            remove_condition(status, "Progressing")
        cur = get_condition(status, "Progressing")
        complete = status.get("replicas", 0) == status.get("updatedReplicas", 0) and \
            cur is not None and cur.get("reason") == NEW_RS_AVAILABLE
        rs_name = new["metadata"]["name"] if new else None
        if self._has_deadline(d) and not complete:
            if deployment_complete(d, status):
                msg = f'ReplicaSet "{rs_name}" has successfully progressed.' if rs_name else \
                    f'Deployment "{d["metadata"]["name"]}" has successfully progressed.'
                set_condition(status, new_condition("Progressing", "True", NEW_RS_AVAILABLE, msg, now))
            elif deployment_progressing(d, status):
                msg = f'ReplicaSet "{rs_name}" is progressing.' if rs_name else \
                    f'Deployment "{d["metadata"]["name"]}" is progressing.'
                cond = new_condition("Progressing", "True", RS_UPDATED, msg, now)
                if cur is not None and cur.get("status") == "True":
                    cond["lastTransitionTime"] = cur.get("lastTransitionTime")
                remove_condition(status, "Progressing")
                set_condition(status, cond)
            elif self._timed_out(d, status):
                msg = f'ReplicaSet "{rs_name}" has timed out progressing.' if rs_name else \
                    f'Deployment "{d["metadata"]["name"]}" has timed out progressing.'
                set_condition(status, new_condition("Progressing", "False", TIMED_OUT, msg, now))
        if status == (d.get("status") or {}):
            self._requeue_stuck(d, status)
            return
        d["status"] = status
        self._write_status(d)
        self._requeue_stuck(d, status)

    def _timed_out(self, d: dict, status: dict) -> bool:
        cond = get_condition(status, "Progressing")
        if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
            return False
        if cond.get("reason") == TIMED_OUT:
            return True
        deadline = d["spec"].get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE)
        return parse(cond["lastUpdateTime"]) + deadline < self.loop.now

    def _requeue_stuck(self, d: dict, status: dict) -> None:
        """Check the progress deadline again when it would expire (progress.go requeueStuckDeployment)."""
        cond = get_condition(status, "Progressing")
        if not self._has_deadline(d) or cond is None or deployment_complete(d, status) \
                or cond.get("reason") in (NEW_RS_AVAILABLE, TIMED_OUT):
            return
        deadline = d["spec"].get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE)
        after = parse(cond["lastUpdateTime"]) + deadline - self.loop.now
        self.queue.add_after(key_func(d), max(after, 0.0) + 1.0)

    def _write_status(self, d: dict) -> None:
        updated = self.client.update("deployments", d, namespace=d["metadata"]["namespace"],
                                     subresource="status")
        d["metadata"] = updated["metadata"]

