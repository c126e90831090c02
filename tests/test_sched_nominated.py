"""Nominated pods: the space preemption freed for a pod is not handed to a lower-priority pod.

Upstream: ``pkg/scheduler/framework/runtime/framework.go`` (``RunFilterPluginsWithNominatedPods``,
``addGENominatedPods``: nominated pods of equal or higher priority count on their node, then
Filter runs again without them), ``pkg/scheduler/backend/queue/nominator.go``
(``AddNominatedPod``, ``updateNominatedPodUnlocked``, ``DeleteNominatedPodIfExists``) and
``pkg/scheduler/schedule_one.go`` (the nomination recorded on failure, removed on assume).
"""

from apihelpers import default_service_accounts, ready_nodes

from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.scheduler import CycleState, Framework, Scheduler, Snapshot, build_profile
from k8score.scheduler.nominator import Nominator
from k8score.scheduler.testing import make_node, make_pod
from k8score.sim import Loop


def nominated(name, cpu, prio):
    p = make_pod(name, {"cpu": cpu}, priority=prio)
    p["status"]["nominatedNodeName"] = "node-1"
    return p


def verdict(pod, nominations, used="1"):
    """Filter ``pod`` on node-1 (4 CPU, ``used`` CPU taken) with ``nominations`` nominated there."""
    nom = Nominator()
    for p in nominations:
        nom.add(p, "node-1")
    snap = Snapshot.from_objects([make_node("node-1", cpu="4")],
                                 [make_pod("running", {"cpu": used}, node_name="node-1")])
    fw = Framework(build_profile(plugins=[("NodeResourcesFit", 1), ("DefaultBinder", 0)]),
                   snapshot=snap, nominator=nom)
    state = CycleState()
    fw.run_pre_filter(state, pod, snap.node_infos)
    s = fw.run_filter_with_nominated_pods(state, pod, snap.get("node-1"))
    return None if s is None else list(s.reasons)


def test_equal_or_higher_priority_nominations_count_lower_ones_do_not():
    big = nominated("big", "2", 100)
    # 4 - 1 running = 3 free; the nominated 2 CPU leaves 1: a 2-CPU pod of priority <= 100 fails
    assert verdict(make_pod("p", {"cpu": "2"}, priority=0), [big]) == ["Insufficient cpu"]
    assert verdict(make_pod("p", {"cpu": "2"}, priority=100), [big]) == ["Insufficient cpu"]
    # higher priority: the nomination is not counted
    assert verdict(make_pod("p", {"cpu": "2"}, priority=101), [big]) is None
    # 1 CPU fits beside the nomination
    assert verdict(make_pod("p", {"cpu": "1"}, priority=0), [big]) is None
    # the nominated pod itself is not counted twice
    assert verdict(nominated("big", "2", 100), [big]) is None
    # several nominations add up: 1 + 1 nominated leave 1 free
    assert verdict(make_pod("p", {"cpu": "2"}), [nominated("n1", "1", 5), nominated("n2", "1", 5)]) == \
        ["Insufficient cpu"]
    # the node copy is not changed by the what-if
    assert verdict(make_pod("p", {"cpu": "3"}), []) is None


def test_nominator_follows_updates_as_upstream():
    nom = Nominator()
    p = make_pod("p")
    nom.add(p, "node-1")
    assert nom.node_of("default/p") == "node-1" and [pi.key for pi in nom.pods_for_node("node-1")] == ["default/p"]
    # an update that leaves the field empty as it was keeps our nomination (patch in flight)
    nom.update(make_pod("p"), make_pod("p"))
    assert nom.node_of("default/p") == "node-1"
    # the field set elsewhere moves it; cleared by an update, it goes
    nom.update(make_pod("p"), nominated("p", "1", 0))
    assert nom.has_pods_on("node-1")
    nom.update(nominated("p", "1", 0), make_pod("p"))
    assert nom.node_of("default/p") == "" and not nom.has_pods_on("node-1") and len(nom) == 0
    nom.add(p, "node-2")
    nom.delete("default/p")
    assert nom.pods_for_node("node-2") == []


class Env:
    def __init__(self):
        self.loop = Loop(0)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api)
        self.client = Client(self.api, user="kubernetes-admin")
        for name, value in (("high", 1000), ("top", 2000)):
            self.client.create("priorityclasses", {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                   "metadata": {"name": name}, "value": value})
        self.client.create("nodes", make_node("node-1", cpu="4"))
        ready_nodes(self.api, ["node-1"])
        self.sched = Scheduler(self.loop, self.api, seed=0)
        self.sched.start()
        self.run(0.5)

    def run(self, seconds):
        self.loop.run(until=self.loop.now + seconds)

    def pod(self, name, cpu, cls=None, node=None):
        p = make_pod(name, {"cpu": cpu}, node_name=node)
        if cls:
            p["spec"]["priorityClassName"] = cls
        self.client.create("pods", p)

    def get(self, name):
        return self.client.get("pods", name, namespace="default")


def _preempt_then_free(env):
    """``victim`` (3 CPU) on node-1; ``urgent`` (3 CPU, high) preempts it and is nominated;
    the victim is then removed at once, while urgent still backs off (1 s)."""
    env.pod("victim", "3", node="node-1")
    env.run(0.5)
    env.pod("urgent", "3", "high")
    while not (env.get("urgent")["status"].get("nominatedNodeName")):
        env.run(0.01)
    assert env.sched.nominator.node_of("default/urgent") == "node-1"
    env.client.delete("pods", "victim", namespace="default", grace_period_seconds=0)


def test_a_lower_priority_pod_does_not_take_the_space_freed_for_the_nominated_pod():
    env = Env()
    _preempt_then_free(env)
    env.pod("late", "2")              # priority 0, arrives while urgent is in backoff
    env.run(0.3)
    # late is tried first (urgent backs off) and must leave 3 CPU to urgent: 4 - 3 < 2
    rec = env.sched.explain("default/late")
    assert rec is not None and rec.message == "0/1 nodes are available: 1 Insufficient cpu. " \
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    env.run(3)
    assert env.get("urgent")["spec"]["nodeName"] == "node-1"
    assert not env.get("late")["spec"].get("nodeName")
    # bound: no longer nominated
    assert env.sched.nominator.node_of("default/urgent") == ""


def test_a_higher_priority_pod_ignores_the_nomination():
    env = Env()
    _preempt_then_free(env)
    env.pod("vip", "2", "top")         # priority 2000 > 1000: urgent's nomination is not counted
    env.run(0.3)
    assert env.get("vip")["spec"]["nodeName"] == "node-1"
