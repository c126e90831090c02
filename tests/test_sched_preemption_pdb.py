"""DefaultPreemption: PodDisruptionBudgets, victim order, candidate ranking, DisruptionTarget.

Upstream: ``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go``
(``SelectVictimsOnNode``, ``filterPodsWithPDBViolation``, ``PodEligibleToPreemptOthers``,
``calculateNumCandidates``) and ``pkg/scheduler/framework/preemption/preemption.go``
(``DryRunPreemption``, ``pickOneNodeForPreemption``, ``prepareCandidate``: the
``DisruptionTarget`` condition, reason ``PreemptionByScheduler``, message
``"<schedulerName>: preempting to accommodate a higher priority pod"``).
"""

from apihelpers import default_service_accounts, ready_nodes

from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.scheduler import CycleState, Framework, Scheduler, Snapshot, build_profile
from k8score.scheduler.nodeinfo import PodInfo
from k8score.scheduler.plugins.default_preemption import (Candidate, filter_pods_with_pdb_violation,
                                                          num_candidates, pick_one_node_for_preemption)
from k8score.scheduler.testing import make_node, make_pod
from k8score.sim import Loop


def pod(name, cpu, prio, app=None, node="node-1", start=None):
    p = make_pod(name, {"cpu": cpu}, node_name=node, priority=prio or None)
    if app:
        p["metadata"]["labels"] = {"app": app}
    if start:
        p["status"]["startTime"] = start
    return p


def pdb(name, app, allowed, disrupted=None, ns="default"):
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": app}}},
            "status": {"disruptionsAllowed": allowed, "disruptedPods": disrupted or {}}}


class FakeFactory:
    def __init__(self, pdbs):
        self.pdbs = pdbs

    def informer(self, resource):
        assert resource == "poddisruptionbudgets"
        return self

    def list(self, namespace=None):
        return list(self.pdbs)


def framework(nodes, pods, pdbs=()):
    snap = Snapshot.from_objects(nodes, pods)
    fw = Framework(build_profile(plugins=[("NodeResourcesFit", 1), ("DefaultPreemption", 0),
                                          ("DefaultBinder", 0)]),
                   informer_factory=FakeFactory(list(pdbs)), snapshot=snap)
    return fw, snap


def victims_on(fw, snap, preemptor, node="node-1"):
    state = CycleState()
    fw.run_pre_filter(state, preemptor, snap.node_infos)
    pl = fw.plugin("DefaultPreemption")
    victims, violations, s = pl.select_victims_on_node(state, preemptor, snap.get(node),
                                                       pl._pdbs())
    return ([v["metadata"]["name"] for v in victims] if victims else None), violations, s


# --- SelectVictimsOnNode ---------------------------------------------------------------------
def test_pdb_protected_pod_is_reprieved_before_a_more_important_unprotected_one():
    # node 4 CPU: a (prio 10, 1 CPU, started later, PDB allows 0), b (prio 10, 1 CPU, started
    # first), c (prio 5, 2 CPU). The preemptor needs 3 CPU: only 1 CPU can stay.
    nodes = [make_node("node-1", cpu="4")]
    pods = [pod("a", "1", 10, "db", start="2026-01-01T00:00:09Z"),
            pod("b", "1", 10, "web", start="2026-01-01T00:00:01Z"), pod("c", "2", 5)]
    big = make_pod("big", {"cpu": "3"}, priority=100)
    # without a budget, b is the more important (earlier start): b stays, a and c go
    fw, snap = framework(nodes, pods)
    assert victims_on(fw, snap, big) == (["a", "c"], 0, None)
    # with the budget, a is tried first and stays: b and c go, no violation
    fw, snap = framework(nodes, pods, [pdb("db", "db", 0)])
    assert victims_on(fw, snap, big) == (["b", "c"], 0, None)


def test_a_violation_is_counted_when_the_protected_pod_cannot_stay():
    nodes = [make_node("node-1", cpu="4")]
    pods = [pod("a", "2", 10, "db"), pod("b", "2", 10, "db")]
    big = make_pod("big", {"cpu": "4"}, priority=100)
    # one disruption allowed: the first pod spends it, the second violates
    fw, snap = framework(nodes, pods, [pdb("db", "db", 1)])
    names, violations, s = victims_on(fw, snap, big)
    assert sorted(names) == ["a", "b"] and violations == 1 and s is None
    # two allowed: none violates
    fw, snap = framework(nodes, pods, [pdb("db", "db", 2)])
    assert victims_on(fw, snap, big)[1] == 0


def test_no_lower_priority_pod_is_unresolvable_and_too_big_is_the_filter_status():
    nodes = [make_node("node-1", cpu="4")]
    fw, snap = framework(nodes, [pod("a", "1", 100)])
    _, _, s = victims_on(fw, snap, make_pod("big", {"cpu": "4"}, priority=100))
    assert s.message == "No preemption victims found for incoming pod"
    fw, snap = framework(nodes, [pod("a", "1", 0), pod("z", "1", 200)])
    _, _, s = victims_on(fw, snap, make_pod("big", {"cpu": "4"}, priority=100))
    assert list(s.reasons) == ["Insufficient cpu"]


def test_pdb_matching_rules():
    pis = [PodInfo(pod("a", "1", 0, "db")), PodInfo(pod("b", "1", 0, "db")), PodInfo(pod("n", "1", 0))]
    # the pod named in disruptedPods does not spend the budget: b is then the first spender
    bad, ok = filter_pods_with_pdb_violation(pis, [pdb("db", "db", 0, disrupted={"a": "x"})])
    assert [p.key for p in bad] == ["default/b"] and [p.key for p in ok] == ["default/a", "default/n"]
    # another namespace's budget and an empty selector match nothing
    other = pdb("db", "db", 0, ns="prod")
    empty = {"metadata": {"name": "e", "namespace": "default"}, "spec": {"selector": {}},
             "status": {"disruptionsAllowed": 0}}
    bad, _ = filter_pods_with_pdb_violation(pis, [other, empty])
    assert bad == []


# --- pickOneNodeForPreemption -------------------------------------------------------------------
def c(name, prios, violations=0, starts=None):
    victims = [pod(f"{name}-{i}", "1", p, start=(starts or {}).get(i)) for i, p in enumerate(prios)]
    return Candidate(name, victims, violations)


def test_candidates_ranked_by_each_criterion_in_turn():
    # 1. fewest PDB violations beats lower priorities
    assert pick_one_node_for_preemption([c("n1", [1], 1), c("n2", [50], 0)]) == "n2"
    # 2. lowest highest-priority victim beats fewer victims
    assert pick_one_node_for_preemption([c("n1", [10]), c("n2", [5, 5, 5])]) == "n2"
    # 3. smallest sum: [10, 1] vs [10, 2] (shifted by 2^31 each, same count)
    assert pick_one_node_for_preemption([c("n1", [10, 2]), c("n2", [10, 1])]) == "n2"
    # 3'. the shift makes one negative-priority victim cheaper than two: [-5] vs [-5, -5]
    assert pick_one_node_for_preemption([c("n1", [-5, -5]), c("n2", [-5])]) == "n2"
    # 4. fewest victims at equal sums is decided by the shift too; equal everything but count
    assert pick_one_node_for_preemption([c("n1", [0, 0]), c("n2", [0])]) == "n2"
    # 5. latest start of the highest-priority victims
    early, late = "2026-01-01T00:00:01Z", "2026-01-01T00:01:00Z"
    assert pick_one_node_for_preemption([c("n1", [7], starts={0: early}), c("n2", [7], starts={0: late})]) == "n2"
    # 6. a full tie: the first candidate
    assert pick_one_node_for_preemption([c("n1", [7]), c("n2", [7])]) == "n1"
    assert pick_one_node_for_preemption([]) == ""


def test_num_candidates_percentage_and_absolute_floor():
    assert [num_candidates(n) for n in (3, 100, 999, 1000, 1001, 5000)] == [3, 100, 100, 100, 100, 500]
    assert num_candidates(5000, percentage=1, absolute=10) == 50
    assert num_candidates(500, percentage=1, absolute=10) == 10


def classed(name, cpu, cls):
    p = make_pod(name, {"cpu": cpu})
    p["spec"]["priorityClassName"] = cls
    return p


# --- the component: PDB-aware node choice, DisruptionTarget, events ---------------------------------
class Env:
    def __init__(self, nodes):
        self.loop = Loop(0)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api)
        self.client = Client(self.api, user="kubernetes-admin")
        # priority admission: a pod's priority comes from its PriorityClass
        for name, value, policy in (("high", 1000, "PreemptLowerPriority"), ("polite", 1000, "Never")):
            self.client.create("priorityclasses", {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                   "metadata": {"name": name}, "value": value,
                                                   "preemptionPolicy": policy})
        for n in nodes:
            self.client.create("nodes", n)
        ready_nodes(self.api, [n["metadata"]["name"] for n in nodes])
        self.sched = Scheduler(self.loop, self.api, seed=0)
        self.sched.start()
        self.run(0.5)

    def run(self, seconds=2.0):
        self.loop.run(until=self.loop.now + seconds)

    def get(self, name):
        return self.client.get("pods", name, namespace="default")

    def events(self, reason):
        return [e for e in self.client.list("events", namespace="default")["items"] if e["reason"] == reason]


def test_the_node_without_budget_violations_is_chosen_and_victims_get_disruption_target():
    env = Env([make_node("node-1", cpu="4"), make_node("node-2", cpu="4")])
    for name, node, app in (("db-1", "node-1", "db"), ("db-2", "node-1", "db"),
                            ("web-1", "node-2", "web"), ("web-2", "node-2", "web")):
        env.client.create("pods", pod(name, "1500m", 0, app, node=node))
    env.client.create("poddisruptionbudgets", {"metadata": {"name": "db"},
                                               "spec": {"maxUnavailable": 0,
                                                        "selector": {"matchLabels": {"app": "db"}}}})
    env.client.patch("poddisruptionbudgets", "db", {"status": {"disruptionsAllowed": 0}},
                     namespace="default", subresource="status")
    env.run(1)
    env.client.create("pods", classed("urgent", "2", "high"))
    env.run(1)
    # node-1 would need one db pod (1 violation); node-2 one web pod (none)
    assert env.get("urgent")["status"]["nominatedNodeName"] == "node-2"
    assert env.sched.nominator.node_of("default/urgent") == "node-2"
    gone = [n for n in ("web-1", "web-2") if env.get(n)["metadata"].get("deletionTimestamp")]
    assert len(gone) == 1 and not env.get("db-1")["metadata"].get("deletionTimestamp")
    [cond] = [x for x in env.get(gone[0])["status"]["conditions"] if x["type"] == "DisruptionTarget"]
    assert (cond["status"], cond["reason"], cond["message"]) == \
        ("True", "PreemptionByScheduler", "default-scheduler: preempting to accommodate a higher priority pod")
    [ev] = env.events("Preempted")
    uid = env.get("urgent")["metadata"]["uid"]
    assert ev["message"] == f"Preempted by pod {uid} on node node-2" and ev["involvedObject"]["name"] == gone[0]
    # the victim is still terminating (no kubelet here); the pod's next attempt, after the
    # 5-minute maximum stay in unschedulablePods, is not eligible to preempt again
    env.run(360)
    msgs = [e["message"] for e in env.events("FailedScheduling")]
    assert msgs[-1] == ("0/2 nodes are available: 2 Insufficient cpu. preemption: "
                        "not eligible due to a terminating pod on the nominated node.")
    assert len(env.events("Preempted")) == 1


def test_when_every_node_violates_the_fewest_violations_win():
    env = Env([make_node("node-1", cpu="4"), make_node("node-2", cpu="4")])
    for name, node in (("a-1", "node-1"), ("a-2", "node-1"), ("b-1", "node-2"), ("b-2", "node-2")):
        env.client.create("pods", pod(name, "2", 0, name[0], node=node))
    for app in ("a", "b"):
        env.client.create("poddisruptionbudgets", {"metadata": {"name": app}, "spec": {
            "maxUnavailable": 0, "selector": {"matchLabels": {"app": app}}}})
    # a's budget allows one disruption, b's none
    env.client.patch("poddisruptionbudgets", "a", {"status": {"disruptionsAllowed": 1}},
                     namespace="default", subresource="status")
    env.run(1)
    env.client.create("pods", classed("urgent", "4", "high"))
    env.run(1)
    # node-1: 2 victims, 1 violation; node-2: 2 victims, 2 violations -> node-1 anyway
    assert env.get("urgent")["status"]["nominatedNodeName"] == "node-1"
    assert all(env.get(n)["metadata"].get("deletionTimestamp") for n in ("a-1", "a-2"))
    assert not any(env.get(n)["metadata"].get("deletionTimestamp") for n in ("b-1", "b-2"))


def test_preemption_policy_never_does_not_evict():
    env = Env([make_node("node-1", cpu="2")])
    env.client.create("pods", pod("low", "2", 0))
    env.client.create("pods", classed("polite", "1", "polite"))
    env.run(2)
    assert env.events("FailedScheduling")[-1]["message"] == \
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    assert not env.events("Preempted") and not env.get("low")["metadata"].get("deletionTimestamp")
    assert not env.get("polite")["status"].get("nominatedNodeName")
