"""Strategies of apps/v1 (pkg/registry/apps/deployment, replicaset strategy.go), and the small
groups coordination.k8s.io (Lease) and scheduling.k8s.io (PriorityClass)."""

from __future__ import annotations

from typing import Any

from ...api.errors import ApiError
from ...api.resources import BUILTIN
from .. import defaults
from ..validation import scheduling, workloads
from .scale import scale_subresource
from .strategy import Strategy


class _Workload(Strategy):
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {}
    update_rules = staticmethod(workloads.selector_update)


class DeploymentStrategy(_Workload):
    info = BUILTIN["deployments"]
    subresources = {"scale": scale_subresource}   # storage.go ScaleREST (kubectl scale, the HPA)

    def default(self, obj: dict) -> Any:
        defaults.deployment(obj)

    rules = staticmethod(workloads.deployment)


class ReplicaSetStrategy(_Workload):
    info = BUILTIN["replicasets"]
    subresources = {"scale": scale_subresource}
    field_labels = ("status.replicas",)

    def default(self, obj: dict) -> Any:
        defaults.replicaset(obj)

    rules = staticmethod(workloads.replicaset)


class LeaseStrategy(Strategy):
    info = BUILTIN["leases"]


class PriorityClassStrategy(Strategy):
    info = BUILTIN["priorityclasses"]

    def default(self, obj: dict) -> Any:
        defaults.priority_class(obj)

    rules = staticmethod(scheduling.priority_class)
    update_rules = staticmethod(scheduling.priority_class_update)

    def check_delete(self, obj: dict) -> None:
        # pkg/registry/scheduling/priorityclass/storage/storage.go: Delete
        from ..admission.priority import SYSTEM_PRIORITY_CLASSES  # (admission imports registry)
        name = obj["metadata"]["name"]
        if any(name == n for n, _, _ in SYSTEM_PRIORITY_CLASSES):
            raise ApiError.forbidden("priorityclasses.scheduling.k8s.io", name,
                                     "this is a system priority class and cannot be deleted")


STRATEGIES = (DeploymentStrategy, ReplicaSetStrategy, LeaseStrategy, PriorityClassStrategy)
