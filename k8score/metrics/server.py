"""metrics-server (kubernetes-sigs/metrics-server): scrapes every kubelet's resource metrics and
serves ``metrics.k8s.io/v1beta1`` through the API server.

Every ``metric_resolution`` seconds (``--metric-resolution``, default 15 s: cmd/metrics-server/app/
options MetricResolution) it reads ``/metrics/resource`` of each Node's kubelet
(:meth:`k8score.kubelet.server.KubeletServer.resource_metrics`, reached as the API server reaches
kubelets: ``api.kubelets``), decodes the text and stores the batch (:mod:`.scrape`); the first
scrape is at start. Usage needs two points, so ``kubectl top`` answers ``metrics not available
yet`` until the second scrape.

A component of the simulation, not a Deployment: the kubelet API is not on the pod network in
the model, and the addon's pods would add nothing a reader sees. Its objects are the addon's
(``components.yaml``): the ``metrics-server`` ServiceAccount in ``kube-system``, the ClusterRoles
``system:metrics-server`` and ``system:aggregated-metrics-reader`` (aggregated to view/edit/admin)
and the binding — created by :func:`k8score.metrics.install`. While it runs, the API server serves
the group (the APIService is Available); stopped, the group is gone from discovery and ``kubectl
top`` says ``error: Metrics API not available``.
"""

from __future__ import annotations

from typing import Any

from ..client import Client, SharedInformer
from ..lang import Text
from ..sim import Component
from .api import NodeMetricsStrategy, PodMetricsStrategy
from .scrape import Batch, Storage, decode

#: cmd/metrics-server/app/options/options.go: MetricResolution 15 s (the addon manifest's
#: --metric-resolution=15s)
METRIC_RESOLUTION = 15.0
USER = "system:serviceaccount:kube-system:metrics-server"


class MetricsServer(Component):
    kind = "metrics-server"
    plane = "addon"
    watches = ("nodes", "pods")
    writes = ()
    summary = Text("每 15 秒抓取各节点 kubelet 的 /metrics/resource，经 API Server 提供 metrics.k8s.io（kubectl top、HPA 用）",
                   "Scrapes every node's kubelet /metrics/resource every 15 s and serves metrics.k8s.io through the API server (for kubectl top and the HPA)")

    def __init__(self, loop: Any, api: Any, metric_resolution: float = METRIC_RESOLUTION,
                 name: str = "metrics-server"):
        super().__init__(name, loop)
        self.api = api
        self.resolution = float(metric_resolution)
        self.storage = Storage(self.resolution)
        self.scrapes = 0
        #: the last scrape's failures: node -> text (logged as metrics-server's "Failed to scrape node")
        self.errors: dict[str, str] = {}
        self.nodes: Any = None
        self.pods: Any = None
        self._strategies = (NodeMetricsStrategy(self), PodMetricsStrategy(self))

    def on_start(self) -> None:
        client = Client(self.api, user=USER)
        self.nodes = SharedInformer(client, self.loop, "nodes")
        self.pods = SharedInformer(client, self.loop, "pods")
        self.nodes.start()
        self.pods.start()
        self.storage = Storage(self.resolution)   # a restarted server remembers nothing
        for s in self._strategies:
            self.api.registry.register(s)
        self.every(self.resolution, self.scrape, first=0.0)

    def on_stop(self) -> None:
        for s in self._strategies:
            self.api.registry.unregister(s.info)
        for inf in (self.nodes, self.pods):
            if inf is not None:
                inf.stop()

    def scrape(self) -> None:
        """One scrape of every node (pkg/scraper/scraper.go Scrape), stored as one batch."""
        if not self.nodes.has_synced:
            return
        batch = Batch()
        errors: dict[str, str] = {}
        for node in sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"]):
            name = node["metadata"]["name"]
            kubelet = self.api.kubelets.get(name) if self.api.kubelets is not None else None
            if kubelet is None or not kubelet.running or not hasattr(kubelet, "resource_metrics"):
                addr = getattr(kubelet, "address", f"{name}:10250")
                errors[name] = (f'Get "https://{addr}/metrics/resource": dial tcp {addr}: '
                                "connect: connection refused")
                continue
            try:
                decode(name, kubelet.resource_metrics(), batch)
            except Exception as e:  # noqa: BLE001 - one bad node must not stop the scrape
                errors[name] = str(e)
        self.errors = errors
        self.storage.store(batch)
        self.scrapes += 1


__all__ = ["MetricsServer", "METRIC_RESOLUTION"]
