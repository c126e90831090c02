"""NamespaceLifecycle admission (k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle).

- ``default``, ``kube-system`` and ``kube-public`` may not be deleted (403
  ``this namespace may not be deleted``);
- nothing can be created or updated in a namespace that does not exist (404
  ``namespaces "x" not found``);
- nothing new can be created in a namespace whose ``status.phase`` is ``Terminating``
  (403 ``unable to create new content in namespace x because it is being terminated``,
  with a ``NamespaceTerminating`` cause on ``metadata.namespace``).

Upstream reads namespaces from an informer and falls back to a live GET when the cache
misses; here the lister is the watch cache, which a write updates before it returns, so
there is no stale window to cover.

Also home of :func:`new_forbidden`, admission.NewForbidden, which every plugin here uses.
"""

from __future__ import annotations

from ...api.errors import ApiError
from ..request import AdmissionAttributes, PluginContext

# lifecycle/admission.go Register: metav1.NamespaceDefault, NamespaceSystem, NamespacePublic
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
# accessReviewResources: answering "not found" would leak which namespaces exist
_ACCESS_REVIEWS = {("localsubjectaccessreviews", "authorization.k8s.io")}


def resource_name(a: AdmissionAttributes) -> str:
    """admission/errors.go extractResourceName: the request's name, else the object's
    name or generateName (names are generated after admission), else ``Unknown``."""
    if a.name:
        return a.name
    meta = a.obj.get("metadata") if isinstance(a.obj, dict) else None
    if isinstance(meta, dict):
        for key in ("name", "generateName"):
            if isinstance(meta.get(key), str) and meta[key]:
                return meta[key]
    return "Unknown"


def new_forbidden(a: AdmissionAttributes, why: str) -> ApiError:
    """admission.NewForbidden: ``<resource> "<name>" is forbidden: <why>`` (403)."""
    return ApiError.forbidden(a.info.group_resource, resource_name(a), why)


def _is_namespace(a: AdmissionAttributes) -> bool:
    return a.info.kind == "Namespace" and a.info.group == ""


class NamespaceLifecycle:
    """Mutating (upstream implements Admit) on CREATE, UPDATE and DELETE."""

    name = "NamespaceLifecycle"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE", "DELETE")

    def admit(self, a: AdmissionAttributes) -> str | None:
        if a.operation == "DELETE" and _is_namespace(a) and a.name in IMMORTAL_NAMESPACES:
            raise ApiError.forbidden(a.info.group_resource, a.name, "this namespace may not be deleted")
        if _is_namespace(a) or not a.namespace or a.operation == "DELETE":
            return None  # cluster-scoped objects, namespaces themselves and deletions pass
        if (a.info.plural, a.info.group) in _ACCESS_REVIEWS:
            return None
        ns = self.ctx.lister.get("namespaces", a.namespace)
        if ns is None:
            raise ApiError.not_found("namespaces", a.namespace)
        status = ns.get("status") if isinstance(ns.get("status"), dict) else {}
        if a.operation == "CREATE" and status.get("phase") == "Terminating":
            err = new_forbidden(a, f"unable to create new content in namespace {a.namespace} "
                                   f"because it is being terminated")
            err.status.setdefault("details", {}).setdefault("causes", []).append(
                {"reason": "NamespaceTerminating", "message": f"namespace {a.namespace} is being terminated",
                 "field": "metadata.namespace"})
            raise err
        return None
