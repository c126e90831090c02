"""The kubelet's ``exec`` probe: run a command in the container through the CRI ``ExecSync``.

``exec_probe(runtime, container_id, probe, container, done)`` calls
``runtime.exec_sync(container_id, cmd, timeout, cb)`` and, when the runtime calls back, calls
``done(result, output, error)`` with upstream's meaning (``pkg/probe/exec/exec.go`` ``Probe``):

- exit code 0 -> ``success``; any other -> ``failure``; the output is stdout followed by stderr
  (``kuberuntime_container.go`` ``RunInContainer`` appends them), cut at 10 KiB
  (``maxReadLength``) — byte for byte, trailing newline included;
- a timeout (``timeoutSeconds``; ``remote_runtime.go`` ``ExecSync`` turns gRPC
  ``DeadlineExceeded`` into a ``TimeoutError``) -> ``failure`` with output
  ``command "<cmd joined by spaces>" timed out`` (feature ``ExecProbeTimeout``, GA);
- any other runtime error (the container is gone) -> ``unknown`` with the error text, which
  the prober reports as ``... probe errored and resulted in unknown state: <error>``.

The runtime contract (:mod:`k8score.cri.exec`): ``exec_sync(id, cmd, timeout, cb,
on_error=fn)``; ``cb(stdout, stderr, exit_code)`` when the command exits; ``on_error(CRIError)``
when the runtime fails the call — ``code == "DeadlineExceeded"`` is the timeout, anything
else (no such container, executable not found) is an error: ``rpc error: code = ... desc = ...``.
A runtime without ``on_error`` may signal a timeout with ``exit_code=None``; raising from
``exec_sync`` is an error too.
The command gets ``$(VAR)`` expanded from the container's literal env values first
(:func:`.probe_spec.expand_command`).
"""

from __future__ import annotations

from typing import Any, Callable

from ..cri.errors import CRIError
from . import probe_spec as ps

#: pkg/probe/exec/exec.go maxReadLength = 10 * 1 << 10
MAX_READ_LENGTH = 10 * 1024

Done = Callable[[str, str, "str | None"], None]


def exec_probe(runtime: Any, container_id: str, probe: dict, container: dict, done: Done) -> None:
    """Start one exec probe; ``done(result, output, error)`` is called exactly once."""
    cmd = ps.expand_command((probe.get("exec") or {}).get("command") or [], container)
    timeout = float(probe.get("timeoutSeconds") or ps.DEFAULT_TIMEOUT_SECONDS)
    finished = {"v": False}

    def cb(stdout: Any = "", stderr: Any = "", exit_code: Any = None, err: Any = None) -> None:
        if finished["v"]:
            return  # a runtime that answers twice (late output after a timeout) is ignored
        finished["v"] = True
        if err is not None and not (isinstance(err, CRIError) and err.code == "DeadlineExceeded"):
            done(ps.UNKNOWN, "", str(err))
            return
        if err is not None or exit_code is None:
            done(ps.FAILURE, f'command "{" ".join(cmd)}" timed out', None)
            return
        output = _limit(_text(stdout) + _text(stderr))
        done(ps.SUCCESS if int(exit_code) == 0 else ps.FAILURE, output, None)

    try:
        runtime.exec_sync(container_id, cmd, timeout, cb, on_error=lambda e: cb(err=e))
    except Exception as exc:  # noqa: BLE001 - the runtime refused (no such container): unknown
        cb(err=str(exc))


def _text(data: Any) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return str(data)


def _limit(text: str) -> str:
    data = text.encode()
    if len(data) <= MAX_READ_LENGTH:
        return text
    return data[:MAX_READ_LENGTH].decode(errors="ignore")


__all__ = ["exec_probe", "MAX_READ_LENGTH"]
