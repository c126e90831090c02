"""``kubectl logs``: a container's log, read through the API server's ``pods/log``.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/logs/logs.go (flags, Complete, Validate,
ToLogOptions) and pkg/polymorphichelpers/logsforobject.go (which pod and container).

``kubectl logs POD [-c C] [-p] [--tail N] [--timestamps] [--limit-bytes N] [--since D]``,
``kubectl logs TYPE/NAME`` (the workload's first pod, ``Found 3 pods, using pod/x``),
``kubectl logs -l SELECTOR`` (every matching pod; ``--tail`` defaults to 10),
``--all-containers``, ``--prefix`` (``[pod/NAME/CONTAINER] line``).

**Follow** (``-f``): a real ``kubectl logs -f`` streams until interrupted. Here, when the
Kubectl has a clock to advance (``Kubectl(..., wait=...)``), it follows while the container
keeps running, for at most :data:`FOLLOW_SECONDS` of virtual time, and prints what was
written meanwhile; without one it prints what the log holds now.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..client import ApiError
from .args import Args, CommandError
from .podcmd import default_container, find_container, all_container_names, first_pod, poll, usage_error

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: logs.go logsUsageStr / logsUsageErrStr
_USAGE = ("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
          "POD or TYPE/NAME is a required argument for the logs command")
#: logs.go selectorTail: with -l and no --tail, the last 10 lines of each container
SELECTOR_TAIL = 10
#: how long ``-f`` follows a running container here (virtual seconds; upstream: until ^C)
FOLLOW_SECONDS = 60.0


def logs(k: "Kubectl", args: Args, stdin: str | None) -> None:
    names, selector = list(args.args), args.get("selector")
    container = args.get("container") or ""
    # Complete
    if not names and not selector or len(names) > 2:
        raise usage_error("logs", _USAGE)
    if len(names) == 1 and selector:
        raise usage_error("logs", "only a selector (-l) or a POD name is allowed")
    if len(names) == 2:
        if args.get("container") is not None:  # Validate
            raise CommandError("error: only one of -c or an inline [CONTAINER] arg is allowed")
        container = names[1]
    tail = args.get("tail", -1)
    options = _log_options(args, container, tail, bool(selector) and args.get("tail") is None)
    # Validate
    if args.get("all-containers") and container:
        raise CommandError(f"error: --all-containers=true should not be specified with container name {container}")
    if (args.get("limit-bytes") or 0) < 0:
        raise CommandError("error: --limit-bytes must be greater than 0")
    if options.get("tailLines") is not None and options["tailLines"] < -1:
        raise CommandError("error: --tail must be greater than or equal to -1")
    ns = args.get("namespace") or k.namespace
    if selector:
        pods = k.client.list("pods", namespace=ns, label_selector=selector)["items"]
        if not pods:
            k.warn(f"No resources found in {ns} namespace.")
            return
        pods.sort(key=lambda p: p["metadata"]["name"])
    else:
        try:
            pods = [first_pod(k, names[0], ns)]
        except ApiError as e:
            # logs.go Complete: the builder's NotFound is wrapped with the namespace it looked in
            if e.code != 404:
                raise
            raise CommandError(f'error: error from server (NotFound): {e.message} in namespace "{ns}"') from None
    for pod in pods:
        for name in _containers(k, pod, container, bool(args.get("all-containers")), bool(selector)):
            _print_log(k, args, pod, name, options)


def _log_options(args: Args, container: str, tail: int, selector_default: bool) -> dict:
    """ToLogOptions: PodLogOptions as query options (None are left out by the client)."""
    opts: dict = {"container": container or None, "previous": args.get("previous") or None,
                  "timestamps": args.get("timestamps") or None, "follow": args.get("follow") or None,
                  "limitBytes": args.get("limit-bytes") or None}
    if selector_default and tail == -1:
        opts["tailLines"] = SELECTOR_TAIL
    elif tail != -1:
        opts["tailLines"] = tail
    if args.get("since"):
        opts["sinceSeconds"] = _duration_seconds(args.get("since"))
    if args.get("since-time"):
        opts["sinceTime"] = args.get("since-time")
    if args.get("since") and args.get("since-time"):
        raise CommandError("error: at most one of `sinceTime` or `sinceSeconds` may be specified")
    return opts


def _containers(k: "Kubectl", pod: dict, container: str, all_containers: bool, all_pods: bool) -> list[str]:
    """logsForObjectWithClient: the containers whose logs are asked for, in upstream's order."""
    spec = pod.get("spec") or {}
    if all_containers:
        return [c.get("name", "") for key in ("initContainers", "containers", "ephemeralContainers")
                for c in spec.get(key) or ()]
    if not container:
        container = default_container(k, pod, quiet=all_pods)
    if find_container(pod, container) is None:
        raise CommandError(f"error: container {container} is not valid for pod {pod['metadata']['name']} "
                           f"out of: {all_container_names(pod)}")
    return [container]


def _print_log(k: "Kubectl", args: Args, pod: dict, container: str, options: dict) -> None:
    meta = pod["metadata"]
    opts = {**options, "container": container}
    try:
        text = k.client.get("pods", meta["name"], namespace=meta.get("namespace"), subresource="log", **opts)
        if args.get("follow") and getattr(k, "wait", None) is not None:
            text += _follow(k, meta, opts)
    except ApiError as e:
        raise CommandError(k.api_error_text(e)) from None
    if args.get("prefix"):
        prefix = f"[pod/{meta['name']}/{container}] "
        text = "".join(prefix + line for line in text.splitlines(keepends=True))
    k.out_raw(text)


def _follow(k: "Kubectl", meta: dict, opts: dict) -> str:
    """What the container writes while it keeps running (at most FOLLOW_SECONDS): the log
    read again in full, minus what it held when following began."""
    whole = {**opts, "tailLines": None, "limitBytes": None, "sinceSeconds": None, "sinceTime": None}
    before = k.client.get("pods", meta["name"], namespace=meta.get("namespace"), subresource="log", **whole)

    def stopped() -> bool:
        pod = k.client.get("pods", meta["name"], namespace=meta.get("namespace"))
        st = next((s for key in ("containerStatuses", "initContainerStatuses")
                   for s in (pod.get("status") or {}).get(key) or () if s.get("name") == opts["container"]), None)
        return st is None or (st.get("state") or {}).get("running") is None
    poll(k, stopped, FOLLOW_SECONDS)
    after = k.client.get("pods", meta["name"], namespace=meta.get("namespace"), subresource="log", **whole)
    return after[len(before):] if after.startswith(before) else ""


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


def _duration_seconds(text: str) -> int:
    """--since (a Go duration: 5s, 2m, 3h, 1h30m), rounded to whole seconds as ToLogOptions does."""
    total, pos = 0.0, 0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise CommandError(f'error: invalid argument "{text}" for "--since" flag: time: invalid duration "{text}"\n'
                           "See 'kubectl logs --help' for usage.")
    if total <= 0:
        raise CommandError("error: --since must be greater than 0")
    return int(round(total))
