"""Shared by the managedFields fast-path tests: the fast and the full computation side by side,
and real objects (a kubelet-style Pod, a Node, a Lease, a DaemonSet) tracked as the API server
stores them. See tests/test_fieldmanager_fastpath.py for what is checked and the upstream sources."""

from __future__ import annotations

import copy
import json

from k8score.api.schema import schema_for
from k8score.apiserver.fieldmanager import update_managed_fields
from k8score.apiserver.fieldmanager.apply import _full_update, default_reset_fields
from k8score.apiserver.fieldmanager.fastpath import canonical

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z"



def fast(old, new, manager, kind, now, sub=None, api_version="v1"):
    return update_managed_fields(old, new, manager, schema_for(api_version, kind), now, api_version,
                                 subresource=sub)


def slow(old, new, manager, kind, now, sub=None, api_version="v1"):
    return _full_update(old, new, manager, schema_for(api_version, kind), now, api_version, "Update", sub,
                        default_reset_fields(sub))


def with_fields(obj, entries):
    out = copy.deepcopy(obj)
    if entries:
        out["metadata"]["managedFields"] = entries
    else:
        out["metadata"].pop("managedFields", None)
    return out


def text(v) -> str:
    return json.dumps(v)   # key order matters: the stored bytes


# -- real objects ---------------------------------------------------------------------------

def pod() -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                         "labels": {"app": "web"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                              "uid": "rs1", "controller": True}]},
            "spec": {"nodeName": "node-1",
                     "containers": [{"name": "nginx", "image": "nginx:1.27",
                                     "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                                    {"name": "side", "image": "busybox"}],
                     "tolerations": [{"key": "a", "operator": "Exists"}]},
            "status": {"phase": "Running", "podIP": "10.0.1.5", "podIPs": [{"ip": "10.0.1.5"}],
                       "hostIP": "172.18.0.2", "startTime": T0, "qosClass": "BestEffort",
                       "conditions": [{"type": "Initialized", "status": "True", "lastTransitionTime": T0},
                                      {"type": "Ready", "status": "True", "lastTransitionTime": T0}],
                       "containerStatuses": [{"name": "nginx", "ready": True, "restartCount": 0,
                                              "image": "nginx:1.27", "imageID": "sha256:1",
                                              "state": {"running": {"startedAt": T0}}},
                                             {"name": "side", "ready": False, "restartCount": 1,
                                              "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}


def node() -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-1", "uid": "n1", "resourceVersion": "3",
                         "labels": {"kubernetes.io/hostname": "node-1", "kubernetes.io/os": "linux"},
                         "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {"podCIDR": "10.0.1.0/24", "podCIDRs": ["10.0.1.0/24"],
                     "taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]},
            "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                       "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"},
                                     {"type": "Hostname", "address": "node-1"}],
                       "conditions": [{"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": T0,
                                       "lastTransitionTime": T0, "reason": "KubeletHasSufficientMemory"},
                                      {"type": "Ready", "status": "True", "lastHeartbeatTime": T0,
                                       "lastTransitionTime": T0, "reason": "KubeletReady"}],
                       "images": [{"names": ["nginx:1.27"], "sizeBytes": 100},
                                  {"names": ["busybox"], "sizeBytes": 5}],
                       "nodeInfo": {"kubeletVersion": "v1.37.0", "osImage": "Debian"}}}


def lease() -> dict:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "node-1", "namespace": "kube-node-lease", "uid": "l1", "resourceVersion": "9",
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "n1"}]},
            "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40, "renewTime": T0}}


def daemonset() -> dict:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "uid": "d1", "generation": 1,
                         "resourceVersion": "4", "labels": {"k8s-app": "kube-proxy"}},
            "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                     "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                                  "spec": {"containers": [{"name": "kube-proxy", "image": "kube-proxy:v1.37",
                                                           "env": [{"name": "NODE", "value": "x"}]}]}},
                     "updateStrategy": {"type": "RollingUpdate"}},
            "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberReady": 2,
                       "observedGeneration": 1, "updatedNumberScheduled": 3}}


OBJECTS = {"Pod": ("v1", pod), "Node": ("v1", node), "Lease": ("coordination.k8s.io/v1", lease),
           "DaemonSet": ("apps/v1", daemonset)}


def tracked(kind: str) -> dict:
    """The object as stored after a create by its controller and a status write by another
    manager (two entries, as the kubelet and kube-controller-manager leave a pod)."""
    av, make = OBJECTS[kind]
    obj = make()
    status = obj.pop("status", None)
    entries = update_managed_fields(None, obj, "kube-controller-manager", schema_for(av, kind), T0, av)
    stored = with_fields(obj, entries)
    if status is not None:
        new = {**copy.deepcopy(stored), "status": status}
        entries = update_managed_fields(stored, new, "kubelet", schema_for(av, kind), T0, av, subresource="status")
        stored = with_fields(new, entries)
    assert canonical(stored["metadata"]["managedFields"])
    return stored
