"""NodeUnschedulable: cordoned nodes (``spec.unschedulable: true``) take no new pods.

``pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go``.
A pod that tolerates the ``node.kubernetes.io/unschedulable:NoSchedule`` taint
(DaemonSet pods get that toleration automatically) may still land there.
"""

from __future__ import annotations

from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin
from ..status import Status
from ...api.taints import NO_SCHEDULE, TAINT_NODE_UNSCHEDULABLE, tolerations_tolerate

# node_unschedulable.go: ErrReasonUnschedulable
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
_UNSCHEDULABLE_TAINT = {"key": TAINT_NODE_UNSCHEDULABLE, "effect": NO_SCHEDULE}


def _cordoned(ni) -> bool:
    return ni.unschedulable


class NodeUnschedulable(FilterPlugin):
    name = "NodeUnschedulable"

    def filter(self, state, pod, node_info):
        if not node_info.unschedulable:
            return None
        tolerations = (pod.get("spec") or {}).get("tolerations") or ()
        if tolerations_tolerate(tolerations, _UNSCHEDULABLE_TAINT):
            return None
        return Status.unresolvable(ERR_REASON_UNSCHEDULABLE)

    def filter_nodes(self, state, pod, nodes):
        filt = self.filter   # only a cordoned node can say no
        rng = state.node_range
        if rng is not None:
            snap, start, count = rng
            cordoned = snap.column_range("unschedulable", _cordoned, start, count)
            if not any(cordoned):
                return [None] * count
            return [filt(state, pod, ni) if c else None for c, ni in zip(cordoned, nodes)]
        return [filt(state, pod, ni) if ni.unschedulable else None for ni in nodes]

    def events_to_register(self):
        return (ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT, hint=self._after_node_change),)

    def _after_node_change(self, pod, old, new):
        """``isSchedulableAfterNodeChange``: the node is schedulable now (or the pod tolerates
        the unschedulable taint) and was cordoned before."""
        if new is None:
            return False
        tolerations = (pod.get("spec") or {}).get("tolerations") or ()
        if (new.get("spec") or {}).get("unschedulable") and not tolerations_tolerate(tolerations, _UNSCHEDULABLE_TAINT):
            return False
        return old is None or bool((old.get("spec") or {}).get("unschedulable"))
