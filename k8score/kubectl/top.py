"""``kubectl top node|pod``: resource usage from the metrics API (k8s.io/kubectl/pkg/cmd/top/
top_node.go, top_pod.go; printing: k8s.io/kubectl/pkg/metricsutil/metrics_printer.go).

- No ``metrics.k8s.io`` group in discovery (metrics-server absent or stopped):
  ``error: Metrics API not available``.
- ``top node [NAME] [-l sel] [--sort-by=cpu|memory] [--no-headers] [--show-capacity]``: columns
  ``NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%)``; CPU in millicores (``250m``), memory in
  MiB (``1024Mi``, the bytes divided by 2^20, truncated); the percentages of the node's
  allocatable (``--show-capacity``: capacity), truncated; a node without metrics prints
  ``<unknown>`` in every column. No metrics at all: ``error: metrics not available yet``.
- ``top pod [NAME] [-n ns | -A] [--containers] [-l sel] [--sort-by] [--no-headers] [--sum]``:
  columns ``[NAMESPACE] [POD] NAME CPU(cores) MEMORY(bytes)``. When the list is empty
  (``verifyEmptyMetrics``): a pod older than 2 minutes gives ``error: Metrics not available for
  pod default/web, age: 5m0s``; younger pods give ``error: metrics not available yet``; no pods
  at all: ``No resources found in default namespace.``

Every line ends with a tab before the newline (``printValue`` writes ``"%v\\t"``), so the last
column is padded too, as kubectl prints it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.errors import ApiError
from ..api.quantity import parse_quantity
from ..sim.clock import parse as parse_time
from .args import Args, CommandError
from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite

if TYPE_CHECKING:
    from .kubectl import Kubectl

NODE_COLUMNS = ("NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)")
POD_COLUMNS = ("NAME", "CPU(cores)", "MEMORY(bytes)")
#: top_pod.go metricsCreationDelay
METRICS_CREATION_DELAY = 120.0
_NOT_AVAILABLE = "error: Metrics API not available"
_NOT_YET = "error: metrics not available yet"


def top(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if not args.args:
        raise CommandError("error: You must specify a resource: node or pod\n"
                           "See 'kubectl top -h' for help and examples")
    what, rest = args.args[0], args.args[1:]
    if what in ("node", "nodes", "no"):
        _top_node(k, args, rest)
    elif what in ("pod", "pods", "po"):
        _top_pod(k, args, rest)
    else:
        raise CommandError(f'error: unknown command "{what}" for "kubectl top"\n'
                           "See 'kubectl top -h' for help and examples")


def _available(k: "Kubectl") -> bool:
    """SupportedMetricsAPIVersionAvailable: discovery lists metrics.k8s.io/v1beta1."""
    try:
        k.client.resolve("nodes.metrics.k8s.io")
        return True
    except ApiError:
        return False


def _cpu(q: str) -> int:
    return parse_quantity(q).milli_value()


def _mem(q: str) -> int:
    return int(parse_quantity(q).value)


def _sort(rows: list[dict], sort_by: str | None, usage) -> None:
    if sort_by == "cpu":
        rows.sort(key=lambda m: -_cpu(usage(m).get("cpu", "0")))
    elif sort_by == "memory":
        rows.sort(key=lambda m: -_mem(usage(m).get("memory", "0")))
    elif sort_by:
        raise CommandError("error: --sort-by accepts only cpu or memory")


def _usage_cells(usage: dict) -> list[str]:
    return [f"{_cpu(usage.get('cpu', '0'))}m", f"{_mem(usage.get('memory', '0')) // (1024 * 1024)}Mi"]


def _write(k: "Kubectl", lines: list[list[str]]) -> None:
    text = "".join("".join(f"{c}\t" for c in line) + "\n" for line in lines)
    k.out_raw(tabwrite(text, minwidth=TABLE_MINWIDTH, padding=TABLE_PADDING))


def _top_node(k: "Kubectl", args: Args, names: list[str]) -> None:
    if not _available(k):
        raise CommandError(_NOT_AVAILABLE)
    selector = args.get("selector")
    try:
        if names:
            metrics = [k.client.get("nodes.metrics.k8s.io", names[0])]
            nodes = [k.client.get("nodes", names[0])]
        else:
            metrics = k.client.list("nodes.metrics.k8s.io", label_selector=selector)["items"]
            nodes = k.client.list("nodes", label_selector=selector)["items"]
    except ApiError as e:
        raise CommandError(k.api_error_text(e)) from None
    if not metrics:
        raise CommandError(_NOT_YET)
    field = "capacity" if args.get("show-capacity") else "allocatable"
    available = {n["metadata"]["name"]: (n.get("status") or {}).get(field) or {} for n in nodes}
    metrics = sorted(metrics, key=lambda m: m["metadata"]["name"])
    _sort(metrics, args.get("sort-by"), lambda m: m.get("usage") or {})
    lines = [] if args.get("no-headers") else [list(NODE_COLUMNS)]
    for m in metrics:
        name = m["metadata"]["name"]
        usage = m.get("usage") or {}
        cells = [name]
        avail = available.pop(name, {})
        for res, value in zip(("cpu", "memory"), _usage_cells(usage)):
            cells.append(value)
            if res in avail:
                have = _cpu(usage.get(res, "0")) if res == "cpu" else parse_quantity(usage.get(res, "0")).milli_value()
                total = parse_quantity(avail[res]).milli_value()
                cells.append(f"{int(have / total * 100)}%" if total else "0%")
        lines.append(cells)
    for name in sorted(available):    # nodes whose metrics are missing
        lines.append([name] + ["<unknown>"] * 4)
    _write(k, lines)


def _top_pod(k: "Kubectl", args: Args, names: list[str]) -> None:
    if not _available(k):
        raise CommandError(_NOT_AVAILABLE)
    all_ns = bool(args.get("all-namespaces"))
    ns = None if all_ns else (args.get("namespace") or k.namespace)
    selector = args.get("selector")
    try:
        if names:
            metrics = [k.client.get("pods.metrics.k8s.io", names[0], namespace=ns)]
        else:
            metrics = k.client.list("pods.metrics.k8s.io", namespace=ns, label_selector=selector)["items"]
    except ApiError as e:
        raise CommandError(k.api_error_text(e)) from None
    if not metrics:
        _verify_empty(k, ns, selector)
        k.stderr("No resources found\n" if all_ns else f"No resources found in {ns} namespace.\n")
        return
    containers = bool(args.get("containers"))
    metrics.sort(key=lambda m: ((m["metadata"].get("namespace", "") if all_ns else ""), m["metadata"]["name"]))
    _sort(metrics, args.get("sort-by"), _pod_usage)
    lines = []
    if not args.get("no-headers"):
        lines.append((["NAMESPACE"] if all_ns else []) + (["POD"] if containers else []) + list(POD_COLUMNS))
    total_cpu = total_mem = 0
    for m in metrics:
        prefix = [m["metadata"].get("namespace", "")] if all_ns else []
        if containers:
            for c in m.get("containers") or ():
                lines.append(prefix + [m["metadata"]["name"], c["name"]] + _usage_cells(c.get("usage") or {}))
        else:
            lines.append(prefix + [m["metadata"]["name"]] + _usage_cells(_pod_usage(m)))
        u = _pod_usage(m)
        total_cpu += _cpu(u["cpu"])
        total_mem += _mem(u["memory"])
    if args.get("sum"):
        pad = [""] * ((1 if all_ns else 0) + (1 if containers else 0))
        lines.append(pad + ["", "________", "________"])
        lines.append(pad + ["", f"{total_cpu}m", f"{total_mem // (1024 * 1024)}Mi"])
    _write(k, lines)


def _pod_usage(m: dict) -> dict:
    cpu = sum(_cpu((c.get("usage") or {}).get("cpu", "0")) for c in m.get("containers") or ())
    mem = sum(_mem((c.get("usage") or {}).get("memory", "0")) for c in m.get("containers") or ())
    return {"cpu": f"{cpu}m", "memory": str(mem)}


def _verify_empty(k: "Kubectl", ns: str | None, selector: str | None) -> None:
    """top_pod.go verifyEmptyMetrics: why the list is empty."""
    from ..container.images._common import go_duration
    pods = k.client.list("pods", namespace=ns, label_selector=selector)["items"]
    if not pods:
        return
    for pod in pods:
        meta = pod["metadata"]
        age = k.now() - parse_time(meta.get("creationTimestamp") or "")
        if age > METRICS_CREATION_DELAY:
            raise CommandError(f"error: Metrics not available for pod {meta.get('namespace')}/{meta['name']}, "
                               f"age: {go_duration(age)}")
    raise CommandError(_NOT_YET)


__all__ = ["top", "NODE_COLUMNS", "POD_COLUMNS"]
