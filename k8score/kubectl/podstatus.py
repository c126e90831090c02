"""The pod row of ``kubectl get pods``: READY, STATUS and RESTARTS as upstream derives them.

STATUS is not ``status.phase``: printers.go ``printPod`` starts from the phase (or
``status.reason``) and lets container states override it — a waiting container's reason
(``ContainerCreating``, ``ErrImagePull``, ``ImagePullBackOff``, ``CrashLoopBackOff``), a
terminated one's (``Completed``, ``Error``, ``OOMKilled``), init progress (``Init:0/1``),
and ``Terminating`` once the pod has a deletionTimestamp.

>>> pod = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "c"}]},
...        "status": {"phase": "Pending", "containerStatuses": [
...            {"name": "c", "ready": False, "restartCount": 0,
...             "state": {"waiting": {"reason": "ContainerCreating"}}}]}}
>>> pod_status(pod)
('0/1', 'ContainerCreating', '0')
"""

from __future__ import annotations

from .timefmt import human_duration, seconds_of, since

#: pkg/util/node: NodeUnreachablePodReason
NODE_UNREACHABLE_REASON = "NodeLost"


def _restartable(container: dict | None) -> bool:
    # podutil.IsRestartableInitContainer: a sidecar (init container with restartPolicy Always)
    return bool(container) and container.get("restartPolicy") == "Always"


def _later(current: float | None, stamp: str | None) -> float | None:
    t = seconds_of(stamp)
    if t is None:
        return current
    return t if current is None or t > current else current


def _condition_true(pod: dict, ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def pod_status(pod: dict, now: float | None = None) -> tuple[str, str, str]:
    """``(READY, STATUS, RESTARTS)`` cells; RESTARTS gets ``(5s ago)`` when ``now`` is given."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    meta = pod.get("metadata") or {}
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or ()}
    total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = restarts = sidecar_restarts = 0
    last_restart: float | None = None
    last_sidecar_restart: float | None = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for c in status.get("conditions") or ():
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += cs.get("restartCount", 0)
        last_term = (cs.get("lastState") or {}).get("terminated")
        if last_term:
            last_restart = _later(last_restart, last_term.get("finishedAt"))
        sidecar = _restartable(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            if last_term:
                last_sidecar_restart = _later(last_sidecar_restart, last_term.get("finishedAt"))
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode', 0)}"
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            last_term = (cs.get("lastState") or {}).get("terminated")
            if last_term:
                last_restart = _later(last_restart, last_term.get("finishedAt"))
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode', 0)}"
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        # a pod whose last container completed but another still runs is not "Completed"
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == NODE_UNREACHABLE_REASON:
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None and now is not None:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return f"{ready}/{total}", reason, restarts_text


def readiness_gates(pod: dict) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return "<none>"
    conds = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or ()}
    true = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
    return f"{true}/{len(gates)}"


def pod_row(pod: dict, now: float, wide: bool) -> list[str]:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    ready, reason, restarts = pod_status(pod, now)
    row = [meta.get("name", ""), ready, reason, restarts, since(meta.get("creationTimestamp"), now)]
    if wide:
        ips = status.get("podIPs") or []
        ip = ips[0].get("ip") if ips else status.get("podIP", "")
        row += [ip or "<none>", (pod.get("spec") or {}).get("nodeName") or "<none>",
                status.get("nominatedNodeName") or "<none>", readiness_gates(pod)]
    return row
