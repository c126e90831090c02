"""The API server's per-request shortcuts answer exactly as the long way round.

Each shortcut memoises or skips work whose result cannot differ; these tests change what
the memo depends on and check the next request sees it:

- RBAC decisions are memoised per RBAC state (plugin/pkg/auth/authorizer/rbac/rbac.go walks
  the bindings on every request; the answer only depends on them and the attributes) — a
  new binding, a deleted one, an edited role and ``resourceNames`` rules;
- a create's managedFields are computed once per object *shape*
  (sigs.k8s.io/structured-merge-diff fieldpath sets record paths, never values);
- pods/binding starts from the watch cache's pod and reads etcd again when that copy was
  stale (staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go ``GuaranteedUpdate``,
  storage/etcd3/store.go ``GuaranteedUpdate``, pkg/registry/core/pod/storage/storage.go
  ``BindingREST``), and hands its new pod to the watch cache instead of decoding it again;
- a declared field sent as null (client-go's Events carry ``"eventTime": null``) is dropped
  before decoding, as the decoder would drop it.
"""

from __future__ import annotations

import pytest

from k8score.api.errors import ApiError
from k8score.api.schema import schema_for
from k8score.apiserver import APIServer
from k8score.apiserver.fieldmanager import update_managed_fields
from k8score.apiserver.fieldmanager.apply import create_shape
from k8score.apiserver.storage import try_decode
from k8score.etcd import Store
from k8score.sim import Loop

NOW = "2026-01-01T00:00:00Z"


@pytest.fixture
def api() -> APIServer:
    loop = Loop(seed=3)
    a = APIServer(loop, Store(), seed=3)
    a.start()
    a.create("serviceaccounts", {"metadata": {"name": "default"}}, namespace="default")  # the SA controller
    return a


def _role(name: str, rules: list) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": name, "namespace": "default"}, "rules": rules}


def _binding(name: str, role: str, user: str) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": "default"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]}


def _forbidden(api: APIServer, *args, **kw) -> str:
    with pytest.raises(ApiError) as e:
        api.get(*args, **kw)
    assert e.value.code == 403
    return e.value.message


# -- RBAC --------------------------------------------------------------------------------

def test_rbac_answers_follow_bindings_and_roles(api):
    api.create("configmaps", {"metadata": {"name": "cfg"}}, namespace="default")
    msg = ('configmaps "cfg" is forbidden: User "alice" cannot get resource "configmaps" in API '
           'group "" in the namespace "default"')
    assert _forbidden(api, "configmaps", "cfg", "default", user="alice") == msg
    assert _forbidden(api, "configmaps", "cfg", "default", user="alice") == msg   # memoised: same answer
    api.create("roles", _role("reader", [{"apiGroups": [""], "resources": ["configmaps"],
                                          "verbs": ["get"]}]), namespace="default")
    assert _forbidden(api, "configmaps", "cfg", "default", user="alice") == msg   # a role alone grants nothing
    api.create("rolebindings", _binding("alice-reads", "reader", "alice"), namespace="default")
    assert api.get("configmaps", "cfg", "default", user="alice")["metadata"]["name"] == "cfg"
    assert api.last_trace.steps[1] == ("authorization", "allowed", 'RBAC: allowed by RoleBinding '
                                       '"alice-reads/default" of Role "reader" to User "alice"')
    assert _forbidden(api, "configmaps", "cfg", "default", user="bob").endswith(
        'User "bob" cannot get resource "configmaps" in API group "" in the namespace "default"')
    # the role loses the verb: the next request is refused again
    role = api.get("roles", "reader", "default")
    role["rules"][0]["verbs"] = ["list"]
    api.update("roles", role, namespace="default")
    assert _forbidden(api, "configmaps", "cfg", "default", user="alice") == msg
    role["rules"][0]["verbs"] = ["get"]
    role["metadata"].pop("resourceVersion")
    api.update("roles", role, namespace="default")
    assert api.get("configmaps", "cfg", "default", user="alice")["metadata"]["name"] == "cfg"
    api.delete("rolebindings", "alice-reads", "default")
    assert _forbidden(api, "configmaps", "cfg", "default", user="alice") == msg


def test_rbac_resource_names_decide_per_name(api):
    for name in ("a", "b"):
        api.create("configmaps", {"metadata": {"name": name}}, namespace="default")
    api.create("roles", _role("one", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"],
                                       "resourceNames": ["a"]}]), namespace="default")
    api.create("rolebindings", _binding("alice-one", "one", "alice"), namespace="default")
    for _ in range(2):   # the second round is answered from the memo
        assert api.get("configmaps", "a", "default", user="alice")["metadata"]["name"] == "a"
        assert _forbidden(api, "configmaps", "b", "default", user="alice") == (
            'configmaps "b" is forbidden: User "alice" cannot get resource "configmaps" in API group "" '
            'in the namespace "default"')
    # a rule for every name of another resource does not make configmaps' names irrelevant
    api.create("roles", _role("secrets", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]),
               namespace="default")
    api.create("rolebindings", _binding("alice-secrets", "secrets", "alice"), namespace="default")
    assert _forbidden(api, "configmaps", "b", "default", user="alice").startswith('configmaps "b" is forbidden')
    assert api.get("configmaps", "a", "default", user="alice")["metadata"]["name"] == "a"


# -- managedFields of a create ----------------------------------------------------------------

_OBJECTS = [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"app": "web"}},
     "data": {"a": "1", "b": ""}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "uid": "u-1",
                                                     "annotations": {}, "finalizers": ["f/x"]},
     "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
                              "resources": {"requests": {"cpu": "1"}}},
                             {"name": "side", "image": "busybox", "args": ["sleep", "1"]}],
              "nodeSelector": {"zone": "a"}, "priority": 10, "hostNetwork": False,
              "affinity": None, "tolerations": [{"key": "k", "operator": "Exists"}]}},
    {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.1", "namespace": "default"},
     "involvedObject": {"kind": "Pod", "name": "p", "uid": "u-2"}, "reason": "Scheduled",
     "message": "Successfully assigned default/p to n1", "count": 1, "source": {"component": "s"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"},
     "spec": {"containers": [{"image": "no-name"}, {"image": "no-name"}]}},   # keys missing
]


@pytest.mark.parametrize("obj", _OBJECTS, ids=lambda o: o["metadata"]["name"])
def test_create_shape_gives_the_same_managed_fields(obj):
    schema = schema_for("v1", obj["kind"])
    want = update_managed_fields(None, obj, "kubectl-create", schema, NOW, "v1")
    assert update_managed_fields(None, create_shape(obj), "kubectl-create", schema, NOW, "v1") == want
    assert want == [] or want[0]["manager"] == "kubectl-create"


def test_creates_that_differ_in_values_and_keys_track_their_own_fields(api):
    def pod(name: str, container: str) -> dict:
        return {"metadata": {"name": name}, "spec": {"containers": [{"name": container, "image": "nginx"}]}}
    a = api.create("pods", pod("a", "web"), namespace="default")
    b = api.create("pods", pod("b", "web"), namespace="default")
    c = api.create("pods", pod("c", "api"), namespace="default")
    fields = [o["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:containers"] for o in (a, b, c)]
    assert fields[0] == fields[1] and list(fields[0]) == ['k:{"name":"web"}']
    assert list(fields[2]) == ['k:{"name":"api"}']


# -- pods/binding --------------------------------------------------------------------------------

def _bind(api: APIServer, pod: str, node: str, user: str = "system:kube-scheduler") -> dict:
    return api.create("pods", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod},
                               "target": {"kind": "Node", "name": node}},
                      namespace="default", subresource="binding", user=user)


def test_binding_from_a_stale_cache_reads_etcd_again(api, monkeypatch):
    api.create("pods", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
               namespace="default")
    stale = api.get("pods", "p", "default")
    fresh = api.patch("pods", "p", {"metadata": {"labels": {"v": "2"}}}, namespace="default")
    cacher = api.cachers["pods"]
    monkeypatch.setattr(cacher, "current", lambda key: stale)   # a cache one write behind
    assert _bind(api, "p", "n1")["status"] == "Success"
    got = api.get("pods", "p", "default")
    assert got["spec"]["nodeName"] == "n1" and got["metadata"]["labels"] == {"v": "2"}
    assert int(got["metadata"]["resourceVersion"]) > int(fresh["metadata"]["resourceVersion"])
    with pytest.raises(ApiError) as e:
        _bind(api, "p", "n2")
    assert (e.value.code, e.value.message) == (409, 'Operation cannot be fulfilled on pods/binding "p": '
                                                    'pod p is already assigned to node "n1"')


def test_binding_hands_the_cache_exactly_what_etcd_holds(api):
    api.create("pods", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
               namespace="default")
    seen = []
    api.watch("pods", seen.append, namespace="default")
    _bind(api, "p", "n1")
    api.loop.run(until=api.loop.now + 1)
    kv = api.store.range("/registry/pods/default/p").kvs[0]
    cached = api.cachers["pods"].get("/registry/pods/default/p")
    decoded = try_decode(kv.value, kv.mod_revision)
    assert cached == decoded and list(cached["metadata"]) == list(decoded["metadata"])   # key order too
    assert list(cached["status"]["conditions"][-1]) == list(decoded["status"]["conditions"][-1])
    assert [(e["type"], e["object"]["spec"].get("nodeName")) for e in seen] == [("ADDED", None),
                                                                            ("MODIFIED", "n1")]
    seen[-1]["object"]["spec"]["nodeName"] = "changed by a watcher"   # watchers get copies
    assert api.get("pods", "p", "default")["spec"]["nodeName"] == "n1"
    assert api.cachers["pods"].get("/registry/pods/default/p")["spec"]["nodeName"] == "n1"


# -- declared nulls ----------------------------------------------------------------------------

def test_declared_nulls_are_dropped_and_unknown_ones_still_warn(api):
    body = {"metadata": {"name": "p.1"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": "Scheduled", "message": "m", "type": "Normal", "eventTime": None, "series": None}
    stored = api.create("events", dict(body), namespace="default", field_validation="Strict")
    assert "eventTime" not in stored and "series" not in stored and stored["reason"] == "Scheduled"
    assert api.last_trace.warnings == []
    api.create("events", {**body, "metadata": {"name": "p.2"}, "bogus": None}, namespace="default")
    assert api.last_trace.warnings == ['unknown field "bogus"']
    with pytest.raises(ApiError) as e:
        api.create("events", {**body, "metadata": {"name": "p.3"}, "bogus": None}, namespace="default",
                   field_validation="Strict")
    assert e.value.code == 400 and e.value.message.endswith('strict decoding error: unknown field "bogus"')
