"""Container lifecycle hooks (pkg/kubelet/lifecycle/handlers.go ``HandlerRunner``;
pkg/kubelet/kuberuntime/kuberuntime_container.go ``startContainer``, ``executePreStopHook``).

:func:`run_handler` runs one ``LifecycleHandler`` of a container and calls ``done(error)``
(``None`` on success, else upstream's message):

- ``exec``: ``ExecSync`` in the container, timed out at the hook's budget; a non-zero exit
  fails with ``Exec lifecycle hook ([cmd]) for Container "c" in Pod "p_ns(uid)" failed -
  error: command 'cmd' exited with 1: , message: "output"``;
- ``httpGet``: from the node to the pod IP (or ``host``) and port; a refused connection or a
  status outside 200-399 fails with ``HTTP lifecycle hook (/path) for Container ... failed - error: ...``;
- ``sleep``: waits ``seconds``.

The kubelet's use: ``postStart`` runs right after ``StartContainer``; on failure the event
``FailedPostStartHook`` (message ``PostStartHook failed`` — upstream withholds the output so
that secrets cannot leak) and the container is killed (``Killing`` with message
``FailedPostStartHook``). ``preStop`` runs before ``StopContainer`` within the grace period;
its time is taken from the grace the runtime gets afterwards (at least 2 s,
``minimumGracePeriodInSeconds``); a failure is the Warning event ``FailedPreStopHook`` with the
handler's message, and termination continues.
"""

from __future__ import annotations

from typing import Any, Callable

from .restart import format_pod

# pkg/kubelet/kuberuntime/kuberuntime_container.go: minimumGracePeriodInSeconds
MINIMUM_GRACE_PERIOD = 2.0


def _port(container: dict, port: Any) -> int:
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for p in container.get("ports") or ():
        if p.get("name") == port:
            return int(p.get("containerPort"))
    return 0


def run_handler(kubelet: Any, pod: dict, container: dict, container_id: str, handler: dict,
                pod_ip: str | None, timeout: float, done: Callable[[str | None], Any]) -> None:
    """Run ``handler`` for ``container``; ``done(None | message)`` once, on the loop."""
    name, who = container.get("name"), format_pod(pod)
    loop, finished = kubelet.loop, {"v": False}

    def finish(err: str | None) -> None:
        if not finished["v"]:
            finished["v"] = True
            done(err)

    if handler.get("exec") is not None:
        cmd = list((handler["exec"] or {}).get("command") or [])
        runtime = kubelet.runtime

        def exec_failed(err: Any) -> None:
            finish(f"Exec lifecycle hook ([{' '.join(cmd)}]) for Container \"{name}\" in Pod \"{who}\" failed - "
                   f"error: {err}, message: \"\"")

        def exec_done(stdout: str, stderr: str, code: int | None) -> None:
            if code == 0:
                finish(None)
                return
            if code is None:
                exec_failed("the runtime could not run the command")
                return
            out = (stdout or "") + (stderr or "")
            finish(f"Exec lifecycle hook ([{' '.join(cmd)}]) for Container \"{name}\" in Pod \"{who}\" failed - "
                   f"error: command '{' '.join(cmd)}' exited with {code}: {stderr or ''}, message: "
                   f"{_go_quote(out)}")

        try:
            try:
                runtime.exec_sync(container_id, cmd, timeout, exec_done, on_error=exec_failed)
            except TypeError:   # a runtime without on_error
                runtime.exec_sync(container_id, cmd, timeout, exec_done)
        except Exception as exc:  # noqa: BLE001 - the container is gone: the hook failed
            loop.call_soon(finish, f"Exec lifecycle hook ([{' '.join(cmd)}]) for Container \"{name}\" in Pod "
                                   f"\"{who}\" failed - error: {exc}, message: \"\"")
        return
    if handler.get("httpGet") is not None:
        get = handler["httpGet"]
        path = get.get("path") or "/"
        host = get.get("host") or pod_ip or ""
        port = _port(container, get.get("port"))
        scheme = str(get.get("scheme") or "HTTP").lower()
        net = kubelet.host.net
        err: str | None = None
        if net is not None:
            try:
                resp = net.http(host, port, path=path, scheme=scheme)
                if not 200 <= resp.status < 400:
                    err = f"HTTP lifecycle hook ({path}) for Container \"{name}\" in Pod \"{who}\" failed - " \
                          f"error: <nil>, message: \"{resp.status} {resp.reason}\""
            except Exception as exc:  # noqa: BLE001 - NetError: refused, timed out
                err = f"HTTP lifecycle hook ({path}) for Container \"{name}\" in Pod \"{who}\" failed - error: " \
                      f"Get \"{scheme}://{host}:{port}{path}\": dial tcp {host}:{port}: connect: {str(exc).lower()}"
        loop.call_soon(finish, err)
        return
    if handler.get("sleep") is not None:
        seconds = float((handler["sleep"] or {}).get("seconds") or 0)
        loop.call_later(min(seconds, max(timeout, 0.0)), finish, None)
        return
    loop.call_soon(finish, "a lifecycle handler must set exec, httpGet or sleep")


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


__all__ = ["run_handler", "MINIMUM_GRACE_PERIOD"]
