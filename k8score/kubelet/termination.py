"""Stopping containers and pods (kuberuntime_container.go ``killContainer``,
``killContainersWithSyncResult``; kubelet.go ``SyncTerminatingPod``, ``SyncTerminatedPod``).

Killing one container: the ``Killing`` event (``Stopping container web``; a liveness kill says
``Container web failed liveness probe, will be restarted``), then its ``preStop`` hook, then
``StopContainer`` with what is left of the grace period — at least 2 s
(``minimumGracePeriodInSeconds``). The runtime sends the image's stop signal and ``SIGKILL`` when
the time is up (a shell or ``sleep`` as PID 1 ignores ``SIGTERM``: exit 137 after the grace).

The grace period is the pod's ``metadata.deletionGracePeriodSeconds`` when it is being deleted,
else ``spec.terminationGracePeriodSeconds`` (default 30 s); a probe's own
``terminationGracePeriodSeconds`` overrides it for a liveness kill.

Deleting a pod: regular containers are killed in parallel, sidecars after them; then the
sandbox is stopped, the final status (phase ``Succeeded`` when every container exited 0, else
``Failed``) is written and the pod is deleted with grace 0 so the API server forgets it.

A mixin of :class:`~k8score.kubelet.podworkers.PodWorkers`.
"""

from __future__ import annotations

from typing import Any, Callable

from ..client.errors import ApiError
from .hooks import MINIMUM_GRACE_PERIOD, run_handler
from .imagepull import PLEG_RELIST_PERIOD
from .podstatus import ContainerRecord

#: pkg/kubelet/status/status_manager.go: syncPeriod — retry interval for a failed status write.
STATUS_RETRY = 10.0
#: pkg/apis/core/v1/defaults.go: TerminationGracePeriodSeconds default
DEFAULT_GRACE = 30


class TerminationMixin:
    """Needs ``kubelet``, ``loop``, ``runtime``, ``states``, ``update``, ``_event``, ``_log``,
    ``_write_status``, ``_record_exit``."""

    def _grace(self, pod: dict, override: float | None = None) -> float:
        if override is not None:
            return float(override)
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        if meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds") is not None:
            return float(meta["deletionGracePeriodSeconds"])
        grace = spec.get("terminationGracePeriodSeconds")
        return float(DEFAULT_GRACE if grace is None else grace)

    def _spec_of(self, pod: dict, rec: ContainerRecord) -> dict:
        key = "initContainers" if rec.init else "containers"
        return next((c for c in (pod.get("spec") or {}).get(key) or () if c.get("name") == rec.name),
                    {"name": rec.name})

    def kill_container(self, pod: dict, st: Any, rec: ContainerRecord, c: dict | None, message: str,
                       grace: float | None = None, done: Callable[[], Any] | None = None) -> None:
        """killContainer: Killing event, preStop within the grace, then StopContainer."""
        c = c or self._spec_of(pod, rec)
        if rec.container_id is None or rec.state != "running":
            if done is not None:
                self.loop.call_soon(done)
            return
        rec.killing = True
        total = self._grace(pod, grace)
        start = self.loop.now
        cid = rec.container_id
        self._event(pod, "Normal", "Killing", message, rec.name, rec.init)
        self.kubelet.log("I", "kuberuntime_container.go:809", "Killing container with a grace period", pod=st.key,
                         podUID=st.uid, containerName=rec.name, containerID=f"{rec.id_prefix}://{cid}",
                         gracePeriod=total)
        stage = {"stopping": False}

        def stopped(_err: Any = None) -> None:
            if rec.container_id == cid and rec.state == "running":
                cs = self.runtime.container_status(cid) or {}
                self._record_exit(rec, cs if cs.get("state", "CONTAINER_EXITED") == "CONTAINER_EXITED"
                                  else {"exitCode": 137, "reason": "Error"})
            rec.killing = False
            self.kubelet.prober.container_stopped(st.uid, rec.name)
            if done is not None:
                done()
            else:
                self.update(st.key)

        def stop(err: str | None) -> None:
            if stage["stopping"]:
                return   # the hook came back after the grace ran out: it was abandoned
            stage["stopping"] = True
            if err:
                self._event(pod, "Warning", "FailedPreStopHook", err, rec.name, rec.init)
            left = max(total - (self.loop.now - start), MINIMUM_GRACE_PERIOD)
            self.runtime.stop_container(cid, float(left), stopped)

        pre = (c.get("lifecycle") or {}).get("preStop")
        if pre:
            run_handler(self.kubelet, pod, c, cid, pre, st.pod_ip, total, stop)
            self.kubelet.call_later(total, stop, None)   # a hanging hook is abandoned at the grace
        else:
            stop(None)

    def _stop_all(self, pod: dict, st: Any, reason_message: str | None, then: Callable[[], Any],
                  grace: float | None = None) -> None:
        """Kill every running container: regular ones in parallel, then sidecars; then ``then()``."""
        regular = [r for r in st.containers.values() if r.state == "running" and not r.killing]
        sidecars = [r for r in st.inits.values() if r.state == "running" and not r.killing]
        msg = reason_message

        def kill_group(recs: list[ContainerRecord], after: Callable[[], Any]) -> None:
            pending = {"n": len(recs)}
            if not recs:
                after()
                return

            def one_done() -> None:
                pending["n"] -= 1
                if pending["n"] == 0:
                    after()
            for rec in recs:
                self.kill_container(pod, st, rec, None, msg or f"Stopping container {rec.name}", grace, one_done)

        kill_group(regular, lambda: kill_group(list(reversed(sidecars)), then))

    def _terminate(self, pod: dict, st: Any) -> None:
        if st is None:
            self._delete_pod(pod)  # never started here: nothing to stop
            return
        if st.killed:
            if st.evicted and not pod["metadata"].get("deletionTimestamp"):
                self._write_status(pod, st, terminal=True)
                return
            if not st.deleted:
                self._finish(pod, st)
            return
        if st.killing:
            return
        st.killing = True
        self.kubelet.prober.stop_liveness_and_startup(st.uid)
        grace = 0.0 if st.evicted else None   # an evicted pod's containers get the 2 s minimum
        self._stop_all(pod, st, None, lambda: self._all_stopped(st), grace=grace)

    def _all_stopped(self, st: Any) -> None:
        for rec in st.all_records():
            if rec.state == "waiting" and rec.last_terminated is None and not rec.init:
                rec.state, rec.finished_at = "terminated", self.loop.now
                rec.reason, rec.exit_code = "ContainerStatusUnknown", 137
                rec.message = "The container could not be located when the pod was terminated"
        if st.sandbox_id:
            self.runtime.stop_pod_sandbox(st.sandbox_id)
        st.killed = True
        # SyncTerminatedPod (volumes unmounted, final status, API delete) follows on the
        # worker's next pass, about one PLEG relist later.
        self.update(st.key, delay=PLEG_RELIST_PERIOD)

    def _finish(self, pod: dict, st: Any) -> None:
        self._write_status(pod, st, terminal=True)
        if self.kubelet.is_static(pod):
            st.deleted = True   # a static pod has no API object of its own to delete
            self._remove_sandbox(st)
            return
        self.kubelet.csi.teardown(pod)   # PVC volumes unmounted before the pod object goes
        if self._delete_pod(pod):
            st.deleted = True
            self.kubelet.prober.remove_pod(st.uid)
            self._remove_sandbox(st)
            from .volumes import teardown
            teardown(self.kubelet.host.fs, pod)

    def _remove_sandbox(self, st: Any) -> None:
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
        except Exception:  # noqa: BLE001 - the API server is unreachable: try again later
            self.update(f"{meta['namespace']}/{meta['name']}", delay=STATUS_RETRY)
            return False
        return True

    def _teardown(self, st: Any) -> None:
        """The pod is gone from every source: stop whatever still runs, without ceremony."""
        self.kubelet.prober.remove_pod(st.uid)
        self.kubelet.csi.teardown({"metadata": {"uid": st.uid}})
        if st.sandbox_id and st.sandbox_id in self.runtime.sandboxes:
            self.runtime.remove_pod_sandbox(st.sandbox_id)


__all__ = ["TerminationMixin", "DEFAULT_GRACE", "STATUS_RETRY"]
