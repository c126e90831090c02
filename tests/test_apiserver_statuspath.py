"""Status writes and watch fan-out take shortcuts that answer exactly as the long way round.

- PATCH of a status subresource starts from the watch cache's object and reads etcd again
  only when the write's revision check fails on it (staging/src/k8s.io/apiserver/pkg/
  endpoints/handlers/patch.go applies the patch inside GuaranteedUpdate;
  storage/cacher/cacher.go ``GuaranteedUpdate`` passes the cached object as the suggestion);
- the top-level fields the patch left as stored (``spec``) are not decoded again, and the
  strategic merge patch copies only what the patch names (pkg/registry/core/pod/strategy.go
  ``podStatusStrategy.PrepareForUpdate`` keeps only status from the request anyway);
- nulls the decoder drops (``lastProbeTime: null``) are dropped before its fast path;
- a write is compared with the stored object by value before by encoding;
- watchers whose callbacks are read-only (informers: client-go shared_informer.go hands one
  object to all handlers) share one copy of each event; other watchers own theirs.

The "long way" below is the same API server with every shortcut switched off; both must
give the same responses, warnings, errors and etcd contents, byte for byte.
"""

from __future__ import annotations

import json

import pytest

from k8score.api.errors import ApiError
from k8score.apiserver import APIServer, pipeline
from k8score.apiserver.registry import store as store_mod
from k8score.etcd import Store, prefix_end
from k8score.sim import Loop

POD = {"metadata": {"name": "p", "labels": {"app": "web"}},
       "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}}


def _server() -> APIServer:
    loop = Loop(seed=5)
    a = APIServer(loop, Store(), seed=5)
    a.start()
    a.create("serviceaccounts", {"metadata": {"name": "default"}}, namespace="default")
    a.create("pods", json.loads(json.dumps(POD)), namespace="default")
    return a


def _long_way(monkeypatch) -> None:
    """Switch every shortcut off (module globals: affects servers used after this call)."""
    decode_body = store_mod.decode_body
    apply_patch = pipeline.apply_patch
    monkeypatch.setattr(store_mod.Store, "read_cached", lambda self, rc, name, ns: None)
    monkeypatch.setattr(store_mod, "decode_body", lambda rc, body, shared=None, base=None: decode_body(rc, body, shared))
    monkeypatch.setattr(store_mod, "fast_decodes", lambda schema, obj: False)
    monkeypatch.setattr(store_mod, "differs", lambda new, old: False)
    monkeypatch.setattr(pipeline, "apply_patch", lambda o, p, t, s=None, share=False: apply_patch(o, p, t, s))


COND = {"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": "2026-01-01T00:00:00Z"}
SCRIPT = [
    # (patch, patch type, options)
    ({"status": {"phase": "Running", "conditions": [COND], "podIP": "10.0.0.5"}}, "merge", {}),
    ({"status": {"phase": "Running", "conditions": [COND], "podIP": "10.0.0.5"}}, "merge", {}),   # no-op
    ({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}, "strategic", {}),
    ({"status": {"hostIP": "192.168.0.2", "bogus": 1}}, "merge", {}),                 # Warn: unknown field
    ({"status": {"hostIP": "192.168.0.3", "bogus": 1}}, "merge", {"field_validation": "Strict"}),
    ({"status": {"podIP": 5}}, "merge", {}),                                          # a type error
    ({"spec": {"nodeName": "elsewhere"}, "status": {"message": "m"}}, "merge", {}),   # spec is ignored
    ({"metadata": {"labels": {"app": "db"}}, "status": {"reason": "R"}}, "merge", {}),
    ({"metadata": {"resourceVersion": "1"}, "status": {"reason": "old"}}, "merge", {}),  # stale precondition
    ([{"op": "replace", "path": "/status/phase", "value": "Succeeded"}], "json", {}),
    ({"status": {"$setElementOrder/conditions": [{"type": "Ready"}],
                 "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None}]}}, "strategic", {}),
]


def _run(api: APIServer) -> list:
    out = []
    for body, ptype, opts in SCRIPT:
        try:
            got = api.patch("pods", "p", json.loads(json.dumps(body)), ptype, namespace="default",
                            subresource="status", user="system:node:n1", **opts)
            out.append(("ok", json.dumps(got), list(api.last_trace.warnings)))
        except ApiError as e:
            out.append(("error", e.code, e.message))
    kvs = api.store.range("/registry/", prefix_end("/registry/")).kvs
    out.append([(kv.key, kv.value, kv.mod_revision) for kv in kvs])
    return out


def test_status_patches_answer_and_store_what_the_long_way_does(monkeypatch):
    short = _run(_server())
    _long_way(monkeypatch)
    assert short == _run(_server())
    # and what they say is upstream's
    assert [r[0] for r in short[:-1]] == ["ok", "ok", "ok", "ok", "error", "error", "ok", "ok", "error", "ok", "ok"]
    assert short[3][2] == ['unknown field "status.bogus"']
    assert short[4][1:] == (400, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
                                 'unknown field "status.bogus"')
    assert short[5][1:] == (400, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal '
                                 'number into Go struct field PodStatus.status.podIP of type string')
    assert short[8][1:] == (409, 'Operation cannot be fulfilled on pods "p": the object has been modified; '
                                 'please apply your changes to the latest version and try again')
    first, noop = json.loads(short[0][1]), json.loads(short[1][1])
    assert first["metadata"]["resourceVersion"] == noop["metadata"]["resourceVersion"]  # nothing written
    assert "lastProbeTime" not in first["status"]["conditions"][0]     # a null Time is dropped
    moved = json.loads(short[6][1])
    assert moved["spec"]["nodeName"] == "n1" and moved["status"]["message"] == "m"
    assert json.loads(short[7][1])["metadata"]["labels"] == {"app": "web"}   # only status is written


def test_a_status_patch_never_changes_the_cached_object_it_started_from():
    api = _server()
    cacher = api.cachers["pods"]
    before = cacher.current("/registry/pods/default/p")
    snapshot = json.dumps(before)
    api.patch("pods", "p", {"status": {"conditions": [COND]}}, "strategic", namespace="default",
              subresource="status", user="system:node:n1")
    api.patch("pods", "p", {"metadata": {"labels": {"x": "y"}}, "status": {"phase": "Running"}}, "merge",
              namespace="default", subresource="status", user="system:node:n1")
    assert json.dumps(before) == snapshot
    now = cacher.current("/registry/pods/default/p")
    assert now is not before and now["status"]["phase"] == "Running"
    assert now["status"]["conditions"][0]["type"] == "Ready"


def test_a_status_patch_on_a_stale_cache_reads_etcd_and_applies_to_the_latest(monkeypatch):
    api = _server()
    stale = api.get("pods", "p", "default")
    api.patch("pods", "p", {"status": {"phase": "Running"}}, namespace="default", subresource="status")
    monkeypatch.setattr(api.cachers["pods"], "current", lambda key: stale)   # a cache one write behind
    got = api.patch("pods", "p", {"status": {"podIP": "10.0.0.9"}}, namespace="default", subresource="status")
    assert (got["status"]["phase"], got["status"]["podIP"]) == ("Running", "10.0.0.9")
    assert api.get("pods", "p", "default")["status"] == got["status"]


class _ReadOnly:
    """A watch callback that promises not to mutate what it gets (as the informers' do)."""
    read_only = True

    def __init__(self) -> None:
        self.events: list = []

    def __call__(self, ev: dict) -> None:
        self.events.append(ev)


def test_read_only_watchers_share_one_copy_and_others_own_theirs():
    api = _server()
    a, b, mine = _ReadOnly(), _ReadOnly(), []
    for cb in (a, b, mine.append):
        api.watch("pods", cb, namespace="default", resource_version=api.get("pods", "p", "default")
                  ["metadata"]["resourceVersion"])
    api.patch("pods", "p", {"status": {"phase": "Running"}}, namespace="default", subresource="status")
    api.delete("pods", "p", "default", grace_period_seconds=0)
    api.loop.run(until=api.loop.now + 1)
    assert [e["type"] for e in a.events] == [e["type"] for e in mine] == ["MODIFIED", "DELETED"]
    for x, y, z in zip(a.events, b.events, mine):
        assert x["object"] is y["object"] and x["object"] is not z["object"] and x["object"] == z["object"]
    mine[0]["object"]["status"]["phase"] = "changed by its owner"
    assert a.events[0]["object"]["status"]["phase"] == "Running"
    assert a.events[1]["object"]["metadata"]["resourceVersion"] == mine[1]["object"]["metadata"]["resourceVersion"]


def test_informers_of_a_small_cluster_never_mutate_what_they_share(monkeypatch):
    """Every object delivered to read-only watchers (the informers of every component) is
    unchanged at the end of a deployment's life: sharing one copy is safe."""
    from k8score import Cluster
    from k8score.apiserver import cacher_watch

    seen: dict = {}
    deliver = cacher_watch.CacheWatch._deliver

    def spy(self, message):
        deliver(self, message)
        if type(message) is tuple and self._read_only and len(message) == 3 and message[2]:
            for copy in message[2].values():
                seen.setdefault(id(copy), (copy, json.dumps(copy)))

    monkeypatch.setattr(cacher_watch.CacheWatch, "_deliver", spy)
    c = Cluster(nodes=2, seed=1)
    for cmd in ("create deployment web --image=nginx --replicas=4", "scale deployment web --replicas=6",
                "set image deployment/web nginx=nginx:1.25", "label pods --all tier=x",
                "drain node-2 --ignore-daemonsets --force", "delete deployment web"):
        c.kubectl(cmd)
        c.run(until=lambda: False, timeout=20)
    assert len(seen) > 200
    changed = [obj["metadata"].get("name") for obj, text in seen.values() if json.dumps(obj) != text]
    assert changed == []


def test_nulls_are_dropped_from_the_stored_object_never_from_the_callers_body():
    api = _server()
    body = {"metadata": {"name": "q"}, "spec": {"securityContext": None, "containers": [
        {"name": "c", "image": "nginx", "resources": None}]}}
    got = api.create("pods", body, namespace="default")
    assert body["spec"]["securityContext"] is None and body["spec"]["containers"][0]["resources"] is None
    stored = api.get("pods", "q", "default")["spec"]
    assert "securityContext" not in stored or stored["securityContext"] is not None
    assert stored["containers"][0]["resources"] == {}   # the null dropped, then defaulted
    assert got["spec"]["containers"][0]["name"] == "c"
    patched = api.patch("pods", "q", {"status": {"conditions": [COND], "startTime": None}}, namespace="default",
                        subresource="status")
    assert list(patched["status"]["conditions"][0]) == ["type", "status", "lastTransitionTime"]
    assert "startTime" not in patched["status"]
