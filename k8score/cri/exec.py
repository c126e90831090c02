"""Running commands in a running container (cri-api ``ExecSync``, ``Exec``, ``Attach``).

``exec_sync(id, cmd, timeout, callback)`` runs ``cmd`` next to PID 1 — same filesystem,
environment, network and memory cgroup — and calls ``callback(stdout, stderr, exit_code)``
when it exits. When the runtime itself fails the call, ``on_error(CRIError)`` is called
instead (or, with no ``on_error``, ``callback(stdout, stderr, None)``):

- the command does not exist in the image: containerd's
  ``OCI runtime exec failed: exec failed: unable to start container process: exec: "x":
  executable file not found in $PATH: unknown``;
- ``timeout`` seconds passed (0: no limit): the process is SIGKILLed and the error is
  ``DeadlineExceeded`` with containerd's ``timeout 1s exceeded: context deadline exceeded``
  (``internal/cri/server/container_execsync.go`` execInternal); the kubelet's CRI client
  turns that into ``command "..." timed out`` (k8s.io/cri-client ``remote_runtime.go`` ExecSync);
- the container is not running: ``container is in CONTAINER_EXITED state``.

``exec`` is the streaming variant (``kubectl exec``): it returns ``{"url": ...}`` as the RPC
does and runs the command at once, passing output to ``on_output(stream, text)`` as it
comes. ``attach`` streams PID 1's output (``kubectl attach``) until the container exits.
A mixin of :class:`~k8score.cri.runtime.RuntimeBase`.
"""

from __future__ import annotations

from typing import Any, Callable

from ..container.process import SIGKILL, Process, Stream
from ..kubelet.imagepull import go_duration
from . import programs
from .errors import CRIError


class ExecMixin:
    def exec_sync(self, container_id: str, cmd: list[str], timeout: float,
                  callback: Callable[[str, str, int | None], Any],
                  on_error: Callable[[CRIError], Any] | None = None) -> None:
        """ExecSync (see the module docstring for the error cases)."""
        self._log("ExecSync", f"{container_id[:13]} {' '.join(cmd)}")
        self._run_exec(container_id, list(cmd), timeout, callback, on_error, None, "")

    def exec(self, container_id: str, cmd: list[str], callback: Callable[[str, str, int | None], Any], *,
             stdin: str = "", tty: bool = False, on_output: Callable[[str, str], Any] | None = None,
             on_error: Callable[[CRIError], Any] | None = None) -> dict:
        """Exec: ``{"url": ...}`` of the streaming server; the command runs now (no timeout).

        With ``tty`` stderr is merged into stdout (a terminal has one stream).
        """
        self._log("Exec", f"{container_id[:13]} {' '.join(cmd)}")
        token = f"{self._aux.getrandbits(32):08x}"
        self._run_exec(container_id, list(cmd), 0, callback, on_error, on_output, stdin, tty=tty)
        return {"url": f"http://{self.STREAM_ADDRESS}/exec/{token}"}

    def attach(self, container_id: str, on_output: Callable[[str, str], Any]) -> dict:
        """Attach: stream PID 1's stdout/stderr from now on; ``{"url": ...}`` as the RPC returns."""
        self._log("Attach", container_id[:13])
        c = self._need(container_id)
        if c.state != "CONTAINER_RUNNING" or c.log is None:
            raise CRIError("Unknown", f"container is in {c.state} state")
        c.log.listeners.append(on_output)
        return {"url": f"http://{self.STREAM_ADDRESS}/attach/{self._aux.getrandbits(32):08x}"}

    # -- the exec process -------------------------------------------------------------
    def _run_exec(self, container_id: str, cmd: list[str], timeout: float, callback: Callable[..., Any],
                  on_error: Callable[[CRIError], Any] | None, on_output: Callable[[str, str], Any] | None,
                  stdin: str, tty: bool = False) -> None:
        def fail(err: CRIError, out: str = "", errout: str = "") -> None:
            if on_error is not None:
                self._later(0.0, on_error, err)
            else:
                self._later(0.0, callback, out, errout, None)

        c = self.containers.get(container_id)
        if c is None:
            fail(CRIError("NotFound", f'failed to exec in container: failed to find container "{container_id}" '
                                      f'in store: not found'))
            return
        if c.state != "CONTAINER_RUNNING":
            fail(CRIError("Unknown", f"failed to exec in container: container is in {c.state} state"))
            return
        program = programs.program(c.spec, cmd, c.env, self.host)
        if program is None:
            exec_id = f"{self._aux.getrandbits(256):064x}"
            fail(CRIError("Unknown", self._exec_start_failed(exec_id, cmd[0] if cmd else "")))
            return

        def sink(stream: str) -> Callable[[str], None]:
            return (lambda text: on_output(stream, text)) if on_output is not None else (lambda text: None)

        out = Stream(sink("stdout"))
        err = out if tty else Stream(sink("stderr"))
        proc = c.make_proc(cmd, clock=lambda: self.loop.now, rng=self._proc_rng(), spawn=self._spawner(c),
                           stdout=out, stderr=err, stdin=stdin)
        p = Process(self.loop, program, proc, owner=self._owner)
        c.processes.append(p)
        state = {"timed_out": False}

        def done(proc_: Process) -> None:
            if proc_ in c.processes:
                c.processes.remove(proc_)
            if timer is not None:
                timer.cancel()
            if state["timed_out"]:
                fail(CRIError("DeadlineExceeded", f"failed to exec in container: timeout {go_duration(timeout)} "
                                                  f"exceeded: context deadline exceeded"),
                     out.getvalue(), "" if tty else err.getvalue())
                return
            self._later(0.0, callback, out.getvalue(), "" if tty else err.getvalue(), proc_.exit_code)

        def expire() -> None:
            if p.exit_code is None:
                state["timed_out"] = True
                p.signal(SIGKILL)

        timer = self.loop.call_later(timeout, expire, owner=self._owner) if timeout and timeout > 0 else None
        p.on_exit(done)
        p.start()


__all__ = ["ExecMixin"]
