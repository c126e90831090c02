"""VolumeRestrictions: a ReadWriteOncePod claim serves one pod in the whole cluster
(pkg/scheduler/framework/plugins/volumerestrictions/volume_restrictions.go).

PreFilter skips pods without such a claim (and rejects a pod whose claim does not exist,
UnschedulableAndUnresolvable); it counts the pods already using the pod's ReadWriteOncePod
claims on every node. Filter then rejects every node while that count is not zero —
Unschedulable, so preemption may evict the user of lower priority.
The inline-disk conflicts (GCE PD, EBS, RBD, iSCSI) are not modelled.
"""

from __future__ import annotations

from typing import Any, Callable

from ...api import storagehelpers as h
from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin, PreFilterPlugin
from ..status import Status

# volume_restrictions.go ErrReasonReadWriteOncePodConflict
ERR_RWOP_CONFLICT = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"
_STATE_KEY = "PreFilterVolumeRestrictions"


class VolumeRestrictions(PreFilterPlugin, FilterPlugin):
    name = "VolumeRestrictions"

    def __init__(self) -> None:
        self.claims = None

    def start_informers(self, factory: Any, move: Callable[[ClusterEvent], None]) -> None:
        self.claims = factory.informer("persistentvolumeclaims")   # VolumeBinding moves pods on its events

    def events_to_register(self):
        return (ClusterEvent("Pod", ActionType.DELETE),
                ClusterEvent("PersistentVolumeClaim", ActionType.ADD | ActionType.UPDATE))

    def pre_filter(self, state, pod, nodes):
        names = h.pod_claim_names(pod)
        if not names or self.claims is None:
            return None, Status.skip()
        ns = h.meta(pod).get("namespace") or "default"
        rwop = []
        for name in names:
            claim = self.claims.get(f"{ns}/{name}")
            if claim is None:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            if "ReadWriteOncePod" in (h.spec(claim).get("accessModes") or ()):
                rwop.append(name)
        if not rwop:
            return None, Status.skip()
        me = f"{ns}/{h.meta(pod).get('name')}"
        conflicts = 0
        for ni in nodes:
            for info in ni.pods.values():
                other = info.pod
                if info.key != me and (h.meta(other).get("namespace") or "default") == ns:
                    conflicts += sum(1 for c in h.pod_claim_names(other) if c in rwop)
        state.write(_STATE_KEY, conflicts)
        return None, None

    def filter(self, state, pod, node_info):
        if state.get(_STATE_KEY, 0) > 0:
            return Status.unschedulable(ERR_RWOP_CONFLICT)
        return None


__all__ = ["VolumeRestrictions", "ERR_RWOP_CONFLICT"]
