"""The pod status a kubelet reports (pkg/kubelet/kubelet_pods.go ``generateAPIPodStatus``,
``getPhase``, ``convertToAPIContainerStatuses``; pkg/kubelet/status/generate.go;
pkg/apis/core/v1/helper/qos).

Built from the pod's spec and what the kubelet knows about its sandbox and containers:

- ``containerStatuses`` sorted by container name (kubetypes.SortedContainerStatuses),
  ``initContainerStatuses`` in spec order; each with ``state``, ``lastState`` (the previous
  attempt's ``terminated``), ``restartCount``, ``ready`` and ``started``. A container that has
  not run yet waits with ``ContainerCreating`` — ``PodInitializing`` when the pod has init
  containers;
- ``phase`` by upstream ``getPhase`` (a failed init container with ``restartPolicy: Never``
  fails the pod; all containers exited: ``Running`` under ``Always``, ``Succeeded`` when all
  exited 0, ``Failed`` under ``Never``, ``Running`` under ``OnFailure`` while restarting);
  once terminal the phase never changes back;
- conditions the kubelet does not own are kept first; then the kubelet's in upstream order —
  PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled (always ``True``:
  the kubelet runs the pod, so it was scheduled — also for pods created with ``spec.nodeName``),
  each keeping its ``lastTransitionTime`` while its status does not change;
- host and pod IPs, ``startTime`` and ``qosClass``.
"""

from __future__ import annotations

from typing import Any

from ..sim.clock import rfc3339

# pkg/kubelet/status/generate.go
UNKNOWN_CONTAINER_STATUSES = "UnknownContainerStatuses"
POD_COMPLETED = "PodCompleted"
POD_FAILED = "PodFailed"
CONTAINERS_NOT_READY = "ContainersNotReady"
CONTAINERS_NOT_INITIALIZED = "ContainersNotInitialized"
READINESS_GATES_NOT_READY = "ReadinessGatesNotReady"
# pkg/kubelet/types/pod_status.go PodConditionsByKubelet
KUBELET_CONDITIONS = ("PodScheduled", "Ready", "Initialized", "ContainersReady", "PodReadyToStartContainers")


def is_sidecar(container: dict | None) -> bool:
    """podutil.IsRestartableInitContainer: an init container with ``restartPolicy: Always``."""
    return bool(container) and container.get("restartPolicy") == "Always"


class ContainerRecord:
    """What the kubelet knows about one container of a pod (its current attempt)."""

    __slots__ = ("name", "image", "init", "sidecar", "state", "reason", "message", "container_id", "image_ref",
                 "image_ready", "started_at", "finished_at", "exit_code", "signal", "restart_count", "retry_at",
                 "runtime_image", "last_terminated", "ready", "started", "id_prefix", "killing", "backoff", "approved")

    def __init__(self, name: str, image: str, init: bool = False, sidecar: bool = False,
                 waiting_reason: str = "ContainerCreating"):
        self.name = name
        self.image = image
        self.init = init
        self.sidecar = sidecar
        self.state = "waiting"           # waiting | running | terminated
        self.reason = waiting_reason
        self.message = ""
        self.container_id: str | None = None
        self.image_ref = ""              # repo digest once pulled/present
        self.runtime_image = ""          # normalized image reference
        self.image_ready = False
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.exit_code = 0
        self.signal: int | None = None
        self.restart_count = 0
        self.retry_at: float | None = None
        self.last_terminated: dict | None = None   # the previous attempt's state.terminated
        self.ready = False
        self.started = False
        self.id_prefix = "containerd"
        self.killing = False             # a kill (liveness, postStart failure) is under way
        self.backoff: tuple[str, str] | None = None   # exited, waiting to restart: (reason, message)
        self.approved = False            # the backoff let this restart go (its image may still pull)

    @property
    def has_run(self) -> bool:
        return self.container_id is not None and self.started_at is not None

    def terminated(self) -> dict:
        out: dict[str, Any] = {"exitCode": self.exit_code}
        if self.signal:
            out["signal"] = self.signal
        if self.reason:
            out["reason"] = self.reason
        if self.message:
            out["message"] = self.message
        out["startedAt"] = rfc3339(self.started_at or 0.0)
        out["finishedAt"] = rfc3339(self.finished_at or 0.0)
        if self.container_id:
            out["containerID"] = f"{self.id_prefix}://{self.container_id}"
        return out

    def status(self) -> dict:
        if self.state == "running":
            state: dict[str, Any] = {"running": {"startedAt": rfc3339(self.started_at or 0.0)}}
        elif self.state == "terminated" and self.backoff:
            state = {"waiting": {"reason": self.backoff[0], "message": self.backoff[1]}}
        elif self.state == "terminated":
            state = {"terminated": self.terminated()}
        else:
            state = {"waiting": {"reason": self.reason, **({"message": self.message} if self.message else {})}}
        shown = self.container_id is not None and self.state != "waiting" or self.last_terminated is not None
        out: dict[str, Any] = {"name": self.name, "state": state,
                               "lastState": {"terminated": self.terminated()} if "waiting" in state and self.backoff
                               else {"terminated": dict(self.last_terminated)} if self.last_terminated else {},
                               "ready": self.ready, "restartCount": self.restart_count,
                               "image": self.runtime_image if shown and self.runtime_image else self.image,
                               "imageID": self.image_ref if shown else ""}
        if shown and self.container_id:
            out["containerID"] = f"{self.id_prefix}://{self.container_id}"
        out["started"] = self.started
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


def get_phase(pod: dict, statuses: list[dict], terminal: bool) -> str:
    """pkg/kubelet/kubelet_pods.go ``getPhase`` over API container statuses (init + regular)."""
    spec = pod.get("spec") or {}
    by_name = {s.get("name"): s for s in statuses}
    policy = spec.get("restartPolicy") or "Always"
    pending_init = failed_init = 0
    unknown = running = waiting = stopped = succeeded = 0
    for c in spec.get("initContainers") or ():
        s = by_name.get(c.get("name"))
        state = (s or {}).get("state") or {}
        last = ((s or {}).get("lastState") or {}).get("terminated")
        if is_sidecar(c):
            if s is None:
                unknown += 1
            elif "running" in state:
                if not s.get("started"):
                    pending_init += 1
                running += 1
            elif "terminated" in state or last:
                pass  # a stopped sidecar does not count for the phase
            elif "waiting" in state:
                pending_init += 1
                waiting += 1
            continue
        if s is None or "running" in state:
            pending_init += 1
        elif "terminated" in state:
            failed_init += state["terminated"].get("exitCode", 0) != 0
        elif last:
            failed_init += last.get("exitCode", 0) != 0
        else:
            pending_init += 1
    for c in spec.get("containers") or ():
        s = by_name.get(c.get("name"))
        state = (s or {}).get("state") or {}
        if s is None:
            unknown += 1
        elif "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode", 0) == 0
        elif (s.get("lastState") or {}).get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if failed_init and policy == "Never":
        return "Failed"
    if (pending_init and not any_regular_started(pod, by_name)) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if terminal and not _is_static(pod):
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def any_regular_started(pod: dict, statuses: dict[str, dict]) -> bool:
    """pkg/kubelet/container/helpers.go HasAnyRegularContainerStarted: running or terminated."""
    return any({"running", "terminated"} & set((statuses.get(c.get("name")) or {}).get("state") or {})
               for c in (pod.get("spec") or {}).get("containers") or ())


def _is_static(pod: dict) -> bool:
    return ((pod.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/config.source") == "file"


def _names(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"   # Go's %s of a []string


def _containers_ready(pod: dict, statuses: dict[str, dict], phase: str) -> tuple[str, str | None, str | None]:
    spec = pod.get("spec") or {}
    if phase == "Succeeded":
        return "False", POD_COMPLETED, None
    if phase == "Failed":
        return "False", POD_FAILED, None
    unknown, unready = [], []
    wanted = [c for c in spec.get("initContainers") or () if is_sidecar(c)] + list(spec.get("containers") or ())
    for c in wanted:
        s = statuses.get(c.get("name"))
        if s is None:
            unknown.append(c["name"])
        elif not s.get("ready"):
            unready.append(c["name"])
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        msgs.append(f"containers with unready status: {_names(unready)}")
    if msgs:
        return "False", CONTAINERS_NOT_READY, ", ".join(msgs)
    return "True", None, None


def _initialized(pod: dict, statuses: dict[str, dict], phase: str) -> tuple[str, str | None, str | None]:
    spec = pod.get("spec") or {}
    unknown, incomplete = [], []
    for c in spec.get("initContainers") or ():
        s = statuses.get(c.get("name"))
        if s is None:
            unknown.append(c["name"])
        elif not (s.get("started") if is_sidecar(c) else s.get("ready")):
            incomplete.append(c["name"])
    if phase == "Succeeded" and not unknown:
        return "True", POD_COMPLETED, None
    if any_regular_started(pod, statuses):
        return "True", None, None
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        msgs.append(f"containers with incomplete status: {_names(incomplete)}")
    if msgs:
        return "False", CONTAINERS_NOT_INITIALIZED, ", ".join(msgs)
    return "True", None, None


def _cond(ctype: str, status: str, now: float, previous: dict[str, dict],
          reason: str | None = None, message: str | None = None) -> dict:
    old = previous.get(ctype)
    transition = old.get("lastTransitionTime") if old and old.get("status") == status and \
        old.get("lastTransitionTime") else rfc3339(now)
    c: dict[str, Any] = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": transition}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def build_status(pod: dict, records: list[ContainerRecord], *, now: float, host_ip: str,
                 pod_ip: str | None, sandbox_ready: bool, start_time: float, terminal: bool = False,
                 reported: list[dict] | None = None, init_records: list[ContainerRecord] | None = None,
                 reason: str | None = None, message: str | None = None,
                 extra_conditions: list[dict] | None = None) -> dict:
    """generateAPIPodStatus. ``reported``: the conditions this kubelet last wrote (newer than the
    pod it was given); ``reason``/``message``: set by an eviction (phase then ``Failed``);
    ``extra_conditions``: conditions added once by the kubelet (``DisruptionTarget``)."""
    old = pod.get("status") or {}
    previous = {c.get("type"): c for c in old.get("conditions") or ()}
    previous.update({c.get("type"): c for c in reported or () if c.get("type") != "PodScheduled"})
    init_statuses = [r.status() for r in init_records or ()]
    statuses = sorted((r.status() for r in records), key=lambda s: s["name"])
    phase = get_phase(pod, statuses + init_statuses, terminal)
    old_phase = old.get("phase")
    if old_phase in ("Succeeded", "Failed"):
        phase = old_phase   # pods are not allowed to transition out of terminal phases
    if reason:
        phase = "Failed"
    by_name = {s["name"]: s for s in statuses + init_statuses}
    kept = [c for c in old.get("conditions") or () if c.get("type") not in KUBELET_CONDITIONS]
    kept_types = {c.get("type") for c in kept}
    for c in extra_conditions or ():
        if c.get("type") not in kept_types:
            kept.append(c)
    cr = _containers_ready(pod, by_name, phase)
    ready = cr
    if cr[0] == "True":
        msgs = []
        conds = {c.get("type"): c for c in kept}
        for gate in (pod.get("spec") or {}).get("readinessGates") or ():
            t = gate.get("conditionType")
            if t not in conds:
                msgs.append(f'corresponding condition of pod readiness gate "{t}" does not exist.')
            elif conds[t].get("status") != "True":
                msgs.append(f'the status of pod readiness gate "{t}" is not "True", but {conds[t].get("status")}')
        if msgs:
            ready = ("False", READINESS_GATES_NOT_READY, ", ".join(msgs))
    init = _initialized(pod, by_name, phase)
    conditions = kept + [
        _cond("PodReadyToStartContainers", "True" if sandbox_ready else "False", now, previous),
        _cond("Initialized", init[0], now, previous, init[1], init[2]),
        _cond("Ready", ready[0], now, previous, ready[1], ready[2]),
        _cond("ContainersReady", cr[0], now, previous, cr[1], cr[2]),
        _cond("PodScheduled", "True", now, previous),
    ]
    status: dict[str, Any] = {"phase": phase, "conditions": conditions}
    if reason:
        status["reason"], status["message"] = reason, message or ""
    elif phase == old_phase and old.get("reason"):
        status["reason"] = old["reason"]
        if old.get("message"):
            status["message"] = old["message"]
    status["hostIP"] = host_ip
    status["hostIPs"] = [{"ip": host_ip}]
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    status["startTime"] = rfc3339(start_time)
    if init_records:
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = statuses
    status["qosClass"] = qos_class(pod)
    return status
