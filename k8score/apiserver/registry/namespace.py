"""The Namespace strategy and its REST rules (pkg/registry/core/namespace/strategy.go,
pkg/registry/core/namespace/storage/storage.go).

A namespace is not removed by its first DELETE. Upstream's namespace REST overrides Delete:

- the first DELETE only marks it — ``metadata.deletionTimestamp`` set and ``status.phase``
  ``Terminating`` — and answers with the marked object (``kubectl`` still prints
  ``namespace "x" deleted``);
- while ``spec.finalizers`` is not empty a further DELETE is 409 ``The system is ensuring all
  content is removed from this namespace.  Upon completion, this namespace will automatically
  be purged by the system.``;
- the namespace controller empties the namespace, then removes its ``kubernetes`` token through
  the ``namespaces/finalize`` subresource; that update, leaving no ``spec.finalizers`` and no
  ``metadata.finalizers`` on a namespace being deleted, removes it
  (``ShouldDeleteNamespaceDuringUpdate``).

``spec.finalizers`` changes only through ``/finalize``; ``status`` only through ``/status``.
"""

from __future__ import annotations

from typing import Any

from ...api.errors import ApiError
from ...api.field import FieldError, invalid
from ...api.resources import BUILTIN
from .. import defaults
from ..jsonutil import copy_json
from ..storage import encode
from ..validation.names import is_dns1123_label, is_label_key as is_qualified_name
from .store import decode_body, parse_rv
from .strategy import Strategy

#: v1.FinalizerKubernetes: the token the namespace controller owns
FINALIZER_KUBERNETES = "kubernetes"
# storage.go REST.Delete: a second delete before the content is gone
_PURGE_PENDING = ("The system is ensuring all content is removed from this namespace.  Upon completion, "
                  "this namespace will automatically be purged by the system.")


def finalizer_errors(finalizers: Any, path: str = "spec.finalizers") -> list[FieldError]:
    """validation.go validateFinalizerName: ``kubernetes`` or a fully qualified name."""
    errs: list[FieldError] = []
    if finalizers is None:
        return errs
    if not isinstance(finalizers, list):
        return [invalid(path, finalizers, "must be a list")]
    for i, f in enumerate(finalizers):
        if not isinstance(f, str):
            errs.append(invalid(f"{path}[{i}]", f, "must be a string"))
            continue
        for msg in is_qualified_name(f):
            errs.append(invalid(f"{path}[{i}]", f, msg))
        if not errs and "/" not in f and f != FINALIZER_KUBERNETES:
            errs.append(invalid(f"{path}[{i}]", f, "name is neither a standard finalizer name nor is it "
                                "fully qualified"))
    return errs


def _spec_finalizers(ns: dict) -> list:
    return list((ns.get("spec") or {}).get("finalizers") or [])


def finalize(api: Any, rc: Any) -> dict:
    """``PUT namespaces/<name>/finalize`` (FinalizeREST): the body's ``spec.finalizers``
    replace the stored ones; status is kept (finalizeNamespaceStrategy.PrepareForUpdate)."""
    if rc.req.verb != "update":
        raise ApiError.method_not_allowed("namespaces/finalize", rc.req.verb)
    body = decode_body(rc, rc.req.body)
    old, rev = api.objects.read(rc, rc.name, None)
    want = parse_rv(body["metadata"].get("resourceVersion"))
    if want and want != rev:
        raise ApiError.stale(rc.info.group_resource, rc.name)
    fins = (body.get("spec") or {}).get("finalizers")
    errs = finalizer_errors(fins)
    if errs:
        raise ApiError.invalid(rc.info.qualified_kind, rc.name, errs)
    new = copy_json(old)
    new.setdefault("spec", {})["finalizers"] = list(fins or [])
    if not new["spec"]["finalizers"]:
        new["spec"].pop("finalizers")
    return api.objects.write_update(rc, new, old, rev)


class NamespaceStrategy(Strategy):
    info = BUILTIN["namespaces"]
    status_subresource = True
    initial_status = {"phase": "Active"}
    field_labels = ("status.phase",)
    subresources = {"finalize": finalize}

    def name_errors(self, name: str) -> list[str]:
        return is_dns1123_label(name)  # ValidateNamespaceName

    def default(self, obj: dict) -> Any:
        defaults.namespace(obj)

    def prepare_for_create(self, obj: dict, extra: Any = None) -> None:
        super().prepare_for_create(obj)
        # strategy.go PrepareForCreate: "on create, we require the kubernetes value"
        spec = obj.setdefault("spec", {})
        fins = spec.get("finalizers") if isinstance(spec.get("finalizers"), list) else []
        if FINALIZER_KUBERNETES not in fins:
            spec["finalizers"] = fins + [FINALIZER_KUBERNETES]

    def prepare_for_update(self, new: dict, old: dict) -> None:
        super().prepare_for_update(new, old)
        # strategy.go PrepareForUpdate: spec.finalizers only change through /finalize
        old_spec = old.get("spec") or {}
        spec = new.setdefault("spec", {})
        if isinstance(spec, dict):
            if "finalizers" in old_spec:
                spec["finalizers"] = copy_json(old_spec["finalizers"])
            else:
                spec.pop("finalizers", None)

    rules = staticmethod(lambda ns: finalizer_errors((ns.get("spec") or {}).get("finalizers")))

    def mark_deleting(self, obj: dict) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"

    def keeps_on_update(self, obj: dict) -> bool:
        """ShouldDeleteNamespaceDuringUpdate: not while ``spec.finalizers`` remain."""
        return bool(_spec_finalizers(obj))

    def delete_key(self, api: Any, obj: dict, rev: int) -> int | None:
        """storage.go REST.Delete: the first delete marks (deletionTimestamp, Terminating) and
        stores the namespace — ``obj`` becomes the marked object; a later one is refused while
        spec.finalizers remain; only then is the key removed."""
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = api.timestamp()
            self.mark_deleting(obj)
            return api.storage.update(self.key(meta["name"]), encode(obj), rev)
        if _spec_finalizers(obj):
            raise ApiError.conflict(self.info.group_resource, meta["name"], _PURGE_PENDING)
        return super().delete_key(api, obj, rev)
