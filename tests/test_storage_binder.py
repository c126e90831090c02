"""The PersistentVolume binder: static binding, reclaim, lost claims, protection finalizers.

Upstream: pkg/controller/volume/persistentvolume/pv_controller.go (syncClaim, syncVolume,
bind, reclaimVolume), pv_controller_base.go (15 s resync), index.go (findByClaim),
component-helpers/storage/volume/pv_helpers.go (FindMatchingVolume),
pkg/controller/volume/pvcprotection and pvprotection; the manifests are the docs' task
"Configure a Pod to Use a PersistentVolume for Storage".
"""

from __future__ import annotations

import yaml

from storage_fakes import StorageCluster, pod, pv, pvc

from k8score.api.errors import ApiError
from k8score.client import Client
from k8score.kubectl import Kubectl

TASK_PV = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
"""
TASK_PVC = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
"""
TASK_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: task-pv-pod
spec:
  volumes:
    - name: task-pv-storage
      persistentVolumeClaim:
        claimName: task-pv-claim
  containers:
    - name: task-pv-container
      image: nginx
      ports:
        - containerPort: 80
          name: "http-server"
      volumeMounts:
        - mountPath: "/usr/share/nginx/html"
          name: task-pv-storage
"""


def _kubectl(c, cmd):
    return Kubectl(Client(c.api, user="kubernetes-admin"), lambda: c.loop.now).run(cmd)


def _phase(c, resource, name):
    return c.get(resource, name)["status"].get("phase")


def test_docs_task_pv_and_claim_bind_and_the_pod_is_scheduled():
    c = StorageCluster()
    c.create("persistentvolumes", yaml.safe_load(TASK_PV))
    c.run(1)
    assert _kubectl(c, "get pv task-pv-volume").splitlines()[1].split() == \
        ["task-pv-volume", "10Gi", "RWO", "Retain", "Available", "manual", "<unset>", "1s"]
    c.create("persistentvolumeclaims", yaml.safe_load(TASK_PVC))
    c.run(0.5)
    assert _phase(c, "persistentvolumeclaims", "task-pv-claim") == "Bound"   # found at once
    assert _kubectl(c, "get pvc task-pv-claim").splitlines()[1].split() == \
        ["task-pv-claim", "Bound", "task-pv-volume", "10Gi", "RWO", "manual", "<unset>", "0s"]
    line = _kubectl(c, "get pv").splitlines()[1].split()
    assert line[4:7] == ["Bound", "default/task-pv-claim", "manual"]
    volume = c.get("persistentvolumes", "task-pv-volume")
    assert volume["metadata"]["annotations"] == {"pv.kubernetes.io/bound-by-controller": "yes"}
    assert volume["spec"]["claimRef"]["uid"] == c.get("persistentvolumeclaims", "task-pv-claim")["metadata"]["uid"]
    c.create("pods", yaml.safe_load(TASK_POD))
    c.run(1)
    assert c.get("pods", "task-pv-pod")["spec"]["nodeName"] == "node-1"
    described = _kubectl(c, "describe pvc task-pv-claim").splitlines()
    assert described[:5] == ["Name:          task-pv-claim", "Namespace:     default", "StorageClass:  manual",
                             "Status:        Bound", "Volume:        task-pv-volume"]
    assert "Finalizers:    [kubernetes.io/pvc-protection]" in described
    assert described[described.index("Capacity:      10Gi") + 1:][:3] == \
        ["Access Modes:  RWO", "VolumeMode:    Filesystem", "Used By:       task-pv-pod"]
    # expansion: the claim is bound, but class "manual" (no StorageClass object) does not allow it
    claim = c.get("persistentvolumeclaims", "task-pv-claim")
    claim["spec"]["resources"]["requests"]["storage"] = "5Gi"
    try:
        c.api.update("persistentvolumeclaims", claim, "default")
        raise AssertionError("expansion was allowed")
    except ApiError as e:
        assert e.message == ('persistentvolumeclaims "task-pv-claim" is forbidden: only dynamically provisioned '
                             'pvc can be resized and the storageclass that provisions the pvc must support resize')


def test_smallest_fitting_volume_with_matching_modes_class_and_selector_wins():
    c = StorageCluster(scheduler=False)
    c.create("persistentvolumes", pv("tiny", "500Mi"))                                  # too small
    c.create("persistentvolumes", pv("rwx-2g", "2Gi", modes=("ReadWriteMany",)))       # not for RWO
    c.create("persistentvolumes", pv("fast-2g", "2Gi", cls="fast"))                     # other class
    c.create("persistentvolumes", pv("big", "10Gi"))
    c.create("persistentvolumes", pv("mid", "3Gi"))
    c.create("persistentvolumes", pv("mid-ssd", "3Gi", labels={"disk": "ssd"}))
    c.create("persistentvolumes", pv("both", "1Gi", modes=("ReadWriteOnce", "ReadWriteMany")))
    c.run(1)
    c.create("persistentvolumeclaims", pvc("a", "1Gi"))                        # RWO group first: "mid"
    c.create("persistentvolumeclaims", pvc("b", "1Gi", selector={"disk": "ssd"}))
    c.create("persistentvolumeclaims", pvc("c", "1Gi", modes=("ReadWriteMany",)))
    c.create("persistentvolumeclaims", pvc("d", "20Gi"))
    c.run(1)
    got = {n: c.get("persistentvolumeclaims", n)["spec"].get("volumeName") for n in "abcd"}
    # index.go: the RWX claim looks at RWX-only volumes before RWO+RWX ones, even a bigger one
    assert got == {"a": "mid", "b": "mid-ssd", "c": "rwx-2g", "d": None}
    assert c.get("persistentvolumeclaims", "a")["status"]["capacity"] == {"storage": "3Gi"}
    assert [e["message"] for e in c.events("FailedBinding", "d")] == \
        ["no persistent volumes available for this claim and no storage class is set"]
    # a volume created later is found by the resync every 15 s (the manager started at t=0), not before
    c.create("persistentvolumes", pv("huge", "50Gi"))
    c.loop.run(until=14.9)
    assert _phase(c, "persistentvolumeclaims", "d") == "Pending"
    c.loop.run(until=15.1)
    assert c.get("persistentvolumeclaims", "d")["spec"]["volumeName"] == "huge"
    assert [_phase(c, "persistentvolumes", n) for n in ("tiny", "both", "fast-2g", "big")] == ["Available"] * 4


def test_claim_of_a_missing_class_and_a_prebound_claim_that_does_not_fit():
    c = StorageCluster(scheduler=False)
    c.create("persistentvolumeclaims", pvc("ghost", cls="gold"))
    c.create("persistentvolumes", pv("small", "1Gi"))
    claim = pvc("wants-small", "5Gi")
    claim["spec"]["volumeName"] = "small"
    c.create("persistentvolumeclaims", claim)
    c.run(1)
    assert [e["message"] for e in c.events("ProvisioningFailed", "ghost")] == \
        ['storageclass.storage.k8s.io "gold" not found']
    assert [e["message"] for e in c.events("VolumeMismatch", "wants-small")][-1] == \
        'Cannot bind to requested volume "small": requested PV is too small'
    assert _phase(c, "persistentvolumes", "small") == "Available"


def test_retain_keeps_a_released_volume_and_a_deleted_volume_loses_its_claim():
    c = StorageCluster(scheduler=False)
    c.create("persistentvolumes", pv("kept", "1Gi"))
    c.create("persistentvolumes", pv("doomed", "1Gi", cls="other"))
    c.run(1)
    c.create("persistentvolumeclaims", pvc("one", "1Gi"))
    c.create("persistentvolumeclaims", pvc("two", "1Gi", cls="other"))
    c.run(1)
    c.api.delete("persistentvolumeclaims", "one", namespace="default")
    c.run(1)
    kept = c.get("persistentvolumes", "kept")
    assert kept["status"]["phase"] == "Released" and kept["spec"]["claimRef"]["name"] == "one"
    c.create("persistentvolumeclaims", pvc("three", "1Gi"))
    c.run(16)
    assert _phase(c, "persistentvolumeclaims", "three") == "Pending"   # a Released volume is not reused
    # the bound volume is deleted: pv-protection holds it while Bound ...
    c.api.delete("persistentvolumes", "doomed")
    c.run(1)
    assert c.get("persistentvolumes", "doomed")["metadata"]["deletionTimestamp"]
    assert _kubectl(c, "get pv doomed").splitlines()[1].split()[4] == "Terminating"


def test_delete_policy_volumes_wait_for_their_external_deleter_or_fail():
    c = StorageCluster(scheduler=False)
    ext = pv("ext", "1Gi", policy="Delete")
    ext["metadata"]["annotations"] = {"pv.kubernetes.io/provisioned-by": "disk.csi.k8score.io"}
    c.create("persistentvolumes", ext)
    c.create("persistentvolumes", pv("static", "1Gi", cls="x", policy="Delete"))
    c.run(1)
    c.create("persistentvolumeclaims", pvc("e", "1Gi"))
    c.create("persistentvolumeclaims", pvc("s", "1Gi", cls="x"))
    c.run(1)
    for n in ("e", "s"):
        c.api.delete("persistentvolumeclaims", n, namespace="default")
    c.run(1)
    assert c.get("persistentvolumes", "ext")["status"]["phase"] == "Released"
    st = c.get("persistentvolumes", "static")["status"]
    assert st["phase"] == "Failed"
    assert [e["message"] for e in c.events("VolumeFailedDelete", "static")] == \
        ['error getting deleter volume plugin for volume "static": no deletable volume plugin matched']


def test_claim_in_use_stays_terminating_until_its_pod_is_gone():
    c = StorageCluster()
    c.create("persistentvolumes", pv("vol", "1Gi"))
    c.run(1)
    c.create("persistentvolumeclaims", pvc("data", "1Gi"))
    c.create("pods", pod("user", "data"))
    c.run(2)
    assert c.get("pods", "user")["spec"]["nodeName"] == "node-1"
    c.api.delete("persistentvolumeclaims", "data", namespace="default")
    c.run(5)
    claim = c.get("persistentvolumeclaims", "data")
    assert claim["metadata"]["deletionTimestamp"]
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert _kubectl(c, "get pvc data").splitlines()[1].split()[1] == "Terminating"
    assert "Status:        Terminating (lasts 5s)" in _kubectl(c, "describe pvc data").splitlines()
    c.api.delete("pods", "user", namespace="default", grace_period_seconds=0)
    c.run(1)
    try:
        c.get("persistentvolumeclaims", "data")
        raise AssertionError("claim still there")
    except ApiError as e:
        assert e.code == 404
    c.run(1)
    assert _phase(c, "persistentvolumes", "vol") == "Released"
    c.api.delete("persistentvolumes", "vol")     # no longer Bound: pv-protection lets it go
    c.run(1)
    assert [p["metadata"]["name"] for p in c.api.list("persistentvolumes")["items"]] == []
