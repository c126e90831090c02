"""Work queue: de-duplication, one worker per key, delays, rate limits; Workers; EventRecorder."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer, ApiError
from k8score.client import (BucketRateLimiter, Client, EventRecorder, ItemExponentialFailureRateLimiter,
                            Requeue, WorkQueue, Workers)
from k8score.etcd import Store
from k8score.sim import Loop


def test_duplicates_collapse_while_queued():
    q = WorkQueue(Loop(), "t")
    for key in ("a", "b", "a", "a", "c", "b"):
        q.add(key)
    got = []
    while len(q):
        item, _ = q.get()
        got.append(item)
        q.done(item)
    assert got == ["a", "b", "c"]


def test_key_added_during_processing_is_requeued_after_done_not_handed_out_twice():
    q = WorkQueue(Loop(), "t")
    q.add("a")
    item, _ = q.get()
    q.add("a")
    q.add("a")
    assert len(q) == 0 and q.get() == (None, False)  # no second worker gets "a"
    q.done(item)
    assert len(q) == 1 and q.get()[0] == "a"


def test_add_after_keeps_the_earliest_request():
    loop = Loop()
    q = WorkQueue(loop, "t")
    q.add_after("a", 5.0)
    q.add_after("a", 2.0)
    q.add_after("a", 9.0)
    loop.run(until=1.9)
    assert len(q) == 0
    loop.run(until=2.0)
    assert len(q) == 1
    loop.run(until=10)
    assert len(q) == 1  # the later requests were dropped


def test_default_rate_limiter_per_item_exponential_and_forget():
    loop = Loop()
    q = WorkQueue(loop, "t")
    delays = [q.add_rate_limited("k") for _ in range(5)]
    assert delays == [0.005, 0.01, 0.02, 0.04, 0.08]
    assert q.num_requeues("k") == 5
    q.forget("k")
    assert q.num_requeues("k") == 0
    assert q.add_rate_limited("k") == 0.005


def test_per_item_limiter_caps_at_1000_seconds():
    r = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    delays = [r.when("x") for _ in range(40)]
    assert max(delays) == 1000.0 and delays[-1] == 1000.0


def test_token_bucket_allows_a_burst_of_100_then_10_per_second():
    loop = Loop()
    bucket = BucketRateLimiter(loop, qps=10, burst=100)
    assert [bucket.when(i) for i in range(100)] == [0.0] * 100
    assert abs(bucket.when("x") - 0.1) < 1e-9
    assert abs(bucket.when("y") - 0.2) < 1e-9
    loop.run(until=10)  # refilled
    assert bucket.when("z") == 0.0


def test_shut_down_stops_accepting_and_drains():
    q = WorkQueue(Loop(), "t")
    q.add("a")
    q.shut_down()
    q.add("b")
    assert q.get() == ("a", False)
    assert q.get() == (None, True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, 4)),
    st.tuples(st.just("get"), st.integers(0, 2)),
    st.tuples(st.just("done"), st.integers(0, 2)),
), max_size=60))
def test_every_added_key_is_processed_and_never_by_two_workers(ops):
    q = WorkQueue(Loop(), "prop")
    workers: list[object | None] = [None, None, None]
    pending_since_add: set[int] = set()  # keys added and not yet handed to a worker since
    processed_after_add: set[int] = set()
    for op, arg in ops:
        if op == "add":
            q.add(arg)
            pending_since_add.add(arg)
        elif op == "get" and workers[arg] is None:
            item, _ = q.get()
            if item is not None:
                assert item not in workers, "two workers hold the same key"
                workers[arg] = item
                pending_since_add.discard(item)
                processed_after_add.add(item)
        elif op == "done" and workers[arg] is not None:
            q.done(workers[arg])
            workers[arg] = None
    # drain: finish the in-flight work, then keep processing until empty
    for i, item in enumerate(workers):
        if item is not None:
            q.done(item)
    while len(q):
        item, _ = q.get()
        pending_since_add.discard(item)
        q.done(item)
    assert not pending_since_add, "a key added while queued or in flight was never processed"


def test_workers_retry_api_errors_with_rate_limit_and_forget_on_success():
    loop = Loop()
    q = WorkQueue(loop, "t")
    attempts: list[float] = []

    def sync(key):
        attempts.append(loop.now)
        if len(attempts) < 4:
            raise ApiError.service_unavailable()

    Workers(loop, q, sync)
    q.add("k")
    loop.run(until=5)
    gaps = [round(b - a, 6) for a, b in zip(attempts, attempts[1:])]
    assert gaps == [0.005, 0.01, 0.02]
    assert q.num_requeues("k") == 0  # forgotten after the success


def test_requeue_after_and_bugs_propagate():
    loop = Loop()
    q = WorkQueue(loop, "t")
    attempts: list[float] = []

    def sync(key):
        attempts.append(loop.now)
        if key == "later" and len(attempts) == 1:
            raise Requeue("not yet", after=3.0)
        if key == "bug":
            raise KeyError("boom")

    Workers(loop, q, sync)
    q.add("later")
    loop.run(until=10)
    assert attempts == [0.0, 3.0]
    q.add("bug")
    try:
        loop.run(until=11)
    except KeyError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a bug in sync must stop the simulation")


def _recorder_setup():
    loop = Loop(seed=7)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    client = Client(api, user="system:node:node-1")
    pod = api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, "default")
    return loop, api, client, pod


def test_event_recorder_writes_v1_events_in_order_and_aggregates_repeats():
    loop, api, client, pod = _recorder_setup()
    rec = EventRecorder(client, component="kubelet", host="node-1")
    rec.event(pod, "Normal", "Pulling", 'Pulling image "nginx"')
    loop.run(until=4)
    rec.event(pod, "Warning", "BackOff", "Back-off")
    loop.run(until=9)
    rec.event(pod, "Warning", "BackOff", "Back-off")
    events = sorted(api.list("events", namespace="default")["items"],
                    key=lambda e: int(e["metadata"]["resourceVersion"]))
    assert [e["reason"] for e in events] == ["Pulling", "BackOff"]
    first, backoff = events
    name, _, suffix = first["metadata"]["name"].rpartition(".")
    assert name == "web-1" and len(suffix) == 16 and int(suffix, 16) >= 0
    assert first["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert first["involvedObject"]["kind"] == "Pod" and first["source"] == {"component": "kubelet", "host": "node-1"}
    assert backoff["count"] == 2
    assert backoff["firstTimestamp"] == "2026-01-01T00:00:04Z" and backoff["lastTimestamp"] == "2026-01-01T00:00:09Z"


def test_event_names_are_reproducible_and_dropped_when_api_is_down():
    names = []
    for _ in range(2):
        loop, api, client, pod = _recorder_setup()
        rec = EventRecorder(client, component="x")
        names.append(rec.event(pod, "Normal", "R", "m")["metadata"]["name"])
    assert names[0] == names[1]
    api.stop()
    assert rec.event(pod, "Normal", "R2", "m") is None and rec.dropped == 1
