"""The resource table: which kinds this API server serves, and every name kubectl accepts for them.

Upstream each resource is registered by an API group installer (pkg/controlplane, pkg/registry);
discovery then tells kubectl the plural, singular, kind and short names. Here it is one table.

>>> resolve("po").plural, resolve("deploy").group, resolve("Lease").version
('pods', 'apps', 'v1')
>>> resolve("deployments.apps").kind
'Deployment'
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import ApiError


class ResourceInfo(NamedTuple):
    plural: str
    singular: str
    kind: str
    group: str            # "" for the core (legacy) group
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """The apiVersion objects of this resource carry: ``v1`` or ``apps/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """``pods`` or ``deployments.apps`` — how upstream error messages name a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """``Pod`` or ``Deployment.apps`` — how 422 Invalid messages name a kind."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def key(self, name: str, namespace: str | None = None) -> str:
        """etcd key: ``/registry/<plural>/<namespace>/<name>`` (cluster-scoped: no namespace)."""
        if self.namespaced:
            return f"/registry/{self.plural}/{namespace}/{name}"
        return f"/registry/{self.plural}/{name}"

    def prefix(self, namespace: str | None = None) -> str:
        """etcd key prefix for a list/watch (one namespace, or all of them)."""
        if self.namespaced and namespace:
            return f"/registry/{self.plural}/{namespace}/"
        return f"/registry/{self.plural}/"


_TABLE = (
    # plural, singular, kind, group, version, namespaced, short names (kubectl api-resources)
    ResourceInfo("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",)),
    ResourceInfo("nodes", "node", "Node", "", "v1", False, ("no",)),
    ResourceInfo("pods", "pod", "Pod", "", "v1", True, ("po",)),
    ResourceInfo("services", "service", "Service", "", "v1", True, ("svc",)),
    ResourceInfo("endpoints", "endpoints", "Endpoints", "", "v1", True, ("ep",)),
    ResourceInfo("configmaps", "configmap", "ConfigMap", "", "v1", True, ("cm",)),
    ResourceInfo("serviceaccounts", "serviceaccount", "ServiceAccount", "", "v1", True, ("sa",)),
    ResourceInfo("events", "event", "Event", "", "v1", True, ("ev",)),
    ResourceInfo("leases", "lease", "Lease", "coordination.k8s.io", "v1", True, ()),
    ResourceInfo("deployments", "deployment", "Deployment", "apps", "v1", True, ("deploy",)),
    ResourceInfo("replicasets", "replicaset", "ReplicaSet", "apps", "v1", True, ("rs",)),
    ResourceInfo("priorityclasses", "priorityclass", "PriorityClass", "scheduling.k8s.io", "v1", False,
                 ("pc",)),
)

#: plural -> ResourceInfo, in a stable order (the order above).
RESOURCES: dict[str, ResourceInfo] = {info.plural: info for info in _TABLE}


def _spellings() -> dict[str, ResourceInfo]:
    names: dict[str, ResourceInfo] = {}
    for info in _TABLE:
        bare = (info.plural, info.singular, info.kind.lower(), *info.short_names)
        for n in bare:
            names[n] = info
            if info.group:
                # kubectl also accepts fully qualified forms: deployments.apps, deploy.v1.apps
                names[f"{n}.{info.group}"] = info
                names[f"{n}.{info.version}.{info.group}"] = info
            else:
                names[f"{n}.{info.version}"] = info
    return names


_SPELLINGS = _spellings()


def resolve(name: str) -> ResourceInfo:
    """Map any spelling kubectl accepts (``po``, ``Pod``, ``pods``, ``deploy``,
    ``deployments.apps``...) to its ResourceInfo; unknown names raise ApiError 404."""
    info = _SPELLINGS.get(name)
    if info is None:
        info = _SPELLINGS.get(name.lower()) if isinstance(name, str) else None
        if info is None:
            raise ApiError.not_found_resource(name)
    return info


def by_kind(api_version: str, kind: str) -> ResourceInfo | None:
    """The resource serving objects of ``apiVersion``/``kind`` (None if not served)."""
    for info in _TABLE:
        if info.kind == kind and info.api_version == api_version:
            return info
    return None
