"""The replication controller (pkg/controller/replication/replication_controller.go, conversion.go).

Upstream does not keep a second copy of the ReplicaSet logic: ``NewReplicationManager`` runs the
ReplicaSet controller's code over ReplicationControllers through adapters that convert each RC
to a ReplicaSet on the way in (``informerAdapter`` / ``listerAdapter``) and back on the way out
(``clientsetAdapter``). Here likewise :class:`ReplicationManager` *is* the
:class:`~k8score.controllers.replicaset.ReplicaSetController` with

- an informer adapter whose objects carry ``spec.selector`` as ``{"matchLabels": <map>}``
  (an RC selector is an equality-only map: ``conversion.go`` Convert_v1_ReplicationControllerSpec_
  To_apps_ReplicaSetSpec);
- a client adapter that turns such a selector back into a map when the RC is written (status);
- ``kind``/``apiVersion`` untouched, so the pods it creates are owned by ``v1``
  ``ReplicationController`` and its events (``SuccessfulCreate``, ``SuccessfulDelete``) name the
  RC, from the ``replication-controller`` component.

Everything else — slow-start batches, burst 500, expectations, adoption and release, status —
is the ReplicaSet controller's.
"""

from __future__ import annotations

from typing import Any, Callable

from ..lang import Text
from .replicaset import ReplicaSetController

_RESOURCE = "replicationcontrollers"


def as_replicaset(rc: dict) -> dict:
    """The RC as the ReplicaSet code reads it: only the selector changes shape."""
    spec = rc.get("spec")
    if not isinstance(spec, dict):
        return rc
    sel = spec.get("selector")
    return {**rc, "spec": {**spec, "selector": {"matchLabels": dict(sel)} if isinstance(sel, dict) else None}}


def as_rc(obj: dict) -> dict:
    """Back to a ReplicationController body (the selector a map again)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("selector"), dict) \
            or set(spec["selector"]) - {"matchLabels"}:
        return obj
    return {**obj, "spec": {**spec, "selector": spec["selector"].get("matchLabels")}}


class _InformerAdapter:
    """conversion.go informerAdapter + listerAdapter over the shared RC informer."""

    def __init__(self, informer: Any):
        self._informer = informer

    def get(self, key: str) -> dict | None:
        rc = self._informer.get(key)
        return as_replicaset(rc) if rc is not None else None

    def list(self, namespace: str | None = None) -> list[dict]:
        return [as_replicaset(rc) for rc in self._informer.list(namespace)]

    def add_indexer(self, name: str, fn: Callable[[dict], list[str]]) -> None:
        self._informer.add_indexer(name, lambda rc: fn(as_replicaset(rc)))

    def by_index(self, name: str, value: str) -> list[dict]:
        return [as_replicaset(rc) for rc in self._informer.by_index(name, value)]

    def add_event_handler(self, on_add: Callable | None = None, on_update: Callable | None = None,
                          on_delete: Callable | None = None) -> None:
        self._informer.add_event_handler(
            on_add=(lambda o: on_add(as_replicaset(o))) if on_add else None,
            on_update=(lambda old, new: on_update(as_replicaset(old), as_replicaset(new))) if on_update else None,
            on_delete=(lambda o: on_delete(as_replicaset(o))) if on_delete else None)

    @property
    def has_synced(self) -> bool:
        return self._informer.has_synced

    def __getattr__(self, name: str) -> Any:
        # add_indexer (indexers read metadata, the same in both shapes), keys, ...
        return getattr(self._informer, name)


class _ClientAdapter:
    """conversion.go clientsetAdapter: RC reads come back converted, RC writes go out as RCs;
    every other call passes through."""

    def __init__(self, client: Any):
        self._client = client

    def get(self, resource: str, name: str, namespace: str | None = None, **kw: Any) -> dict:
        obj = self._client.get(resource, name, namespace=namespace, **kw)
        return as_replicaset(obj) if resource == _RESOURCE else obj

    def update(self, resource: str, body: dict, namespace: str | None = None, **kw: Any) -> dict:
        if resource == _RESOURCE:
            return as_replicaset(self._client.update(resource, as_rc(body), namespace=namespace, **kw))
        return self._client.update(resource, body, namespace=namespace, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class ReplicationManager(ReplicaSetController):
    name = "replicationcontroller"
    kind = "replication-controller"
    watches = (_RESOURCE, "pods")
    writes = ("pods", "replicationcontrollers/status", "events")
    summary = Text("ReplicaSet 的前身：让每个 ReplicationController 的 Pod 数量等于 spec.replicas（复用 ReplicaSet 控制器的代码）",
                   "The ReplicaSet's predecessor: keeps each ReplicationController's number of Pods equal to spec.replicas (reusing the ReplicaSet controller's code)")
    event_component = "replication-controller"
    resource = _RESOURCE
    owner_kind = "ReplicationController"

    def __init__(self, host: Any, client: Any, factory: Any):
        super().__init__(host, _ClientAdapter(client), factory)

    def informer(self, resource: str, **kw: Any) -> Any:
        inf = super().informer(resource, **kw)
        return _InformerAdapter(inf) if resource == _RESOURCE else inf
