"""The attach/detach controller with the kubelet's volume manager and the external-attacher.

Upstream: kubernetes pkg/controller/volume/attachdetach (reconciler.go: detach before attach,
wait for unmount, maxWaitForUnmountDuration 6 min on unhealthy nodes, reportMultiAttachError;
operation_generator.go event texts; csi_attacher.go timeouts), pkg/kubelet/volumemanager
(WaitForAttachAndMount: 300 ms polls, 2m3s timeout, the FailedMount text),
kubernetes-csi/external-attacher (attachError, finalizer).
"""

from __future__ import annotations

from k8score import Cluster
from k8score.controllers.attachdetach_state import attachment_name

DRIVER = "disk.csi.k8score.io"
IMMEDIATE = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
             "provisioner": DRIVER, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"}


def _claim(name="data", cls=None):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    if cls:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def _pod(name, node, claim="data", read_only=False):
    src = {"claimName": claim, **({"readOnly": True} if read_only else {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeSelector": {"kubernetes.io/hostname": node},
                     "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                                     "volumeMounts": [{"name": "d", "mountPath": "/data"}]}],
                     "volumes": [{"name": "d", "persistentVolumeClaim": src}]}}


def _get(c, resource, name, ns="default"):
    items = c.get(resource, namespace=ns)
    return next((o for o in items if o["metadata"]["name"] == name), None)


def _phase(c, name):
    p = _get(c, "pods", name)
    return (p or {}).get("status", {}).get("phase")


def _handle(c, claim="data"):
    pv = c.get("persistentvolumes", c.get("persistentvolumeclaims", claim)["spec"]["volumeName"], namespace=None)
    return pv["metadata"]["name"], pv["spec"]["csi"]["volumeHandle"]


def _va(c, handle, node):
    return _get(c, "volumeattachments", attachment_name(handle, DRIVER, node), ns=None)


def _events(c, since, reason):
    return [(t, m) for t, _s, m in c.timeline(since=since) if m.startswith(reason + ": ")]


def test_volume_follows_the_pod_to_another_node_after_the_old_one_unmounts():
    c = Cluster(nodes=2, seed=5, cloud=False)      # one zone: the disk may move between the nodes
    c.apply([_claim(), _pod("a", "node-1")])
    assert c.run(until=lambda: _phase(c, "a") == "Running", timeout=120)
    pv, handle = _handle(c)
    c.kubectl("exec a -- sh -c 'echo kept > /data/f'")
    t0 = c.now
    c.delete("pods", "a")                          # sleep ignores SIGTERM: 30 s grace
    c.apply(_pod("b", "node-2"))
    c.run(10)
    # still mounted on node-1: no detach, and b is refused (ReadWriteOnce) — once
    assert _va(c, handle, "node-1")["status"]["attached"] is True
    assert _va(c, handle, "node-2") is None
    assert [m for _t, m in _events(c, t0, "FailedAttachVolume")] == [
        f'FailedAttachVolume: Pod/b: Multi-Attach error for volume "{pv}" Volume is already used by pod(s) a']
    assert c.run(until=lambda: _phase(c, "b") == "Running", timeout=120)
    gone = next(t for t, m in _events(c, t0, "SuccessfulAttachVolume") if "Pod/b" in m)
    assert 30 <= gone - t0 <= 32                   # after a's 30 s grace and the unmount
    assert _va(c, handle, "node-1") is None and _va(c, handle, "node-2")["status"]["attached"] is True
    assert c.disks.get(handle).attached_to == "node-2"
    n1, n2 = (c.get("nodes", n, namespace=None)["status"] for n in ("node-1", "node-2"))
    assert not n1.get("volumesAttached") and not n1.get("volumesInUse")
    assert [v["name"] for v in n2["volumesAttached"]] == [f"kubernetes.io/csi/{DRIVER}^{handle}"]
    assert c.kubectl("exec b -- cat /data/f") == "kept\n"
    assert len(_events(c, t0, "FailedAttachVolume")) == 1


def test_attach_timeout_and_the_kubelets_failed_mount_then_recovery():
    c = Cluster(nodes=1, seed=6, cloud=False)
    c.apply([IMMEDIATE, _claim(cls="fast")])
    assert c.run(until=lambda: (_get(c, "persistentvolumeclaims", "data") or {}).get("status", {}).get("phase")
                 == "Bound", timeout=30)
    pv, handle = _handle(c)
    c.stop("csi-controller")                       # no external-attacher: the VolumeAttachment stays unattached
    t0 = c.now
    c.apply(_pod("a", "node-1"))
    c.run(125)
    (t_att, att), = _events(c, t0, "FailedAttachVolume")
    assert att == (f'FailedAttachVolume: Pod/a: AttachVolume.Attach failed for volume "{pv}" : timed out waiting '
                   f'for external-attacher of {DRIVER} CSI driver to attach volume {handle}')
    assert 120 <= t_att - t0 <= 120.5
    (t_mnt, mnt), = _events(c, t0, "FailedMount")
    assert mnt == ("FailedMount: Pod/a: Unable to attach or mount volumes: unmounted volumes=[d], unattached "
                   "volumes=[d], failed to process volumes=[]: timed out waiting for the condition")
    assert 123 <= t_mnt - t0 <= 123.7
    assert _phase(c, "a") == "Pending"
    c.start("csi-controller")
    assert c.run(until=lambda: _phase(c, "a") == "Running", timeout=120)
    assert _va(c, handle, "node-1")["status"]["attached"] is True


def test_attach_error_is_reported_and_retried():
    c = Cluster(nodes=1, seed=7, cloud=False)
    c.disks.max_per_node = 0                       # the cloud refuses one more disk on the node
    c.apply([_claim(), _pod("a", "node-1")])
    c.run(20)
    pv, handle = _handle(c)
    va = _va(c, handle, "node-1")
    want = "rpc error: code = ResourceExhausted desc = instance node-1 has 0 disks attached"
    assert va["status"]["attached"] is False and va["status"]["attachError"]["message"] == want
    failed = _events(c, 0, "FailedAttachVolume")
    assert failed[0][1] == f'FailedAttachVolume: Pod/a: AttachVolume.Attach failed for volume "{pv}" : {want}'
    assert _phase(c, "a") == "Pending"
    c.disks.max_per_node = 16
    t0 = c.now
    assert c.run(until=lambda: _phase(c, "a") == "Running", timeout=300)
    attached = next(t for t, _m in _events(c, t0, "SuccessfulAttachVolume"))
    assert attached - t0 <= 32 + 1                 # the next retries (1 s doubling / 500 ms doubling)


def test_read_only_claim_mounts_read_only():
    c = Cluster(nodes=1, seed=8, cloud=False)
    c.apply([_claim(), _pod("w", "node-1")])
    assert c.run(until=lambda: _phase(c, "w") == "Running", timeout=120)
    c.kubectl("exec w -- sh -c 'echo hi > /data/f'")
    c.delete("pods", "w", grace_period_seconds=0)
    c.apply(_pod("r", "node-1", read_only=True))
    assert c.run(until=lambda: _phase(c, "r") == "Running", timeout=120)
    assert c.kubectl("exec r -- cat /data/f") == "hi\n"
    assert "Read-only file system" in c.kubectl("exec r -- sh -c 'echo x > /data/g'")


def test_force_detach_from_an_unhealthy_node_after_six_minutes():
    c = Cluster(nodes=2, seed=9, cloud=False)
    c.apply([_claim(), _pod("a", "node-1")])
    assert c.run(until=lambda: _phase(c, "a") == "Running", timeout=120)
    _pv, handle = _handle(c)
    c.stop("kubelet/node-1")                       # the node dies with the volume mounted
    t0 = c.now
    c.delete("pods", "a", grace_period_seconds=0)
    c.run(359)                                     # NotReady after 50 s, but the 6 minutes are not over
    assert _va(c, handle, "node-1") is not None and c.disks.get(handle).attached_to == "node-1"
    assert c.run(until=lambda: _va(c, handle, "node-1") is None, timeout=5)
    assert 360 <= c.now - t0 <= 361
    assert c.disks.get(handle).attached_to is None


def test_restarted_controller_manager_converges_from_the_volume_attachments():
    c = Cluster(nodes=1, seed=10, cloud=False)
    c.apply([_claim(), _pod("a", "node-1")])
    assert c.run(until=lambda: _phase(c, "a") == "Running", timeout=120)
    _pv, handle = _handle(c)
    c.stop("kube-controller-manager")
    c.delete("pods", "a", grace_period_seconds=0)
    c.run(5)
    assert _va(c, handle, "node-1") is not None      # nobody to detach
    c.start("kube-controller-manager")
    assert c.run(until=lambda: _va(c, handle, "node-1") is None, timeout=30)
    c.delete("persistentvolumeclaims", "data")
    assert c.run(until=lambda: not c.disks.disks and not c.get("persistentvolumes", namespace=None), timeout=60)


def test_retain_policy_keeps_the_disk():
    c = Cluster(nodes=1, seed=11, cloud=False)
    c.apply([{**IMMEDIATE, "metadata": {"name": "keep"}, "reclaimPolicy": "Retain"}, _claim(cls="keep")])
    assert c.run(until=lambda: (_get(c, "persistentvolumeclaims", "data") or {}).get("status", {}).get("phase")
                 == "Bound", timeout=30)
    pv, handle = _handle(c)
    c.delete("persistentvolumeclaims", "data")
    assert c.run(until=lambda: c.get("persistentvolumes", pv, namespace=None)["status"]["phase"] == "Released",
                 timeout=60)
    c.run(30)
    assert handle in c.disks.disks


def test_host_path_persistent_volume_is_the_node_directory_without_attach():
    """The docs' task-pv-volume (Configure a Pod to Use a PersistentVolume for Storage)."""
    c = Cluster(nodes=1, seed=13, cloud=False)
    c.ssh("node-1", "mkdir -p /mnt/data")
    c.ssh("node-1", "tee /mnt/data/index.html", stdin="Hello from Kubernetes storage\n")
    c.apply([{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "task-pv-volume"},
              "spec": {"storageClassName": "manual", "capacity": {"storage": "10Gi"},
                       "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/mnt/data"}}},
             _claim("task-pv-claim", cls="manual"), _pod("task", "node-1", claim="task-pv-claim")])
    assert c.run(until=lambda: _phase(c, "task") == "Running", timeout=120)
    assert c.kubectl("exec task -- cat /data/index.html") == "Hello from Kubernetes storage\n"
    c.kubectl("exec task -- sh -c 'echo more >> /data/index.html'")
    assert c.ssh("node-1", "cat /mnt/data/index.html") == "Hello from Kubernetes storage\nmore\n"
    assert c.get("volumeattachments", namespace=None) == []
