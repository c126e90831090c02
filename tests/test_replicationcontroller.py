"""ReplicationController: the resource and its controller.

Upstream: pkg/registry/core/replicationcontroller/strategy.go, pkg/apis/core/v1/defaults.go
SetDefaults_ReplicationController, pkg/apis/core/validation ValidateReplicationControllerSpec /
ValidatePodTemplateSpecForRC, pkg/controller/replication (the ReplicaSet controller's code run
over RCs through conversion adapters), printers.go printReplicationController. The manifest is
the one on the "ReplicationController" concept page (controllers/replication.yaml).
"""

from __future__ import annotations

import pytest

from k8score import Cluster
from k8score.api.errors import ApiError

DOCS_RC = """apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  replicas: 3
  selector:
    app: nginx
  template:
    metadata:
      name: nginx
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
"""


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=2, seed=0)
    c.apply(DOCS_RC)
    c.run(15)
    return c


def _rc_pods(c):
    return sorted(p["metadata"]["name"] for p in c.get("pods") if not p["metadata"].get("deletionTimestamp")
                  and p["metadata"]["name"].startswith("nginx-"))


def test_docs_manifest_runs_three_pods_owned_by_the_rc(cluster):
    c = cluster
    pods = [p for p in c.get("pods") if p["metadata"]["name"].startswith("nginx-")]
    assert len(pods) == 3 and all(p["status"]["phase"] == "Running" for p in pods)
    rc = c.get("replicationcontrollers", "nginx")
    for p in pods:
        [ref] = p["metadata"]["ownerReferences"]
        assert ref == {"apiVersion": "v1", "kind": "ReplicationController", "name": "nginx",
                       "uid": rc["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
        assert p["metadata"]["labels"] == {"app": "nginx"}
    assert rc["status"] == {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 3,
                            "availableReplicas": 3, "observedGeneration": 1}
    assert rc["metadata"]["labels"] == {"app": "nginx"}   # defaulted from the template's labels
    creates = [e for e in c.events() if e["involvedObject"].get("kind") == "ReplicationController"
               and e["reason"] == "SuccessfulCreate"]
    assert len(creates) == 3
    assert all(e["source"]["component"] == "replication-controller" and e["type"] == "Normal" and
               e["message"].startswith("Created pod: nginx-") for e in creates)
    out = c.kubectl("get rc")
    assert out.splitlines()[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert out.splitlines()[1].split()[:4] == ["nginx", "3", "3", "3"]
    wide = c.kubectl("get replicationcontrollers -o wide").splitlines()
    assert wide[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert wide[1].split()[-3:] == ["nginx", "nginx", "app=nginx"]


def test_a_deleted_pod_is_replaced_and_scale_works_both_ways(cluster):
    c = cluster
    victim = _rc_pods(c)[0]
    c.delete("pods", victim)
    c.run(5)
    after = _rc_pods(c)
    assert len(after) == 3 and victim not in after
    assert c.kubectl("scale rc nginx --replicas=1") == "replicationcontroller/nginx scaled\n"
    c.run(1)
    assert len(_rc_pods(c)) == 1
    deletes = [e for e in c.events() if e["reason"] == "SuccessfulDelete"
               and e["involvedObject"].get("name") == "nginx"]
    assert len(deletes) == 2 and all(e["message"].startswith("Deleted pod: nginx-") for e in deletes)
    c.kubectl("scale rc nginx --replicas=2")
    c.run(10)
    assert len(_rc_pods(c)) == 2
    assert c.get("replicationcontrollers", "nginx")["status"]["readyReplicas"] == 2


def test_defaulting_selector_and_replicas_from_the_template(cluster):
    c = cluster
    body = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "bare"},
            "spec": {"template": {"metadata": {"labels": {"app": "bare", "tier": "x"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    rc = c.api.create("replicationcontrollers", body, "default")
    assert rc["spec"]["selector"] == {"app": "bare", "tier": "x"} and rc["spec"]["replicas"] == 1
    assert rc["metadata"]["labels"] == {"app": "bare", "tier": "x"}
    c.run(5)
    assert [p["metadata"]["labels"] for p in c.get("pods") if p["metadata"]["name"].startswith("bare-")] == \
        [{"app": "bare", "tier": "x"}]


def test_validation_is_upstreams(cluster):
    c = cluster

    def create(spec):
        with pytest.raises(ApiError) as e:
            c.api.create("replicationcontrollers", {"apiVersion": "v1", "kind": "ReplicationController",
                                                    "metadata": {"name": "bad"}, "spec": spec}, "default")
        assert e.value.code == 422
        return e.value.message
    tpl = {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    assert create({"selector": {"app": "b"}, "template": tpl}) == (
        'ReplicationController "bad" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"a"}: `selector` does not match template `labels`')
    assert create({"replicas": -1, "selector": {"app": "a"}, "template": tpl}) == (
        'ReplicationController "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or '
        'equal to 0')
    on_failure = {**tpl, "spec": {**tpl["spec"], "restartPolicy": "OnFailure"}}
    assert 'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"' \
        in create({"template": on_failure})
    deadline = {**tpl, "spec": {**tpl["spec"], "activeDeadlineSeconds": 5}}
    assert "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in " \
           "ReplicationController is not Supported" in create({"template": deadline})
    assert "spec.selector: Required value" in create({"template": {"spec": tpl["spec"]}})


def test_deleting_the_rc_deletes_its_pods():
    c = Cluster(nodes=1, seed=3)
    c.apply(DOCS_RC)
    c.run(10)
    assert len(_rc_pods(c)) == 3
    c.delete("replicationcontrollers", "nginx")
    c.run(40)   # the garbage collector deletes the pods; the kubelet stops them
    assert [p for p in c.get("pods") if p["metadata"]["name"].startswith("nginx-")] == []
