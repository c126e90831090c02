"""``kubectl autoscale (TYPE NAME | TYPE/NAME) [--min=MINPODS] --max=MAXPODS [--cpu=CPU]
[--memory=MEMORY] [--cpu-percent=N] [--name=NAME]`` (k8s.io/kubectl/pkg/cmd/autoscale/autoscale.go).

Creates an ``autoscaling/v2`` HorizontalPodAutoscaler for a Deployment, ReplicaSet,
StatefulSet or ReplicationController (a resource with a ``scale`` subresource) and prints
``horizontalpodautoscaler.autoscaling/<name> autoscaled``. ``--min`` unset leaves minReplicas to
the server's default (1); no CPU/memory target leaves ``metrics`` to the server's default (80 %
CPU). ``--cpu-percent`` is deprecated (kubectl warns) in favour of ``--cpu=50%`` (utilization) or
``--cpu=500m`` (average value; a bare number means millicores); ``--memory=70%`` / ``200Mi``
(a bare number means MiB).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..api.errors import ApiError
from ..api.quantity import QuantityError, parse_quantity
from .args import Args, CommandError, int_flag
from .options import CLIENT, dry_run, operation, write_options
from .reads import targets

if TYPE_CHECKING:
    from .kubectl import Kubectl

_DEPRECATED = ("Flag --cpu-percent has been deprecated, Use --cpu with percentage or resource quantity format "
               "(e.g., '70%' for utilization or '500m' for milliCPU).")
_SCALABLE = ("deployments", "replicasets", "statefulsets", "replicationcontrollers")


def _target(text: str, resource: str) -> dict:
    """parseResourceInput: ``70%`` -> Utilization; ``500m`` / ``500`` -> AverageValue."""
    text = text.strip()
    if not text:
        raise CommandError("error: empty input")
    if text.endswith("%"):
        num = text[:-1]
        if not re.fullmatch(r"[+-]?\d+", num) or int(num) < 0:
            raise CommandError(f"error: invalid percentage value: {num}")
        return {"type": "Utilization", "averageUtilization": int(num)}
    try:
        float(text)
        text = text + ("m" if resource == "cpu" else "Mi")
    except ValueError:
        pass
    try:
        return {"type": "AverageValue", "averageValue": parse_quantity(text).canonical()}
    except (QuantityError, ValueError):
        raise CommandError(f"error: invalid resource {resource} value: {text}") from None


def autoscale(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if args.get("max") is None:
        raise CommandError('error: required flag(s) "max" not set')
    lo, hi = int_flag(args, "min", -1), int_flag(args, "max", -1)
    percent = int_flag(args, "cpu-percent", -1)
    if args.get("cpu-percent") is not None:
        k.warn(_DEPRECATED)
    if hi < 1:
        raise CommandError(f"error: --max=MAXPODS is required and must be at least 1, max: {hi}")
    if hi < lo:
        raise CommandError(f"error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: {hi}, min: {lo}")
    if percent > 0 and args.get("cpu"):
        raise CommandError("error: --cpu-percent and --cpu are mutually exclusive")
    metrics = []
    if percent > 0:
        metrics.append(_resource_metric("cpu", {"type": "Utilization", "averageUtilization": percent}))
    if args.get("cpu"):
        metrics.append(_resource_metric("cpu", _target(args.get("cpu"), "cpu")))
    if args.get("memory"):
        metrics.append(_resource_metric("memory", _target(args.get("memory"), "memory")))
    if not args.args:
        raise CommandError("error: You must provide one or more resources by argument or filename.\n"
                           "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                           "   '<resource> <name>'\n   '<resource>'")
    count = 0
    for info, names in targets(k, args.args):
        if not names:   # ResourceTypeOrNameArgs(false, ...): a bare type selects nothing
            raise CommandError("error: resource(s) were provided, but no name was specified")
        for ref in names:
            ns = k.ns_for(info, args)
            try:
                k.client.get(info.plural, ref, namespace=ns)
            except ApiError as e:
                raise CommandError(k.api_error_text(e)) from None
            if info.plural not in _SCALABLE:
                raise CommandError(f"error: cannot autoscale a {info.kind}: no scale subresource for "
                                   f"{info.group_resource}")
            name = args.get("name") or ref
            spec: dict = {"scaleTargetRef": {"apiVersion": info.api_version, "kind": info.kind, "name": ref},
                          "maxReplicas": hi}
            if lo > 0:
                spec["minReplicas"] = lo
            if metrics:
                spec["metrics"] = metrics
            hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": name, "namespace": ns}, "spec": spec}
            strategy = dry_run(args)
            if strategy != CLIENT:
                try:
                    k.client.create("horizontalpodautoscalers", hpa, namespace=ns,
                                    **write_options(args, "kubectl-autoscale"))
                except ApiError as e:
                    raise CommandError(k.api_error_text(e)) from None
            op = operation("created", strategy) if strategy == CLIENT else operation("autoscaled", strategy)
            k.out(f"horizontalpodautoscaler.autoscaling/{name} {op}")
            count += 1
    if count == 0:
        raise CommandError("error: no objects passed to autoscale")


def _resource_metric(name: str, target: dict) -> dict:
    return {"type": "Resource", "resource": {"name": name, "target": target}}


__all__ = ["autoscale"]
