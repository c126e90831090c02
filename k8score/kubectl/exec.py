"""``kubectl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [args...]``.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/exec/exec.go (Complete, Validate, Run) and
cmd/util/helpers.go checkErr (a non-zero exit of the remote command prints
``command terminated with exit code N`` and kubectl exits with N).

The command goes to the API server as ``create pods/exec`` (RBAC: ``create`` on
``pods/exec``), which asks the pod's kubelet to run it in the container; it runs on the
virtual clock. When the Kubectl has a clock to advance (``Kubectl(..., wait=...)``) the
command is waited for (at most :data:`EXEC_SECONDS` of virtual time); without one only a
command that finishes at once can answer. ``-i`` hands the command the whole of ``stdin``
at once; ``-t`` merges stderr into stdout (a terminal has one stream).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..client import ApiError
from .args import Args, CommandError
from .podcmd import DASH, default_container, first_pod, poll, usage_error

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: how long an exec may run here (virtual seconds; upstream: as long as the command runs)
EXEC_SECONDS = 600.0


def exec_command(k: "Kubectl", args: Args, stdin: str | None) -> None:
    names, dash = list(args.args), args.get(DASH, -1)
    resource = names[0] if names and dash != 0 else ""
    if dash > -1:
        command = names[dash:]
    elif len(names) > 1:
        raise usage_error("exec", "exec [POD] [COMMAND] is not supported anymore. "
                                  "Use exec [POD] -- [COMMAND] instead")
    else:
        command = []
    if not resource:
        raise CommandError("error: pod, type/name or --filename must be specified")
    if not command:
        raise CommandError("error: you must specify at least one command for the container")
    ns = args.get("namespace") or k.namespace
    pod = first_pod(k, resource, ns)
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise CommandError(f"error: cannot exec into a container in a completed pod; current phase is {phase}")
    container = args.get("container") or default_container(k, pod, quiet=bool(args.get("quiet")))
    tty = bool(args.get("stdin") and args.get("tty"))  # SetupTTY: no TTY without stdin
    body = {"apiVersion": "v1", "kind": "PodExecOptions", "metadata": {"name": pod["metadata"]["name"]},
            "command": command, "container": container, "stdin": bool(args.get("stdin")),
            "stdout": True, "stderr": not tty, "tty": tty,
            "input": (stdin or "") if args.get("stdin") else ""}
    try:
        stream = k.client.create("pods", body, namespace=pod["metadata"].get("namespace") or ns,
                                 subresource="exec")
    except ApiError as e:
        raise CommandError(k.api_error_text(e)) from None
    report(k, stream, tty)


def report(k: "Kubectl", stream: object, tty: bool = False) -> None:
    """Wait for an exec stream and print it as kubectl does: stdout, stderr (on stdout with a
    TTY), then the exit status."""
    if not poll(k, lambda: getattr(stream, "done", True), EXEC_SECONDS, every=0.0):
        raise CommandError(f"error: the command did not finish within {EXEC_SECONDS:g}s of virtual time")
    failure = getattr(stream, "failure", None)
    if failure and getattr(stream, "internal", False):
        raise CommandError(f"error: Internal error occurred: {failure}")
    if failure:
        raise CommandError(f"error: unable to upgrade connection: {failure}")
    k.out_raw(getattr(stream, "stdout", "") or "")
    err = getattr(stream, "stderr", "") or ""
    if tty:
        k.out_raw(err)
    elif err:
        k.stderr(err)
    code = getattr(stream, "exit_code", 0) or 0
    if code:
        k.fail(f"command terminated with exit code {code}", code)
