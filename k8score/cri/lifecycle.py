"""Containers in the RuntimeService (cri-api ``CreateContainer``, ``StartContainer``,
``StopContainer``, ``RemoveContainer``, ``ListContainers``, ``ContainerStatus``,
``UpdateContainerResources``, ``ReopenContainerLog``, ``ContainerStats``, ``ListContainerStats``).

Containers really run: ``StartContainer`` starts the image's program for the container's
``argv`` (Docker's ENTRYPOINT/CMD rule, :func:`k8score.container.catalog.container_argv`) as
PID 1 (:class:`k8score.container.process.Process`), with stdout/stderr going to the CRI log
file on the node. When PID 1 exits the container is ``CONTAINER_EXITED`` with its exit code and
reason, and a ``CONTAINER_STOPPED_EVENT`` goes to every :meth:`get_container_events` subscriber.

``StopContainer(id, timeout)`` sends the stop signal (the config's ``stopSignal``, else the
image's STOPSIGNAL — SIGTERM by default), then SIGKILL once ``timeout`` seconds have passed
(``timeout`` 0: SIGKILL at once), and completes when the container has exited
(containerd ``internal/cri/server/container_stop.go``). A shell or ``sleep`` running as PID 1
has no SIGTERM handler, so the kernel drops the signal and only the SIGKILL ends it: exit 137.

An executable the image does not have is where containerd and CRI-O differ: containerd
(runc) fails ``StartContainer`` and records ``StartError`` with exit code 128; CRI-O (crun)
fails ``CreateContainer`` already. A mixin of :class:`~k8score.cri.runtime.RuntimeBase`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..container.catalog import ImageSpec, container_argv
from ..container.process import SIGKILL, Process, Stream
from ..kubelet import images as img
from . import logs, programs
from .container import Container
from .errors import CRIError

#: Simulated timings (virtual seconds): runc create, start, and the shim's kill round trip.
CREATE_SECONDS = 0.05
START_SECONDS = 0.08
STOP_SECONDS = 0.12


class LifecycleMixin:
    # -- create ---------------------------------------------------------------------
    def create_container(self, sandbox_id: str, config: dict,
                         callback: Callable[[str | None, CRIError | None], Any],
                         sandbox_config: dict | None = None) -> None:
        """CreateContainer; ``callback(container_id, None)`` or ``callback(None, error)``.

        ``config`` is a ``ContainerConfig``: ``metadata`` (name, attempt), ``image`` ({image}),
        ``command``, ``args``, ``workingDir``, ``envs`` ([{key, value}]), ``mounts``
        ([{containerPath, hostPath, readonly}]), ``labels``, ``annotations``, ``logPath``
        (relative to the sandbox's ``logDirectory``), ``linux.resources.memoryLimitInBytes``,
        ``stopSignal``.
        """
        name = (config.get("metadata") or {}).get("name")
        self._log("CreateContainer", name or "")
        sandbox = self.sandboxes.get(sandbox_id)
        if sandbox is None:
            self._later(CREATE_SECONDS, callback, None, CRIError("NotFound", f"sandbox {sandbox_id} not found"))
            return
        found = self._find_image((config.get("image") or {}).get("image", ""))
        if found is None:
            ref = img.normalize((config.get("image") or {}).get("image", "") or "")
            self._later(CREATE_SECONDS, callback, None,
                        CRIError("NotFound", f'failed to get image "{ref}": not found'))
            return
        ref, entry = found
        cid = self._new_id()
        spec = self._specs.get(ref) or programs.image_spec(ref) or ImageSpec(ref=ref)
        argv = container_argv(spec, config.get("command"), config.get("args"))
        c = Container(cid, sandbox, dict(config), ref, entry["id"], spec, argv, self.loop.now)
        err = self._check_create(c)
        if err is not None:
            self._later(CREATE_SECONDS, callback, None, err)
            return
        self.containers[cid] = c
        self._emit(cid, sandbox_id, "CONTAINER_CREATED_EVENT")
        self._later(CREATE_SECONDS, callback, cid, None)

    def _check_create(self, c: Container) -> CRIError | None:
        if not c.argv:
            # containerd container_create.go: buildContainerSpec "no command specified"
            return CRIError("Unknown", f'failed to generate container "{c.id}" spec: no command specified')
        if self.EXEC_CHECK_AT_CREATE and programs.program(c.spec, c.argv, c.env, self.host) is None:
            return CRIError("Unknown", self._exec_not_found(c.argv[0]))
        return None

    # -- start ----------------------------------------------------------------------
    def start_container(self, container_id: str, callback: Callable[[CRIError | None], Any]) -> None:
        """StartContainer; ``callback(None)`` once PID 1 runs, ``callback(error)`` if it cannot."""
        self._log("StartContainer", container_id[:13])
        c = self.containers.get(container_id)
        if c is None:
            self._later(START_SECONDS, callback, CRIError("NotFound", f"container {container_id} not found"))
            return
        if c.state != "CONTAINER_CREATED":
            self._later(START_SECONDS, callback, CRIError(
                "Unknown", f'failed to set starting state for container "{c.id}": container is in '
                           f'{c.state} state'))
            return
        self._later(START_SECONDS * self.rng.uniform(0.8, 1.2), self._started, c, callback)

    def _started(self, c: Container, callback: Callable[..., Any]) -> None:
        if c.id not in self.containers or c.state != "CONTAINER_CREATED":
            callback(CRIError("NotFound", f"container {c.id} not found"))
            return
        if c.sandbox.state != "SANDBOX_READY":
            callback(CRIError("Unknown", f'sandbox container "{c.sandbox_id}" is not running'))
            return
        program = programs.program(c.spec, c.argv, c.env, self.host)
        if program is None:
            msg = self._exec_not_found(c.argv[0])
            c.start_failed(msg, self.loop.now)
            callback(CRIError("Unknown", msg))
            return
        self._open_log(c)
        c.build_fs(self.host.fs, lambda: self.loop.now)
        proc = c.make_proc(list(c.argv), clock=lambda: self.loop.now, rng=self._proc_rng(), spawn=self._spawner(c),
                           stdout=Stream(c.log.sink("stdout"), keep=False),
                           stderr=Stream(c.log.sink("stderr"), keep=False))
        p = Process(self.loop, program, proc, pid1=True, owner=self._owner)
        c.process = p
        c.processes.append(p)
        c.state, c.started = "CONTAINER_RUNNING", self.loop.now
        p.on_exit(lambda proc_: self._pid1_exited(c, proc_))
        self._emit(c.id, c.sandbox_id, "CONTAINER_STARTED_EVENT")
        callback(None)
        if c.state == "CONTAINER_RUNNING":
            p.start()
            if c.memory.limit is not None and c.memory.usage > c.memory.limit and p.exit_code is None:
                p.oom_killed = True          # the image alone does not fit in the limit
                p.signal(SIGKILL)

    def _open_log(self, c: Container) -> None:
        sb = c.sandbox
        meta = sb.metadata
        log_dir = sb.config.get("logDirectory") or logs.pod_logs_directory(
            meta.get("namespace", ""), meta.get("name", ""), meta.get("uid", ""))
        rel = c.config.get("logPath") or logs.container_log_path(c.metadata["name"], c.metadata["attempt"])
        c.log_path = f"{log_dir.rstrip('/')}/{rel}"
        c.log = logs.LogWriter(self.host.fs, c.log_path, lambda: self.loop.now, self.log_timestamp)
        # kuberuntime_container.go startContainer: the legacy /var/log/containers link
        c.link_path = logs.legacy_log_symlink(c.id, c.metadata["name"], meta.get("name", ""),
                                              meta.get("namespace", ""))
        logs.hard_link(self.host.fs, c.log_path, c.link_path)

    def _spawner(self, c: Container) -> Callable[..., Process | None]:
        """``proc.spawn(argv, proc)``: run another program of the same image in the container.

        ``proc`` is the parent's :class:`Proc` (the child inherits its env, cwd and streams) or
        a Proc already made for the child (``proc.argv == argv``). Returns the started
        :class:`Process`, or ``None`` when the image has no such executable.
        """
        def spawn(argv: list[str], proc: Any) -> Process | None:
            program = programs.program(c.spec, list(argv), proc.env, self.host)
            if program is None:
                return None
            child = proc if list(proc.argv) == list(argv) else proc.child(list(argv))
            p = Process(self.loop, program, child, owner=self._owner)
            c.processes.append(p)
            p.on_exit(lambda done: c.processes.remove(done) if done in c.processes else None)
            return p.start()
        return spawn

    def _pid1_exited(self, c: Container, p: Process) -> None:
        c.exited(p.exit_code or 0, self.loop.now, oom=p.oom_killed)
        for fn in list(c.waiters):
            fn()
        c.waiters.clear()
        self._emit(c.id, c.sandbox_id, "CONTAINER_STOPPED_EVENT")

    # -- stop / remove ----------------------------------------------------------------
    def stop_container(self, container_id: str, timeout: float,
                       callback: Callable[[CRIError | None], Any] | None = None) -> None:
        """StopContainer: stop signal, SIGKILL after ``timeout`` s; ``callback(None)`` once exited."""
        self._log("StopContainer", f"{container_id[:13]} timeout={timeout:g}")
        c = self.containers.get(container_id)
        if c is None or c.state != "CONTAINER_RUNNING" or c.process is None:
            if callback is not None:
                self._later(0.0, callback, None)
            return
        if callback is not None:
            c.waiters.append(lambda: self._later(0.0, callback, None))
        delay = STOP_SECONDS * self.rng.uniform(0.8, 1.2)
        p = c.process
        if timeout > 0:
            self._later(min(delay, timeout), p.signal, c.stop_signal)
            self._later(timeout, p.signal, SIGKILL)       # no-op if it already exited
        else:
            self._later(0.0, p.signal, SIGKILL)

    def remove_container(self, container_id: str) -> None:
        """RemoveContainer: kill it if it still runs, drop its log file and link; idempotent."""
        self._log("RemoveContainer", container_id[:13])
        self._remove(container_id)

    def _remove(self, container_id: str) -> None:
        c = self.containers.pop(container_id, None)
        if c is None:
            return
        if c.process is not None and c.process.exit_code is None:
            c.process.signal(SIGKILL)
        # kubelet removeContainerLog: the log file and the legacy link go with the container
        for path in (c.log_path, c.link_path):
            if path and self.host.fs.isfile(path):
                self.host.fs.remove(path)
        self._emit(container_id, c.sandbox_id, "CONTAINER_DELETED_EVENT")

    # -- queries ----------------------------------------------------------------------
    def _sorted(self, cs: Iterable[Container]) -> list[Container]:
        return sorted(cs, key=lambda c: (c.created, c.id))

    def list_containers(self, filter: dict | str | None = None) -> list[dict]:   # noqa: A002 - the proto's name
        """ListContainers; ``filter``: ``id`` (prefix), ``state`` ({state}), ``podSandboxId``,
        ``labelSelector`` — or a sandbox ID string (the older call)."""
        self._log("ListContainers")
        f = {"podSandboxId": filter} if isinstance(filter, str) else (filter or {})
        out = []
        for c in self._sorted(self.containers.values()):
            if f.get("id") and not c.id.startswith(f["id"]):
                continue
            if f.get("podSandboxId") and c.sandbox_id != f["podSandboxId"]:
                continue
            if (f.get("state") or {}).get("state") not in (None, c.state):
                continue
            labels = c.config.get("labels") or {}
            if any(labels.get(k) != v for k, v in (f.get("labelSelector") or {}).items()):
                continue
            out.append(c.list_message(self))
        return out

    def container_status(self, container_id: str, verbose: bool = False) -> dict | None:
        """ContainerStatus (the ``status`` message), or ``None`` for an unknown container."""
        self._log("ContainerStatus", container_id[:13])
        c = self.containers.get(container_id)
        if c is None:
            return None
        status = c.status_message(self)
        if verbose:
            status["info"] = {"sandboxID": c.sandbox_id, "pid": 1 if c.state == "CONTAINER_RUNNING" else 0,
                              "config": c.config, "argv": list(c.argv)}
        return status

    def update_container_resources(self, container_id: str, linux: dict | None = None) -> None:
        """UpdateContainerResources: a new memory limit applies to the next allocation."""
        self._log("UpdateContainerResources", container_id[:13])
        c = self._need(container_id)
        c.resources.update(linux or {})
        limit = int(c.resources.get("memoryLimitInBytes") or 0)
        c.memory.limit = limit or None
        from ..container.cpu import quota_cores
        c.cpu.set_limit(quota_cores(c.resources))      # a new CFS quota applies from now on

    def reopen_container_log(self, container_id: str) -> None:
        """ReopenContainerLog (after the kubelet rotated the file): later lines go to a new file."""
        self._log("ReopenContainerLog", container_id[:13])
        c = self._need(container_id)
        if c.state != "CONTAINER_RUNNING":
            # containerd internal/cri/server/container_log_reopen.go
            raise CRIError("Unknown", "container is not running")
        if not self.host.fs.exists(c.log_path):
            self.host.fs.write(c.log_path, "")

    def _need(self, container_id: str) -> Container:
        c = self.containers.get(container_id)
        if c is None:
            raise CRIError("NotFound", f'an error occurred when try to find container "{container_id}": not found')
        return c


__all__ = ["LifecycleMixin", "CREATE_SECONDS", "START_SECONDS", "STOP_SECONDS"]
