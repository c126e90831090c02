"""The scheduling queue as upstream: queueing hints, the 30 s flush, backoff, PreEnqueue gating.

Upstream: ``pkg/scheduler/backend/queue/scheduling_queue.go`` (isPodWorthRequeuing,
determineSchedulingHintForInFlightPod, flushUnschedulablePodsLeftover every 30 s with
podMaxInUnschedulablePodsDuration 5 min, moveToActiveQ/PreEnqueue), each plugin's
``EventsToRegister`` / ``QueueingHintFn`` (noderesources/fit.go, tainttoleration,
nodeaffinity, nodeunschedulable), ``apis/config/v1/defaults.go`` (backoff 1 s .. 10 s).
"""

from apihelpers import default_service_accounts, ready_nodes

from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.scheduler import Framework, Scheduler, SchedulingQueue, default_profile
from k8score.scheduler.events import ASSIGNED_POD_DELETE, NODE_ADD, ActionType, ClusterEvent
from k8score.scheduler.queue import ACTIVE, BACKOFF, UNSCHEDULABLE
from k8score.scheduler.testing import make_node, make_pod, taint
from k8score.sim import Loop

NODE_UPDATE = ClusterEvent("Node", ActionType.UPDATE_NODE_ALLOCATABLE | ActionType.UPDATE_NODE_LABEL)


def new_queue():
    fw = Framework(default_profile())
    return SchedulingQueue(events_for=fw.events_for, pre_enqueue=fw.run_pre_enqueue)


def parked(q, pod, plugins, now=0.0):
    q.add(pod, now)
    info = q.pop(now)
    q.add_unschedulable_if_not_present(info, q.scheduling_cycle, now, set(plugins))
    return info


def where(q, name):
    return q.get(f"default/{name}").where


def test_fit_rejected_pod_ignores_label_changes_and_small_nodes_but_not_more_cpu():
    q = new_queue()
    parked(q, make_pod("big", {"cpu": "3"}), {"NodeResourcesFit"})
    old = make_node("n1", cpu="2")
    labelled = make_node("n1", cpu="2", labels={"disk": "ssd"})
    ev = ClusterEvent("Node", ActionType.UPDATE_NODE_LABEL)
    assert q.move_all_to_active_or_backoff(ev, 5.0, old=old, new=labelled) == []      # not registered
    grown_a_bit = make_node("n1", cpu="2500m")
    ev = ClusterEvent("Node", ActionType.UPDATE_NODE_ALLOCATABLE)
    assert q.move_all_to_active_or_backoff(ev, 5.0, old=old, new=grown_a_bit) == []   # still < 3 CPU
    assert q.move_all_to_active_or_backoff(NODE_ADD, 5.0, new=make_node("n2", cpu="2")) == []
    assert q.move_all_to_active_or_backoff(ev, 5.0, old=old, new=make_node("n1", cpu="4")) == ["default/big"]
    assert where(q, "big") == ACTIVE                          # backoff (1 s) is over at t=5


def test_fit_rejected_pod_wakes_on_a_bound_pod_deleted_not_an_unbound_one():
    q = new_queue()
    parked(q, make_pod("big", {"cpu": "3"}), {"NodeResourcesFit"})
    unbound = make_pod("pending", {"cpu": "1"})
    assert q.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, 0.5, old=unbound) == []
    bound = make_pod("run", {"cpu": "1"}, node_name="n1")
    assert q.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, 0.5, old=bound) == ["default/big"]
    assert where(q, "big") == BACKOFF                         # failed at 0, 1 s backoff until 1.0
    assert q.next_wakeup() == 1.0


def test_taint_and_affinity_hints_queue_only_changes_that_help():
    q = new_queue()
    parked(q, make_pod("t"), {"TaintToleration"})
    na = make_pod("na")
    na["spec"]["nodeSelector"] = {"disk": "ssd"}
    parked(q, na, {"NodeAffinity"})
    ev_taint = ClusterEvent("Node", ActionType.UPDATE_NODE_TAINT)
    a, b = make_node("n1", taints=[taint("x")]), make_node("n1", taints=[taint("y")])
    assert q.move_all_to_active_or_backoff(ev_taint, 5.0, old=a, new=b) == []           # still tainted
    ev_label = ClusterEvent("Node", ActionType.UPDATE_NODE_LABEL)
    assert q.move_all_to_active_or_backoff(ev_label, 5.0, old=make_node("n1"),
                                           new=make_node("n1", labels={"disk": "hdd"})) == []
    assert q.move_all_to_active_or_backoff(ev_label, 5.0, old=make_node("n1"),
                                           new=make_node("n1", labels={"disk": "ssd"})) == ["default/na"]
    assert q.move_all_to_active_or_backoff(ev_taint, 5.0, old=a, new=make_node("n1")) == ["default/t"]


def test_event_during_the_cycle_counts_only_if_its_hint_says_queue():
    q = new_queue()
    q.add(make_pod("p", {"cpu": "3"}), 0.0)
    info = q.pop(0.0)
    q.move_all_to_active_or_backoff(NODE_ADD, 0.1, new=make_node("tiny", cpu="1"))     # cannot help
    q.add_unschedulable_if_not_present(info, q.scheduling_cycle, 0.2, {"NodeResourcesFit"})
    assert where(q, "p") == UNSCHEDULABLE
    q.move_all_to_active_or_backoff(NODE_ADD, 3.0, new=make_node("huge", cpu="8"))      # helps
    assert where(q, "p") == ACTIVE
    info = q.pop(3.0)
    q.move_all_to_active_or_backoff(NODE_ADD, 3.1, new=make_node("huge2", cpu="8"))     # in flight
    q.add_unschedulable_if_not_present(info, q.scheduling_cycle, 3.2, {"NodeResourcesFit"})
    assert where(q, "p") == BACKOFF and q.next_wakeup() == 3.2 + 2.0                    # 2nd attempt: 2 s


def test_backoff_per_pod_doubles_to_ten_seconds():
    q = new_queue()
    q.add(make_pod("p"), 0.0)
    waits = []
    now = 0.0
    for _ in range(6):
        info = q.pop(now)
        q.add_unschedulable_if_not_present(info, q.scheduling_cycle, now, set(), error=True)
        waits.append(q.next_wakeup() - now)
        now = q.next_wakeup()
        assert q.flush_backoff_completed(now - 0.001) == [] and q.flush_backoff_completed(now) == ["default/p"]
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_gated_pod_stays_out_of_active_q_until_an_update_passes_pre_enqueue():
    q = new_queue()
    pod = make_pod("g")
    pod["spec"]["schedulingGates"] = [{"name": "a"}]
    q.add(pod, 0.0)
    assert where(q, "g") == UNSCHEDULABLE and q.is_gated("default/g") and q.pop(0.0) is None
    assert q.move_all_to_active_or_backoff(NODE_ADD, 1.0, new=make_node("n")) == []
    assert q.flush_unschedulable_leftover(1000.0) == []
    q.update(make_pod("g"), 1000.0)                          # the gate was removed
    assert where(q, "g") == ACTIVE and not q.is_gated("default/g")
    assert q.pop(1000.0).attempts == 1


class Env:
    def __init__(self, nodes):
        self.loop = Loop(0)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api)
        self.client = Client(self.api, user="kubernetes-admin")
        for n in nodes:
            self.client.create("nodes", n)
        ready_nodes(self.api, [n["metadata"]["name"] for n in nodes])
        self.sched = Scheduler(self.loop, self.api, seed=0)
        self.sched.start()
        self.loop.run(until=self.loop.now + 0.5)

    def run(self, seconds):
        self.loop.run(until=self.loop.now + seconds)


def test_labelling_a_node_does_not_retry_a_pod_that_still_cannot_fit_growing_it_does():
    env = Env([make_node("n1", cpu="1")])
    env.client.create("pods", make_pod("big", {"cpu": "2"}))
    env.run(2)
    assert env.sched.explain("big").attempt == 1
    env.client.patch("nodes", "n1", {"metadata": {"labels": {"disk": "ssd"}}})
    env.run(20)
    assert env.sched.explain("big").attempt == 1                       # no retry
    assert env.sched.pending() == [("default/big", "unschedulablePods")]
    grown = env.client.get("nodes", "n1")
    grown["status"]["allocatable"]["cpu"] = grown["status"]["capacity"]["cpu"] = "4"
    env.client.update("nodes", grown, subresource="status")
    at = env.loop.now
    env.run(2)
    rec = env.sched.explain("big")
    assert (rec.attempt, rec.node) == (2, "n1") and rec.time - at < 0.1   # backoff long over


def test_parked_pod_is_retried_by_the_30_second_flush_after_more_than_5_minutes():
    env = Env([make_node("n1", cpu="1")])
    env.run(44.5)                                           # t = 45: fail at 45, park
    env.client.create("pods", make_pod("big", {"cpu": "2"}))
    env.run(1)
    first = env.sched.explain("big").time
    assert 45 <= first < 46
    env.run(360 - env.loop.now - 0.01)                      # ticks at ..., 330, 360
    assert env.sched.explain("big").attempt == 1            # 330 - 45 < 300
    env.run(0.02)
    assert env.sched.explain("big").attempt == 2 and abs(env.sched.explain("big").time - 360) < 0.01
