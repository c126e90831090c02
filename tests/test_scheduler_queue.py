"""activeQ / backoffQ / unschedulablePods timing and moves (scheduling_queue.go)."""

import pytest

from k8score.scheduler import SchedulingQueue, backoff_duration
from k8score.scheduler.events import ASSIGNED_POD_DELETE, NODE_ADD, ActionType, ClusterEvent
from k8score.scheduler.framework import Framework
from k8score.scheduler.plugins import default_profile
from k8score.scheduler.queue import ACTIVE, BACKOFF, UNSCHEDULABLE
from k8score.scheduler.testing import make_pod


def new_queue():
    return SchedulingQueue(events_for=Framework(default_profile()).events_for)


def where(q, name):
    return q.get(f"default/{name}").where


def fail(q, info, now, plugins=("NodeResourcesFit",), error=False):
    q.add_unschedulable_if_not_present(info, q.scheduling_cycle, now, set(plugins), error=error)


def test_backoff_doubles_from_one_second_up_to_ten():
    assert [backoff_duration(n) for n in range(1, 8)] == [1, 2, 4, 8, 10, 10, 10]


def test_active_queue_pops_higher_priority_first_then_fifo():
    q = new_queue()
    q.add(make_pod("low-early", priority=0), now=1.0)
    q.add(make_pod("high", priority=1000), now=2.0)
    q.add(make_pod("low-late", priority=0), now=3.0)
    order = [q.pop(now=4.0).key for _ in range(3)]
    assert order == ["default/high", "default/low-early", "default/low-late"]
    assert q.pop(now=4.0) is None


def test_error_goes_to_backoff_and_returns_after_the_backoff():
    q = new_queue()
    q.add(make_pod("p"), now=0.0)
    info = q.pop(now=0.0)
    fail(q, info, now=10.0, error=True)
    assert where(q, "p") == BACKOFF
    assert q.next_wakeup() == 11.0             # attempt 1 -> 1 s
    assert q.flush(10.999) == []
    assert q.flush(11.0) == ["default/p"] and where(q, "p") == ACTIVE
    info = q.pop(now=11.0)
    fail(q, info, now=12.0, error=True)
    assert q.next_wakeup() == 14.0             # attempt 2 -> 2 s


def test_unschedulable_pod_waits_for_an_event_its_plugin_registered():
    q = new_queue()
    q.add(make_pod("p"), now=0.0)
    info = q.pop(now=0.0)
    fail(q, info, now=0.5, plugins=("NodeResourcesFit",))
    assert where(q, "p") == UNSCHEDULABLE
    # a node heartbeat only touching conditions is not something NodeResourcesFit waits for
    assert q.move_all_to_active_or_backoff(ClusterEvent("Node", ActionType.UPDATE_NODE_CONDITION), 0.6) == []
    assert where(q, "p") == UNSCHEDULABLE
    # a new node is; the pod is still inside its 1 s backoff, so it goes to backoffQ first
    assert q.move_all_to_active_or_backoff(NODE_ADD, 0.7) == ["default/p"]
    assert where(q, "p") == BACKOFF
    q.flush(1.5)
    assert where(q, "p") == ACTIVE


def test_taint_rejected_pod_ignores_deleted_pods_but_resource_rejected_pod_does_not():
    q = new_queue()
    for name in ("tainted", "full"):
        q.add(make_pod(name), now=0.0)
    a, b = q.pop(0.0), q.pop(0.0)
    fail(q, a, now=0.0, plugins=("TaintToleration",))
    fail(q, b, now=0.0, plugins=("NodeResourcesFit",))
    assert q.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, 5.0) == ["default/full"]
    assert where(q, "full") == ACTIVE and where(q, "tainted") == UNSCHEDULABLE


def test_event_during_the_scheduling_cycle_sends_the_failed_pod_to_backoff():
    q = new_queue()
    q.add(make_pod("p"), now=0.0)
    info = q.pop(now=0.0)
    cycle = q.scheduling_cycle
    q.move_all_to_active_or_backoff(NODE_ADD, 0.1)       # a node appeared while we were deciding
    q.add_unschedulable_if_not_present(info, cycle, 0.2, {"NodeResourcesFit"})
    assert where(q, "p") == BACKOFF


def test_unschedulable_pods_are_flushed_after_five_minutes():
    q = new_queue()
    q.add(make_pod("p"), now=0.0)
    fail(q, q.pop(now=0.0), now=10.0)
    assert q.next_wakeup() is None          # no timer per pod: the scheduler's 30 s loop flushes
    # flushUnschedulablePodsLeftover: parked *more than* podMaxInUnschedulablePodsDuration
    assert q.flush_unschedulable_leftover(310.0) == []
    assert q.flush_unschedulable_leftover(310.001) == ["default/p"] and where(q, "p") == ACTIVE


def test_update_of_a_parked_pod_retries_it_and_delete_forgets_it():
    q = new_queue()
    pod = make_pod("p")
    q.add(pod, now=0.0)
    fail(q, q.pop(now=0.0), now=0.0)
    q.update(pod, now=100.0)                           # same spec (e.g. our own status patch)
    assert where(q, "p") == UNSCHEDULABLE
    changed = make_pod("p", tolerations=[{"operator": "Exists"}])
    q.update(changed, now=100.0)
    assert where(q, "p") == ACTIVE
    q.delete(changed)
    assert q.get("default/p") is None and q.pop(now=101.0) is None
