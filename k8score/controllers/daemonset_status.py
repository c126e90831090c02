"""The DaemonSet controller's status (daemon_controller.go ``updateDaemonSetStatus``).

Per node: desired (the node should run the pod), current (it has one), misscheduled (it
has one but should not), ready / available (the oldest pod there), updated (that pod is
of the current revision), and the node's pods of an older revision (whether a rolling
update has anything to do). :class:`~.daemonset_dirty.StatusTally` keeps the per-node
counts, so a sync recounts only the nodes it examined.
"""

from __future__ import annotations

from typing import Any

from ..client.errors import ApiError
from ..client.meta import is_pod_ready, key_func
from .daemonset_dirty import AVAILABLE, CURRENT, DESIRED, MISSCHEDULED, READY, UPDATED, StatusTally
from .daemonset_util import creation_order, is_pod_available, is_pod_updated, template_generation


class DaemonSetStatus:
    """Mixed into :class:`~.daemonset.DaemonSetsController` (uses its ``_daemon_pods``,
    ``_node_should_run``, ``client``, ``queue`` and ``loop``)."""

    def _tally_nodes(self, ds: dict, tally: StatusTally, nodes: list[dict], hash_: str, min_ready: int) -> None:
        """updateDaemonSetStatus's per-node counts, for the nodes of this sync."""
        by_node = self._daemon_pods(ds)
        gen, now = template_generation(ds), self.loop.now
        for node in nodes:
            name = node["metadata"]["name"]
            pods = by_node.get(name)
            olds = sum(1 for p in pods or () if not p["metadata"].get("deletionTimestamp")
                       and not is_pod_updated(p, hash_, gen))
            if not self._node_should_run(node, ds)[0]:
                tally.set(name, (0, 0, 1 if pods else 0, 0, 0, 0, olds))
                continue
            if not pods:
                tally.set(name, (1, 0, 0, 0, 0, 0, 0))
                continue
            pod = pods[0] if len(pods) == 1 else sorted(pods, key=creation_order)[0]
            ready = is_pod_ready(pod)
            available = ready and is_pod_available(pod, min_ready, now)
            tally.set(name, (1, 1, 0, int(ready), int(available), int(is_pod_updated(pod, hash_, gen)), olds))

    def _update_status(self, ds: dict, tally: StatusTally, observed: bool) -> None:
        min_ready = ds["spec"].get("minReadySeconds") or 0
        desired, current, misscheduled = tally[DESIRED], tally[CURRENT], tally[MISSCHEDULED]
        ready, available, updated = tally[READY], tally[AVAILABLE], tally[UPDATED]
        old = ds.get("status") or {}
        status: dict[str, Any] = {"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
                                  "desiredNumberScheduled": desired, "numberReady": ready}
        generation = ds["metadata"].get("generation") if observed else old.get("observedGeneration")
        for k, v in (("observedGeneration", generation), ("updatedNumberScheduled", updated),
                     ("numberAvailable", available), ("numberUnavailable", desired - available),
                     ("collisionCount", old.get("collisionCount")), ("conditions", old.get("conditions"))):
            if v:
                status[k] = v
        if status != old:
            self._write_status(ds, status)
        if min_ready and ready != available:
            self.queue.add_after(key_func(ds), float(min_ready))

    def _write_status(self, ds: dict, status: dict) -> None:
        ns = ds["metadata"]["namespace"]
        try:
            self.client.update("daemonsets", {**ds, "status": status}, namespace=ns, subresource="status")
        except ApiError as err:
            if err.code != 409:
                raise
            fresh = self.client.get("daemonsets", ds["metadata"]["name"], namespace=ns)
            fresh["status"] = status
            self.client.update("daemonsets", fresh, namespace=ns, subresource="status")
