"""``kubectl run NAME --image=IMAGE [--restart=...] [--env=K=V] [--labels=...] [--port=N]
[--command] [-i] [-t] [--rm] [-- ARGS...]``: one Pod, labelled ``run=NAME``.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/run/run.go (Run, getRestartPolicy,
handleAttachPod, waitForPod, removeCreatedObjects) and pkg/generate/versioned/run.go
(BasicPod: the pod it builds).

With ``-i``/``--attach`` kubectl waits for the pod to run (or finish), then attaches — or,
when it already finished, prints its log; for ``--restart=Never`` it waits for the pod to
complete and exits with the container's exit code (``pod default/x terminated (Error)``);
``--rm`` deletes the pod at the end. Here attaching means following the container until it
stops and printing its whole log (upstream shows only what is written after attaching);
waiting needs a clock to advance (``Kubectl(..., wait=...)``, at most :data:`RUN_SECONDS`
each); without one, a pod that is not ready at once gives ``timed out waiting for the
condition``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..client import ApiError
from .args import Args, CommandError
from .options import CLIENT, NONE, dry_run, print_result, write_options
from .podcmd import DASH, poll, usage_error

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: how long each wait of an attached run may take here (virtual seconds)
RUN_SECONDS = 300.0
_TIMED_OUT = "error: timed out waiting for the condition"


def run(k: "Kubectl", args: Args, stdin: str | None) -> None:
    names, dash = list(args.args), args.get(DASH, -1)
    if not names or dash == 0:
        raise usage_error("run", "NAME is required for run")
    image = args.get("image")
    if not image:
        raise CommandError('error: required flag(s) "image" not set')
    interactive, tty = bool(args.get("stdin")), bool(args.get("tty"))
    if tty and not interactive:
        raise usage_error("run", "-i/--stdin is required for containers with -t/--tty=true")
    restart = _restart_policy(args.get("restart"), interactive)
    attach = args.get("attach") if args.get("attach") is not None else interactive
    remove = bool(args.get("rm"))
    if not attach and remove:
        raise usage_error("run", "--rm should only be used for attached containers")
    if attach and dry_run(args) != NONE:
        raise usage_error("run", "--dry-run can't be used with attached containers options "
                                 "(--attach, --stdin, or --tty)")
    policy = args.get("image-pull-policy") or ""
    if policy not in ("", "Always", "IfNotPresent", "Never"):
        raise usage_error("run", f"invalid image pull policy: {policy}")
    name, ns = names[0], args.get("namespace") or k.namespace
    body = basic_pod(name, image, names[1:], args, restart, interactive, tty)
    info = k.resource("pods")
    obj = body
    if dry_run(args) != CLIENT:
        obj = k.client.create("pods", body, namespace=ns, **write_options(args, "kubectl-run"))
    if not attach:
        print_result(k, args, info, name, "created", obj)
        return
    try:
        _attach_and_wait(k, name, ns, restart, tty, bool(args.get("quiet")))
    finally:
        if remove:  # removeCreatedObjects, deferred: runs whatever happened
            _remove(k, name, ns)


def basic_pod(name: str, image: str, rest: list[str], args: Args, restart: str,
              interactive: bool, tty: bool) -> dict:
    """generate/versioned/run.go BasicPod.Generate."""
    labels = _labels(args.get("labels"), name)
    container: dict = {"name": name, "image": image, "resources": {}}
    if rest:
        container["command" if args.get("command") else "args"] = rest
    env = []
    for item in args.get("env") or ():
        key, eq, value = item.partition("=")
        if not eq:
            raise CommandError(f"error: invalid env: {item}")
        env.append({"name": key, "value": value})
    if env:
        container["env"] = env
    if args.get("port"):
        try:
            container["ports"] = [{"containerPort": int(args.get("port"))}]
        except ValueError:
            raise CommandError(f'error: strconv.Atoi: parsing "{args.get("port")}": invalid syntax') from None
    if args.get("image-pull-policy"):
        container["imagePullPolicy"] = args.get("image-pull-policy")
    if interactive:
        container["stdin"] = True
        container["stdinOnce"] = not args.get("leave-stdin-open")
        container["tty"] = tty
    meta: dict = {"name": name, "labels": labels}
    annotations = dict(a.partition("=")[::2] for a in args.get("annotations") or ())
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart},
            "status": {}}


def _restart_policy(value: str | None, interactive: bool) -> str:
    """run.go getRestartPolicy: Always by default, OnFailure for an interactive run."""
    if not value:
        return "OnFailure" if interactive else "Always"
    if value in ("Always", "OnFailure", "Never"):
        return value
    raise usage_error("run", f"invalid restart policy: {value}")


def _labels(text: str | None, name: str) -> dict:
    if not text:
        return {"run": name}
    out = {}
    for part in text.split(","):
        key, eq, value = part.partition("=")
        if not eq:
            raise CommandError(f"error: invalid label spec: {part}")
        out[key] = value
    return out


def _attach_and_wait(k: "Kubectl", name: str, ns: str, restart: str, tty: bool, quiet: bool) -> None:
    pod = _wait_for(k, name, ns, _running_and_ready)
    phase = (pod.get("status") or {}).get("phase")
    if phase not in ("Succeeded", "Failed"):
        if tty and not quiet:   # attach.go: the hint a TTY session opens with
            k.warn("If you don't see a command prompt, try pressing enter.")
        # attached: the output goes on until the container stops
        poll(k, lambda: not _container_running(k.client.get("pods", name, namespace=ns), name), RUN_SECONDS)
    try:
        k.out_raw(k.client.get("pods", name, namespace=ns, subresource="log", container=name))
    except ApiError as e:
        k.err(k.api_error_text(e))
    if restart != "Never":
        return
    pod = _wait_for(k, name, ns, lambda p: (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"))
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return
    if phase != "Failed":
        raise CommandError(f"error: pod {ns}/{name} left in phase {phase}")
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    term = (statuses[0].get("state") or {}).get("terminated") if statuses else None
    if not term or not term.get("exitCode"):
        raise CommandError(f"error: pod {ns}/{name} failed with unknown exit code")
    raise CommandError(f"pod {ns}/{name} terminated ({term.get('reason', '')})\n{term.get('message', '')}",
                       int(term["exitCode"]))


def _wait_for(k: "Kubectl", name: str, ns: str, condition) -> dict:
    """run.go waitForPod: until ``condition(pod)``; a completed pod ends the wait too."""
    seen: list[dict] = []

    def check() -> bool:
        pod = k.client.get("pods", name, namespace=ns)
        seen[:] = [pod]
        return condition(pod) or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    try:
        ok = poll(k, check, RUN_SECONDS)
    except ApiError as e:
        raise CommandError(k.api_error_text(e)) from None
    if not ok:
        raise CommandError(_TIMED_OUT)
    return seen[0]


def _running_and_ready(pod: dict) -> bool:
    st = pod.get("status") or {}
    return st.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or ())


def _container_running(pod: dict, name: str) -> bool:
    for s in (pod.get("status") or {}).get("containerStatuses") or ():
        if s.get("name") == name:
            return (s.get("state") or {}).get("running") is not None
    return False


def _remove(k: "Kubectl", name: str, ns: str) -> None:
    """removeCreatedObjects: delete with IgnoreNotFound, printed as ``kubectl delete`` does."""
    try:
        k.client.delete("pods", name, namespace=ns)
    except ApiError as e:
        if e.code != 404:
            k.err(k.api_error_text(e))
        return
    k.out(f'pod "{name}" deleted from {ns} namespace')
