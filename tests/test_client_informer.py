"""Informers: list+watch keeps a cache equal to the API server; 410 and outages are survived."""

from __future__ import annotations

from apihelpers import default_service_accounts
import pytest
from hypothesis import given, settings, strategies as st

from k8score.apiserver import APIServer
from k8score.client import Client, SharedInformerFactory
from k8score.etcd import Store
from k8score.sim import Loop


def _cm(name: str, value: str = "1") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


def _setup(latency: float | None = None):
    loop = Loop(seed=1)
    store = Store()
    api = APIServer(loop, store)
    api.start()
    default_service_accounts(api)
    client = Client(api, user="kubernetes-admin")
    factory = SharedInformerFactory(client, loop, latency=latency)
    inf = factory.informer("configmaps", namespace="default")
    seen: list[tuple[str, str]] = []
    inf.add_event_handler(on_add=lambda o: seen.append(("add", o["metadata"]["name"])),
                          on_update=lambda old, new: seen.append(("update", new["metadata"]["name"])),
                          on_delete=lambda o: seen.append(("delete", o["metadata"]["name"])))
    return loop, store, api, client, factory, inf, seen


def _server_state(api: APIServer) -> dict[str, str]:
    return {f"default/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
            for o in api.list("configmaps", namespace="default")["items"]}


def _cache_state(inf) -> dict[str, str]:
    return {k: o["metadata"]["resourceVersion"] for k, o in ((k, inf.get(k)) for k in inf.keys())}


def test_list_fills_cache_then_watch_delivers_changes_in_order():
    loop, _store, api, _c, factory, inf, seen = _setup()
    api.create("configmaps", _cm("a"), "default")
    factory.start()
    assert inf.has_synced and inf.get("default/a")["data"] == {"v": "1"}
    api.create("configmaps", _cm("b"), "default")
    api.patch("configmaps", "a", {"data": {"v": "2"}}, namespace="default")
    api.delete("configmaps", "b", namespace="default")
    assert inf.get("default/b") is None  # not yet delivered: the watch has latency
    loop.run(until=1)
    assert seen == [("add", "a"), ("add", "b"), ("update", "a"), ("delete", "b")]
    assert inf.get("default/a")["data"] == {"v": "2"}
    assert _cache_state(inf) == _server_state(api)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["create", "update", "delete"]), st.integers(0, 5)), max_size=30))
def test_cache_converges_to_server_for_any_sequence_of_writes(ops):
    loop, _store, api, _c, factory, inf, seen = _setup(latency=0.05)
    factory.start()
    for i, (op, n) in enumerate(ops):
        name = f"cm-{n}"
        exists = any(o["metadata"]["name"] == name for o in api.list("configmaps", namespace="default")["items"])
        if op == "create" and not exists:
            api.create("configmaps", _cm(name), "default")
        elif op == "update" and exists:
            api.patch("configmaps", name, {"data": {"v": str(i)}}, namespace="default")
        elif op == "delete" and exists:
            api.delete("configmaps", name, namespace="default")
        loop.run(until=loop.now + 0.01 * (i % 3))
    loop.run(until=loop.now + 1)
    assert _cache_state(inf) == _server_state(api)
    # every object the cache holds was announced by an add, and no delete lacks an add
    adds = {name for kind, name in seen if kind == "add"}
    assert {k.split("/")[1] for k in inf.keys()} <= adds


def test_rewatch_after_api_server_restart_with_backoff():
    loop, store, api, _c, factory, inf, seen = _setup()
    api.create("configmaps", _cm("a"), "default")
    factory.start()
    loop.run(until=1)
    # A second API server on the same etcd keeps accepting writes while the first is down.
    other = APIServer(loop, store, name="kube-apiserver-2")
    other.start()
    default_service_accounts(other)
    api.stop()
    other.create("configmaps", _cm("b"), "default")
    other.delete("configmaps", "a", namespace="default")
    loop.run(until=20)
    assert inf.get("default/b") is None  # informer talks to the stopped server only
    backoffs = [d for _t, what, d in inf.history if what == "backoff"]
    assert len(backoffs) >= 3
    delays = [float(d.rsplit("retrying in ", 1)[1].rstrip("s")) for d in backoffs]
    # 800 ms doubling, jittered by up to +100 % (client-go reflector backoff)
    for i, d in enumerate(delays[:4]):
        base = 0.8 * 2 ** i
        assert base <= d <= 2 * base
    api.start()
    default_service_accounts(api)
    loop.run(until=loop.now + 40)
    assert _cache_state(inf) == _server_state(api)
    assert ("delete", "a") in seen and ("add", "b") in seen


def test_relist_after_410_emits_the_difference():
    loop, store, api, _c, factory, inf, seen = _setup()
    for n in ("a", "b", "c"):
        api.create("configmaps", _cm(n), "default")
    factory.start()
    loop.run(until=1)
    other = APIServer(loop, store, name="kube-apiserver-2")
    other.start()
    default_service_accounts(other)
    api.stop()
    other.delete("configmaps", "a", namespace="default")
    other.patch("configmaps", "b", {"data": {"v": "9"}}, namespace="default")
    other.create("configmaps", _cm("d"), "default")
    store.compact(store.revision)  # the informer's resourceVersion is gone now
    seen.clear()
    api.start()
    default_service_accounts(api)
    loop.run(until=loop.now + 60)
    assert any(what == "relist" for _t, what, _d in inf.history)
    assert inf.lists == 2
    assert sorted(seen) == [("add", "d"), ("delete", "a"), ("update", "b")]
    assert _cache_state(inf) == _server_state(api)


def test_factory_shares_informers_and_replays_cache_to_late_handlers():
    loop, _store, api, client, factory, inf, _seen = _setup()
    assert factory.informer("configmaps", namespace="default") is inf
    assert factory.informer("configmaps") is not inf
    api.create("configmaps", _cm("a"), "default")
    factory.start()
    late: list[str] = []
    inf.add_event_handler(on_add=lambda o: late.append(o["metadata"]["name"]))
    assert late == ["a"]


def test_resync_calls_update_with_the_same_object():
    loop = Loop(seed=2)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    factory = SharedInformerFactory(Client(api, user="kubernetes-admin"), loop, resync_period=30)
    inf = factory.informer("namespaces")
    calls: list[float] = []
    inf.add_event_handler(on_update=lambda old, new: calls.append(loop.now) if old is new else None)
    factory.start()
    loop.run(until=65)
    assert sorted(set(calls)) == [30.0, 60.0]


@pytest.mark.parametrize("selector,expected", [("spec.nodeName=node-1", ["p1"]), (None, ["p1", "p2"])])
def test_field_selector_informer_sees_only_matching_pods(selector, expected):
    loop = Loop(seed=3)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    for name, node in (("p1", "node-1"), ("p2", "node-2")):
        api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]}}, "default")
    factory = SharedInformerFactory(Client(api, user="kubernetes-admin"), loop)
    inf = factory.informer("pods", field_selector=selector)
    factory.start()
    loop.run(until=1)
    assert [k.split("/")[1] for k in inf.keys()] == expected


def test_indexers_follow_adds_updates_and_deletes():
    loop, _store, api, _c, factory, inf, _seen = _setup()
    inf.add_indexer("by-v", lambda o: [(o.get("data") or {}).get("v", "")])
    api.create("configmaps", _cm("a", "x"), "default")
    api.create("configmaps", _cm("b", "x"), "default")
    factory.start()
    assert [o["metadata"]["name"] for o in inf.by_index("by-v", "x")] == ["a", "b"]
    api.patch("configmaps", "a", {"data": {"v": "y"}}, namespace="default")
    api.delete("configmaps", "b", namespace="default")
    loop.run(until=1)
    assert inf.by_index("by-v", "x") == []
    assert [o["metadata"]["name"] for o in inf.by_index("by-v", "y")] == ["a"]
    assert [o["metadata"]["name"] for o in inf.list("default")] == ["a"] and inf.list("other") == []
