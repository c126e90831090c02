"""The kube-scheduler component against a real (simulated) API server: bind, events, retries."""

from apihelpers import default_service_accounts, ready_nodes
import pytest

from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.scheduler import Code, PermitPlugin, Profile, ReservePlugin, Scheduler, Status
from k8score.scheduler.plugins import build_profile
from k8score.scheduler.testing import make_node, make_pod
from k8score.sim import Loop


class Env:
    def __init__(self, nodes=(), seed=0):
        self.loop = Loop(seed)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api)
        self.client = Client(self.api, user="kubernetes-admin")
        for n in nodes:
            self.client.create("nodes", n)
        ready_nodes(self.api, [n["metadata"]["name"] for n in nodes])
        self.sched = Scheduler(self.loop, self.api, seed=seed)
        self.sched.start()
        self.loop.run(until=self.loop.now + 0.5)

    def pod(self, name):
        return self.client.get("pods", name, namespace="default")

    def node_of(self, name):
        return self.pod(name)["spec"].get("nodeName")

    def events(self, reason=None):
        items = self.client.list("events", namespace="default")["items"]
        return [e for e in items if reason is None or e["reason"] == reason]

    def run(self, seconds=2.0):
        self.loop.run(until=self.loop.now + seconds)


def three_nodes():
    return [make_node("node-1", cpu="2", unschedulable=True), make_node("node-2", cpu="2"),
            make_node("node-3", cpu="2")]


def test_pod_is_bound_and_a_scheduled_event_is_recorded():
    env = Env(three_nodes())
    env.client.create("pods", make_pod("web-1", {"cpu": "500m"}))
    env.run()
    node = env.node_of("web-1")
    assert node in ("node-2", "node-3")
    [ev] = env.events("Scheduled")
    assert ev["message"] == f"Successfully assigned default/web-1 to {node}"
    assert ev["type"] == "Normal" and ev["source"]["component"] == "default-scheduler"
    assert ev["involvedObject"]["name"] == "web-1"
    assert env.sched.explain("default/web-1").node == node


def test_unschedulable_pod_gets_failed_scheduling_event_and_condition_then_a_new_node_fixes_it():
    env = Env(three_nodes())
    env.client.create("pods", make_pod("big", {"cpu": "3"}))
    env.run()
    [ev] = env.events("FailedScheduling")
    assert ev["type"] == "Warning"
    # 3 cpu is more than any node has: no eviction could help, DefaultPreemption says so
    assert ev["message"] == ("0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. "
                             "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    cond = [c for c in env.pod("big")["status"]["conditions"] if c["type"] == "PodScheduled"][0]
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", ev["message"])
    assert ("default/big", "unschedulablePods") in env.sched.pending()
    # a bigger node joins: NodeAdd wakes the pod, it retries after its backoff
    env.client.create("nodes", make_node("node-4", cpu="8"))
    ready_nodes(env.api, ["node-4"])
    env.run(3.0)
    assert env.node_of("big") == "node-4"
    assert env.sched.pending() == []


def test_deleting_a_pod_frees_room_for_a_waiting_one():
    env = Env([make_node("only", cpu="1")])
    env.client.create("pods", make_pod("first", {"cpu": "800m"}))
    env.run()
    env.client.create("pods", make_pod("second", {"cpu": "800m"}))
    env.run()
    assert env.node_of("first") == "only" and env.node_of("second") is None
    env.client.delete("pods", "first", namespace="default", grace_period_seconds=0)
    env.run(3.0)
    assert env.node_of("second") == "only"


def test_assumed_pods_prevent_double_booking_before_the_binding_is_seen():
    env = Env([make_node("a", cpu="1"), make_node("b", cpu="1")])
    for i in range(3):
        env.client.create("pods", make_pod(f"p{i}", {"cpu": "600m"}))
    env.run()
    placed = sorted(n for n in (env.node_of(f"p{i}") for i in range(3)) if n)
    assert placed == ["a", "b"]        # the third pod does not fit anywhere


def test_same_seed_gives_the_same_placements():
    def placements(seed):
        env = Env([make_node(f"n{i}", cpu="4") for i in range(6)], seed=seed)
        for i in range(12):
            env.client.create("pods", make_pod(f"p{i}", {"cpu": "100m"}))
        env.run()
        return [env.node_of(f"p{i}") for i in range(12)]
    assert placements(7) == placements(7)


def test_scheduling_takes_virtual_time_per_cycle():
    env = Env([make_node(f"n{i}") for i in range(3)])
    start = env.loop.now
    for i in range(5):
        env.client.create("pods", make_pod(f"p{i}", {"cpu": "100m"}))
    env.loop.run(predicate=lambda: env.sched.scheduled == 5, max_events=10_000)
    elapsed = env.loop.now - start
    # 5 cycles of 1 ms + 5 µs per node touched, plus watch delivery: well under a second
    assert 0.005 <= elapsed < 1.0


def test_a_stopped_scheduler_schedules_nothing_until_restarted():
    env = Env([make_node("n1")])
    env.sched.stop()
    env.client.create("pods", make_pod("p", {"cpu": "100m"}))
    env.run()
    assert env.node_of("p") is None
    env.sched.start()
    env.run()
    assert env.node_of("p") == "n1"


def test_pods_for_another_scheduler_are_left_alone():
    env = Env([make_node("n1")])
    env.client.create("pods", make_pod("custom", scheduler_name="my-scheduler"))
    env.run()
    assert env.node_of("custom") is None and env.events("FailedScheduling") == []


def test_explain_text_shows_the_table():
    env = Env(three_nodes())
    env.client.create("pods", make_pod("web-1", {"cpu": "1"}))
    env.run()
    text = env.sched.explain_text("web-1")
    assert "NodeUnschedulable: node(s) were unschedulable" in text
    assert "NodeResourcesBalancedAllocation" in text and "Scheduled ->" in text


@pytest.mark.parametrize("attr, value", [("kind", "kube-scheduler"), ("plane", "control-plane")])
def test_registry_attributes(attr, value):
    assert getattr(Scheduler, attr) == value
    assert Scheduler.watches == ("pods", "nodes")
    assert "pods/binding" in Scheduler.writes and "events" in Scheduler.writes


class Gate(PermitPlugin, ReservePlugin):
    """A Permit plugin that holds every pod until told (gang-scheduling style)."""
    name = "Gate"

    def __init__(self):
        self.reserved, self.unreserved = [], []

    def reserve(self, state, pod, node_name):
        self.reserved.append(pod["metadata"]["name"])

    def unreserve(self, state, pod, node_name):
        self.unreserved.append(pod["metadata"]["name"])

    def permit(self, state, pod, node_name):
        return Status(Code.WAIT, "waiting for the gang"), 5.0


def gated_env():
    gate = Gate()
    base = build_profile()
    env = Env([make_node("n1")])
    env.sched.stop()
    env.sched = Scheduler(env.loop, env.api, profile=Profile("default-scheduler", base.plugins + [(gate, 0)]))
    env.sched.start()
    env.run(0.5)
    return env, gate


def test_permit_wait_binds_only_once_allowed():
    env, gate = gated_env()
    env.client.create("pods", make_pod("member", {"cpu": "100m"}))
    env.run(1.0)
    assert env.node_of("member") is None and gate.reserved == ["member"]
    env.sched.waiting_pods.allow("default/member", "Gate")
    env.run(1.0)
    assert env.node_of("member") == "n1" and gate.unreserved == []


def test_permit_timeout_rejects_unreserves_and_reports():
    env, gate = gated_env()
    env.client.create("pods", make_pod("member", {"cpu": "100m"}))
    env.run(5.5)
    assert env.node_of("member") is None and gate.unreserved == ["member"]
    [ev] = env.events("FailedScheduling")
    assert ev["message"] == "0/1 nodes are available: 1 rejected due to timeout after waiting 5s at plugin Gate."
    assert env.sched.explain("member").outcome == "Unschedulable"


def test_deleting_a_pod_waiting_on_permit_unreserves_it():
    env, gate = gated_env()
    env.client.create("pods", make_pod("member", {"cpu": "100m"}))
    env.run(1.0)
    assert "default/member" in env.sched.waiting_pods
    env.client.delete("pods", "member", namespace="default", grace_period_seconds=0)
    env.run(1.0)
    assert gate.unreserved == ["member"] and env.sched.waiting_pods.keys() == []
    assert env.sched.cache.node_info("n1").requested_cpu == 0


def classed_pod(name: str, requests: dict, priority_class: str) -> dict:
    """A pod that gets its priority the only way the API allows: from a PriorityClass."""
    pod = make_pod(name, requests)
    pod["spec"]["priorityClassName"] = priority_class
    return pod


def test_high_priority_pod_preempts_low_priority_ones():
    env = Env([make_node("n1", cpu="2"), make_node("n2", cpu="2")])
    for name, value in (("low", 10), ("mid", 500), ("vip", 1000)):
        env.client.create("priorityclasses", {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                              "metadata": {"name": name}, "value": value})
    for i, node in enumerate(["n1", "n1", "n2"]):
        env.client.create("pods", classed_pod(f"low-{i}", {"cpu": "900m"}, "low"))
    env.client.create("pods", classed_pod("mid", {"cpu": "900m"}, "mid"))
    env.run()
    node_of_mid = env.node_of("mid")
    env.client.create("pods", classed_pod("vip", {"cpu": "1500m"}, "vip"))
    assert env.pod("vip")["spec"]["priority"] == 1000
    env.run(0.5)
    [ev] = env.events("FailedScheduling")
    assert ev["message"] == "0/2 nodes are available: 2 Insufficient cpu."   # preemption succeeded: no suffix
    nominated = env.pod("vip")["status"]["nominatedNodeName"]
    assert env.sched.explain("vip").nominated_node == nominated
    assert f"nominatedNodeName) {nominated}" in env.sched.explain_text("vip")
    assert nominated != node_of_mid          # evicting the priority-500 pod is never preferred
    preempted = env.events("Preempted")
    assert len(preempted) == 2 and {e["involvedObject"]["name"] for e in preempted} <= {"low-0", "low-1", "low-2"}
    assert all(e["message"].startswith("Preempted by pod ") and e["message"].endswith(f"on node {nominated}")
               for e in preempted)
    # no kubelet here: finish the graceful deletions as the kubelet would, one at a time
    first, second = sorted(e["involvedObject"]["name"] for e in preempted)
    assert env.pod(first)["metadata"].get("deletionTimestamp")
    env.client.delete("pods", first, namespace="default", grace_period_seconds=0)
    env.run(3.0)
    # retried: still no room, and no second preemption while a victim is terminating
    assert ("0/2 nodes are available: 2 Insufficient cpu. "
            "preemption: not eligible due to a terminating pod on the nominated node.") in \
        [e["message"] for e in env.events("FailedScheduling")]
    assert env.pod("vip")["status"]["nominatedNodeName"] == nominated     # the nomination is kept
    env.client.delete("pods", second, namespace="default", grace_period_seconds=0)
    env.run(3.0)
    assert env.node_of("vip") == nominated
    assert "evaluateNominatedNode" in env.sched.explain("vip").why
    assert env.node_of("mid") == node_of_mid


def test_equal_priority_pods_are_never_preempted():
    env = Env([make_node("n1", cpu="1")])
    env.client.create("pods", make_pod("a", {"cpu": "800m"}))
    env.run()
    env.client.create("pods", make_pod("b", {"cpu": "800m"}))
    env.run()
    [ev] = env.events("FailedScheduling")
    assert ev["message"] == ("0/1 nodes are available: 1 Insufficient cpu. "
                             "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")


def test_unschedulable_pod_is_retried_after_five_minutes_without_any_event():
    env = Env([make_node("n1", cpu="1")])
    env.client.create("pods", make_pod("huge", {"cpu": "4"}))
    env.run(1.0)
    failed_at = env.sched.explain("huge").time
    # scheduling_queue.go: flushUnschedulablePodsLeftover runs every 30 s (from the start,
    # t=0) and moves pods parked *more than* 5 minutes: the tick at 300 s is too early by
    # failed_at, the one at 330 s retries the pod
    env.run(329.9 - env.loop.now)
    [ev] = env.events("FailedScheduling")
    assert ev.get("count", 1) == 1 and env.sched.explain("huge").attempt == 1
    env.run(0.2)
    [ev] = env.events("FailedScheduling")
    assert ev["count"] == 2 and env.sched.explain("huge").attempt == 2
    assert 0 < failed_at < 30 and env.sched.explain("huge").time == pytest.approx(330.0, abs=0.01)
