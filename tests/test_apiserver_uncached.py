"""Events are served from etcd, without a watch cache, as upstream does by default.

Upstream: pkg/kubeapiserver/default_storage_factory_builder.go ``DefaultWatchCacheSizes``
(events: 0), k8s.io/apiserver/pkg/storage/etcd3/store.go (GET/LIST from etcd) and
etcd3/watcher.go (one etcd watch per request, PrevKV, ``interpretWatchError``: a compacted
revision is 410 "The resourceVersion for the provided watch is too old.").
"""

import pytest

from k8score import Cluster
from k8score.apiserver.cacher import Cacher
from k8score.apiserver.uncached import Uncached

# ``api`` and ``loop`` come from conftest.py


def event(name, reason="Started", labels=None, ns="default"):
    meta = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "involvedObject": {"kind": "Pod", "name": "p", "namespace": ns},
            "reason": reason, "message": f"{reason} {name}", "type": "Normal",
            "source": {"component": "test"}}


def summary(events):
    return [(e["type"], e["object"]["metadata"].get("name")) for e in events]


def test_events_have_no_watch_cache_and_other_resources_do(api):
    assert type(api.cachers["events"]) is Uncached
    assert type(api.cachers["pods"]) is Cacher
    api.create("events", event("e1"), namespace="default")
    # nothing decoded is kept: every read decodes afresh from etcd
    a = api.get("events", "e1", "default")
    b = api.get("events", "e1", "default")
    assert a == b and a is not b
    assert not hasattr(api.cachers["events"], "_objs") or api.cachers["events"]._objs == {}


def test_list_reads_etcd_with_selectors_and_exact_revisions(api):
    api.create("events", event("e1", labels={"k": "a"}), namespace="default")
    rv = api.create("events", event("e2", labels={"k": "b"}), namespace="default")["metadata"]["resourceVersion"]
    api.create("events", event("e3", labels={"k": "a"}), namespace="default")
    names = lambda r: [o["metadata"]["name"] for o in r["items"]]
    assert names(api.list("events", "default")) == ["e1", "e2", "e3"]
    assert names(api.list("events", "default", label_selector="k=a")) == ["e1", "e3"]
    assert names(api.list("events", "default", field_selector="reason=Started,metadata.name=e2")) == ["e2"]
    at = api.list("events", "default", resource_version=rv, resource_version_match="Exact")
    assert names(at) == ["e1", "e2"] and at["metadata"]["resourceVersion"] == rv


def test_watch_from_zero_replays_state_then_changes_and_delete_carries_last_state(api, loop):
    api.create("events", event("e1"), namespace="default")
    got = []
    api.watch("events", got.append, namespace="default")
    e2 = api.create("events", event("e2"), namespace="default")
    e2["count"] = 2
    api.update("events", e2, namespace="default")
    api.delete("events", "e1", "default")
    loop.run(until=loop.now + 1)
    assert summary(got) == [("ADDED", "e1"), ("ADDED", "e2"), ("MODIFIED", "e2"), ("DELETED", "e1")]
    assert got[2]["object"]["count"] == 2
    deleted = got[3]["object"]
    assert deleted["reason"] == "Started"                       # the last state ...
    assert int(deleted["metadata"]["resourceVersion"]) > int(got[2]["object"]["metadata"]["resourceVersion"])


def test_watch_from_a_revision_and_label_exits(api, loop):
    rv = api.create("events", event("e1", labels={"k": "a"}), namespace="default")["metadata"]["resourceVersion"]
    e = api.get("events", "e1", "default")
    e["metadata"]["labels"] = {"k": "b"}          # leaves the selector
    api.update("events", e, namespace="default")
    api.create("events", event("e2", labels={"k": "a"}), namespace="default")
    got, everything = [], []
    api.watch("events", got.append, namespace="default", label_selector="k=a", resource_version=rv)
    api.watch("events", everything.append, namespace="default", resource_version=rv)
    loop.run(until=loop.now + 1)
    assert summary(got) == [("DELETED", "e1"), ("ADDED", "e2")]
    assert summary(everything) == [("MODIFIED", "e1"), ("ADDED", "e2")]
    # two watches decode for themselves: no object is shared between them
    assert got[1]["object"] is not everything[1]["object"]
    assert got[1]["object"] == everything[1]["object"]


def test_a_compacted_revision_ends_the_watch_with_upstreams_410(api, loop):
    rv1 = api.create("events", event("e1"), namespace="default")["metadata"]["resourceVersion"]
    rv2 = api.create("events", event("e2"), namespace="default")["metadata"]["resourceVersion"]
    api.create("events", event("e3"), namespace="default")
    api.storage.store.compact(int(rv2) + 1)     # revisions up to rv2 are gone
    ok, old = [], []
    api.watch("events", ok.append, namespace="default", resource_version=rv2)
    w = api.watch("events", old.append, namespace="default", resource_version=rv1)
    loop.run(until=loop.now + 1)
    assert summary(ok) == [("ADDED", "e3")]             # at the compaction point: still served
    assert len(old) == 1 and old[0]["type"] == "ERROR" and w.closed
    status = old[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"] == "The resourceVersion for the provided watch is too old."


def test_stopping_a_watch_cancels_its_etcd_watch_and_shutdown_ends_the_rest(api, loop):
    cache = api.cachers["events"]
    got = []
    w = api.watch("events", got.append, namespace="default")
    etcd = w.etcd
    assert etcd is not None and not etcd.canceled
    w.stop()
    assert etcd.canceled and w.etcd is None
    api.create("events", event("e1"), namespace="default")
    loop.run(until=loop.now + 1)
    assert got == []
    other = []
    w2 = api.watch("events", other.append, namespace="default")
    cache.stop()
    loop.run(until=loop.now + 1)
    assert [e["type"] for e in other] == ["ADDED", "ERROR"] and other[1]["object"]["code"] == 503
    assert w2.closed and w2.etcd is None


def test_a_cluster_keeps_no_event_objects_in_the_api_server_but_shows_them():
    c = Cluster(nodes=1, seed=1)
    c.kubectl("run p --image=nginx")
    c.run(until=lambda: c.kubectl("get pod p -o jsonpath={.status.phase}") == "Running", timeout=60)
    c.run(1)
    out = c.kubectl("get events --field-selector involvedObject.name=p")
    for reason in ("Scheduled", "Pulling", "Pulled", "Created", "Started"):
        assert reason in out
    # the timeline (an informer watching events) saw them too
    seen = " ".join(what for _, _, what in c.timeline())
    assert "Scheduled" in seen and "Started container p" in seen
    assert type(c.apiserver.cachers["events"]) is Uncached
