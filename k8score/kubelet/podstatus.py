"""The pod status a kubelet reports (pkg/kubelet/kubelet_pods.go ``generateAPIPodStatus``,
pkg/kubelet/status/generate.go, pkg/apis/core/v1/helper/qos).

Built from the pod's spec and what the kubelet knows about its sandbox and containers:
``phase`` (Pending while any container waits, Running once all started, Succeeded/Failed
when a deleted pod's containers have exited), the five conditions in upstream order
(PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled — each
keeping its ``lastTransitionTime`` while its status does not change), ``containerStatuses``,
host and pod IPs, ``startTime`` and ``qosClass``.
"""

from __future__ import annotations

from typing import Any

from ..sim.clock import rfc3339


class ContainerRecord:
    """What the kubelet knows about one container of a pod."""

    __slots__ = ("name", "image", "state", "reason", "message", "container_id", "image_ref", "image_ready",
                 "started_at", "finished_at", "exit_code", "restart_count", "retry_at", "runtime_image")

    def __init__(self, name: str, image: str):
        self.name = name
        self.image = image
        self.state = "waiting"           # waiting | running | terminated
        self.reason = "ContainerCreating"
        self.message = ""
        self.container_id: str | None = None
        self.image_ref = ""              # repo digest once pulled/present
        self.runtime_image = ""          # normalized image reference
        self.image_ready = False
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.exit_code = 0
        self.restart_count = 0
        self.retry_at: float | None = None

    def status(self) -> dict:
        if self.state == "running":
            state: dict[str, Any] = {"running": {"startedAt": rfc3339(self.started_at or 0.0)}}
        elif self.state == "terminated":
            state = {"terminated": {"exitCode": self.exit_code, "reason": self.reason,
                                    "startedAt": rfc3339(self.started_at or 0.0),
                                    "finishedAt": rfc3339(self.finished_at or 0.0),
                                    **({"containerID": f"containerd://{self.container_id}"}
                                       if self.container_id else {})}}
        else:
            state = {"waiting": {"reason": self.reason, **({"message": self.message} if self.message else {})}}
        out: dict[str, Any] = {"name": self.name, "state": state, "lastState": {},
                               "ready": self.state == "running", "restartCount": self.restart_count,
                               "image": self.runtime_image if self.container_id else self.image,
                               "imageID": self.image_ref if self.container_id else ""}
        if self.container_id:
            out["containerID"] = f"containerd://{self.container_id}"
        out["started"] = self.state == "running"
        return out


def qos_class(pod: dict) -> str:
    """Guaranteed: every container limits cpu+memory with requests equal; BestEffort: nothing set."""
    containers = list((pod.get("spec") or {}).get("containers") or []) + \
        list((pod.get("spec") or {}).get("initContainers") or [])
    any_set, guaranteed = False, True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if any(k in req or k in lim for k in ("cpu", "memory")):
            any_set = True
        for k in ("cpu", "memory"):
            if k not in lim or str(req.get(k, lim[k])) != str(lim[k]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _cond(ctype: str, status: str, now: float, previous: dict[str, dict],
          reason: str | None = None, message: str | None = None) -> dict:
    old = previous.get(ctype)
    transition = old.get("lastTransitionTime") if old and old.get("status") == status else rfc3339(now)
    c: dict[str, Any] = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": transition}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def pod_phase(records: list[ContainerRecord], terminal: bool) -> str:
    if terminal and records and all(r.state == "terminated" for r in records):
        return "Succeeded" if all(r.exit_code == 0 for r in records) else "Failed"
    if any(r.state == "waiting" for r in records):
        return "Pending"
    if any(r.state == "running" for r in records):
        return "Running"
    return "Pending"


def build_status(pod: dict, records: list[ContainerRecord], *, now: float, host_ip: str,
                 pod_ip: str | None, sandbox_ready: bool, start_time: float, terminal: bool = False,
                 reported: list[dict] | None = None) -> dict:
    """``reported``: the conditions this kubelet last wrote (newer than the pod it was given)."""
    old = pod.get("status") or {}
    previous = {c.get("type"): c for c in old.get("conditions") or ()}
    previous.update({c.get("type"): c for c in reported or () if c.get("type") != "PodScheduled"})
    phase = pod_phase(records, terminal)
    unready = [r.name for r in records if r.state != "running"]
    if phase in ("Succeeded", "Failed"):
        ready_args = ("False", "PodCompleted", None)
    elif unready:
        ready_args = ("False", "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
    else:
        ready_args = ("True", None, None)
    conditions = [
        _cond("PodReadyToStartContainers", "True" if sandbox_ready else "False", now, previous),
        _cond("Initialized", "True", now, previous),
        _cond("Ready", ready_args[0], now, previous, ready_args[1], ready_args[2]),
        _cond("ContainersReady", ready_args[0], now, previous, ready_args[1], ready_args[2]),
    ]
    if "PodScheduled" in previous:
        conditions.append(previous["PodScheduled"])
    status: dict[str, Any] = {"phase": phase, "conditions": conditions, "hostIP": host_ip,
                              "hostIPs": [{"ip": host_ip}]}
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    status["startTime"] = rfc3339(start_time)
    status["containerStatuses"] = [r.status() for r in records]
    status["qosClass"] = qos_class(pod)
    return status
