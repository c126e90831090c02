"""``kubectl drain NODE``: cordon, then evict the node's pods through the Eviction API
(staging/src/k8s.io/kubectl/pkg/cmd/drain/drain.go RunDrain, pkg/drain/drain.go evictPods,
pkg/drain/filters.go GetPodsForDeletion).

The pods to remove pass upstream's filters in order: DaemonSet pods need
``--ignore-daemonsets`` (then they are skipped with a warning), mirror pods are skipped, pods
with emptyDir need ``--delete-emptydir-data``, pods without a controller need ``--force``;
finished pods always go. Each pod is then evicted as upstream's goroutines do — here one
state machine per pod, advanced in pod order on the virtual clock through the kubectl ``wait``
hook: ``evicting pod NS/NAME`` before each attempt, a 429 (a PodDisruptionBudget) prints
``error when evicting pods/"NAME" -n "NS" (will retry after 5s): ...`` and retries 5 s later,
an accepted eviction is polled each second until the pod is gone (``pod/NAME evicted``).
``--timeout`` (0: forever) bounds the whole drain.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..client import ApiError
from .args import Args, CommandError

if TYPE_CHECKING:
    from .kubectl import Kubectl

# filters.go messages
DAEMONSET_FATAL = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "cannot delete Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
#: drain.go: the pause after a 429, and waitForDelete's poll interval
RETRY_AFTER = 5.0
POLL_INTERVAL = 1.0
#: a "forever" drain (--timeout 0) still ends in the simulation after this long
_FOREVER = 24 * 3600.0


def go_duration(seconds: float) -> str:
    """time.Duration.String for whole seconds: ``30s``, ``1m30s``, ``1h0m0s``."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}h{m}m{sec}s"
    return f"{m}m{sec}s" if m else f"{sec}s"


def parse_duration(text: str) -> float:
    """time.ParseDuration for the forms people type (``90s``, ``2m``, ``1h30m``, ``0``)."""
    if text in ("0", ""):
        return 0.0
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|m|s|ms)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise CommandError(f'error: invalid argument "{text}" for "--timeout" flag: '
                           f'time: invalid duration "{text}"')
    unit = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * unit[u] for n, u in parts)


def _status(k: "Kubectl", args: Args, pod: dict) -> tuple[str, str]:
    """GetPodsForDeletion for one pod: ("ok"|"skip"|"warn"|"error"|"warn-skip", message)."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    ref = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
    if ref is not None and ref.get("kind") == "DaemonSet" and not finished:
        try:
            k.client.get("daemonsets", ref.get("name"), namespace=meta.get("namespace"))
        except ApiError as e:
            if e.code == 404 and args.get("force"):
                return "warn", e.message
            return "error", e.message
        if not args.get("ignore-daemonsets"):
            return "error", DAEMONSET_FATAL
        return "warn-skip", DAEMONSET_WARNING
    if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
        return "skip", ""
    if any("emptyDir" in v for v in spec.get("volumes") or ()) and not finished:
        if not args.get("delete-emptydir-data"):
            return "error", LOCAL_STORAGE_FATAL
        return "warn", LOCAL_STORAGE_WARNING
    if finished or ref is not None:
        return "ok", ""
    if args.get("force"):
        return "warn", UNMANAGED_WARNING
    return "error", UNMANAGED_FATAL


def pods_for_deletion(k: "Kubectl", args: Args, node: str) -> tuple[list[dict], list[str], list[str]]:
    """(pods to evict, warnings, errors), messages grouped as PodDeleteList does."""
    pods = k.client.list("pods", field_selector=f"spec.nodeName={node}")["items"]
    keep, warned, failed = [], {}, {}
    for pod in pods:
        kind, msg = _status(k, args, pod)
        who = f"{pod['metadata'].get('namespace')}/{pod['metadata']['name']}"
        if kind in ("warn", "warn-skip"):
            warned.setdefault(msg, []).append(who)
        elif kind == "error":
            failed.setdefault(msg, []).append(who)
        if kind in ("ok", "warn"):
            keep.append(pod)
    # upstream ranges over Go maps here (random order); sorted keeps the output stable
    return (keep, [f"{m}: {', '.join(p)}" for m, p in sorted(warned.items())],
            [f"{m}: {', '.join(p)}" for m, p in sorted(failed.items())])


def _aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate(..).Error()."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


class _Eviction:
    """One pod's goroutine in evictPods."""

    def __init__(self, pod: dict):
        self.pod = pod
        self.name, self.ns = pod["metadata"]["name"], pod["metadata"].get("namespace")
        self.uid = pod["metadata"].get("uid")
        self.state, self.due, self.error = "evict", 0.0, None

    def step(self, k: "Kubectl") -> None:
        if self.state == "evict":
            k.out(f"evicting pod {self.ns}/{self.name}")
            body = {"apiVersion": "policy/v1", "kind": "Eviction",
                    "metadata": {"name": self.name, "namespace": self.ns}}
            try:
                k.client.create("pods", body, namespace=self.ns, subresource="eviction")
            except ApiError as e:
                if e.code == 404:
                    self.state = "done"
                elif e.code == 429:
                    k.stderr(f'error when evicting pods/"{self.name}" -n "{self.ns}" (will retry after 5s): '
                          f"{e.message}" + "\n")
                    self.due = k.now() + RETRY_AFTER
                else:
                    self.state, self.error = "done", f'error when evicting pods/"{self.name}" -n "{self.ns}": {e.message}'
                return
            self.state, self.due = "wait", k.now()
        if self.state == "wait":
            try:
                pod = k.client.get("pods", self.name, namespace=self.ns)
                gone = pod["metadata"].get("uid") != self.uid   # waitForDelete: a new pod of that name
            except ApiError as e:
                if e.code != 404:
                    raise
                gone = True
            if gone:
                k.out(f"pod/{self.name} evicted")
                self.state = "done"
            else:
                self.due = k.now() + POLL_INTERVAL


def evict_pods(k: "Kubectl", pods: list[dict], timeout: float) -> list[str]:
    """evictPods: every pod's eviction to its end or the global timeout; returns the errors."""
    start = k.now()
    limit = timeout or _FOREVER
    work = [_Eviction(p) for p in pods]
    while True:
        for w in work:
            if w.state != "done" and w.due <= k.now():
                w.step(k)
        left = [w for w in work if w.state != "done"]
        if not left:
            break
        if k.now() - start >= limit or k.wait is None:
            for w in left:
                w.error = (f'error when evicting pods/"{w.name}" -n "{w.ns}": global timeout reached: '
                           f"{go_duration(limit)}" if w.state == "evict" else
                           f'error when waiting for pod "{w.name}" in namespace "{w.ns}" to terminate: '
                           f"global timeout reached: {go_duration(limit)}")
            break
        due = min(w.due for w in left)
        k.wait(lambda: k.now() >= due, max(0.0, min(due, start + limit) - k.now()) + 1e-9)
    return [w.error for w in work if w.error]


def drain(k: "Kubectl", args: Args, stdin: str | None) -> None:
    """RunDrain: cordon each node, evict its pods, ``node/NAME drained``."""
    from .writes import _set_unschedulable
    timeout = parse_duration(str(args.get("timeout") or "0"))
    names = _set_unschedulable(k, args, True, "cordoned", "drain")
    fatal = []
    for name in names:
        pods, warnings, errors = pods_for_deletion(k, args, name)
        err = _aggregate(errors) if errors else None
        if err is None:
            if warnings:
                k.stderr("Warning: " + "; ".join(warnings) + "\n")
            errs = evict_pods(k, pods, timeout)
            if errs:
                err = _aggregate(errs)
                pending, _, _ = pods_for_deletion(k, args, name)
                if pending:
                    k.stderr(f'There are pending pods in node "{name}" when an error occurred: {err}' + "\n")
                    for p in pending:
                        k.stderr(f"pod/{p['metadata']['name']}" + "\n")
        if err is None:
            k.out(f"node/{name} drained")
        else:
            k.stderr(f'error: unable to drain node "{name}" due to error: {err}, continuing command...' + "\n")
            fatal.append((name, err))
    if fatal:
        k.stderr("There are pending nodes to be drained:\n" + "\n".join(f" {n}" for n, _ in fatal) + "\n")
        # the aggregate of the nodes' errors, as the previous implementation printed it
        raise CommandError("\n".join(e for _, e in fatal))
