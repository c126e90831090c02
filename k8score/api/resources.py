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


_TABLE = (
    # plural, singular, kind, group, version, namespaced, short names (kubectl api-resources)
    ResourceInfo("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",)),
    ResourceInfo("nodes", "node", "Node", "", "v1", False, ("no",)),
    ResourceInfo("pods", "pod", "Pod", "", "v1", True, ("po",)),
    ResourceInfo("services", "service", "Service", "", "v1", True, ("svc",)),
    ResourceInfo("endpoints", "endpoints", "Endpoints", "", "v1", True, ("ep",)),
    ResourceInfo("configmaps", "configmap", "ConfigMap", "", "v1", True, ("cm",)),
    ResourceInfo("secrets", "secret", "Secret", "", "v1", True, ()),
    ResourceInfo("serviceaccounts", "serviceaccount", "ServiceAccount", "", "v1", True, ("sa",)),
    ResourceInfo("events", "event", "Event", "", "v1", True, ("ev",)),
    ResourceInfo("limitranges", "limitrange", "LimitRange", "", "v1", True, ("limits",)),
    ResourceInfo("resourcequotas", "resourcequota", "ResourceQuota", "", "v1", True, ("quota",)),
    ResourceInfo("persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", "", "v1",
                 True, ("pvc",)),
    ResourceInfo("leases", "lease", "Lease", "coordination.k8s.io", "v1", True, ()),
    ResourceInfo("endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", "v1", True, ()),
    ResourceInfo("deployments", "deployment", "Deployment", "apps", "v1", True, ("deploy",)),
    ResourceInfo("replicasets", "replicaset", "ReplicaSet", "apps", "v1", True, ("rs",)),
    # pkg/registry/core/replicationcontroller (kubectl short name rc)
    ResourceInfo("replicationcontrollers", "replicationcontroller", "ReplicationController", "", "v1", True,
                 ("rc",)),
    ResourceInfo("daemonsets", "daemonset", "DaemonSet", "apps", "v1", True, ("ds",)),
    ResourceInfo("statefulsets", "statefulset", "StatefulSet", "apps", "v1", True, ("sts",)),
    ResourceInfo("jobs", "job", "Job", "batch", "v1", True, ()),
    ResourceInfo("cronjobs", "cronjob", "CronJob", "batch", "v1", True, ("cj",)),
    # pkg/registry/policy/poddisruptionbudget (kubectl short name pdb)
    ResourceInfo("poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", "policy", "v1", True,
                 ("pdb",)),
    # pkg/registry/autoscaling/horizontalpodautoscaler (kubectl short name hpa; served at v2)
    ResourceInfo("horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", "autoscaling",
                 "v2", True, ("hpa",)),
    ResourceInfo("controllerrevisions", "controllerrevision", "ControllerRevision", "apps", "v1", True, ()),
    ResourceInfo("priorityclasses", "priorityclass", "PriorityClass", "scheduling.k8s.io", "v1", False,
                 ("pc",)),
    ResourceInfo("storageclasses", "storageclass", "StorageClass", "storage.k8s.io", "v1", False, ("sc",)),
    # pkg/registry/core/persistentvolume; pkg/registry/storage/{volumeattachment,csidriver,csinode}
    ResourceInfo("persistentvolumes", "persistentvolume", "PersistentVolume", "", "v1", False, ("pv",)),
    ResourceInfo("volumeattachments", "volumeattachment", "VolumeAttachment", "storage.k8s.io", "v1", False, ()),
    ResourceInfo("csidrivers", "csidriver", "CSIDriver", "storage.k8s.io", "v1", False, ()),
    ResourceInfo("csinodes", "csinode", "CSINode", "storage.k8s.io", "v1", False, ()),
    ResourceInfo("roles", "role", "Role", "rbac.authorization.k8s.io", "v1", True, ()),
    ResourceInfo("rolebindings", "rolebinding", "RoleBinding", "rbac.authorization.k8s.io", "v1", True, ()),
    ResourceInfo("clusterroles", "clusterrole", "ClusterRole", "rbac.authorization.k8s.io", "v1", False, ()),
    ResourceInfo("clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding",
                 "rbac.authorization.k8s.io", "v1", False, ()),
    ResourceInfo("mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
                 "MutatingWebhookConfiguration", "admissionregistration.k8s.io", "v1", False, ()),
    ResourceInfo("validatingwebhookconfigurations", "validatingwebhookconfiguration",
                 "ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "v1", False, ()),
    ResourceInfo("customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition",
                 "apiextensions.k8s.io", "v1", False, ("crd", "crds")),
    ResourceInfo("tokenreviews", "tokenreview", "TokenReview", "authentication.k8s.io", "v1", False, ()),
    ResourceInfo("selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", "authentication.k8s.io",
                 "v1", False, ()),
    ResourceInfo("subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview",
                 "authorization.k8s.io", "v1", False, ()),
    ResourceInfo("selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview",
                 "authorization.k8s.io", "v1", False, ()),
    ResourceInfo("selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview",
                 "authorization.k8s.io", "v1", True, ()),
    ResourceInfo("localsubjectaccessreviews", "localsubjectaccessreview", "LocalSubjectAccessReview",
                 "authorization.k8s.io", "v1", True, ()),
    # pkg/registry/networking/{ingress,ingressclass} (kubectl short name ing)
    ResourceInfo("ingresses", "ingress", "Ingress", "networking.k8s.io", "v1", True, ("ing",)),
    ResourceInfo("ingressclasses", "ingressclass", "IngressClass", "networking.k8s.io", "v1", False, ()),
)

#: plural -> ResourceInfo of every built-in resource, in a stable order (the order above).
BUILTIN: dict[str, ResourceInfo] = {info.plural: info for info in _TABLE}
RESOURCES = BUILTIN


class ResourceTable:
    """The resources one API server serves: the built-ins plus CustomResourceDefinitions.

    Resolves every spelling kubectl accepts (``po``, ``Pod``, ``pods``, ``deploy``,
    ``deployments.apps``, ``deploy.v1.apps``) to a :class:`ResourceInfo`.
    """

    def __init__(self, infos=()):
        self._by_plural: dict[str, ResourceInfo] = {}
        self._names: dict[str, ResourceInfo] = {}
        for info in infos:
            self.add(info)

    def add(self, info: ResourceInfo) -> None:
        key = info.group_resource
        self._by_plural[key] = info
        self._rebuild()

    def remove(self, group_resource: str) -> None:
        self._by_plural.pop(group_resource, None)
        self._rebuild()

    def _rebuild(self) -> None:
        names: dict[str, ResourceInfo] = {}
        for info in self._by_plural.values():
            bare = (info.plural, info.singular, info.kind.lower(), *info.short_names)
            for n in bare:
                # a built-in keeps its bare names when a custom resource reuses them
                names.setdefault(n, info)
                if info.group:
                    names[f"{n}.{info.group}"] = info
                    names[f"{n}.{info.version}.{info.group}"] = info
                else:
                    names[f"{n}.{info.version}"] = info
        self._names = names

    def __iter__(self):
        return iter(self._by_plural.values())

    def get(self, group_resource: str) -> ResourceInfo | None:
        """By ``plural`` (core) or ``plural.group``."""
        return self._by_plural.get(group_resource)

    def resolve(self, name: str) -> ResourceInfo:
        """Any spelling -> ResourceInfo; unknown names raise ApiError 404."""
        info = self._names.get(name)
        if info is None:
            info = self._names.get(name.lower()) if isinstance(name, str) else None
            if info is None:
                raise ApiError.not_found_resource(name)
        return info

    def by_kind(self, api_version: str, kind: str) -> ResourceInfo | None:
        for info in self._by_plural.values():
            if info.kind == kind and info.api_version == api_version:
                return info
        return None


_DEFAULT = ResourceTable(_TABLE)


def resolve(name: str) -> ResourceInfo:
    """Resolve against the built-in resources (see :class:`ResourceTable`)."""
    return _DEFAULT.resolve(name)


def by_kind(api_version: str, kind: str) -> ResourceInfo | None:
    """The built-in resource serving objects of ``apiVersion``/``kind`` (None if not served)."""
    return _DEFAULT.by_kind(api_version, kind)


#: the verbs discovery lists for a resource whose storage implements every REST interface
#: (apiserver/pkg/endpoints/installer.go: one verb per interface the storage implements)
VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
#: resources whose storage implements fewer (group_resource -> verbs, as discovery lists them)
_FEWER_VERBS: dict[str, tuple[str, ...]] = {
    # pkg/registry/core/namespace/storage/storage.go: REST has no DeleteCollection
    "namespaces": ("create", "delete", "get", "list", "patch", "update", "watch"),
    # pkg/registry/authentication/{tokenreview,selfsubjectreview}, pkg/registry/authorization/*:
    # rest.Creater only (answered, never stored)
    "tokenreviews.authentication.k8s.io": ("create",),
    "selfsubjectreviews.authentication.k8s.io": ("create",),
    "subjectaccessreviews.authorization.k8s.io": ("create",),
    "selfsubjectaccessreviews.authorization.k8s.io": ("create",),
    "selfsubjectrulesreviews.authorization.k8s.io": ("create",),
    "localsubjectaccessreviews.authorization.k8s.io": ("create",),
    # metrics-server pkg/api (NodeMetrics, PodMetrics): Getter + Lister only
    "nodes.metrics.k8s.io": ("get", "list"),
    "pods.metrics.k8s.io": ("get", "list"),
}


def verbs(info: ResourceInfo) -> tuple[str, ...]:
    """The verbs discovery (``/api``, ``/apis``, aggregated v2) lists for ``info``.

    >>> verbs(resolve("tokenreviews")), len(verbs(resolve("pods"))), "deletecollection" in verbs(resolve("ns"))
    (('create',), 8, False)
    """
    return _FEWER_VERBS.get(info.group_resource, VERBS)
