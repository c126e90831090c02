"""The scheduler's volume plugins with the PV binder and an external provisioner.

Upstream: pkg/scheduler/framework/plugins/volumebinding (volume_binding.go, binder.go),
volumerestrictions, volumezone, nodevolumelimits/csi.go; the WaitForFirstConsumer hand-off
of pkg/controller/volume/persistentvolume/pv_controller.go (selected-node, storage-provisioner).
The provisioner here is a fake doing external-provisioner's part (tests/storage_fakes.py).
"""

from __future__ import annotations

from storage_fakes import FakeProvisioner, StorageCluster, pod, pv, pvc

_NO_PREEMPT = " preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."


def _failed(c, name):
    return [e["message"] for e in c.events("FailedScheduling", name)]


def test_wait_for_first_consumer_provisions_on_the_chosen_node_then_binds():
    c = StorageCluster(nodes=("node-1", "node-2"))
    FakeProvisioner(c, delay=2.0)
    c.create("persistentvolumeclaims", pvc("data", "2Gi", cls=None))     # default class: standard
    c.run(2)
    claim = c.get("persistentvolumeclaims", "data")
    assert claim["status"]["phase"] == "Pending" and "annotations" not in claim["metadata"]
    assert [e["message"] for e in c.events("WaitForFirstConsumer", "data")] == \
        ["waiting for first consumer to be created before binding"]
    start = c.loop.now
    c.create("pods", pod("web", "data"))
    c.run(0.5)
    # the scheduler chose a node and waits on Permit; the claim names the node and the provisioner
    ann = c.get("persistentvolumeclaims", "data")["metadata"]["annotations"]
    node = ann["volume.kubernetes.io/selected-node"]
    assert ann["volume.kubernetes.io/storage-provisioner"] == "disk.csi.k8score.io"
    assert ann["volume.beta.kubernetes.io/storage-provisioner"] == "disk.csi.k8score.io"
    assert not c.get("pods", "web")["spec"].get("nodeName")
    assert c.events("ExternalProvisioning", "data")[0]["message"].startswith(
        "Waiting for a volume to be created either by the external provisioner 'disk.csi.k8score.io' or "
        "manually by the system administrator.")
    c.loop.run(until=start + 10, predicate=lambda: bool(c.get("pods", "web")["spec"].get("nodeName")))
    # the provisioner polls each second and takes 2 s; the binder binds at once; Permit lets go
    assert 2.0 < c.loop.now - start <= 3.5
    web = c.get("pods", "web")
    assert web["spec"]["nodeName"] == node
    claim = c.get("persistentvolumeclaims", "data")
    assert claim["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "2Gi"}}
    volume = c.get("persistentvolumes", claim["spec"]["volumeName"])
    assert volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == [node]
    c.run(1)
    assert [e["message"] for e in c.events("Scheduled", "web")] == [f"Successfully assigned default/web to {node}"]
    assert _failed(c, "web") == []
    # Delete: the provisioner removes the volume once the claim is gone (upstream contract)
    c.api.delete("pods", "web", namespace="default", grace_period_seconds=0)
    c.api.delete("persistentvolumeclaims", "data", namespace="default")
    c.run(3)
    assert c.api.list("persistentvolumes")["items"] == []


def test_immediate_claims_must_be_bound_and_static_local_volumes_pick_the_node():
    c = StorageCluster(nodes=("node-1", "node-2"))
    c.create("storageclasses", {"metadata": {"name": "local"}, "provisioner": "kubernetes.io/no-provisioner",
                                "volumeBindingMode": "WaitForFirstConsumer"})
    c.create("storageclasses", {"metadata": {"name": "imm"}, "provisioner": "x.example.com"})
    c.create("persistentvolumeclaims", pvc("a", cls="imm"))
    c.create("pods", pod("p1", "a"))
    c.create("persistentvolumeclaims", pvc("l", cls="local"))
    c.create("pods", pod("p2", "l"))
    c.run(2)
    assert _failed(c, "p1")[0] == "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims." + \
        _NO_PREEMPT
    assert _failed(c, "p2")[0] == ("0/2 nodes are available: 2 node(s) didn't find available persistent volumes "
                                   "to bind." + _NO_PREEMPT)
    # a local volume on node-2 appears (Pending, then Available): the pod is woken by the PV
    # events and, after its backoff, goes there
    c.create("persistentvolumes", pv("loc", cls="local", node_affinity="node-2"))
    c.run(5)
    assert c.get("pods", "p2")["spec"]["nodeName"] == "node-2"
    assert c.get("persistentvolumeclaims", "l")["spec"]["volumeName"] == "loc"
    assert c.get("persistentvolumes", "loc")["metadata"]["annotations"] == \
        {"pv.kubernetes.io/bound-by-controller": "yes"}
    # a pod whose bound volume lives on node-2 only cannot go to a cordoned node-2
    c.api.patch("nodes", "node-2", {"spec": {"unschedulable": True}})
    c.create("pods", pod("p3", "l"))
    c.run(1)
    assert _failed(c, "p3")[0] == ("0/2 nodes are available: 1 node(s) had volume node affinity conflict, "
                                   "1 node(s) were unschedulable." + _NO_PREEMPT)


def test_read_write_once_pod_claim_serves_one_pod():
    c = StorageCluster(nodes=("node-1", "node-2"))
    c.create("persistentvolumes", pv("solo", modes=("ReadWriteOncePod",)))
    c.run(1)
    c.create("persistentvolumeclaims", pvc("solo", modes=("ReadWriteOncePod",)))
    c.run(1)
    c.create("pods", pod("first", "solo"))
    c.run(1)
    c.create("pods", pod("second", "solo"))
    c.run(1)
    assert c.get("pods", "first")["spec"]["nodeName"]
    assert _failed(c, "second")[0].startswith(
        "0/2 nodes are available: 2 node has pod using PersistentVolumeClaim with the same name and "
        "ReadWriteOncePod access mode.")
    c.api.delete("pods", "first", namespace="default", grace_period_seconds=0)
    c.run(3)
    assert c.get("pods", "second")["spec"]["nodeName"]


def test_volume_zone_and_csi_volume_limits():
    c = StorageCluster(nodes=("node-1", "node-2"), zones={"node-1": "zone-a", "node-2": "zone-b"})
    zoned = pv("zoned", labels={"topology.kubernetes.io/zone": "zone-b"})
    c.create("persistentvolumes", zoned)
    c.run(1)
    c.create("persistentvolumeclaims", pvc("z"))
    c.run(1)
    c.create("pods", pod("zp", "z"))
    c.run(1)
    assert c.get("pods", "zp")["spec"]["nodeName"] == "node-2"
    c.api.patch("persistentvolumes", "zoned", {"metadata": {"labels": {"topology.kubernetes.io/zone": "zone-c"}}})
    c.create("pods", pod("zq", "z"))
    c.run(1)
    assert _failed(c, "zq")[0] == "0/2 nodes are available: 2 node(s) had no available volume zone." + _NO_PREEMPT
    # CSINode allows one disk.csi.k8score.io volume per node; two claims cannot share a node
    for n in ("node-1", "node-2"):
        c.create("csinodes", {"metadata": {"name": n}, "spec": {"drivers": [
            {"name": "disk.csi.k8score.io", "nodeID": n, "allocatable": {"count": 1}}]}})
    c.create("persistentvolumeclaims", pvc("d1", cls="standard"))
    c.create("persistentvolumeclaims", pvc("d2", cls="standard"))
    c.create("pods", pod("two-disks", "d1", "d2"))
    c.run(1)
    assert _failed(c, "two-disks")[0].startswith("0/2 nodes are available: 2 node(s) exceed max volume count.")


def test_without_a_provisioner_the_pod_waits_600_seconds_then_fails_and_retries():
    c = StorageCluster(nodes=("node-1", "node-2"))
    c.create("persistentvolumeclaims", pvc("orphan", cls="standard"))
    c.create("pods", pod("stuck", "orphan"))
    c.run(1)
    created = c.loop.now - 1
    assert c.get("persistentvolumeclaims", "orphan")["metadata"]["annotations"][
        "volume.kubernetes.io/selected-node"] in ("node-1", "node-2")
    c.loop.run(until=created + 599)
    assert _failed(c, "stuck") == [] and not c.get("pods", "stuck")["spec"].get("nodeName")
    c.loop.run(until=created + 602)
    [msg] = _failed(c, "stuck")
    assert msg.startswith("0/1 nodes are available: 1 rejected due to timeout after waiting 600s at plugin "
                          "VolumeBinding")
    # the scheduler restarts: nothing assumed survives, and the pod is tried again (and waits again)
    c.scheduler.stop()
    c.scheduler.start()
    c.run(2)
    assert c.scheduler.frameworks["default-scheduler"].plugin("VolumeBinding")._waiting == \
        {"default/stuck": {"default/orphan"}}
