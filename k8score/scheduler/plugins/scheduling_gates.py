"""SchedulingGates: a pod with ``spec.schedulingGates`` is not scheduled until they are gone.

``pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go``. PreEnqueue keeps
the gated pod out of activeQ (it waits in unschedulablePods, ``kubectl get pods`` shows
``SchedulingGated`` from the PodScheduled condition the API server set at creation); the
update removing the last gate puts it in activeQ.
"""

from __future__ import annotations

from ..events import ActionType, ClusterEvent
from ..interface import PreEnqueuePlugin
from ..status import Status


class SchedulingGates(PreEnqueuePlugin):
    name = "SchedulingGates"

    def pre_enqueue(self, pod):
        gates = (pod.get("spec") or {}).get("schedulingGates") or ()
        if not gates:
            return None
        names = [g.get("name", "") for g in gates]
        # scheduling_gates.go: "waiting for scheduling gates: %v" (Go's %v of a []string)
        return Status.unresolvable(f"waiting for scheduling gates: [{' '.join(names)}]")

    def events_to_register(self):
        # the pod's own update (gates removed) requeues it; see SchedulingQueue.update
        return (ClusterEvent("UnscheduledPod", ActionType.UPDATE_OTHER, hint=self._after_update),)

    def _after_update(self, pod, old, new):
        return not ((new or {}).get("spec") or {}).get("schedulingGates")
