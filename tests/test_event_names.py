"""Event names and the order kubectl prints events in.

Upstream: client-go tools/record/event.go makeEvent names an Event
``fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())``; the API server lists by name (etcd key order);
``kubectl get events`` prints that order, ``kubectl events`` (kubectl/pkg/cmd/events/events.go)
and describe (kubectl/pkg/describe/describe.go DescribeEvents) re-sort with Go's unstable
``sort.Sort`` by time (k8score/kubectl/gosort.py, whose permutations tests/test_kubectl_gosort.py
pins from Go itself).
"""

from __future__ import annotations

import datetime as _dt

from k8score import Cluster
from k8score.client.events import EventRecorder, unix_nanos
from k8score.sim.clock import EPOCH, parse

POD = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  containers: [{name: nginx, image: "nginx:1.27"}]
"""


def _suffix(event: dict) -> int:
    return int(event["metadata"]["name"].rpartition(".")[2], 16)


def _pod_events(c: Cluster) -> list[dict]:
    return [e for e in c.api.list("events", namespace="default")["items"]
            if e["involvedObject"]["name"] == "web"]


def test_names_are_the_object_and_the_hex_unix_nanoseconds_of_the_first_occurrence():
    c = Cluster(nodes=1, seed=3)
    c.apply(POD)
    c.run(seconds=30)
    events = _pod_events(c)
    assert {e["reason"] for e in events} >= {"Scheduled", "Pulled", "Created", "Started"}
    for e in events:
        name, _, hexa = e["metadata"]["name"].rpartition(".")
        assert name == "web" and hexa == f"{_suffix(e):x}"
        # the instant the first occurrence was recorded, to the second firstTimestamp shows
        assert _suffix(e) // 10**9 == int(EPOCH.timestamp() + parse(e["firstTimestamp"]))
    # the server's (name) order is the order they happened: what `get events` prints
    names = sorted(e["metadata"]["name"] for e in events)
    by_rv = [e["metadata"]["name"] for e in sorted(events, key=lambda e: int(e["metadata"]["resourceVersion"]))]
    assert names == by_rv
    listed = c.kubectl("get events --field-selector involvedObject.name=web").splitlines()[1:]
    assert [line.split()[2] for line in listed] == [e["reason"] for e in sorted(events, key=lambda e: e["metadata"]["name"])]


def test_a_seed_gives_the_same_names_and_another_epoch_shifts_them():
    def names(**kw):
        c = Cluster(nodes=1, seed=5, **kw)
        c.apply(POD)
        c.run(seconds=20)
        return [e["metadata"]["name"] for e in c.events("default")]
    first = names()
    assert first == names()
    later = names(epoch=_dt.datetime(2026, 3, 1, tzinfo=_dt.timezone.utc))
    shift = int((_dt.datetime(2026, 3, 1, tzinfo=_dt.timezone.utc) - EPOCH).total_seconds()) * 10**9
    # the same instants, later by the epoch shift (to the float clock's last nanosecond)
    pairs = [(int(a.rpartition(".")[2], 16), int(b.rpartition(".")[2], 16)) for a, b in zip(first, later)]
    assert len(pairs) == len(first) > 5 and all(abs(b - a - shift) <= 1 for a, b in pairs)


def test_events_at_one_virtual_instant_get_names_one_nanosecond_apart():
    c = Cluster(nodes=1, seed=1)
    pod = c.apply(POD)[0]
    c.run(seconds=1)
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {**pod["metadata"]}}   # same name "web"
    kubelet = EventRecorder(c.api, component="kubelet", host="node-1")
    scheduler = EventRecorder(c.api, component="default-scheduler")
    now = unix_nanos(c.now)
    got = [kubelet.event(pod, "Normal", "A", "one"), scheduler.event(pod, "Normal", "B", "two"),
           kubelet.event(svc, "Normal", "C", "three")]
    assert [e["metadata"]["name"] for e in got] == [f"web.{now:x}", f"web.{now + 1:x}", f"web.{now + 2:x}"]
    other = {**pod, "metadata": {**pod["metadata"], "namespace": "kube-system"}}
    assert kubelet.event(other, "Normal", "D", "elsewhere")["metadata"]["name"] == f"web.{now:x}"
    assert kubelet.event(pod, "Normal", "A", "one")["count"] == 2      # a repeat keeps its name
    c.run(seconds=0.5)
    assert kubelet.event(pod, "Normal", "E", "later")["metadata"]["name"] == f"web.{unix_nanos(c.now):x}"


def _thirteen_events(c: Cluster, uid: str | None = None) -> None:
    """web.00 .. web.12 (server order), lastTimestamp alternating between two seconds."""
    for i in range(13):
        stamp = f"2026-01-01T00:00:0{i % 2}Z"
        c.api.create("events", {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"web.{i:02d}", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default", **({"uid": uid} if uid else {})},
            "reason": f"R{i:02d}", "message": f"m{i:02d}", "type": "Normal", "count": 1,
            "source": {"component": "test"}, "firstTimestamp": stamp, "lastTimestamp": stamp,
        }, namespace="default")


#: Go's sort.Sort of keys i % 2 for i in 0..12 (tests/test_kubectl_gosort.py): not stable
_GO_ORDER = [8, 12, 2, 0, 4, 10, 6, 3, 7, 9, 5, 11, 1]


def test_kubectl_events_and_describe_reorder_ties_as_go_does_and_get_keeps_name_order():
    c = Cluster(nodes=0, seed=1)
    pod = c.apply(POD.replace("spec:", "spec:\n  nodeName: nowhere"))[0]   # never runs: no events of its own
    _thirteen_events(c, pod["metadata"]["uid"])
    out = c.kubectl("events")
    assert [int(line.split()[2][1:]) for line in out.splitlines()[1:]] == _GO_ORDER
    got = c.kubectl("get events").splitlines()[1:]
    assert [int(line.split()[2][1:]) for line in got] == list(range(13))
    text = c.kubectl("describe pod web")
    rows = text[text.index("Events:"):].splitlines()[3:]
    assert [int(r.split()[1][1:]) for r in rows] == _GO_ORDER


def test_twelve_events_at_one_second_keep_the_server_order():
    c = Cluster(nodes=0, seed=1)
    _thirteen_events(c)
    c.api.delete("events", "web.12", namespace="default")
    out = c.kubectl("events")
    # <= 12 items: Go's insertion sort, stable: oldest second first, name order within it
    assert [int(line.split()[2][1:]) for line in out.splitlines()[1:]] == [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]
