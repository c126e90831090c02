"""The Node object a kubelet registers and the status it reports (pkg/kubelet/nodestatus).

Allocatable equals capacity here: the real kubelet subtracts ``--kube-reserved``,
``--system-reserved`` and the hard eviction threshold (memory.available<100Mi), which
kubeadm leaves at zero except for the eviction threshold; we leave it out so the numbers
on the page are the ones the reader passed in.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..node.host import KERNEL_RELEASE
from ..kubeversion import GIT_VERSION
from ..sim.clock import rfc3339

# the kubelet of the simulated release (k8score/kubeversion.py): status.nodeInfo.kubeletVersion
KUBELET_VERSION = GIT_VERSION
# pkg/kubelet/kubelet.go: nodeStatusMaxImages
NODE_STATUS_MAX_IMAGES = 50
# pkg/cluster/ports/ports.go: KubeletPort
KUBELET_PORT = 10250

DEFAULT_CAPACITY = {"cpu": "4", "ephemeral-storage": "100Gi", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                    "memory": "8Gi", "pods": "110"}

# pkg/kubelet/nodestatus/setters.go: the pressure conditions' reasons and messages
_PRESSURE = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


def _hex(name: str, what: str, n: int = 32) -> str:
    return hashlib.sha256(f"{what}/{name}".encode()).hexdigest()[:n]


def _uuid(name: str, what: str) -> str:
    h = _hex(name, what)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def node_object(name: str, labels: dict, capacity: dict, internal_ip: str, runtime_version: str) -> dict:
    """The Node the kubelet creates when it registers (kubelet_node_status.go initialNode)."""
    all_labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    all_labels.update(labels)
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": all_labels,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {},
        "status": {
            "capacity": dict(capacity), "allocatable": dict(capacity),
            "addresses": [{"type": "InternalIP", "address": internal_ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
            "nodeInfo": {
                "machineID": _hex(name, "machine-id"), "systemUUID": _uuid(name, "system-uuid"),
                "bootID": _uuid(name, "boot-id"), "kernelVersion": KERNEL_RELEASE,
                "osImage": "Ubuntu 24.04.3 LTS", "containerRuntimeVersion": runtime_version,
                "kubeletVersion": KUBELET_VERSION, "kubeProxyVersion": "",
                "operatingSystem": "linux", "architecture": "amd64",
            },
        },
    }


def conditions(now: float, network_ready: bool, previous: list[dict] | None,
               network_message: str = "") -> list[dict]:
    """MemoryPressure, DiskPressure, PIDPressure, Ready — transition times kept while unchanged."""
    prev = {c.get("type"): c for c in previous or ()}
    stamp = rfc3339(now)
    out = []
    rows = [(t, "False", r, m) for t, r, m in _PRESSURE]
    if network_ready:
        rows.append(("Ready", "True", "KubeletReady", "kubelet is posting ready status"))
    else:
        rows.append(("Ready", "False", "KubeletNotReady",
                     "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                     f"message:{network_message}"))
    for ctype, status, reason, message in rows:
        old = prev.get(ctype)
        transition = old["lastTransitionTime"] if old and old.get("status") == status else stamp
        out.append({"type": ctype, "status": status, "lastHeartbeatTime": stamp,
                    "lastTransitionTime": transition, "reason": reason, "message": message})
    return out


def images_status(images: list[dict]) -> list[dict]:
    """status.images: biggest first, at most 50 (setters.go Images)."""
    rows = [{"names": list(i.get("repoDigests") or []) + list(i.get("repoTags") or []),
             "sizeBytes": int(i.get("size") or 0)} for i in images]
    rows.sort(key=lambda r: (-r["sizeBytes"], r["names"]))
    return rows[:NODE_STATUS_MAX_IMAGES]


def comparable(status: dict) -> Any:
    """A node status without heartbeat times: what counts as "changed" for a status report."""
    conds = [{k: v for k, v in c.items() if k != "lastHeartbeatTime"} for c in status.get("conditions") or ()]
    return {**status, "conditions": conds}
