"""The kubelet's pod workers (pkg/kubelet/pod_workers.go + kuberuntime_manager.go ``SyncPod``), simplified.

One worker per pod, one CRI operation in flight at a time; whenever an operation finishes
or the pod changes, the worker syncs again and decides the next step from what exists
(level-triggered, like the rest of Kubernetes):

1. no sandbox yet -> ``RunPodSandbox`` (waits until the node has a pod CIDR: the CNI
   needs it to give the pod an IP);
2. for each container in order: make sure its image is there (``imagePullPolicy``;
   events ``Pulling`` / ``Pulled``, or ``Container image ... already present on machine``;
   a failed pull gives ``ErrImagePull``, then ``ImagePullBackOff`` until the per-image
   backoff (10 s doubling to 300 s) expires), ``CreateContainer`` (event ``Created``),
   ``StartContainer`` (event ``Started``);
3. report the pod's status (phase, conditions, container statuses, IPs) through
   ``pods/status`` whenever it changed;
4. on ``deletionTimestamp``: ``StopContainer`` each running container with the pod's grace
   period (event ``Killing``), remove the sandbox, report the final status and delete the
   pod with grace period 0 so the API server forgets it.

Image pulls are serialized per node (``serializeImagePulls: true``, the default): the
``(… including waiting)`` part of the Pulled message counts the time spent queued behind
other pulls. Probes and container restarts are not modelled yet; they would hook into
:meth:`PodWorkers._sync` between steps 2 and 3.
"""

from __future__ import annotations

from typing import Any, Callable

from ..client.errors import ApiError
from .imagepull import PLEG_RELIST_PERIOD, ImagePullMixin, SerialPuller, go_duration
from .podstatus import ContainerRecord, build_status

#: pkg/kubelet/status/status_manager.go: syncPeriod — retry interval for a failed status write.
STATUS_RETRY = 10.0
#: pkg/apis/core/v1/defaults.go: TerminationGracePeriodSeconds default
DEFAULT_GRACE = 30


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
        self.busy = False
        self.killing = False
        self.killed = False
        self.deleted = False
        self.last_status: dict | None = None
        self.written_rv = 0  # resourceVersion of our last status write

    def records(self, pod: dict) -> list[ContainerRecord]:
        out = []
        for c in (pod.get("spec") or {}).get("containers") or ():
            rec = self.containers.get(c["name"])
            if rec is None:
                rec = self.containers[c["name"]] = ContainerRecord(c["name"], c.get("image", ""))
            out.append(rec)
        return out

# pkg/kubelet/kubelet.go: backOffPeriod — a pod whose sync failed is tried again after it
WORKER_BACKOFF_PERIOD = 10.0


class PodWorkers(ImagePullMixin):
    def __init__(self, kubelet: Any):
        self.kubelet = kubelet
        self.loop = kubelet.loop
        self.runtime = kubelet.runtime
        self.states: dict[str, PodState] = {}
        self.puller = SerialPuller(self.runtime)
        self._scheduled: dict[str, None] = {}

    # -- scheduling ---------------------------------------------------------------
    def update(self, key: str, delay: float = 0.0) -> None:
        """Ask for a sync of pod ``key`` (coalesced while one is pending)."""
        if delay > 0:
            self.kubelet.call_later(delay, self.update, key)
            return
        if key in self._scheduled:
            return
        self._scheduled[key] = None
        self.kubelet.call_soon(self._run, key)

    def forget_scheduled(self) -> None:
        self._scheduled.clear()

    def orphans(self) -> list[str]:
        """Pods with local state that the API server no longer lists."""
        return [key for key in self.states if self.kubelet.pods.get(key) is None]

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
        pod = self.kubelet.pods.get(key) if self.kubelet.pods is not None else None
        if pod is not None:
            try:
                self._event(pod, "Warning", "FailedSync", f"error determining status: {exc}")
            except Exception as again:  # noqa: BLE001 - the pod is too broken even for an Event
                self.kubelet.errors.handle(f"cannot record FailedSync for pod {key}", again)
        self.update(key, delay=WORKER_BACKOFF_PERIOD)

    def _event(self, pod: dict, etype: str, reason: str, message: str, container: str | None = None) -> None:
        if self.kubelet.running:
            self.kubelet.recorder.event(pod, etype, reason, message,
                                        field_path=f"spec.containers{{{container}}}" if container else None)

    # -- the sync -------------------------------------------------------------------
    def _sync(self, key: str) -> None:
        pod = self.kubelet.pods.get(key)
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
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate(pod, st)
            return
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        if st is None:
            st = self.states[key] = PodState(pod, self.loop.now)
        records = st.records(pod)
        if st.sandbox_id is None:
            if self.kubelet.network_ready():
                self._run_sandbox(pod, st)
            self._write_status(pod, st)
            return
        for c, rec in zip(pod["spec"]["containers"], records):
            if rec.state != "waiting":
                continue
            if rec.retry_at is not None and self.loop.now < rec.retry_at:
                continue
            if not rec.image_ready and not self._ensure_image(pod, st, c, rec):
                if st.busy:
                    break  # pulling
                continue   # failed: the other containers still start
            self._create_and_start(pod, st, c, rec)
            break
        self._write_status(pod, st)

    # -- sandbox ----------------------------------------------------------------------
    def _run_sandbox(self, pod: dict, st: PodState) -> None:
        meta = pod["metadata"]
        config = {"metadata": {"name": meta["name"], "uid": meta.get("uid"), "namespace": meta["namespace"],
                               "attempt": 0},
                  "hostname": meta["name"], "labels": dict(meta.get("labels") or {})}
        st.busy = True

        def done(sandbox: dict | None, err: Any) -> None:
            st.busy = False
            if err is not None:
                self._event(pod, "Warning", "FailedCreatePodSandBox",
                            f"Failed to create pod sandbox: {err}")
                self.update(st.key, delay=PLEG_RELIST_PERIOD)
                return
            st.sandbox_id = sandbox["id"]
            st.pod_ip = sandbox["network"]["ip"]
            self.update(st.key)

        self.runtime.run_pod_sandbox(config, done)
    # -- containers ----------------------------------------------------------------------
    def _create_and_start(self, pod: dict, st: PodState, c: dict, rec: ContainerRecord) -> None:
        name = c["name"]
        config = {"metadata": {"name": name, "attempt": rec.restart_count}, "image": {"image": c.get("image")},
                  "command": c.get("command"), "args": c.get("args")}
        st.busy = True

        def started(err: Any) -> None:
            st.busy = False
            if err is not None:
                self._event(pod, "Warning", "Failed", f"Error: {err}", name)
                rec.reason, rec.message = "RunContainerError", str(err)
                rec.retry_at = self.loop.now + 10.0
                self.update(st.key, delay=10.0)
                return
            rec.state, rec.reason, rec.message = "running", "", ""
            rec.started_at = self.loop.now
            self._event(pod, "Normal", "Started", f"Started container {name}", name)
            self.update(st.key)

        def created(cid: str | None, err: Any) -> None:
            if err is not None:
                st.busy = False
                self._event(pod, "Warning", "Failed", f"Error: {err}", name)
                rec.reason, rec.message = "CreateContainerError", str(err)
                rec.retry_at = self.loop.now + 10.0
                self.update(st.key, delay=10.0)
                return
            rec.container_id = cid
            self._event(pod, "Normal", "Created", f"Created container: {name}", name)
            self.runtime.start_container(cid, started)

        self.runtime.create_container(st.sandbox_id, config, created)

    # -- termination ---------------------------------------------------------------------
    def _terminate(self, pod: dict, st: PodState | None) -> None:
        if st is None:
            self._delete_pod(pod)  # never started here: nothing to stop
            return
        if st.killed:
            if not st.deleted:
                self._finish(pod, st)
            return
        if st.killing:
            return
        st.killing = True
        grace = pod["metadata"].get("deletionGracePeriodSeconds")
        grace = DEFAULT_GRACE if grace is None else grace
        running = [r for r in st.containers.values() if r.state == "running" and r.container_id]
        pending = {"n": len(running)}

        def stopped(rec: ContainerRecord) -> Callable[[Any], None]:
            def cb(_err: Any) -> None:
                cs = self.runtime.container_status(rec.container_id) or {}
                rec.state, rec.finished_at = "terminated", self.loop.now
                rec.exit_code, rec.reason = cs.get("exitCode", 0), cs.get("reason") or "Completed"
                pending["n"] -= 1
                if pending["n"] == 0:
                    self._all_stopped(st)
            return cb

        for rec in running:
            self._event(pod, "Normal", "Killing", f"Stopping container {rec.name}", rec.name)
            self.runtime.stop_container(rec.container_id, float(grace), stopped(rec))
        if not running:
            self._all_stopped(st)

    def _all_stopped(self, st: PodState) -> None:
        for rec in st.containers.values():
            if rec.state != "terminated":
                rec.state, rec.finished_at = "terminated", self.loop.now
                rec.reason = rec.reason if rec.started_at else "ContainerStatusUnknown"
                rec.exit_code = rec.exit_code if rec.started_at else 137
        if st.sandbox_id:
            self.runtime.stop_pod_sandbox(st.sandbox_id)
        st.killed = True
        # SyncTerminatedPod (volumes unmounted, final status, API delete) follows on the
        # worker's next pass, about one PLEG relist later.
        self.update(st.key, delay=PLEG_RELIST_PERIOD)

    def _finish(self, pod: dict, st: PodState) -> None:
        self._write_status(pod, st, terminal=True)
        if self._delete_pod(pod):
            st.deleted = True
            if st.sandbox_id:
                for c in self.runtime.list_containers(st.sandbox_id):
                    self.runtime.remove_container(c["id"])
                self.runtime.remove_pod_sandbox(st.sandbox_id)

    def _delete_pod(self, pod: dict) -> bool:
        if not self.kubelet.running:
            return False
        meta = pod["metadata"]
        try:
            self.kubelet.client.delete("pods", meta["name"], namespace=meta["namespace"], grace_period_seconds=0)
        except ApiError as err:
            if err.code == 404:
                return True
            self.update(f"{meta['namespace']}/{meta['name']}", delay=STATUS_RETRY)
            return False
        return True

    def _teardown(self, st: PodState) -> None:
        """The pod is gone from the API: stop whatever still runs, without ceremony."""
        if st.sandbox_id and st.sandbox_id in self.runtime.sandboxes:
            self.runtime.remove_pod_sandbox(st.sandbox_id)

    # -- status ------------------------------------------------------------------------
    def _write_status(self, pod: dict, st: PodState, terminal: bool = False) -> None:
        if not self.kubelet.running:
            return
        status = build_status(pod, st.records(pod), now=self.loop.now, host_ip=self.kubelet.internal_ip,
                              pod_ip=st.pod_ip, sandbox_ready=st.sandbox_id is not None and not st.killed,
                              start_time=st.start_time, terminal=terminal,
                              reported=(st.last_status or {}).get("conditions"))
        meta = pod["metadata"]
        if status == st.last_status:
            # Unchanged for us; rewrite only if someone else changed it since our write
            # (the node lifecycle controller marking the pod not ready), as the status
            # manager's reconcile does.
            seen = pod.get("status") or {}
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
        st.last_status = status
        st.written_rv = int(written["metadata"].get("resourceVersion") or 0)

    def resync_all(self) -> None:
        for pod in self.kubelet.pods.list():
            self.update(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")


__all__ = ["PodWorkers", "PodState", "go_duration"]
