"""Per-request shortcuts of the API server pipeline answer exactly as the long way round.

- the request-body limits (apimachinery pkg/util/json maxDepth, encoding/json's refusal of
  NaN/Infinity; k8score.api.schema.limits) are proven by the schema decoder's fast path when
  the kind's schema bounds the nesting, and checked first only when something else could
  answer: an error (apiVersion/kind, ``fieldValidation``) or the precise decoder;
- a status update copies the stored object but its status (replaced by the request's:
  pkg/registry/core/pod/strategy.go podStatusStrategy.PrepareForUpdate) and its
  managedFields (replaced by field tracking: fieldmanager.go UpdateNoErrors), and still
  answers a private object;
- the Node authorizer's fall-through to the ``system:node`` rules (plugin/pkg/auth/authorizer/
  node/node_authorizer.go, policy.go NodeRules) is memoised on the attributes the rules read;
- the webhook plugins (webhook/generic/webhook.go ``ShouldCallHook``) rebuild their list of
  webhooks only when a configuration changes;
- the admission chain (k8s.io/apiserver/pkg/admission/chain.go) walks only the plugins that
  have the phase's method, and sees an edited plugin list.

The "long way" is the same server with each shortcut switched off: both give the same
responses, errors and etcd contents, byte for byte.
"""

from __future__ import annotations

import copy
import json

import pytest

from k8score.api.errors import ApiError
from k8score.api.schema import _fast, limits, schema_for
from k8score.apiserver import APIServer
from k8score.apiserver.admission.chain import AdmissionChain
from k8score.apiserver.admission.webhook import dispatch
from k8score.apiserver.authz import node as node_authz
from k8score.apiserver.registry import store as store_mod
from k8score.etcd import Store, prefix_end
from k8score.sim import Loop

POD = {"metadata": {"name": "p", "labels": {"app": "web"}},
       "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}}
KUBELET = "system:node:n1"
CANNOT = ("the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; "
          "json parse error: ")


def _server() -> APIServer:
    a = APIServer(Loop(seed=7), Store(), seed=7)
    a.start()
    a.create("serviceaccounts", {"metadata": {"name": "default"}}, namespace="default")
    a.create("pods", json.loads(json.dumps(POD)), namespace="default")
    return a


def _nested(levels: int, leaf: object = "x") -> object:
    v = leaf
    for _ in range(levels):
        v = {"a": v}
    return v


def _long_way(monkeypatch) -> None:
    monkeypatch.setattr(store_mod, "max_depth", lambda schema: limits.MAX_DEPTH + 1)   # limits first
    monkeypatch.setattr(node_authz.NodeAuthorizer, "_rules_allow",
                        lambda self, a: node_authz.rules_allow(a, self.node_rules))
    monkeypatch.setattr(dispatch._WebhookPlugin, "_current_hooks",
                        lambda self: dispatch.matching.hooks(self.ctx.lister, self._resource))

    monkeypatch.setattr(AdmissionChain, "_with", lambda self, method: tuple(self.plugins))


def _cm(name: str, **top) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **top}


# managedFields.fieldsV1 is raw JSON at depth 5 (the body is 1): 96 nested maps end at depth 100, the limit
_FIELDS_OK = [{"manager": "m", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
               "fieldsV1": _nested(96)}]
_FIELDS_DEEP = [{"manager": "m", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
                 "fieldsV1": _nested(97)}]

SCRIPT = [
    ("create", _cm("plain", data={"k": "v"}), {}),
    ("create", _cm("nan", data={"k": "v"}, binaryData=None, extra=float("nan")), {}),
    ("create", {**_cm("both", extra=float("inf")), "apiVersion": "v2"}, {}),          # the limit's error first
    ("create", _cm("mode", extra=float("-inf")), {"field_validation": "Bogus"}),      # ... before the mode's
    ("create", {**_cm("kind"), "kind": "Secret"}, {}),
    ("create", _cm("depth-ok", metadata={"name": "depth-ok", "managedFields": _FIELDS_OK}), {}),
    ("create", _cm("depth-bad", metadata={"name": "depth-bad", "managedFields": _FIELDS_DEEP}), {}),
    ("create", _cm("warn", bogus=1), {"field_validation": "Warn"}),
    ("create", _cm("float", data={"k": "v"}, immutable=1.5), {}),
    ("status", {"status": {"phase": "Running", "podIP": "10.0.0.5"}}, {}),
    ("status", {"status": {"phase": "Running", "podIP": "10.0.0.5"}}, {}),              # no change
    ("status", {"metadata": {"labels": {"app": "db"}}, "status": {"message": "m"}}, {}),
    ("status", {"status": {"podIP": float("nan")}}, {}),
    ("events", {"metadata": {"name": "e1"}, "involvedObject": {"kind": "Pod", "name": "p"},
                "reason": "Pulled", "message": "ok", "type": "Normal"}, {}),
    ("forbidden", None, {}),
]


def _run(api: APIServer) -> list:
    out = []
    for verb, body, opts in SCRIPT:
        try:
            if verb == "create":
                got = api.create("configmaps", copy.deepcopy(body), namespace="default", **opts)
            elif verb == "status":
                got = api.patch("pods", "p", body, "merge", namespace="default", subresource="status",
                                user=KUBELET, **opts)
            elif verb == "events":
                got = api.create("events", dict(body), namespace="default", user=KUBELET)
            else:
                got = api.delete("nodes", "n1", user=KUBELET)
            out.append(("ok", json.dumps(got), list(api.last_trace.warnings)))
        except ApiError as e:
            out.append(("error", e.code, e.message))
    kvs = api.store.range("/registry/", prefix_end("/registry/")).kvs
    out.append([(kv.key, kv.value, kv.mod_revision) for kv in kvs])
    return out


def test_the_shortcuts_answer_and_store_what_the_long_way_does(monkeypatch):
    short = _run(_server())
    again = _run(_server())
    assert short == again        # a second run: the memos answer as the first computation
    _long_way(monkeypatch)
    assert short == _run(_server())
    outcomes = [r[0] for r in short[:-1]]
    assert outcomes == ["ok", "error", "error", "error", "error", "ok", "error", "ok", "error",
                        "ok", "ok", "ok", "error", "ok", "error"]
    assert short[1][1:] == (400, CANNOT + "invalid character 'N' looking for beginning of value")
    assert short[2][1:] == (400, CANNOT + "invalid character 'I' looking for beginning of value")
    assert short[3][1:] == (400, CANNOT + "invalid character 'I' in numeric literal")
    assert short[4][1:] == (400, "the kind in the data (Secret) does not match the expected kind (ConfigMap)")
    assert short[6][1:] == (400, CANNOT + "invalid character '{' exceeded max depth")
    assert short[7][2] == ['unknown field "bogus"']
    assert short[8][1:] == (400, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot '
                                 'unmarshal number into Go struct field ConfigMap.immutable of type bool')
    assert short[12][1:] == (400, "the object provided is unrecognized (must be of type Pod): couldn't get "
                                  "version/kind; json parse error: invalid character 'N' looking for "
                                  "beginning of value")
    assert short[14][1:2] == (403,)
    assert short[14][2] == ('nodes "n1" is forbidden: User "system:node:n1" cannot delete resource "nodes" '
                            'in API group "" at the cluster scope')


def test_the_limits_both_sides_through_the_fast_path():
    api = _server()
    ok = api.create("configmaps", _cm("at-limit", metadata={"name": "at-limit", "managedFields": _FIELDS_OK}),
                    namespace="default")
    assert ok["metadata"]["name"] == "at-limit"
    with pytest.raises(ApiError) as e:
        api.create("configmaps", _cm("past", metadata={"name": "past", "managedFields": _FIELDS_DEEP}),
                   namespace="default")
    assert e.value.code == 400 and e.value.message.endswith("exceeded max depth")
    # the fast path's bound: every built-in kind a boot writes is within the limit, a CRD
    # (JSONSchemaProps nests without end) is not and is checked first
    for av, kind in (("v1", "Pod"), ("v1", "Node"), ("v1", "Event"), ("apps/v1", "DaemonSet"),
                     ("coordination.k8s.io/v1", "Lease"), ("v1", "ConfigMap")):
        assert _fast.max_depth(schema_for(av, kind)) <= limits.MAX_DEPTH, kind
    assert _fast.max_depth(schema_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")) > limits.MAX_DEPTH


def test_a_status_patch_answers_a_private_object_and_leaves_the_cache_alone():
    api = _server()
    cached = api.cachers["pods"].current("/registry/pods/default/p")
    snapshot = json.dumps(cached)
    got = api.patch("pods", "p", {"status": {"phase": "Running"}}, namespace="default", subresource="status",
                    user=KUBELET)
    assert json.dumps(cached) == snapshot
    now = api.cachers["pods"].current("/registry/pods/default/p")
    managers = [(m["manager"], m.get("subresource")) for m in got["metadata"]["managedFields"]]
    assert managers == [("kube-apiserver", None), ("kubelet", "status")]
    # the answer shares nothing with what the API server keeps: a client may edit it
    got["metadata"]["managedFields"].clear()
    got["metadata"]["labels"]["app"] = "edited"
    got["spec"]["containers"][0]["image"] = "edited"
    assert json.dumps(now) == json.dumps(api.cachers["pods"].current("/registry/pods/default/p"))
    assert now["metadata"]["labels"] == {"app": "web"} and len(now["metadata"]["managedFields"]) == 2
    # a status patch that changes nothing answers the stored object: a copy of it too
    same = api.patch("pods", "p", {"status": {"phase": "Running"}}, namespace="default", subresource="status",
                     user=KUBELET)
    assert same["metadata"]["resourceVersion"] == now["metadata"]["resourceVersion"]
    same["status"]["phase"] = "edited"
    assert api.cachers["pods"].current("/registry/pods/default/p")["status"]["phase"] == "Running"
    # an apply of status goes the long way (read from etcd)
    applied = api.patch("pods", "p", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                      "status": {"message": "hi"}}, "apply", namespace="default",
                        subresource="status", field_manager="tool", user=KUBELET)
    assert applied["status"]["message"] == "hi"


def test_the_node_rules_memo_follows_the_rules():
    api = _server()
    ev = {"metadata": {"name": "e2"}, "involvedObject": {"kind": "Pod", "name": "p"}, "reason": "R"}
    assert api.create("events", dict(ev), namespace="default", user=KUBELET)["reason"] == "R"
    node = next(a for a in api.authorizers if a.name == "Node")
    node.node_rules = [r for r in node.node_rules if "events" not in r.get("resources", ())]
    with pytest.raises(ApiError) as e:   # no rule left, and RBAC grants kubelets nothing more
        api.create("events", {**ev, "metadata": {"name": "e3"}}, namespace="default", user=KUBELET)
    assert e.value.code == 403


def test_a_webhook_configuration_takes_effect_on_the_next_request_and_its_removal_too():
    api = _server()
    calls = []

    def deny(review):
        calls.append(review["request"]["name"])
        return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "response": {"uid": review["request"]["uid"], "allowed": False,
                             "status": {"code": 403, "message": "no configmaps today"}}}
    api.webhooks.register("https://deny.example.com/validate", deny)
    api.create("configmaps", _cm("before"), namespace="default")
    api.create("validatingwebhookconfigurations", {"metadata": {"name": "deny"}, "webhooks": [{
        "name": "deny.example.com", "clientConfig": {"url": "https://deny.example.com/validate"},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                   "resources": ["configmaps"]}],
        "sideEffects": "None", "admissionReviewVersions": ["v1"]}]})
    for _ in range(2):
        with pytest.raises(ApiError) as e:
            api.create("configmaps", _cm("during"), namespace="default")
        assert (e.value.code, e.value.message) == (
            403, 'admission webhook "deny.example.com" denied the request: no configmaps today')
    assert calls == ["during", "during"]
    api.delete("validatingwebhookconfigurations", "deny")
    assert api.create("configmaps", _cm("after"), namespace="default")["metadata"]["name"] == "after"
    assert calls == ["during", "during"]


def test_the_admission_chain_sees_an_edited_plugin_list():
    api = _server()
    seen = []

    class Recorder:
        name = "Recorder"

        def handles(self, operation):
            return operation == "CREATE"

        def validate(self, a):
            seen.append(a.name)
    api.create("configmaps", _cm("one"), namespace="default")
    api.admission.plugins.append(Recorder())
    api.create("configmaps", _cm("two"), namespace="default")
    api.admission.plugins.pop()
    api.create("configmaps", _cm("three"), namespace="default")
    assert seen == ["two"]
