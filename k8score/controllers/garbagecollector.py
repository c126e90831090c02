"""The garbage collector (pkg/controller/garbagecollector), simplified.

Objects name their owners in ``metadata.ownerReferences`` (a Pod its ReplicaSet, a
ReplicaSet its Deployment, a node Lease its Node). The collector keeps a graph
``owner uid -> dependents`` from its informers and, level-triggered, checks a dependent
whenever it or one of its owners changes:

- every owner is gone (absent from the cache and a live GET says 404, or the name now
  belongs to an object with another uid) -> the dependent is deleted with
  ``propagationPolicy: Background`` (its own dependents follow the same way — deleting a
  Deployment removes its ReplicaSets, then their pods, which terminate gracefully);
- only some owners are gone -> the dangling references are removed;
- an owner being deleted with the ``foregroundDeletion`` finalizer -> its dependents are
  deleted first, then the finalizer is removed; with the ``orphan`` finalizer -> the
  dependents' references to it are removed, then the finalizer.

Simplifications (documented for readers): only the resources in :data:`WATCHED` are
tracked (upstream discovers every deletable resource), there is no "virtual node" graph,
and a live GET stands in for upstream's "is the owner really absent" lookup.
"""

from __future__ import annotations

from typing import Any

from ..apiserver import RESOURCES, resolve
from ..client.errors import ApiError
from ..client.meta import key_func, split_key
from ..lang import Text
from .base import Controller

#: Resources whose objects can be owners or dependents here.
WATCHED = ("nodes", "leases", "deployments", "replicasets", "daemonsets", "statefulsets", "controllerrevisions",
           "jobs", "cronjobs", "pods", "endpointslices", "replicationcontrollers",
           "persistentvolumeclaims", "csinodes")

_FOREGROUND = "foregroundDeletion"  # metav1.FinalizerDeleteDependents
_ORPHAN = "orphan"                  # metav1.FinalizerOrphanDependents


class GarbageCollector(Controller):
    name = "garbagecollector"
    kind = "garbage-collector"
    watches = WATCHED
    writes = WATCHED
    summary = Text("属主对象（如 Deployment）被删除后，按 ownerReferences 找到并删除它的从属对象（ReplicaSet、Pod）",
                   "When an owner (e.g. a Deployment) is deleted, finds its dependents (ReplicaSets, Pods) by their ownerReferences and deletes them")
    event_component = "garbage-collector-controller"

    def setup(self) -> None:
        self._uids: dict[str, tuple[str, str]] = {}            # uid -> (resource, key)
        self._dependents: dict[str, dict[tuple[str, str], None]] = {}  # owner uid -> dependents
        self._owners_of: dict[tuple[str, str], list[str]] = {}  # dependent -> owner uids
        self.informers: dict[str, Any] = {}
        served = set(RESOURCES)
        for resource in WATCHED:
            if served and resource not in served:
                continue
            inf = self.informer(resource)
            self.informers[resource] = inf
            inf.add_event_handler(on_add=lambda o, r=resource: self._observe(r, o),
                                  on_update=lambda old, o, r=resource: self._observe(r, o),
                                  on_delete=lambda o, r=resource: self._forget(r, o))

    # -- the graph -----------------------------------------------------------------
    def _observe(self, resource: str, obj: dict) -> None:
        meta = obj.get("metadata") or {}
        item = (resource, key_func(obj))
        if meta.get("uid"):
            self._uids[meta["uid"]] = item
        owners = [ref.get("uid") for ref in meta.get("ownerReferences") or () if ref.get("uid")]
        for uid in self._owners_of.get(item, ()):
            if uid not in owners:
                self._dependents.get(uid, {}).pop(item, None)
        for uid in owners:
            self._dependents.setdefault(uid, {})[item] = None
        self._owners_of[item] = owners
        if owners:
            self.queue.add(item)
        if meta.get("deletionTimestamp") and set(meta.get("finalizers") or ()) & {_FOREGROUND, _ORPHAN}:
            self.queue.add(item)

    def _forget(self, resource: str, obj: dict) -> None:
        meta = obj.get("metadata") or {}
        item = (resource, key_func(obj))
        uid = meta.get("uid")
        if uid and self._uids.get(uid) == item:
            del self._uids[uid]
        for owner in self._owners_of.pop(item, ()):
            self._dependents.get(owner, {}).pop(item, None)
            if owner in self._uids:
                self.queue.add(self._uids[owner])  # it may be waiting for this one (foreground)
        for dep in list(self._dependents.get(uid, {})):
            self.queue.add(dep)  # an owner vanished: check its dependents

    def dependents(self, uid: str) -> list[tuple[str, str]]:
        """``(resource, key)`` of the objects that name ``uid`` as an owner, sorted."""
        return sorted(self._dependents.get(uid, {}))

    # -- sync ---------------------------------------------------------------------------
    def sync(self, item: Any) -> None:
        resource, key = item
        inf = self.informers.get(resource)
        obj = inf.get(key) if inf is not None else None
        if obj is None:
            return
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            finalizers = meta.get("finalizers") or []
            if _ORPHAN in finalizers:
                self._orphan_dependents(obj, resource)
                return
            if _FOREGROUND in finalizers:
                self._delete_dependents_first(obj, resource)
                return
        refs = meta.get("ownerReferences") or []
        if not refs:
            return
        dangling = [ref for ref in refs if not self._owner_exists(ref, meta.get("namespace"))]
        if not dangling:
            return
        ns, name = split_key(key)
        if len(dangling) < len(refs):
            keep = [ref for ref in refs if ref not in dangling]
            self.client.patch(resource, name, {"metadata": {"ownerReferences": keep}}, namespace=ns)
            return
        if meta.get("deletionTimestamp"):
            return  # already on its way out
        try:
            self.client.delete(resource, name, namespace=ns, propagation_policy="Background")
        except ApiError as err:
            if err.code != 404:
                raise

    def _owner_exists(self, ref: dict, namespace: str | None) -> bool:
        try:
            info = resolve(ref.get("kind", ""))
        except ApiError:
            return True  # a kind we do not serve: never collect on a guess
        key = f"{namespace}/{ref.get('name')}" if info.namespaced else ref.get("name")
        inf = self.informers.get(info.plural)
        cached = inf.get(key) if inf is not None else None
        if cached is not None and cached["metadata"].get("uid") == ref.get("uid"):
            return True
        try:  # the cache may lag: ask the API server before deleting anything
            live = self.client.get(info.plural, ref.get("name"), namespace=namespace if info.namespaced else None)
        except ApiError as err:
            if err.code == 404:
                return False
            raise
        return live["metadata"].get("uid") == ref.get("uid")

    def _orphan_dependents(self, owner: dict, resource: str) -> None:
        uid = owner["metadata"]["uid"]
        for dep_resource, dep_key in self.dependents(uid):
            dep = self.informers[dep_resource].get(dep_key)
            if dep is None:
                continue
            keep = [r for r in dep["metadata"].get("ownerReferences") or () if r.get("uid") != uid]
            ns, name = split_key(dep_key)
            self.client.patch(dep_resource, name, {"metadata": {"ownerReferences": keep}}, namespace=ns)
        self._remove_finalizer(owner, resource, _ORPHAN)

    def _delete_dependents_first(self, owner: dict, resource: str) -> None:
        uid = owner["metadata"]["uid"]
        waiting = False
        for dep_resource, dep_key in self.dependents(uid):
            dep = self.informers[dep_resource].get(dep_key)
            if dep is None:
                continue
            refs = [r for r in dep["metadata"].get("ownerReferences") or () if r.get("uid") == uid]
            if not any(r.get("blockOwnerDeletion") for r in refs):
                continue
            waiting = True
            if not dep["metadata"].get("deletionTimestamp"):
                ns, name = split_key(dep_key)
                policy = "Foreground" if self._dependents.get(dep["metadata"].get("uid")) else "Background"
                try:
                    self.client.delete(dep_resource, name, namespace=ns, propagation_policy=policy)
                except ApiError as err:
                    if err.code != 404:
                        raise
        if not waiting:
            self._remove_finalizer(owner, resource, _FOREGROUND)

    def _remove_finalizer(self, obj: dict, resource: str, finalizer: str) -> None:
        meta = obj["metadata"]
        rest = [f for f in meta.get("finalizers") or () if f != finalizer]
        self.client.patch(resource, meta["name"], {"metadata": {"finalizers": rest or None}},
                          namespace=meta.get("namespace"))
