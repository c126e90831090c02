"""DefaultPreemption: when no node fits, evict lower-priority pods to make room.

``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`` and
``pkg/scheduler/framework/preemption/preemption.go`` (``Evaluator.Preempt``):

1. ``PodEligibleToPreemptOthers``: not with ``preemptionPolicy: Never``; not while a
   lower-priority pod on the pod's nominated node is still terminating because of an
   earlier preemption (unless that node is now UnschedulableAndUnresolvable).
2. Only nodes that failed with a *resolvable* status (Unschedulable) are tried;
   UnschedulableAndUnresolvable ones get "Preemption is not helpful for scheduling".
   From a random offset, nodes are dry-run until ``numCandidates`` (10 % of them, at
   least 100: ``minCandidateNodesPercentage`` / ``minCandidateNodesAbsolute``) are found
   and at least one of them violates no PodDisruptionBudget.
3. ``SelectVictimsOnNode`` on copies of the NodeInfo and the CycleState: remove every
   pod of lower priority; if the pod still does not fit, this node cannot help.
   Otherwise reprieve (add back, if the pod still fits) the victims whose eviction would
   violate a PDB first, then the others, each group most important first (priority,
   then earlier start). Filters run with the nominated pods counted.
4. ``pickOneNodeForPreemption``: fewest PDB violations, then the lowest highest-priority
   victim, the smallest sum of priorities (each shifted by 2^31), the fewest victims, the
   latest start time among the highest-priority victims, then the first candidate.
5. ``prepareCandidate``: each victim gets the ``DisruptionTarget`` condition (reason
   ``PreemptionByScheduler``) and is deleted; Event ``Preempted``; a victim waiting on
   Permit is rejected instead. Lower-priority pods nominated to that node lose their
   nomination. The scheduler nominates the node (``status.nominatedNodeName``).

When nothing can be done, the message appended to FailedScheduling is e.g.
``preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling,
2 No preemption victims found for incoming pod.``
"""

from __future__ import annotations

from ..algorithm import Diagnosis, FitError
from ..interface import PostFilterPlugin, PostFilterResult
from ..nodeinfo import NodeInfo, PodInfo
from ..status import Code, Status

# preemption.go / default_preemption.go messages
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
# config/v1/defaults.go: DefaultPreemptionArgs MinCandidateNodesPercentage 10, MinCandidateNodesAbsolute 100
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100
# core/v1 types.go: DisruptionTarget, PodReasonPreemptionByScheduler
DISRUPTION_TARGET = "DisruptionTarget"
PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"
# preemption.go pickOneNodeForPreemption: priorities are shifted by MaxInt32+1 before summing
_SHIFT = 2 ** 31
# a pod without status.startTime started "now" (util.GetPodStartTime): later than any stamp
_NOW = "~"


def num_candidates(num_nodes: int, percentage: int = MIN_CANDIDATE_NODES_PERCENTAGE,
                   absolute: int = MIN_CANDIDATE_NODES_ABSOLUTE) -> int:
    """``calculateNumCandidates``: ``percentage`` % of the nodes, at least ``absolute``, at most all.

    >>> num_candidates(50), num_candidates(5000), num_candidates(5000, 1, 10)
    (50, 500, 50)
    """
    n = num_nodes * percentage // 100
    return min(max(n, absolute), num_nodes)


def _priority(pod: dict) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def _start(pod: dict) -> str:
    return (pod.get("status") or {}).get("startTime") or _NOW


def _more_important_key(pi: PodInfo) -> tuple:
    """``util.MoreImportantPod`` as a sort key: higher priority, then earlier start."""
    return (-pi.priority, _start(pi.pod), pi.key)


def terminating_by_preemption(pod: dict) -> bool:
    """``podTerminatingByPreemption``: being deleted, with DisruptionTarget from the scheduler."""
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return any(c.get("type") == DISRUPTION_TARGET and c.get("reason") == PREEMPTION_BY_SCHEDULER
               and c.get("status") == "True" for c in (pod.get("status") or {}).get("conditions") or ())


class Candidate:
    """A node where evicting ``victims`` (most important first) lets the pod fit."""

    __slots__ = ("name", "victims", "num_pdb_violations")

    def __init__(self, name: str, victims: list[dict], num_pdb_violations: int):
        self.name, self.victims, self.num_pdb_violations = name, victims, num_pdb_violations

    def __repr__(self) -> str:
        return f"<Candidate {self.name} victims={[v['metadata']['name'] for v in self.victims]} " \
               f"pdb={self.num_pdb_violations}>"


def pick_one_node_for_preemption(candidates: list[Candidate]) -> str:
    """``pickOneNodeForPreemption``: apply each criterion to the nodes still tied."""
    if not candidates:
        return ""
    criteria = (
        lambda c: -c.num_pdb_violations,
        lambda c: -_priority(c.victims[0]),
        lambda c: -sum(_priority(v) + _SHIFT for v in c.victims),
        lambda c: -len(c.victims),
        # GetEarliestPodStartTime: the earliest start among the highest-priority victims;
        # the node where that is latest wins (its victims have run the shortest time)
        lambda c: min(_start(v) for v in c.victims if _priority(v) == _priority(c.victims[0])),
    )
    tied = list(candidates)
    for score in criteria:
        best = max(score(c) for c in tied)
        tied = [c for c in tied if score(c) == best]
        if len(tied) == 1:
            break
    return tied[0].name


def filter_pods_with_pdb_violation(pods: list[PodInfo], pdbs: list[dict]) -> tuple[list[PodInfo], list[PodInfo]]:
    """``filterPodsWithPDBViolation``: (violating, non-violating), keeping order.

    Each budget's ``disruptionsAllowed`` is spent by the pods it selects, in order; a pod
    that drives some budget below zero is violating. A budget with an empty selector
    selects nothing; a pod already in its ``disruptedPods`` does not spend it."""
    from ...api.selectors import cached_label_selector
    allowed = [int((p.get("status") or {}).get("disruptionsAllowed") or 0) for p in pdbs]
    violating: list[PodInfo] = []
    ok: list[PodInfo] = []
    for pi in pods:
        violated = False
        if pi.labels:
            for i, pdb in enumerate(pdbs):
                meta = pdb.get("metadata") or {}
                if (meta.get("namespace") or "default") != pi.namespace:
                    continue
                sel_spec = (pdb.get("spec") or {}).get("selector")
                try:
                    sel = cached_label_selector(sel_spec) if sel_spec else None
                except Exception:  # noqa: BLE001 - an invalid selector matches nothing
                    continue
                if sel is None or sel.empty() or not sel.matches(pi.labels):
                    continue
                name = (pi.pod.get("metadata") or {}).get("name")
                if name in ((pdb.get("status") or {}).get("disruptedPods") or {}):
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else ok).append(pi)
    return violating, ok


class DefaultPreemption(PostFilterPlugin):
    name = "DefaultPreemption"

    def __init__(self, min_candidate_nodes_percentage: int = MIN_CANDIDATE_NODES_PERCENTAGE,
                 min_candidate_nodes_absolute: int = MIN_CANDIDATE_NODES_ABSOLUTE):
        self.min_pct = min_candidate_nodes_percentage
        self.min_abs = min_candidate_nodes_absolute

    def post_filter(self, state, pod, node_statuses):
        result, status = self._preempt(state, pod, node_statuses)
        if status.message:
            # default_preemption.go: every message is prefixed, and appended to the FitError's
            status = Status(status.code, "preemption: " + status.message)
        return result, status

    # -- Evaluator.Preempt -------------------------------------------------------------
    def eligible(self, pod: dict, node_statuses: dict[str, Status]) -> str:
        """``PodEligibleToPreemptOthers``: "" if eligible, else the reason."""
        if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
            return NOT_ELIGIBLE_NEVER
        nominated_name = (pod.get("status") or {}).get("nominatedNodeName") or ""
        if nominated_name:
            s = node_statuses.get(nominated_name)
            if s is not None and s.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return ""
            ni = self.handle.snapshot.get(nominated_name)
            prio = _priority(pod)
            if ni is not None and any(p.priority < prio and terminating_by_preemption(p.pod)
                                      for p in ni.pods.values()):
                return NOT_ELIGIBLE_TERMINATING
        return ""

    def _pdbs(self) -> list[dict]:
        lister = self.handle.lister("poddisruptionbudgets")
        return lister.list() if lister is not None else []

    def _preempt(self, state, pod, node_statuses):
        """(nominating result or None, status)."""
        reason = self.eligible(pod, node_statuses)
        if reason:
            return None, Status(Code.UNSCHEDULABLE, reason)
        snapshot = self.handle.snapshot
        candidates, diagnosis = self.find_candidates(state, pod, node_statuses)
        if not candidates:
            diagnosis.absent_status = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, NOT_HELPFUL)
            msg = FitError(pod, snapshot.num_nodes(), diagnosis).message()
            return PostFilterResult(""), Status(Code.UNSCHEDULABLE, msg)   # "" clears a stale nomination
        best = next(c for c in candidates if c.name == pick_one_node_for_preemption(candidates))
        s = self._prepare(pod, best)
        if s is not None:
            return None, s
        return PostFilterResult(best.name), Status.success()

    def find_candidates(self, state, pod, node_statuses) -> tuple[list[Candidate], Diagnosis]:
        """``findCandidates`` + ``DryRunPreemption``: candidates without PDB violations first."""
        snapshot = self.handle.snapshot
        diagnosis = Diagnosis()
        potential = []
        for ni in snapshot.node_infos:
            s = node_statuses.get(ni.name)
            if s is None:
                continue
            if s.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                diagnosis.node_to_status[ni.name] = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, NOT_HELPFUL)
            else:
                potential.append(ni)
        if not potential:
            return [], diagnosis
        pdbs = self._pdbs()
        rng = self.handle.rng
        offset = rng.randrange(len(potential)) if rng is not None else 0
        wanted = num_candidates(len(potential), self.min_pct, self.min_abs)
        clean: list[Candidate] = []
        violating: list[Candidate] = []
        for i in range(len(potential)):
            ni = potential[(offset + i) % len(potential)]
            victims, n_violations, s = self.select_victims_on_node(state, pod, ni, pdbs)
            if s is None:
                (violating if n_violations else clean).append(Candidate(ni.name, victims, n_violations))
                if clean and len(clean) + len(violating) >= wanted:
                    break
            else:
                diagnosis.node_to_status[ni.name] = s
        return clean + violating, diagnosis

    def select_victims_on_node(self, state, pod, ni: NodeInfo, pdbs: list[dict]):
        """``SelectVictimsOnNode``: (victims most important first, PDB violations, None) if
        evicting them lets ``pod`` fit on ``ni``, else (None, 0, status). Works on copies."""
        fw = self.handle
        prio = _priority(pod)
        lower = [p for p in ni.pods.values() if p.priority < prio]
        if not lower:
            return None, 0, Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, NO_VICTIMS)
        # every removal and reprieve is told to the PreFilter states (InterPodAffinity and
        # PodTopologySpread count pods), so a victim blocking through them is found too
        st = state.clone()
        trial = ni.clone()
        for p in lower:
            trial.remove_pod(p.key)
            fw.run_pre_filter_extension_remove_pod(st, pod, p, trial)
        s = fw.run_filter_with_nominated_pods(st, pod, trial)
        if s is not None:
            return None, 0, s
        lower.sort(key=_more_important_key)
        bad, good = filter_pods_with_pdb_violation(lower, pdbs)
        victims: list[PodInfo] = []

        def reprieve(p: PodInfo) -> bool:
            trial.add_pod(p)
            fw.run_pre_filter_extension_add_pod(st, pod, p, trial)
            if fw.run_filter_with_nominated_pods(st, pod, trial) is None:
                return True
            trial.remove_pod(p.key)
            fw.run_pre_filter_extension_remove_pod(st, pod, p, trial)
            victims.append(p)
            return False

        n_violations = sum(1 for p in bad if not reprieve(p))
        for p in good:
            reprieve(p)
        if bad and good:
            victims.sort(key=_more_important_key)
        if not victims:
            # DryRunPreemption: success without victims is an error for this node
            return None, 0, Status(Code.ERROR, f'expected at least one victim pod on node "{ni.name}"')
        return [p.pod for p in victims], n_violations, None

    # -- prepareCandidate ------------------------------------------------------------------
    def _prepare(self, pod: dict, c: Candidate) -> Status | None:
        """Evict the victims (DisruptionTarget, then delete; a victim held by Permit is
        rejected instead), then clear lower-priority nominations on the node."""
        from ...client import ApiError  # here, so the pure plugins import without the client
        from ...sim.clock import rfc3339

        fw = self.handle
        client, recorder, waiting = fw.client, fw.recorder, fw.waiting_pods
        uid = (pod.get("metadata") or {}).get("uid", "")
        scheduler_name = (pod.get("spec") or {}).get("schedulerName") or "default-scheduler"
        for v in c.victims:
            meta = v.get("metadata") or {}
            if meta.get("deletionTimestamp"):
                continue   # graceful deletion already started: no second API call
            key = f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
            if waiting is not None and key in waiting:
                waiting.reject(key, self.name, "preempted")
            else:
                ns = meta.get("namespace") or "default"
                try:
                    cond = {"type": DISRUPTION_TARGET, "status": "True", "reason": PREEMPTION_BY_SCHEDULER,
                            "message": f"{scheduler_name}: preempting to accommodate a higher priority pod",
                            "lastProbeTime": None, "lastTransitionTime": rfc3339(fw.now())}
                    conds = [x for x in (v.get("status") or {}).get("conditions") or ()
                             if x.get("type") != DISRUPTION_TARGET] + [cond]
                    client.patch("pods", meta.get("name"), {"status": {"conditions": conds}},
                                 namespace=ns, subresource="status")
                    client.delete("pods", meta.get("name"), namespace=ns)
                except ApiError as e:
                    if e.code != 404:
                        return Status(Code.ERROR, str(e))
                    continue     # already gone: nothing to report
            if recorder is not None:
                recorder.event(v, "Normal", "Preempted", f"Preempted by pod {uid} on node {c.name}")
        self._clear_lower_nominations(pod, c.name)
        return None

    def _clear_lower_nominations(self, pod: dict, node: str) -> None:
        """``getLowerPriorityNominatedPods`` + ``clearNominatedNodeName``: they may no longer fit."""
        from ...client import ApiError

        fw = self.handle
        if fw.nominator is None:
            return
        prio = _priority(pod)
        for pi in fw.nominator.pods_for_node(node):
            if pi.priority >= prio:
                continue
            meta = pi.pod.get("metadata") or {}
            try:
                fw.client.patch("pods", meta.get("name"), {"status": {"nominatedNodeName": None}},
                                namespace=meta.get("namespace") or "default", subresource="status")
            except ApiError:
                pass   # not critical, as upstream: logged and carried on
