"""Pod workers: one per pod, syncing it toward its spec (pkg/kubelet/pod_workers.go,
kuberuntime_manager.go ``computePodActions`` + ``SyncPod``).

One worker per pod, one CRI operation in flight at a time; whenever an operation finishes, a
container exits (PLEG) or the pod changes, the worker syncs again and decides the next step
from what exists (level-triggered):

1. volumes set up on the node (:mod:`.volumes`; ``FailedMount`` until they can be);
2. no sandbox yet -> ``RunPodSandbox`` with the pod's DNS config and log directory (waits until
   the node has a pod CIDR: the CNI needs it to give the pod an IP);
3. init containers in order: each must exit 0 before the next starts; a failing one is
   restarted per policy (with the container backoff) or, under ``restartPolicy: Never``, fails
   the pod. A sidecar (``restartPolicy: Always``) is started and the next one follows once it
   has *started* (startup probe passed); it keeps running and is restarted whenever it exits;
4. regular containers: start those never started; an exited one is restarted when
   :func:`.restart.should_restart` says so — immediately the first time, then after the
   CrashLoopBackOff delay (10 s doubling to 300 s); otherwise it stays terminated;
5. all regular containers exited for good (``Never``/``OnFailure``): the pod is terminal —
   sidecars and the sandbox are stopped and the phase becomes ``Succeeded`` or ``Failed``;
6. report the pod's status (:mod:`.podstatus`) through ``pods/status`` whenever it changed.

Starting things is :mod:`.startup`; deletion and kills :mod:`.termination`; image pulls
:mod:`.imagepull`.
"""

from __future__ import annotations

from typing import Any

from ..client.errors import ApiError
from . import restart
from .imagepull import ImagePullMixin, SerialPuller, go_duration
from .podstatus import ContainerRecord, build_status, is_sidecar
from .startup import StartMixin
from .termination import DEFAULT_GRACE, STATUS_RETRY, TerminationMixin

# pkg/kubelet/kubelet.go: backOffPeriod — a pod whose sync failed is tried again after it
WORKER_BACKOFF_PERIOD = 10.0


class PodState:
    """Everything the kubelet tracks for one pod."""

    def __init__(self, pod: dict, now: float):
        meta = pod["metadata"]
        self.key = f"{meta['namespace']}/{meta['name']}"
        self.uid = meta.get("uid")
        self.start_time = now
        self.sandbox_id: str | None = None
        self.pod_ip: str | None = None
        self.containers: dict[str, ContainerRecord] = {}
        self.inits: dict[str, ContainerRecord] = {}
        self.volume_paths: dict[str, str] | None = None
        self.busy = False
        self.killing = False
        self.killed = False
        self.deleted = False
        self.terminal = False          # Succeeded/Failed: nothing runs again
        self.evicted: tuple[str, str] | None = None   # (reason, message) once evicted
        self.extra_conditions: list[dict] = []
        self.last_status: dict | None = None
        self.written_rv = 0  # resourceVersion of our last status write

    def records(self, pod: dict) -> list[ContainerRecord]:
        spec = pod.get("spec") or {}
        waiting = "PodInitializing" if spec.get("initContainers") else "ContainerCreating"
        out = []
        for c in spec.get("containers") or ():
            rec = self.containers.get(c["name"])
            if rec is None:
                rec = self.containers[c["name"]] = ContainerRecord(c["name"], c.get("image", ""),
                                                                   waiting_reason=waiting)
            out.append(rec)
        return out

    def init_records(self, pod: dict) -> list[ContainerRecord]:
        out = []
        for c in (pod.get("spec") or {}).get("initContainers") or ():
            rec = self.inits.get(c["name"])
            if rec is None:
                # convertToAPIContainerStatuses: with init containers every status starts PodInitializing
                rec = self.inits[c["name"]] = ContainerRecord(c["name"], c.get("image", ""), init=True,
                                                              sidecar=is_sidecar(c), waiting_reason="PodInitializing")
            out.append(rec)
        return out

    def all_records(self) -> list[ContainerRecord]:
        return list(self.inits.values()) + list(self.containers.values())

    def record_by_id(self, container_id: str) -> ContainerRecord | None:
        return next((r for r in self.all_records() if r.container_id == container_id), None)


class PodWorkers(ImagePullMixin, StartMixin, TerminationMixin):
    def __init__(self, kubelet: Any):
        self.kubelet = kubelet
        self.loop = kubelet.loop
        self.runtime = kubelet.runtime
        self.states: dict[str, PodState] = {}
        self.puller = SerialPuller(self.runtime)
        self._scheduled: dict[str, None] = {}
        self._delayed: dict[str, float] = {}    # key -> when its delayed sync fires

    # -- scheduling ---------------------------------------------------------------
    def update(self, key: str, delay: float = 0.0) -> None:
        """Ask for a sync of pod ``key`` (coalesced while one is pending)."""
        if not self.kubelet.running:
            return   # a stopped kubelet syncs nothing; start() resyncs every pod
        if delay > 0:
            # one pending delayed sync per pod: the earliest asked for (a sync recomputes
            # whatever later wake-up it still needs)
            due = self.loop.now + delay
            pending = self._delayed.get(key)
            if pending is not None and self.loop.now < pending <= due + 1e-9:
                return
            self._delayed[key] = due
            self.kubelet.call_later(delay, self._wake, key, due)
            return
        if key in self._scheduled:
            return
        self._scheduled[key] = None
        self.kubelet.call_soon(self._run, key)

    def _wake(self, key: str, due: float) -> None:
        if self._delayed.get(key) == due:
            del self._delayed[key]
            self.update(key)

    def forget_scheduled(self) -> None:
        self._scheduled.clear()
        self._delayed.clear()

    def orphans(self) -> list[str]:
        """Pods with local state that no source (API server, static manifests) has any more."""
        return [key for key in self.states if self.kubelet.pod(key) is None]

    def _run(self, key: str) -> None:
        self._scheduled.pop(key, None)
        try:
            self._sync(key)
        except Exception as exc:  # noqa: BLE001 - one pod the kubelet cannot run must not stop the rest
            self._sync_failed(key, exc)

    def _sync_failed(self, key: str, exc: Exception) -> None:
        """pkg/kubelet/pod_workers.go: "Error syncing pod, skipping" — log, a ``FailedSync``
        Event on the pod, and another try after ``backOffPeriod`` (10 s; upstream jitters it)."""
        self.kubelet.errors.handle(f"Error syncing pod, skipping pod={key}", exc)
        st = self.states.get(key)
        if st is not None:
            st.busy = False
        pod = self.kubelet.pod(key)
        if pod is not None:
            try:
                self._event(pod, "Warning", "FailedSync", f"error determining status: {exc}")
            except Exception as again:  # noqa: BLE001 - the pod is too broken even for an Event
                self.kubelet.errors.handle(f"cannot record FailedSync for pod {key}", again)
        self.update(key, delay=WORKER_BACKOFF_PERIOD)

    def _event(self, pod: dict, etype: str, reason: str, message: str, container: str | None = None,
               init: bool = False) -> None:
        if self.kubelet.running:
            field = "spec.initContainers" if init else "spec.containers"
            self.kubelet.recorder.event(pod, etype, reason, message,
                                        field_path=f"{field}{{{container}}}" if container else None)

    # -- PLEG ------------------------------------------------------------------------
    def container_exited(self, container_id: str, status: dict | None) -> None:
        """A container stopped (the runtime's CONTAINER_STOPPED_EVENT): record how, then sync."""
        for st in self.states.values():
            rec = st.record_by_id(container_id)
            if rec is None:
                continue
            if rec.state == "running" or (rec.state == "waiting" and rec.started_at is not None):
                self._record_exit(rec, status or {})
                self.kubelet.prober.container_stopped(st.uid, rec.name)
                if not rec.killing:
                    self.update(st.key)   # a kill in progress syncs when StopContainer returns
            return

    def _record_exit(self, rec: ContainerRecord, cs: dict) -> None:
        rec.state, rec.finished_at = "terminated", self.loop.now
        rec.exit_code = int(cs.get("exitCode") or 0)
        rec.reason = cs.get("reason") or ("Completed" if rec.exit_code == 0 else "Error")
        rec.message = cs.get("message") or ""
        rec.ready = rec.started = False
        rec.approved = False

    # -- the sync -------------------------------------------------------------------
    def _sync(self, key: str) -> None:
        pod = self.kubelet.pod(key)
        st = self.states.get(key)
        if pod is None:
            if st is not None:
                self._teardown(st)
                del self.states[key]
            return
        if st is not None and st.uid != pod["metadata"].get("uid"):
            self._teardown(st)  # same name, new pod
            st = None
            del self.states[key]
        if st is not None and st.busy:
            return  # the operation in flight will sync again when it completes
        if pod["metadata"].get("deletionTimestamp") or (st is not None and st.evicted):
            self._terminate(pod, st)
            return
        if st is None:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                return  # finished before this kubelet (re)started: nothing to run
            st = self.states[key] = PodState(pod, self.loop.now)
            self.kubelet.prober.add_pod(pod)
        inits, records = st.init_records(pod), st.records(pod)
        if st.terminal:
            self._write_status(pod, st)
            return
        if st.volume_paths is None and not self._setup_volumes(pod, st):
            self._write_status(pod, st)
            return
        if st.sandbox_id is None:
            if self.kubelet.network_ready():
                self._run_sandbox(pod, st)
            self._write_status(pod, st)
            return
        self._refresh_probes(pod, st)
        spec = pod["spec"]
        if self._sync_inits(pod, st, spec.get("initContainers") or [], inits):
            for c, rec in zip(spec["containers"], records):
                if st.busy:
                    break
                self._sync_container(pod, st, c, rec, init=False)
            if not st.busy and self._all_done(pod, st, records):
                self._become_terminal(pod, st)
        self._write_status(pod, st)

    def _sync_inits(self, pod: dict, st: PodState, specs: list[dict], inits: list[ContainerRecord]) -> bool:
        """Step 3; True once every init container is done (sidecars: started)."""
        policy = pod["spec"].get("restartPolicy") or "Always"
        for c, rec in zip(specs, inits):
            if st.busy:
                return False
            if rec.sidecar:
                if rec.state == "running":
                    if rec.started:
                        continue
                    return False
                self._sync_container(pod, st, c, rec, init=True)
                return False
            if rec.state == "terminated" and rec.exit_code == 0:
                continue
            if rec.state == "running":
                return False
            if rec.state == "terminated" and policy == "Never":
                self._become_terminal(pod, st)
                return False
            self._sync_container(pod, st, c, rec, init=True)
            return False
        return True

    def _all_done(self, pod: dict, st: PodState, records: list[ContainerRecord]) -> bool:
        """Step 5: every regular container exited and none will be restarted."""
        return bool(records) and all(
            r.state == "terminated" and not restart.should_restart(pod, c, r.exit_code)
            for c, r in zip(pod["spec"]["containers"], records))

    def _become_terminal(self, pod: dict, st: PodState) -> None:
        st.terminal = True
        self._stop_all(pod, st, reason_message=None, then=lambda: self._terminal_stopped(pod, st))

    def _terminal_stopped(self, pod: dict, st: PodState) -> None:
        if st.sandbox_id and st.sandbox_id in self.runtime.sandboxes:
            self.runtime.stop_pod_sandbox(st.sandbox_id)
        st.killed = True
        self.update(st.key)

    def _sync_container(self, pod: dict, st: PodState, c: dict, rec: ContainerRecord, init: bool) -> None:
        """Start ``c`` if it never ran, or restart it when policy and backoff allow."""
        now = self.loop.now
        if rec.state == "running" or rec.killing:
            return
        if rec.state == "terminated":
            if not restart.should_restart(pod, c, rec.exit_code, init=init):
                return
            key = restart.stable_key(pod, c)
            backoff = self.kubelet.container_backoff
            if rec.approved:
                pass
            elif backoff.in_backoff_since(key, rec.finished_at or now, now):
                delay = backoff.get(key)
                msg = restart.backoff_message(delay, c["name"], pod)
                if rec.backoff is None or rec.backoff[1] != msg:   # once per back-off, not per sync
                    self.kubelet.log("E", "pod_workers.go:1301", "Error syncing pod, skipping",
                                     err=f'failed to "StartContainer" for "{c["name"]}" with CrashLoopBackOff: "{msg}"',
                                     pod=st.key)
                    self._event(pod, "Warning", "BackOff", restart.backoff_event(c["name"], pod), c["name"], init)
                rec.backoff = (restart.CRASH_LOOP_BACK_OFF, msg)
                self.update(st.key, delay=(rec.finished_at or now) + delay - now)
                return
            else:
                backoff.next_since(key, rec.finished_at or now, now)
                rec.approved = True
                rec.image_ready = False   # each attempt checks its image again ("already present")
        elif rec.retry_at is not None and now < rec.retry_at:
            if rec.retry_at != float("inf"):
                self.update(st.key, delay=rec.retry_at - now)
            return
        if not rec.image_ready and not self._ensure_image(pod, st, c, rec, init):
            return
        self._create_and_start(pod, st, c, rec, init)

    def _refresh_probes(self, pod: dict, st: PodState) -> None:
        """ready/started of each running container: the probe manager's results (no probe:
        started once running, ready once started; regular init containers are never ready
        while running and ready once they exit 0)."""
        prober = self.kubelet.prober
        for rec in st.all_records():
            if rec.state != "running":
                rec.started = False
                rec.ready = rec.init and not rec.sidecar and rec.state == "terminated" and rec.exit_code == 0
                continue
            started = prober.is_started(st.uid, rec.name)
            rec.started = bool(started)
            if rec.init and not rec.sidecar:
                rec.ready = False
            else:
                rec.ready = rec.started and prober.is_ready(st.uid, rec.name)

    # -- status ------------------------------------------------------------------------
    def _write_status(self, pod: dict, st: PodState, terminal: bool = False) -> None:
        if not self.kubelet.running:
            return
        self._refresh_probes(pod, st)
        status = build_status(pod, st.records(pod), now=self.loop.now, host_ip=self.kubelet.internal_ip,
                              pod_ip=st.pod_ip, sandbox_ready=st.sandbox_id is not None and not st.killed,
                              start_time=st.start_time, terminal=terminal or st.terminal,
                              reported=(st.last_status or {}).get("conditions"),
                              init_records=st.init_records(pod),
                              reason=st.evicted[0] if st.evicted else None,
                              message=st.evicted[1] if st.evicted else None,
                              extra_conditions=st.extra_conditions)
        target = self.kubelet.status_target(pod)
        if target is None:
            st.last_status = status
            return
        meta = target["metadata"]
        if status == st.last_status:
            # Unchanged for us; rewrite only if someone else changed it since our write
            # (the node lifecycle controller marking the pod not ready), as the status
            # manager's reconcile does.
            seen = target.get("status") or {}
            if int(meta.get("resourceVersion") or 0) <= st.written_rv or \
                    {k: seen.get(k) for k in status} == status:
                return
        try:
            written = self.kubelet.client.patch("pods", meta["name"], {"status": status},
                                                namespace=meta["namespace"], subresource="status")
        except ApiError as err:
            if err.code != 404:
                self.update(st.key, delay=STATUS_RETRY)
            return
        except Exception:  # noqa: BLE001 - the API server is unreachable: pods keep running, retry later
            self.update(st.key, delay=STATUS_RETRY)
            return
        st.last_status = status
        st.written_rv = int(written["metadata"].get("resourceVersion") or 0)

    def resync_all(self) -> None:
        for key in self.kubelet.pod_keys():
            self.update(key)


__all__ = ["PodWorkers", "PodState", "go_duration", "DEFAULT_GRACE"]
