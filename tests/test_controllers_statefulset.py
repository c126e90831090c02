"""StatefulSet: the docs' ``web`` example (StatefulSet basics tutorial), ordered start, stable
DNS names through the headless Service, reverse-ordered scale down, partitioned rolling update.

Upstream pinned here: pkg/apis/apps/v1/defaults.go (SetDefaults_StatefulSet),
pkg/apis/apps/validation/validation.go (ValidateStatefulSetSpec, ValidateStatefulSetUpdate),
pkg/controller/statefulset/stateful_set_control.go (processReplica, processCondemned, the
partitioned update), stateful_pod_control.go (events), stateful_set_utils.go (identity,
claims), website content/en/examples/application/web/web.yaml.
"""

from __future__ import annotations

import pytest
import yaml

from apihelpers import default_service_accounts
from k8score import Cluster
from k8score.apiserver import APIServer, ApiError
from k8score.controllers import KubeControllerManager
from k8score.etcd import Store
from k8score.sim import Loop
from k8score.sim.clock import rfc3339

WEB = """
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
"""


def web(**spec):
    sts = list(yaml.safe_load_all(WEB))[1]
    sts["spec"].update(spec)
    return sts


def setup():
    loop = Loop(0)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    kcm = KubeControllerManager(loop, api, controllers=["statefulset"])
    kcm.start()
    return loop, api


def names(api):
    return sorted(p["metadata"]["name"] for p in api.list("pods", namespace="default")["items"]
                  if not p["metadata"].get("deletionTimestamp"))


def make_ready(api, loop, name):
    pod = api.get("pods", name, "default")
    pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True",
                                                         "lastTransitionTime": rfc3339(loop.now)}]}
    api.update("pods", pod, "default", subresource="status")


def finish_deletions(api):
    for p in api.list("pods", namespace="default")["items"]:
        if p["metadata"].get("deletionTimestamp"):
            api.delete("pods", p["metadata"]["name"], "default", grace_period_seconds=0)


def test_defaults_validation_and_immutable_fields():
    loop, api = setup()
    sts = api.create("statefulsets", web(), "default")
    spec = sts["spec"]
    assert (spec["podManagementPolicy"], spec["updateStrategy"], spec["revisionHistoryLimit"]) == \
        ("OrderedReady", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}, 10)
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    with pytest.raises(ApiError) as e:
        api.create("statefulsets", web(podManagementPolicy="Random", updateStrategy={"type": "OnDelete",
                                       "rollingUpdate": {"partition": 1}}), "default")
    msg = str(e.value)
    assert "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'" in msg
    assert "spec.updateStrategy.rollingUpdate: Invalid value:" in msg and \
        "only allowed for updateStrategy 'RollingUpdate'" in msg
    bad = web()
    bad["metadata"]["name"] = "web.v1"          # a DNS label: pod names and hostnames derive from it
    with pytest.raises(ApiError) as e:
        api.create("statefulsets", bad, "default")
    assert "metadata.name: Invalid value: \"web.v1\"" in str(e.value)
    sts["spec"]["serviceName"] = "other"
    with pytest.raises(ApiError) as e:
        api.update("statefulsets", sts, "default")
    assert "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', " \
           "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are " \
           "forbidden" in str(e.value)
    sts = api.get("statefulsets", "web", "default")
    sts["spec"]["replicas"] = 5                 # replicas may change
    api.update("statefulsets", sts, "default")


def test_ordered_start_identity_claims_and_events():
    loop, api = setup()
    api.create("statefulsets", web(), "default")
    loop.run(until=3)
    assert names(api) == ["web-0"]              # web-1 waits for web-0 to be Running and Ready
    pod = api.get("pods", "web-0", "default")
    assert pod["spec"]["hostname"] == "web-0" and pod["spec"]["subdomain"] == "nginx"
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-0" and labels["apps.kubernetes.io/pod-index"] == "0"
    rev = api.get("statefulsets", "web", "default")["status"]["updateRevision"]
    assert labels["controller-revision-hash"] == rev and rev.startswith("web-")
    assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}} in pod["spec"]["volumes"]
    claim = api.get("persistentvolumeclaims", "www-web-0", "default")
    assert claim["metadata"]["labels"] == {"app": "nginx"} and claim["status"]["phase"] == "Pending"
    make_ready(api, loop, "web-0")
    loop.run(until=5)
    assert names(api) == ["web-0", "web-1"]
    events = [e["message"] for e in sorted(api.list("events", namespace="default")["items"],
                                           key=lambda e: int(e["metadata"]["resourceVersion"]))]
    assert events == ["create Claim www-web-0 Pod web-0 in StatefulSet web success",
                      "create Pod web-0 in StatefulSet web successful",
                      "create Claim www-web-1 Pod web-1 in StatefulSet web success",
                      "create Pod web-1 in StatefulSet web successful"]
    make_ready(api, loop, "web-1")
    loop.run(until=7)
    st = api.get("statefulsets", "web", "default")["status"]
    assert (st["replicas"], st["readyReplicas"], st["availableReplicas"], st["currentReplicas"],
            st["currentRevision"] == st["updateRevision"]) == (2, 2, 2, 2, True)


def test_scale_down_removes_the_highest_ordinal_first_and_keeps_claims():
    loop, api = setup()
    api.create("statefulsets", web(replicas=3), "default")
    for i in range(3):
        loop.run(until=loop.now + 2)
        make_ready(api, loop, f"web-{i}")
    loop.run(until=loop.now + 2)
    api.patch("statefulsets", "web", {"spec": {"replicas": 1}}, namespace="default")
    loop.run(until=loop.now + 4)
    assert names(api) == ["web-0"]
    deletes = [e["message"] for e in sorted(api.list("events", namespace="default")["items"],
                                            key=lambda e: int(e["metadata"]["resourceVersion"]))
               if e["reason"] == "SuccessfulDelete"]
    assert deletes == ["delete Pod web-2 in StatefulSet web successful",
                       "delete Pod web-1 in StatefulSet web successful"]     # highest ordinal first
    assert sorted(c["metadata"]["name"] for c in api.list("persistentvolumeclaims", namespace="default")["items"]) \
        == ["www-web-0", "www-web-1", "www-web-2"]  # whenScaled: Retain


def test_parallel_creates_all_at_once():
    loop, api = setup()
    api.create("statefulsets", web(replicas=3, podManagementPolicy="Parallel"), "default")
    loop.run(until=3)
    assert names(api) == ["web-0", "web-1", "web-2"]


def test_partition_keeps_lower_ordinals_on_the_old_revision():
    loop, api = setup()
    api.create("statefulsets", web(replicas=3, updateStrategy={"type": "RollingUpdate",
                                                               "rollingUpdate": {"partition": 2}}), "default")
    for i in range(3):
        loop.run(until=loop.now + 2)
        make_ready(api, loop, f"web-{i}")
    loop.run(until=loop.now + 2)
    old_rev = api.get("statefulsets", "web", "default")["status"]["currentRevision"]
    api.patch("statefulsets", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "registry.k8s.io/nginx-slim:0.21"}]}}}}, namespace="default",
        patch_type="strategic")
    loop.run(until=loop.now + 2)
    # web-2 (above the partition) was deleted and recreated from the new revision
    make_ready(api, loop, "web-2")
    loop.run(until=loop.now + 4)
    images = {i: api.get("pods", f"web-{i}", "default")["spec"]["containers"][0]["image"] for i in range(3)}
    assert images == {0: "registry.k8s.io/nginx-slim:0.24", 1: "registry.k8s.io/nginx-slim:0.24",
                      2: "registry.k8s.io/nginx-slim:0.21"}
    st = api.get("statefulsets", "web", "default")["status"]
    assert st["currentRevision"] == old_rev != st["updateRevision"]
    assert (st["currentReplicas"], st["updatedReplicas"]) == (2, 1)
    revs = api.list("controllerrevisions", namespace="default")["items"]
    assert sorted(r["revision"] for r in revs) == [1, 2]


def test_web_in_a_cluster_resolves_pod_names_through_the_headless_service():
    c = Cluster(nodes=2, seed=1)
    c.apply(WEB)
    c.run(until=lambda: len([p for p in c.api.list("pods", namespace="default")["items"]
                             if p["metadata"]["name"].startswith("web-")]) >= 1, timeout=30)
    assert [p["metadata"]["name"] for p in c.api.list("pods", namespace="default")["items"]] == ["web-0"]
    c.run(until=lambda: (c.api.get("statefulsets", "web")["status"].get("readyReplicas") or 0) == 2, timeout=90)
    c.kubectl("run -i -t --image busybox:1.28 dns-test --restart=Never --rm=false -- sleep 3600")
    c.run(until=lambda: c.api.get("pods", "dns-test")["status"].get("phase") == "Running", timeout=60)
    c.run(5)
    out = c.kubectl("exec dns-test -- nslookup web-0.nginx")
    ip = c.api.get("pods", "web-0")["status"]["podIP"]
    assert "Name:      web-0.nginx" in out and ip in out, out
    lines = c.kubectl("get statefulsets").splitlines()
    assert lines[0].split() == ["NAME", "READY", "AGE"] and lines[1].split()[:2] == ["web", "2/2"]


def test_rollout_status_for_statefulsets_and_daemonsets():
    """polymorphichelpers/rollout_status.go: the StatefulSet and DaemonSet status viewers."""
    from k8score.kubectl.rollout import daemonset_status, statefulset_status
    sts = {"metadata": {"name": "web", "generation": 2},
           "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate"}},
           "status": {"observedGeneration": 2, "readyReplicas": 1}}
    assert statefulset_status(sts) == "Waiting for 2 pods to be ready..."
    sts["status"].update(readyReplicas=3, updatedReplicas=1, updateRevision="web-b", currentRevision="web-a")
    assert statefulset_status(sts) == "waiting for statefulset rolling update to complete 1 pods at revision web-b..."
    sts["status"].update(currentRevision="web-b", currentReplicas=3)
    assert statefulset_status(sts) == "statefulset rolling update complete 3 pods at revision web-b..."
    sts["spec"]["updateStrategy"]["rollingUpdate"] = {"partition": 2}
    assert statefulset_status(sts) == "partitioned roll out complete: 1 new pods have been updated..."
    ds = {"metadata": {"name": "fluentd", "generation": 1},
          "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 2}}
    assert daemonset_status(ds) == ('Waiting for daemon set "fluentd" rollout to finish: 2 out of 3 new pods '
                                    "have been updated...")
    ds["status"].update(updatedNumberScheduled=3, numberAvailable=3)
    assert daemonset_status(ds) == 'daemon set "fluentd" successfully rolled out'
    with pytest.raises(Exception, match="only available for RollingUpdate"):
        daemonset_status({"metadata": {"name": "x"}, "spec": {"updateStrategy": {"type": "OnDelete"}}})
