"""The REST entry point: paths, methods, status codes and discovery, as kubectl sees them."""

import json

from k8score.apiserver.request import user_from_name

from apihelpers import default_service_accounts
import pytest

from k8score.apiserver import APIServer, handle
from k8score.etcd import Store
from k8score.sim import Loop


@pytest.fixture
def api():
    a = APIServer(Loop(seed=0), Store(), seed=0)
    a.start()
    default_service_accounts(a)
    return a


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
       "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


ADMIN = user_from_name("kubernetes-admin")


def req(api, method, path, body=None, **kw):
    kw.setdefault("user", ADMIN)  # what a transport hands over after authenticating the caller
    return handle(api, {"method": method, "path": path, "body": body, **kw})


def test_crud_over_rest(api):
    r = req(api, "POST", "/api/v1/namespaces/default/pods", json.dumps(POD))
    assert r["code"] == 201 and r["body"]["metadata"]["namespace"] == "default"
    assert req(api, "POST", "/api/v1/namespaces/default/pods", POD)["code"] == 409
    r = req(api, "GET", "/api/v1/namespaces/default/pods/web")
    assert r["code"] == 200 and r["body"]["kind"] == "Pod"
    r = req(api, "GET", "/api/v1/pods", query="labelSelector=app%3Dnone")
    assert r["code"] == 200 and r["body"]["items"] == []
    r = req(api, "PATCH", "/api/v1/namespaces/default/pods/web", {"metadata": {"labels": {"a": "b"}}},
            headers={"Content-Type": "application/merge-patch+json"})
    assert r["code"] == 200 and r["body"]["metadata"]["labels"] == {"a": "b"}
    r = req(api, "PATCH", "/api/v1/namespaces/default/pods/web", [{"op": "remove", "path": "/metadata/labels"}],
            headers={"Content-Type": "application/json-patch+json"})
    assert "labels" not in r["body"]["metadata"]
    r = req(api, "DELETE", "/api/v1/namespaces/default/pods/web")
    assert r["code"] == 200
    assert req(api, "GET", "/api/v1/namespaces/default/pods/web")["code"] == 404


def test_errors_are_status_bodies(api):
    r = req(api, "GET", "/api/v1/namespaces/default/pods/x")
    assert r["body"]["kind"] == "Status" and r["body"]["reason"] == "NotFound"
    assert req(api, "GET", "/api/v1/foos")["code"] == 404
    assert req(api, "POST", "/api/v1/namespaces/default/pods", "{not json")["code"] == 400
    assert req(api, "PATCH", "/api/v1/namespaces/default/pods/x", {},
               headers={"Content-Type": "text/plain"})["code"] == 415
    api.stop()
    assert req(api, "GET", "/api/v1/pods")["code"] == 503


def test_cluster_scoped_namespaced_and_group_paths(api):
    assert req(api, "GET", "/api/v1/namespaces/kube-system")["body"]["metadata"]["name"] == "kube-system"
    assert req(api, "GET", "/api/v1/nodes")["body"]["kind"] == "NodeList"
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": POD["spec"]}}}
    assert req(api, "POST", "/apis/apps/v1/namespaces/default/deployments", dep)["code"] == 201
    r = req(api, "PUT", "/apis/apps/v1/namespaces/default/deployments/d/status",
            {**dep, "status": {"replicas": 1}})
    assert r["code"] == 200 and r["body"]["status"] == {"replicas": 1}


def test_binding_and_watch_over_rest(api):
    req(api, "POST", "/api/v1/namespaces/default/pods", POD)
    got = []
    r = req(api, "GET", "/api/v1/namespaces/default/pods", query={"watch": "true"}, on_event=got.append)
    assert r["code"] == 200
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"},
               "target": {"kind": "Node", "name": "node-1"}}
    assert req(api, "POST", "/api/v1/namespaces/default/pods/web/binding", binding)["code"] == 201
    api.loop.run(until=1)
    assert [e["type"] for e in got] == ["ADDED", "MODIFIED"]


def test_discovery(api):
    assert req(api, "GET", "/api")["body"]["versions"] == ["v1"]
    groups = [g["name"] for g in req(api, "GET", "/apis")["body"]["groups"]]
    # highest group priority first (pkg/controlplane/apiserver/aggregator.go)
    assert groups[:3] == ["apps", "authentication.k8s.io", "authorization.k8s.io"]
    assert groups.index("scheduling.k8s.io") < groups.index("coordination.k8s.io")
    core = req(api, "GET", "/api/v1")["body"]
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["namespaced"] and "watch" in pods["verbs"]
    assert any(r["name"] == "pods/binding" for r in core["resources"])
