"""NodePorts: a pod asking for a hostPort needs it free on the node.

``pkg/scheduler/framework/plugins/nodeports/node_ports.go`` and ``framework/types.go``
(``HostPortInfo.CheckConflict``). A wanted ``(ip, protocol, port)`` conflicts with a used
one of the same protocol and port when either IP is ``0.0.0.0`` or both are equal:
hostPort 8080/TCP on 0.0.0.0 blocks 8080/TCP on 10.0.0.1, but not 8080/UDP.
"""

from __future__ import annotations

from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin, PreFilterPlugin
from ..nodeinfo import host_ports
from ..status import Status

# node_ports.go: ErrReason
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
_PRE_FILTER_KEY = "PreFilterNodePorts"
_ANY_IP = "0.0.0.0"


def conflicts(wanted: tuple[tuple[str, str, int], ...], used: dict) -> bool:
    """``fitsPorts`` negated: does any wanted port collide with one in use?"""
    if not used:
        return False
    for ip, proto, port in wanted:
        if ip == _ANY_IP:
            if any(u[1] == proto and u[2] == port for u in used):
                return True
        elif (ip, proto, port) in used or (_ANY_IP, proto, port) in used:
            return True
    return False


class NodePorts(PreFilterPlugin, FilterPlugin):
    name = "NodePorts"

    def pre_filter(self, state, pod, nodes):
        wanted = host_ports(pod)
        if not wanted:
            return None, Status.skip()
        state.write(_PRE_FILTER_KEY, wanted)
        return None, None

    def filter(self, state, pod, node_info):
        wanted = state.get(_PRE_FILTER_KEY)
        if wanted is None:
            wanted = host_ports(pod)
        if conflicts(wanted, node_info.used_ports):
            return Status.unschedulable(ERR_REASON)
        return None

    def events_to_register(self):
        # node_ports.go: a deleted pod may free the port; a new node always may help
        return (ClusterEvent("Pod", ActionType.DELETE, hint=self._after_pod_deleted),
                ClusterEvent("Node", ActionType.ADD))

    def _after_pod_deleted(self, pod, old, new):
        """``isSchedulableAfterPodDeleted``: the deleted pod was bound and held a wanted port."""
        if old is None or not (old.get("spec") or {}).get("nodeName"):
            return False
        used = {p: 1 for p in host_ports(old)}
        return conflicts(host_ports(pod), used)
