"""NodeVolumeLimits: at most ``allocatable.count`` volumes of a CSI driver per node
(pkg/scheduler/framework/plugins/nodevolumelimits/csi.go).

The limit comes from the node's CSINode object (``spec.drivers[].allocatable.count``); a
node without one, or a driver without a count, has no limit. The pod's claims are resolved to
(driver, volume handle): a bound claim through its PersistentVolume's ``csi`` source, an
unbound one through its StorageClass's provisioner (handle ``<namespace>-<claim>``). Volumes
already used by pods on the node count once; the rest must fit, else
``node(s) exceed max volume count`` (Unschedulable).
"""

from __future__ import annotations

from typing import Any, Callable

from ...api import storagehelpers as h
from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin, PreFilterPlugin
from ..status import Status

# nodevolumelimits/csi.go ErrReasonMaxVolumeCountExceeded
ERR_MAX_VOLUME_COUNT = "node(s) exceed max volume count"


class NodeVolumeLimits(PreFilterPlugin, FilterPlugin):
    name = "NodeVolumeLimits"

    def __init__(self) -> None:
        self.claims = self.volumes = self.classes = self.csinodes = None

    def start_informers(self, factory: Any, move: Callable[[ClusterEvent], None]) -> None:
        self.claims = factory.informer("persistentvolumeclaims")
        self.volumes = factory.informer("persistentvolumes")
        self.classes = factory.informer("storageclasses")
        self.csinodes = factory.informer("csinodes")
        self.csinodes.add_event_handler(on_add=lambda o: move(ClusterEvent("CSINode", ActionType.ADD, "CSINodeAdd")),
                                        on_update=lambda o, n: move(ClusterEvent("CSINode", ActionType.UPDATE_OTHER,
                                                                                 "CSINodeUpdate")))

    def events_to_register(self):
        return (ClusterEvent("CSINode", ActionType.ADD | ActionType.UPDATE), ClusterEvent("Pod", ActionType.DELETE),
                ClusterEvent("PersistentVolumeClaim", ActionType.ADD))

    def pre_filter(self, state, pod, nodes):
        if not h.pod_claim_names(pod) or self.claims is None:
            return None, Status.skip()
        return None, None

    def _volumes_of(self, pod: dict) -> dict[str, str]:
        """filterAttachableVolumes: unique volume -> CSI driver, for one pod's claims."""
        ns = h.meta(pod).get("namespace") or "default"
        out: dict[str, str] = {}
        for name in h.pod_claim_names(pod):
            claim = self.claims.get(f"{ns}/{name}")
            if claim is None:
                continue
            pv = self.volumes.get(h.spec(claim).get("volumeName") or "") if h.spec(claim).get("volumeName") else None
            csi = h.spec(pv).get("csi") if pv is not None else None
            if isinstance(csi, dict) and csi.get("driver"):
                out[f"{csi['driver']}/{csi.get('volumeHandle')}"] = csi["driver"]
            elif pv is None:
                sc = self.classes.get(h.claim_class(claim)) if h.claim_class(claim) else None
                if sc is not None and sc.get("provisioner"):
                    out[f"{sc['provisioner']}/{ns}-{name}"] = sc["provisioner"]
        return out

    def filter(self, state, pod, node_info):
        node = self.csinodes.get(node_info.name) if self.csinodes is not None else None
        if node is None:
            return None
        limits = {d.get("name"): (d.get("allocatable") or {}).get("count") for d in h.spec(node).get("drivers") or ()}
        new = self._volumes_of(pod)
        if not any(isinstance(limits.get(d), int) for d in new.values()):
            return None
        attached: dict[str, str] = {}
        for info in node_info.pods.values():
            attached.update(self._volumes_of(info.pod))
        for driver in sorted(set(new.values())):
            limit = limits.get(driver)
            if not isinstance(limit, int):
                continue
            used = sum(1 for d in attached.values() if d == driver)
            extra = sum(1 for v, d in new.items() if d == driver and v not in attached)
            if used + extra > limit:
                return Status.unschedulable(ERR_MAX_VOLUME_COUNT)
        return None


__all__ = ["NodeVolumeLimits", "ERR_MAX_VOLUME_COUNT"]
