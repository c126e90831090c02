"""DefaultPreemption: when no node fits, evict lower-priority pods to make room.

``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`` and
``pkg/scheduler/framework/preemption/preemption.go`` (``Evaluator.Preempt``),
simplified where noted:

1. The pod must be allowed to preempt (``preemptionPolicy`` is not ``Never``).
2. Only nodes that failed with a *resolvable* status (Unschedulable) are tried;
   UnschedulableAndUnresolvable ones get "Preemption is not helpful for scheduling".
3. Dry run per node, on a copy of its NodeInfo: remove every pod with lower
   priority; if the pod still does not fit, this node cannot help. Otherwise add
   victims back, most important first, as long as the pod still fits
   ("reprieve"); whatever cannot come back is a victim.
4. Pick the node whose most important victim has the lowest priority, then the
   lowest sum of victim priorities, then the fewest victims (``pickOneNodeForPreemption``;
   PodDisruptionBudgets and victim start times are not modelled yet).
5. Delete the victims through the API server (Event ``Preempted``) and nominate
   the node: the scheduler writes ``status.nominatedNodeName`` and retries the pod
   when the victims are gone.

When nothing can be done, the message appended to FailedScheduling is e.g.
``preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling,
2 No preemption victims found for incoming pod.``
"""

from __future__ import annotations

from ..algorithm import Diagnosis, FitError
from ..interface import PostFilterPlugin, PostFilterResult
from ..nodeinfo import NodeInfo
from ..status import Code, Status

# preemption.go / default_preemption.go messages
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
# config/v1/defaults.go: DefaultPreemptionArgs MinCandidateNodesPercentage 10, MinCandidateNodesAbsolute 100
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100


def num_candidates(num_nodes: int) -> int:
    """``calculateNumCandidates``: 10% of the nodes, at least 100, at most all."""
    n = num_nodes * MIN_CANDIDATE_NODES_PERCENTAGE // 100
    return min(max(n, MIN_CANDIDATE_NODES_ABSOLUTE), num_nodes)


def _priority(pod: dict) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


class DefaultPreemption(PostFilterPlugin):
    name = "DefaultPreemption"

    def post_filter(self, state, pod, node_statuses):
        result, status = self._preempt(state, pod, node_statuses)
        if status.message:
            # default_preemption.go: every message is prefixed, and appended to the FitError's
            status = Status(status.code, "preemption: " + status.message)
        return result, status

    def _preempt(self, state, pod, node_statuses):
        """``Evaluator.Preempt``: (nominating result or None, status)."""
        if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
            return None, Status(Code.UNSCHEDULABLE, NOT_ELIGIBLE_NEVER)
        fw = self.handle
        snapshot = fw.snapshot
        nominated = snapshot.get((pod.get("status") or {}).get("nominatedNodeName") or "")
        if nominated is not None and any(
                p.priority < _priority(pod) and (p.pod.get("metadata") or {}).get("deletionTimestamp")
                for p in nominated.pods.values()):
            # podEligibleToPreemptOthers: victims of an earlier preemption are still terminating
            return None, Status(Code.UNSCHEDULABLE, NOT_ELIGIBLE_TERMINATING)
        potential = [ni for ni in snapshot.node_infos
                     if node_statuses.get(ni.name) is not None
                     and node_statuses[ni.name].code != Code.UNSCHEDULABLE_AND_UNRESOLVABLE]
        diagnosis = Diagnosis()
        for name, s in node_statuses.items():
            if s.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                diagnosis.node_to_status[name] = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, NOT_HELPFUL)
        candidates = []
        if potential:
            rng = getattr(fw, "rng", None)
            offset = rng.randrange(len(potential)) if rng is not None else 0
            wanted = num_candidates(len(potential))
            for i in range(len(potential)):
                ni = potential[(offset + i) % len(potential)]
                victims, s = self._select_victims(state, pod, ni)
                if s is None:
                    candidates.append((ni.name, victims))
                    if len(candidates) >= wanted:
                        break
                else:
                    diagnosis.node_to_status[ni.name] = s
        if not candidates:
            diagnosis.absent_status = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, NOT_HELPFUL)
            msg = FitError(pod, snapshot.num_nodes(), diagnosis).message()
            return PostFilterResult(""), Status(Code.UNSCHEDULABLE, msg)   # "" clears a stale nomination
        node, victims = min(candidates, key=lambda c: (
            max(_priority(v) for v in c[1]) if c[1] else -(2**31),
            sum(_priority(v) for v in c[1]), len(c[1])))
        s = self._prepare(pod, node, victims)
        if s is not None:
            return None, s
        return PostFilterResult(node), Status.success()

    def _select_victims(self, state, pod, ni: NodeInfo):
        """(victims, None) if evicting them lets ``pod`` fit on ``ni``, else (None, status)."""
        prio = _priority(pod)
        lower = [p for p in ni.pods.values() if p.priority < prio]
        if not lower:
            return None, Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, NO_VICTIMS)
        trial = ni.clone()
        for p in lower:
            trial.remove_pod(p.key)
        s = self.handle.run_filter(state, pod, trial)
        if s is not None:
            return None, s
        # reprieve as many as possible, most important first (higher priority, then name)
        victims = []
        for p in sorted(lower, key=lambda p: (-p.priority, p.key)):
            trial.add_pod(p)
            if self.handle.run_filter(state, pod, trial) is not None:
                trial.remove_pod(p.key)
                victims.append(p.pod)
        return victims, None

    def _prepare(self, pod: dict, node: str, victims: list[dict]) -> Status | None:
        """Delete the victims (``prepareCandidate``); the preemptor retries when they are gone."""
        from ...client import ApiError  # here, so the pure plugins import without the client

        client = self.handle.client
        recorder = getattr(self.handle, "recorder", None)
        uid = (pod.get("metadata") or {}).get("uid", "")
        for v in victims:
            meta = v.get("metadata") or {}
            try:
                client.delete("pods", meta.get("name"), namespace=meta.get("namespace") or "default")
            except ApiError as e:
                if e.code != 404:
                    return Status(Code.ERROR, str(e))
            if recorder is not None:
                recorder.event(v, "Normal", "Preempted", f"Preempted by pod {uid} on node {node}")
        return None
