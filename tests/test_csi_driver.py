"""The CSI driver disk.csi.k8score.io and the pure parts around it.

Upstream: container-storage-interface/spec spec.md (RPCs, error codes), kubernetes-csi/
external-provisioner pkg/controller/controller.go (PV shape), external-attacher
pkg/controller/util.go (GetFinalizerName), kubernetes pkg/volume/csi/csi_attacher.go
(getAttachmentName), pkg/volume/util (IsPodTerminated), pkg/controller/statefulset/
stateful_set_utils.go (updateClaimOwnerRefForSetAndPod).
"""

from __future__ import annotations

import hashlib

import pytest

from k8score.container.fs import FileSystem
from k8score.controllers.attachdetach_state import (DesiredState, attachment_name, is_pod_terminated, pod_volumes,
                                                    unique_volume_name)
from k8score.controllers.statefulset_util import update_claim_owner_refs
from k8score.csi.attacher import finalizer_name
from k8score.csi.disks import DiskBackend
from k8score.csi.driver import TOPOLOGY_KEY, ControllerService, CSIError, NodeService
from k8score.csi.provisioner import build_pv, wants_provisioning

GI = 1 << 30


def _driver(max_per_node: int = 16):
    backend = DiskBackend(max_per_node=max_per_node)
    ctrl = ControllerService(backend)
    fs1, fs2 = FileSystem(), FileSystem()
    n1 = NodeService(backend, "node-1", fs1, zone=lambda: "zone-a")
    n2 = NodeService(backend, "node-2", fs2, zone=lambda: "zone-a")
    n3 = NodeService(backend, "node-3", FileSystem(), zone=lambda: "zone-b")
    for n in (n1, n2, n3):
        n.NodeGetInfo({})
    return backend, ctrl, (n1, fs1), (n2, fs2), n3


def _create(ctrl, name="pvc-1", size=GI, zone="zone-a"):
    seg = {"segments": {TOPOLOGY_KEY: zone}}
    return ctrl.CreateVolume({"name": name, "capacity_range": {"required_bytes": size},
                              "accessibility_requirements": {"requisite": [seg], "preferred": [seg]}})["volume"]


def test_create_volume_is_idempotent_by_name_and_reports_its_zone():
    backend, ctrl, *_ = _driver()
    v = _create(ctrl, size=GI)
    assert v["capacity_bytes"] == GI and v["accessible_topology"] == [{"segments": {TOPOLOGY_KEY: "zone-a"}}]
    assert _create(ctrl, size=GI)["volume_id"] == v["volume_id"]        # the retried call finds its disk
    assert len(backend.disks) == 1
    with pytest.raises(CSIError) as e:                                   # same name, larger size
        _create(ctrl, size=2 * GI)
    assert e.value.code == 6 and str(e.value).startswith("rpc error: code = AlreadyExists desc = ")
    with pytest.raises(CSIError) as e:
        ctrl.CreateVolume({"capacity_range": {"required_bytes": GI}})
    assert str(e.value) == "rpc error: code = InvalidArgument desc = name missing in request"


def test_publish_rules_one_node_same_zone_limit_per_node():
    backend, ctrl, (n1, _), (n2, _), n3 = _driver(max_per_node=1)
    v = _create(ctrl)["volume_id"]
    ctx = ctrl.ControllerPublishVolume({"volume_id": v, "node_id": "node-1"})["publish_context"]
    assert ctx == {"devicePath": f"/dev/disk/by-id/{v}"}
    assert ctrl.ControllerPublishVolume({"volume_id": v, "node_id": "node-1"})["publish_context"] == ctx   # again: OK
    with pytest.raises(CSIError) as e:                                    # ReadWriteOnce block device
        ctrl.ControllerPublishVolume({"volume_id": v, "node_id": "node-2"})
    assert e.value.code == 9 and "attached to node-1" in str(e.value)
    ctrl.ControllerUnpublishVolume({"volume_id": v, "node_id": "node-1"})
    with pytest.raises(CSIError) as e:                                    # another zone
        ctrl.ControllerPublishVolume({"volume_id": v, "node_id": "node-3"})
    assert e.value.code == 9 and "zone zone-a" in str(e.value)
    ctrl.ControllerPublishVolume({"volume_id": v, "node_id": "node-2"})
    w = _create(ctrl, name="pvc-2")["volume_id"]
    with pytest.raises(CSIError) as e:                                    # max_volumes_per_node = 1
        ctrl.ControllerPublishVolume({"volume_id": w, "node_id": "node-2"})
    assert e.value.code == 8 and str(e.value).startswith("rpc error: code = ResourceExhausted")
    with pytest.raises(CSIError) as e:
        ctrl.ControllerPublishVolume({"volume_id": "vol-nope", "node_id": "node-2"})
    assert e.value.code == 5
    # an attached disk cannot be deleted; a missing one deletes fine (idempotent)
    with pytest.raises(CSIError) as e:
        ctrl.DeleteVolume({"volume_id": v})
    assert e.value.code == 9
    ctrl.DeleteVolume({"volume_id": w})
    ctrl.DeleteVolume({"volume_id": w})
    assert sorted(backend.disks) == [v]


def test_node_get_info_reports_limit_and_topology():
    backend = DiskBackend(max_per_node=7)
    info = NodeService(backend, "n", FileSystem(), zone=lambda: "z9").NodeGetInfo({})
    assert info == {"node_id": "n", "max_volumes_per_node": 7, "accessible_topology": {"segments": {TOPOLOGY_KEY: "z9"}}}
    assert backend.nodes == {"n": "z9"}


def test_data_survives_unpublish_and_follows_the_disk_to_another_node():
    backend, ctrl, (n1, fs1), (n2, fs2), _ = _driver()
    v = _create(ctrl)["volume_id"]
    with pytest.raises(CSIError) as e:                                    # not attached here yet
        n1.NodeStageVolume({"volume_id": v, "staging_target_path": "/stage"})
    assert e.value.code == 9
    ctrl.ControllerPublishVolume({"volume_id": v, "node_id": "node-1"})
    with pytest.raises(CSIError):                                         # publish needs the stage first
        n1.NodePublishVolume({"volume_id": v, "staging_target_path": "/stage", "target_path": "/pod/mount"})
    n1.NodeStageVolume({"volume_id": v, "staging_target_path": "/stage"})
    n1.NodePublishVolume({"volume_id": v, "staging_target_path": "/stage", "target_path": "/pod/mount"})
    n1.NodePublishVolume({"volume_id": v, "staging_target_path": "/stage", "target_path": "/ro", "readonly": True})
    fs1.write("/pod/mount/index.html", "web-0\n")
    assert fs1.read("/stage/index.html") == fs1.read("/ro/index.html") == "web-0\n"
    assert n1.published_read_only == {"/pod/mount": False, "/ro": True}
    for target in ("/pod/mount", "/ro"):
        n1.NodeUnpublishVolume({"volume_id": v, "target_path": target})
    n1.NodeUnpublishVolume({"volume_id": v, "target_path": "/ro"})         # idempotent
    n1.NodeUnstageVolume({"volume_id": v, "staging_target_path": "/stage"})
    assert not fs1.exists("/pod/mount/index.html") and n1.published_read_only == {}
    ctrl.ControllerUnpublishVolume({"volume_id": v, "node_id": "node-1"})
    ctrl.ControllerPublishVolume({"volume_id": v, "node_id": "node-2"})
    n2.NodeStageVolume({"volume_id": v, "staging_target_path": "/s"})
    n2.NodePublishVolume({"volume_id": v, "staging_target_path": "/s", "target_path": "/m"})
    assert fs2.read("/m/index.html") == "web-0\n"


def test_names_as_upstream():
    handle, driver, node = "vol-1", "disk.csi.k8score.io", "node-1"
    assert attachment_name(handle, driver, node) == \
        "csi-" + hashlib.sha256(b"vol-1disk.csi.k8score.ionode-1").hexdigest()
    assert attachment_name(handle, driver, "node-2") != attachment_name(handle, driver, node)
    assert unique_volume_name(driver, handle) == "kubernetes.io/csi/disk.csi.k8score.io^vol-1"
    assert finalizer_name() == "external-attacher/disk-csi-k8score-io"


def _pvc(**ann):
    return {"metadata": {"name": "www-web-0", "namespace": "default", "uid": "u-1", "resourceVersion": "5",
                         "annotations": ann},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": "standard"}}


def test_provisioner_claim_filter_and_pv_shape():
    assert wants_provisioning(_pvc(**{"volume.kubernetes.io/storage-provisioner": "disk.csi.k8score.io"}))
    assert wants_provisioning(_pvc(**{"volume.beta.kubernetes.io/storage-provisioner": "disk.csi.k8score.io"}))
    assert not wants_provisioning(_pvc(**{"volume.kubernetes.io/storage-provisioner": "other.csi"}))
    assert not wants_provisioning(_pvc())
    bound = _pvc(**{"volume.kubernetes.io/storage-provisioner": "disk.csi.k8score.io"})
    bound["spec"]["volumeName"] = "pv-x"
    assert not wants_provisioning(bound)
    sc = {"metadata": {"name": "standard"}, "reclaimPolicy": "Delete"}
    pv = build_pv(_pvc(), sc, {"volume_id": "vol-9", "capacity_bytes": GI,
                               "accessible_topology": [{"segments": {TOPOLOGY_KEY: "zone-a"}}]})
    assert pv["metadata"]["name"] == "pvc-u-1"
    assert pv["metadata"]["annotations"] == {"pv.kubernetes.io/provisioned-by": "disk.csi.k8score.io"}
    spec = pv["spec"]
    assert spec["capacity"] == {"storage": "1Gi"} and spec["persistentVolumeReclaimPolicy"] == "Delete"
    assert spec["claimRef"] == {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "www-web-0",
                                "uid": "u-1", "apiVersion": "v1", "resourceVersion": "5"}
    assert spec["csi"]["volumeHandle"] == "vol-9" and spec["csi"]["driver"] == "disk.csi.k8score.io"
    assert spec["nodeAffinity"]["required"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": TOPOLOGY_KEY, "operator": "In", "values": ["zone-a"]}]}]


def _pod(volumes, phase="Running", deleting=False, running=True):
    meta = {"name": "p", "namespace": "default", "uid": "pu"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    state = {"running": {}} if running else {"terminated": {"exitCode": 0}}
    return {"metadata": meta, "spec": {"volumes": volumes, "nodeName": "node-1"},
            "status": {"phase": phase, "containerStatuses": [{"name": "c", "state": state}]}}


def test_pod_terminated_and_attachable_volumes():
    assert not is_pod_terminated(_pod([]))
    assert is_pod_terminated(_pod([], phase="Succeeded"))
    assert not is_pod_terminated(_pod([], deleting=True))                 # still running: keep it attached
    assert is_pod_terminated(_pod([], deleting=True, running=False))
    claims = {"default/a": {"spec": {"volumeName": "pv-a"}, "status": {"phase": "Bound"}},
              "default/b": {"spec": {}, "status": {"phase": "Pending"}},
              "default/c": {"spec": {"volumeName": "pv-c"}, "status": {"phase": "Bound"}}}
    pvs = {"pv-a": {"spec": {"accessModes": ["ReadWriteOnce"], "csi": {"driver": "d", "volumeHandle": "h-a"}}},
           "pv-c": {"spec": {"accessModes": ["ReadWriteMany"], "csi": {"driver": "nfs", "volumeHandle": "h-c"}}}}
    vols = [{"name": n, "persistentVolumeClaim": {"claimName": n}} for n in ("a", "b", "c")] + \
        [{"name": "cfg", "configMap": {"name": "x"}}]
    specs = pod_volumes(_pod(vols), lambda ns, n: claims.get(f"{ns}/{n}"), pvs.get, lambda d: True)
    assert [(s.pv, s.name, s.multi_attach) for s in specs] == [
        ("pv-a", "kubernetes.io/csi/d^h-a", False), ("pv-c", "kubernetes.io/csi/nfs^h-c", True)]
    # a CSIDriver with attachRequired: false needs no VolumeAttachment
    specs = pod_volumes(_pod(vols), lambda ns, n: claims.get(f"{ns}/{n}"), pvs.get, lambda d: d != "nfs")
    assert [s.pv for s in specs] == ["pv-a"]
    dsw = DesiredState()
    dsw.set_pod("default/p", _pod(vols), "node-1", specs)
    dsw.set_pod("default/q", _pod(vols), "node-2", specs)
    assert sorted(dsw.volumes) == [("kubernetes.io/csi/d^h-a", "node-1"), ("kubernetes.io/csi/d^h-a", "node-2")]
    assert [n for n, _ in dsw.pods_using("kubernetes.io/csi/d^h-a")] == ["node-1", "node-2"]
    dsw.set_pod("default/p", None, None, [])
    assert sorted(dsw.volumes) == [("kubernetes.io/csi/d^h-a", "node-2")]


def _sts(when_deleted=None, when_scaled=None, replicas=2):
    spec = {"replicas": replicas, "volumeClaimTemplates": [{"metadata": {"name": "www"}}]}
    if when_deleted or when_scaled:
        spec["persistentVolumeClaimRetentionPolicy"] = {k: v for k, v in (("whenDeleted", when_deleted),
                                                                          ("whenScaled", when_scaled)) if v}
    return {"metadata": {"name": "web", "namespace": "default", "uid": "set-uid"}, "spec": spec}


def _refs(claim):
    return [(r["kind"], r["uid"]) for r in claim["metadata"].get("ownerReferences") or ()]


@pytest.mark.parametrize("deleted,scaled,in_range,out_of_range", [
    ("Retain", "Retain", [], []),
    ("Delete", "Retain", [("StatefulSet", "set-uid")], [("StatefulSet", "set-uid")]),
    ("Retain", "Delete", [], [("Pod", "pod-uid")]),
    ("Delete", "Delete", [("StatefulSet", "set-uid")], [("Pod", "pod-uid")]),
])
def test_claim_owner_refs_follow_retention_policy(deleted, scaled, in_range, out_of_range):
    sts = _sts(deleted, scaled, replicas=2)
    for ordinal, want in ((1, in_range), (2, out_of_range)):
        pod = {"metadata": {"name": f"web-{ordinal}", "uid": "pod-uid"}}
        # start from the refs of the opposite policy: the function must add and remove
        claim = {"metadata": {"name": f"www-web-{ordinal}", "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "set-uid"},
            {"apiVersion": "v1", "kind": "Pod", "name": f"web-{ordinal}", "uid": "pod-uid"}]}}
        update_claim_owner_refs(claim, sts, pod)
        assert _refs(claim) == want
        assert update_claim_owner_refs(claim, sts, pod) is False          # second call: nothing to do
    # a pod not created yet (no uid) gets no reference; the default policy is Retain/Retain
    claim = {"metadata": {"name": "www-web-0"}}
    assert update_claim_owner_refs(claim, _sts(), {"metadata": {"name": "web-0"}}) is False
    assert "ownerReferences" not in claim["metadata"]
