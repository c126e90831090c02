"""The ``metrics.k8s.io/v1beta1`` API: NodeMetrics and PodMetrics, served by metrics-server
through the API server (sigs.k8s.io/metrics-server pkg/api/node.go, pod.go).

Upstream the kube-aggregator proxies ``/apis/metrics.k8s.io/v1beta1`` to metrics-server once
its APIService is Available. Here the two resources are registry strategies that the running
:class:`~k8score.metrics.server.MetricsServer` registers (and removes when it stops): a request
goes through the whole pipeline — authentication, RBAC authorization — and is answered from
the metrics-server's latest scrapes, never from etcd. Only ``get`` and ``list`` are served
(``watch`` and writes: 405 MethodNotAllowed, as metrics-server's read-only REST).

- ``nodes`` (NodeMetrics, cluster-scoped) and ``pods`` (PodMetrics, namespaced); a list takes a
  label selector (applied to the Nodes' / Pods' labels, as metrics-server's listers do);
- an object without metrics yet is left out of lists; a get of it is 404
  ``nodemetrics.metrics.k8s.io "node-1" not found`` / ``podmetrics.metrics.k8s.io "default/web" not found``;
- usage: ``cpu`` in nanocores (``resource.NewScaledQuantity(n, -9)``: ``123456789n``, ``500m``),
  ``memory`` in bytes (BinarySI: ``12Mi``); ``timestamp`` the later point's time; ``window`` the
  time between the two points (``15s``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..api.errors import ApiError
from ..api.quantity import BINARY_SI, DECIMAL_SI, Quantity
from ..api.resources import ResourceInfo
from ..api.selectors import parse_label_selector
from ..apiserver.registry.strategy import Strategy
from ..sim.clock import EPOCH, rfc3339
from .scrape import Usage

GROUP, VERSION = "metrics.k8s.io", "v1beta1"
NODE_METRICS = ResourceInfo("nodes", "nodemetrics", "NodeMetrics", GROUP, VERSION, False)
POD_METRICS = ResourceInfo("pods", "podmetrics", "PodMetrics", GROUP, VERSION, True)
_EPOCH_S = EPOCH.timestamp()


def cpu_quantity(nanocores: int) -> str:
    return Quantity(Fraction(int(nanocores), 10 ** 9), DECIMAL_SI).canonical()


def memory_quantity(nbytes: int) -> str:
    return Quantity(Fraction(int(nbytes)), BINARY_SI).canonical()


def _window(seconds: float) -> str:
    s = round(seconds, 3)
    return (f"{s:.3f}".rstrip("0").rstrip(".") if s != int(s) else str(int(s))) + "s"


def _usage(u: Usage) -> dict:
    return {"cpu": cpu_quantity(u.cpu_nanocores), "memory": memory_quantity(u.memory)}


class _MetricsStrategy(Strategy):
    """Read-only, answered from ``source`` (the MetricsServer); nothing is stored."""

    create_only = True       # the pipeline keeps it away from etcd and the watch cache

    def __init__(self, source: Any):
        self.source = source
        super().__init__()

    def serve_create(self, api: Any, rc: Any) -> dict:
        raise ApiError.method_not_allowed(self.info.group_resource, "create")

    def serve_read(self, api: Any, rc: Any) -> dict:
        verb = rc.req.verb
        if verb not in ("get", "list") or rc.req.subresource:
            raise ApiError.method_not_allowed(self.info.group_resource, verb)
        rc.trace.step("metrics-server", "answered", "from the latest scrape, nothing read from etcd")
        if verb == "get":
            obj = self._one(rc.namespace, rc.name)
            if obj is None:
                what = f"{rc.namespace}/{rc.name}" if self.info.namespaced else rc.name
                raise ApiError.not_found(f"{self.info.kind.lower()}.{GROUP}", what)
            return obj
        labels = parse_label_selector(rc.req.options.get("labelSelector"))
        items = [o for o in self._all(rc.namespace, labels) if o is not None]
        return {"kind": f"{self.info.kind}List", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {}, "items": items}

    def _meta(self, obj: dict) -> dict:
        meta = obj["metadata"]
        out = {"name": meta["name"]}
        if meta.get("namespace"):
            out["namespace"] = meta["namespace"]
        out["creationTimestamp"] = rfc3339(self.source.loop.now)
        if meta.get("labels"):
            out["labels"] = dict(meta["labels"])
        return out


class NodeMetricsStrategy(_MetricsStrategy):
    info = NODE_METRICS

    def _object(self, node: dict) -> dict | None:
        u = self.source.storage.node(node["metadata"]["name"])
        if u is None:
            return None
        return {"kind": "NodeMetrics", "apiVersion": f"{GROUP}/{VERSION}", "metadata": self._meta(node),
                "timestamp": rfc3339(u.timestamp - _EPOCH_S), "window": _window(u.window), "usage": _usage(u)}

    def _one(self, namespace: str | None, name: str) -> dict | None:
        node = self.source.nodes.get(name)
        return self._object(node) if node is not None else None

    def _all(self, namespace: str | None, labels: Any) -> list:
        nodes = sorted(self.source.nodes.list(), key=lambda n: n["metadata"]["name"])
        return [self._object(n) for n in nodes if labels.matches((n["metadata"].get("labels") or {}))]


class PodMetricsStrategy(_MetricsStrategy):
    info = POD_METRICS

    def _object(self, pod: dict) -> dict | None:
        meta = pod["metadata"]
        containers = self.source.storage.pod(meta.get("namespace", ""), meta["name"])
        if not containers:
            return None
        ts = min(u.timestamp for _, u in containers)
        window = min(u.window for _, u in containers)
        return {"kind": "PodMetrics", "apiVersion": f"{GROUP}/{VERSION}", "metadata": self._meta(pod),
                "timestamp": rfc3339(ts - _EPOCH_S), "window": _window(window),
                "containers": [{"name": n, "usage": _usage(u)} for n, u in containers]}

    def _one(self, namespace: str | None, name: str) -> dict | None:
        pod = self.source.pods.get(f"{namespace}/{name}")
        return self._object(pod) if pod is not None else None

    def _all(self, namespace: str | None, labels: Any) -> list:
        pods = self.source.pods.list(namespace) if namespace else self.source.pods.list()
        pods = sorted(pods, key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]))
        return [self._object(p) for p in pods if labels.matches((p["metadata"].get("labels") or {}))]


__all__ = ["NodeMetricsStrategy", "PodMetricsStrategy", "NODE_METRICS", "POD_METRICS", "GROUP", "VERSION",
           "cpu_quantity", "memory_quantity"]
