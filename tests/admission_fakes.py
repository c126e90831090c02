"""Test doubles for admission plugins: a dict-backed lister and a recording loopback.

Shared by tests/test_admission_*.py (not a test module itself).
"""

from __future__ import annotations

import copy
import random

import yaml

from k8score.api.errors import ApiError
from k8score.api.resources import ResourceInfo
from k8score.apiserver.request import APISERVER, AdmissionAttributes, PluginContext
from k8score.sim.clock import rfc3339

# kinds the resource table may not serve yet: the plugins only read .plural/.kind/.group
INFO = {
    "pods": ResourceInfo("pods", "pod", "Pod", "", "v1", True, ("po",)),
    "nodes": ResourceInfo("nodes", "node", "Node", "", "v1", False, ("no",)),
    "namespaces": ResourceInfo("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",)),
    "services": ResourceInfo("services", "service", "Service", "", "v1", True, ("svc",)),
    "configmaps": ResourceInfo("configmaps", "configmap", "ConfigMap", "", "v1", True, ("cm",)),
    "events": ResourceInfo("events", "event", "Event", "", "v1", True, ("ev",)),
    "deployments": ResourceInfo("deployments", "deployment", "Deployment", "apps", "v1", True, ("deploy",)),
    "persistentvolumeclaims": ResourceInfo("persistentvolumeclaims", "persistentvolumeclaim",
                                           "PersistentVolumeClaim", "", "v1", True, ("pvc",)),
    "resourcequotas": ResourceInfo("resourcequotas", "resourcequota", "ResourceQuota", "", "v1", True,
                                   ("quota",)),
}


class DictLister:
    """``objects[(resource, namespace)][name] = obj``; cluster-scoped use namespace None."""

    def __init__(self) -> None:
        self.objects: dict[tuple, dict[str, dict]] = {}

    def put(self, resource: str, obj: dict | str) -> dict:
        if isinstance(obj, str):
            obj = yaml.safe_load(obj)
        meta = obj.setdefault("metadata", {})
        self.objects.setdefault((resource, meta.get("namespace")), {})[meta["name"]] = obj
        return obj

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        return self.objects.get((resource, namespace), {}).get(name)

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        if namespace is None:
            return [o for (r, _), objs in self.objects.items() if r == resource for o in objs.values()]
        return list(self.objects.get((resource, namespace), {}).values())


class Loopback:
    """Records each loopback request; an ``update`` of ``resourcequotas/status`` is applied
    to the lister as a compare-and-swap (409 on a stale resourceVersion)."""

    def __init__(self, lister: DictLister, conflicts: int = 0):
        self.lister = lister
        self.requests: list = []
        self.conflicts = conflicts   # answer this many updates with 409 first
        self.storage: dict[tuple, dict] = {}   # what etcd holds; the lister may lag behind it

    def __call__(self, req):
        self.requests.append(copy.deepcopy(req))
        if self.conflicts:
            self.conflicts -= 1
            raise ApiError.conflict("resourcequotas", req.name, "the object has been modified; please "
                                    "apply your changes to the latest version and try again")
        key = (req.resource, req.namespace, req.name)
        stored = self.storage.get(key) or self.lister.get(req.resource, req.name, req.namespace)
        if stored["metadata"]["resourceVersion"] != req.body["metadata"]["resourceVersion"]:
            raise ApiError.stale("resourcequotas", req.name)
        new = copy.deepcopy(stored)
        new["status"] = copy.deepcopy(req.body["status"])
        new["metadata"]["resourceVersion"] = str(int(stored["metadata"]["resourceVersion"]) + 1)
        self.storage[key] = new
        self.lister.put(req.resource, copy.deepcopy(new))
        return new


def context(lister: DictLister, loopback=None, now: float = 100.0) -> PluginContext:
    return PluginContext(lister=lister, now=lambda: now, timestamp=lambda offset=0.0: rfc3339(now + offset),
                         rng=random.Random(0), loopback=loopback or Loopback(lister))


def attrs(resource: str, obj: dict | str | None, operation: str = "CREATE", namespace: str | None = "default",
          old: dict | None = None, name: str | None = None, dry_run: bool = False,
          subresource: str | None = None) -> AdmissionAttributes:
    if isinstance(obj, str):
        obj = yaml.safe_load(obj)
    if name is None and isinstance(obj, dict):
        name = (obj.get("metadata") or {}).get("name")
    return AdmissionAttributes(operation=operation, info=INFO[resource], namespace=namespace, name=name,
                               obj=obj, old=old, user=APISERVER, subresource=subresource, dry_run=dry_run)
