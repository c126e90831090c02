"""A resource's strategy: everything the generic store needs to know about one kind.

Upstream each resource's REST storage is the one generic ``registry.Store``
(k8s.io/apiserver/pkg/registry/generic/registry/store.go) configured with a strategy
(pkg/registry/<group>/<resource>/strategy.go): ``PrepareForCreate``, ``Validate``,
``PrepareForUpdate``, ``ValidateUpdate``, ``Canonicalize``, ``AllowCreateOnUpdate``,
``CheckGracefulDelete``, ``GetAttrs`` (selectable fields) and a key function. k8score keeps
that split: the store (store.py) has no resource-specific branch; a resource is a
:class:`Strategy` subclass registered in :mod:`k8score.apiserver.registry` — one place.

Hooks a strategy may override (all optional):

- ``default(obj)``            versioned defaulting (``SetDefaults_*``), before admission;
- ``prepare_for_create(obj)`` reset what a client may not set (status, generation);
- ``prepare_for_update(new, old)``  keep status on the main resource, bump generation;
- ``validate(obj)`` / ``validate_update(new, old)``  field errors -> 422 Invalid;
- ``on_create(api, obj)`` -> undo | None  allocate (Service ClusterIP / NodePort);
  ``on_update(api, new, old)`` -> undo | None; ``on_delete(api, obj)`` release;
- ``check_delete(obj)``        refuse a delete (raise ApiError), e.g. built-in PriorityClasses;
- ``keeps_on_update(obj)``     an update emptying a deleted object's finalizers keeps it (namespaces);
- ``grace_period(obj, requested)``  graceful deletion (pods: terminationGracePeriodSeconds);
- ``subresources``             extra subresources: name -> handler(api, request, info) -> object.
"""

from __future__ import annotations

from ..jsonutil import copy_json
from typing import Any, Callable

from ...api.field import FieldError
from ...api.resources import ResourceInfo
from ..validation import meta as meta_validation
from ..validation.names import is_dns1123_subdomain

# ObjectMeta fields only the server sets; an update keeps the stored values (rest.BeforeUpdate,
# FillObjectMetaSystemFields / objectMetaUpdate)
SYSTEM_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
               "generation")


class Strategy:
    """Defaults for a resource without special rules; subclasses override what differs."""

    #: the served resource (plural, kind, group, version, scope, short names)
    info: ResourceInfo
    #: the etcd key root under /registry (upstream ``SpecialDefaultResourcePrefixes``:
    #: nodes -> "minions", services -> "services/specs", endpoints -> "services/endpoints")
    key_root: str = ""
    #: has a /status subresource: the main resource ignores status, /status ignores the rest
    status_subresource: bool = False
    #: metadata.generation counts spec changes
    tracks_generation: bool = False
    #: objects expire: written with an etcd lease of this many seconds (events: --event-ttl 1h)
    ttl: int = 0
    #: selectable fields besides metadata.name / metadata.namespace (GetAttrs)
    field_labels: tuple[str, ...] = ()
    #: watch-cache indexes: index name -> fn(obj) -> value | None (pods by spec.nodeName)
    indexers: dict[str, Callable[[dict], Any]] = {}
    #: status a newly created object starts with (None: the body's status is kept, as
    #: upstream's node strategy does — "Nodes allow *all* fields, including status, to be set
    #: on create")
    initial_status: dict | None = None
    #: PUT of a missing object creates it (AllowCreateOnUpdate)
    allow_create_on_update: bool = False
    #: subresource name -> handler(api, request, info) returning an object
    subresources: dict[str, Callable[..., Any]] = {}
    #: the resource's own validation (pkg/apis/<group>/validation), ``staticmethod(fn)`` with
    #: fn(obj) -> field errors; run after the ObjectMeta checks
    rules: Callable[[dict], list[FieldError]] | None = None
    #: its update-only rules (immutable fields...): fn(new, old) -> field errors
    update_rules: Callable[[dict, dict], list[FieldError]] | None = None

    def __init__(self) -> None:
        if not self.key_root:
            self.key_root = self.info.plural

    # -- keys ------------------------------------------------------------------
    def key(self, name: str, namespace: str | None = None) -> str:
        """etcd key: ``/registry/<root>/<namespace>/<name>`` (cluster-scoped: no namespace)."""
        if self.info.namespaced:
            return f"/registry/{self.key_root}/{namespace}/{name}"
        return f"/registry/{self.key_root}/{name}"

    def prefix(self, namespace: str | None = None) -> str:
        """etcd key prefix for a list/watch (one namespace, or all of them)."""
        if self.info.namespaced and namespace:
            return f"/registry/{self.key_root}/{namespace}/"
        return f"/registry/{self.key_root}/"

    # -- names -----------------------------------------------------------------
    def name_errors(self, name: str) -> list[str]:
        """ValidateNameFunc of this resource (most: a DNS-1123 subdomain)."""
        return is_dns1123_subdomain(name)

    # -- create ----------------------------------------------------------------
    def default(self, obj: dict) -> Any:
        """Versioned defaulting; may return an extra value used by prepare_for_create."""
        return None

    def prepare_for_create(self, obj: dict, extra: Any = None) -> None:
        meta = obj["metadata"]
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
            meta.pop(key, None)
        if self.tracks_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if self.initial_status is not None:
            obj["status"] = copy_json(self.initial_status)

    def validate(self, obj: dict) -> list[FieldError]:
        errs = self._meta_errors(obj)
        return errs + self.rules(obj) if self.rules is not None else errs

    def _meta_errors(self, obj: dict) -> list[FieldError]:
        return meta_validation.object_meta(obj.get("metadata") or {}, self.info.namespaced,
                                           self.name_errors)

    # -- update ----------------------------------------------------------------
    def prepare_for_update(self, new: dict, old: dict) -> None:
        meta, old_meta = new["metadata"], old["metadata"]
        for key in SYSTEM_META:
            if key == "uid" and meta.get("uid"):
                continue  # a different uid is reported by validation (field is immutable)
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        if self.status_subresource:
            if "status" in old:
                new["status"] = copy_json(old["status"])
            else:
                new.pop("status", None)
        if self.tracks_generation and new.get("spec") != old.get("spec"):
            meta["generation"] = old_meta.get("generation", 0) + 1

    def prepare_for_status_update(self, new: dict, old: dict) -> dict:
        """The status strategy: everything but status comes from the stored object.

        ``old`` is read-only (it may be the watch cache's). The result is a private copy of
        it but for two values it does not copy: ``status`` (``new``'s replaces it) and
        ``metadata.managedFields``, held by reference — field tracking replaces it, and
        :meth:`Store.update <k8score.apiserver.registry.store.Store.update>` copies it
        before the object leaves if it did not. Keys keep ``old``'s order."""
        meta = old["metadata"]
        fields = meta.get("managedFields")
        rest = {k: v for k, v in old.items() if k != "status" and k != "metadata"}
        rest["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
        copied = copy_json(rest)   # one C round trip for all of it
        out_meta = copied["metadata"]
        if "managedFields" in meta:
            out_meta = {k: fields if k == "managedFields" else out_meta[k] for k in meta}
        out = {}
        for k in old:
            if k == "metadata":
                out[k] = out_meta
            elif k != "status":
                out[k] = copied[k]
            elif "status" in new:
                out[k] = new["status"]
        if "status" in new and "status" not in old:
            out["status"] = new["status"]
        out_meta["resourceVersion"] = new["metadata"].get("resourceVersion")
        return out

    def validate_update(self, new: dict, old: dict) -> list[FieldError]:
        errs = meta_validation.object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
        errs += self.validate(new)
        return errs + self.update_rules(new, old) if self.update_rules is not None else errs

    # -- allocation and deletion -----------------------------------------------------
    def on_create(self, api: Any, obj: dict) -> Callable[[], None] | None:
        return None

    def on_update(self, api: Any, new: dict, old: dict) -> Callable[[], None] | None:
        return None

    def on_delete(self, api: Any, obj: dict) -> None:
        return None

    def check_delete(self, obj: dict) -> None:
        return None

    def delete_key(self, api: Any, obj: dict, rev: int) -> int | None:
        """Remove the stored object if etcd still holds ``rev``; the deletion's revision."""
        meta = obj["metadata"]
        return api.storage.delete(self.key(meta["name"], meta.get("namespace")), rev)

    def keeps_on_update(self, obj: dict) -> bool:
        """An update emptying the finalizers of a deleted object does not remove it
        (namespaces: while ``spec.finalizers`` remain, ShouldDeleteNamespaceDuringUpdate)."""
        return False

    def mark_deleting(self, obj: dict) -> None:
        """Change what marking for deletion changes besides the metadata (namespaces: phase)."""
        return None

    def grace_period(self, obj: dict, requested: int | None) -> int:
        """CheckGracefulDelete: seconds the object stays marked before it is removed."""
        return 0

    # -- selectable fields --------------------------------------------------------------
    def supports_field(self, field: str) -> bool:
        return field in ("metadata.name", "metadata.namespace") or field in self.field_labels

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.info.group_resource}>"


# Discovery of subresources (pkg/registry/core/pod/storage/storage.go, rest/log.go, subresources.go:
# pods/binding creates a Binding, pods/log gets a Pod log stream, pods/exec connects with
# PodExecOptions; serviceaccounts/token creates a TokenRequest; status and scale read and write the
# parent's kind): (kind, group, version, verbs).
_SUBRESOURCE_KINDS = {
    "binding": ("Binding", "", "v1", ("create",)),
    "log": ("Pod", "", "v1", ("get",)),
    "exec": ("PodExecOptions", "", "v1", ("create", "get")),
    "token": ("TokenRequest", "authentication.k8s.io", "v1", ("create",)),
    "eviction": ("Eviction", "policy", "v1", ("create",)),  # pod/storage/eviction.go EvictionREST
    "scale": ("Scale", "autoscaling", "v1", ("get", "patch", "update")),
    "finalize": ("Namespace", "", "v1", ("update",)),  # namespace/storage/storage.go FinalizeREST
}


def subresource_discovery(strategy: "Strategy") -> list[tuple[str, dict, list[str]]]:
    """``[(subresource, responseKind, verbs)]`` for discovery documents, status first."""
    info = strategy.info
    own = {"group": info.group, "version": info.version, "kind": info.kind}
    subs = (["status"] if strategy.status_subresource else []) + sorted(strategy.subresources)
    out = []
    for s in subs:
        spec = _SUBRESOURCE_KINDS.get(s)
        if spec is None:
            out.append((s, own, ["get", "patch", "update"]))
        else:
            kind, group, version, verbs = spec
            out.append((s, {"group": group, "version": version, "kind": kind}, list(verbs)))
    return out
