"""DaemonSet: defaulting/validation and the controller on the docs' fluentd-elasticsearch example.

Upstream pinned here: pkg/apis/apps/v1/defaults.go (SetDefaults_DaemonSet),
pkg/apis/apps/validation/validation.go (ValidateDaemonSetSpec, ValidateRollingUpdateDaemonSet),
pkg/controller/daemon/daemon_controller.go (NodeShouldRunDaemonPod, syncNodes, status),
pkg/controller/daemon/util/daemonset_util.go (AddOrUpdateDaemonPodTolerations,
ReplaceDaemonSetPodNodeNameNodeAffinity), pkg/controller/daemon/update.go (rollingUpdate),
website content/en/examples/controllers/daemonset.yaml.
"""

from __future__ import annotations

import pytest
import yaml

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer, ApiError
from k8score.controllers import KubeControllerManager
from k8score.controllers.daemonset_update import plan_rolling_update
from k8score.etcd import Store
from k8score.sim import Loop
from k8score.sim.clock import rfc3339

FLUENTD = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      # these tolerations are to have the daemonset runnable on control plane nodes
      # remove them if your control plane nodes should not run pods
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      - key: node-role.kubernetes.io/master
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v5.0.1
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        volumeMounts:
        - name: varlog
          mountPath: /var/log
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
"""

AUTO_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def add_node(api, name, taints=None, labels=None):
    api.create("nodes", {"apiVersion": "v1", "kind": "Node",
                         "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}}})
    # the node is Ready: the not-ready NoSchedule taint it registered with is gone
    api.patch("nodes", name, {"spec": {"taints": taints}})


def setup(nodes=3):
    loop = Loop(0)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    for i in range(1, nodes + 1):
        add_node(api, f"node-{i}")
    kcm = KubeControllerManager(loop, api, controllers=["daemonset"])
    kcm.start()
    return loop, api, kcm


def pods(api):
    return sorted(api.list("pods", namespace="kube-system")["items"], key=lambda p: p["metadata"]["name"])


def node_of(pod):
    return pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"][0]["matchFields"][0]["values"][0]


def make_ready(api, loop, pod):
    """What the scheduler and kubelet would do: bind, run, report Ready."""
    now = rfc3339(loop.now)
    pod = api.get("pods", pod["metadata"]["name"], "kube-system")
    pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True",
                                                         "lastTransitionTime": now}]}
    api.update("pods", pod, "kube-system", subresource="status")


def status(api):
    return api.get("daemonsets", "fluentd-elasticsearch", "kube-system")["status"]


def test_defaults_and_the_template_generation_annotation():
    loop, api, _ = setup(nodes=0)
    ds = api.create("daemonsets", yaml.safe_load(FLUENTD), "kube-system")
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert ds["spec"]["revisionHistoryLimit"] == 10
    assert ds["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "quay.io/fluentd_elasticsearch/fluentd:v5.0.2"
    ds = api.update("daemonsets", ds, "kube-system")
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    ds["metadata"]["labels"]["x"] = "y"          # not the template: the generation stays
    ds = api.update("daemonsets", ds, "kube-system")
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"


def test_validation_messages():
    loop, api, _ = setup(nodes=0)
    bad = yaml.safe_load(FLUENTD)
    bad["spec"]["template"]["spec"].update(restartPolicy="Never", activeDeadlineSeconds=5)
    bad["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}
    with pytest.raises(ApiError) as e:
        api.create("daemonsets", bad, "kube-system")
    assert e.value.code == 422
    msg = str(e.value)
    assert 'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"' in msg
    assert "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not " \
           "Supported" in msg
    assert "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable " \
           "is non-zero" in msg
    bad = yaml.safe_load(FLUENTD)
    bad["spec"]["updateStrategy"] = {"rollingUpdate": {"maxUnavailable": "0%"}}
    with pytest.raises(ApiError) as e:
        api.create("daemonsets", bad, "kube-system")
    assert "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0" \
        in str(e.value)
    ok = yaml.safe_load(FLUENTD)
    ok["spec"]["updateStrategy"] = {"rollingUpdate": {"maxUnavailable": "100%"}}   # the limit itself is fine
    api.create("daemonsets", ok, "kube-system")


def test_one_pod_per_node_with_the_automatic_tolerations_and_node_affinity():
    loop, api, _ = setup()
    api.create("daemonsets", yaml.safe_load(FLUENTD), "kube-system")
    loop.run(until=3)
    ps = pods(api)
    assert sorted(node_of(p) for p in ps) == ["node-1", "node-2", "node-3"]
    for p in ps:
        assert p["metadata"]["generateName"] == "fluentd-elasticsearch-"
        # the template's two, then the six every daemon pod gets (no hostNetwork: no network-unavailable)
        assert p["spec"]["tolerations"][2:] == AUTO_TOLERATIONS
        assert p["metadata"]["labels"]["pod-template-generation"] == "1"
    hashes = {p["metadata"]["labels"]["controller-revision-hash"] for p in ps}
    revs = api.list("controllerrevisions", namespace="kube-system")["items"]
    assert [r["metadata"]["name"] for r in revs] == [f"fluentd-elasticsearch-{h}" for h in hashes]
    assert revs[0]["revision"] == 1 and revs[0]["data"]["spec"]["template"]["$patch"] == "replace"
    st = status(api)
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberReady"],
            st["updatedNumberScheduled"], st["numberUnavailable"]) == (3, 3, 0, 3, 3)
    created = [e["message"] for e in api.list("events", namespace="kube-system")["items"]
               if e["reason"] == "SuccessfulCreate"]
    assert sorted(created) == [f"Created pod: {p['metadata']['name']}" for p in ps]
    for p in ps:
        make_ready(api, loop, p)
    loop.run(until=5)
    st = status(api)
    assert (st["numberReady"], st["numberAvailable"], st.get("numberUnavailable")) == (3, 3, None)


def test_tainted_node_gets_none_and_a_node_added_later_gets_one():
    loop, api, _ = setup(nodes=2)
    add_node(api, "gpu-1", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    api.create("daemonsets", yaml.safe_load(FLUENTD), "kube-system")
    loop.run(until=3)
    assert sorted(node_of(p) for p in pods(api)) == ["node-1", "node-2"]
    assert status(api)["desiredNumberScheduled"] == 2
    add_node(api, "node-3")
    loop.run(until=5)
    assert sorted(node_of(p) for p in pods(api)) == ["node-1", "node-2", "node-3"]
    # a NoExecute taint it does not tolerate removes the pod already running there
    api.patch("nodes", "node-3", {"spec": {"taints": [{"key": "drain", "effect": "NoExecute"}]}})
    loop.run(until=7)
    alive = [p for p in pods(api) if not p["metadata"].get("deletionTimestamp")]
    assert sorted(node_of(p) for p in alive) == ["node-1", "node-2"]
    deleted = [e["message"] for e in api.list("events", namespace="kube-system")["items"]
               if e["reason"] == "SuccessfulDelete"]
    assert len(deleted) == 1


def test_rolling_update_replaces_one_pod_at_a_time():
    loop, api, _ = setup()
    api.create("daemonsets", yaml.safe_load(FLUENTD), "kube-system")
    loop.run(until=3)
    for p in pods(api):
        make_ready(api, loop, p)
    loop.run(until=5)
    api.patch("daemonsets", "fluentd-elasticsearch", {"spec": {"template": {"spec": {"containers": [
        {"name": "fluentd-elasticsearch", "image": "quay.io/fluentd_elasticsearch/fluentd:v5.0.2"}]}}}},
        namespace="kube-system", patch_type="strategic")
    for step in range(1, 4):
        loop.run(until=loop.now + 2)
        gens = sorted(p["metadata"]["labels"]["pod-template-generation"] for p in pods(api))
        # maxUnavailable 1: one old pod deleted (unbound pods go at once), its node's new pod
        # created; the next old pod waits until that one is Ready
        assert gens == ["1"] * (3 - step) + ["2"] * step
        loop.run(until=loop.now + 2)
        assert len(pods(api)) == 3
        for p in pods(api):
            if (p.get("status") or {}).get("phase") != "Running":
                make_ready(api, loop, p)
    loop.run(until=loop.now + 2)
    images = {p["spec"]["containers"][0]["image"] for p in pods(api)}
    assert images == {"quay.io/fluentd_elasticsearch/fluentd:v5.0.2"}
    st = status(api)
    assert (st["updatedNumberScheduled"], st["numberAvailable"]) == (3, 3)
    assert len(api.list("controllerrevisions", namespace="kube-system")["items"]) == 2


def test_on_delete_waits_for_someone_to_delete_the_pod():
    loop, api, _ = setup(nodes=2)
    ds = yaml.safe_load(FLUENTD)
    ds["spec"]["updateStrategy"] = {"type": "OnDelete"}
    api.create("daemonsets", ds, "kube-system")
    loop.run(until=3)
    api.patch("daemonsets", "fluentd-elasticsearch", {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}},
              namespace="kube-system")
    loop.run(until=6)
    assert all(not p["metadata"].get("deletionTimestamp") for p in pods(api))
    assert "updatedNumberScheduled" not in status(api)      # 0 is omitted, as upstream's omitempty
    victim = pods(api)[0]
    api.delete("pods", victim["metadata"]["name"], "kube-system", grace_period_seconds=0)
    loop.run(until=8)
    new = [p for p in pods(api) if p["metadata"]["labels"].get("v") == "2"]
    assert [node_of(p) for p in new] == [node_of(victim)]
    assert status(api)["updatedNumberScheduled"] == 1


def test_plan_with_surge_and_unavailable_budgets():
    both = {"n1": (None, "o1"), "n2": (None, "o2"), "n3": (None, "o3")}
    # maxUnavailable 2: two available old pods go at once; an unavailable one goes anyway
    assert plan_rolling_update(both, {"o1", "o2", "o3"}, 2, 0) == (["o1", "o2"], [])
    assert plan_rolling_update(both, {"o1", "o2"}, 1, 0) == (["o3"], [])
    # surge 1: a new pod beside an old one; the old one goes once the new one is available
    assert plan_rolling_update(both, {"o1", "o2", "o3"}, 0, 1) == ([], ["n1"])
    surged = {"n1": ("x1", "o1"), "n2": (None, "o2")}
    assert plan_rolling_update(surged, {"o1", "o2"}, 0, 1) == ([], [])
    assert plan_rolling_update(surged, {"x1", "o1", "o2"}, 0, 1) == (["o1"], ["n2"])
