"""Starting a pod's pieces (kuberuntime_manager.go ``createPodSandbox``; kuberuntime_container.go
``startContainer``, ``generateContainerConfig``): volumes on the node, the sandbox with its DNS
config and log directory, and each container — its CRI config (environment from
:mod:`.envvars`, mounts from :mod:`.volumes`, ``logPath`` ``<name>/<attempt>.log``, the memory
limit), ``CreateContainer``, ``StartContainer`` and the ``postStart`` hook (:mod:`.hooks`).
The previous dead attempt is kept for ``--previous`` logs; older ones are removed (container
GC's ``MaxPerPodContainer = 1``).

A mixin of :class:`~k8score.kubelet.podworkers.PodWorkers`.
"""

from __future__ import annotations

from typing import Any

from ..api.quantity import parse_quantity
from . import volumes, volumes_csi
from ..network.resolvconf import NODE_DNS, pod_dns_config
from .hostsfile import hosts_mount
from .envvars import EnvError, container_env, expand_command
from .hooks import run_handler
from .imagepull import PLEG_RELIST_PERIOD
from .podstatus import ContainerRecord

#: upstream kubelet's pod log root: /var/log/pods/<ns>_<name>_<uid>
POD_LOGS_DIR = "/var/log/pods"
#: how soon a volume that could not be set up is tried again (the volume manager's
#: reconciler backs off from 500 ms; events repeat, aggregated)
VOLUME_RETRY = 2.0
# pkg/kubelet/kubelet.go: backOffPeriod — a container that could not be created is retried after it
RETRY_PERIOD = 10.0


class StartMixin:
    """Needs ``kubelet``, ``loop``, ``runtime``, ``update``, ``_event``, ``_log``, ``_grace``,
    ``_record_exit``, ``kill_container``."""

    # -- volumes and sandbox --------------------------------------------------------
    def _getter(self, pod: dict) -> Any:
        ns = pod["metadata"]["namespace"]
        return lambda kind, name: self.kubelet.get_object(kind, ns, name)

    def _setup_volumes(self, pod: dict, st: Any) -> bool:
        claims = self.kubelet.csi.setup(pod) if volumes_csi.claim_volumes(pod) else {}
        if claims is None:   # WaitForAttachAndMount: poll until attached and mounted
            self.update(st.key, delay=volumes_csi.RETRY_INTERVAL)
            return False
        try:
            st.volume_paths = volumes.setup(self.kubelet.host.fs, pod, self._getter(pod), self.kubelet.internal_ip,
                                            st.pod_ip, self.kubelet.capacity)
        except volumes.VolumeError as err:
            self._event(pod, "Warning", "FailedMount", str(err))
            self.update(st.key, delay=VOLUME_RETRY)
            return False
        st.volume_paths.update(claims)
        return True

    def _dns_config(self, pod: dict) -> dict:
        """dns.go GetPodDNS, recording its DNSConfigForming / MissingClusterDNS events."""
        events: list[tuple[str, str, str]] = []
        cfg = pod_dns_config(pod, host=NODE_DNS, events=events)
        for etype, reason, message in events:
            self._event(pod, etype, reason, message)
        return cfg

    def _run_sandbox(self, pod: dict, st: Any) -> None:
        meta = pod["metadata"]
        spec = pod.get("spec") or {}
        config = {"metadata": {"name": meta["name"], "uid": meta.get("uid"), "namespace": meta["namespace"],
                               "attempt": 0},
                  "hostname": spec.get("hostname") or meta["name"], "labels": dict(meta.get("labels") or {}),
                  "annotations": dict(meta.get("annotations") or {}),
                  "logDirectory": f"{POD_LOGS_DIR}/{meta['namespace']}_{meta['name']}_{meta.get('uid')}",
                  "dnsConfig": self._dns_config(pod)}
        if spec.get("subdomain"):
            config["hostname"] = spec.get("hostname") or meta["name"]
        if spec.get("hostNetwork"):
            # kuberuntime_sandbox.go: the node's network namespace and hostname; no CNI, so the
            # pod does not wait for the pod network (kubeadm's control plane starts before it)
            config["hostname"] = self.kubelet.host.name
            config["linux"] = {"securityContext": {"namespaceOptions": {"network": "NODE"}}}
        st.busy = True

        def done(sandbox: dict | None, err: Any) -> None:
            st.busy = False
            if err is not None:
                self._event(pod, "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {err}")
                self.update(st.key, delay=PLEG_RELIST_PERIOD)
                return
            st.sandbox_id = sandbox["id"]
            st.pod_ip = (sandbox.get("network") or {}).get("ip")
            self.update(st.key)

        self.runtime.run_pod_sandbox(config, done)

    # -- containers ----------------------------------------------------------------------
    def container_config(self, pod: dict, st: Any, c: dict, attempt: int) -> dict:
        """generateContainerConfig (raises :class:`.envvars.EnvError`)."""
        envs = container_env(pod, c, services=self.kubelet.services(), get=self._getter(pod),
                             host_ip=self.kubelet.internal_ip, pod_ip=st.pod_ip, allocatable=self.kubelet.capacity)
        command, args = expand_command(c, envs)
        config: dict[str, Any] = {"metadata": {"name": c["name"], "attempt": attempt},
                                  "image": {"image": c.get("image")}, "command": command, "args": args,
                                  "workingDir": c.get("workingDir") or "", "envs": envs,
                                  "mounts": volumes.mounts(pod, c, st.volume_paths or {}),
                                  "logPath": f"{c['name']}/{attempt}.log",
                                  "stdin": bool(c.get("stdin")), "tty": bool(c.get("tty")),
                                  "labels": {"io.kubernetes.container.name": c["name"],
                                             "io.kubernetes.pod.name": pod["metadata"]["name"],
                                             "io.kubernetes.pod.namespace": pod["metadata"]["namespace"],
                                             "io.kubernetes.pod.uid": pod["metadata"].get("uid", "")}}
        if not any(m.get("containerPath") == "/etc/hosts" for m in config["mounts"]):
            hosts = hosts_mount(self.kubelet.host.fs, pod, st.pod_ip)
            if hosts is not None:
                config["mounts"].append(hosts)
        limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        if limit is not None:
            config["linux"] = {"resources": {"memoryLimitInBytes": int(parse_quantity(str(limit)).value)}}
        cpu_limit = ((c.get("resources") or {}).get("limits") or {}).get("cpu")
        if cpu_limit is not None:
            # kuberuntime_container_linux.go calculateLinuxResources: the CFS quota of the limit
            # (helpers_linux.go MilliCPUToQuota: milliCPU * period / 1000, period 100000 µs)
            from ..container.cpu import CFS_PERIOD_US
            milli = int(parse_quantity(str(cpu_limit)).milli_value())
            res = config.setdefault("linux", {}).setdefault("resources", {})
            res["cpuPeriod"], res["cpuQuota"] = CFS_PERIOD_US, max(1000, milli * CFS_PERIOD_US // 1000)
        return config

    def _create_and_start(self, pod: dict, st: Any, c: dict, rec: ContainerRecord, init: bool) -> None:
        name = c["name"]
        attempt = rec.restart_count + 1 if rec.has_run else rec.restart_count
        try:
            config = self.container_config(pod, st, c, attempt)
        except EnvError as err:
            self._event(pod, "Warning", "Failed", f"Error: {err}", name, init)
            if rec.state != "terminated":
                rec.reason, rec.message = "CreateContainerConfigError", str(err)
            rec.retry_at = self.loop.now + RETRY_PERIOD
            self.update(st.key, delay=RETRY_PERIOD)
            return
        st.busy = True
        old_id = rec.container_id if rec.has_run else None

        def failed(reason: str, err: Any) -> None:
            st.busy = False
            self._event(pod, "Warning", "Failed", f"Error: {err}", name, init)
            rec.reason, rec.message = reason, str(err)
            rec.retry_at = self.loop.now + RETRY_PERIOD
            self.update(st.key, delay=RETRY_PERIOD)

        def started(err: Any) -> None:
            if err is not None:
                # runc could not exec the command: a container that ran and exited 128
                st.busy = False
                self._event(pod, "Warning", "Failed", f"Error: {err}", name, init)
                cs = self.runtime.container_status(rec.container_id) or {}
                rec.started_at = rec.started_at or self.loop.now
                self._record_exit(rec, {"exitCode": cs.get("exitCode") or 128,
                                        "reason": cs.get("reason") or "StartError", "message": str(err)})
                self.update(st.key)
                return
            rec.state, rec.reason, rec.message, rec.backoff, rec.approved = "running", "", "", None, False
            rec.started_at, rec.finished_at, rec.retry_at = self.loop.now, None, None
            rec.exit_code = 0
            self._event(pod, "Normal", "Started", f"Started container {name}", name, init)
            # the bare runtime ID: what the prober hands to ExecSync
            self.kubelet.prober.container_started(st.uid, name, rec.container_id, rec.started_at, pod_ip=st.pod_ip)
            post = (c.get("lifecycle") or {}).get("postStart")
            if post:
                run_handler(self.kubelet, pod, c, rec.container_id, post, st.pod_ip,
                            float(self._grace(pod)), lambda e: self._post_started(pod, st, c, rec, e))
                return
            st.busy = False
            self.update(st.key)

        def created(cid: str | None, err: Any) -> None:
            if err is not None:
                failed("CreateContainerError", err)
                return
            if rec.has_run:
                rec.last_terminated = rec.terminated()
                rec.restart_count += 1
            rec.container_id = cid
            rec.state, rec.started_at = "waiting", None
            rec.id_prefix = self.runtime.NAME
            self._event(pod, "Normal", "Created", f"Created container: {name}", name, init)
            self._gc_dead(st, old_id)
            self.runtime.start_container(cid, started)

        self.runtime.create_container(st.sandbox_id, config, created)

    def _post_started(self, pod: dict, st: Any, c: dict, rec: ContainerRecord, err: str | None) -> None:
        st.busy = False
        if err is not None:
            self.kubelet.log("E", "kuberuntime_container.go:301", "Failed to execute PostStartHook", err=err,
                             pod=st.key, containerName=c["name"])
            self._event(pod, "Warning", "FailedPostStartHook", "PostStartHook failed", c["name"])
            self.kill_container(pod, st, rec, c, "FailedPostStartHook")
        self.update(st.key)

    def _gc_dead(self, st: Any, keep: str | None) -> None:
        """Container GC (MaxPerPodContainer = 1): keep the last dead attempt for ``--previous``."""
        if keep is None:
            return
        for c in self.runtime.list_containers(st.sandbox_id):
            if c["id"] != keep and c["state"] == "CONTAINER_EXITED" and st.record_by_id(c["id"]) is None:
                self.runtime.remove_container(c["id"])


__all__ = ["StartMixin", "POD_LOGS_DIR"]
