"""metrics-server and the ``metrics.k8s.io`` resource metrics API (``kubectl top``, the HPA).

>>> from k8score import Cluster                                   # doctest: +SKIP
>>> c = Cluster(nodes=1); ms = install(c); c.run(30)              # doctest: +SKIP
>>> print(c.kubectl("top nodes"))                                 # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from .server import METRIC_RESOLUTION, MetricsServer

NAMESPACE = "kube-system"

#: the addon's RBAC (metrics-server manifests/base/rbac.yaml)
_OBJECTS = (
    ("serviceaccounts", NAMESPACE, {"apiVersion": "v1", "kind": "ServiceAccount",
                                    "metadata": {"name": "metrics-server", "namespace": NAMESPACE,
                                                 "labels": {"k8s-app": "metrics-server"}}}),
    ("clusterroles", None, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "system:aggregated-metrics-reader",
                     "labels": {"k8s-app": "metrics-server",
                                "rbac.authorization.k8s.io/aggregate-to-admin": "true",
                                "rbac.authorization.k8s.io/aggregate-to-edit": "true",
                                "rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"],
                   "verbs": ["get", "list", "watch"]}]}),
    ("clusterroles", None, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "system:metrics-server", "labels": {"k8s-app": "metrics-server"}},
        "rules": [{"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
                  {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]}]}),
    ("clusterrolebindings", None, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "system:metrics-server", "labels": {"k8s-app": "metrics-server"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:metrics-server"},
        "subjects": [{"kind": "ServiceAccount", "name": "metrics-server", "namespace": NAMESPACE}]}),
)


def install(cluster: Any, metric_resolution: float = METRIC_RESOLUTION) -> MetricsServer:
    """Install the metrics-server addon on ``cluster``: its RBAC objects, then the component
    (``c.component("metrics-server")``; ``c.stop("metrics-server")`` takes the API away)."""
    from ..api.errors import ApiError
    running = cluster._components.get("metrics-server")  # noqa: SLF001 - already installed
    if running is not None:
        return running
    for resource, ns, body in _OBJECTS:
        try:
            cluster.api.create(resource, body, namespace=ns)
        except ApiError as e:
            if e.code != 409:
                raise
    server = MetricsServer(cluster.loop, cluster.apiserver, metric_resolution)
    cluster._components[server.name] = server   # noqa: SLF001 - an addon joins the components
    server.start()
    return server


__all__ = ["MetricsServer", "install", "METRIC_RESOLUTION"]
