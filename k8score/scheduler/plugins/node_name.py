"""NodeName: a pod with ``spec.nodeName`` set by its author only fits that node.

``pkg/scheduler/framework/plugins/nodename/node_name.go``. (Pods created with
``nodeName`` already set skip the scheduler entirely; this Filter matters for
pods whose nodeName is set in their spec but which still reach the scheduler,
e.g. through a PreFilter-narrowed profile, and it documents the rule.)
"""

from __future__ import annotations

from ..events import NODE_ADD
from ..interface import FilterPlugin
from ..status import Status

# pkg/scheduler/framework/plugins/nodename/node_name.go: ErrReason
ERR_REASON = "node(s) didn't match the requested node name"


class NodeName(FilterPlugin):
    name = "NodeName"

    def filter(self, state, pod, node_info):
        wanted = (pod.get("spec") or {}).get("nodeName")
        if not wanted or wanted == node_info.name:
            return None
        return Status.unresolvable(ERR_REASON)

    def filter_nodes(self, state, pod, nodes):
        if not (pod.get("spec") or {}).get("nodeName"):
            return [None] * len(nodes)    # no node name asked for: every node fits
        return super().filter_nodes(state, pod, nodes)

    def events_to_register(self):
        return (NODE_ADD,)
