"""The watch cache: decode once, dispatch by index, resume from the window, list from memory.

Upstream: k8s.io/apiserver/pkg/storage/cacher/cacher.go (indexedWatchers, startDispatching,
triggerValuesThreadUnsafe, bookmarks), watch_cache.go (the cyclic buffer, its resizing and
``too old resource version: %d (%d)``), cache_watcher.go (convertToWatchEvent, process),
pkg/registry/core/pod/strategy.go (NodeNameTriggerFunc) and storage/etcd3/watcher.go
(a DELETED event carries the last state at the revision of the delete).
"""

import json

import pytest

from k8score.apiserver.cacher import POD_INDEXERS, Cacher
from k8score.apiserver.cacher_watch import LOWER_BOUND_CAPACITY
from k8score.api.selectors import parse_field_selector, parse_label_selector
from k8score.etcd import Store
from k8score.sim import Loop

PREFIX = "/registry/pods/"


class CountingDecode:
    """storage.decode (JSON, resourceVersion from mod_revision), counting its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, value, rev):
        self.calls += 1
        obj = json.loads(value)
        obj["metadata"]["resourceVersion"] = str(rev)
        return obj


def pod_json(name, ns="default", node=None, labels=None):
    spec = {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "namespace": ns,
                                    "labels": {"app": "web"} if labels is None else labels},
                       "spec": spec}, separators=(",", ":"))


def put(store, name, ns="default", node=None, labels=None):
    return store.put(f"{PREFIX}{ns}/{name}", pod_json(name, ns, node, labels)).header.revision


def delete(store, name, ns="default"):
    return store.delete_range(f"{PREFIX}{ns}/{name}").header.revision


def summary(events):
    return [(e["type"], e["object"]["metadata"].get("name")) for e in events]


# ``loop`` and ``store`` come from conftest.py


@pytest.fixture
def decode():
    return CountingDecode()


@pytest.fixture
def cacher(loop, store, decode):
    c = Cacher(loop, store, PREFIX, decode, POD_INDEXERS, kind="Pod", api_version="v1")
    c.start()
    return c


def fields(text):
    return parse_field_selector(("spec.nodeName",), text)


def labels(text):
    return parse_label_selector(text)


# -- decode once, dispatch by index ------------------------------------------------------

def test_each_event_is_decoded_once_whatever_the_number_of_watchers(loop, store, cacher, decode):
    got = {i: [] for i in range(100)}
    for i in range(100):
        sel = fields(f"spec.nodeName=node-{i % 10}") if i % 2 else None
        cacher.watch(0, got[i].append, field_selector=sel)
    for n in range(30):
        put(store, f"p{n}", node=f"node-{n % 10}")
    put(store, "p0", node="node-0", labels={"app": "db"})
    delete(store, "p1")
    loop.run(until=1)
    assert decode.calls == 31  # one per PUT; a delete reuses the cached last state
    assert len(got[0]) == 32 and len(got[2]) == 32
    # watcher 1 follows node-1: p1, p11, p21 added, then p1 deleted
    assert summary(got[1]) == [("ADDED", "p1"), ("ADDED", "p11"), ("ADDED", "p21"), ("DELETED", "p1")]


def test_a_kubelet_watch_is_never_offered_other_nodes_pods(loop, store, cacher):
    mine, everyone = [], []
    kubelet = cacher.watch(0, mine.append, field_selector=fields("spec.nodeName=node-1"))
    wide = cacher.watch(0, everyone.append)
    for n in range(40):
        put(store, f"p{n}", node=f"node-{n % 4}")
    loop.run(until=1)
    assert summary(mine) == [("ADDED", f"p{n}") for n in range(1, 40, 4)]
    assert kubelet.offered == 10 and wide.offered == 40
    assert cacher.watchers.offers == 50
    assert all(e["object"]["spec"]["nodeName"] == "node-1" for e in mine)


def test_a_pod_bound_later_is_added_to_its_node_and_moves_between_nodes(loop, store, cacher):
    n1, n2, unscheduled = [], [], []
    w1 = cacher.watch(0, n1.append, field_selector=fields("spec.nodeName=node-1"))
    cacher.watch(0, n2.append, index=("spec.nodeName", "node-2"))
    cacher.watch(0, unscheduled.append, field_selector=fields("spec.nodeName="))
    put(store, "web")                     # pending: no node yet
    put(store, "web", node="node-1")      # bound
    put(store, "web", node="node-2")      # (not possible in Kubernetes; dispatch handles it)
    rv = delete(store, "web")
    loop.run(until=1)
    assert summary(unscheduled) == [("ADDED", "web"), ("DELETED", "web")]
    assert summary(n1) == [("ADDED", "web"), ("DELETED", "web")]
    assert n1[1]["object"]["spec"]["nodeName"] == "node-1"  # its last state on node-1
    assert summary(n2) == [("ADDED", "web"), ("DELETED", "web")]
    assert n2[1]["object"]["metadata"]["resourceVersion"] == str(rv)
    assert w1.offered == 2  # the bind and the move; never the create or the delete on node-2


def test_namespace_and_name_scoped_watches_are_filed_by_scope(loop, store, cacher):
    team, one = [], []
    wt = cacher.watch(0, team.append, namespace="team")
    wn = cacher.watch(0, one.append, field_selector=fields("metadata.name=a,metadata.namespace=default"))
    for ns in ("default", "team", "other"):
        put(store, "a", ns=ns)
        put(store, "b", ns=ns)
    loop.run(until=1)
    assert [(e["object"]["metadata"]["namespace"], n) for e, (_, n) in zip(team, summary(team))] == \
        [("team", "a"), ("team", "b")]
    assert summary(one) == [("ADDED", "a")] and one[0]["object"]["metadata"]["namespace"] == "default"
    assert wt.offered == 2 and wn.offered == 1


# -- event translation --------------------------------------------------------------------

def test_selector_transitions_become_added_and_deleted(loop, store, cacher):
    got = []
    cacher.watch(0, got.append, label_selector=labels("tier=front"))
    put(store, "a", labels={"tier": "back"})                   # not matching: nothing
    put(store, "a", labels={"tier": "front"})                  # starts matching -> ADDED
    put(store, "a", labels={"tier": "front", "x": "1"})        # still matching -> MODIFIED
    rv = put(store, "a", labels={"tier": "back", "x": "1"})    # stops matching -> DELETED
    put(store, "a", labels={"tier": "back", "x": "2"})         # still not matching: nothing
    loop.run(until=1)
    assert [e["type"] for e in got] == ["ADDED", "MODIFIED", "DELETED"]
    gone = got[2]["object"]
    # the last matching state, at the revision that made it stop matching
    assert gone["metadata"]["labels"] == {"tier": "front", "x": "1"}
    assert gone["metadata"]["resourceVersion"] == str(rv)


def test_watch_from_an_rv_in_the_window_replays_exactly_the_later_events(loop, store, cacher):
    put(store, "a")
    rv = put(store, "b")
    revs = [put(store, "c"), put(store, "a", labels={"x": "1"}), delete(store, "b")]
    got = []
    cacher.watch(rv, got.append)
    revs.append(put(store, "d"))
    loop.run(until=1)
    assert summary(got) == [("ADDED", "c"), ("MODIFIED", "a"), ("DELETED", "b"), ("ADDED", "d")]
    assert [int(e["object"]["metadata"]["resourceVersion"]) for e in got] == revs
    assert got[2]["object"]["metadata"]["labels"] == {"app": "web"}  # b's last state


def test_watch_older_than_the_window_gets_410_with_upstreams_text(loop, store, decode):
    put(store, "before")  # rev 2, before the cacher starts (its list is at rev 2)
    c = Cacher(loop, store, PREFIX, decode, capacity=5, kind="Pod", api_version="v1")
    c.start()
    got = []
    c.watch(1, got.append)  # before the list: nothing removed yet, so the floor is the list RV
    c.watch(2, got.append)  # at the list RV: fine
    revs = [put(store, f"p{i}") for i in range(8)]  # revs 3..10; the window keeps 6..10
    early, edge, closed = [], [], []
    w = c.watch(4, early.append)
    w.on_close(lambda: closed.append(loop.now))
    c.watch(5, edge.append)  # oldest buffered is 6: a watch from 5 misses nothing
    loop.run(until=1)
    assert got[0]["type"] == "ERROR" and got[0]["object"]["code"] == 410
    assert got[0]["object"]["message"] == "too old resource version: 1 (2)"
    assert got[0]["object"]["reason"] == "Expired"
    assert len(got) == 1 + 8  # the watch from 2 sees every later change
    assert early[0]["object"]["message"] == "too old resource version: 4 (5)" and w.closed and closed
    assert [int(e["object"]["metadata"]["resourceVersion"]) for e in edge] == revs[3:]


def test_the_window_grows_while_fresh_and_drops_events_older_than_75s(loop, store, decode):
    c = Cacher(loop, store, PREFIX, decode)
    c.start()
    first = put(store, "p0")
    for i in range(1, 150):
        put(store, f"p{i}")
    assert c._history.capacity == 2 * LOWER_BOUND_CAPACITY  # full and fresh: doubled
    got = []
    c.watch(first - 1, got.append)
    loop.run(until=100)  # now every buffered event is older than 75 s
    for i in range(60):
        put(store, f"q{i}")
    late = []
    c.watch(first - 1, late.append)
    loop.run(until=101)
    assert len(got) == 150 + 60
    assert c._history.capacity == 2 * LOWER_BOUND_CAPACITY  # not full: kept
    assert late[0]["type"] == "ERROR" and late[0]["object"]["message"].startswith(
        f"too old resource version: {first - 1} (")


def test_watch_events_are_private_copies(loop, store, cacher):
    a, b = [], []
    cacher.watch(0, lambda e: (a.append(e), e["object"]["metadata"]["labels"].update(x="mine")))
    cacher.watch(0, b.append)
    put(store, "p")
    loop.run(until=1)
    assert a[0]["object"]["metadata"]["labels"] == {"app": "web", "x": "mine"}
    assert b[0]["object"]["metadata"]["labels"] == {"app": "web"}
    assert cacher.get(PREFIX + "default/p")["metadata"]["labels"] == {"app": "web"}
    listed = cacher.list()[0][0]
    listed["metadata"]["labels"]["y"] = "1"
    assert cacher.list(copy=False)[0][0]["metadata"]["labels"] == {"app": "web"}


# -- lists ------------------------------------------------------------------------------------

def test_list_equals_etcds_range_at_the_current_revision(loop, store, cacher, decode):
    for i, ns in enumerate(["b", "a", "c", "a", "b"]):
        put(store, f"p{i}", ns=ns, node=f"node-{i % 2}")
    put(store, "p1", ns="a", labels={"app": "db"})
    delete(store, "p0", ns="b")
    store.put("/registry/nodes/n1", "{}")  # another resource moves etcd's revision on
    items, rv = cacher.list()
    r = store.range(PREFIX, "/registry/pods0")
    assert items == [decode(kv.value, kv.mod_revision) for kv in r.kvs]
    assert rv == r.header.revision == store.revision
    assert [o["metadata"]["name"] for o in items] == ["p1", "p3", "p4", "p2"]  # key order


def test_namespace_and_node_lists_read_their_index_only(loop, store, cacher):
    for i in range(200):
        put(store, f"p{i:03}", ns="big", node=f"node-{i % 50}")
    put(store, "x", ns="small", node="node-7")
    put(store, "y", ns="small")
    before = cacher.list_scanned
    items, _ = cacher.list(namespace="small")
    assert [o["metadata"]["name"] for o in items] == ["x", "y"]
    assert cacher.list_scanned - before == 2
    items, _ = cacher.list(index=("spec.nodeName", "node-7"))
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items] == \
        [("big", "p007"), ("big", "p057"), ("big", "p107"), ("big", "p157"), ("small", "x")]
    assert cacher.list_scanned - before == 2 + 5
    items, _ = cacher.list(namespace="small", index=("spec.nodeName", ""))
    assert [o["metadata"]["name"] for o in items] == ["y"]


def test_list_resource_version_rules(loop, store, cacher):
    rv1 = put(store, "a")
    put(store, "b")
    current = store.revision
    assert cacher.list(rv=current, rv_match="NotOlderThan")[1] == current
    with pytest.raises(Exception) as e:
        cacher.list(rv=current + 1)
    assert e.value.code == 504
    assert e.value.message == f"Too large resource version: {current + 1}, current: {current}"
    items, rv = cacher.list(rv=rv1, rv_match="Exact")  # before b: read from etcd at rv1
    assert ([o["metadata"]["name"] for o in items], rv) == (["a"], rv1)
    store.compact(current)
    with pytest.raises(Exception) as e:
        cacher.list(rv=rv1, rv_match="Exact")
    assert (e.value.code, e.value.message) == (410, "The resourceVersion for the provided list is too old.")
    store.put("/registry/nodes/n1", "{}")  # nothing under the prefix changed: still cached
    items, rv = cacher.list(rv=current, rv_match="Exact")
    assert ([o["metadata"]["name"] for o in items], rv) == (["a", "b"], current)


def test_a_value_that_does_not_decode_is_kept_out_and_breaks_nothing(loop, store, cacher):
    got = []
    cacher.watch(0, got.append)
    put(store, "good")
    put(store, "evil")
    store.put(PREFIX + "default/evil", "bar")
    store.put(PREFIX + "default/worse", "[1]")
    put(store, "after")
    loop.run(until=1)
    assert summary(got) == [("ADDED", "good"), ("ADDED", "evil"), ("DELETED", "evil"), ("ADDED", "after")]
    assert [o["metadata"]["name"] for o in cacher.list()[0]] == ["after", "good"]
    assert sorted(cacher.corrupt) == [PREFIX + "default/evil", PREFIX + "default/worse"]
    put(store, "evil")
    assert sorted(cacher.corrupt) == [PREFIX + "default/worse"]


# -- initial events, bookmarks, shutdown ------------------------------------------------------

def test_send_initial_events_ends_with_the_annotated_bookmark(loop, store, cacher):
    put(store, "a", node="node-1")
    put(store, "b", node="node-2")
    current = store.revision
    got, bad = [], []
    cacher.watch(0, got.append, field_selector=fields("spec.nodeName=node-1"),
                 send_initial_events=True, allow_bookmarks=True)
    cacher.watch(current + 5, bad.append, send_initial_events=True)
    put(store, "c", node="node-1")
    loop.run(until=1)
    assert [e["type"] for e in got] == ["ADDED", "BOOKMARK", "ADDED"]
    assert got[1]["object"] == {"kind": "Pod", "apiVersion": "v1", "metadata": {
        "resourceVersion": str(current), "annotations": {"k8s.io/initial-events-end": "true"}}}
    assert bad[0]["type"] == "ERROR" and bad[0]["object"]["code"] == 504


def test_bookmarks_about_every_minute_only_when_asked_and_only_with_news(loop, store, cacher):
    with_bm, without = [], []
    cacher.watch(0, with_bm.append, allow_bookmarks=True)
    cacher.watch(0, without.append)
    loop.run(until=61)
    assert with_bm == []  # nothing happened since the watch began: no bookmark
    rv = put(store, "a")
    loop.run(until=119.9)
    assert [e["type"] for e in with_bm] == ["ADDED"]
    loop.run(until=121)
    assert [e["type"] for e in with_bm] == ["ADDED", "BOOKMARK"]
    assert with_bm[1]["object"]["metadata"] == {"resourceVersion": str(rv)}
    store.put("/registry/leases/x", "{}")  # any etcd write is news for a bookmark
    loop.run(until=181)
    assert with_bm[-1]["object"]["metadata"]["resourceVersion"] == str(store.revision)
    assert [e["type"] for e in without] == ["ADDED"]


def test_stop_ends_every_watch_with_503_then_closes(loop, store, cacher):
    got, closed = [], []
    w = cacher.watch(0, got.append, field_selector=fields("spec.nodeName=node-1"))
    w.on_close(lambda: closed.append(loop.now))
    put(store, "a", node="node-1")
    stopped = []
    s = cacher.watch(0, stopped.append)
    s.stop()
    cacher.stop()
    put(store, "b", node="node-1")
    loop.run(until=1)
    assert [e["type"] for e in got] == ["ADDED", "ERROR"]
    assert got[1]["object"]["code"] == 503 and closed == [0.001]
    assert stopped == [] and cacher.open_watches == 0
    with pytest.raises(Exception) as e:
        cacher.list()
    assert e.value.code == 503
    cacher.start()  # a restart relists
    assert [o["metadata"]["name"] for o in cacher.list()[0]] == ["a", "b"]


# -- a scripted stream, pinned (it equalled the old per-watch etcd stream event for event) ---

SCRIPT = [  # (virtual time, action, name, node, labels)
    (0.0, "put", "a", None, {"app": "web"}),
    (0.0, "put", "b", "node-1", {"app": "db"}),
    (0.0005, "put", "a", "node-1", {"app": "web"}),
    (0.0005, "put", "c", "node-2", {"app": "web"}),
    (0.002, "put", "b", "node-1", {"app": "web"}),
    (0.002, "delete", "a", None, None),
    (0.01, "put", "c", "node-1", {"app": "web"}),
    (0.01, "put", "d", None, {"app": "web"}),
]
WATCHES = [  # (resourceVersion, label selector, field selector, latency)
    (0, None, None, 0.001),
    (0, "app=web", None, 0.001),
    (0, None, "spec.nodeName=node-1", 0.002),
    ("start", None, None, 0.0005),
    (0, "app=web", "spec.nodeName=node-1", 0.001),
]
GOLDEN = [  # (time, watch, type, name, resourceVersion): checked by hand, then by both
    (0.0005, 3, "ADDED", "a", 3), (0.0005, 3, "ADDED", "b", 4),
    (0.001, 0, "ADDED", "seed", 2), (0.001, 1, "ADDED", "seed", 2), (0.001, 0, "ADDED", "a", 3),
    (0.001, 1, "ADDED", "a", 3), (0.001, 0, "ADDED", "b", 4), (0.001, 3, "MODIFIED", "a", 5),
    (0.001, 3, "ADDED", "c", 6), (0.0015, 0, "MODIFIED", "a", 5), (0.0015, 1, "MODIFIED", "a", 5),
    (0.0015, 4, "ADDED", "a", 5), (0.0015, 0, "ADDED", "c", 6), (0.0015, 1, "ADDED", "c", 6),
    (0.002, 2, "ADDED", "b", 4), (0.0025, 2, "ADDED", "a", 5), (0.0025, 3, "MODIFIED", "b", 7),
    (0.0025, 3, "DELETED", "a", 8), (0.003, 0, "MODIFIED", "b", 7), (0.003, 1, "ADDED", "b", 7),
    (0.003, 4, "ADDED", "b", 7), (0.003, 0, "DELETED", "a", 8), (0.003, 1, "DELETED", "a", 8),
    (0.003, 4, "DELETED", "a", 8), (0.004, 2, "MODIFIED", "b", 7), (0.004, 2, "DELETED", "a", 8),
    (0.0105, 3, "MODIFIED", "c", 9), (0.0105, 3, "ADDED", "d", 10), (0.011, 0, "MODIFIED", "c", 9),
    (0.011, 1, "MODIFIED", "c", 9), (0.011, 4, "ADDED", "c", 9), (0.011, 0, "ADDED", "d", 10),
    (0.011, 1, "ADDED", "d", 10), (0.012, 2, "ADDED", "c", 9),
]


def run_script(open_watch):
    """Drive SCRIPT against watches opened by ``open_watch(loop, store, i, rv, labels,
    fields, latency, callback)``; return (time, watch, type, name, resourceVersion) rows."""
    loop, store = Loop(seed=0), Store()
    put(store, "seed")
    rows = []
    opened = []

    def open_all():
        for i, (rv, lab, fld, lat) in enumerate(WATCHES):
            rv = store.revision if rv == "start" else rv
            cb = (lambda i: lambda e: rows.append((round(loop.now, 6), i, e["type"],
                                                   e["object"]["metadata"]["name"],
                                                   int(e["object"]["metadata"]["resourceVersion"]))))(i)
            opened.append(open_watch(loop, store, rv, lab and labels(lab), fld and fields(fld), lat, cb))

    open_all()
    for at, action, name, node, labs in SCRIPT:
        loop.run(until=at)
        if action == "put":
            put(store, name, node=node, labels=labs)
        else:
            delete(store, name)
    loop.run(until=1)
    return rows


def test_delivery_order_and_latency_match_the_golden_stream():
    caches = {}

    def via_cacher(loop, store, rv, lab, fld, lat, cb):
        c = caches.get(id(store))
        if c is None:
            c = caches[id(store)] = Cacher(loop, store, PREFIX, CountingDecode(), POD_INDEXERS)
            c.start()
        return c.watch(rv, cb, label_selector=lab, field_selector=fld, latency=lat)

    assert run_script(via_cacher) == GOLDEN
