"""Builders for pods and nodes in tests, benchmarks and page examples (``pkg/scheduler/testing``).

>>> node = make_node("node-1", cpu="4", memory="8Gi", taints=[taint("gpu", "true", "NoSchedule")])
>>> pod = make_pod("web-1", requests={"cpu": "500m"}, tolerations=[toleration("gpu", "Equal", "true")])
>>> node["spec"]["taints"][0]["effect"], pod["spec"]["containers"][0]["resources"]["requests"]
('NoSchedule', {'cpu': '500m'})
"""

from __future__ import annotations

from typing import Any, Iterable


def make_node(name: str, cpu: Any = "4", memory: Any = "8Gi", pods: Any = "110",
              taints: Iterable[dict] = (), unschedulable: bool = False,
              labels: dict | None = None, zone: str | None = None) -> dict:
    """A Ready node whose allocatable equals its capacity."""
    alloc = {"cpu": str(cpu), "memory": str(memory), "pods": str(pods)}
    lbl = {"kubernetes.io/hostname": name, **(labels or {})}
    if zone:
        lbl["topology.kubernetes.io/zone"] = zone
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = [dict(t) for t in taints]
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": lbl},
        "spec": spec,
        "status": {"capacity": dict(alloc), "allocatable": alloc,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]},
    }


def make_pod(name: str, requests: dict | None = None, namespace: str = "default",
             containers: Iterable[dict] | None = None, tolerations: Iterable[dict] = (),
             node_name: str | None = None, priority: int | None = None,
             scheduler_name: str = "default-scheduler", uid: str | None = None) -> dict:
    """A pod with one container ``app`` requesting ``requests`` (or the given container
    request dicts, one container each)."""
    if containers is None:
        containers = [requests or {}]
    conts = []
    for i, req in enumerate(containers):
        c: dict[str, Any] = {"name": "app" if i == 0 else f"app-{i}", "image": "nginx"}
        c["resources"] = {"requests": dict(req)} if req else {}
        conts.append(c)
    spec: dict[str, Any] = {"containers": conts, "schedulerName": scheduler_name}
    if tolerations:
        spec["tolerations"] = [dict(t) for t in tolerations]
    if node_name:
        spec["nodeName"] = node_name
    if priority is not None:
        spec["priority"] = priority
    meta = {"name": name, "namespace": namespace}
    if uid:
        meta["uid"] = uid
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": "Pending"}}


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> dict:
    return {"key": key, "value": value, "effect": effect}


def toleration(key: str = "", operator: str = "Equal", value: str = "", effect: str = "") -> dict:
    t = {"operator": operator}
    if key:
        t["key"] = key
    if value:
        t["value"] = value
    if effect:
        t["effect"] = effect
    return t
