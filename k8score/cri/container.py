"""One container: its record, its filesystem, environment, memory and the messages about it.

:class:`Container` holds what ``ContainerStatus`` reports (cri-api ``ContainerStatus``:
``id``, ``metadata``, ``state``, ``createdAt``/``startedAt``/``finishedAt`` in nanoseconds,
``exitCode``, ``image``, ``imageRef``, ``imageId``, ``reason``, ``message``, ``labels``,
``annotations``, ``mounts``, ``logPath``, ``resources``, ``stopSignal``) and builds what its
processes see (:meth:`Container.make_proc`):

- the filesystem: the image's files, ``/etc/hostname``, the sandbox's ``/etc/resolv.conf``,
  and each ``config["mounts"]`` entry (``containerPath``, ``hostPath``, ``readonly``)
  bind-mounted from the node's filesystem (``FileSystem.volume_at``), so what one container
  writes into an ``emptyDir`` the other reads, and the kubelet sees it on the host;
- the environment in containerd's order (``internal/cri/server/container_create.go``):
  ``HOSTNAME``, then the image's ``ENV``, then ``config["envs"]`` (``[{key, value}]``;
  a later key replaces an earlier one in place);
- the memory cgroup: ``config["linux"]["resources"]["memoryLimitInBytes"]`` (0: no limit).

Exit reasons are containerd's (``internal/cri/server/container_status.go``
toCRIContainerStatus, ``helpers.go``): ``Completed`` for exit 0, ``Error`` otherwise,
``OOMKilled`` when the cgroup's OOM killer ended it, ``StartError`` (exit 128) when the
runtime could not start the process.
"""

from __future__ import annotations

import random
from typing import Any

from ..container.fs import FileSystem
from ..container.cpu import Cpu, quota_cores
from ..container.process import SIGKILL, SIGNAL_NAMES, Memory, Proc, Process, Stream
from ..sim.clock import EPOCH

#: containerd internal/cri/server/helpers.go: completeExitReason, errorExitReason,
#: oomExitReason; container_start.go: errorStartReason / errorStartExitCode.
COMPLETED, ERROR, OOM_KILLED, START_ERROR, START_ERROR_EXIT_CODE = "Completed", "Error", "OOMKilled", "StartError", 128
_EPOCH_SECONDS = EPOCH.timestamp()


class Container:
    def __init__(self, cid: str, sandbox: Any, config: dict, ref: str, image_id: str, spec: Any,
                 argv: list[str], created: float):
        self.id = cid
        self.sandbox = sandbox
        self.sandbox_id = sandbox.id
        self.config = config
        self.metadata = {"name": (config.get("metadata") or {}).get("name", ""),
                         "attempt": int((config.get("metadata") or {}).get("attempt") or 0)}
        self.ref = ref
        self.image_id = image_id
        self.spec = spec
        self.argv = argv
        self.state = "CONTAINER_CREATED"
        self.created = created
        self.started: float | None = None
        self.finished: float | None = None
        self.exit_code = 0
        self.reason = ""
        self.message = ""
        self.log_path = ""                   # full path on the host
        self.link_path = ""                  # /var/log/containers/... (the legacy link)
        self.log: Any = None                 # LogWriter while running
        self.process: Process | None = None  # PID 1
        self.processes: list[Process] = []   # every process in the container (PID 1, execs, children)
        self.waiters: list[Any] = []         # StopContainer calls waiting for the exit
        self.fs: FileSystem | None = None
        resources = dict((config.get("linux") or {}).get("resources") or {})
        self.resources = resources
        limit = int(resources.get("memoryLimitInBytes") or 0)
        self.memory = Memory(limit or None, base=spec.memory if spec is not None else 0)
        #: the cpu cgroup (container/cpu.py): ``cpuQuota``/``cpuPeriod`` set the limit; the clock
        #: is bound when the first process starts (make_proc)
        self.cpu = Cpu(quota_cores(resources))
        self.stop_signal = self._stop_signal()
        self.env = self._env()

    # -- what the processes see -------------------------------------------------
    def _stop_signal(self) -> int:
        """ContainerConfig.stopSignal (``SIGQUIT``...) if set, else the image's STOPSIGNAL."""
        name = self.config.get("stopSignal")
        by_name = {v: k for k, v in SIGNAL_NAMES.items()}
        if name and name != "RUNTIME_DEFAULT" and name in by_name:
            return by_name[name]
        return self.spec.stop_signal

    def _env(self) -> dict[str, str]:
        env: dict[str, str] = {"HOSTNAME": self.hostname}
        env.update(self.spec.env)
        for kv in self.config.get("envs") or ():
            env[str(kv.get("key"))] = str(kv.get("value", ""))
        return env

    @property
    def hostname(self) -> str:
        sc = self.sandbox.config
        return sc.get("hostname") or (sc.get("metadata") or {}).get("name", "")

    def build_fs(self, host_fs: FileSystem, clock: Any) -> FileSystem:
        fs = FileSystem(dict(self.spec.files), clock=clock)
        fs.write("/etc/hostname", self.hostname + "\n")
        resolv = self.sandbox.resolv
        if resolv is None and host_fs.isfile("/etc/resolv.conf"):
            resolv = host_fs.read("/etc/resolv.conf")   # no dnsConfig: the host's resolv.conf
        if resolv is not None:
            fs.write("/etc/resolv.conf", resolv)
        for m in self.config.get("mounts") or ():
            if host_fs.isfile(m["hostPath"]):   # a single file (hostPath type File/FileOrCreate)
                fs.mount_file(m["containerPath"], host_fs.file_at(m["hostPath"]), bool(m.get("readonly")))
            else:
                fs.mount(m["containerPath"], host_fs.volume_at(m["hostPath"]), bool(m.get("readonly")))
        self.fs = fs
        return fs

    def make_proc(self, argv: list[str], *, clock: Any, rng: random.Random, spawn: Any,
                  stdout: Stream | None = None, stderr: Stream | None = None, stdin: str = "") -> Proc:
        cwd = self.config.get("workingDir") or self.spec.workdir or "/"
        return Proc(argv, env=dict(self.env), fs=self.fs, cwd=cwd, hostname=self.hostname, stdin=stdin,
                    stdout=stdout, stderr=stderr, net=self.sandbox.net, clock=clock, epoch=_EPOCH_SECONDS,
                    rng=rng, memory=self.memory, spawn=spawn, cpu=self._bind_cpu(clock))

    def _bind_cpu(self, clock: Any) -> Cpu:
        self.cpu.bind(clock)    # the first process starts the accounting
        return self.cpu

    # -- exits --------------------------------------------------------------------
    def exited(self, code: int, now: float, oom: bool = False) -> None:
        self.state = "CONTAINER_EXITED"
        self.finished = now
        self.exit_code = code
        self.reason = OOM_KILLED if oom else (COMPLETED if code == 0 else ERROR)
        for p in list(self.processes):      # PID 1 gone: the kernel kills the whole PID namespace
            if p.exit_code is None:
                p.signal(SIGKILL)
        if self.log is not None:
            self.log.close()

    def start_failed(self, message: str, now: float) -> None:
        self.state = "CONTAINER_EXITED"
        self.started = None
        self.finished = now
        self.exit_code = START_ERROR_EXIT_CODE
        self.reason, self.message = START_ERROR, message

    # -- messages -------------------------------------------------------------------
    def status_message(self, rt: Any) -> dict:
        ns = rt._ns                                                  # noqa: SLF001 - the runtime's clock
        running_or_done = self.state != "CONTAINER_CREATED"
        return {"id": self.id, "metadata": dict(self.metadata), "state": self.state,
                "createdAt": ns(self.created),
                "startedAt": ns(self.started) if running_or_done and self.started is not None else 0,
                "finishedAt": ns(self.finished) if self.finished is not None else 0,
                "exitCode": self.exit_code, "image": {"image": self.ref}, "imageRef": rt._image_ref(self.ref),
                "imageId": self.image_id, "reason": self.reason, "message": self.message,
                "labels": dict(self.config.get("labels") or {}),
                "annotations": dict(self.config.get("annotations") or {}),
                "mounts": [dict(m) for m in self.config.get("mounts") or ()], "logPath": self.log_path,
                "resources": {"linux": dict(self.resources)},
                "stopSignal": SIGNAL_NAMES.get(self.stop_signal, "SIGTERM")}

    def list_message(self, rt: Any) -> dict:
        return {"id": self.id, "podSandboxId": self.sandbox_id, "metadata": dict(self.metadata),
                "image": {"image": self.ref}, "imageRef": self.image_id, "imageId": self.image_id,
                "state": self.state, "createdAt": rt._ns(self.created),        # noqa: SLF001
                "labels": dict(self.config.get("labels") or {}),
                "annotations": dict(self.config.get("annotations") or {})}


__all__ = ["Container", "COMPLETED", "ERROR", "OOM_KILLED", "START_ERROR", "START_ERROR_EXIT_CODE"]
