"""kube-apiserver watches: resourceVersions, synthetic ADDED, selectors, 410, shutdown."""

from apihelpers import default_service_accounts
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.apiserver import APIServer, ApiError
from k8score.etcd import Store
from k8score.sim import Loop


def pod(name, labels=None, node=None):
    spec = {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "labels": labels or {"app": "web"}}, "spec": spec}


def summary(events):
    return [(e["type"], e["object"]["metadata"].get("name")) for e in events]


def test_watch_without_resource_version_starts_with_synthetic_added(api, loop):
    api.create("pods", pod("a"))
    api.create("pods", pod("b"))
    got = []
    api.watch("pods", got.append)
    api.create("pods", pod("c"))
    assert got == []  # delivered through the channel, slightly later
    loop.run(until=loop.now + 0.01)
    assert summary(got) == [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")]


def test_watch_latency_is_virtual_time(api, loop):
    got = []
    api.watch("pods", lambda e: got.append((loop.now, e["type"])), latency=0.25)
    api.create("pods", pod("a"))
    loop.run(until=0.2)
    assert got == []
    loop.run(until=0.3)
    assert got == [(0.25, "ADDED")]


def test_watch_from_resource_version_sees_only_later_events_in_order(api, loop):
    api.create("pods", pod("a"))
    rv = api.create("pods", pod("b"))["metadata"]["resourceVersion"]
    api.create("pods", pod("c"))
    p = api.get("pods", "a")
    p["metadata"]["labels"]["x"] = "1"
    modified = api.update("pods", p)
    api.delete("pods", "b")
    got = []
    api.watch("pods", got.append, resource_version=rv)
    loop.run(until=1)
    assert summary(got) == [("ADDED", "c"), ("MODIFIED", "a"), ("DELETED", "b")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in got]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)
    assert got[1]["object"]["metadata"]["resourceVersion"] == modified["metadata"]["resourceVersion"]
    # a DELETED event carries the last state with the revision of the deletion
    assert got[2]["object"]["metadata"]["labels"] == {"app": "web"}
    assert int(got[2]["object"]["metadata"]["resourceVersion"]) > int(modified["metadata"]["resourceVersion"])


def test_watch_namespace_and_label_selector(api, loop):
    api.create("namespaces", {"metadata": {"name": "other"}})
    default_service_accounts(api, ["other"])
    got = []
    api.watch("pods", got.append, namespace="default", label_selector="app=web")
    api.create("pods", pod("a"))
    api.create("pods", pod("b", labels={"app": "db"}))
    api.create("pods", pod("c"), namespace="other")
    loop.run(until=1)
    assert summary(got) == [("ADDED", "a")]


def test_selector_transitions_become_added_and_deleted(api, loop):
    got = []
    api.watch("pods", got.append, label_selector="tier=front")
    p = api.create("pods", pod("a", labels={"tier": "back"}))
    p["metadata"]["labels"]["tier"] = "front"
    p = api.update("pods", p)          # starts matching -> ADDED
    p["metadata"]["labels"]["x"] = "1"
    p = api.update("pods", p)          # still matching -> MODIFIED
    p["metadata"]["labels"]["tier"] = "back"
    api.update("pods", p)              # stops matching -> DELETED
    loop.run(until=1)
    assert [e["type"] for e in got] == ["ADDED", "MODIFIED", "DELETED"]


def test_field_selector_watch_like_a_kubelet(api, loop):
    got = []
    api.watch("pods", got.append, field_selector="spec.nodeName=node-1")
    api.create("pods", pod("a"))
    api.create("pods", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "a"},
                        "target": {"kind": "Node", "name": "node-1"}}, "default", subresource="binding")
    api.create("pods", pod("b", node="node-2"))
    loop.run(until=1)
    assert summary(got) == [("ADDED", "a")]
    assert got[0]["object"]["spec"]["nodeName"] == "node-1"


def test_watch_older_than_the_watch_cache_gets_410_and_compaction_does_not_matter(api, loop, store):
    """storage/cacher/watch_cache.go: a watch resumes from any resourceVersion still in the
    cache's window, even one etcd has compacted; older than the window is 410 Expired."""
    rv = api.create("pods", pod("a"))["metadata"]["resourceVersion"]
    for name in "bcd":
        api.create("pods", pod(name))
    store.compact(store.revision)
    got = []
    api.watch("pods", got.append, resource_version=rv)
    loop.run(until=1)
    assert summary(got) == [("ADDED", "b"), ("ADDED", "c"), ("ADDED", "d")]
    # the window keeps at least 100 events, and more only while they are under 75 s old:
    # 200 newer events 80 s later push the first ones out
    loop.run(until=80)
    for i in range(200):
        api.create("configmaps", {"metadata": {"name": f"c{i}"}})
        api.create("pods", pod(f"p{i}"))
    oldest = api.cachers["pods"]._history.oldest_rv()
    assert oldest > int(rv)
    old = []
    w = api.watch("pods", old.append, resource_version=rv)
    loop.run(until=81)
    assert len(old) == 1 and old[0]["type"] == "ERROR"
    status = old[0]["object"]
    assert status["code"] == 410 and status["kind"] == "Status" and status["reason"] == "Expired"
    assert status["message"] == f"too old resource version: {rv} ({oldest - 1})"
    assert w.closed

def test_client_stop_drops_in_flight_events(api, loop):
    got = []
    w = api.watch("pods", got.append)
    api.create("pods", pod("a"))
    w.stop()
    loop.run(until=1)
    assert got == [] and api.open_watches == 0


def test_stopping_the_apiserver_ends_watches_with_503(api, loop):
    got, closed = [], []
    w = api.watch("pods", got.append)
    w.on_close(lambda: closed.append(loop.now))
    api.create("pods", pod("a"))
    api.stop()
    loop.run(until=1)
    assert [e["type"] for e in got] == ["ADDED", "ERROR"]
    assert got[1]["object"]["code"] == 503 and closed
    api.start()
    api.create("pods", pod("b"))
    loop.run(until=2)
    assert len(got) == 2  # that watch is gone; a client must watch again


def test_deleting_a_namespace_is_seen_by_watchers(api, loop):
    # namespace/storage/storage.go: DELETE marks (MODIFIED, Terminating); /finalize removes it
    api.create("namespaces", {"metadata": {"name": "team"}})
    got = []
    api.watch("namespaces", got.append, resource_version=str(api.storage.revision))
    ns = api.delete("namespaces", "team")
    ns["spec"]["finalizers"] = []
    api.update("namespaces", ns, subresource="finalize")
    loop.run(until=1)
    assert [(e["type"], e["object"]["status"]["phase"]) for e in got] == [
        ("MODIFIED", "Terminating"), ("DELETED", "Terminating")]


def test_watch_rejects_bad_selectors_synchronously(api):
    with pytest.raises(ApiError) as e:
        api.watch("pods", print, field_selector="spec.bogus=1")
    assert e.value.code == 400


def test_send_initial_events_ends_with_a_bookmark(api, loop):
    api.create("pods", pod("a"))
    got = []
    api.watch("pods", got.append, send_initial_events=True)
    api.create("pods", pod("b"))
    loop.run(until=1)
    assert [e["type"] for e in got] == ["ADDED", "BOOKMARK", "ADDED"]
    assert got[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(got[1]["object"]["metadata"]["resourceVersion"]) < int(got[2]["object"]["metadata"]["resourceVersion"])


ops = st.lists(st.tuples(st.sampled_from(["create", "relabel", "delete", "bind"]),
                         st.sampled_from(["a", "b", "c"]),
                         st.sampled_from(["web", "db"])), max_size=25)


@settings(max_examples=60, deadline=None)
@given(ops=ops, selector=st.sampled_from([None, "app=web", "app!=web"]),
       fields=st.sampled_from([None, "spec.nodeName=node-1", "spec.nodeName="]))
def test_a_watch_replayed_into_a_cache_equals_a_fresh_list(ops, selector, fields):
    """The informer invariant: applying the events of a (filtered) watch to a cache gives
    exactly what a list with the same selectors returns."""
    loop = Loop(seed=0)
    api = APIServer(loop, Store(), seed=0)
    api.start()
    default_service_accounts(api)
    cache = {}

    def on_event(ev):
        name = ev["object"]["metadata"]["name"]
        if ev["type"] == "DELETED":
            del cache[name]
        else:
            cache[name] = ev["object"]["metadata"]["resourceVersion"]

    api.watch("pods", on_event, label_selector=selector, field_selector=fields)
    for op, name, app in ops:
        try:
            if op == "create":
                api.create("pods", pod(name, labels={"app": app}))
            elif op == "relabel":
                api.patch("pods", name, {"metadata": {"labels": {"app": app}}})
            elif op == "bind":
                api.create("pods", {"metadata": {"name": name}, "target": {"kind": "Node", "name": "node-1"}},
                           "default", subresource="binding")
            else:
                api.delete("pods", name, grace_period_seconds=0)
        except ApiError as e:
            assert e.code in (404, 409)
    loop.run(until=loop.now + 1)
    listed = api.list("pods", label_selector=selector, field_selector=fields)["items"]
    assert cache == {p["metadata"]["name"]: p["metadata"]["resourceVersion"] for p in listed}


