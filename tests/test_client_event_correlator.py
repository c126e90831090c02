"""client-go's EventCorrelator in front of every legacy recorder (tools/record/events_cache.go):
similar events (same source, object, type, reason; another message) aggregate from the 10th in
600 s into "(combined from similar events): ..."; a source writes at most 25 events about one
object, then one per 300 s (token bucket). The scheduler records through events.k8s.io
(tools/events), which does neither."""

import pytest

from k8score.client import Client
from k8score.client.events import EventRecorder

# ``api`` and ``loop`` come from conftest.py

RS = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
      "metadata": {"name": "web-1", "namespace": "default", "uid": "u-1"}}


@pytest.fixture
def rec(api, loop):
    return EventRecorder(Client(api, user="system:kube-controller-manager"), "replicaset-controller", loop=loop)


def rs_events(api):
    return [(e["message"], e["count"]) for e in api.list("events", "default")["items"]
            if e["involvedObject"]["name"] == "web-1"]


def create(rec, n, start=0):
    for i in range(start, start + n):
        rec.event(RS, "Normal", "SuccessfulCreate", f"Created pod: web-1-{i:02d}")


def test_nine_similar_events_stay_apart_and_the_tenth_starts_the_aggregate(api, rec):
    create(rec, 9)
    assert [m for m, _ in rs_events(api)] == [f"Created pod: web-1-{i:02d}" for i in range(9)]
    create(rec, 1, start=9)
    got = rs_events(api)
    assert len(got) == 10
    assert got[-1] == ("(combined from similar events): Created pod: web-1-09", 1)


def test_forty_creations_write_25_events_and_the_aggregate_counts_what_was_written(api, rec):
    create(rec, 40)
    got = rs_events(api)
    assert len(got) == 10                                  # 9 plain + the aggregate
    # 25 tokens: 9 plain writes, 1 create and 15 patches of the aggregate; 15 dropped
    assert got[-1] == ("(combined from similar events): Created pod: web-1-24", 16)
    assert rec.filtered == 15


def test_the_bucket_refills_one_event_per_300_seconds(api, rec, loop):
    create(rec, 25)
    create(rec, 1, start=25)
    assert rec.filtered == 1
    loop.run(until=loop.now + 299)
    create(rec, 1, start=26)
    assert rec.filtered == 2                               # 299 s: not yet a whole token
    loop.run(until=loop.now + 2)
    create(rec, 1, start=27)
    assert rec.filtered == 2                               # 301 s after the last write: one
    # the counts the dropped ones added show in the next write (eventObserve counts first)
    assert rs_events(api)[-1] == ("(combined from similar events): Created pod: web-1-27", 19)


def test_another_object_or_an_exact_repeat_is_not_aggregated(api, rec):
    other = {**RS, "metadata": {**RS["metadata"], "name": "web-2", "uid": "u-2"}}
    create(rec, 9)
    for _ in range(5):
        rec.event(other, "Normal", "SuccessfulCreate", "Created pod: web-2-00")   # other object
        rec.event(RS, "Normal", "SuccessfulCreate", "Created pod: web-1-00")      # same message
    got = rs_events(api)
    assert len(got) == 9 and ("Created pod: web-1-00", 6) in got
    assert [(e["message"], e["count"]) for e in api.list("events", "default")["items"]
            if e["involvedObject"]["name"] == "web-2"] == [("Created pod: web-2-00", 5)]


def test_a_quiet_ten_minutes_starts_a_fresh_group(api, rec, loop):
    create(rec, 9)
    loop.run(until=loop.now + 601)
    create(rec, 1, start=9)
    assert rs_events(api)[-1] == ("Created pod: web-1-09", 1)     # not aggregated


def test_the_scheduler_recorder_neither_aggregates_nor_filters(api, loop):
    rec = EventRecorder(Client(api, user="system:kube-scheduler"), "default-scheduler", loop=loop,
                        correlate=False)
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "default", "uid": "p-1"}}
    for i in range(30):
        rec.event(pod, "Warning", "FailedScheduling", f"0/{i} nodes are available")
    msgs = [e["message"] for e in api.list("events", "default")["items"] if e["involvedObject"]["name"] == "p"]
    assert len(msgs) == 30 and not any(m.startswith("(combined") for m in msgs)
