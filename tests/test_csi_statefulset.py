"""The docs' StatefulSet ``web`` ("StatefulSet Basics") on the CSI driver, end to end:
volumeClaimTemplates -> PVC -> WaitForFirstConsumer -> external-provisioner -> PV -> the
attach/detach controller's VolumeAttachment -> external-attacher -> kubelet mount; data that
outlives the pod; persistentVolumeClaimRetentionPolicy; the Delete reclaim policy.

Upstream: kubernetes-csi/external-provisioner pkg/controller/controller.go (events
``Provisioning`` / ``ProvisioningSucceeded``), kubernetes pkg/controller/volume/attachdetach
(``SuccessfulAttachVolume``), pkg/controller/statefulset/stateful_set_utils.go
(updateClaimOwnerRefForSetAndPod), pkg/kubelet/volumemanager.
"""

from __future__ import annotations

import copy

import yaml

from k8score import Cluster
from k8score.controllers.attachdetach_state import attachment_name, unique_volume_name
from k8score.csi.driver import TOPOLOGY_KEY

WEB = """\
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
        image: registry.k8s.io/nginx-slim:0.21
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
HTML = "/usr/share/nginx/html"


def _pod(c, name):
    return next((p for p in c.get("pods") if p["metadata"]["name"] == name), None)


def _running(c, *names):
    def ok():
        pods = [_pod(c, n) for n in names]
        return all(p is not None and not p["metadata"].get("deletionTimestamp")
                   and (p.get("status") or {}).get("phase") == "Running" for p in pods)
    return ok


def _events(c, since=0.0):
    return [(t, src, msg) for t, src, msg in c.timeline(since=since) if ": Node/" not in msg]


def _web(c, manifest=WEB, replicas=2):
    t0 = c.now
    c.apply(manifest)
    assert c.run(until=_running(c, *[f"web-{i}" for i in range(replicas)]), timeout=120)
    return t0


def test_web_gets_a_provisioned_attached_mounted_volume_per_pod():
    c = Cluster(nodes=2, seed=1)
    t0 = _web(c)
    nodes = {n["metadata"]["name"]: n for n in c.get("nodes", namespace=None)}
    for i in (0, 1):
        pod = _pod(c, f"web-{i}")
        pvc = c.get("persistentvolumeclaims", f"www-web-{i}")
        assert pvc["status"]["phase"] == "Bound" and pvc["spec"]["storageClassName"] == "standard"
        pv_name = pvc["spec"]["volumeName"]
        assert pv_name == f"pvc-{pvc['metadata']['uid']}"
        pv = c.get("persistentvolumes", pv_name, namespace=None)
        assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "disk.csi.k8score.io"
        assert pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
        assert pv["spec"]["capacity"] == {"storage": "1Gi"} and pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
        # the disk was made in the zone of the node the scheduler picked (WaitForFirstConsumer)
        node = pod["spec"]["nodeName"]
        zone = nodes[node]["metadata"]["labels"]["topology.kubernetes.io/zone"]
        assert pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"] == [
            {"key": TOPOLOGY_KEY, "operator": "In", "values": [zone]}]
        handle = pv["spec"]["csi"]["volumeHandle"]
        disk = c.disks.get(handle)
        assert (disk.zone, disk.attached_to, disk.capacity_bytes) == (zone, node, 1 << 30)
        va = c.get("volumeattachments", attachment_name(handle, "disk.csi.k8score.io", node), namespace=None)
        assert va["spec"] == {"attacher": "disk.csi.k8score.io", "nodeName": node,
                              "source": {"persistentVolumeName": pv_name}}
        assert va["status"]["attached"] is True
        assert va["metadata"]["finalizers"] == ["external-attacher/disk-csi-k8score-io"]
        status = c.get("nodes", node, namespace=None)["status"]
        uvn = unique_volume_name("disk.csi.k8score.io", handle)
        assert {"name": uvn, "devicePath": ""} in status["volumesAttached"] and uvn in status["volumesInUse"]
        msgs = [m for _t, _s, m in _events(c, t0)]
        assert (f'Provisioning: PersistentVolumeClaim/www-web-{i}: External provisioner is provisioning volume for claim '
                f'"default/www-web-{i}"') in msgs
        assert f"ProvisioningSucceeded: PersistentVolumeClaim/www-web-{i}: Successfully provisioned volume {pv_name}" in msgs
        assert f'SuccessfulAttachVolume: Pod/web-{i}: AttachVolume.Attach succeeded for volume "{pv_name}"' in msgs
    # ordered: web-1's claim is made only once web-0 runs
    when = {m: t for t, _s, m in _events(c, t0)}
    started0 = when["Started: Pod/web-0: Started container nginx"]
    assert when["SuccessfulCreate: StatefulSet/web: create Claim www-web-1 Pod web-1 in StatefulSet web success"] >= started0
    # the attach follows the schedule within a reconciler period or two (100 ms loop)
    sched = when[f"Scheduled: Pod/web-0: Successfully assigned default/web-0 to {_pod(c, 'web-0')['spec']['nodeName']}"]
    attached = next(t for t, _s, m in _events(c, t0) if m.startswith("SuccessfulAttachVolume: Pod/web-0: "))
    assert 0 < attached - sched <= 0.5
    assert attached < started0
    table = c.kubectl("get volumeattachments").splitlines()
    assert table[0].split() == ["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"]
    pvs = {c.get("persistentvolumeclaims", f"www-web-{i}")["spec"]["volumeName"]: _pod(c, f"web-{i}")["spec"]["nodeName"]
           for i in (0, 1)}
    assert sorted(row.split()[1:5] for row in table[1:]) == sorted(
        ["disk.csi.k8score.io", pv, node, "true"] for pv, node in pvs.items())


def test_data_written_in_web_0_survives_the_pod():
    c = Cluster(nodes=2, seed=2)
    _web(c)
    c.kubectl(f"exec web-0 -- sh -c 'echo web-0 > {HTML}/index.html'")
    c.kubectl(f"exec web-1 -- sh -c 'echo web-1 > {HTML}/index.html'")
    old = _pod(c, "web-0")["metadata"]["uid"]
    c.kubectl("delete pod web-0")
    assert c.run(until=lambda: (p := _pod(c, "web-0")) is not None and p["metadata"]["uid"] != old
                 and (p.get("status") or {}).get("phase") == "Running", timeout=120)
    assert c.kubectl(f"exec web-0 -- cat {HTML}/index.html") == "web-0\n"
    assert c.kubectl(f"exec web-1 -- cat {HTML}/index.html") == "web-1\n"    # each pod its own disk
    # the claims and volumes stayed (no new PVC, no new PV)
    assert sorted(p["metadata"]["name"] for p in c.get("persistentvolumeclaims")) == ["www-web-0", "www-web-1"]
    assert len(c.get("persistentvolumes", namespace=None)) == 2 and len(c.disks.disks) == 2


def _with_policy(when_deleted=None, when_scaled=None, replicas=2):
    docs = list(yaml.safe_load_all(WEB))
    sts = copy.deepcopy(docs[1])
    sts["spec"]["replicas"] = replicas
    pol = {k: v for k, v in (("whenDeleted", when_deleted), ("whenScaled", when_scaled)) if v}
    if pol:
        sts["spec"]["persistentVolumeClaimRetentionPolicy"] = pol
    return [docs[0], sts]


def _claims(c):
    return sorted(p["metadata"]["name"] for p in c.get("persistentvolumeclaims"))


def test_scale_down_keeps_claims_by_default_and_deletes_them_with_when_scaled_delete():
    c = Cluster(nodes=2, seed=3)
    _web(c, _with_policy())
    c.api.patch("statefulsets", "web", {"spec": {"replicas": 1}}, namespace="default")
    assert c.run(until=lambda: _pod(c, "web-1") is None, timeout=120)
    c.run(5)
    assert _claims(c) == ["www-web-0", "www-web-1"]            # Retain: the claim waits for a scale-up
    assert len(c.disks.disks) == 2

    c = Cluster(nodes=2, seed=3)
    _web(c, _with_policy(when_scaled="Delete"))
    claim = c.get("persistentvolumeclaims", "www-web-1")
    assert "ownerReferences" not in claim["metadata"]           # in range: no owner yet
    handle = c.get("persistentvolumes", claim["spec"]["volumeName"], namespace=None)["spec"]["csi"]["volumeHandle"]
    c.api.patch("statefulsets", "web", {"spec": {"replicas": 1}}, namespace="default")
    assert c.run(until=lambda: _claims(c) == ["www-web-0"], timeout=120)
    # the pod's claim went with the pod; its PV was Released and, reclaim policy Delete, the
    # external-provisioner deleted the disk and the PV once the disk was detached
    assert c.run(until=lambda: handle not in c.disks.disks, timeout=120)
    assert c.run(until=lambda: len(c.get("persistentvolumes", namespace=None)) == 1, timeout=60)
    assert not any(va["spec"]["nodeName"] and va["spec"]["source"]["persistentVolumeName"] == claim["spec"]["volumeName"]
                   for va in c.get("volumeattachments", namespace=None))


def test_when_deleted_delete_gives_the_claims_to_the_set():
    c = Cluster(nodes=2, seed=4)
    _web(c, _with_policy(when_deleted="Delete"))
    sts = c.get("statefulsets", "web")
    for name in ("www-web-0", "www-web-1"):
        refs = c.get("persistentvolumeclaims", name)["metadata"]["ownerReferences"]
        assert refs == [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": sts["metadata"]["uid"]}]
    c.kubectl("delete statefulset web")
    assert c.run(until=lambda: not _claims(c) and not c.disks.disks, timeout=300)


def test_a_removed_node_s_pod_comes_back_in_the_disk_s_zone_with_its_data():
    c = Cluster(nodes=4, seed=12)                   # the cloud puts node-1 and node-4 in zone k8score-1a
    _web(c, _with_policy(replicas=1), replicas=1)
    node = _pod(c, "web-0")["spec"]["nodeName"]
    zone_of = {n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
               for n in c.get("nodes", namespace=None)}
    c.kubectl(f"exec web-0 -- sh -c 'echo saved > {HTML}/index.html'")
    old = _pod(c, "web-0")["metadata"]["uid"]
    c.remove_node(node)                             # the VM is deleted: its disks come off it
    assert c.run(until=lambda: (p := _pod(c, "web-0")) is not None and p["metadata"]["uid"] != old
                 and (p.get("status") or {}).get("phase") == "Running", timeout=600)
    new_node = _pod(c, "web-0")["spec"]["nodeName"]
    assert new_node != node and zone_of[new_node] == zone_of[node]   # the PV's node affinity
    assert c.kubectl(f"exec web-0 -- cat {HTML}/index.html") == "saved\n"
    vas = c.get("volumeattachments", namespace=None)
    assert [(va["spec"]["nodeName"], va["status"]["attached"]) for va in vas] == [(new_node, True)]
